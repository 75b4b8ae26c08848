//! Clients, projects, tasks and comments. Clients and projects are shared by
//! the whole company and changed by admins; tasks by anyone; comments by
//! their authors.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use tt_app::{catalog, comments, input, tasks};
use tt_domain::{ClientId, CommentId, ProjectId, TaskId, Text};
use utoipa::{IntoParams, ToSchema};

use super::body::Json;
use super::dto::{ClientDto, CommentDto, ProjectDto, TaskDto, comment_target};
use super::openapi::{Authed, JsonBody, Missing, Query, Restricted};
use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::inputs::{ClientInput, ProjectInput, TaskInput};
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_clients)
        .service(create_client)
        .service(get_client)
        .service(update_client)
        .service(delete_client)
        .service(list_projects)
        .service(create_project)
        .service(get_project)
        .service(update_project)
        .service(delete_project)
        .service(list_tasks)
        .service(create_task)
        .service(get_task)
        .service(update_task)
        .service(delete_task)
        .service(list_comments)
        .service(create_comment)
        .service(get_comment)
        .service(update_comment)
        .service(delete_comment);
}

fn path_id<T>(raw: i64, make: fn(i64) -> Option<T>) -> Result<T, HttpError> {
    make(raw).ok_or(HttpError::NotFound)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ClientQuery {
    /// Archived clients too.
    #[serde(default)]
    include_archived: bool,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ProjectQuery {
    /// Archived projects too.
    #[serde(default)]
    include_archived: bool,
    /// Only this client's projects.
    #[serde(default)]
    #[param(minimum = 1)]
    client_id: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TaskQuery {
    /// Only this project's tasks.
    #[serde(default)]
    #[param(minimum = 1)]
    project_id: Option<i64>,
}

/// At most one of the two.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CommentQuery {
    /// Only comments on this project.
    #[serde(default)]
    #[param(minimum = 1)]
    project_id: Option<i64>,
    /// Only comments on this task.
    #[serde(default)]
    #[param(minimum = 1)]
    task_id: Option<i64>,
}

// ---------------------------------------------------------------- clients

/// Lists clients.
#[utoipa::path(
    tag = "clients",
    params(ClientQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The clients", body = Vec<ClientDto>),
        Authed, Query,
    ),
)]
#[get("/clients")]
async fn list_clients(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<ClientQuery>,
) -> Result<HttpResponse, HttpError> {
    let all = q.include_archived;
    let list = state.run(move |app| catalog::clients(app, all)).await?;
    Ok(HttpResponse::Ok().json(
        list.iter()
            .map(|c| ClientDto::new(c, &user.0))
            .collect::<Vec<_>>(),
    ))
}

/// Creates a client.
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new client", body = ClientDto),
        Authed, JsonBody, Restricted,
    ),
)]
#[post("/clients")]
async fn create_client(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<ClientInput>,
) -> Result<HttpResponse, HttpError> {
    let f = body.parse()?;
    let actor = user.actor();
    let client = state
        .run(move |app| catalog::create_client(app, &actor, f))
        .await?;
    Ok(HttpResponse::Created().json(ClientDto::new(&client, &user.0)))
}

/// One client.
#[utoipa::path(
    tag = "clients",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The client", body = ClientDto),
        Authed, Missing,
    ),
)]
#[get("/clients/{id}")]
async fn get_client(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), ClientId::new)?;
    let client = state.run(move |app| catalog::client(app, id)).await?;
    Ok(HttpResponse::Ok().json(ClientDto::new(&client, &user.0)))
}

/// Changes a client.
#[utoipa::path(
    tag = "clients",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed client", body = ClientDto),
        Authed, JsonBody, Missing, Restricted,
    ),
)]
#[put("/clients/{id}")]
async fn update_client(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: Json<ClientInput>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), ClientId::new)?;
    let f = body.parse()?;
    let actor = user.actor();
    let client = state
        .run(move |app| catalog::update_client(app, &actor, id, f))
        .await?;
    Ok(HttpResponse::Ok().json(ClientDto::new(&client, &user.0)))
}

