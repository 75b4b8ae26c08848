//! Downloads and the way values are printed in them: a user's own data
//! (JSON or CSV; the right to data portability — `GET /api/v1/me/export`,
//! the profile page, `timetracker privacy export`), the CSV of report
//! entries, billed hours, spreadsheet-safe cells. The data comes from
//! `tt_app`; only the rendering is here.

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;
use std::collections::HashMap;
use tt_app::export::UserData;
use tt_app::reports::{EntryListing, ReportFilter};

use chrono::{DateTime, Utc};
use tt_domain::{BillableHours, Calendar, ProjectId, TimeEntry, UserId};
use utoipa::ToSchema;

use crate::api::dto::{CommentDto, EntryDto, UserDto};
use crate::error::HttpError;
use crate::state::AppState;

type RenderError = Box<dyn std::error::Error + Send + Sync>;

/// The JSON download of everything stored about a user.
#[derive(Serialize, ToSchema)]
pub(crate) struct UserExportDto {
    #[schema(value_type = String, pattern = "^timetracker-user-export$")]
    format: &'static str,
    #[schema(minimum = 1, maximum = 1)]
    version: u32,
    exported_at: DateTime<Utc>,
    user: UserDto,
    time_entries: Vec<EntryDto>,
    comments: Vec<CommentDto>,
    /// The telemetry consent changes this user made, oldest first.
    consent_changes: Vec<ConsentChangeDto>,
}

/// One change of a telemetry consent level.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConsentChangeDto {
    pub changed_at: DateTime<Utc>,
    /// `base` or `detailed`.
    #[schema(value_type = String, pattern = "^(base|detailed)$")]
    pub level: &'static str,
    /// `on`, `off`, or null when nothing had been decided before.
    #[schema(value_type = Option<String>, required)]
    pub from: Option<&'static str>,
    #[schema(value_type = String, pattern = "^(on|off)$")]
    pub to: &'static str,
    /// `setup`, `admin-page`, `api`, `cli` or `deployment`.
    #[schema(value_type = String)]
    pub surface: &'static str,
    /// Who, as recorded (`user:7`, `setup-cli`, `DO_NOT_TRACK=1`).
    pub actor: String,
}

fn on_off(v: bool) -> &'static str {
    if v { "on" } else { "off" }
}

impl From<&tt_app::consent::ConsentChange> for ConsentChangeDto {
    fn from(c: &tt_app::consent::ConsentChange) -> Self {
        ConsentChangeDto {
            changed_at: c.at,
            level: c.level.as_str(),
            from: c.from.map(on_off),
            to: on_off(c.to),
            surface: c.surface.as_str(),
            actor: c.actor.clone(),
        }
    }
}

/// Everything stored about the user: profile, time entries and comments.
pub fn render_json(data: &UserData) -> Result<Vec<u8>, RenderError> {
    let now = tt_app::now();
    let doc = UserExportDto {
        format: "timetracker-user-export",
        version: 1,
        exported_at: now,
        user: UserDto::from(&data.user),
        time_entries: data
            .entries
            .iter()
            .map(|e| EntryDto::new(e, now, &data.calendar))
            .collect(),
        comments: data.comments.iter().map(CommentDto::from).collect(),
        consent_changes: data
            .consent_changes
            .iter()
            .map(ConsentChangeDto::from)
            .collect(),
    };
    Ok(serde_json::to_vec_pretty(&doc)?)
}

/// The user's time entries as CSV (one row per entry, all of them).
pub fn render_csv(data: &UserData) -> Result<Vec<u8>, RenderError> {
    entries_csv(
        &data.entries,
        &data.projects,
        None,
        &data.calendar,
        tt_app::now(),
    )
}

