//! Time entries: add, change, delete, list. An entry is its owner's (and
//! visible to administrators); once invoiced it is frozen. The time rules
//! (length, years, future, overnight) are `tt_domain::TimeRange`'s.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use tt_domain::{
    Calendar, Period, ProjectId, Tags, TaskId, Text, TimeEntry, TimeEntryId, TimeRange,
    may_modify_entry, may_see_entry,
};
use tt_persistence::entries::{self as repo, EntryFields};
use tt_persistence::{DbConnection, PersistenceError};

use crate::{Actor, App, AppError, Result, events, now};

/// What an entry is about, as typed by the user.
#[derive(Debug, Clone)]
pub struct EntryDetails {
    /// The project (must exist and be open).
    pub project_id: ProjectId,
    /// The task (must belong to the project and be open).
    pub task_id: Option<TaskId>,
    /// Notes.
    pub notes: Text,
    /// Tags.
    pub tags: Tags,
    /// Billable; `None` takes the project's default.
    pub billable: Option<bool>,
}

/// When the work happened.
#[derive(Debug, Clone, Copy)]
pub enum EntryTimes {
    /// A start and an end instant (the API).
    Span {
        /// Start.
        start: DateTime<Utc>,
        /// End.
        end: DateTime<Utc>,
    },
    /// A day and two times of day in the user's zone (the web forms); an
    /// end before the start is the next day.
    Day {
        /// The day it started.
        date: NaiveDate,
        /// Start time.
        start: NaiveTime,
        /// End time.
        end: NaiveTime,
    },
}

impl EntryTimes {
    /// The range, by the domain's rules for entries; a day and times of
    /// day are read in `calendar`'s zone.
    pub fn range(self, calendar: &Calendar, now: DateTime<Utc>) -> Result<TimeRange> {
        Ok(match self {
            EntryTimes::Span { start, end } => TimeRange::for_entry(start, end, now)?,
            EntryTimes::Day { date, start, end } => {
                TimeRange::on_day(calendar, date, start, end, now)?
            }
        })
    }
}

/// Checks the project and task an entry names and settles `billable`.
/// `keep` is the entry being edited: its current project and task stay
/// acceptable even if archived since.
pub(crate) fn resolve_details(
    c: &mut DbConnection,
    d: &EntryDetails,
    keep: Option<&TimeEntry>,
) -> Result<EntryFields> {
    let project = tt_persistence::work::find_project(c, d.project_id).map_err(|e| match e {
        PersistenceError::NotFound => AppError::invalid_field("project_id", "no such project"),
        other => other.into(),
    })?;
    let kept_project = keep.is_some_and(|e| e.project_id == project.id);
    if project.archived && !kept_project {
        return Err(AppError::invalid_field(
            "project_id",
            "the project is archived",
        ));
    }
    if let Some(t) = d.task_id {
        let task = tt_persistence::work::find_task(c, t).map_err(|e| match e {
            PersistenceError::NotFound => AppError::invalid_field("task_id", "no such task"),
            other => other.into(),
        })?;
        if task.project_id != project.id {
            return Err(AppError::invalid_field(
                "task_id",
                "the task belongs to another project",
            ));
        }
        if task.archived && keep.is_none_or(|e| e.task_id != Some(t)) {
            return Err(AppError::invalid_field("task_id", "the task is archived"));
        }
    }
    Ok(EntryFields {
        project_id: d.project_id,
        task_id: d.task_id,
        notes: d.notes.clone(),
        tags: d.tags.clone(),
        billable: d.billable.unwrap_or(project.billable),
    })
}

/// Adds a finished entry for the actor.
pub fn create(
    app: &App,
    actor: &Actor,
    details: EntryDetails,
    times: EntryTimes,
) -> Result<TimeEntry> {
    let range = times.range(&app.calendar_of(&actor.user), now())?;
    let entry = app.write(|c| {
        let fields = resolve_details(c, &details, None)?;
        Ok(repo::insert(
            c,
            actor.id(),
            range.start(),
            Some(range.end()),
            &fields,
        )?)
    })?;
    app.track(
        events::entry_created(&entry, actor.surface),
        Some(actor.id()),
    );
    Ok(entry)
}

