//! Summary reports and the CSV export.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use tt_app::input;
use tt_domain::{GroupBy, ReportKey};

use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::export::hours;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(summary).service(entries_csv);
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
) -> Result<HttpResponse, HttpError> {
    let period = input::period_until_today(q.from.as_deref(), q.to.as_deref())?;
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
            amount: r.amount.to_string(),
            entries: r.entries,
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "from": r.period.from().date_naive(),
        "to": input::period_last_day(&r.period),
        "group_by": r.group_by.as_str(),
        "rows": rows,
        "total_seconds": r.summary.seconds,
        "total_hours": hours(r.summary.seconds),
        "total_billable_seconds": r.summary.billable_seconds,
        "total_amount": r.summary.amount.to_string(),
    })))
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
) -> Result<HttpResponse, HttpError> {
    let period = input::period_until_today(q.from.as_deref(), q.to.as_deref())?;
    crate::export::entries_csv_response(&state, user.actor(), period).await
}