/// Entries as CSV, one row each; with `users`, a `user` column too.
/// Times are in `calendar`'s zone, which every row names (`time_zone`):
/// the local `date`, and `start`/`end` in RFC 3339 with the UTC offset of
/// that moment, so no row is ambiguous across a daylight-saving change.
/// `hours_decimal` is decimal hours (1.50 = 1:30) for spreadsheets.
/// Running timers count up to `now`.
fn entries_csv(
    entries: &[TimeEntry],
    projects: &HashMap<ProjectId, String>,
    users: Option<&HashMap<UserId, String>>,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, RenderError> {
    // Every text cell quoted: a separator inside a name or a note never
    // splits the row.
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_writer(Vec::new());
    let mut header = vec!["id"];
    if users.is_some() {
        header.push("user");
    }
    header.extend([
        "project",
        "task_id",
        "time_zone",
        "date",
        "start",
        "end",
        "duration_seconds",
        "hours_decimal",
        "billable",
        "tags",
        "notes",
    ]);
    w.write_record(&header)?;
    for e in entries {
        let seconds = e.seconds(now);
        let mut row = vec![e.id.to_string()];
        if let Some(users) = users {
            row.push(cell(users.get(&e.user_id).map_or("", String::as_str)));
        }
        row.extend([
            cell(projects.get(&e.project_id).map_or("", String::as_str)),
            e.task_id.map(|t| t.to_string()).unwrap_or_default(),
            calendar.zone().name().to_owned(),
            calendar.date_of(e.start).to_string(),
            calendar.with_offset(e.start).to_rfc3339(),
            e.end
                .map(|t| calendar.with_offset(t).to_rfc3339())
                .unwrap_or_default(),
            seconds.to_string(),
            hours(seconds),
            e.billable.to_string(),
            cell(&e.tags.to_stored()),
            cell(e.notes.as_str()),
        ]);
        w.write_record(&row)?;
    }
    Ok(w.into_inner().map_err(|e| e.to_string())?)
}

/// Seconds as decimal hours with two places, rounded half up: the
/// quantity billing computes with.
pub(crate) fn hours(seconds: i64) -> String {
    BillableHours::from_seconds(seconds).to_string()
}

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Characters a spreadsheet may split a line on, whatever the file says
/// (a comma-separated file opened where `;` is the list separator, a
/// pasted row split on tabs or pipes).
const SEPARATORS: [char; 5] = [',', ';', '\t', '|', '\n'];

/// Neutralises spreadsheet formulas in an exported text cell: a formula
/// start at the beginning of the cell, or right after any character a
/// spreadsheet might split on, gets a `'` in front, so no split of the
/// cell can begin a formula.
pub(crate) fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    let mut at_start = true;
    for c in s.chars() {
        if at_start && FORMULA_STARTS.contains(&c) {
            out.push('\'');
        }
        out.push(c);
        at_start = SEPARATORS.contains(&c);
    }
    out
}

/// The CSV download of the finished entries a report filter takes (the
/// API and the reports page): the actor's own, or everybody's (or one
/// user's) for an administrator.
pub(crate) async fn entries_csv_response(
    state: &AppState,
    actor: tt_app::Actor,
    filter: ReportFilter,
) -> Result<HttpResponse, HttpError> {
    let period = filter.period;
    let listing: EntryListing = state
        .run(move |app| tt_app::reports::export_entries(app, &actor, &filter))
        .await?;
    // Finished entries only, so `now` plays no part.
    let bytes = entries_csv(
        &listing.entries,
        &listing.projects,
        Some(&listing.users),
        &listing.calendar,
        tt_app::now(),
    )
    .map_err(HttpError::Internal)?;
    let (from, to) = listing.calendar.days_of(&period);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"time-entries-{from}-to-{to}.csv\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(bytes))
}

/// Download of everything stored about the caller (JSON, or CSV of entries).
pub(crate) async fn export_response(
    state: &AppState,
    actor: tt_app::Actor,
    format: Option<&str>,
) -> Result<HttpResponse, HttpError> {
    let (ctype, ext, csv) = match format.unwrap_or("json") {
        "json" => ("application/json", "json", false),
        "csv" => ("text/csv; charset=utf-8", "csv", true),
        _ => return Err(HttpError::invalid_field("format", "must be json or csv")),
    };
    let data = state
        .run(move |app| tt_app::export::own_data(app, &actor, csv))
        .await?;
    let bytes = if csv {
        crate::export::render_csv(&data)
    } else {
        crate::export::render_json(&data)
    }
    .map_err(HttpError::Internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, ctype))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"timetracker-my-data.{ext}\""),
        ))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{FORMULA_STARTS, SEPARATORS, cell};

    proptest! {
        /// Whatever the text, no piece of the written cell that a
        /// spreadsheet might split off starts a formula, and only quotes
        /// were added.
        #[test]
        fn no_split_of_a_cell_starts_a_formula(s in any::<String>()) {
            let written = cell(&s);
            for piece in written.split(|c| SEPARATORS.contains(&c)) {
                prop_assert!(!piece.starts_with(FORMULA_STARTS), "{written:?}");
            }
            prop_assert_eq!(written.replace('\'', ""), s.replace('\'', ""));
        }
    }

    #[test]
    fn formula_starts_are_neutralised_after_any_separator() {
        let cases = [
            ("plain note", "plain note"),
            ("=1+1", "'=1+1"),
            ("x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"),
            ("a,+b", "a,'+b"),
            ("tab\t@SUM(A1)", "tab\t'@SUM(A1)"),
            ("line\n-2", "line\n'-2"),
            ("well-known", "well-known"),
            ("", ""),
        ];
        for (raw, written) in cases {
            assert_eq!(cell(raw), written, "{raw:?}");
        }
    }
}
