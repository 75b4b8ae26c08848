//! Time entries and timers. A running timer is an entry without an end; the
//! unique partial index `time_entries_one_running_timer` guarantees at most
//! one per user, so two concurrent starts can never both succeed.
//!
//! Changes are guarded by `invoice_id IS NULL`: an entry billed by a
//! concurrent transaction is never changed, whatever the caller checked.

use chrono::{DateTime, Utc};
use diesel::IntoSql;
use diesel::prelude::*;
use tt_domain::{
    ClientId, HourlyRate, InvoiceId, Period, ProjectId, Tags, TaskId, TaskStatus, Text, TimeEntry,
    TimeEntryId, UserId,
};

use crate::schema::{clients, projects, recent_work, tasks, time_entries, users};
use crate::users::UserRow;
use crate::{DbConnection, FixedSqlDsl, PersistenceError, Result, Stamp, id, now, to_naive};

#[derive(Queryable, Selectable)]
#[diesel(table_name = time_entries)]
pub(crate) struct EntryRow {
    id: i64,
    user_id: i64,
    project_id: i64,
    task_id: Option<i64>,
    start_time: Stamp,
    end_time: Option<Stamp>,
    notes: String,
    tags: String,
    billable: bool,
    invoice_id: Option<i64>,
    updated_by: Option<i64>,
    updated_at: Option<Stamp>,
}

impl EntryRow {
    fn into_domain(self) -> Result<TimeEntry> {
        Ok(TimeEntry {
            id: id(self.id, TimeEntryId::new)?,
            user_id: id(self.user_id, UserId::new)?,
            project_id: id(self.project_id, ProjectId::new)?,
            task_id: self.task_id.map(|t| id(t, TaskId::new)).transpose()?,
            start: self.start_time.utc(),
            end: self.end_time.map(Stamp::utc),
            notes: Text::parse(&self.notes).map_err(|_| PersistenceError::Corrupt("notes"))?,
            tags: Tags::from_stored(&self.tags),
            billable: self.billable,
            invoice_id: self.invoice_id.map(|i| id(i, InvoiceId::new)).transpose()?,
            changed: match self.updated_at {
                Some(at) => Some((
                    self.updated_by.map(|u| id(u, UserId::new)).transpose()?,
                    at.utc(),
                )),
                None => None,
            },
        })
    }
}

/// The stored fields of an entry, already checked by the caller.
#[derive(Debug, Clone)]
pub struct EntryFields {
    /// Project.
    pub project_id: ProjectId,
    /// Task (belongs to the project).
    pub task_id: Option<TaskId>,
    /// Notes.
    pub notes: Text,
    /// Tags.
    pub tags: Tags,
    /// Billable.
    pub billable: bool,
}

/// The columns an insert and an update both write. `None` for the end is
/// written as NULL (a running timer), never skipped.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = time_entries, treat_none_as_null = true)]
struct EntryValues<'a> {
    project_id: i64,
    task_id: Option<i64>,
    start_time: chrono::NaiveDateTime,
    end_time: Option<chrono::NaiveDateTime>,
    notes: &'a str,
    tags: String,
    billable: bool,
}

impl<'a> EntryValues<'a> {
    fn new(start: DateTime<Utc>, end: Option<DateTime<Utc>>, f: &'a EntryFields) -> Self {
        EntryValues {
            project_id: f.project_id.get(),
            task_id: f.task_id.map(TaskId::get),
            start_time: to_naive(start),
            end_time: end.map(to_naive),
            notes: f.notes.as_str(),
            tags: f.tags.to_stored(),
            billable: f.billable,
        }
    }
}

/// Inserts an entry for `user`; without `end` it is a running timer, and if
/// one is running already — even one started a microsecond ago by a
/// concurrent request — this is `Conflict("a timer is already running")`.
pub fn insert(
    conn: &mut DbConnection,
    user: UserId,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    f: &EntryFields,
) -> Result<TimeEntry> {
    let new_id: i64 = diesel::insert_into(time_entries::table)
        .values((
            EntryValues::new(start, end, f),
            time_entries::user_id.eq(user.get()),
            time_entries::created_at.eq(to_naive(now())),
        ))
        .returning(time_entries::id)
        .get_result(conn)
        .map_err(|e| match PersistenceError::from(e) {
            PersistenceError::Conflict(_) if end.is_none() => {
                PersistenceError::Conflict("a timer is already running")
            }
            other => other,
        })?;
    find(conn, id(new_id, TimeEntryId::new)?)
}

