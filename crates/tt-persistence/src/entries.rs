//! Time entries and timers. A running timer is an entry without an end; the
//! unique partial index `time_entries_one_running_timer` guarantees at most
//! one per user, so two concurrent starts can never both succeed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tt_domain::{
    HourlyRate, InvoiceId, Period, ProjectId, ReportInput, Tags, TaskId, Text, TimeEntry,
    TimeEntryId, TimeRange, UserId,
};

use crate::schema::{projects, tasks, time_entries};
use crate::{DbConnection, PersistenceError, Result, id, now, to_naive, to_utc};

#[derive(Queryable, Selectable)]
#[diesel(table_name = time_entries)]
struct EntryRow {
    id: i64,
    user_id: i64,
    project_id: i64,
    task_id: Option<i64>,
    start_time: chrono::NaiveDateTime,
    end_time: Option<chrono::NaiveDateTime>,
    notes: String,
    tags: String,
    billable: bool,
    invoice_id: Option<i64>,
}

impl EntryRow {
    fn into_domain(self) -> Result<TimeEntry> {
        Ok(TimeEntry {
            id: id(self.id, TimeEntryId::new)?,
            user_id: id(self.user_id, UserId::new)?,
            project_id: id(self.project_id, ProjectId::new)?,
            task_id: self.task_id.map(|t| id(t, TaskId::new)).transpose()?,
            start: to_utc(self.start_time),
            end: self.end_time.map(to_utc),
            notes: Text::parse(&self.notes).map_err(|_| PersistenceError::Corrupt("notes"))?,
            tags: Tags::from_stored(&self.tags),
            billable: self.billable,
            invoice_id: self.invoice_id.map(|i| id(i, InvoiceId::new)).transpose()?,
        })
    }
}

/// What a timer start or a manual entry needs.
#[derive(Debug, Clone)]
pub struct EntryFields {
    /// Project.
    pub project_id: ProjectId,
    /// Task (must belong to the project).
    pub task_id: Option<TaskId>,
    /// Notes.
    pub notes: Text,
    /// Tags.
    pub tags: Tags,
    /// Billable; `None` takes the project's default.
    pub billable: Option<bool>,
}

/// Checks that the project exists and is open, and that the task (if any)
/// belongs to it; returns the project's billable default.
fn check_refs(conn: &mut DbConnection, f: &EntryFields) -> Result<bool> {
    let (archived, billable): (bool, bool) = projects::table
        .find(f.project_id.get())
        .select((projects::archived, projects::billable))
        .first(conn)
        .optional()?
        .ok_or(PersistenceError::Invalid("project does not exist"))?;
    if archived {
        return Err(PersistenceError::Invalid("project is archived"));
    }
    if let Some(t) = f.task_id {
        let task_project: Option<i64> = tasks::table
            .find(t.get())
            .select(tasks::project_id)
            .first(conn)
            .optional()?;
        if task_project != Some(f.project_id.get()) {
            return Err(PersistenceError::Invalid(
                "task does not belong to the project",
            ));
        }
    }
    Ok(f.billable.unwrap_or(billable))
}

/// Starts a timer for `user`. If one is running already — even one started
/// a microsecond ago by a concurrent request — this is
/// `Conflict("a timer is already running")`.
pub fn start_timer(conn: &mut DbConnection, user: UserId, f: &EntryFields) -> Result<TimeEntry> {
    crate::connection::write_transaction(conn, |conn| {
        let billable = check_refs(conn, f)?;
        let new_id: i64 = diesel::insert_into(time_entries::table)
            .values((
                time_entries::user_id.eq(user.get()),
                time_entries::project_id.eq(f.project_id.get()),
                time_entries::task_id.eq(f.task_id.map(TaskId::get)),
                time_entries::start_time.eq(to_naive(now())),
                time_entries::end_time.eq(None::<chrono::NaiveDateTime>),
                time_entries::notes.eq(f.notes.as_str()),
                time_entries::tags.eq(f.tags.to_stored()),
                time_entries::billable.eq(billable),
                time_entries::created_at.eq(to_naive(now())),
            ))
            .returning(time_entries::id)
            .get_result(conn)
            .map_err(|e| match PersistenceError::from(e) {
                PersistenceError::Conflict(_) => {
                    PersistenceError::Conflict("a timer is already running")
                }
                other => other,
            })?;
        find(conn, user, id(new_id, TimeEntryId::new)?)
    })
}

