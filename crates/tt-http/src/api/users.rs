//! Admin user management.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use tt_app::users::{EntryDisposition, NewAccount};
use tt_domain::{Password, Role, UserId, Username};

use super::dto::UserDto;
use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(update)
        .service(remove);
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

/// A new account from typed text. Shared with the admin page.
pub(crate) fn new_account(
    username: &str,
    password: &str,
    email: Option<&str>,
    role: Role,
) -> Result<NewAccount, HttpError> {
    Ok(NewAccount {
        username: Username::parse(username)?,
        password: Password::parse(password)?,
        email: tt_app::input::email(email)?,
        role,
    })
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

/// Parses what to do with a deleted user's entries.
pub(crate) fn disposition(raw: Option<&str>) -> Result<EntryDisposition, HttpError> {
    match raw.unwrap_or("anonymise") {
        "anonymise" | "anonymize" => Ok(EntryDisposition::Anonymise),
        "delete" => Ok(EntryDisposition::Delete),
        _ => Err(HttpError::Validation(
            "entries: must be delete or anonymise".into(),
        )),
    }
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
