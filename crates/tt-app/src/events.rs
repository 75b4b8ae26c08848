//! Product events from the actions that perform them.
//!
//! The events themselves are declared in `tt-events` over the domain's own
//! ids and enumerations; here each action's result becomes its event. Only
//! ids, counts, durations, booleans and closed enumerations can cross;
//! names, notes and e-mails have no way in. Tracking only enqueues: it never
//! fails or slows an action.

use tt_domain::{
    Client, Comment, CommentTarget, GroupBy, Invoice, InvoiceStatus, Period, Project, Role, Task,
    TimeEntry, User,
};
use tt_events::Event;
use tt_telemetry::{Count, DurationSecs, Id};

pub use tt_events::{AuthMethod, InvoiceView, LoginFailureReason, Surface};

fn seconds(secs: i64) -> DurationSecs {
    DurationSecs::from_secs(u64::try_from(secs).unwrap_or(0))
}

fn count(n: usize) -> Count {
    Count::from(n)
}

fn comment_target(t: CommentTarget) -> tt_events::CommentTarget {
    match t {
        CommentTarget::Project(_) => tt_events::CommentTarget::Project,
        CommentTarget::Task(_) => tt_events::CommentTarget::Task,
    }
}

// ------------------------------------------------------------------ auth

/// A successful sign-in on the login form (`Password`) or the API (`ApiToken`).
pub fn login(method: AuthMethod) -> Event {
    Event::AuthLogin { method }
}

/// A refused sign-in; track it without a user id.
pub fn login_failed(reason: LoginFailureReason) -> Event {
    Event::AuthLoginFailed { reason }
}

/// A sign-out.
pub fn logout() -> Event {
    Event::AuthLogout {}
}

/// An API token was issued.
pub fn api_token_created(token: i64) -> Event {
    Event::AuthApiTokenCreated {
        token_id: Id::new(token),
    }
}

/// An API token was revoked.
pub fn api_token_revoked(token: i64) -> Event {
    Event::AuthApiTokenRevoked {
        token_id: Id::new(token),
    }
}

// ---------------------------------------------------------- timer, entries

/// The timer was started; `e` is the running entry.
pub fn timer_started(e: &TimeEntry, surface: Surface) -> Event {
    Event::TimerStarted {
        entry_id: e.id,
        project_id: e.project_id,
        task_id: e.task_id,
        surface,
    }
}

/// The timer was stopped; `e` is the finished entry.
pub fn timer_stopped(e: &TimeEntry, surface: Surface) -> Event {
    Event::TimerStopped {
        entry_id: e.id,
        project_id: e.project_id,
        duration_seconds: seconds(e.seconds(crate::now())),
        surface,
    }
}

/// An entry was added by hand.
pub fn entry_created(e: &TimeEntry, surface: Surface) -> Event {
    Event::TimeEntryCreated {
        entry_id: e.id,
        project_id: e.project_id,
        task_id: e.task_id,
        duration_seconds: seconds(e.seconds(crate::now())),
        billable: e.billable,
        tag_count: count(e.tags.as_slice().len()),
        surface,
    }
}

/// An entry was edited.
pub fn entry_updated(e: &TimeEntry, surface: Surface) -> Event {
    Event::TimeEntryUpdated {
        entry_id: e.id,
        project_id: e.project_id,
        surface,
    }
}

/// An entry was deleted.
pub fn entry_deleted(id: tt_domain::TimeEntryId, surface: Surface) -> Event {
    Event::TimeEntryDeleted {
        entry_id: id,
        surface,
    }
}

// ------------------------------------------------------ projects, clients

/// A project was created.
pub fn project_created(p: &Project) -> Event {
    Event::ProjectCreated {
        project_id: p.id,
        client_id: p.client_id,
        billable: p.billable,
        has_hourly_rate: p.hourly_rate.is_some(),
    }
}

/// A project was saved: `project.archived` when this save archived it,
/// otherwise `project.updated`.
pub fn project_saved(was_archived: bool, p: &Project) -> Event {
    if p.archived && !was_archived {
        Event::ProjectArchived { project_id: p.id }
    } else {
        Event::ProjectUpdated { project_id: p.id }
    }
}

/// A project was deleted.
pub fn project_deleted(id: tt_domain::ProjectId) -> Event {
    Event::ProjectDeleted { project_id: id }
}

/// A client was created.
pub fn client_created(c: &Client) -> Event {
    Event::ClientCreated {
        client_id: c.id,
        has_default_rate: c.default_hourly_rate.is_some(),
    }
}

/// A client was saved: `client.archived` when this save archived it,
/// otherwise `client.updated`.
pub fn client_saved(was_archived: bool, c: &Client) -> Event {
    if c.archived && !was_archived {
        Event::ClientArchived { client_id: c.id }
    } else {
        Event::ClientUpdated { client_id: c.id }
    }
}

// ------------------------------------------------------------------ tasks

/// A task was created.
pub fn task_created(t: &Task) -> Event {
    Event::TaskCreated {
        task_id: t.id,
        project_id: t.project_id,
        has_assignee: t.assignee_id.is_some(),
        has_due_date: t.due_date.is_some(),
    }
}