/// The user's running timer, if any.
pub fn running_timer(conn: &mut DbConnection, user: UserId) -> Result<Option<TimeEntry>> {
    time_entries::table
        .filter(time_entries::user_id.eq(user.get()))
        .filter(time_entries::end_time.is_null())
        .select(EntryRow::as_select())
        .first(conn)
        .optional()?
        .map(EntryRow::into_domain)
        .transpose()
}

/// Stops the user's running timer; `NotFound` if none runs.
pub fn stop_timer(conn: &mut DbConnection, user: UserId) -> Result<TimeEntry> {
    crate::connection::write_transaction(conn, |conn| {
        let running = running_timer(conn, user)?.ok_or(PersistenceError::NotFound)?;
        // An entry lasts at least one second, so the CHECK (end > start) holds.
        let end = now().max(running.start + chrono::Duration::seconds(1));
        diesel::update(time_entries::table.find(running.id.get()))
            .set(time_entries::end_time.eq(Some(to_naive(end))))
            .execute(conn)?;
        find(conn, user, running.id)
    })
}

/// Adds a finished entry.
pub fn create(
    conn: &mut DbConnection,
    user: UserId,
    range: TimeRange,
    f: &EntryFields,
) -> Result<TimeEntry> {
    crate::connection::write_transaction(conn, |conn| {
        let billable = check_refs(conn, f)?;
        let new_id: i64 = diesel::insert_into(time_entries::table)
            .values((
                time_entries::user_id.eq(user.get()),
                time_entries::project_id.eq(f.project_id.get()),
                time_entries::task_id.eq(f.task_id.map(TaskId::get)),
                time_entries::start_time.eq(to_naive(range.start())),
                time_entries::end_time.eq(Some(to_naive(range.end()))),
                time_entries::notes.eq(f.notes.as_str()),
                time_entries::tags.eq(f.tags.to_stored()),
                time_entries::billable.eq(billable),
                time_entries::created_at.eq(to_naive(now())),
            ))
            .returning(time_entries::id)
            .get_result(conn)?;
        find(conn, user, id(new_id, TimeEntryId::new)?)
    })
}

/// One of the user's entries; another user's entry is `NotFound`.
pub fn find(conn: &mut DbConnection, user: UserId, entry: TimeEntryId) -> Result<TimeEntry> {
    time_entries::table
        .find(entry.get())
        .filter(time_entries::user_id.eq(user.get()))
        .select(EntryRow::as_select())
        .first(conn)?
        .into_domain()
}

