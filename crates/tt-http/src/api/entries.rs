//! Time entries and the timer: adapters over `tt_app::timer` and
//! `tt_app::entries` (each user sees their own; administrators any).

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tt_app::entries::{EntryDetails, EntryTimes};
use tt_app::input;
use tt_domain::{Calendar, ProjectId, Tags, TaskId, Text, TimeEntryId};
use utoipa::{IntoParams, ToSchema};

use super::body::Json;
use super::dto::EntryDto;
use super::openapi::{Authed, JsonBody, Missing, Query, Refused, Restricted};
use crate::auth::{ApiToken, ApiUser};
use crate::error::HttpError;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    // The two reads first, the list before any pattern with a
    // placeholder (each one passed costs a regular-expression match).
    cfg.service(get_timer)
        .service(list)
        .service(start_timer)
        .service(stop_timer)
        .service(correct_timer)
        .service(continue_entry)
        .service(create)
        .service(get_one)
        .service(update)
        .service(remove);
}

/// The details of a timer start, as JSON.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimerStart {
    #[schema(minimum = 1)]
    project_id: i64,
    /// A task of the project.
    #[serde(default)]
    #[schema(minimum = 1)]
    task_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 10000)]
    notes: Option<String>,
    /// Up to 20 tags of at most 50 characters, without commas.
    #[serde(default)]
    tags: Vec<String>,
    /// Absent: the project's default.
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

/// The caller's running timer, or `null`.
#[utoipa::path(
    tag = "timer",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The running entry, or `null`", body = Option<EntryDto>),
        Authed,
    ),
)]
#[get("/timer")]
async fn get_timer(state: web::Data<AppState>, token: ApiToken) -> Result<HttpResponse, HttpError> {
    let (user, running) = token
        .read(&state, |app, user| {
            Ok(tt_app::timer::running(app, &user.actor())?)
        })
        .await?;
    let calendar = user.calendar(&state);
    Ok(HttpResponse::Ok().json(running.map(|e| EntryDto::new(&e, now(), &calendar))))
}

/// Starts a timer: 201 with the entry, 409 if one already runs.
#[utoipa::path(
    tag = "timer",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The running entry", body = EntryDto),
        Authed, JsonBody,
    ),
)]
#[post("/timer/start")]
async fn start_timer(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<TimerStart>,
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
    Ok(HttpResponse::Created().json(EntryDto::new(&entry, now(), &user.calendar(&state))))
}

/// Stops the running timer: 200 with the finished entry, 404 if none runs.
#[utoipa::path(
    tag = "timer",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The finished entry", body = EntryDto),
        Authed, Missing,
    ),
)]
#[post("/timer/stop")]
async fn stop_timer(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let entry = state
        .run(move |app| tt_app::timer::stop(app, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(EntryDto::new(&entry, now(), &user.calendar(&state))))
}

/// The running timer as corrected: when it started and what it is about.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimerCorrection {
    /// RFC 3339 with an offset; not in the future, at most 7 days ago.
    /// Absent: the start stays as it is.
    #[serde(default)]
    start: Option<DateTime<Utc>>,
    #[schema(minimum = 1)]
    project_id: i64,
    /// A task of the project.
    #[serde(default)]
    #[schema(minimum = 1)]
    task_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 10000)]
    notes: Option<String>,
    /// Up to 20 tags of at most 50 characters, without commas.
    #[serde(default)]
    tags: Vec<String>,
    /// Absent: as it is.
    #[serde(default)]
    billable: Option<bool>,
}

