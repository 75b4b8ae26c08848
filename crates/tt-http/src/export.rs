//! A user's own data rendered for download (JSON or CSV): the right to data
//! portability. The data comes from `tt_app::export`; used by
//! `GET /api/v1/me/export`, the profile page and `timetracker privacy export`.

use serde_json::json;
use tt_app::export::UserData;

use crate::api::dto::{CommentDto, EntryDto, UserDto, hours};
use crate::api::reports::cell;

type RenderError = Box<dyn std::error::Error + Send + Sync>;

/// Everything stored about the user: profile, time entries and comments.
pub fn render_json(data: &UserData) -> Result<Vec<u8>, RenderError> {
    let now = tt_app::now();
    let doc = json!({
        "format": "timetracker-user-export",
        "version": 1,
        "exported_at": now,
        "user": UserDto::from(&data.user),
        "time_entries": data.entries.iter().map(|e| EntryDto::new(e, now)).collect::<Vec<_>>(),
        "comments": data.comments.iter().map(CommentDto::from).collect::<Vec<_>>(),
    });
    Ok(serde_json::to_vec_pretty(&doc)?)
}

/// The user's time entries as CSV (one row per entry, all of them).
pub fn render_csv(data: &UserData) -> Result<Vec<u8>, RenderError> {
    let now = tt_app::now();
    let mut w = csv::Writer::from_writer(Vec::new());
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
    ])?;
    for e in &data.entries {
        let seconds = e.seconds(now);
        let project = data.projects.get(&e.project_id).map_or("", String::as_str);
        w.write_record([
            e.id.to_string(),
            cell(project),
            e.task_id.map(|t| t.to_string()).unwrap_or_default(),
            e.start.to_rfc3339(),
            e.end.map(|t| t.to_rfc3339()).unwrap_or_default(),
            seconds.to_string(),
            hours(seconds),
            e.billable.to_string(),
            cell(&e.tags.to_stored()),
            cell(e.notes.as_str()),
        ])?;
    }
    Ok(w.into_inner().map_err(|e| e.to_string())?)
}
