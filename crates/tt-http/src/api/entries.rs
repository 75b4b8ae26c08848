//! Time entries and the timer: adapters over `tt_app::timer` and
//! `tt_app::entries` (each user sees their own; administrators any).

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use tt_app::entries::{EntryDetails, EntryTimes};
use tt_app::input;
use tt_domain::{ProjectId, Tags, TaskId, Text, TimeEntryId};

use super::dto::EntryDto;
use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_timer)
        .service(start_timer)
        .service(stop_timer)
        .service(list)
        .service(create)
        .service(get_one)
        .service(update)
        .service(remove);
}

/// The details of a timer start or an entry, as JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimerStart {
    project_id: i64,
    #[serde(default)]
    task_id: Option<i64>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    billable: Option<bool>,
}

fn details(
    project_id: i64,
    task_id: Option<i64>,
    notes: Option<&str>,
    tags: &[String],
    billable: Option<bool>,
) -> Result<EntryDetails, HttpError> {
    Ok(EntryDetails {
        project_id: input::id("project_id", project_id, ProjectId::new)?,
        task_id: task_id
            .map(|t| input::id("task_id", t, TaskId::new))
            .transpose()?,
        notes: Text::parse(notes.unwrap_or(""))?,
        tags: Tags::parse(tags)?,
        billable,
    })
}

fn now() -> DateTime<Utc> {
    tt_app::now()
}

/// `GET /api/v1/timer`: the running timer or `null`.
#[get("/timer")]
async fn get_timer(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let running = state
        .run(move |app| tt_app::timer::running(app, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(match running {
        Some(e) => serde_json::to_value(EntryDto::new(&e, now())).unwrap_or(Value::Null),
        None => Value::Null,
    }))
}

/// `POST /api/v1/timer/start`: 201 with the entry, 409 if one runs.
#[post("/timer/start")]
async fn start_timer(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TimerStart>,
) -> Result<HttpResponse, HttpError> {
    let d = details(
        body.project_id,
        body.task_id,
        body.notes.as_deref(),
        &body.tags,
        body.billable,
    )?;
    let actor = user.actor();
    let entry = state
        .run(move |app| tt_app::timer::start(app, &actor, d))
        .await?;
    Ok(HttpResponse::Created().json(EntryDto::new(&entry, now())))
}

/// `POST /api/v1/timer/stop`: 200 with the finished entry, 404 if none runs.
#[post("/timer/stop")]
async fn stop_timer(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let entry = state
        .run(move |app| tt_app::timer::stop(app, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(EntryDto::new(&entry, now())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

#[get("/time-entries")]
async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, HttpError> {
    let period = input::opt_period(q.from.as_deref(), q.to.as_deref(), input::today(now()))?;
    let limit = q.limit.unwrap_or(500);
    let actor = user.actor();
    let list = state
        .run(move |app| tt_app::entries::list(app, &actor, period, limit))
        .await?;
    let now = now();
    Ok(HttpResponse::Ok().json(
        list.iter()
            .map(|e| EntryDto::new(e, now))
            .collect::<Vec<_>>(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryInput {
    project_id: i64,
    #[serde(default)]
    task_id: Option<i64>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    billable: Option<bool>,
}

impl EntryInput {
    fn times(&self) -> Result<Option<EntryTimes>, HttpError> {
        match (self.start, self.end) {
            (None, None) => Ok(None),
            (Some(start), Some(end)) => Ok(Some(EntryTimes::Span { start, end })),
            _ => Err(HttpError::Validation("give both start and end".into())),
        }
    }

    fn details(&self) -> Result<EntryDetails, HttpError> {
        details(
            self.project_id,
            self.task_id,
            self.notes.as_deref(),
            &self.tags,
            self.billable,
        )
    }
}

#[post("/time-entries")]
async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<EntryInput>,
) -> Result<HttpResponse, HttpError> {
    let times = body
        .times()?
        .ok_or_else(|| HttpError::Validation("start and end are required".into()))?;
    let d = body.details()?;
    let actor = user.actor();
    let entry = state
        .run(move |app| tt_app::entries::create(app, &actor, d, times))
        .await?;
    Ok(HttpResponse::Created().json(EntryDto::new(&entry, now())))
}

fn entry_id(raw: i64) -> Result<TimeEntryId, HttpError> {
    TimeEntryId::new(raw).ok_or(HttpError::NotFound)
}

#[get("/time-entries/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let (actor, id) = (user.actor(), entry_id(path.into_inner())?);
    let entry = state
        .run(move |app| tt_app::entries::get(app, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(EntryDto::new(&entry, now())))
}

#[put("/time-entries/{id}")]
async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<EntryInput>,
) -> Result<HttpResponse, HttpError> {
    let (actor, id) = (user.actor(), entry_id(path.into_inner())?);
    let times = body.times()?;
    let d = body.details()?;
    let entry = state
        .run(move |app| tt_app::entries::update(app, &actor, id, d, times))
        .await?;
    Ok(HttpResponse::Ok().json(EntryDto::new(&entry, now())))
}

#[delete("/time-entries/{id}")]
async fn remove(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let (actor, id) = (user.actor(), entry_id(path.into_inner())?);
    state
        .run(move |app| tt_app::entries::delete(app, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