/// Corrects the running timer (its start, project, task, notes, tags); it
/// keeps running. 409 if no timer runs or the new start overlaps another
/// entry.
#[utoipa::path(
    tag = "timer",
    operation_id = "correct_timer",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The running entry", body = EntryDto),
        Authed, JsonBody,
    ),
)]
#[put("/timer")]
async fn correct_timer(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<TimerCorrection>,
) -> Result<HttpResponse, HttpError> {
    let d = details(
        body.project_id,
        body.task_id,
        body.notes.as_deref(),
        &body.tags,
        body.billable,
    )?;
    let start = body.start;
    let actor = user.actor();
    let entry = state
        .run(move |app| tt_app::timer::correct(app, &actor, start, d))
        .await?;
    Ok(HttpResponse::Ok().json(EntryDto::new(&entry, now(), &user.calendar(&state))))
}

/// Starts the timer on what one of your earlier entries was about (its
/// project, task, notes, tags and billing). 409 if a timer runs.
#[utoipa::path(
    tag = "timer",
    operation_id = "continue_entry",
    params(("id" = i64, Path, minimum = 1, description = "The earlier entry")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The running entry", body = EntryDto),
        Authed, Missing, Restricted, Refused,
    ),
)]
#[post("/time-entries/{id}/continue")]
async fn continue_entry(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = TimeEntryId::new(path.into_inner()).ok_or(HttpError::NotFound)?;
    let actor = user.actor();
    let entry = state
        .run(move |app| tt_app::timer::continue_entry(app, &actor, id))
        .await?;
    Ok(HttpResponse::Created().json(EntryDto::new(&entry, now(), &user.calendar(&state))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// First day, `YYYY-MM-DD`, in your time zone (both absent: no date
    /// filter).
    #[serde(default)]
    from: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    #[serde(default)]
    to: Option<String>,
    /// Only this project's entries.
    #[serde(default)]
    #[param(minimum = 1)]
    project_id: Option<i64>,
    /// Only entries on this client's projects.
    #[serde(default)]
    #[param(minimum = 1)]
    client_id: Option<i64>,
    /// Only entries carrying this tag.
    #[serde(default)]
    tag: Option<String>,
    /// Only billable (`true`) or non-billable (`false`) entries.
    #[serde(default)]
    billable: Option<bool>,
    /// Whose entries (administrators; absent: yours; someone else's as a
    /// regular user: 403).
    #[serde(default)]
    #[param(minimum = 1)]
    user_id: Option<i64>,
    /// Entries per page; absent: 500.
    #[serde(default)]
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<i64>,
    /// 1-based page; absent: the first. `X-Total-Count` says how many
    /// entries match in all.
    #[serde(default)]
    #[param(minimum = 1)]
    page: Option<i64>,
}

/// Lists the caller's time entries.
#[utoipa::path(
    tag = "time-entries",
    operation_id = "list_time_entries",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The entries, newest first", body = Vec<EntryDto>,
            headers(("X-Total-Count" = i64, description = "Entries matching in all"))),
        Authed, Query, Restricted,
    ),
)]
#[get("/time-entries")]
async fn list(
    state: web::Data<AppState>,
    token: ApiToken,
    req: HttpRequest,
) -> Result<HttpResponse, HttpError> {
    let raw = req.query_string().to_owned();
    let (user, found) = token
        .read(&state, move |app, user| {
            // Parsed once the token is known good, as every check of the
            // query's values: an unknown token is a 401 whatever follows.
            let q = web::Query::<ListQuery>::from_query(&raw)
                .map_err(super::invalid_query)?
                .into_inner();
            let calendar = app.calendar_of(&user.0);
            let query = list_query(&q, &calendar)?;
            Ok(tt_app::entries::search(app, &user.actor(), &query)?)
        })
        .await?;
    let calendar = user.calendar(&state);
    let now = now();
    Ok(HttpResponse::Ok()
        .insert_header(("X-Total-Count", found.count.to_string()))
        .json(
            found
                .entries
                .iter()
                .map(|e| EntryDto::new(e, now, &calendar))
                .collect::<Vec<_>>(),
        ))
}

