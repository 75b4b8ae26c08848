//! Who may do what to which object: the permission rules every surface
//! (API, web pages, CLI) gets its verdict from.

use crate::{Comment, DomainError, TimeEntry, User};

/// Administrator-only actions: managing users, clients, projects, invoices
/// and the installation.
pub fn require_admin(actor: &User) -> Result<(), DomainError> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(DomainError::Forbidden("only an administrator may do this"))
    }
}

/// A time entry is visible to its owner and to administrators; to anybody
/// else it does not exist.
pub fn may_see_entry(actor: &User, entry: &TimeEntry) -> Result<(), DomainError> {
    if entry.user_id == actor.id || actor.is_admin() {
        Ok(())
    } else {
        Err(DomainError::Hidden)
    }
}

/// A time entry may be changed or deleted by its owner or an administrator,
/// and by nobody once it is on an invoice.
pub fn may_modify_entry(actor: &User, entry: &TimeEntry) -> Result<(), DomainError> {
    may_see_entry(actor, entry)?;
    entry.ensure_editable()
}

/// What hangs off a task, as far as deleting or moving it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaskUsage {
    /// Time entries that name the task.
    pub tracked_entries: i64,
    /// Comments on it written by somebody other than the actor.
    pub comments_by_others: i64,
}

/// A task with tracked time is never deleted (its time would lose its
/// task; archive it instead). A regular user may not delete other people's
/// comments along with a task; an administrator may.
pub fn may_delete_task(actor: &User, usage: TaskUsage) -> Result<(), DomainError> {
    if usage.tracked_entries > 0 {
        return Err(DomainError::Rule(
            "this task has tracked time and cannot be deleted; archive it instead",
        ));
    }
    if usage.comments_by_others > 0 && !actor.is_admin() {
        return Err(DomainError::Forbidden(
            "this task has comments by other people; archive it instead or ask an administrator",
        ));
    }
    Ok(())
}

/// A task with tracked time stays in its project: moving it would put that
/// time (possibly invoiced) on a task of another project.
pub fn may_move_task(usage: TaskUsage) -> Result<(), DomainError> {
    if usage.tracked_entries > 0 {
        return Err(DomainError::Rule(
            "this task has tracked time and cannot move to another project",
        ));
    }
    Ok(())
}

/// Only its author edits a comment. (Comments are visible to everyone
/// signed in, so a refusal is a 403, not a pretended 404.)
pub fn may_edit_comment(actor: &User, comment: &Comment) -> Result<(), DomainError> {
    if comment.user_id == actor.id {
        Ok(())
    } else {
        Err(DomainError::Forbidden("only its author may edit a comment"))
    }
}

/// Its author or an administrator deletes a comment.
pub fn may_delete_comment(actor: &User, comment: &Comment) -> Result<(), DomainError> {
    if comment.user_id == actor.id || actor.is_admin() {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only its author or an administrator may delete a comment",
        ))
    }
}

/// Usernames the system uses for itself; no account may take them.
pub const RESERVED_USERNAMES: &[&str] = &["deleted-user", "system", "setup-wizard", "setup-cli"];

/// A new account may not take a reserved name (compared without case).
pub fn may_take_username(name: &crate::Username) -> Result<(), DomainError> {
    let taken = RESERVED_USERNAMES.iter().any(|r| {
        r.eq_ignore_ascii_case(name.as_str())
            || name
                .as_str()
                .to_ascii_lowercase()
                .starts_with("deleted-user")
    });
    if taken {
        return Err(DomainError::Invalid {
            field: "username",
            reason: std::borrow::Cow::Borrowed("is reserved"),
        });
    }
    Ok(())
}

/// The installation always keeps at least one active administrator.
pub fn ensure_an_admin_remains(active_admins_after: i64) -> Result<(), DomainError> {
    if active_admins_after < 1 {
        return Err(DomainError::Rule(
            "the installation must keep at least one active administrator",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::{InvoiceId, ProjectId, Role, Tags, Text, TimeEntryId, UserId, Username};

    fn user(id: i64, role: Role) -> User {
        User {
            id: UserId::new(id).expect("id"),
            username: Username::parse(&format!("user{id}")).expect("name"),
            email: None,
            role,
            active: true,
            must_change_password: false,
            time_zone: None,
            week_start: None,
            created_at: Utc.timestamp_opt(0, 0).single().expect("time"),
        }
    }

    fn entry(owner: i64, invoiced: bool) -> TimeEntry {
        let t = Utc
            .with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
            .single()
            .expect("time");
        TimeEntry {
            id: TimeEntryId::new(1).expect("id"),
            user_id: UserId::new(owner).expect("id"),
            project_id: ProjectId::new(1).expect("id"),
            task_id: None,
            start: t,
            end: Some(t + chrono::Duration::hours(1)),
            notes: Text::default(),
            tags: Tags::default(),
            billable: true,
            invoice_id: invoiced.then(|| InvoiceId::new(3).expect("id")),
            changed: None,
        }
    }

    #[test]
    fn entries_owner_or_admin_and_never_invoiced() {
        let owner = user(1, Role::User);
        let other = user(2, Role::User);
        let admin = user(3, Role::Admin);
        assert_eq!(may_modify_entry(&owner, &entry(1, false)), Ok(()));
        assert_eq!(may_modify_entry(&admin, &entry(1, false)), Ok(()));
        assert_eq!(
            may_modify_entry(&other, &entry(1, false)),
            Err(DomainError::Hidden)
        );
        assert!(matches!(
            may_modify_entry(&owner, &entry(1, true)),
            Err(DomainError::Rule(_))
        ));
        assert!(matches!(
            may_modify_entry(&admin, &entry(1, true)),
            Err(DomainError::Rule(_))
        ));
        // Someone else's invoiced entry stays hidden rather than "frozen".
        assert_eq!(
            may_modify_entry(&other, &entry(1, true)),
            Err(DomainError::Hidden)
        );
    }

    #[test]
    fn tasks_with_time_or_others_comments() {
        let u = user(1, Role::User);
        let admin = user(2, Role::Admin);
        let none = TaskUsage::default();
        let timed = TaskUsage {
            tracked_entries: 1,
            comments_by_others: 0,
        };
        let discussed = TaskUsage {
            tracked_entries: 0,
            comments_by_others: 2,
        };
        assert_eq!(may_delete_task(&u, none), Ok(()));
        assert!(matches!(
            may_delete_task(&u, timed),
            Err(DomainError::Rule(_))
        ));
        assert!(matches!(
            may_delete_task(&admin, timed),
            Err(DomainError::Rule(_))
        ));
        assert!(matches!(
            may_delete_task(&u, discussed),
            Err(DomainError::Forbidden(_))
        ));
        assert_eq!(may_delete_task(&admin, discussed), Ok(()));
        assert!(may_move_task(timed).is_err());
        assert!(may_move_task(discussed).is_ok());
    }

    #[test]
    fn an_admin_always_remains() {
        assert!(ensure_an_admin_remains(0).is_err());
        assert!(ensure_an_admin_remains(1).is_ok());
        assert!(require_admin(&user(1, Role::User)).is_err());
        assert!(require_admin(&user(1, Role::Admin)).is_ok());
    }
}
