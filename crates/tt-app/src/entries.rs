//! Time entries: add, change, delete, list. An entry is its owner's (and
//! visible to administrators); once invoiced it is frozen. The time rules
//! (length, years, future, overnight) are `tt_domain::TimeRange`'s.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use tt_domain::{
    Calendar, Period, ProjectId, Tags, TaskId, Text, TimeEntry, TimeEntryId, TimeRange,
    may_modify_entry, may_see_entry, tracked_seconds,
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

/// Refuses a time span that shares time with another of `owner`'s entries
/// (other than `except`), naming the entry in the way. Call it after
/// [`tt_persistence::locks::user_timeline`], which makes concurrent
/// changes to one person's entries take turns.
pub(crate) fn ensure_no_overlap(
    c: &mut DbConnection,
    owner: tt_domain::UserId,
    span: (DateTime<Utc>, DateTime<Utc>),
    except: Option<TimeEntryId>,
    calendar: &Calendar,
) -> Result<()> {
    let Some(other) = repo::first_overlapping(c, owner, span.0, span.1, except)? else {
        return Ok(());
    };
    let project = tt_persistence::work::find_project(c, other.project_id)
        .map(|p| p.name.to_string())
        .unwrap_or_else(|_| format!("project #{}", other.project_id));
    let day = calendar.local(other.start).format("%Y-%m-%d %H:%M");
    let when = match other.end {
        Some(end) if calendar.date_of(end) == calendar.date_of(other.start) => {
            format!("{day}–{}", calendar.local(end).format("%H:%M"))
        }
        Some(end) => format!("{day} – {}", calendar.local(end).format("%Y-%m-%d %H:%M")),
        None => format!("running since {day}"),
    };
    Err(AppError::conflict(format!(
        "this time overlaps entry #{} ({project}, {when}); change its times or these",
        other.id
    )))
}

