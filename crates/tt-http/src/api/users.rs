//! Admin user management.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use tt_domain::{Email, Password, Role, UserId, Username};

use super::dto::UserDto;
use crate::auth::{ApiUser, hash_password};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tracking;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(update)
        .service(remove);
}

#[get("/users")]
async fn list(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let users = state.db(tt_persistence::users::list).await?;
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

/// Creates a user (admin only). Shared with the admin page.
pub(crate) async fn create_user(
    state: &AppState,
    username: &str,
    password: &str,
    email: Option<&str>,
    role: Role,
) -> Result<tt_domain::User, ApiError> {
    let username = Username::parse(username)?;
    let password = Password::parse(password)?;
    let email = match email.map(str::trim) {
        None | Some("") => None,
        Some(e) => Some(Email::parse(e)?),
    };
    let hash = web::block(move || hash_password(&password))
        .await
        .map_err(|_| ApiError::Internal("blocking task failed".into()))??;
    state
        .db(move |c| {
            tt_persistence::users::create(
                c,
                &tt_persistence::users::NewUser {
                    username: &username,
                    email: email.as_ref(),
                    password_hash: &hash,
                    role,
                },
            )
        })
        .await
}

#[post("/users")]
async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<NewUserInput>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let role = body.role.as_deref().unwrap_or("user").parse::<Role>()?;
    let created = create_user(
        &state,
        &body.username,
        &body.password,
        body.email.as_deref(),
        role,
    )
    .await?;
    state.track(tracking::user_created(&created), Some(user.id()));
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
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = UserId::new(path.into_inner()).ok_or(ApiError::NotFound)?;
    let role = body.role.parse::<Role>()?;
    let active = body.active;
    let (old_role, updated) = state
        .db(move |c| {
            let old_role = tt_persistence::users::find(c, id)?.role;
            Ok((
                old_role,
                tt_persistence::users::update_role_active(c, id, role, active)?,
            ))
        })
        .await?;
    if let Some(event) = tracking::user_role_changed(old_role, &updated) {
        state.track(event, Some(user.id()));
    }
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
pub(crate) fn disposition(
    raw: Option<&str>,
) -> Result<tt_persistence::users::EntryDisposition, ApiError> {
    use tt_persistence::users::EntryDisposition;
    match raw.unwrap_or("anonymise") {
        "anonymise" | "anonymize" => Ok(EntryDisposition::Anonymise),
        "delete" => Ok(EntryDisposition::Delete),
        _ => Err(ApiError::Validation(
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
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = UserId::new(path.into_inner()).ok_or(ApiError::NotFound)?;
    if id == user.id() {
        return Err(ApiError::Conflict(
            "you cannot delete your own account".into(),
        ));
    }
    let how = disposition(q.entries.as_deref())?;
    let report = state
        .db(move |c| tt_persistence::users::delete(c, id, how))
        .await?;
    state.track(tracking::user_deleted(id, how), Some(user.id()));
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "entries_deleted": report.entries_deleted,
        "entries_anonymised": report.entries_anonymised,
        "comments_deleted": report.comments_deleted,
    })))
}