/// The user's running timer, if any.
pub fn running_timer(conn: &mut DbConnection, user: UserId) -> Result<Option<TimeEntry>> {
    // No `LIMIT`: a partial unique index allows one running entry a user.
    crate::native!(conn, c => time_entries::table
        .filter(time_entries::user_id.eq(user.get()))
        .filter(time_entries::end_time.is_null())
        .select(EntryRow::as_select())
        .fixed_sql()
        .get_result(c))
    .optional()?
    .map(EntryRow::into_domain)
    .transpose()
}

/// A running timer with the names a page shows with it.
#[derive(Debug, Clone)]
pub struct RunningEntry {
    /// The entry (without an end).
    pub entry: TimeEntry,
    /// Its project's name.
    pub project: String,
    /// Its task's name, if it has a task.
    pub task: Option<String>,
}

/// A user and their running timer with its project's and task's names, in
/// one statement (every page shows both). No `LIMIT`: the user is found by
/// primary key, and the partial unique index allows one running entry.
pub fn user_and_running(
    conn: &mut DbConnection,
    user: UserId,
) -> Result<(tt_domain::User, Option<RunningEntry>)> {
    type Found = (UserRow, Option<EntryRow>, Option<String>, Option<String>);
    let (user, entry, project, task): Found = crate::native!(conn, c => users::table
        .left_join(
            time_entries::table.on(time_entries::user_id
                .eq(users::id)
                .and(time_entries::end_time.is_null())),
        )
        .left_join(projects::table.on(projects::id.eq(time_entries::project_id)))
        .left_join(tasks::table.on(time_entries::task_id.eq(tasks::id.nullable())))
        .filter(users::id.eq(user.get()))
        .select((
            UserRow::as_select(),
            Option::<EntryRow>::as_select(),
            projects::name.nullable(),
            tasks::name.nullable(),
        ))
        .fixed_sql()
        .get_result(c))?;
    Ok((user.into_domain()?.0, running_entry(entry, project, task)?))
}

/// A running entry as read with its project's and task's names (each
/// left-joined, so absent when there is no running entry).
pub(crate) fn running_entry(
    entry: Option<EntryRow>,
    project: Option<String>,
    task: Option<String>,
) -> Result<Option<RunningEntry>> {
    let Some(row) = entry else {
        return Ok(None);
    };
    let entry = row.into_domain()?;
    Ok(Some(RunningEntry {
        project: project.ok_or(PersistenceError::Corrupt("entry without its project"))?,
        task: match (entry.task_id, task) {
            (None, _) => None,
            (Some(_), Some(name)) => Some(name),
            (Some(_), None) => return Err(PersistenceError::Corrupt("entry without its task")),
        },
        entry,
    }))
}

/// Ends a running entry; returns whether it was still running.
pub fn set_end(conn: &mut DbConnection, entry: TimeEntryId, end: DateTime<Utc>) -> Result<bool> {
    let n = diesel::update(
        time_entries::table
            .find(entry.get())
            .filter(time_entries::end_time.is_null()),
    )
    .set(time_entries::end_time.eq(Some(to_naive(end))))
    .execute(conn)?;
    Ok(n == 1)
}

/// An entry by id, whoever owns it (the caller decides who may see it).
pub fn find(conn: &mut DbConnection, entry: TimeEntryId) -> Result<TimeEntry> {
    time_entries::table
        .find(entry.get())
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
    let rows: Vec<EntryRow> = crate::native!(conn, c => {
        let latest = time_entries::table
            .filter(time_entries::user_id.eq(user.get()))
            .select(EntryRow::as_select())
            .order((time_entries::start_time.desc(), time_entries::id.desc()))
            .limit(limit);
        match period {
            // The dashboard's latest entries: a static shape (see `native!`).
            None => latest.fixed_sql().load(c),
            Some(p) => latest
                .filter(time_entries::start_time.ge(Stamp::of(p.from())))
                .filter(time_entries::start_time.lt(Stamp::of(p.to())))
                .fixed_sql()
                .load(c),
        }
    })?;
    rows.into_iter().map(EntryRow::into_domain).collect()
}