/// Deletes a client.
#[utoipa::path(
    tag = "clients",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Authed, Missing, Restricted,
    ),
)]
#[delete("/clients/{id}")]
async fn delete_client(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), ClientId::new)?;
    let actor = user.actor();
    state
        .run(move |app| catalog::delete_client(app, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- projects

/// Lists projects.
#[utoipa::path(
    tag = "projects",
    params(ProjectQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The projects", body = Vec<ProjectDto>),
        Authed, Query,
    ),
)]
#[get("/projects")]
async fn list_projects(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<ProjectQuery>,
) -> Result<HttpResponse, HttpError> {
    let all = q.include_archived;
    let client = q
        .client_id
        .map(|c| input::id("client_id", c, ClientId::new))
        .transpose()?;
    let list = state
        .run(move |app| catalog::projects(app, client, all))
        .await?;
    Ok(HttpResponse::Ok().json(
        list.iter()
            .map(|p| ProjectDto::new(p, &user.0))
            .collect::<Vec<_>>(),
    ))
}

/// Creates a project.
#[utoipa::path(
    tag = "projects",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new project", body = ProjectDto),
        Authed, JsonBody, Restricted,
    ),
)]
#[post("/projects")]
async fn create_project(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<ProjectInput>,
) -> Result<HttpResponse, HttpError> {
    let f = body.parse()?;
    let actor = user.actor();
    let project = state
        .run(move |app| catalog::create_project(app, &actor, f))
        .await?;
    Ok(HttpResponse::Created().json(ProjectDto::new(&project, &user.0)))
}

/// One project.
#[utoipa::path(
    tag = "projects",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The project", body = ProjectDto),
        Authed, Missing,
    ),
)]
#[get("/projects/{id}")]
async fn get_project(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), ProjectId::new)?;
    let project = state.run(move |app| catalog::project(app, id)).await?;
    Ok(HttpResponse::Ok().json(ProjectDto::new(&project, &user.0)))
}

/// Changes a project.
#[utoipa::path(
    tag = "projects",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed project", body = ProjectDto),
        Authed, JsonBody, Missing, Restricted,
    ),
)]
#[put("/projects/{id}")]
async fn update_project(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: Json<ProjectInput>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), ProjectId::new)?;
    let f = body.parse()?;
    let actor = user.actor();
    let project = state
        .run(move |app| catalog::update_project(app, &actor, id, f))
        .await?;
    Ok(HttpResponse::Ok().json(ProjectDto::new(&project, &user.0)))
}

/// Deletes a project.
#[utoipa::path(
    tag = "projects",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Authed, Missing, Restricted,
    ),
)]
#[delete("/projects/{id}")]
async fn delete_project(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), ProjectId::new)?;
    let actor = user.actor();
    state
        .run(move |app| catalog::delete_project(app, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ------------------------------------------------------------------ tasks

/// Lists tasks.
#[utoipa::path(
    tag = "tasks",
    params(TaskQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tasks", body = Vec<TaskDto>),
        Authed, Query,
    ),
)]
#[get("/tasks")]
async fn list_tasks(
    state: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<TaskQuery>,
) -> Result<HttpResponse, HttpError> {
    let project = q
        .project_id
        .map(|p| input::id("project_id", p, ProjectId::new))
        .transpose()?;
    let list = state.run(move |app| tasks::list(app, project)).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(TaskDto::from).collect::<Vec<_>>()))
}

/// Creates a task.
#[utoipa::path(
    tag = "tasks",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new task", body = TaskDto),
        Authed, JsonBody,
    ),
)]
#[post("/tasks")]
async fn create_task(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<TaskInput>,
) -> Result<HttpResponse, HttpError> {
    let f = body.parse()?;
    let actor = user.actor();
    let task = state.run(move |app| tasks::create(app, &actor, f)).await?;
    Ok(HttpResponse::Created().json(TaskDto::from(&task)))
}

