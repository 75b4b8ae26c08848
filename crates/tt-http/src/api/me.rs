//! The signed-in user's own things: their data (`GET /api/v1/me/export`),
//! their API tokens and their password.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::body::Json;
use super::dto::{NewTokenDto, TokenDto, UserDto};
use super::openapi::{Authed, JsonBody, Missing, Query, Restricted};
use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::export::{UserExportDto, export_response};
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(export)
        .service(tokens)
        .service(create_token)
        .service(revoke_token)
        .service(change_password)
        .service(set_calendar);
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `json` (the default: profile, entries and comments) or `csv` (the
    /// entries).
    #[serde(default)]
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// Everything stored about the caller, as a download.
#[utoipa::path(
    tag = "auth",
    params(ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's data", content(
            (UserExportDto = "application/json"),
            (String = "text/csv"),
        )),
        Authed, Query,
    ),
)]
#[get("/me/export")]
async fn export(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, HttpError> {
    export_response(&state, user.actor(), q.format.as_deref()).await
}

/// Your unexpired API tokens, newest first; `current` marks the one this
/// request used.
#[utoipa::path(
    tag = "me",
    operation_id = "list_my_tokens",
    security(("bearer" = [])),
    responses((status = 200, description = "Your tokens", body = Vec<TokenDto>), Authed),
)]
#[get("/me/tokens")]
async fn tokens(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let current = user.1;
    let actor = user.actor();
    let list = state
        .run(move |app| tt_app::auth::list_tokens(app, &actor))
        .await?;
    let body: Vec<TokenDto> = list
        .into_iter()
        .map(|t| TokenDto::new(t, Some(current)))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// A new token's name and lifetime.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenInput {
    /// What it is for (1–200 characters).
    name: String,
    /// Days until it stops working, 1–3650; absent or null: until revoked.
    #[serde(default)]
    expires_in_days: Option<i64>,
}

/// Makes a named API token, shown in this answer only.
#[utoipa::path(
    tag = "me",
    operation_id = "create_my_token",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The token (shown once) and its description", body = NewTokenDto),
        Authed, JsonBody, Restricted,
    ),
)]
#[post("/me/tokens")]
async fn create_token(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<TokenInput>,
) -> Result<HttpResponse, HttpError> {
    let request = tt_app::auth::TokenRequest::parse(&body.name, body.expires_in_days)?;
    let actor = user.actor();
    let (info, token) = state
        .run(move |app| tt_app::auth::create_token(app, &actor, &request))
        .await?;
    Ok(HttpResponse::Created().json(NewTokenDto::new(info, token)))
}

/// Revokes one of your tokens (another user's is not found).
#[utoipa::path(
    tag = "me",
    operation_id = "revoke_my_token",
    params(("id" = i64, Path, minimum = 1, description = "The token's id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Revoked"), Authed, Missing),
)]
#[delete("/me/tokens/{id}")]
async fn revoke_token(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path.into_inner();
    let actor = user.actor();
    state
        .run(move |app| tt_app::auth::revoke_token_by_id(app, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Your current password and the new one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordInput {
    #[schema(format = Password)]
    current_password: String,
    /// At least 12 characters and hard to guess (a refusal says why).
    #[schema(format = Password)]
    new_password: String,
}

/// Changes your password. Every browser session and every token of yours
/// ends, this one included: sign in again.
#[utoipa::path(
    tag = "me",
    operation_id = "change_my_password",
    security(("bearer" = [])),
    responses((status = 204, description = "Changed; sign in again"), Authed, JsonBody),
)]
#[post("/me/password")]
async fn change_password(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<PasswordInput>,
) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let body = body.0;
    state
        .run(move |app| {
            tt_app::users::change_password(
                app,
                &actor,
                &body.current_password,
                &body.new_password,
                None,
            )
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How you read time.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CalendarInput {
    /// An IANA time zone such as `Europe/Berlin`; null or empty: the
    /// installation's default.
    #[serde(default)]
    time_zone: Option<String>,
    /// `monday`, `sunday` or `saturday`; null or empty: the installation's
    /// default.
    #[serde(default)]
    #[schema(pattern = "^(|monday|sunday|saturday)$")]
    week_start: Option<String>,
}

/// Sets the time zone your times are shown and typed in (entry times come
/// back with its UTC offset) and the first day of your week.
#[utoipa::path(
    tag = "me",
    operation_id = "set_my_calendar",
    security(("bearer" = [])),
    responses((status = 200, description = "Your account as it is now", body = UserDto), Authed, JsonBody),
)]
#[put("/me/calendar")]
async fn set_calendar(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<CalendarInput>,
) -> Result<HttpResponse, HttpError> {
    let zone = tt_app::input::opt_zone(body.time_zone.as_deref())?;
    let week = tt_app::input::opt_week_start(body.week_start.as_deref())?;
    let actor = user.actor();
    let updated = state
        .run(move |app| tt_app::users::set_calendar(app, &actor, zone, week))
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::from(&updated)))
}
