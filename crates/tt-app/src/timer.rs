//! The timer: start, stop, correct, continue, and what is running. A
//! running timer is a time entry without an end; the database allows at
//! most one per user.

use chrono::{DateTime, Utc};
use tt_domain::{ProjectId, TaskId, TimeEntry, TimeEntryId, TimeRange, may_see_entry};
use tt_persistence::entries as repo;

use crate::entries::{EntryDetails, ensure_no_overlap, resolve_details};
use crate::{Actor, App, AppError, Result, events, now};

/// Starts the actor's timer on a project (and optionally a task). A second
/// start while one runs — even a simultaneous one — is a conflict.
pub fn start(app: &App, actor: &Actor, details: EntryDetails) -> Result<TimeEntry> {
    let calendar = app.calendar_of(&actor.user);
    let entry = app.write(|c| {
        tt_persistence::locks::user_timeline(c, actor.id())?;
        let fields = resolve_details(c, &details, None)?;
        if repo::running_timer(c, actor.id())?.is_some() {
            return Err(AppError::conflict("a timer is already running"));
        }
        let mut at = now();
        // A timer stopped in its first second ends a moment from now (an
        // entry lasts at least a second): the next one starts after it.
        if let Some(end) =
            repo::first_overlapping(c, actor.id(), at, at + chrono::Duration::seconds(1), None)?
                .and_then(|e| e.end)
            && end <= at + chrono::Duration::seconds(1)
        {
            at = end;
        }
        // An entry typed for later today must not be run over.
        ensure_no_overlap(
            c,
            actor.id(),
            (at, at + chrono::Duration::seconds(1)),
            None,
            &calendar,
        )?;
        Ok(repo::insert(c, actor.id(), at, None, &fields)?)
    })?;
    app.track(
        events::timer_started(&entry, actor.surface),
        Some(actor.id()),
    );
    Ok(entry)
}

/// Starts the timer on what an earlier entry of the actor's was about: its
/// project, task, notes, tags and billable flag.
pub fn continue_entry(app: &App, actor: &Actor, id: TimeEntryId) -> Result<TimeEntry> {
    let earlier = app.read(|c| Ok(repo::find(c, id)?))?;
    may_see_entry(&actor.user, &earlier)?;
    if earlier.user_id != actor.id() {
        // An administrator sees others' entries but tracks only their own time.
        return Err(AppError::Forbidden(
            "you can continue only your own entries",
        ));
    }
    start(
        app,
        actor,
        EntryDetails {
            project_id: earlier.project_id,
            task_id: earlier.task_id,
            notes: earlier.notes,
            tags: earlier.tags,
            billable: Some(earlier.billable),
        },
    )
}

/// Corrects the actor's running timer: when it started (`None`: keep it to
/// the microsecond), and what it is about (billable `None`: as it is). The
/// start may not be in the future nor make the time overlap another
/// entry; `Conflict` if the timer stopped meanwhile.
pub fn correct(
    app: &App,
    actor: &Actor,
    start: Option<DateTime<Utc>>,
    details: EntryDetails,
) -> Result<TimeEntry> {
    let calendar = app.calendar_of(&actor.user);
    let entry = app.write(|c| {
        tt_persistence::locks::user_timeline(c, actor.id())?;
        let running = repo::running_timer(c, actor.id())?
            .ok_or_else(|| AppError::conflict("no timer is running; it may have been stopped"))?;
        let at = now();
        let start = match start {
            Some(s) => TimeRange::timer_start(s, at)?,
            None => running.start,
        };
        let details = EntryDetails {
            billable: details.billable.or(Some(running.billable)),
            ..details.clone()
        };
        let fields = resolve_details(c, &details, Some(&running))?;
        ensure_no_overlap(
            c,
            actor.id(),
            (start, at.max(start + chrono::Duration::seconds(1))),
            Some(running.id),
            &calendar,
        )?;
        if !repo::update_running(c, running.id, start, &fields)? {
            return Err(AppError::conflict(
                "no timer is running; it may have been stopped",
            ));
        }
        Ok(repo::find(c, running.id)?)
    })?;
    app.track(
        events::entry_updated(&entry, actor.surface),
        Some(actor.id()),
    );
    Ok(entry)
}

/// Stops the actor's running timer; `NotFound` if none runs. A timer that
/// ran into an entry typed in advance ends where that entry begins, so
/// the two never overlap.
pub fn stop(app: &App, actor: &Actor) -> Result<TimeEntry> {
    let entry = app.write(|c| {
        tt_persistence::locks::user_timeline(c, actor.id())?;
        let running = repo::running_timer(c, actor.id())?.ok_or(AppError::NotFound)?;
        tt_persistence::locks::entry(c, running.id)?;
        // An entry lasts at least one second, so the CHECK (end > start) holds.
        let mut end = now().max(running.start + chrono::Duration::seconds(1));
        if let Some(next) =
            repo::first_overlapping(c, actor.id(), running.start, end, Some(running.id))?
            && next.start > running.start
        {
            end = next.start;
        }
        if !repo::set_end(c, running.id, end)? {
            return Err(AppError::NotFound);
        }
        Ok(repo::find(c, running.id)?)
    })?;
    app.track(
        events::timer_stopped(&entry, actor.surface),
        Some(actor.id()),
    );
    Ok(entry)
}

/// The actor's running timer, if any.
pub fn running(app: &App, actor: &Actor) -> Result<Option<TimeEntry>> {
    app.read(|c| Ok(repo::running_timer(c, actor.id())?))
}

pub use repo::RunningEntry;

/// A signed-in user as loaded for a page: the account and their running
/// timer with its names, in one statement.
pub fn signed_in(
    app: &App,
    id: tt_domain::UserId,
) -> Result<(tt_domain::User, Option<RunningEntry>)> {
    app.read(|c| Ok(repo::user_and_running(c, id)?))
}

/// What the actor worked on most recently, newest first, each
/// project/task combination once and only where time can still be
/// tracked (open project, task neither done nor archived).
pub fn recent_work(
    app: &App,
    actor: &Actor,
    limit: usize,
) -> Result<Vec<(ProjectId, Option<TaskId>)>> {
    app.read(|c| {
        let combos = repo::recent_work(c, actor.id(), limit * 3)?;
        Ok(combos
            .into_iter()
            .filter(|w| {
                !w.project_archived
                    && match (w.task, w.task_state) {
                        (None, _) => true,
                        (Some(_), Some((archived, status))) => {
                            !archived && status != tt_domain::TaskStatus::Done
                        }
                        // A task that no longer exists: the triggers move
                        // its entries' combination to "no task" when it is
                        // deleted, so this does not happen; offered as
                        // nothing rather than as a failed page.
                        (Some(_), None) => false,
                    }
            })
            .map(|w| (w.project, w.task))
            .take(limit)
            .collect())
    })
}

/// How many timers run across all users (a metrics gauge).
pub fn count_running(app: &App) -> Result<i64> {
    app.read(|c| Ok(repo::count_running(c)?))
}
