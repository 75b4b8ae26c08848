//! A user's own data, for the right to data portability: profile, time
//! entries and comments. The surfaces render it (JSON, CSV).

use std::collections::HashMap;

use tt_domain::{Comment, ProjectId, TimeEntry, User};

use crate::{Actor, App, Result, events};

/// Everything stored about one user.
#[derive(Debug, Clone)]
pub struct UserData {
    /// The account.
    pub user: User,
    /// All their entries, newest first.
    pub entries: Vec<TimeEntry>,
    /// All their comments, oldest first.
    pub comments: Vec<Comment>,
    /// Names of the projects their entries are on.
    pub projects: HashMap<ProjectId, String>,
    /// The zone their times are written in: their own.
    pub calendar: tt_domain::Calendar,
    /// The telemetry consent changes they made (administrators), oldest
    /// first.
    pub consent_changes: Vec<crate::consent::ConsentChange>,
}

fn collect(app: &App, user: &User) -> Result<UserData> {
    let consent_changes = crate::consent::changes_by(app, user.id)?;
    app.read(|c| {
        let entries = tt_persistence::entries::list(c, user.id, None, i64::MAX)?;
        let comments = tt_persistence::work::list_comments_by_author(c, user.id)?;
        let projects = tt_persistence::work::list_projects(c, None, true)?
            .into_iter()
            .map(|p| (p.id, p.name.to_string()))
            .collect();
        Ok(UserData {
            user: user.clone(),
            entries,
            comments,
            projects,
            calendar: app.calendar_of(user),
            consent_changes,
        })
    })
}

/// The actor downloads their own data (`csv` says which format, tracked).
pub fn own_data(app: &App, actor: &Actor, csv: bool) -> Result<UserData> {
    let data = collect(app, &actor.user)?;
    app.track(events::own_data_exported(csv), Some(actor.id()));
    Ok(data)
}

/// The operator exports a user's data on the command line, by username.
pub fn by_operator(app: &App, username: &str) -> Result<UserData> {
    let user = app.read(|c| Ok(tt_persistence::users::find_with_hash(c, username)?.0))?;
    collect(app, &user)
}
