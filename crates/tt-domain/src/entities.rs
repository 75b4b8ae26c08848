//! The entities, as the rest of the application sees them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    ClientId, CommentId, Currency, Discount, DomainError, Email, HourlyRate, InvoiceId,
    InvoiceStatus, LineKind, Money, Name, Party, Price, ProjectId, Quantity, Role, Tags, TaskId,
    TaskStatus, TaxRate, Text, TimeEntryId, Totals, UserId, Username,
};

/// A user account. The password hash never leaves the persistence layer in
/// this type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Login name.
    pub username: Username,
    /// Optional e-mail.
    pub email: Option<Email>,
    /// Role.
    pub role: Role,
    /// Inactive users cannot log in.
    pub active: bool,
    /// Set by an administrator's password reset: the user must choose a
    /// new password before doing anything else.
    pub must_change_password: bool,
    /// The time zone they work in; `None`: the installation's default.
    pub time_zone: Option<crate::Zone>,
    /// The first day of their week; `None`: the installation's default.
    pub week_start: Option<crate::WeekStart>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// Whether the user administers the installation.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// How this user reads time: their own zone and week start, each
    /// falling back to the installation's `default`.
    pub fn calendar(&self, default: crate::Calendar) -> crate::Calendar {
        crate::Calendar::new(
            self.time_zone.unwrap_or(default.zone()),
            self.week_start.unwrap_or(default.week_start()),
        )
    }
}

/// A client (customer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Id.
    pub id: ClientId,
    /// Name.
    pub name: Name,
    /// Contact and billing e-mail.
    pub email: Option<Email>,
    /// Rate used for projects that have none.
    pub default_hourly_rate: Option<HourlyRate>,
    /// Archived clients are hidden from pickers.
    pub archived: bool,
    /// Postal address printed on invoices, one line per line.
    pub address: String,
    /// VAT or tax id printed on invoices.
    pub tax_id: String,
    /// The currency the client is billed in; its projects' rates are
    /// prices in it.
    pub currency: Currency,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Id.
    pub id: ProjectId,
    /// The client it is for, if any.
    pub client_id: Option<ClientId>,
    /// Name.
    pub name: Name,
    /// Description.
    pub description: Text,
    /// Whether time on it is billable by default.
    pub billable: bool,
    /// Its own rate, overriding the client's default.
    pub hourly_rate: Option<HourlyRate>,
    /// Archived projects accept no new time.
    pub archived: bool,
}

/// A task within a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Id.
    pub id: TaskId,
    /// Its project.
    pub project_id: ProjectId,
    /// Name.
    pub name: Name,
    /// Description.
    pub description: Text,
    /// Status.
    pub status: TaskStatus,
    /// Who works on it.
    pub assignee_id: Option<UserId>,
    /// When it is due.
    pub due_date: Option<NaiveDate>,
    /// Archived tasks are hidden from pickers and accept no new time.
    pub archived: bool,
}

/// What a comment is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentTarget {
    /// A project.
    Project(ProjectId),
    /// A task.
    Task(TaskId),
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Id.
    pub id: CommentId,
    /// Author.
    pub user_id: UserId,
    /// What it is on.
    pub target: CommentTarget,
    /// Body.
    pub body: Text,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A time entry. A running timer is an entry whose `end` is `None`; the
/// database guarantees at most one per user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeEntry {
    /// Id.
    pub id: TimeEntryId,
    /// Whose time.
    pub user_id: UserId,
    /// On what project.
    pub project_id: ProjectId,
    /// On what task, if any.
    pub task_id: Option<TaskId>,
    /// Start.
    pub start: DateTime<Utc>,
    /// End; `None` while the timer runs.
    pub end: Option<DateTime<Utc>>,
    /// Notes.
    pub notes: Text,
    /// Tags.
    pub tags: Tags,
    /// Billable.
    pub billable: bool,
    /// The invoice it was billed on, if any.
    pub invoice_id: Option<InvoiceId>,
    /// Who last changed it and when, if anybody did after it was made.
    pub changed: Option<(Option<UserId>, DateTime<Utc>)>,
}

/// Seconds tracked from `start` to `end`, a running timer (`end` is
/// `None`) up to `now`; never negative (a running timer that starts in the
/// future has tracked nothing yet).
pub fn tracked_seconds(
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> i64 {
    (end.unwrap_or(now) - start).num_seconds().max(0)
}

impl TimeEntry {
    /// Whether this is a running timer.
    pub fn is_running(&self) -> bool {
        self.end.is_none()
    }

    /// Tracked seconds; for a running timer, up to `now`.
    pub fn seconds(&self, now: DateTime<Utc>) -> i64 {
        tracked_seconds(self.start, self.end, now)
    }

    /// Entries already on an invoice are frozen.
    pub fn ensure_editable(&self) -> Result<(), DomainError> {
        if self.invoice_id.is_some() {
            return Err(DomainError::Rule(
                "this entry is on an invoice and cannot be changed",
            ));
        }
        Ok(())
    }
}

/// One line of an invoice: `quantity × unit_price = amount`, exactly as
/// printed ([`crate::Currency::amount`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// Tracked time or typed by hand.
    pub kind: LineKind,
    /// The project it bills (time lines).
    pub project_id: Option<ProjectId>,
    /// What is billed.
    pub description: String,
    /// Exact tracked seconds (time lines; 0 for custom lines).
    pub seconds: i64,
    /// The billed quantity: hours for time lines.
    pub quantity: Quantity,
    /// Price per unit (per hour for time lines).
    pub unit_price: Price,
    /// Line amount in the invoice's currency.
    pub amount: Money,
}

/// An invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Id.
    pub id: InvoiceId,
    /// Sequential number, unique per installation and never reused;
    /// assigned when the invoice is issued (drafts have none).
    pub number: Option<i64>,
    /// The number as printed, from the company's pattern at issue.
    pub number_text: Option<String>,
    /// Billed client.
    pub client_id: ClientId,
    /// Status.
    pub status: InvoiceStatus,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// When payment is due.
    pub due_date: Option<NaiveDate>,
    /// The currency of every amount on it (the client's when it was made).
    pub currency: Currency,
    /// Discount on the subtotal.
    pub discount: Discount,
    /// Tax rate.
    pub tax_rate: TaxRate,
    /// Subtotal, discount, net, tax and total.
    pub totals: Totals,
    /// Notes printed above the footer.
    pub notes: String,
    /// Who sent it, as they were when it was issued (drafts: none yet).
    pub sender: Option<Party>,
    /// Who it is for, as they were when it was issued.
    pub recipient: Option<Party>,
    /// The footer as it was when it was issued.
    pub footer: Option<String>,
    /// Lines.
    pub lines: Vec<InvoiceLine>,
}

impl Invoice {
    /// The printed invoice number, e.g. `INV-000042`; a draft is named by
    /// its id (`Draft #7`) until it is issued.
    pub fn display_number(&self) -> String {
        match (&self.number_text, self.number) {
            (Some(text), _) => text.clone(),
            (None, Some(n)) => format!("INV-{n:06}"),
            (None, None) => format!("Draft #{}", self.id),
        }
    }
}