/// Which entries a list shows: a user's (or everybody's), narrowed.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// Whose entries; `None`: everybody's.
    pub user: Option<UserId>,
    /// Started in this period.
    pub period: Option<Period>,
    /// On this project.
    pub project: Option<ProjectId>,
    /// On a project of this client.
    pub client: Option<ClientId>,
    /// Carrying this tag (exactly).
    pub tag: Option<String>,
    /// Billable or not.
    pub billable: Option<bool>,
}

impl EntryFilter {
    /// The user, when the filter narrows by nothing else.
    fn only_user(&self) -> Option<UserId> {
        let EntryFilter {
            user,
            period,
            project,
            client,
            tag,
            billable,
        } = self;
        let narrowed = period.is_some()
            || project.is_some()
            || client.is_some()
            || tag.is_some()
            || billable.is_some();
        (*user).filter(|_| !narrowed)
    }
}

/// Applies an [`EntryFilter`] to a boxed query over entries joined with
/// their projects (`narrowed!(q, f)`), or over entries alone
/// (`narrowed!(q, f, own)`, which ignores the client: use it only when
/// `f.client` is `None`).
macro_rules! narrowed {
    ($q:expr, $f:expr) => {{
        let f: &EntryFilter = $f;
        let mut q = narrowed!($q, f, own);
        if let Some(c) = f.client {
            q = q.filter(projects::client_id.eq(c.get()));
        }
        q
    }};
    ($q:expr, $f:expr, own) => {{
        let f: &EntryFilter = $f;
        let mut q = $q;
        if let Some(u) = f.user {
            q = q.filter(time_entries::user_id.eq(u.get()));
        }
        if let Some(p) = f.period {
            q = q
                .filter(time_entries::start_time.ge(to_naive(p.from())))
                .filter(time_entries::start_time.lt(to_naive(p.to())));
        }
        if let Some(p) = f.project {
            q = q.filter(time_entries::project_id.eq(p.get()));
        }
        if let Some(b) = f.billable {
            q = q.filter(time_entries::billable.eq(b));
        }
        if let Some(tag) = &f.tag {
            // Stored as `a,b,c`: look for `,tag,` in `,a,b,c,`.
            let escaped = tag
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            q = q.filter(
                ",".into_sql::<diesel::sql_types::Text>()
                    .concat(time_entries::tags)
                    .concat(",")
                    .like(format!("%,{escaped},%"))
                    .escape('\\'),
            );
        }
        q
    }};
}

