//! TimeTracker's telemetry catalog: every product event the server can
//! send, declared once with [`tt_telemetry::events!`] over the domain's own
//! types — its typed ids and its closed enumerations — so nothing is
//! copied: a `tt_domain::ProjectId` or a `tt_domain::TaskStatus` is a
//! property as it is.
//!
//! [`CATALOG`] is what the sink is configured with and what
//! `docs/telemetry/catalog.json` and `docs/all_tracked_events.md` are
//! generated from. Change an event or a property and the catalog's
//! fingerprint changes: bump [`SCHEMA_VERSION`] and add an entry to
//! `docs/telemetry/CHANGELOG.md` (a test says so).

#![warn(missing_docs)]

mod properties;
mod route;

use tt_consent::ConsentLevel;
use tt_domain::{
    ClientId, CommentId, GroupBy, InvoiceId, InvoiceStatus, ProjectId, Role, TaskId, TaskStatus,
    TimeEntryId, UserId,
};
use tt_telemetry::{Catalog, Category, Count, DurationSecs, Id};

pub use properties::TimeTracker;
pub use route::Route;

/// The version of the catalog: of the record layout (envelope attributes)
/// and of every event and property that can be sent. Bump it with any
/// change to them — an event or property added, removed, renamed, retyped
/// or given other allowed values — and add its entry, with the new
/// fingerprint, to `docs/telemetry/CHANGELOG.md`; a test fails otherwise.
pub const SCHEMA_VERSION: i64 = 2;

/// Signing in and out, API tokens.
pub const AUTH: Category = Category::new("auth", "Authentication");
/// The first-run setup wizard.
pub const SETUP: Category = Category::new("setup", "Setup");
/// The running timer.
pub const TIMER: Category = Category::new("timer", "Timer");
/// Time entries.
pub const TIME_ENTRIES: Category = Category::new("time_entries", "Time entries");
/// Projects.
pub const PROJECTS: Category = Category::new("projects", "Projects");
/// Tasks.
pub const TASKS: Category = Category::new("tasks", "Tasks");
/// Clients.
pub const CLIENTS: Category = Category::new("clients", "Clients");
/// Comments.
pub const COMMENTS: Category = Category::new("comments", "Comments");
/// Invoices.
pub const INVOICES: Category = Category::new("invoices", "Invoices");
/// Reports and exports.
pub const REPORTS: Category = Category::new("reports", "Reports and exports");
/// Administration.
pub const ADMIN: Category = Category::new("admin", "Administration");
/// Page views.
pub const PAGE_VIEWS: Category = Category::new("page_views", "Page views");

/// TimeTracker's catalog.
pub static CATALOG: Catalog = Catalog {
    app_name: "TimeTracker",
    service_name: "timetracker",
    schema_version: SCHEMA_VERSION,
    categories: &[
        AUTH,
        SETUP,
        TIMER,
        TIME_ENTRIES,
        PROJECTS,
        TASKS,
        CLIENTS,
        COMMENTS,
        INVOICES,
        REPORTS,
        ADMIN,
        PAGE_VIEWS,
    ],
    events: Event::EVENTS,
    notes: "Page views carry the route template (`/projects/{id}`), never the path.",
};

tt_telemetry::closed_enum! {
    /// Why a login attempt failed.
    pub enum LoginFailureReason {
        /// Unknown user or wrong password (never says which).
        BadCredentials = "bad_credentials",
        /// The account is deactivated.
        InactiveUser = "inactive_user",
        /// Too many attempts; rate limited.
        RateLimited = "rate_limited",
    }

    /// How a user authenticated.
    pub enum AuthMethod {
        /// Username and password on the login form.
        Password = "password",
        /// Username and password exchanged for an API token
        /// (`POST /api/v1/auth/login`).
        ApiToken = "api_token",
    }

    /// Where an action came from.
    pub enum Surface {
        /// The server-rendered web UI.
        Web = "web",
        /// The JSON API under `/api/v1`.
        Api = "api",
    }

    /// What a comment is attached to.
    pub enum CommentTarget {
        /// A project.
        Project = "project",
        /// A task.
        Task = "task",
    }

    /// How an invoice was looked at.
    pub enum InvoiceView {
        /// The HTML page.
        Html = "html",
        /// The printable page.
        Print = "print",
        /// The PDF, downloaded.
        Pdf = "pdf",
    }

    /// A file format for exports.
    pub enum ExportFormat {
        /// JSON.
        Json = "json",
        /// CSV.
        Csv = "csv",
    }

    /// What happens to a deleted user's time entries.
    pub enum EntryDisposition {
        /// Kept, detached from the user.
        Anonymised = "anonymised",
        /// Deleted with the user.
        Deleted = "deleted",
    }
}

