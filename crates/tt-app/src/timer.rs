//! The timer: start, stop, and what is running. A running timer is a time
//! entry without an end; the database allows at most one per user.

use tt_domain::TimeEntry;
use tt_persistence::entries as repo;

use crate::entries::{EntryDetails, resolve_details};
use crate::{Actor, App, AppError, Result, events, now};

/// Starts the actor's timer on a project (and optionally a task). A second
/// start while one runs — even a simultaneous one — is a conflict.
pub fn start(app: &App, actor: &Actor, details: EntryDetails) -> Result<TimeEntry> {
    let entry = app.write(|c| {
        let fields = resolve_details(c, &details, None)?;
        Ok(repo::insert(c, actor.id(), now(), None, &fields)?)
    })?;
    app.track(
        events::timer_started(&entry, actor.surface),
        Some(actor.id()),
    );
    Ok(entry)
}

/// Stops the actor's running timer; `NotFound` if none runs.
pub fn stop(app: &App, actor: &Actor) -> Result<TimeEntry> {
    let entry = app.write(|c| {
        let running = repo::running_timer(c, actor.id())?.ok_or(AppError::NotFound)?;
        tt_persistence::locks::entry(c, running.id)?;
        // An entry lasts at least one second, so the CHECK (end > start) holds.
        let end = now().max(running.start + chrono::Duration::seconds(1));
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

/// How many timers run across all users (a metrics gauge).
pub fn count_running(app: &App) -> Result<i64> {
    app.read(|c| Ok(repo::count_running(c)?))
}
