//! The product events: one table, from which the enum, its metadata and
//! its encoding are all generated, so they cannot drift apart.

use tt_consent::ConsentLevel;

use super::values::{
    ApiTokenId, AuthMethod, ClientId, CommentId, CommentTarget, Count, DurationSecs,
    EntryDisposition, ExportFormat, InvoiceId, InvoiceStatus, InvoiceView, LoginFailureReason,
    ProjectId, PropertyType, PropertyValue, ReportGroupBy, Route, Surface, TaskId, TaskStatus,
    TelemetryLevel, TimeEntryId, UserId, UserRole,
};
use super::{Category, EventDescriptor, PropertyDescriptor};

macro_rules! product_events {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident => $name:literal, $category:ident {
            $( $(#[doc = $fdoc:literal])* $field:ident : $ty:ty ),* $(,)?
        }
    )+) => {
        /// A product event: one thing a person did in TimeTracker.
        ///
        /// Every field is an internal id, a count, a boolean, a duration or a
        /// closed enumeration: free text cannot be expressed. All product
        /// events need **detailed** consent.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Event {
            $(
                $(#[doc = $doc])*
                #[allow(missing_docs)]
                $variant { $( $(#[doc = $fdoc])* $field: $ty ),* },
            )+
        }

        #[derive(Clone, Copy)]
        enum EventIndex { $( $variant ),+ }

        pub(crate) const PRODUCT_EVENTS: &[EventDescriptor] = &[$(
            EventDescriptor {
                name: $name,
                category: Category::$category,
                level: ConsentLevel::Detailed,
                description: concat!($($doc),*).trim_ascii(),
                properties: &[$(
                    PropertyDescriptor {
                        name: stringify!($field),
                        kind: <$ty as PropertyType>::KIND,
                        optional: <$ty as PropertyType>::OPTIONAL,
                        description: concat!($($fdoc),*).trim_ascii(),
                    }
                ),*],
            }
        ),+];

        impl Event {
            fn index(&self) -> EventIndex {
                match self {
                    $( Event::$variant { .. } => EventIndex::$variant ),+
                }
            }

            /// Visits every property that has a value, in catalog order.
            pub fn for_each_property(&self, mut visit: impl FnMut(&'static str, PropertyValue)) {
                match *self {
                    $(
                        Event::$variant { $($field),* } => {
                            $(
                                if let Some(value) = PropertyType::to_value($field) {
                                    visit(stringify!($field), value);
                                }
                            )*
                        }
                    )+
                }
                let _ = &mut visit;
            }

            /// One example value of every product event, in catalog order:
            /// for tests, previews and docs.
            pub fn examples() -> Vec<Event> {
                vec![$(
                    Event::$variant { $( $field: <$ty as PropertyType>::example() ),* }
                ),+]
            }
        }
    };
}

product_events! {
    /// A user signed in.
    AuthLogin => "auth.login", Auth {
        /// How the user authenticated.
        method: AuthMethod,
    }
    /// A sign-in attempt was refused (track it with no user id).
    AuthLoginFailed => "auth.login_failed", Auth {
        /// Why it was refused.
        reason: LoginFailureReason,
    }
    /// A user signed out.
    AuthLogout => "auth.logout", Auth {}
    /// A user created an API token.
    AuthApiTokenCreated => "auth.api_token_created", Auth {
        /// The token's internal id (never the token).
        token_id: ApiTokenId,
    }
    /// A user revoked an API token.
    AuthApiTokenRevoked => "auth.api_token_revoked", Auth {
        /// The token's internal id (never the token).
        token_id: ApiTokenId,
    }
    /// The first-run setup wizard was completed.
    SetupCompleted => "setup.completed", Setup {
        /// Whether base telemetry was switched on in the wizard.
        base_consent: bool,
        /// Whether detailed analytics were switched on in the wizard.
        detailed_consent: bool,
    }
    /// A user started the timer.
    TimerStarted => "timer.started", Timer {
        /// The running entry.
        entry_id: TimeEntryId,
        /// The project it is tracked against.
        project_id: ProjectId,
        /// The task, if any.
        task_id: Option<TaskId>,
        /// Web UI or API.
        surface: Surface,
    }
    /// A user stopped the timer.
    TimerStopped => "timer.stopped", Timer {
        /// The entry that was running.
        entry_id: TimeEntryId,
        /// The project it was tracked against.
        project_id: ProjectId,
        /// How long it ran.
        duration_seconds: DurationSecs,
        /// Web UI or API.
        surface: Surface,
    }
    /// A time entry was created by hand.
    TimeEntryCreated => "time_entry.created", TimeEntries {
        /// The new entry.
        entry_id: TimeEntryId,
        /// Its project.
        project_id: ProjectId,
        /// Its task, if any.
        task_id: Option<TaskId>,
        /// Its length.
        duration_seconds: DurationSecs,
        /// Whether it is billable.
        billable: bool,
        /// How many tags it has.
        tag_count: Count,
        /// Web UI or API.
        surface: Surface,
    }
    /// A time entry was edited.
    TimeEntryUpdated => "time_entry.updated", TimeEntries {
        /// The entry.
        entry_id: TimeEntryId,
        /// Its project after the edit.
        project_id: ProjectId,
        /// Web UI or API.
        surface: Surface,
    }
    /// A time entry was deleted.
    TimeEntryDeleted => "time_entry.deleted", TimeEntries {
        /// The deleted entry.
        entry_id: TimeEntryId,
        /// Web UI or API.
        surface: Surface,
    }
    /// A project was created.
    ProjectCreated => "project.created", Projects {
        /// The new project.
        project_id: ProjectId,
        /// Its client, if any.
        client_id: Option<ClientId>,
        /// Whether it is billable.
        billable: bool,
        /// Whether it has its own hourly rate.
        has_hourly_rate: bool,
    }
    /// A project was edited.
    ProjectUpdated => "project.updated", Projects {
        /// The project.
        project_id: ProjectId,
    }
    /// A project was archived.
    ProjectArchived => "project.archived", Projects {
        /// The project.
        project_id: ProjectId,
    }
    /// A project was deleted.
    ProjectDeleted => "project.deleted", Projects {
        /// The project.
        project_id: ProjectId,
    }
    /// A task was created.
    TaskCreated => "task.created", Tasks {
        /// The new task.
        task_id: TaskId,
        /// Its project.
        project_id: ProjectId,
        /// Whether it was assigned on creation.
        has_assignee: bool,
        /// Whether it has a due date.
        has_due_date: bool,
    }
    /// A task moved to another status.
    TaskStatusChanged => "task.status_changed", Tasks {
        /// The task.
        task_id: TaskId,
        /// Its project.
        project_id: ProjectId,
        /// The status before.
        old_status: TaskStatus,
        /// The status after.
        new_status: TaskStatus,
    }
    /// A task was assigned to a user.
    TaskAssigned => "task.assigned", Tasks {
        /// The task.
        task_id: TaskId,
        /// Its project.
        project_id: ProjectId,
        /// The assignee's internal id.
        assignee_id: UserId,
    }
    /// A task was deleted.
    TaskDeleted => "task.deleted", Tasks {
        /// The task.
        task_id: TaskId,
        /// Its project.
        project_id: ProjectId,
    }
    /// A client was created.
    ClientCreated => "client.created", Clients {
        /// The new client.
        client_id: ClientId,
        /// Whether it has a default hourly rate.
        has_default_rate: bool,
    }
    /// A client was edited.
    ClientUpdated => "client.updated", Clients {
        /// The client.
        client_id: ClientId,
    }
    /// A client was archived.
    ClientArchived => "client.archived", Clients {
        /// The client.
        client_id: ClientId,
    }
    /// A comment was posted.
    CommentCreated => "comment.created", Comments {
        /// The new comment.
        comment_id: CommentId,
        /// What it is attached to.
        target: CommentTarget,
    }
    /// A comment was deleted.
    CommentDeleted => "comment.deleted", Comments {
        /// The comment.
        comment_id: CommentId,
        /// What it was attached to.
        target: CommentTarget,
    }
    /// An invoice was created from unbilled entries.
    InvoiceCreated => "invoice.created", Invoices {
        /// The new invoice.
        invoice_id: InvoiceId,
        /// Its client.
        client_id: ClientId,
        /// How many lines it has.
        line_count: Count,
    }
    /// An invoice moved to another status.
    InvoiceStatusChanged => "invoice.status_changed", Invoices {
        /// The invoice.
        invoice_id: InvoiceId,
        /// The status before.
        old_status: InvoiceStatus,
        /// The status after.
        new_status: InvoiceStatus,
    }
    /// An invoice was opened or printed.
    InvoiceViewed => "invoice.viewed", Invoices {
        /// The invoice.
        invoice_id: InvoiceId,
        /// The HTML page or the printable page.
        view: InvoiceView,
    }
    /// A summary report was shown.
    ReportSummaryViewed => "report.summary_viewed", Reports {
        /// How it was grouped.
        group_by: ReportGroupBy,
        /// How many days the range covers.
        range_days: Count,
    }
    /// Time entries were exported as CSV.
    ReportCsvExported => "report.csv_exported", Reports {
        /// How many rows were written.
        row_count: Count,
    }
    /// An administrator created a user.
    AdminUserCreated => "admin.user_created", Admin {
        /// The new user's internal id.
        target_user_id: UserId,
        /// The new user's role.
        role: UserRole,
    }
    /// An administrator deleted a user.
    AdminUserDeleted => "admin.user_deleted", Admin {
        /// The deleted user's internal id.
        target_user_id: UserId,
        /// What happened to their entries.
        entries: EntryDisposition,
    }
    /// An administrator changed a user's role.
    AdminUserRoleChanged => "admin.user_role_changed", Admin {
        /// The user's internal id.
        target_user_id: UserId,
        /// The role before.
        old_role: UserRole,
        /// The role after.
        new_role: UserRole,
    }
    /// An administrator switched a telemetry level on. Switching a level off sends nothing (there is no opted-out ping).
    AdminTelemetryEnabled => "admin.telemetry_enabled", Admin {
        /// The level that was switched on.
        level: TelemetryLevel,
    }
    /// An administrator rotated the install id; past data can no longer be linked to this installation.
    AdminInstallIdRotated => "admin.install_id_rotated", Admin {}
    /// A personal-data export was produced.
    AdminDataExported => "admin.data_exported", Admin {
        /// JSON or CSV.
        format: ExportFormat,
        /// Whether an administrator exported another user's data.
        for_other_user: bool,
    }
    /// A page of the web UI was shown.
    PageViewed => "page.viewed", PageViews {
        /// The route template, never the concrete path.
        route: Route,
    }
}

impl Event {
    /// This event's catalog entry.
    pub fn descriptor(&self) -> &'static EventDescriptor {
        &PRODUCT_EVENTS[self.index() as usize]
    }

    /// The dotted name, e.g. `timer.started`.
    pub fn name(&self) -> &'static str {
        self.descriptor().name
    }

    /// The product area.
    pub fn category(&self) -> Category {
        self.descriptor().category
    }

    /// The consent level needed to send it.
    pub fn level(&self) -> ConsentLevel {
        self.descriptor().level
    }

    /// The properties as a JSON object, for the local structured log.
    pub fn properties_json(&self) -> String {
        let mut out = String::from("{");
        let mut first = true;
        self.for_each_property(|name, value| {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
            value.write_json(&mut out);
        });
        out.push('}');
        out
    }
}