tt_telemetry::events! {
    /// A product event: one thing a person did in TimeTracker.
    ///
    /// Every field is an internal id, a count, a boolean, a duration or a
    /// closed enumeration: free text cannot be expressed. All product
    /// events need **detailed** consent.
    #[non_exhaustive]
    pub enum Event: TimeTracker {
        /// A user signed in.
        AuthLogin = "auth.login", AUTH, Detailed {
            /// How the user authenticated.
            method: AuthMethod,
        }
        /// A sign-in attempt was refused (track it with no user id).
        AuthLoginFailed = "auth.login_failed", AUTH, Detailed {
            /// Why it was refused.
            reason: LoginFailureReason,
        }
        /// A user signed out.
        AuthLogout = "auth.logout", AUTH, Detailed {}
        /// A user created an API token.
        AuthApiTokenCreated = "auth.api_token_created", AUTH, Detailed {
            /// The token's internal id (never the token).
            token_id: Id,
        }
        /// A user revoked an API token.
        AuthApiTokenRevoked = "auth.api_token_revoked", AUTH, Detailed {
            /// The token's internal id (never the token).
            token_id: Id,
        }
        /// The first-run setup wizard was completed.
        SetupCompleted = "setup.completed", SETUP, Detailed {
            /// Whether base telemetry was switched on in the wizard.
            base_consent: bool,
            /// Whether detailed analytics were switched on in the wizard.
            detailed_consent: bool,
        }
        /// A user started the timer.
        TimerStarted = "timer.started", TIMER, Detailed {
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
        TimerStopped = "timer.stopped", TIMER, Detailed {
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
        TimeEntryCreated = "time_entry.created", TIME_ENTRIES, Detailed {
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
        TimeEntryUpdated = "time_entry.updated", TIME_ENTRIES, Detailed {
            /// The entry.
            entry_id: TimeEntryId,
            /// Its project after the edit.
            project_id: ProjectId,
            /// Web UI or API.
            surface: Surface,
        }
        /// A time entry was deleted.
        TimeEntryDeleted = "time_entry.deleted", TIME_ENTRIES, Detailed {
            /// The deleted entry.
            entry_id: TimeEntryId,
            /// Web UI or API.
            surface: Surface,
        }
        /// A project was created.
        ProjectCreated = "project.created", PROJECTS, Detailed {
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
        ProjectUpdated = "project.updated", PROJECTS, Detailed {
            /// The project.
            project_id: ProjectId,
        }
        /// A project was archived.
        ProjectArchived = "project.archived", PROJECTS, Detailed {
            /// The project.
            project_id: ProjectId,
        }
        /// A project was deleted.
        ProjectDeleted = "project.deleted", PROJECTS, Detailed {
            /// The project.
            project_id: ProjectId,
        }
        /// A task was created.
        TaskCreated = "task.created", TASKS, Detailed {
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
        TaskStatusChanged = "task.status_changed", TASKS, Detailed {
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
        TaskAssigned = "task.assigned", TASKS, Detailed {
            /// The task.
            task_id: TaskId,
            /// Its project.
            project_id: ProjectId,
            /// The assignee's internal id.
            assignee_id: UserId,
        }
        /// A task was deleted.
        TaskDeleted = "task.deleted", TASKS, Detailed {
            /// The task.
            task_id: TaskId,
            /// Its project.
            project_id: ProjectId,
        }
        /// A client was created.
        ClientCreated = "client.created", CLIENTS, Detailed {
            /// The new client.
            client_id: ClientId,
            /// Whether it has a default hourly rate.
            has_default_rate: bool,
        }
        /// A client was edited.
        ClientUpdated = "client.updated", CLIENTS, Detailed {
            /// The client.
            client_id: ClientId,
        }
        /// A client was archived.
        ClientArchived = "client.archived", CLIENTS, Detailed {
            /// The client.
            client_id: ClientId,
        }
        /// A comment was posted.
        CommentCreated = "comment.created", COMMENTS, Detailed {
            /// The new comment.
            comment_id: CommentId,
            /// What it is attached to.
            target: CommentTarget,
        }
        /// A comment was deleted.
        CommentDeleted = "comment.deleted", COMMENTS, Detailed {
            /// The comment.
            comment_id: CommentId,
            /// What it was attached to.
            target: CommentTarget,
        }
        /// An invoice was created from unbilled entries.
        InvoiceCreated = "invoice.created", INVOICES, Detailed {
            /// The new invoice.
            invoice_id: InvoiceId,
            /// Its client.
            client_id: ClientId,
            /// How many lines it has.
            line_count: Count,
        }
        /// An invoice moved to another status.
        InvoiceStatusChanged = "invoice.status_changed", INVOICES, Detailed {
            /// The invoice.
            invoice_id: InvoiceId,
            /// The status before.
            old_status: InvoiceStatus,
            /// The status after.
            new_status: InvoiceStatus,
        }
        /// An invoice was opened or printed.
        InvoiceViewed = "invoice.viewed", INVOICES, Detailed {
            /// The invoice.
            invoice_id: InvoiceId,
            /// The HTML page or the printable page.
            view: InvoiceView,
        }
        /// A summary report was shown.
        ReportSummaryViewed = "report.summary_viewed", REPORTS, Detailed {
            /// How it was grouped.
            group_by: GroupBy,
            /// How many days the range covers.
            range_days: Count,
        }
        /// Time entries were exported as CSV.
        ReportCsvExported = "report.csv_exported", REPORTS, Detailed {
            /// How many rows were written.
            row_count: Count,
        }
        /// An administrator created a user.
        AdminUserCreated = "admin.user_created", ADMIN, Detailed {
            /// The new user's internal id.
            target_user_id: UserId,
            /// The new user's role.
            role: Role,
        }
        /// An administrator deleted a user.
        AdminUserDeleted = "admin.user_deleted", ADMIN, Detailed {
            /// The deleted user's internal id.
            target_user_id: UserId,
            /// What happened to their entries.
            entries: EntryDisposition,
        }
        /// An administrator changed a user's role.
        AdminUserRoleChanged = "admin.user_role_changed", ADMIN, Detailed {
            /// The user's internal id.
            target_user_id: UserId,
            /// The role before.
            old_role: Role,
            /// The role after.
            new_role: Role,
        }
        /// An administrator switched a telemetry level on. Switching a level off sends nothing (there is no opted-out ping).
        AdminTelemetryEnabled = "admin.telemetry_enabled", ADMIN, Detailed {
            /// The level that was switched on.
            level: ConsentLevel,
        }
        /// An administrator rotated the install id; past data can no longer be linked to this installation.
        AdminInstallIdRotated = "admin.install_id_rotated", ADMIN, Detailed {}
        /// A personal-data export was produced.
        AdminDataExported = "admin.data_exported", ADMIN, Detailed {
            /// JSON or CSV.
            format: ExportFormat,
            /// Whether an administrator exported another user's data.
            for_other_user: bool,
        }
        /// A page of the web UI was shown.
        PageViewed = "page.viewed", PAGE_VIEWS, Detailed {
            /// The route template, never the concrete path.
            route: Route,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tt_telemetry::AppEvent as _;

    #[test]
    fn the_catalog_passes_the_sinks_check() {
        assert_eq!(CATALOG.check(), Ok(()));
        assert_eq!(CATALOG.len(), 3 + 36);
    }

    #[test]
    fn domain_types_are_sent_as_their_own_wire_names() {
        let id = |n| TaskId::new(n).unwrap_or_else(|| panic!("{n}"));
        let project = ProjectId::new(2).unwrap_or_else(|| panic!("2"));
        let event = Event::TaskStatusChanged {
            task_id: id(5),
            project_id: project,
            old_status: TaskStatus::Todo,
            new_status: TaskStatus::InProgress,
        };
        assert_eq!(
            event.properties_json(),
            r#"{"task_id":5,"project_id":2,"old_status":"todo","new_status":"in_progress"}"#
        );
        let enabled = Event::AdminTelemetryEnabled {
            level: ConsentLevel::Detailed,
        };
        assert_eq!(enabled.properties_json(), r#"{"level":"detailed"}"#);
        let grouped = Event::ReportSummaryViewed {
            group_by: GroupBy::Week,
            range_days: Count::new(7),
        };
        assert_eq!(
            grouped.properties_json(),
            r#"{"group_by":"week","range_days":7}"#
        );
    }

    #[test]
    fn the_allowed_values_are_the_domains_names() {
        let allowed = |event: &str, property: &str| {
            CATALOG
                .events()
                .find(|d| d.name == event)
                .and_then(|d| d.properties.iter().find(|p| p.name == property))
                .map(|p| p.kind.allowed_values())
        };
        assert_eq!(
            allowed("task.status_changed", "new_status"),
            Some(&["todo", "in_progress", "review", "done"][..])
        );
        assert_eq!(
            allowed("invoice.status_changed", "old_status"),
            Some(&["draft", "sent", "paid", "cancelled"][..])
        );
        assert_eq!(
            allowed("admin.user_role_changed", "new_role"),
            Some(&["admin", "user"][..])
        );
        assert_eq!(
            allowed("report.summary_viewed", "group_by"),
            Some(&["project", "user", "day", "week"][..])
        );
        assert_eq!(
            allowed("admin.telemetry_enabled", "level"),
            Some(&["base", "detailed"][..])
        );
    }

    #[test]
    fn route_templates_match_any_parameter_name() {
        let cases = [
            ("/projects/{id}", Route::ProjectDetail),
            ("/projects/{project_id}", Route::ProjectDetail),
            ("/invoices/{invoice}/print", Route::InvoicePrint),
            ("/", Route::Dashboard),
            ("/projects/", Route::Projects),
        ];
        for (pattern, route) in cases {
            assert_eq!(Route::from_template(pattern), route, "{pattern}");
        }
    }

    #[test]
    fn concrete_paths_never_become_routes() {
        for path in [
            "/projects/42",
            "/projects/42/edit",
            "/projects/new?name=Acme",
            "/clients/acme-corp",
            "/admin/users/{}",
            "https://example.com/projects/{id}",
            "other",
            "",
        ] {
            assert_eq!(Route::from_template(path), Route::Other, "{path}");
        }
    }
}
