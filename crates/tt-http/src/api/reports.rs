//! Summary reports and the CSV export.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tt_domain::{GroupBy, Money, Period, ReportKey, ReportRow, TimeEntry, summarize};

use super::dto::{hours, parse_date};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tracking;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(summary).service(entries_csv);
}

/// `from`/`to` as inclusive dates; defaults to the last 30 days.
pub(crate) fn period_from_query(from: Option<&str>, to: Option<&str>) -> Result<Period, ApiError> {
    let today = Utc::now().date_naive();
    let to: NaiveDate = match to.filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_date("to", s)?,
        None => today,
    };
    let from: NaiveDate = match from.filter(|s| !s.trim().is_empty()) {
        Some(s) => parse_date("from", s)?,
        None => to - Duration::days(29),
    };
    let start = from.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let end = to
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    match (start, end) {
        (Some(s), Some(e)) => Ok(Period::new(s, e)?),
        _ => Err(ApiError::Validation("from/to: date out of range".into())),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SummaryQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    group_by: Option<String>,
}

#[derive(Serialize)]
struct RowDto {
    key: String,
    label: String,
    seconds: i64,
    hours: String,
    billable_seconds: i64,
    amount: String,
    entries: u64,
}

/// A computed summary, shared with the reports page.
pub(crate) struct Summary {
    pub group_by: GroupBy,
    pub period: Period,
    pub rows: Vec<(ReportRow, String)>,
    pub total_seconds: i64,
    pub total_amount: Money,
}

/// Admins see everybody's time; users their own.
pub(crate) async fn compute_summary(
    state: &AppState,
    user: &tt_domain::User,
    period: Period,
    group_by: GroupBy,
) -> Result<Summary, ApiError> {
    let scope = (!user.is_admin()).then_some(user.id);
    let (inputs, projects, users) = state
        .db(move |c| {
            let inputs = tt_persistence::entries::report_inputs(c, scope, period)?;
            let projects = tt_persistence::work::list_projects(c, None, true)?;
            let users = tt_persistence::users::list(c)?;
            Ok((inputs, projects, users))
        })
        .await?;
    let project_names: HashMap<_, _> = projects
        .iter()
        .map(|p| (p.id, p.name.to_string()))
        .collect();
    let user_names: HashMap<_, _> = users
        .iter()
        .map(|u| (u.id, u.username.to_string()))
        .collect();
    let rows = summarize(inputs.into_iter().map(|(_, i)| i), group_by);
    let total_seconds = rows.iter().map(|r| r.seconds).sum();
    let total_amount = rows.iter().map(|r| r.amount).sum();
    let rows = rows
        .into_iter()
        .map(|r| {
            let label = match r.key {
                ReportKey::Project(p) => project_names.get(&p).cloned().unwrap_or_default(),
                ReportKey::User(u) => user_names.get(&u).cloned().unwrap_or_default(),
                ReportKey::Day(d) => d.to_string(),
            };
            (r, label)
        })
        .collect();
    Ok(Summary {
        group_by,
        period,
        rows,
        total_seconds,
        total_amount,
    })
}

fn key_text(k: ReportKey) -> String {
    match k {
        ReportKey::Project(p) => p.to_string(),
        ReportKey::User(u) => u.to_string(),
        ReportKey::Day(d) => d.to_string(),
    }
}

#[get("/reports/summary")]
async fn summary(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    let period = period_from_query(q.from.as_deref(), q.to.as_deref())?;
    let group_by: GroupBy = q.group_by.as_deref().unwrap_or("project").parse()?;
    let s = compute_summary(&state, &user.0, period, group_by).await?;
    state.track(
        tracking::summary_viewed(s.group_by, s.period),
        Some(user.id()),
    );
    let rows: Vec<RowDto> = s
        .rows
        .iter()
        .map(|(r, label)| RowDto {
            key: key_text(r.key),
            label: label.clone(),
            seconds: r.seconds,
            hours: hours(r.seconds),
            billable_seconds: r.billable_seconds,
            amount: r.amount.to_string(),
            entries: r.entries,
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "from": s.period.from().date_naive(),
        "to": (s.period.to() - Duration::days(1)).date_naive(),
        "group_by": s.group_by.as_str(),
        "rows": rows,
        "total_seconds": s.total_seconds,
        "total_hours": hours(s.total_seconds),
        "total_amount": s.total_amount.to_string(),
    })))
}

/// Neutralises spreadsheet formulas in exported cells.
pub(crate) fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The CSV of a user's (or, for admins, everybody's) finished entries.
pub(crate) async fn entries_csv_bytes(
    state: &AppState,
    user: &tt_domain::User,
    period: Period,
) -> Result<(Vec<u8>, usize), ApiError> {
    let scope = (!user.is_admin()).then_some(user.id);
    let (rows, projects, users) = state
        .db(move |c| {
            let rows = tt_persistence::entries::report_inputs(c, scope, period)?;
            let projects = tt_persistence::work::list_projects(c, None, true)?;
            let users = tt_persistence::users::list(c)?;
            Ok((rows, projects, users))
        })
        .await?;
    let project_names: HashMap<_, _> = projects
        .iter()
        .map(|p| (p.id, p.name.to_string()))
        .collect();
    let user_names: HashMap<_, _> = users
        .iter()
        .map(|u| (u.id, u.username.to_string()))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "user",
        "project",
        "task_id",
        "start",
        "end",
        "duration_seconds",
        "hours",
        "billable",
        "tags",
        "notes",
    ];
    let io = |e: csv::Error| ApiError::Internal(e.to_string());
    w.write_record(header).map_err(io)?;
    let count = rows.len();
    for (e, _) in &rows {
        let e: &TimeEntry = e;
        let seconds = e.seconds(e.start);
        w.write_record([
            e.id.to_string(),
            cell(user_names.get(&e.user_id).map_or("", String::as_str)),
            cell(project_names.get(&e.project_id).map_or("", String::as_str)),
            e.task_id.map(|t| t.to_string()).unwrap_or_default(),
            e.start.to_rfc3339(),
            e.end.map(|t| t.to_rfc3339()).unwrap_or_default(),
            seconds.to_string(),
            hours(seconds),
            e.billable.to_string(),
            cell(&e.tags.to_stored()),
            cell(e.notes.as_str()),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((bytes, count))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

#[get("/reports/entries.csv")]
async fn entries_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<CsvQuery>,
) -> Result<HttpResponse, ApiError> {
    let period = period_from_query(q.from.as_deref(), q.to.as_deref())?;
    let (bytes, rows) = entries_csv_bytes(&state, &user.0, period).await?;
    state.track(tracking::csv_exported(rows), Some(user.id()));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"time-entries.csv\"",
        ))
        .body(bytes))
}
