//! Admin user management.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use tt_domain::{Role, UserId};
use utoipa::{IntoParams, ToSchema};

use super::body::Json;
use super::dto::UserDto;
use super::openapi::{Authed, JsonBody, Missing, Query, Restricted, RoleName};
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

/// Lists users.
#[utoipa::path(
    tag = "users",
    operation_id = "list_users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every user", body = Vec<UserDto>),
        Authed, Restricted,
    ),
)]
#[get("/users")]
async fn list(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let users = state
        .run(move |app| tt_app::users::list(app, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(users.iter().map(UserDto::from).collect::<Vec<_>>()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserInput {
    /// 3–64 letters, digits, `.`, `_` or `-`.
    #[schema(min_length = 3)]
    username: String,
    /// 12 characters to 1024 bytes, not easy to guess.
    #[schema(format = Password, min_length = 12)]
    password: String,
    /// Empty or absent for none.
    #[serde(default)]
    email: Option<String>,
    /// Absent: `user`.
    #[serde(default)]
    #[schema(value_type = Option<RoleName>)]
    role: Option<String>,
}

/// Creates a user.
#[utoipa::path(
    tag = "users",
    operation_id = "create_user",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new user", body = UserDto),
        Authed, JsonBody, Restricted,
    ),
)]
#[post("/users")]
async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<NewUserInput>,
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateUserInput {
    #[schema(value_type = RoleName)]
    role: String,
    active: bool,
}

/// Changes a user's role and whether they may sign in.
#[utoipa::path(
    tag = "users",
    operation_id = "update_user",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed user", body = UserDto),
        Authed, JsonBody, Missing, Restricted,
    ),
)]
#[put("/users/{id}")]
async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: Json<UpdateUserInput>,
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

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DeleteQuery {
    /// `delete` or `anonymise` (the default keeps reports and invoices
    /// intact; `anonymize` is accepted too).
    #[serde(default)]
    #[param(pattern = "^(delete|anonymise|anonymize)$")]
    entries: Option<String>,
}

/// What a user's deletion removed or anonymised.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeletionDto {
    entries_deleted: usize,
    entries_anonymised: usize,
    comments_deleted: usize,
}

/// Deletes a user, their comments and tokens; their entries are
/// anonymised or deleted.
#[utoipa::path(
    tag = "users",
    operation_id = "delete_user",
    params(("id" = i64, Path, minimum = 1, description = "The id"), DeleteQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was removed", body = DeletionDto),
        Authed, Query, Missing, Restricted,
    ),
)]
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
    Ok(HttpResponse::Ok().json(DeletionDto {
        entries_deleted: report.entries_deleted,
        entries_anonymised: report.entries_anonymised,
        comments_deleted: report.comments_deleted,
    }))
}

/// A temporary password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetInput {
    /// The user must choose a new one at their next sign-in.
    #[schema(format = Password)]
    password: String,
}

/// Resets a user's password (admin): they are signed out everywhere and
/// must choose a new one at their next sign-in.
#[utoipa::path(
    tag = "users",
    operation_id = "reset_user_password",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user, who must now choose a new password", body = UserDto),
        Authed, JsonBody, Missing, Restricted,
    ),
)]
#[post("/users/{id}/password")]
async fn reset_password(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: Json<ResetInput>,
) -> Result<HttpResponse, HttpError> {
    let id = UserId::new(path.into_inner()).ok_or(HttpError::NotFound)?;
    let actor = user.actor();
    let body = body.0;
    let updated = state
        .run(move |app| tt_app::users::reset_password(app, &actor, id, &body.password))
        .await?;
    Ok(HttpResponse::Ok().json(UserDto::from(&updated)))
}
