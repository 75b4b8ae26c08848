//! The entities, as the rest of the application sees them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    ClientId, CommentId, DomainError, Email, HourlyRate, InvoiceId, InvoiceStatus, Money, Name,
    ProjectId, Role, Tags, TaskId, TaskStatus, TaxRate, Text, TimeEntryId, UserId, Username,
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
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// Whether the user administers the installation.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A client (customer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Id.
    pub id: ClientId,
    /// Name.
    pub name: Name,
    /// Contact e-mail.
    pub email: Option<Email>,
    /// Rate used for projects that have none.
    pub default_hourly_rate: Option<HourlyRate>,
    /// Archived clients are hidden from pickers.
    pub archived: bool,
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
}

impl TimeEntry {
    /// Whether this is a running timer.
    pub fn is_running(&self) -> bool {
        self.end.is_none()
    }

    /// Tracked seconds; for a running timer, up to `now`.
    pub fn seconds(&self, now: DateTime<Utc>) -> i64 {
        (self.end.unwrap_or(now) - self.start).num_seconds().max(0)
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

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// The project it bills.
    pub project_id: Option<ProjectId>,
    /// What is billed (the project's name when the invoice was made).
    pub description: String,
    /// Seconds billed (exact); the billed quantity is
    /// [`crate::BillableHours::from_seconds`] of this.
    pub seconds: i64,
    /// Rate applied.
    pub rate: HourlyRate,
    /// Line amount.
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
    /// Billed client.
    pub client_id: ClientId,
    /// Status.
    pub status: InvoiceStatus,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Tax rate.
    pub tax_rate: TaxRate,
    /// Sum of the lines.
    pub subtotal: Money,
    /// Tax.
    pub tax: Money,
    /// Total.
    pub total: Money,
    /// Lines.
    pub lines: Vec<InvoiceLine>,
}

impl Invoice {
    /// The printed invoice number, e.g. `INV-000042`; a draft is named by
    /// its id (`Draft #7`) until it is issued.
    pub fn display_number(&self) -> String {
        match self.number {
            Some(n) => format!("INV-{n:06}"),
            None => format!("Draft #{}", self.id),
        }
    }
}
