//! A user's own data, as a download (JSON or CSV): the right to data
//! portability. Used by `GET /api/v1/me/export`, the profile page and
//! `timetracker privacy export`.

use serde_json::json;
use tt_domain::UserId;
use tt_persistence::{DbConnection, PersistenceError};

use crate::api::dto::{CommentDto, EntryDto, UserDto, hours};

/// Everything stored about `user`: profile, time entries and comments.
pub fn export_json(conn: &mut DbConnection, user: UserId) -> Result<Vec<u8>, PersistenceError> {
    let profile = tt_persistence::users::find(conn, user)?;
    let entries = tt_persistence::entries::list(conn, user, None, i64::MAX)?;
    let comments = tt_persistence::work::list_comments_by_author(conn, user)?;
    let now = tt_persistence::now();
    let doc = json!({
        "format": "timetracker-user-export",
        "version": 1,
        "exported_at": now,
        "user": UserDto::from(&profile),
        "time_entries": entries.iter().map(|e| EntryDto::new(e, now)).collect::<Vec<_>>(),
        "comments": comments.iter().map(CommentDto::from).collect::<Vec<_>>(),
    });
    serde_json::to_vec_pretty(&doc).map_err(|_| PersistenceError::Corrupt("export encoding"))
}

/// The user's time entries as CSV (one row per entry, all of them).
pub fn export_csv(conn: &mut DbConnection, user: UserId) -> Result<Vec<u8>, PersistenceError> {
    let entries = tt_persistence::entries::list(conn, user, None, i64::MAX)?;
    let projects = tt_persistence::work::list_projects(conn, None, true)?;
    let name = |id| {
        projects
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.to_string())
            .unwrap_or_default()
    };
    let now = tt_persistence::now();
    let mut w = csv::Writer::from_writer(Vec::new());
    let bad = |_| PersistenceError::Corrupt("export encoding");
    w.write_record([
        "id",
        "project",
        "task_id",
        "start",
        "end",
        "duration_seconds",
        "hours",
        "billable",
        "tags",
        "notes",
    ])
    .map_err(bad)?;
    for e in &entries {
        let seconds = e.seconds(now);
        w.write_record([
            e.id.to_string(),
            crate::api::reports::cell(&name(e.project_id)),
            e.task_id.map(|t| t.to_string()).unwrap_or_default(),
            e.start.to_rfc3339(),
            e.end.map(|t| t.to_rfc3339()).unwrap_or_default(),
            seconds.to_string(),
            hours(seconds),
            e.billable.to_string(),
            crate::api::reports::cell(&e.tags.to_stored()),
            crate::api::reports::cell(e.notes.as_str()),
        ])
        .map_err(bad)?;
    }
    w.into_inner()
        .map_err(|_| PersistenceError::Corrupt("export encoding"))
}
