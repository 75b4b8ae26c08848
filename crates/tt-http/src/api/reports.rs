//! Summary reports and the CSV export.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tt_app::input;
use tt_domain::{GroupBy, ReportKey};
use utoipa::{IntoParams, ToSchema};

use super::openapi::{Authed, GroupByName, Query};

use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::export::hours;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(summary).service(entries_csv);
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SummaryQuery {
    /// First day, `YYYY-MM-DD`; absent: 29 days before `to`.
    #[serde(default)]
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`; absent: today (UTC).
    #[serde(default)]
    to: Option<String>,
    /// Absent: `project`.
    #[serde(default)]
    #[param(value_type = Option<GroupByName>)]
    group_by: Option<String>,
}

/// One group: a project, a user or a day.
#[derive(Serialize, ToSchema)]
pub(crate) struct RowDto {
    /// The project's or user's id, or the day as `YYYY-MM-DD`.
    key: String,
    label: String,
    seconds: i64,
    #[schema(pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    hours: String,
    billable_seconds: i64,
    /// What the billable time is worth, per currency (ISO code → decimal
    /// text with the currency's decimals); money in different currencies
    /// is never added up.
    amounts: BTreeMap<String, String>,
    entries: u64,
}

/// Time and money over a period, grouped.
#[derive(Serialize, ToSchema)]
pub(crate) struct SummaryDto {
    from: NaiveDate,
    to: NaiveDate,
    #[schema(value_type = GroupByName)]
    group_by: &'static str,
    rows: Vec<RowDto>,
    total_seconds: i64,
    #[schema(pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    total_hours: String,
    total_billable_seconds: i64,
    /// Per currency, like a row's `amounts`.
    total_amounts: BTreeMap<String, String>,
}

fn amounts(a: &tt_domain::Amounts) -> BTreeMap<String, String> {
    a.iter()
        .map(|(c, m)| (c.code().to_owned(), c.decimal(m)))
        .collect()
}

fn key_text(k: ReportKey) -> String {
    match k {
        ReportKey::Project(p) => p.to_string(),
        ReportKey::User(u) => u.to_string(),
        ReportKey::Day(d) => d.to_string(),
    }
}

/// Totals by project, user or day: the caller's time (admins: everybody's).
#[utoipa::path(
    tag = "reports",
    params(SummaryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rows and totals", body = SummaryDto),
        Authed, Query,
    ),
)]
#[get("/reports/summary")]
async fn summary(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<SummaryQuery>,
) -> Result<HttpResponse, HttpError> {
    let period =
        input::period_until_today(q.from.as_deref(), q.to.as_deref(), &user.calendar(&state))?;
    let group_by: GroupBy = q.group_by.as_deref().unwrap_or("project").parse()?;
    let actor = user.actor();
    let r = state
        .run(move |app| tt_app::reports::summary(app, &actor, period, group_by))
        .await?;
    let rows: Vec<RowDto> = r
        .summary
        .rows
        .iter()
        .map(|row| (row, r.labels.get(&row.key).cloned().unwrap_or_default()))
        .map(|(r, label)| RowDto {
            key: key_text(r.key),
            label,
            seconds: r.seconds,
            hours: hours(r.seconds),
            billable_seconds: r.billable_seconds,
            amounts: amounts(&r.amount),
            entries: r.entries,
        })
        .collect();
    Ok(HttpResponse::Ok().json(SummaryDto {
        from: r.calendar.days_of(&r.period).0,
        to: r.calendar.days_of(&r.period).1,
        group_by: r.group_by.as_str(),
        rows,
        total_seconds: r.summary.seconds,
        total_hours: hours(r.summary.seconds),
        total_billable_seconds: r.summary.billable_seconds,
        total_amounts: amounts(&r.summary.amount),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CsvQuery {
    /// First day, `YYYY-MM-DD`; absent: 29 days before `to`.
    #[serde(default)]
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`; absent: today (UTC).
    #[serde(default)]
    to: Option<String>,
}

/// A period's finished entries as CSV: the caller's (admins: everybody's).
#[utoipa::path(
    tag = "reports",
    params(CsvQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One row per finished entry", body = String, content_type = "text/csv"),
        Authed, Query,
    ),
)]
#[get("/reports/entries.csv")]
async fn entries_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<CsvQuery>,
) -> Result<HttpResponse, HttpError> {
    let period =
        input::period_until_today(q.from.as_deref(), q.to.as_deref(), &user.calendar(&state))?;
    crate::export::entries_csv_response(&state, user.actor(), period).await
}
