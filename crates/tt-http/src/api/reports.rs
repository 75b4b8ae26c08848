//! Summary reports and the CSV export, both narrowed by one filter read
//! by `tt_app::reports::ReportFilter::parse`.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tt_app::reports::{FilterText, ReportFilter};
use tt_domain::{GroupBy, ReportKey};
use utoipa::{IntoParams, ToSchema};

use super::openapi::{Authed, BillableName, GroupByName, Query, Restricted};

use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::export::hours;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(summary).service(entries_csv);
}

/// The filter both operations take; every field optional. The same text
/// gets the same verdict on the reports page and its CSV download.
macro_rules! filter_query {
    ($(#[$doc:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$doc])*
        #[derive(Deserialize, IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        struct $name {
            /// First day, `YYYY-MM-DD`; absent: 29 days before `to`.
            #[serde(default)]
            from: Option<String>,
            /// Last day, `YYYY-MM-DD`; absent: today in the caller's zone.
            #[serde(default)]
            to: Option<String>,
            /// Only projects of this client. An id that names no client
            /// is a 422.
            #[serde(default)]
            #[param(value_type = Option<i64>, minimum = 1)]
            client_id: Option<String>,
            /// Only this project (422 if there is none).
            #[serde(default)]
            #[param(value_type = Option<i64>, minimum = 1)]
            project_id: Option<String>,
            /// Only this user's time (administrators; 422 if there is no
            /// such user). A regular user always gets their own time: their
            /// own id is accepted, any other id answers 403.
            #[serde(default)]
            #[param(value_type = Option<i64>, minimum = 1)]
            user_id: Option<String>,
            /// Only entries carrying this tag (exactly, letter case
            /// included).
            #[serde(default)]
            #[param(max_length = 50)]
            tag: Option<String>,
            /// Absent or empty: `all`.
            #[serde(default)]
            #[param(value_type = Option<BillableName>)]
            billable: Option<String>,
            $($extra)*
        }

        impl $name {
            fn filter_text(&self) -> FilterText {
                FilterText {
                    from: self.from.clone(),
                    to: self.to.clone(),
                    client_id: self.client_id.clone(),
                    project_id: self.project_id.clone(),
                    user_id: self.user_id.clone(),
                    tag: self.tag.clone(),
                    billable: self.billable.clone(),
                }
            }
        }
    };
}

filter_query!(SummaryQuery {
    /// Absent: `project`. Weeks start on the caller's first weekday and
    /// are keyed by their first day.
    #[serde(default)]
    #[param(value_type = Option<GroupByName>)]
    group_by: Option<String>,
});

/// One group: a project, a user, a day or a week.
#[derive(Serialize, ToSchema)]
pub(crate) struct RowDto {
    /// The project's or user's id, the day as `YYYY-MM-DD`, or the first
    /// day of the week as `YYYY-MM-DD`.
    key: String,
    label: String,
    seconds: i64,
    #[schema(pattern = r"^-?[0-9]+\.[0-9]{2}$")]
    hours: String,
    billable_seconds: i64,
    /// What the billable time is worth, per currency (ISO code → decimal
    /// text with the currency's decimals); money in different currencies
    /// is never added up. **Administrators only:** absent for other users,
    /// who see hours but no money.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    amounts: Option<BTreeMap<String, String>>,
    entries: u64,
}

/// Time (and, for administrators, money) over a period, grouped.
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
    /// Per currency, like a row's `amounts`. **Administrators only:**
    /// absent for other users.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    total_amounts: Option<BTreeMap<String, String>>,
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
        ReportKey::Day(d) | ReportKey::Week(d) => d.to_string(),
    }
}

/// Totals by project, user, day or week: the caller's time (admins:
/// everybody's, or one user's), narrowed by the filter.
#[utoipa::path(
    tag = "reports",
    params(SummaryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rows and totals", body = SummaryDto),
        Authed, Query, Restricted,
    ),
)]
#[get("/reports/summary")]
async fn summary(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<SummaryQuery>,
) -> Result<HttpResponse, HttpError> {
    let filter = ReportFilter::parse(&q.filter_text(), &user.calendar(&state))?;
    let group_by: GroupBy = q.group_by.as_deref().unwrap_or("project").parse()?;
    let actor = user.actor();
    let r = state
        .run(move |app| tt_app::reports::summary(app, &actor, &filter, group_by))
        .await?;
    let money = |a: &tt_domain::Amounts| r.money.then(|| amounts(a));
    let rows: Vec<RowDto> = r
        .summary
        .rows
        .iter()
        .map(|row| RowDto {
            key: key_text(row.key),
            label: r.labels.get(&row.key).cloned().unwrap_or_default(),
            seconds: row.seconds,
            hours: hours(row.seconds),
            billable_seconds: row.billable_seconds,
            amounts: money(&row.amount),
            entries: row.entries,
        })
        .collect();
    let (from, to) = r.calendar.days_of(&r.period);
    Ok(HttpResponse::Ok().json(SummaryDto {
        from,
        to,
        group_by: r.group_by.as_str(),
        rows,
        total_seconds: r.summary.seconds,
        total_hours: hours(r.summary.seconds),
        total_billable_seconds: r.summary.billable_seconds,
        total_amounts: money(&r.summary.amount),
    }))
}

filter_query!(CsvQuery {});

/// The finished entries the filter takes, as CSV: the caller's (admins:
/// everybody's, or one user's). Hours are decimal (`hours_decimal`).
#[utoipa::path(
    tag = "reports",
    params(CsvQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One row per finished entry", body = String, content_type = "text/csv"),
        Authed, Query, Restricted,
    ),
)]
#[get("/reports/entries.csv")]
async fn entries_csv(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<CsvQuery>,
) -> Result<HttpResponse, HttpError> {
    let filter = ReportFilter::parse(&q.filter_text(), &user.calendar(&state))?;
    crate::export::entries_csv_response(&state, user.actor(), filter).await
}
