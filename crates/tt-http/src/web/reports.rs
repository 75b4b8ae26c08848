//! Reports: a summary by project, user, day or week with a chart, and the
//! CSV export of the same entries. One filter (period, client, project,
//! user, tag, billable) read by `tt_app::reports::ReportFilter::parse`,
//! like the API's. Users see their own hours; admins everybody's time and
//! what it is worth.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;
use tt_app::reports::{FilterChoices, FilterText, Report, ReportFilter};
use tt_domain::{BillableFilter, GroupBy, ReportKey};

use super::chart::{self, Chart, Datum};
use super::forms::{Opt, fmt_hm, url_encode};
use super::page::{Layout, Nav, render_status};
use crate::auth::WebUser;
use crate::error::HttpError;
use crate::state::AppState;

routes! {
    GET "/reports" => summary,
    GET "/reports/entries.csv" => entries_csv,
}

/// The form's fields as typed (a browser sends every field; blanks are
/// "not set").
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct ReportQuery {
    from: String,
    to: String,
    group_by: String,
    client_id: String,
    project_id: String,
    user_id: String,
    tag: String,
    billable: String,
}

impl ReportQuery {
    fn filter_text(&self) -> FilterText {
        let some = |s: &String| Some(s.clone());
        FilterText {
            from: some(&self.from),
            to: some(&self.to),
            client_id: some(&self.client_id),
            project_id: some(&self.project_id),
            user_id: some(&self.user_id),
            tag: some(&self.tag),
            billable: some(&self.billable),
        }
    }

    fn filter(&self, user: &WebUser) -> Result<ReportFilter, HttpError> {
        Ok(ReportFilter::parse(&self.filter_text(), &user.calendar)?)
    }

    fn group_by(&self) -> Result<GroupBy, HttpError> {
        match self.group_by.trim() {
            "" => Ok(GroupBy::Project),
            s => Ok(s.parse()?),
        }
    }
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
    q: ReportQuery,
    group_label: &'static str,
    groups: Vec<Opt>,
    clients: Vec<Opt>,
    projects: Vec<Opt>,
    users: Vec<Opt>,
    billables: Vec<Opt>,
    error: Option<String>,
    heading: String,
    rows: Vec<RowView>,
    total_hours: String,
    total_billable_hours: String,
    total_amount: String,
    total_entries: u64,
    csv_href: String,
    everyone: bool,
    money: bool,
    narrowed: bool,
    /// Rows are days (kept on one line); weeks and names may wrap.
    time_rows: bool,
    chart: Chart,
    chart_title: String,
}

impl ReportsPage {
    /// An attribute value for the chart (`12.5`, `33.333`).
    fn n(&self, v: impl std::borrow::Borrow<f64>) -> String {
        chart::num(*v.borrow())
    }
}

fn group_label(g: GroupBy) -> &'static str {
    match g {
        GroupBy::Project => "Project",
        GroupBy::User => "User",
        GroupBy::Day => "Day",
        GroupBy::Week => "Week",
    }
}

fn billable_label(b: BillableFilter) -> &'static str {
    match b {
        BillableFilter::All => "All",
        BillableFilter::Billable => "Billable",
        BillableFilter::NonBillable => "Non-billable",
    }
}

fn choices(c: &FilterChoices) -> (Vec<Opt>, Vec<Opt>, Vec<Opt>) {
    let archived = |name: &str, archived: bool| {
        if archived {
            format!("{name} (archived)")
        } else {
            name.to_owned()
        }
    };
    (
        c.clients
            .iter()
            .map(|x| Opt::new(x.id, archived(x.name.as_str(), x.archived)))
            .collect(),
        c.projects
            .iter()
            .map(|x| Opt::new(x.id, archived(x.name.as_str(), x.archived)))
            .collect(),
        c.users
            .iter()
            .map(|x| Opt::new(x.id, x.username.as_str()))
            .collect(),
    )
}