/// One page of the entries `f` selects, newest first.
pub fn search(
    conn: &mut DbConnection,
    f: &EntryFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<TimeEntry>> {
    // As in `count`: the join only narrows by client.
    let rows: Vec<EntryRow> = crate::native!(conn, c => if let Some(user) = f.only_user() {
        // A person's list, unfiltered: a static shape (see `native!`).
        time_entries::table
            .filter(time_entries::user_id.eq(user.get()))
            .select(EntryRow::as_select())
            .order((time_entries::start_time.desc(), time_entries::id.desc()))
            .offset(offset)
            .limit(limit)
            .fixed_sql()
            .load(c)
    } else if f.client.is_some() {
        let q = time_entries::table
            .inner_join(projects::table)
            .select(EntryRow::as_select())
            .order((time_entries::start_time.desc(), time_entries::id.desc()))
            .offset(offset)
            .limit(limit)
            .into_boxed();
        narrowed!(q, f).load(c)
    } else {
        let q = time_entries::table
            .select(EntryRow::as_select())
            .order((time_entries::start_time.desc(), time_entries::id.desc()))
            .offset(offset)
            .limit(limit)
            .into_boxed();
        narrowed!(q, f, own).load(c)
    })?;
    rows.into_iter().map(EntryRow::into_domain).collect()
}

/// A page of the entries `f` selects (as [`search`]) and how many it
/// selects in all (as [`count`]), read together. A person's unfiltered
/// list is one statement whose rows carry the count the database keeps on
/// the user's row (an uncorrelated scalar subquery, read once): one trip
/// to the database, no walk over their history, and the page and its
/// count from the same snapshot. Other filters, and a page past the end,
/// count with a second statement.
pub fn search_counted(
    conn: &mut DbConnection,
    f: &EntryFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<TimeEntry>, usize)> {
    let Some(user) = f.only_user() else {
        let count = count(conn, f)?;
        return Ok((search(conn, f, offset, limit)?, count));
    };
    let rows: Vec<(EntryRow, Option<i64>)> = crate::native!(conn, c => {
        let total = users::table
            .find(user.get())
            .select(users::entry_count)
            .single_value();
        time_entries::table
            .filter(time_entries::user_id.eq(user.get()))
            .select((EntryRow::as_select(), total))
            .order((time_entries::start_time.desc(), time_entries::id.desc()))
            .offset(offset)
            .limit(limit)
            .fixed_sql()
            .load(c)
    })?;
    let Some(total) = rows.first().map(|(_, n)| *n) else {
        return Ok((Vec::new(), count(conn, f)?));
    };
    let total = usize::try_from(total.unwrap_or(0)).unwrap_or(0);
    let entries = rows
        .into_iter()
        .map(|(row, _)| row.into_domain())
        .collect::<Result<_>>()?;
    Ok((entries, total))
}

/// How many entries `f` selects.
pub fn count(conn: &mut DbConnection, f: &EntryFilter) -> Result<usize> {
    // Every entry has its project (a foreign key), so the join only
    // narrows by client; without one, the count is read from the index on
    // (user, start) alone instead of visiting every row and its project.
    let n: i64 = crate::native!(conn, c => if let Some(user) = f.only_user() {
        // Kept by the database (migration `entry_counts`); a user who does
        // not exist has none.
        users::table
            .find(user.get())
            .select(users::entry_count)
            .fixed_sql()
            .get_result::<i64>(c)
            .optional()
            .map(Option::unwrap_or_default)
    } else if f.client.is_some() {
        let q = time_entries::table
            .inner_join(projects::table)
            .select(diesel::dsl::count_star())
            .into_boxed();
        narrowed!(q, f).get_result(c)
    } else {
        let q = time_entries::table
            .select(diesel::dsl::count_star())
            .into_boxed();
        narrowed!(q, f, own).get_result(c)
    })?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// When an entry started and ended (`None`: running).
pub type Span = (DateTime<Utc>, Option<DateTime<Utc>>);

/// The start and end of every entry `f` selects (for totals by day and
/// week, and the count), newest first.
pub fn search_spans(conn: &mut DbConnection, f: &EntryFilter) -> Result<Vec<Span>> {
    type Row = (Stamp, Option<Stamp>);
    // As in `count`: the join only narrows by client.
    let rows: Vec<Row> = crate::native!(conn, c => if f.client.is_some() {
        let q = time_entries::table
            .inner_join(projects::table)
            .select((time_entries::start_time, time_entries::end_time))
            .order((time_entries::start_time.desc(), time_entries::id.desc()))
            .into_boxed();
        narrowed!(q, f).load(c)
    } else {
        let q = time_entries::table
            .select((time_entries::start_time, time_entries::end_time))
            .order((time_entries::start_time.desc(), time_entries::id.desc()))
            .into_boxed();
        narrowed!(q, f, own).load(c)
    })?;
    Ok(rows
        .into_iter()
        .map(|(s, e)| (s.utc(), e.map(Stamp::utc)))
        .collect())
}

/// Replaces an unbilled entry's times and fields; a correction by someone
/// other than its owner (`corrected_by`) is recorded with its time.
/// Returns whether it was changed (`false`: it is gone or was billed
/// meanwhile).
pub fn update(
    conn: &mut DbConnection,
    entry: TimeEntryId,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    f: &EntryFields,
    corrected_by: Option<UserId>,
) -> Result<bool> {
    let target = time_entries::table
        .find(entry.get())
        .filter(time_entries::invoice_id.is_null());
    let values = EntryValues::new(start, end, f);
    let n = match corrected_by {
        Some(by) => diesel::update(target)
            .set((
                values,
                time_entries::updated_by.eq(Some(by.get())),
                time_entries::updated_at.eq(Some(to_naive(now()))),
            ))
            .execute(conn)?,
        None => diesel::update(target).set(values).execute(conn)?,
    };
    Ok(n == 1)
}

/// Corrects a running timer's start and fields; returns whether it was
/// still running (`false`: stopped or deleted meanwhile).
pub fn update_running(
    conn: &mut DbConnection,
    entry: TimeEntryId,
    start: DateTime<Utc>,
    f: &EntryFields,
) -> Result<bool> {
    let n = diesel::update(
        time_entries::table
            .find(entry.get())
            .filter(time_entries::end_time.is_null()),
    )
    .set(EntryValues::new(start, None, f))
    .execute(conn)?;
    Ok(n == 1)
}

/// The earliest of the user's entries (other than `except`) that shares
/// time with `start..end`: a running entry goes on, so all time after its
/// start is taken; touching ends (one ends at 10:00, the next starts at
/// 10:00) do not overlap.
///
/// Read from the (user, end) index, so the cost is that of the entries
/// ending after `start`, not of the user's whole history (starting a timer
/// now reads no finished entry at all). A user's entries never share time
/// (this check keeps it so), so the finished entry that ends first also
/// starts first, and a running entry starts after every finished one.
pub fn first_overlapping(
    conn: &mut DbConnection,
    user: UserId,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: Option<TimeEntryId>,
) -> Result<Option<TimeEntry>> {
    let except = except.map_or(0, TimeEntryId::get);
    let finished = time_entries::table
        .filter(time_entries::user_id.eq(user.get()))
        .filter(time_entries::end_time.gt(to_naive(start)))
        .filter(time_entries::start_time.lt(to_naive(end)))
        .filter(time_entries::id.ne(except))
        .order((time_entries::end_time.asc(), time_entries::id.asc()))
        .select(EntryRow::as_select())
        .first(conn)
        .optional()?;
    let row = match finished {
        Some(row) => Some(row),
        None => time_entries::table
            .filter(time_entries::user_id.eq(user.get()))
            .filter(time_entries::end_time.is_null())
            .filter(time_entries::start_time.lt(to_naive(end)))
            .filter(time_entries::id.ne(except))
            .order(time_entries::id.asc())
            .select(EntryRow::as_select())
            .first(conn)
            .optional()?,
    };
    row.map(EntryRow::into_domain).transpose()
}

/// A project/task combination someone worked on, with what decides
/// whether time can still be tracked on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentWork {
    /// The project.
    pub project: ProjectId,
    /// The task, if the combination has one.
    pub task: Option<TaskId>,
    /// Whether the project is archived.
    pub project_archived: bool,
    /// Whether the task is archived, and its status; `None` without a
    /// task, or when the task no longer exists.
    pub task_state: Option<(bool, TaskStatus)>,
}

/// `user`'s project/task combinations, newest first by the start of
/// their latest entry, at most `limit`: what they will most likely track
/// next. Read from `recent_work`, which the database keeps as entries come,
/// go and change (a few rows, however long the person's history), with
/// each combination's project and task in the same statement.
pub fn recent_work(conn: &mut DbConnection, user: UserId, limit: usize) -> Result<Vec<RecentWork>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    type Row = (i64, i64, bool, Option<bool>, Option<String>);
    let rows: Vec<Row> = crate::native!(conn, c => recent_work::table
        .inner_join(projects::table.on(projects::id.eq(recent_work::project_id)))
        .left_join(tasks::table.on(tasks::id.eq(recent_work::task_key)))
        .filter(recent_work::user_id.eq(user.get()))
        .order((
            recent_work::last_start.desc(),
            recent_work::project_id.desc(),
            recent_work::task_key.desc(),
        ))
        .select((
            recent_work::project_id,
            recent_work::task_key,
            projects::archived,
            tasks::archived.nullable(),
            tasks::status.nullable(),
        ))
        .limit(limit)
        .fixed_sql()
        .load(c))?;
    rows.into_iter()
        .map(|(p, t, project_archived, task_archived, status)| {
            let task_state = match (task_archived, status) {
                (Some(archived), Some(status)) => {
                    Some((archived, crate::work::task_status(&status)?))
                }
                _ => None,
            };
            Ok(RecentWork {
                project: id(p, ProjectId::new)?,
                // `task_key` 0 stands for no task (the key holds no NULL).
                task: (t != 0).then(|| id(t, TaskId::new)).transpose()?,
                project_archived,
                task_state,
            })
        })
        .collect()
}