/// The search a list request asks for; dates are read in the caller's zone.
fn list_query(
    q: &ListQuery,
    calendar: &Calendar,
) -> Result<tt_app::entries::EntryQuery, HttpError> {
    let limit = q.limit.unwrap_or(500);
    if !(1..=tt_app::entries::MAX_LIST).contains(&limit) {
        return Err(HttpError::invalid_field(
            "limit",
            "must be between 1 and 5000",
        ));
    }
    Ok(tt_app::entries::EntryQuery {
        user: q
            .user_id
            .map(|u| input::id("user_id", u, tt_domain::UserId::new))
            .transpose()?,
        period: input::opt_period(q.from.as_deref(), q.to.as_deref(), calendar)?,
        project: q
            .project_id
            .map(|p| input::id("project_id", p, ProjectId::new))
            .transpose()?,
        client: q
            .client_id
            .map(|c| input::id("client_id", c, tt_domain::ClientId::new))
            .transpose()?,
        tag: q.tag.clone(),
        billable: q.billable,
        page: match q.page.unwrap_or(1) {
            p if p >= 1 => usize::try_from(p).unwrap_or(usize::MAX),
            _ => return Err(HttpError::invalid_field("page", "must be at least 1")),
        },
        per_page: usize::try_from(limit).unwrap_or(500),
        // The list says how many there are (`X-Total-Count`), not how long.
        totals: false,
    })
}

/// A time entry. `start` and `end` are required to create one; to change
/// one, give both or neither (it keeps its times).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntryInput {
    #[schema(minimum = 1)]
    project_id: i64,
    /// A task of the project.
    #[serde(default)]
    #[schema(minimum = 1)]
    task_id: Option<i64>,
    start: Option<DateTime<Utc>>,
    /// After `start`, within 7 days of it.
    end: Option<DateTime<Utc>>,
    #[serde(default)]
    #[schema(max_length = 10000)]
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

/// Records a finished time entry.
#[utoipa::path(
    tag = "time-entries",
    operation_id = "create_time_entry",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new entry", body = EntryDto),
        Authed, JsonBody,
    ),
)]
#[post("/time-entries")]
async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<EntryInput>,
) -> Result<HttpResponse, HttpError> {
    let times = body
        .times()?
        .ok_or_else(|| HttpError::Validation("start and end are required".into()))?;
    let d = body.details()?;
    let actor = user.actor();
    let entry = state
        .run(move |app| tt_app::entries::create(app, &actor, d, times))
        .await?;
    Ok(HttpResponse::Created().json(EntryDto::new(&entry, now(), &user.calendar(&state))))
}

fn entry_id(raw: i64) -> Result<TimeEntryId, HttpError> {
    TimeEntryId::new(raw).ok_or(HttpError::NotFound)
}

/// One time entry (your own; admins: anyone's).
#[utoipa::path(
    tag = "time-entries",
    operation_id = "get_time_entry",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The entry", body = EntryDto),
        Authed, Missing,
    ),
)]
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
    Ok(HttpResponse::Ok().json(EntryDto::new(&entry, now(), &user.calendar(&state))))
}

/// Changes a time entry (not once invoiced).
#[utoipa::path(
    tag = "time-entries",
    operation_id = "update_time_entry",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed entry", body = EntryDto),
        Authed, JsonBody, Missing,
    ),
)]
#[put("/time-entries/{id}")]
async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: Json<EntryInput>,
) -> Result<HttpResponse, HttpError> {
    let (actor, id) = (user.actor(), entry_id(path.into_inner())?);
    let times = body.times()?;
    let d = body.details()?;
    let entry = state
        .run(move |app| tt_app::entries::update(app, &actor, id, d, times))
        .await?;
    Ok(HttpResponse::Ok().json(EntryDto::new(&entry, now(), &user.calendar(&state))))
}

/// Deletes a time entry (not once invoiced).
#[utoipa::path(
    tag = "time-entries",
    operation_id = "delete_time_entry",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Authed, Missing,
    ),
)]
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
