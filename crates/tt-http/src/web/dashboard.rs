//! The dashboard: the timer (start with recent work offered first, or the
//! running one), today's and this week's totals in the user's zone, the
//! latest entries.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::forms::{Opt, OptGroup, fmt_hm};
use super::page::{Layout, Nav, render_status};
use super::timer::{RecentView, StartChoices, TimerForm};
use super::view::EntryView;
use crate::auth::WebUser;
use crate::error::HttpError;
use crate::state::AppState;

routes! {
    GET "/" => dashboard,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    projects: Vec<Opt>,
    task_groups: Vec<OptGroup>,
    recent: Vec<RecentView>,
    form: TimerForm,
    today: String,
    week: String,
    week_start: &'static str,
    latest: Vec<EntryView>,
}

/// `GET /`.
async fn dashboard(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, HttpError> {
    let now = tt_app::now();
    let actor = user.actor();
    // One read for the whole page: on PostgreSQL one hand-off to the
    // blocking pool instead of three; on SQLite one read transaction for
    // its six statements.
    let (o, (recent, catalog)) = state
        .read(move |app| {
            app.read_together(|| {
                Ok((
                    tt_app::entries::overview(app, &actor, 10)?,
                    StartChoices::fetch(app, &actor)?,
                ))
            })
        })
        .await?;
    let (choices, catalog) = StartChoices::build(recent, catalog);
    let page = DashboardPage {
        l: Layout::new(&user, "Dashboard", Nav::Dashboard)?,
        projects: choices.projects,
        task_groups: choices.task_groups,
        recent: choices.recent,
        form: TimerForm::default(),
        today: fmt_hm(o.today_seconds),
        week: fmt_hm(o.week_seconds),
        week_start: user.calendar.week_start().label(),
        latest: o
            .latest
            .iter()
            .map(|e| catalog.entry_view(e, now, &user))
            .collect(),
    };
    render_status(actix_web::http::StatusCode::OK, &page)
}
