//! Token login and logout.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

use super::dto::UserDto;
use crate::auth::{ApiUser, authenticate, bearer_token};
use crate::error::HttpError;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(logout).service(me);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginInput {
    username: String,
    password: String,
}

/// `POST /api/v1/auth/login` → `{"token"}`.
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginInput>,
) -> Result<HttpResponse, HttpError> {
    let user = authenticate(&state, &req, &body.username, &body.password).await?;
    let for_token = user.clone();
    let token = state
        .run(move |app| tt_app::auth::issue_token(app, &for_token))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"token": token, "user": UserDto::from(&user)})))
}

/// `POST /api/v1/auth/logout`: revokes the token used.
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: ApiUser,
) -> Result<HttpResponse, HttpError> {
    let token = bearer_token(&req).ok_or(HttpError::Unauthorized)?;
    let actor = user.actor();
    state
        .run(move |app| tt_app::auth::revoke_token(app, &actor, &token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/me`.
#[get("/me")]
async fn me(user: ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(UserDto::from(&user.0))
}
