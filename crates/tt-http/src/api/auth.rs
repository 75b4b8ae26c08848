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
    /// What to call the token (default "API sign-in").
    #[serde(default)]
    token_name: Option<String>,
    /// Days until the token stops working (default 30; 1–3650).
    #[serde(default)]
    expires_in_days: Option<i64>,
}

impl LoginInput {
    fn token_request(&self) -> Result<tt_app::auth::TokenRequest, HttpError> {
        let default = tt_app::auth::TokenRequest::sign_in();
        if self.token_name.is_none() && self.expires_in_days.is_none() {
            return Ok(default);
        }
        let name = self.token_name.as_deref().unwrap_or(default.name.as_str());
        let days = self
            .expires_in_days
            .or(default.expires_in_days.map(i64::from));
        Ok(tt_app::auth::TokenRequest::parse(name, days)?)
    }
}

/// `POST /api/v1/auth/login` → a new token (30 days unless asked
/// otherwise), its description and the user.
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginInput>,
) -> Result<HttpResponse, HttpError> {
    // Checked first: a malformed request is refused without a password check.
    let request = body.token_request()?;
    let user = authenticate(&state, &req, &body.username, &body.password).await?;
    let for_token = user.clone();
    let (info, token) = state
        .run(move |app| tt_app::auth::issue_token(app, &for_token, &request))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "token": token,
        "token_id": info.id,
        "expires_at": info.expires_at,
        "user": UserDto::from(&user),
    })))
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