/// The query string of the same filter for the CSV download.
fn csv_href(r: &Report) -> String {
    let f = &r.filter;
    let (from, to) = r.calendar.days_of(&f.period);
    let mut pairs = vec![("from", from.to_string()), ("to", to.to_string())];
    let ids = [
        ("client_id", f.client.map(|c| c.get())),
        ("project_id", f.project.map(|p| p.get())),
        ("user_id", f.user.map(|u| u.get())),
    ];
    pairs.extend(
        ids.into_iter()
            .filter_map(|(k, v)| Some((k, v?.to_string()))),
    );
    if let Some(t) = &f.tag {
        pairs.push(("tag", t.as_str().to_owned()));
    }
    if f.billable != BillableFilter::All {
        pairs.push(("billable", f.billable.as_str().to_owned()));
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect();
    format!("/reports/entries.csv?{}", query.join("&"))
}

/// The chart of a report: columns for each day or week of the period
/// (empty ones too), bars for projects and users.
fn chart_of(r: &Report) -> Chart {
    let seconds = |key: ReportKey| {
        r.summary
            .rows
            .iter()
            .find(|row| row.key == key)
            .map_or(0, |row| row.seconds)
    };
    if r.summary.rows.is_empty() {
        return Chart::Empty;
    }
    let (first, last) = r.calendar.days_of(&r.period);
    let day = |d: NaiveDate| d.format("%b %-d").to_string();
    match r.group_by {
        GroupBy::Day => chart::columns(
            &chart::slots(first, last, 1, |d| seconds(ReportKey::Day(d)))
                .into_iter()
                .map(|(d, s)| Datum {
                    short: day(d),
                    long: d.format("%a %Y-%m-%d").to_string(),
                    seconds: s,
                })
                .collect::<Vec<_>>(),
        ),
        GroupBy::Week => {
            let start = r.calendar.week_of(first);
            chart::columns(
                &chart::slots(start, last, 7, |d| seconds(ReportKey::Week(d)))
                    .into_iter()
                    .map(|(d, s)| Datum {
                        short: day(d),
                        long: format!("Week {}", tt_app::reports::week_label(d)),
                        seconds: s,
                    })
                    .collect::<Vec<_>>(),
            )
        }
        GroupBy::Project | GroupBy::User => chart::bars(
            &r.summary
                .rows
                .iter()
                .map(|row| {
                    let label = r.labels.get(&row.key).cloned().unwrap_or_default();
                    Datum {
                        short: label.clone(),
                        long: label,
                        seconds: row.seconds,
                    }
                })
                .collect::<Vec<_>>(),
        ),
    }
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

/// `GET /reports?from=&to=&group_by=&client_id=&project_id=&user_id=&tag=&billable=`.
async fn summary(
    state: web::Data<AppState>,
    user: WebUser,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, HttpError> {
    let q = q.into_inner();
    let actor = user.actor();
    let filter_choices = state
        .run(move |app| tt_app::reports::filter_choices(app, &actor))
        .await?;
    let (clients, projects, users) = choices(&filter_choices);
    let mut page = ReportsPage {
        l: Layout::new(&user, "Reports", Nav::Reports)?,
        q: q.clone(),
        group_label: "Project",
        groups: GroupBy::ALL
            .iter()
            .map(|g| Opt::new(g.as_str(), group_label(*g)))
            .collect(),
        clients,
        projects,
        users,
        billables: BillableFilter::ALL
            .iter()
            .map(|b| Opt::new(b.as_str(), billable_label(*b)))
            .collect(),
        error: None,
        heading: String::new(),
        rows: Vec::new(),
        total_hours: fmt_hm(0),
        total_billable_hours: fmt_hm(0),
        total_amount: String::new(),
        total_entries: 0,
        csv_href: String::new(),
        everyone: user.user.is_admin(),
        money: tt_domain::may_see_money(&user.user),
        narrowed: false,
        time_rows: false,
        chart: Chart::Empty,
        chart_title: String::new(),
    };
    let result = match q.filter(&user).and_then(|f| Ok((f, q.group_by()?))) {
        Ok((filter, group_by)) => {
            let actor = user.actor();
            state
                .run(move |app| tt_app::reports::summary(app, &actor, &filter, group_by))
                .await
        }
        Err(e) => Err(e),
    };
    let r = match result {
        Ok(r) => r,
        // A value the form cannot take (a date, an id that names nothing)
        // is shown on the form, with what was typed kept.
        Err(HttpError::Validation(message)) => {
            page.error = Some(message);
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        Err(e) => return Err(e),
    };
    let (from, to) = r.calendar.days_of(&r.period);
    page.q.from = from.to_string();
    page.q.to = to.to_string();
    page.q.group_by = r.group_by.as_str().to_owned();
    page.q.billable = r.filter.billable.as_str().to_owned();
    page.group_label = group_label(r.group_by);
    page.heading = format!("{from} to {to}");
    page.csv_href = csv_href(&r);
    page.money = r.money;
    page.narrowed = r.filter.is_narrowed();
    page.time_rows = r.group_by == GroupBy::Day;
    page.rows = r
        .summary
        .rows
        .iter()
        .map(|row| RowView {
            label: r.labels.get(&row.key).cloned().unwrap_or_default(),
            hours: fmt_hm(row.seconds),
            billable_hours: fmt_hm(row.billable_seconds),
            amount: if r.money {
                money(&row.amount)
            } else {
                String::new()
            },
            entries: row.entries,
        })
        .collect();
    page.total_hours = fmt_hm(r.summary.seconds);
    page.total_billable_hours = fmt_hm(r.summary.billable_seconds);
    if r.money {
        page.total_amount = money(&r.summary.amount);
    }
    page.total_entries = r.summary.rows.iter().map(|row| row.entries).sum();
    page.chart_title = format!(
        "Hours by {}, {from} to {to}",
        group_label(r.group_by).to_lowercase()
    );
    page.chart = chart_of(&r);
    render_status(StatusCode::OK, &page)
}

/// `GET /reports/entries.csv?…` (the report's filter) with the browser
/// session.
async fn entries_csv(
    state: web::Data<AppState>,
    user: WebUser,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, HttpError> {
    let filter = q.filter(&user)?;
    crate::export::entries_csv_response(&state, user.actor(), filter).await
}
