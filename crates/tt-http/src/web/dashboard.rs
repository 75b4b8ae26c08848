//! The dashboard: the running timer, starting and stopping it, today's and
//! this week's totals, the latest entries.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::forms::{Opt, OptGroup, fmt_hm};
use super::page::{FormProblem, Layout, Nav, done, failed, form_problem, render_status};
use super::view::{Catalog, EntryView};
use crate::auth::{CsrfForm, WebUser};
use crate::error::HttpError;
use crate::state::AppState;

routes! {
    GET "/" => dashboard,
    POST "/timer/start" => start,
    POST "/timer/stop" => stop,
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
    week_start: &'static str,
    latest: Vec<EntryView>,
}

async fn show(
    state: &AppState,
    user: &WebUser,
    form: StartForm,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, HttpError> {
    let _uid = user.user.id;
    let now = tt_app::now();
    let actor = user.actor();
    let o = state
        .run(move |app| tt_app::entries::overview(app, &actor, 10))
        .await?;
    let (running, today, week, latest) = (o.running, o.today_seconds, o.week_seconds, o.latest);
    let catalog = Catalog::load(state).await?;
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (actix_web::http::StatusCode::OK, None),
    };
    let page = DashboardPage {
        l: Layout::new(user, "Dashboard", Nav::Dashboard)?,
        running: running
            .as_ref()
            .map(|e| catalog.entry_view(e, now, &user.calendar)),
        projects: catalog.project_options(),
        task_groups: catalog.task_groups(None),
        form,
        error,
        today: fmt_hm(today),
        week: fmt_hm(week),
        week_start: user.calendar.week_start().label(),
        latest: latest
            .iter()
            .map(|e| catalog.entry_view(e, now, &user.calendar))
            .collect(),
    };
    render_status(status, &page)
}

/// `GET /`.
async fn dashboard(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, HttpError> {
    show(&state, &user, StartForm::default(), None).await
}

/// `POST /timer/start`.
async fn start(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<StartForm>,
) -> Result<HttpResponse, HttpError> {
    let form = form.into_inner();
    let _uid = user.user.id;
    let result =
        match crate::inputs::entry_details(&form.project_id, &form.task_id, &form.notes, "", "") {
            Ok(f) => {
                state
                    .run({
                        let actor = user.actor();
                        move |app| tt_app::timer::start(app, &actor, f)
                    })
                    .await
            }
            Err(e) => Err(e),
        };
    match result {
        Ok(entry) => {
            let catalog = Catalog::load(&state).await?;
            let name = catalog.project_name(entry.project_id);
            let at = super::forms::fmt_time(&user.calendar, entry.start);
            Ok(done(
                &user.session,
                "/",
                format!("Timer started on {name} at {at}."),
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
    _form: CsrfForm<StopForm>,
) -> Result<HttpResponse, HttpError> {
    let _uid = user.user.id;
    match state
        .run({
            let actor = user.actor();
            move |app| tt_app::timer::stop(app, &actor)
        })
        .await
    {
        Ok(entry) => {
            let secs = entry.seconds(Utc::now());
            Ok(done(
                &user.session,
                "/",
                format!("Timer stopped after {}.", fmt_hm(secs)),
            ))
        }
        Err(HttpError::NotFound) => Ok(failed(&user.session, "/", "No timer is running.")),
        Err(e) => Err(e),
    }
}

crate::auth::csrf_protected!(StartForm, StopForm);
