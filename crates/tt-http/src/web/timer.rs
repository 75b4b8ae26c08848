//! The timer from any page: start (with recent project/task combinations
//! offered first), stop, correct while it runs, continue an earlier entry.
//! Each form carries `next`, the page to return to.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;
use tt_domain::TimeEntryId;

use super::forms::{Opt, OptGroup, fmt_hm, safe_next};
use super::page::{FormProblem, Layout, Nav, done, failed, form_problem, render_status};
use super::view::{Catalog, EntryView};
use crate::auth::{CsrfForm, WebUser};
use crate::error::HttpError;
use crate::state::AppState;

routes! {
    GET "/timer" => page,
    POST "/timer" => correct,
    POST "/timer/start" => start,
    POST "/timer/stop" => stop,
    POST "/entries/{id}/continue" => continue_entry,
}

/// The timer forms: starting (project, task, notes, tags, billable) and
/// correcting a running timer (date and time of its start, too).
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub(crate) struct TimerForm {
    csrf_token: String,
    pub project_id: String,
    pub task_id: String,
    pub notes: String,
    pub tags: String,
    pub billable: String,
    pub date: String,
    pub start_time: String,
    next: String,
}

/// A project/task combination offered for a one-click start.
#[derive(Debug, Clone)]
pub(crate) struct RecentView {
    pub project_id: i64,
    pub task_id: String,
    pub label: String,
}

/// What the start form needs besides the form: the pickers and the recent
/// combinations.
pub(crate) struct StartChoices {
    pub projects: Vec<Opt>,
    pub task_groups: Vec<OptGroup>,
    pub recent: Vec<RecentView>,
}

impl StartChoices {
    pub(crate) async fn load(
        state: &AppState,
        user: &WebUser,
    ) -> Result<(Self, Catalog), HttpError> {
        let actor = user.actor();
        let (recent, catalog) = state
            .read(move |app| StartChoices::fetch(app, &actor))
            .await?;
        Ok(StartChoices::build(recent, catalog))
    }

    /// What [`StartChoices::build`] needs, read on the calling thread.
    pub(crate) fn fetch(
        app: &tt_app::App,
        actor: &tt_app::Actor,
    ) -> tt_app::Result<(RecentWork, Catalog)> {
        Ok((
            tt_app::timer::recent_work(app, actor, 5)?,
            Catalog::fetch(app)?,
        ))
    }

    /// The choices from the user's recent work and the catalog.
    pub(crate) fn build(recent: RecentWork, catalog: Catalog) -> (Self, Catalog) {
        let recent = recent
            .into_iter()
            .map(|(p, t)| RecentView {
                project_id: p.get(),
                task_id: t.map(|t| t.to_string()).unwrap_or_default(),
                label: match t {
                    Some(t) => format!("{} · {}", catalog.project_name(p), catalog.task_name(t)),
                    None => catalog.project_name(p),
                },
            })
            .collect();
        (
            StartChoices {
                projects: catalog.project_options(),
                task_groups: catalog.task_groups(None),
                recent,
            },
            catalog,
        )
    }
}

/// The projects (and tasks) a user worked on most recently.
pub(crate) type RecentWork = Vec<(tt_domain::ProjectId, Option<tt_domain::TaskId>)>;

#[derive(Template)]
#[template(path = "timer.html")]
struct TimerPage {
    l: Layout,
    error: Option<String>,
    form: TimerForm,
    projects: Vec<Opt>,
    task_groups: Vec<OptGroup>,
    recent: Vec<RecentView>,
    latest: Vec<EntryView>,
}