/// An entry the actor may see (their own; an admin's any).
pub fn get(app: &App, actor: &Actor, id: TimeEntryId) -> Result<TimeEntry> {
    app.read(|c| {
        let entry = repo::find(c, id)?;
        may_see_entry(&actor.user, &entry)?;
        Ok(entry)
    })
}

/// Changes an entry: its details, and its times unless it is a running
/// timer (whose times only stopping sets). Frozen once invoiced; locked
/// against a simultaneous invoice or edit.
pub fn update(
    app: &App,
    actor: &Actor,
    id: TimeEntryId,
    details: EntryDetails,
    times: Option<EntryTimes>,
) -> Result<TimeEntry> {
    let at = now();
    let entry = app.write(|c| {
        tt_persistence::locks::entry(c, id)?;
        let current = repo::find(c, id)?;
        may_modify_entry(&actor.user, &current)?;
        let (start, end) = match (times, current.is_running()) {
            (Some(_), true) => {
                return Err(AppError::conflict(
                    "stop the timer before editing its times",
                ));
            }
            (Some(t), false) => {
                let r = t.range(&app.calendar_of(&actor.user), at)?;
                (r.start(), Some(r.end()))
            }
            (None, _) => (current.start, current.end),
        };
        let fields = resolve_details(c, &details, Some(&current))?;
        if !repo::update(c, id, start, end, &fields)? {
            return Err(AppError::conflict(
                "this entry is on an invoice and cannot be changed",
            ));
        }
        Ok(repo::find(c, id)?)
    })?;
    app.track(
        events::entry_updated(&entry, actor.surface),
        Some(actor.id()),
    );
    Ok(entry)
}

/// Deletes an entry (never an invoiced one).
pub fn delete(app: &App, actor: &Actor, id: TimeEntryId) -> Result<()> {
    app.write(|c| {
        tt_persistence::locks::entry(c, id)?;
        let current = repo::find(c, id)?;
        may_modify_entry(&actor.user, &current)?;
        if !repo::delete(c, id)? {
            return Err(AppError::conflict(
                "this entry is on an invoice and cannot be changed",
            ));
        }
        Ok(())
    })?;
    app.track(events::entry_deleted(id, actor.surface), Some(actor.id()));
    Ok(())
}

/// The most entries one list returns.
pub const MAX_LIST: i64 = 5000;

/// The actor's entries that started in `period` (or all), newest first.
pub fn list(
    app: &App,
    actor: &Actor,
    period: Option<Period>,
    limit: i64,
) -> Result<Vec<TimeEntry>> {
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(AppError::invalid_field(
            "limit",
            "must be between 1 and 5000",
        ));
    }
    app.read(|c| Ok(repo::list(c, actor.id(), period, limit)?))
}

/// What the dashboard shows a user.
#[derive(Debug, Clone)]
pub struct Overview {
    /// The running timer.
    pub running: Option<TimeEntry>,
    /// Seconds tracked in entries that started today (in the user's zone).
    pub today_seconds: i64,
    /// Seconds tracked in entries that started this week (from the user's
    /// first weekday).
    pub week_seconds: i64,
    /// The latest entries, newest first.
    pub latest: Vec<TimeEntry>,
}

/// The actor's dashboard numbers. "Today" and "this week" are bounded on
/// both sides: an entry dated in the future never counts.
pub fn overview(app: &App, actor: &Actor, latest: i64) -> Result<Overview> {
    let at = now();
    let calendar = app.calendar_of(&actor.user);
    let today = calendar.today(at);
    let day = calendar.start_of_day(today);
    let tomorrow = calendar.start_of_day(today.succ_opt().unwrap_or(today));
    let week = calendar.start_of_day(calendar.week_of(today));
    let uid = actor.id();
    app.read(|c| {
        Ok(Overview {
            running: repo::running_timer(c, uid)?,
            today_seconds: repo::seconds_between(c, uid, day, tomorrow, at)?,
            week_seconds: repo::seconds_between(c, uid, week, tomorrow, at)?,
            latest: repo::list(c, uid, None, latest)?,
        })
    })
}
