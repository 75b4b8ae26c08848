//! Time entries and the timer; each user sees only their own.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use tt_domain::{Period, ProjectId, TaskId, Text, TimeEntryId, TimeRange};
use tt_persistence::entries::{self as repo, EntryFields};

use super::dto::{EntryDto, id_of, parse_tags};
use super::reports::period_from_query;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tracking::{self, Surface};

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

fn fields(
    project_id: i64,
    task_id: Option<i64>,
    notes: Option<&str>,
    tags: &[String],
    billable: Option<bool>,
) -> Result<EntryFields, ApiError> {
    Ok(EntryFields {
        project_id: id_of("project_id", project_id, ProjectId::new)?,
        task_id: task_id
            .map(|t| id_of("task_id", t, TaskId::new))
            .transpose()?,
        notes: Text::parse(notes.unwrap_or(""))?,
        tags: parse_tags(tags)?,
        billable,
    })
}

/// `GET /api/v1/timer`: the running timer or `null`.
#[get("/timer")]
async fn get_timer(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    let uid = user.id();
    let running = state.db(move |c| repo::running_timer(c, uid)).await?;
    let now = tt_persistence::now();
    Ok(HttpResponse::Ok().json(match running {
        Some(e) => serde_json::to_value(EntryDto::new(&e, now)).unwrap_or(Value::Null),
        None => Value::Null,
    }))
}

/// `POST /api/v1/timer/start`: 201 with the entry, 409 if one runs.
#[post("/timer/start")]
async fn start_timer(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TimerStart>,
) -> Result<HttpResponse, ApiError> {
    let f = fields(
        body.project_id,
        body.task_id,
        body.notes.as_deref(),
        &body.tags,
        body.billable,
    )?;
    let uid = user.id();
    let entry = state.db(move |c| repo::start_timer(c, uid, &f)).await?;
    state.track(tracking::timer_started(&entry, Surface::Api), Some(uid));
    Ok(HttpResponse::Created().json(EntryDto::new(&entry, tt_persistence::now())))
}

/// `POST /api/v1/timer/stop`: 200 with the finished entry, 404 if none runs.
#[post("/timer/stop")]
async fn stop_timer(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    let uid = user.id();
    let entry = state.db(move |c| repo::stop_timer(c, uid)).await?;
    state.track(tracking::timer_stopped(&entry, Surface::Api), Some(uid));
    Ok(HttpResponse::Ok().json(EntryDto::new(&entry, tt_persistence::now())))
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
) -> Result<HttpResponse, ApiError> {
    let period: Option<Period> = match (&q.from, &q.to) {
        (None, None) => None,
        (from, to) => Some(period_from_query(from.as_deref(), to.as_deref())?),
    };
    let limit = q.limit.unwrap_or(500);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::Validation(
            "limit: must be between 1 and 5000".into(),
        ));
    }
    let uid = user.id();
    let list = state.db(move |c| repo::list(c, uid, period, limit)).await?;
    let now = tt_persistence::now();
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
    fn range(&self) -> Result<Option<TimeRange>, ApiError> {
        match (self.start, self.end) {
            (None, None) => Ok(None),
            (Some(s), Some(e)) => Ok(Some(TimeRange::new(s, e)?)),
            _ => Err(ApiError::Validation("give both start and end".into())),
        }
    }

    fn fields(&self) -> Result<EntryFields, ApiError> {
        fields(
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
) -> Result<HttpResponse, ApiError> {
    let range = body
        .range()?
        .ok_or_else(|| ApiError::Validation("start and end are required".into()))?;
    let f = body.fields()?;
    let uid = user.id();
    let entry = state.db(move |c| repo::create(c, uid, range, &f)).await?;
    state.track(tracking::entry_created(&entry, Surface::Api), Some(uid));
    Ok(HttpResponse::Created().json(EntryDto::new(&entry, tt_persistence::now())))
}

fn entry_id(raw: i64) -> Result<TimeEntryId, ApiError> {
    TimeEntryId::new(raw).ok_or(ApiError::NotFound)
}

#[get("/time-entries/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (uid, id) = (user.id(), entry_id(path.into_inner())?);
    let entry = state.db(move |c| repo::find(c, uid, id)).await?;
    Ok(HttpResponse::Ok().json(EntryDto::new(&entry, tt_persistence::now())))
}

#[put("/time-entries/{id}")]
async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<EntryInput>,
) -> Result<HttpResponse, ApiError> {
    let (uid, id) = (user.id(), entry_id(path.into_inner())?);
    let range = body.range()?;
    let f = body.fields()?;
    let entry = state
        .db(move |c| repo::update(c, uid, id, range, &f))
        .await?;
    state.track(tracking::entry_updated(&entry, Surface::Api), Some(uid));
    Ok(HttpResponse::Ok().json(EntryDto::new(&entry, tt_persistence::now())))
}

#[delete("/time-entries/{id}")]
async fn remove(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (uid, id) = (user.id(), entry_id(path.into_inner())?);
    state.db(move |c| repo::delete(c, uid, id)).await?;
    state.track(tracking::entry_deleted(id, Surface::Api), Some(uid));
    Ok(HttpResponse::NoContent().finish())
}