/// One task.
#[utoipa::path(
    tag = "tasks",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The task", body = TaskDto),
        Authed, Missing,
    ),
)]
#[get("/tasks/{id}")]
async fn get_task(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), TaskId::new)?;
    let task = state.run(move |app| tasks::get(app, id)).await?;
    Ok(HttpResponse::Ok().json(TaskDto::from(&task)))
}

/// Changes a task.
#[utoipa::path(
    tag = "tasks",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed task", body = TaskDto),
        Authed, JsonBody, Missing, Restricted,
    ),
)]
#[put("/tasks/{id}")]
async fn update_task(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: Json<TaskInput>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), TaskId::new)?;
    let f = body.parse()?;
    let actor = user.actor();
    let (_, task) = state
        .run(move |app| tasks::update(app, &actor, id, f))
        .await?;
    Ok(HttpResponse::Ok().json(TaskDto::from(&task)))
}

/// Deletes a task.
#[utoipa::path(
    tag = "tasks",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Authed, Missing, Restricted,
    ),
)]
#[delete("/tasks/{id}")]
async fn delete_task(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), TaskId::new)?;
    let actor = user.actor();
    state.run(move |app| tasks::delete(app, &actor, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

// --------------------------------------------------------------- comments

/// A comment on exactly one of a project and a task.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommentInput {
    #[serde(default)]
    #[schema(minimum = 1)]
    project_id: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 1)]
    task_id: Option<i64>,
    /// Not blank.
    #[schema(min_length = 1, max_length = 10000)]
    body: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommentEdit {
    /// Not blank.
    #[schema(min_length = 1, max_length = 10000)]
    body: String,
}

/// Lists comments.
#[utoipa::path(
    tag = "comments",
    params(CommentQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The comments", body = Vec<CommentDto>),
        Authed, Query,
    ),
)]
#[get("/comments")]
async fn list_comments(
    state: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<CommentQuery>,
) -> Result<HttpResponse, HttpError> {
    let target = match (q.project_id, q.task_id) {
        (None, None) => None,
        (p, t) => Some(comment_target(p, t)?),
    };
    let list = state.run(move |app| comments::list(app, target)).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(CommentDto::from).collect::<Vec<_>>()))
}

/// Creates a comment.
#[utoipa::path(
    tag = "comments",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new comment", body = CommentDto),
        Authed, JsonBody,
    ),
)]
#[post("/comments")]
async fn create_comment(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<CommentInput>,
) -> Result<HttpResponse, HttpError> {
    let target = comment_target(body.project_id, body.task_id)?;
    let text = Text::parse_non_empty(&body.body)?;
    let actor = user.actor();
    let comment = state
        .run(move |app| comments::create(app, &actor, target, text))
        .await?;
    Ok(HttpResponse::Created().json(CommentDto::from(&comment)))
}

/// One comment.
#[utoipa::path(
    tag = "comments",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The comment", body = CommentDto),
        Authed, Missing,
    ),
)]
#[get("/comments/{id}")]
async fn get_comment(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), CommentId::new)?;
    let comment = state.run(move |app| comments::get(app, id)).await?;
    Ok(HttpResponse::Ok().json(CommentDto::from(&comment)))
}

/// Changes a comment.
#[utoipa::path(
    tag = "comments",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed comment", body = CommentDto),
        Authed, JsonBody, Missing, Restricted,
    ),
)]
#[put("/comments/{id}")]
async fn update_comment(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: Json<CommentEdit>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), CommentId::new)?;
    let text = Text::parse_non_empty(&body.body)?;
    let actor = user.actor();
    let comment = state
        .run(move |app| comments::update(app, &actor, id, text))
        .await?;
    Ok(HttpResponse::Ok().json(CommentDto::from(&comment)))
}

/// Deletes a comment.
#[utoipa::path(
    tag = "comments",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Authed, Missing, Restricted,
    ),
)]
#[delete("/comments/{id}")]
async fn delete_comment(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), CommentId::new)?;
    let actor = user.actor();
    state
        .run(move |app| comments::delete(app, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
