//! The dashboard: the running timer, starting and stopping it, today's and
//! this week's totals, the latest entries.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, Duration, Utc};
use serde::Deserialize;
use tt_domain::{ProjectId, TaskId, Text};
use tt_persistence::entries::{self as repo, EntryFields};

use super::forms::{Opt, OptGroup, fmt_hm, opt_id, req_id};
use super::page::{
    FormProblem, Layout, Nav, PageError, check_csrf, done, failed, form_problem, render_status,
};
use super::view::{Catalog, EntryView};
use crate::auth::WebUser;
use crate::state::AppState;
use crate::tracking::{self, Surface};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(dashboard))
        .route("/timer/start", web::post().to(start))
        .route("/timer/stop", web::post().to(stop));
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub(crate) struct StartForm {
    csrf_token: String,
    project_id: String,
    task_id: String,
    notes: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    running: Option<EntryView>,
    projects: Vec<Opt>,
    task_groups: Vec<OptGroup>,
    form: StartForm,
    error: Option<String>,
    today: String,
    week: String,
    latest: Vec<EntryView>,
}

async fn show(
    state: &AppState,
    user: &WebUser,
    form: StartForm,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, PageError> {
    let uid = user.user.id;
    let now = tt_persistence::now();
    let today_start = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let week_start = today_start - Duration::days(i64::from(now.weekday().num_days_from_monday()));
    let (running, today, week, latest) = state
        .db(move |c| {
            Ok((
                repo::running_timer(c, uid)?,
                repo::seconds_since(c, uid, today_start)?,
                repo::seconds_since(c, uid, week_start)?,
                repo::list(c, uid, None, 10)?,
            ))
        })
        .await?;
    let catalog = Catalog::load(state).await?;
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (actix_web::http::StatusCode::OK, None),
    };
    let page = DashboardPage {
        l: Layout::new(user, "Dashboard", Nav::Dashboard)?,
        running: running.as_ref().map(|e| catalog.entry_view(e, now)),
        projects: catalog.project_options(),
        task_groups: catalog.task_groups(None),
        form,
        error,
        today: fmt_hm(today),
        week: fmt_hm(week),
        latest: latest.iter().map(|e| catalog.entry_view(e, now)).collect(),
    };
    render_status(status, &page)
}

/// `GET /`.
async fn dashboard(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, PageError> {
    show(&state, &user, StartForm::default(), None).await
}

fn start_fields(form: &StartForm) -> Result<EntryFields, PageError> {
    Ok(EntryFields {
        project_id: req_id("project", &form.project_id, ProjectId::new)?,
        task_id: opt_id("task", &form.task_id, TaskId::new)?,
        notes: Text::parse(&form.notes).map_err(|e| PageError::Validation(e.to_string()))?,
        tags: tt_domain::Tags::default(),
        billable: None,
    })
}

/// `POST /timer/start`.
async fn start(
    state: web::Data<AppState>,
    user: WebUser,
    form: web::Form<StartForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let form = form.into_inner();
    let uid = user.user.id;
    let result = match start_fields(&form) {
        Ok(f) => state
            .db(move |c| repo::start_timer(c, uid, &f))
            .await
            .map_err(PageError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(entry) => {
            state.track(tracking::timer_started(&entry, Surface::Web), Some(uid));
            let catalog = Catalog::load(&state).await?;
            let name = catalog.project_name(entry.project_id);
            let at = entry.start.format("%H:%M");
            Ok(done(
                &user.session,
                "/",
                format!("Timer started on {name} at {at} UTC."),
            ))
        }
        Err(e) => {
            let problem = form_problem(e)?;
            show(&state, &user, form, Some(problem)).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StopForm {
    csrf_token: String,
}

/// `POST /timer/stop`.
async fn stop(
    state: web::Data<AppState>,
    user: WebUser,
    form: web::Form<StopForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    let uid = user.user.id;
    match state
        .db(move |c| repo::stop_timer(c, uid))
        .await
        .map_err(PageError::from)
    {
        Ok(entry) => {
            state.track(tracking::timer_stopped(&entry, Surface::Web), Some(uid));
            let secs = entry.seconds(Utc::now());
            Ok(done(
                &user.session,
                "/",
                format!("Timer stopped after {}.", fmt_hm(secs)),
            ))
        }
        Err(PageError::NotFound) => Ok(failed(&user.session, "/", "No timer is running.")),
        Err(e) => Err(e),
    }
}