/// The user's entries that started in `period` (or all), newest first.
pub fn list(
    conn: &mut DbConnection,
    user: UserId,
    period: Option<Period>,
    limit: i64,
) -> Result<Vec<TimeEntry>> {
    let mut q = time_entries::table
        .filter(time_entries::user_id.eq(user.get()))
        .select(EntryRow::as_select())
        .order((time_entries::start_time.desc(), time_entries::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(p) = period {
        q = q
            .filter(time_entries::start_time.ge(to_naive(p.from())))
            .filter(time_entries::start_time.lt(to_naive(p.to())));
    }
    q.load(conn)?
        .into_iter()
        .map(EntryRow::into_domain)
        .collect()
}

/// Replaces a finished entry's fields. Invoiced entries are frozen; a
/// running timer can only have its project, task, notes and tags changed.
pub fn update(
    conn: &mut DbConnection,
    user: UserId,
    entry: TimeEntryId,
    range: Option<TimeRange>,
    f: &EntryFields,
) -> Result<TimeEntry> {
    crate::connection::write_transaction(conn, |conn| {
        let current = find(conn, user, entry)?;
        current.ensure_editable()?;
        let billable = check_refs(conn, f)?;
        let (start, end) = match (range, current.is_running()) {
            (Some(_), true) => {
                return Err(PersistenceError::Conflict(
                    "stop the timer before editing its times",
                ));
            }
            (Some(r), false) => (r.start(), Some(r.end())),
            (None, _) => (current.start, current.end),
        };
        diesel::update(time_entries::table.find(entry.get()))
            .set((
                time_entries::project_id.eq(f.project_id.get()),
                time_entries::task_id.eq(f.task_id.map(TaskId::get)),
                time_entries::start_time.eq(to_naive(start)),
                time_entries::end_time.eq(end.map(to_naive)),
                time_entries::notes.eq(f.notes.as_str()),
                time_entries::tags.eq(f.tags.to_stored()),
                time_entries::billable.eq(billable),
            ))
            .execute(conn)?;
        find(conn, user, entry)
    })
}

/// Deletes one of the user's entries (not one that is invoiced).
pub fn delete(conn: &mut DbConnection, user: UserId, entry: TimeEntryId) -> Result<()> {
    crate::connection::write_transaction(conn, |conn| {
        find(conn, user, entry)?.ensure_editable()?;
        diesel::delete(time_entries::table.find(entry.get())).execute(conn)?;
        Ok(())
    })
}

/// How many timers are running across all users.
pub fn count_running(conn: &mut DbConnection) -> Result<i64> {
    Ok(time_entries::table
        .filter(time_entries::end_time.is_null())
        .count()
        .get_result(conn)?)
}

/// Finished entries that started in `period`, for reports: of one user, or
/// of everybody when `user` is `None`. Oldest first.
pub fn report_inputs(
    conn: &mut DbConnection,
    user: Option<UserId>,
    period: Period,
) -> Result<Vec<(TimeEntry, ReportInput)>> {
    let mut q = time_entries::table
        .inner_join(projects::table)
        .filter(time_entries::end_time.is_not_null())
        .filter(time_entries::start_time.ge(to_naive(period.from())))
        .filter(time_entries::start_time.lt(to_naive(period.to())))
        .select((EntryRow::as_select(), projects::hourly_rate_cents))
        .order((time_entries::start_time.asc(), time_entries::id.asc()))
        .into_boxed();
    if let Some(u) = user {
        q = q.filter(time_entries::user_id.eq(u.get()));
    }
    let rows: Vec<(EntryRow, Option<i64>)> = q.load(conn)?;
    rows.into_iter()
        .map(|(row, rate)| {
            let e = row.into_domain()?;
            let input = ReportInput {
                user_id: e.user_id,
                project_id: e.project_id,
                start: e.start,
                seconds: e.seconds(e.start),
                billable: e.billable,
                rate: rate.and_then(HourlyRate::from_cents),
            };
            Ok((e, input))
        })
        .collect()
}

/// Seconds tracked by `user` since `since` (for the dashboard).
pub fn seconds_since(conn: &mut DbConnection, user: UserId, since: DateTime<Utc>) -> Result<i64> {
    // Only the two times: a busy day can hold many entries, and their notes
    // and tags are not needed to add them up.
    let spans: Vec<(chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> = time_entries::table
        .filter(time_entries::user_id.eq(user.get()))
        .filter(time_entries::start_time.ge(to_naive(since)))
        .select((time_entries::start_time, time_entries::end_time))
        .load(conn)?;
    let now = now();
    Ok(spans
        .into_iter()
        .map(|(start, end)| {
            (end.map_or(now, to_utc) - to_utc(start))
                .num_seconds()
                .max(0)
        })
        .sum())
}