/// Adds a finished entry for the actor.
pub fn create(
    app: &App,
    actor: &Actor,
    details: EntryDetails,
    times: EntryTimes,
) -> Result<TimeEntry> {
    let calendar = app.calendar_of(&actor.user);
    let range = times.range(&calendar, now())?;
    let entry = app.write(|c| {
        tt_persistence::locks::user_timeline(c, actor.id())?;
        // What the entry is about is checked first: a wrong project is a
        // mistake in the input, whatever else the time runs into.
        let fields = resolve_details(c, &details, None)?;
        ensure_no_overlap(c, actor.id(), (range.start(), range.end()), None, &calendar)?;
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
    let calendar = app.calendar_of(&actor.user);
    let entry = app.write(|c| {
        let owner = repo::find(c, id)?.user_id;
        tt_persistence::locks::user_timeline(c, owner)?;
        tt_persistence::locks::entry(c, id)?;
        let current = repo::find(c, id)?;
        may_modify_entry(&actor.user, &current)?;
        let fields = resolve_details(c, &details, Some(&current))?;
        let (start, end) = match (times, current.is_running()) {
            (Some(_), true) => {
                return Err(AppError::conflict(
                    "stop the timer before editing its times",
                ));
            }
            (Some(t), false) => {
                let r = t.range(&calendar, at)?;
                ensure_no_overlap(
                    c,
                    current.user_id,
                    (r.start(), r.end()),
                    Some(id),
                    &calendar,
                )?;
                (r.start(), Some(r.end()))
            }
            (None, _) => (current.start, current.end),
        };
        // Only someone else's change is a correction worth recording.
        let corrected_by = (actor.id() != current.user_id).then_some(actor.id());
        if !repo::update(c, id, start, end, &fields, corrected_by)? {
            return Err(AppError::conflict(
                "this entry is on an invoice and cannot be changed",
            ));
        }
        Ok(repo::find(c, id)?)
    })?;
    if entry.user_id != actor.id() {
        // Recorded on the entry too (who, when); this is the operator's copy.
        tracing::info!(
            entry = entry.id.get(),
            owner = entry.user_id.get(),
            by = actor.id().get(),
            "an administrator changed another user's time entry"
        );
    }
    app.track(
        events::entry_updated(&entry, actor.surface),
        Some(actor.id()),
    );
    Ok(entry)
}

/// Deletes an entry (never an invoiced one).
pub fn delete(app: &App, actor: &Actor, id: TimeEntryId) -> Result<()> {
    app.write(|c| {
        // The owner's row first, as every change of a user's entries (the
        // delete also changes that row: the entry count the database keeps).
        let owner = repo::find(c, id)?.user_id;
        tt_persistence::locks::user_timeline(c, owner)?;
        tt_persistence::locks::entry(c, id)?;
        let current = repo::find(c, id)?;
        may_modify_entry(&actor.user, &current)?;
        if !repo::delete(c, id)? {
            return Err(AppError::conflict(
                "this entry is on an invoice and cannot be changed",
            ));
        }
        if current.user_id != actor.id() {
            tracing::info!(
                entry = id.get(),
                owner = current.user_id.get(),
                by = actor.id().get(),
                "an administrator deleted another user's time entry"
            );
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

/// Entries on one page of a list.
pub const PAGE_SIZE: usize = 50;

/// What an entries list asks for. `user`: whose entries — the actor's own
/// unless an administrator names someone.
#[derive(Debug, Clone, Default)]
pub struct EntryQuery {
    /// Whose entries (administrators only; `None`: the actor's).
    pub user: Option<tt_domain::UserId>,
    /// Started in this period (local days of the actor).
    pub period: Option<Period>,
    /// On this project.
    pub project: Option<ProjectId>,
    /// On a project of this client.
    pub client: Option<tt_domain::ClientId>,
    /// Carrying this tag.
    pub tag: Option<String>,
    /// Billable or not.
    pub billable: Option<bool>,
    /// 1-based page number.
    pub page: usize,
    /// Entries per page, 1 to [`MAX_LIST`]; 0: [`PAGE_SIZE`].
    pub per_page: usize,
    /// Whether to add up the selected time (`seconds`, `day_totals`,
    /// `week_totals`): that reads the times of every selected entry, where
    /// the page and the count alone read one page and count rows.
    pub totals: bool,
}

/// One page of an entries list, with totals over everything selected.
#[derive(Debug, Clone)]
pub struct EntryPage {
    /// Whose entries these are.
    pub owner: tt_domain::UserId,
    /// This page's entries, newest first.
    pub entries: Vec<TimeEntry>,
    /// This page (1-based) and how many there are.
    pub page: usize,
    /// Number of pages (at least 1).
    pub pages: usize,
    /// Entries selected in all.
    pub count: usize,
    /// Their tracked seconds (running timers up to now).
    pub seconds: i64,
    /// Seconds per local day, for the days on this page (whole days, even
    /// where a day continues on the next page).
    pub day_totals: Vec<(NaiveDate, i64)>,
    /// Seconds per week (keyed by its first day), for the weeks on this page.
    pub week_totals: Vec<(NaiveDate, i64)>,
}

/// A page of entries: the actor's, or as an administrator anybody's.
pub fn search(app: &App, actor: &Actor, q: &EntryQuery) -> Result<EntryPage> {
    let per_page = match q.per_page {
        0 => PAGE_SIZE,
        n if n <= MAX_LIST as usize => n,
        _ => {
            return Err(AppError::invalid_field(
                "limit",
                "must be between 1 and 5000",
            ));
        }
    };
    let owner = q.user.unwrap_or(actor.id());
    tt_domain::may_view_time_of(&actor.user, owner)?;
    let calendar = app.calendar_of(&actor.user);
    let filter = repo::EntryFilter {
        user: Some(owner),
        period: q.period,
        project: q.project,
        client: q.client,
        tag: q.tag.clone().filter(|t| !t.trim().is_empty()),
        billable: q.billable,
    };
    let at = now();
    let (spans, count, entries, pages, page) = app.read(|c| {
        if owner != actor.id() {
            // A person who does not exist is a mistake worth saying.
            tt_persistence::users::find(c, owner).map_err(|e| match e {
                PersistenceError::NotFound => {
                    AppError::invalid_field("user_id", "there is no such person")
                }
                other => other.into(),
            })?;
        }
        // Past the last page there is nothing (a client paging on stops).
        let page = q.page.max(1);
        let offset = i64::try_from((page - 1).saturating_mul(per_page)).unwrap_or(i64::MAX);
        let (spans, count, entries) = if q.totals {
            let spans = repo::search_spans(c, &filter)?;
            let count = spans.len();
            let entries = if page > count.div_ceil(per_page).max(1) {
                Vec::new()
            } else {
                repo::search(c, &filter, offset, per_page as i64)?
            };
            (spans, count, entries)
        } else {
            let (entries, count) = repo::search_counted(c, &filter, offset, per_page as i64)?;
            (Vec::new(), count, entries)
        };
        let pages = count.div_ceil(per_page).max(1);
        Ok((spans, count, entries, pages, page))
    })?;
    let seconds_of = |(s, e): &repo::Span| tracked_seconds(*s, *e, at);
    let days: Vec<NaiveDate> = entries.iter().map(|e| calendar.date_of(e.start)).collect();
    let weeks: Vec<NaiveDate> = days.iter().map(|d| calendar.week_of(*d)).collect();
    let mut day_totals: Vec<(NaiveDate, i64)> = Vec::new();
    let mut week_totals: Vec<(NaiveDate, i64)> = Vec::new();
    for span in &spans {
        let day = calendar.date_of(span.0);
        if days.contains(&day) {
            add_to(&mut day_totals, day, seconds_of(span));
        }
        let week = calendar.week_of(day);
        if weeks.contains(&week) {
            add_to(&mut week_totals, week, seconds_of(span));
        }
    }
    Ok(EntryPage {
        owner,
        entries,
        page,
        pages,
        count,
        seconds: spans.iter().map(seconds_of).sum(),
        day_totals,
        week_totals,
    })
}

fn add_to(totals: &mut Vec<(NaiveDate, i64)>, key: NaiveDate, seconds: i64) {
    match totals.iter_mut().find(|(k, _)| *k == key) {
        Some((_, s)) => *s += seconds,
        None => totals.push((key, seconds)),
    }
}

/// What the dashboard shows a user.
#[derive(Debug, Clone)]
pub struct Overview {
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
    // Today is part of this week: one read of the week's times gives both.
    let (week_spans, latest) = app.read(|c| {
        Ok((
            repo::spans_started(c, uid, week, tomorrow)?,
            repo::list(c, uid, None, latest)?,
        ))
    })?;
    let seconds = |(start, end): &repo::Span| tracked_seconds(*start, *end, at);
    Ok(Overview {
        today_seconds: week_spans
            .iter()
            .filter(|(start, _)| *start >= day)
            .map(seconds)
            .sum(),
        week_seconds: week_spans.iter().map(seconds).sum(),
        latest,
    })
}