/// Deletes an unbilled entry; returns whether it was deleted.
pub fn delete(conn: &mut DbConnection, entry: TimeEntryId) -> Result<bool> {
    let n = diesel::delete(
        time_entries::table
            .find(entry.get())
            .filter(time_entries::invoice_id.is_null()),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// How many timers are running across all users.
pub fn count_running(conn: &mut DbConnection) -> Result<i64> {
    Ok(time_entries::table
        .filter(time_entries::end_time.is_null())
        .count()
        .get_result(conn)?)
}

/// A finished entry with the two rates that decide what it is worth.
#[derive(Debug, Clone)]
pub struct RatedEntry {
    /// The entry.
    pub entry: TimeEntry,
    /// Its project's own rate.
    pub project_rate: Option<HourlyRate>,
    /// Its project's client's default rate.
    pub client_rate: Option<HourlyRate>,
    /// Its project's client's currency (`None`: no client; the company's
    /// default currency applies).
    pub currency: Option<tt_domain::Currency>,
}

fn rate(cents: Option<i64>) -> Result<Option<HourlyRate>> {
    cents
        .map(|c| HourlyRate::from_cents(c).ok_or(PersistenceError::Corrupt("hourly rate")))
        .transpose()
}

/// The finished entries `f` selects, for reports, oldest first.
pub fn rated_entries(conn: &mut DbConnection, f: &EntryFilter) -> Result<Vec<RatedEntry>> {
    let q = time_entries::table
        .inner_join(projects::table.left_join(clients::table))
        .filter(time_entries::end_time.is_not_null())
        .select((
            EntryRow::as_select(),
            projects::hourly_rate_cents,
            clients::default_rate_cents.nullable(),
            clients::currency.nullable(),
        ))
        .order((time_entries::start_time.asc(), time_entries::id.asc()))
        .into_boxed();
    type Row = (EntryRow, Option<i64>, Option<i64>, Option<String>);
    let rows: Vec<Row> = narrowed!(q, f).load(conn)?;
    let mut rated = Vec::with_capacity(rows.len());
    for (row, project_rate, client_rate, currency) in rows {
        let entry = row.into_domain()?;
        rated.push(RatedEntry {
            entry,
            project_rate: rate(project_rate)?,
            client_rate: rate(client_rate)?,
            currency: currency.as_deref().map(crate::currency).transpose()?,
        });
    }
    Ok(rated)
}

/// The start and end of `user`'s entries that started in `[from, to)`.
pub fn spans_started(
    conn: &mut DbConnection,
    user: UserId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Span>> {
    // Only the two times, read from the index: a busy week can hold many
    // entries, and their notes and tags are not needed to add them up.
    let rows: Vec<(Stamp, Option<Stamp>)> = crate::native!(conn, c => time_entries::table
            .filter(time_entries::user_id.eq(user.get()))
            .filter(time_entries::start_time.ge(Stamp::of(from)))
            .filter(time_entries::start_time.lt(Stamp::of(to)))
            .select((time_entries::start_time, time_entries::end_time))
            .fixed_sql()
            .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(s, e)| (s.utc(), e.map(Stamp::utc)))
        .collect())
}

/// How many entries name `task` (for deleting or moving it).
pub fn count_for_task(conn: &mut DbConnection, task: TaskId) -> Result<i64> {
    Ok(time_entries::table
        .filter(time_entries::task_id.eq(task.get()))
        .count()
        .get_result(conn)?)
}