async fn show(
    state: &AppState,
    user: &WebUser,
    form: Option<TimerForm>,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, HttpError> {
    let (choices, catalog) = StartChoices::load(state, user).await?;
    let now = tt_app::now();
    let form = form.unwrap_or_else(|| match &user.running {
        // The correction form starts from what runs.
        Some(t) => {
            let local = user.calendar.local(t.entry.start);
            TimerForm {
                project_id: t.entry.project_id.to_string(),
                task_id: t.entry.task_id.map(|k| k.to_string()).unwrap_or_default(),
                notes: t.entry.notes.as_str().to_owned(),
                tags: t.entry.tags.as_slice().join(", "),
                date: local.format("%Y-%m-%d").to_string(),
                start_time: local.format("%H:%M").to_string(),
                ..TimerForm::default()
            }
        }
        None => TimerForm::default(),
    });
    let latest = if user.running.is_none() {
        let actor = user.actor();
        state
            .run(move |app| tt_app::entries::list(app, &actor, None, 5))
            .await?
    } else {
        Vec::new()
    };
    let task_groups = match &user.running {
        // The running timer's task stays offered even if done since.
        Some(t) => catalog.task_groups(t.entry.task_id),
        None => choices.task_groups,
    };
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    let page = TimerPage {
        l: Layout::new(user, "Timer", Nav::Dashboard)?,
        error,
        form,
        projects: choices.projects,
        task_groups,
        recent: choices.recent,
        latest: latest
            .iter()
            .map(|e| catalog.entry_view(e, now, user))
            .collect(),
    };
    render_status(status, &page)
}

/// `GET /timer`: start one, or correct or stop the one running.
async fn page(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, HttpError> {
    show(&state, &user, None, None).await
}

/// `POST /timer/start`.
async fn start(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<TimerForm>,
) -> Result<HttpResponse, HttpError> {
    let form = form.into_inner();
    let next = safe_next(Some(&form.next));
    let result = match crate::inputs::entry_details(
        &form.project_id,
        &form.task_id,
        &form.notes,
        &form.tags,
        &form.billable,
    ) {
        Ok(details) => {
            let actor = user.actor();
            state
                .run(move |app| tt_app::timer::start(app, &actor, details))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(entry) => Ok(done(
            &user.session,
            &next,
            started_message(&state, &user, &entry).await?,
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            if next == "/timer" || next == "/" {
                show(&state, &user, Some(form), Some(problem)).await
            } else {
                Ok(failed(&user.session, &next, problem.message))
            }
        }
    }
}

async fn started_message(
    state: &AppState,
    user: &WebUser,
    entry: &tt_domain::TimeEntry,
) -> Result<String, HttpError> {
    let catalog = Catalog::load(state).await?;
    Ok(format!(
        "Timer started on {} at {}.",
        catalog.project_name(entry.project_id),
        super::forms::fmt_time(&user.calendar, entry.start)
    ))
}

/// `POST /timer`: corrects the running timer's start and details.
async fn correct(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<TimerForm>,
) -> Result<HttpResponse, HttpError> {
    let form = form.into_inner();
    let calendar = user.calendar;
    // Left as shown, the start keeps its exact instant (seconds, and the
    // first or second 01:30 of the night the clocks go back).
    let shown = user.running.as_ref().map(|t| {
        let local = calendar.local(t.entry.start);
        (
            local.format("%Y-%m-%d").to_string(),
            local.format("%H:%M").to_string(),
        )
    });
    let untouched =
        shown.is_some_and(|(d, t)| d == form.date.trim() && t == form.start_time.trim());
    let parsed = (|| -> Result<_, HttpError> {
        let start = if untouched {
            None
        } else {
            let date = tt_app::input::date("date", &form.date)?;
            let time = tt_app::input::time_of_day("start", &form.start_time)?;
            Some(calendar.instant("start", NaiveDateTime::new(date, time))?)
        };
        let details = crate::inputs::entry_details(
            &form.project_id,
            &form.task_id,
            &form.notes,
            &form.tags,
            "",
        )?;
        Ok((start, details))
    })();
    let result = match parsed {
        Ok((start, details)) => {
            let actor = user.actor();
            state
                .run(move |app| tt_app::timer::correct(app, &actor, start, details))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(done(&user.session, "/timer", "Running timer corrected.")),
        Err(e) => {
            let problem = form_problem(e)?;
            show(&state, &user, Some(form), Some(problem)).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextForm {
    csrf_token: String,
    next: String,
}

/// `POST /timer/stop`: back to the page it was stopped on.
async fn stop(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<NextForm>,
) -> Result<HttpResponse, HttpError> {
    let next = safe_next(Some(&form.next));
    let actor = user.actor();
    match state.run(move |app| tt_app::timer::stop(app, &actor)).await {
        Ok(entry) => Ok(done(
            &user.session,
            &next,
            format!(
                "Timer stopped after {}.",
                fmt_hm(entry.seconds(tt_app::now()))
            ),
        )),
        Err(HttpError::NotFound) => Ok(failed(&user.session, &next, "No timer is running.")),
        Err(e) => Err(e),
    }
}

/// `POST /entries/{id}/continue`: the timer on what that entry was about.
async fn continue_entry(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: CsrfForm<NextForm>,
) -> Result<HttpResponse, HttpError> {
    let next = safe_next(Some(&form.next));
    let id = TimeEntryId::new(path.into_inner()).ok_or(HttpError::NotFound)?;
    let actor = user.actor();
    match state
        .run(move |app| tt_app::timer::continue_entry(app, &actor, id))
        .await
    {
        Ok(entry) => Ok(done(
            &user.session,
            &next,
            started_message(&state, &user, &entry).await?,
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            Ok(failed(&user.session, &next, problem.message))
        }
    }
}

crate::auth::csrf_protected!(TimerForm, NextForm);
