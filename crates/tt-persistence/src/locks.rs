//! Row locks for check-then-act inside a write transaction.
//!
//! SQLite needs none of these: [`crate::write_transaction`] starts with
//! `BEGIN IMMEDIATE`, so one writer at a time runs the whole check-then-act.
//! PostgreSQL runs READ COMMITTED, where two transactions can both check
//! and both act; there each function takes the row lock (`SELECT … FOR
//! UPDATE`) that makes the second transaction wait until the first commits
//! and then re-read what it committed. Call them first thing in the
//! transaction, before reading what they protect.

use diesel::prelude::*;
use tt_domain::{ClientId, InvoiceId, ProjectId, TaskId, TimeEntryId, UserId};

use crate::schema::{clients, invoices, tasks, time_entries, users};
use crate::{DbConnection, Result};

/// Locks one time entry (an edit, a delete, a stop).
pub fn entry(conn: &mut DbConnection, id: TimeEntryId) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        time_entries::table
            .find(id.get())
            .select(time_entries::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Locks a client: invoicing one client's time is serialised.
pub fn client(conn: &mut DbConnection, id: ClientId) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        clients::table
            .find(id.get())
            .select(clients::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Locks the unbilled, finished entries of a client's projects (in id
/// order, so two lockers never wait on each other crosswise) and returns
/// their ids: an invoice is then made from exactly these rows, which
/// nobody can edit, delete or bill elsewhere until it commits. `None` on
/// SQLite, where the write transaction already excludes everyone.
pub fn unbilled_entries_of_client(
    conn: &mut DbConnection,
    client: ClientId,
) -> Result<Option<Vec<TimeEntryId>>> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(None);
    };
    use crate::schema::projects;
    let of_client = projects::table
        .filter(projects::client_id.eq(client.get()))
        .select(projects::id);
    let ids = time_entries::table
        .filter(time_entries::project_id.eq_any(of_client))
        .filter(time_entries::invoice_id.is_null())
        .filter(time_entries::end_time.is_not_null())
        .order(time_entries::id.asc())
        .select(time_entries::id)
        .for_update()
        .load::<i64>(pg)?;
    ids.into_iter()
        .map(|id| crate::id(id, TimeEntryId::new))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// Locks the entries billed on an invoice, in id order (before releasing
/// them).
pub fn entries_of_invoice(conn: &mut DbConnection, invoice: InvoiceId) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        time_entries::table
            .filter(time_entries::invoice_id.eq(invoice.get()))
            .order(time_entries::id.asc())
            .select(time_entries::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Serialises the changes to one user's entries (their times must not
/// overlap): locks the user's row.
pub fn user_timeline(conn: &mut DbConnection, user: UserId) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        users::table
            .find(user.get())
            .select(users::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Locks a user's entries, in id order (before deleting or anonymising
/// them with the user).
pub fn entries_of_user(conn: &mut DbConnection, user: UserId) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        time_entries::table
            .filter(time_entries::user_id.eq(user.get()))
            .order(time_entries::id.asc())
            .select(time_entries::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Locks a project (editing it).
pub fn project(conn: &mut DbConnection, id: ProjectId) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        projects_table_lock(pg, id)?;
    }
    Ok(())
}

fn projects_table_lock(pg: &mut diesel::PgConnection, id: ProjectId) -> Result<()> {
    use crate::schema::projects;
    projects::table
        .find(id.get())
        .select(projects::id)
        .for_update()
        .load::<i64>(pg)?;
    Ok(())
}

/// Locks an invoice (status changes, deletion).
pub fn invoice(conn: &mut DbConnection, id: InvoiceId) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        invoices::table
            .find(id.get())
            .select(invoices::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Locks a task (deletion, moving it to another project).
pub fn task(conn: &mut DbConnection, id: TaskId) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        tasks::table
            .find(id.get())
            .select(tasks::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Locks the roster of administrators: every change of a role, of the
/// active flag, or a deletion takes it, so "at least one active admin" is
/// checked and changed by one transaction at a time. It also locks the
/// acting and the target user's rows, so neither changes underneath.
pub fn admin_roster(conn: &mut DbConnection, involved: &[UserId]) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        // One fixed advisory key for the roster, released at commit.
        diesel::sql_query("SELECT pg_advisory_xact_lock(7272001)").execute(pg)?;
        let ids: Vec<i64> = involved.iter().map(|u| u.get()).collect();
        users::table
            .filter(users::id.eq_any(ids))
            .select(users::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

/// Locks the consent history for a read-then-record (replicas starting
/// together notice a deployment setting once). Released at commit.
pub fn consent_history(conn: &mut DbConnection) -> Result<()> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7272002)").execute(pg)?;
    }
    Ok(())
}
