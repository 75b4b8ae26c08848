//! The signed-in user's own things: their data (`GET /api/v1/me/export`),
//! their API tokens and their password.

use actix_web::{HttpResponse, delete, get, post, web};
use serde::Deserialize;

use super::dto::{NewTokenDto, TokenDto};
use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::export::export_response;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(export)
        .service(tokens)
        .service(create_token)
        .service(revoke_token)
        .service(change_password);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
}

#[get("/me/export")]
async fn export(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, HttpError> {
    export_response(&state, user.actor(), q.format.as_deref()).await
}

/// `GET /api/v1/me/tokens`: your unexpired tokens, newest first; `current`
/// marks the one this request used.
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenInput {
    name: String,
    /// 1–3650; absent or null: until revoked.
    #[serde(default)]
    expires_in_days: Option<i64>,
}

/// `POST /api/v1/me/tokens` → 201 with the token, shown this once.
#[post("/me/tokens")]
async fn create_token(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TokenInput>,
) -> Result<HttpResponse, HttpError> {
    let request = tt_app::auth::TokenRequest::parse(&body.name, body.expires_in_days)?;
    let actor = user.actor();
    let (info, token) = state
        .run(move |app| tt_app::auth::create_token(app, &actor, &request))
        .await?;
    Ok(HttpResponse::Created().json(NewTokenDto::new(info, token)))
}

/// `DELETE /api/v1/me/tokens/{id}`: revokes one of your tokens.
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordInput {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/me/password`: changes your password. Every session and
/// every token of yours ends, this one included: sign in again.
#[post("/me/password")]
async fn change_password(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<PasswordInput>,
) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let body = body.into_inner();
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
