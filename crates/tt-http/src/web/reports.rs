//! Reports: a summary by project, user or day, and the CSV export of the
//! same period. Users see their own time; admins everybody's.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tt_domain::GroupBy;

use super::forms::{Opt, url_encode};
use super::page::{Layout, Nav, render_status};
use crate::auth::WebUser;
use crate::error::HttpError;
use crate::export::hours;
use crate::state::AppState;
use tt_app::input;

routes! {
    GET "/reports" => summary,
    GET "/reports/entries.csv" => entries_csv,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct ReportQuery {
    from: String,
    to: String,
    group_by: String,
}

#[derive(Debug)]
struct RowView {
    label: String,
    hours: String,
    billable_hours: String,
    amount: String,
    entries: u64,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    l: Layout,
    from: String,
    to: String,
    group_by: &'static str,
    group_label: &'static str,
    groups: Vec<Opt>,
    error: Option<String>,
    rows: Vec<RowView>,
    total_hours: String,
    total_billable_hours: String,
    total_amount: String,
    total_entries: u64,
    csv_href: String,
    everyone: bool,
}

fn group_label(g: GroupBy) -> &'static str {
    match g {
        GroupBy::Project => "Project",
        GroupBy::User => "User",
        GroupBy::Day => "Day",
    }
}

/// `GET /reports?from=&to=&group_by=`.
async fn summary(
    state: web::Data<AppState>,
    user: WebUser,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, HttpError> {
    let q = q.into_inner();
    let group_by: Result<GroupBy, String> = match q.group_by.trim() {
        "" => Ok(GroupBy::Project),
        s => s.parse().map_err(|e: tt_domain::DomainError| e.to_string()),
    };
    let calendar = user.calendar;
    let period =
        input::period_until_today(Some(&q.from), Some(&q.to), &calendar).map_err(|e| e.to_string());
    let mut page = ReportsPage {
        l: Layout::new(&user, "Reports", Nav::Reports)?,
        from: q.from.trim().to_owned(),
        to: q.to.trim().to_owned(),
        group_by: group_by.as_ref().map_or("project", |g| g.as_str()),
        group_label: group_by.as_ref().map_or("Project", |g| group_label(*g)),
        groups: [GroupBy::Project, GroupBy::User, GroupBy::Day]
            .into_iter()
            .map(|g| Opt::new(g.as_str(), group_label(g)))
            .collect(),
        error: None,
        rows: Vec::new(),
        total_hours: hours(0),
        total_billable_hours: hours(0),
        total_amount: money(&tt_domain::Amounts::default()),
        total_entries: 0,
        csv_href: String::new(),
        everyone: user.user.is_admin(),
    };
    let (period, group_by) = match (period, group_by) {
        (Ok(p), Ok(g)) => (p, g),
        (Err(e), _) | (_, Err(e)) => {
            page.error = Some(e);
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let actor = user.actor();
    let s = state
        .run(move |app| tt_app::reports::summary(app, &actor, period, group_by))
        .await?;
    let (from, to) = s.calendar.days_of(&s.period);
    let (from, to) = (from.to_string(), to.to_string());
    page.csv_href = format!(
        "/reports/entries.csv?from={}&to={}",
        url_encode(&from),
        url_encode(&to)
    );
    page.from = from;
    page.to = to;
    page.rows = s
        .summary
        .rows
        .iter()
        .map(|r| RowView {
            label: s.labels.get(&r.key).cloned().unwrap_or_default(),
            hours: hours(r.seconds),
            billable_hours: hours(r.billable_seconds),
            amount: money(&r.amount),
            entries: r.entries,
        })
        .collect();
    page.total_hours = hours(s.summary.seconds);
    page.total_billable_hours = hours(s.summary.billable_seconds);
    page.total_amount = money(&s.summary.amount);
    page.total_entries = s.summary.rows.iter().map(|r| r.entries).sum();
    render_status(StatusCode::OK, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsvQuery {
    from: String,
    to: String,
}

/// `GET /reports/entries.csv?from=&to=` with the browser session.
async fn entries_csv(
    state: web::Data<AppState>,
    user: WebUser,
    q: web::Query<CsvQuery>,
) -> Result<HttpResponse, HttpError> {
    let period = input::period_until_today(Some(&q.from), Some(&q.to), &user.calendar)?;
    crate::export::entries_csv_response(&state, user.actor(), period).await
}

/// What billable time is worth, per currency ("713.45 EUR + 12,000 JPY"),
/// or a dash when nothing.
fn money(a: &tt_domain::Amounts) -> String {
    if a.is_zero() {
        "—".to_owned()
    } else {
        a.to_string()
    }
}
