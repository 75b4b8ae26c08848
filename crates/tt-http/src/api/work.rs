//! Clients, projects, tasks and comments. Clients and projects are shared by
//! the whole company and changed by admins; tasks by anyone; comments by
//! their authors.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use tt_app::{catalog, comments, input, tasks};
use tt_domain::{ClientId, CommentId, ProjectId, TaskId, Text};

use super::dto::{ClientDto, CommentDto, ProjectDto, TaskDto, comment_target};
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    include_archived: bool,
    #[serde(default)]
    client_id: Option<i64>,
    #[serde(default)]
    project_id: Option<i64>,
    #[serde(default)]
    task_id: Option<i64>,
}

// ---------------------------------------------------------------- clients

#[get("/clients")]
async fn list_clients(
    state: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, HttpError> {
    let all = q.include_archived;
    let list = state.run(move |app| catalog::clients(app, all)).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(ClientDto::from).collect::<Vec<_>>()))
}

#[post("/clients")]
async fn create_client(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<ClientInput>,
) -> Result<HttpResponse, HttpError> {
    let f = body.parse()?;
    let actor = user.actor();
    let client = state
        .run(move |app| catalog::create_client(app, &actor, f))
        .await?;
    Ok(HttpResponse::Created().json(ClientDto::from(&client)))
}

#[get("/clients/{id}")]
async fn get_client(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), ClientId::new)?;
    let client = state.run(move |app| catalog::client(app, id)).await?;
    Ok(HttpResponse::Ok().json(ClientDto::from(&client)))
}

#[put("/clients/{id}")]
async fn update_client(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ClientInput>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), ClientId::new)?;
    let f = body.parse()?;
    let actor = user.actor();
    let client = state
        .run(move |app| catalog::update_client(app, &actor, id, f))
        .await?;
    Ok(HttpResponse::Ok().json(ClientDto::from(&client)))
}

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

#[get("/projects")]
async fn list_projects(
    state: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, HttpError> {
    let all = q.include_archived;
    let client = q
        .client_id
        .map(|c| input::id("client_id", c, ClientId::new))
        .transpose()?;
    let list = state
        .run(move |app| catalog::projects(app, client, all))
        .await?;
    Ok(HttpResponse::Ok().json(list.iter().map(ProjectDto::from).collect::<Vec<_>>()))
}

#[post("/projects")]
async fn create_project(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<ProjectInput>,
) -> Result<HttpResponse, HttpError> {
    let f = body.parse()?;
    let actor = user.actor();
    let project = state
        .run(move |app| catalog::create_project(app, &actor, f))
        .await?;
    Ok(HttpResponse::Created().json(ProjectDto::from(&project)))
}

#[get("/projects/{id}")]
async fn get_project(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), ProjectId::new)?;
    let project = state.run(move |app| catalog::project(app, id)).await?;
    Ok(HttpResponse::Ok().json(ProjectDto::from(&project)))
}

#[put("/projects/{id}")]
async fn update_project(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ProjectInput>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), ProjectId::new)?;
    let f = body.parse()?;
    let actor = user.actor();
    let project = state
        .run(move |app| catalog::update_project(app, &actor, id, f))
        .await?;
    Ok(HttpResponse::Ok().json(ProjectDto::from(&project)))
}

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

#[get("/tasks")]
async fn list_tasks(
    state: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, HttpError> {
    let project = q
        .project_id
        .map(|p| input::id("project_id", p, ProjectId::new))
        .transpose()?;
    let list = state.run(move |app| tasks::list(app, project)).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(TaskDto::from).collect::<Vec<_>>()))
}

#[post("/tasks")]
async fn create_task(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TaskInput>,
) -> Result<HttpResponse, HttpError> {
    let f = body.parse()?;
    let actor = user.actor();
    let task = state.run(move |app| tasks::create(app, &actor, f)).await?;
    Ok(HttpResponse::Created().json(TaskDto::from(&task)))
}

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

#[put("/tasks/{id}")]
async fn update_task(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<TaskInput>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), TaskId::new)?;
    let f = body.parse()?;
    let actor = user.actor();
    let (_, task) = state
        .run(move |app| tasks::update(app, &actor, id, f))
        .await?;
    Ok(HttpResponse::Ok().json(TaskDto::from(&task)))
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentInput {
    #[serde(default)]
    project_id: Option<i64>,
    #[serde(default)]
    task_id: Option<i64>,
    body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentEdit {
    body: String,
}

#[get("/comments")]
async fn list_comments(
    state: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, HttpError> {
    let target = match (q.project_id, q.task_id) {
        (None, None) => None,
        (p, t) => Some(comment_target(p, t)?),
    };
    let list = state.run(move |app| comments::list(app, target)).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(CommentDto::from).collect::<Vec<_>>()))
}

#[post("/comments")]
async fn create_comment(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CommentInput>,
) -> Result<HttpResponse, HttpError> {
    let target = comment_target(body.project_id, body.task_id)?;
    let text = Text::parse_non_empty(&body.body)?;
    let actor = user.actor();
    let comment = state
        .run(move |app| comments::create(app, &actor, target, text))
        .await?;
    Ok(HttpResponse::Created().json(CommentDto::from(&comment)))
}

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

#[put("/comments/{id}")]
async fn update_comment(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<CommentEdit>,
) -> Result<HttpResponse, HttpError> {
    let id = path_id(path.into_inner(), CommentId::new)?;
    let text = Text::parse_non_empty(&body.body)?;
    let actor = user.actor();
    let comment = state
        .run(move |app| comments::update(app, &actor, id, text))
        .await?;
    Ok(HttpResponse::Ok().json(CommentDto::from(&comment)))
}

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