/// What an edit of a task changed: its status (old → new) and/or its
/// assignee (to someone new). An edit of name or description alone has no
/// event.
pub fn task_changes(before: &Task, after: &Task) -> Vec<Event> {
    let mut events = Vec::new();
    if before.status != after.status {
        events.push(Event::TaskStatusChanged {
            task_id: after.id,
            project_id: after.project_id,
            old_status: before.status,
            new_status: after.status,
        });
    }
    if let Some(assignee) = after.assignee_id.filter(|a| before.assignee_id != Some(*a)) {
        events.push(Event::TaskAssigned {
            task_id: after.id,
            project_id: after.project_id,
            assignee_id: assignee,
        });
    }
    events
}

/// A task was deleted.
pub fn task_deleted(t: &Task) -> Event {
    Event::TaskDeleted {
        task_id: t.id,
        project_id: t.project_id,
    }
}

// --------------------------------------------------------------- comments

/// A comment was posted.
pub fn comment_created(c: &Comment) -> Event {
    Event::CommentCreated {
        comment_id: c.id,
        target: comment_target(c.target),
    }
}

/// A comment was deleted.
pub fn comment_deleted(id: tt_domain::CommentId, target: CommentTarget) -> Event {
    Event::CommentDeleted {
        comment_id: id,
        target: comment_target(target),
    }
}

// --------------------------------------------------------------- invoices

/// An invoice was created.
pub fn invoice_created(i: &Invoice) -> Event {
    Event::InvoiceCreated {
        invoice_id: i.id,
        client_id: i.client_id,
        line_count: count(i.lines.len()),
    }
}

/// An invoice changed status.
pub fn invoice_status_changed(old: InvoiceStatus, i: &Invoice) -> Event {
    Event::InvoiceStatusChanged {
        invoice_id: i.id,
        old_status: old,
        new_status: i.status,
    }
}

/// An invoice page (or its printable page) was shown.
pub fn invoice_viewed(i: &Invoice, view: InvoiceView) -> Event {
    Event::InvoiceViewed {
        invoice_id: i.id,
        view,
    }
}

// ---------------------------------------------------------------- reports

/// A summary report was shown.
pub fn summary_viewed(group_by: GroupBy, period: Period) -> Event {
    let days = (period.to() - period.from()).num_days();
    Event::ReportSummaryViewed {
        group_by,
        range_days: Count::new(u64::try_from(days).unwrap_or(0)),
    }
}

/// Entries were exported as CSV.
pub fn csv_exported(rows: usize) -> Event {
    Event::ReportCsvExported {
        row_count: count(rows),
    }
}

// ------------------------------------------------------------------ admin

/// An administrator created `u`.
pub fn user_created(u: &User) -> Event {
    Event::AdminUserCreated {
        target_user_id: u.id,
        role: u.role,
    }
}

/// An administrator changed `u`'s role (nothing when only the active flag
/// changed).
pub fn user_role_changed(old: Role, u: &User) -> Option<Event> {
    (old != u.role).then_some(Event::AdminUserRoleChanged {
        target_user_id: u.id,
        old_role: old,
        new_role: u.role,
    })
}

/// An administrator deleted a user, keeping (anonymised) or deleting their
/// entries.
pub fn user_deleted(
    id: tt_domain::UserId,
    entries: tt_persistence::users::EntryDisposition,
) -> Event {
    Event::AdminUserDeleted {
        target_user_id: id,
        entries: match entries {
            tt_persistence::users::EntryDisposition::Anonymise => {
                tt_events::EntryDisposition::Anonymised
            }
            tt_persistence::users::EntryDisposition::Delete => tt_events::EntryDisposition::Deleted,
        },
    }
}

/// A user downloaded their own data.
pub fn own_data_exported(csv: bool) -> Event {
    Event::AdminDataExported {
        format: if csv {
            tt_events::ExportFormat::Csv
        } else {
            tt_events::ExportFormat::Json
        },
        for_other_user: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tt_domain::TaskStatus;
    use tt_telemetry::AppEvent as _;

    #[test]
    fn task_edits_report_status_and_new_assignee_only() {
        let id = |n| tt_domain::TaskId::new(n).expect("id");
        let before = Task {
            id: id(3),
            project_id: tt_domain::ProjectId::new(2).expect("id"),
            name: tt_domain::Name::parse("canary-task").expect("name"),
            description: tt_domain::Text::parse("").expect("text"),
            status: TaskStatus::Todo,
            assignee_id: None,
            due_date: None,
            archived: false,
        };
        assert!(task_changes(&before, &before).is_empty());
        let after = Task {
            status: TaskStatus::Review,
            assignee_id: tt_domain::UserId::new(9),
            ..before.clone()
        };
        let names: Vec<_> = task_changes(&before, &after)
            .iter()
            .map(|e| e.name())
            .collect();
        assert_eq!(names, ["task.status_changed", "task.assigned"]);
        assert_eq!(
            task_changes(&before, &after)[0].properties_json(),
            r#"{"task_id":3,"project_id":2,"old_status":"todo","new_status":"review"}"#
        );
        // Unassigning is no assignment.
        assert!(
            task_changes(
                &after,
                &Task {
                    assignee_id: None,
                    ..after.clone()
                }
            )
            .is_empty()
        );
    }
}
