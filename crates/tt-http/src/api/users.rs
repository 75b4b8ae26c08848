//! Admin user management.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use tt_domain::{Role, UserId};

use super::dto::UserDto;
use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::inputs::{disposition, new_account};
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(update)
        .service(remove)
        .service(reset_password);
}

#[get("/users")]
async fn list(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let users = state
        .run(move |app| tt_app::users::list(app, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(users.iter().map(UserDto::from).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserInput {
    username: String,
    password: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    role: Option<String>,
}

#[post("/users")]
async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewUserInput>,
) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    let role = body.role.as_deref().unwrap_or("user").parse::<Role>()?;
    let account = new_account(&body.username, &body.password, body.email.as_deref(), role)?;
    let actor = user.actor();
    let created = state
        .run(move |app| tt_app::users::create(app, &actor, account))
        .await?;
    Ok(HttpResponse::Created().json(UserDto::from(&created)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateUserInput {
    role: String,
    active: bool,
}

#[put("/users/{id}")]
async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<UpdateUserInput>,
) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    let id = UserId::new(path.into_inner()).ok_or(HttpError::NotFound)?;
    let role = body.role.parse::<Role>()?;
    let active = body.active;
    let actor = user.actor();
    let (_, updated) = state
        .run(move |app| tt_app::users::set_role_active(app, &actor, id, role, active))
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::from(&updated)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteQuery {
    /// `delete` or `anonymise` (the default keeps reports and invoices
    /// intact).
    #[serde(default)]
    entries: Option<String>,
}

/// `DELETE /api/v1/users/{id}?entries=delete|anonymise` (admin).
#[delete("/users/{id}")]
async fn remove(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    q: web::Query<DeleteQuery>,
) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    let id = UserId::new(path.into_inner()).ok_or(HttpError::NotFound)?;
    let how = disposition(q.entries.as_deref())?;
    let actor = user.actor();
    let report = state
        .run(move |app| tt_app::users::delete(app, &actor, id, how))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "entries_deleted": report.entries_deleted,
        "entries_anonymised": report.entries_anonymised,
        "comments_deleted": report.comments_deleted,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetInput {
    /// A temporary password; the user must choose a new one at sign-in.
    password: String,
}

/// `POST /api/v1/users/{id}/password` (admin): a temporary password; the
/// user is signed out everywhere and must choose a new one.
#[post("/users/{id}/password")]
async fn reset_password(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ResetInput>,
) -> Result<HttpResponse, HttpError> {
    let id = UserId::new(path.into_inner()).ok_or(HttpError::NotFound)?;
    let actor = user.actor();
    let body = body.into_inner();
    let updated = state
        .run(move |app| tt_app::users::reset_password(app, &actor, id, &body.password))
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::from(&updated)))
}
