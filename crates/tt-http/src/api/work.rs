//! Clients, projects, tasks and comments. Clients and projects are shared by
//! the whole company and changed by admins; tasks by anyone; comments by
//! their authors.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use tt_domain::{ClientId, CommentId, ProjectId, TaskId, Text};
use tt_persistence::work as repo;

use super::dto::{
    ClientDto, ClientInput, CommentDto, ProjectDto, ProjectInput, TaskDto, TaskInput,
    comment_target, id_of,
};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tracking;

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

fn path_id<T>(raw: i64, make: fn(i64) -> Option<T>) -> Result<T, ApiError> {
    make(raw).ok_or(ApiError::NotFound)
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
) -> Result<HttpResponse, ApiError> {
    let all = q.include_archived;
    let list = state.db(move |c| repo::list_clients(c, all)).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(ClientDto::from).collect::<Vec<_>>()))
}

#[post("/clients")]
async fn create_client(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<ClientInput>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let f = body.parse()?;
    let client = state.db(move |c| repo::create_client(c, &f)).await?;
    state.track(tracking::client_created(&client), Some(user.id()));
    Ok(HttpResponse::Created().json(ClientDto::from(&client)))
}

#[get("/clients/{id}")]
async fn get_client(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(path.into_inner(), ClientId::new)?;
    let client = state.db(move |c| repo::find_client(c, id)).await?;
    Ok(HttpResponse::Ok().json(ClientDto::from(&client)))
}

#[put("/clients/{id}")]
async fn update_client(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ClientInput>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(path.into_inner(), ClientId::new)?;
    let f = body.parse()?;
    let (was_archived, client) = state
        .db(move |c| {
            Ok((
                repo::find_client(c, id)?.archived,
                repo::update_client(c, id, &f)?,
            ))
        })
        .await?;
    state.track(
        tracking::client_saved(was_archived, &client),
        Some(user.id()),
    );
    Ok(HttpResponse::Ok().json(ClientDto::from(&client)))
}

#[delete("/clients/{id}")]
async fn delete_client(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(path.into_inner(), ClientId::new)?;
    state.db(move |c| repo::delete_client(c, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- projects

#[get("/projects")]
async fn list_projects(
    state: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let all = q.include_archived;
    let client = q
        .client_id
        .map(|c| id_of("client_id", c, ClientId::new))
        .transpose()?;
    let list = state
        .db(move |c| repo::list_projects(c, client, all))
        .await?;
    Ok(HttpResponse::Ok().json(list.iter().map(ProjectDto::from).collect::<Vec<_>>()))
}

#[post("/projects")]
async fn create_project(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<ProjectInput>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let f = body.parse()?;
    let project = state.db(move |c| repo::create_project(c, &f)).await?;
    state.track(tracking::project_created(&project), Some(user.id()));
    Ok(HttpResponse::Created().json(ProjectDto::from(&project)))
}

#[get("/projects/{id}")]
async fn get_project(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(path.into_inner(), ProjectId::new)?;
    let project = state.db(move |c| repo::find_project(c, id)).await?;
    Ok(HttpResponse::Ok().json(ProjectDto::from(&project)))
}

#[put("/projects/{id}")]
async fn update_project(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<ProjectInput>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(path.into_inner(), ProjectId::new)?;
    let f = body.parse()?;
    let (was_archived, project) = state
        .db(move |c| {
            Ok((
                repo::find_project(c, id)?.archived,
                repo::update_project(c, id, &f)?,
            ))
        })
        .await?;
    state.track(
        tracking::project_saved(was_archived, &project),
        Some(user.id()),
    );
    Ok(HttpResponse::Ok().json(ProjectDto::from(&project)))
}

#[delete("/projects/{id}")]
async fn delete_project(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = path_id(path.into_inner(), ProjectId::new)?;
    state.db(move |c| repo::delete_project(c, id)).await?;
    state.track(tracking::project_deleted(id), Some(user.id()));
    Ok(HttpResponse::NoContent().finish())
}

// ------------------------------------------------------------------ tasks

#[get("/tasks")]
async fn list_tasks(
    state: web::Data<AppState>,
    _user: ApiUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let project = q
        .project_id
        .map(|p| id_of("project_id", p, ProjectId::new))
        .transpose()?;
    let list = state.db(move |c| repo::list_tasks(c, project)).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(TaskDto::from).collect::<Vec<_>>()))
}

#[post("/tasks")]
async fn create_task(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TaskInput>,
) -> Result<HttpResponse, ApiError> {
    let f = body.parse()?;
    let task = state.db(move |c| repo::create_task(c, &f)).await?;
    state.track(tracking::task_created(&task), Some(user.id()));
    Ok(HttpResponse::Created().json(TaskDto::from(&task)))
}

#[get("/tasks/{id}")]
async fn get_task(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(path.into_inner(), TaskId::new)?;
    let task = state.db(move |c| repo::find_task(c, id)).await?;
    Ok(HttpResponse::Ok().json(TaskDto::from(&task)))
}

#[put("/tasks/{id}")]
async fn update_task(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<TaskInput>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(path.into_inner(), TaskId::new)?;
    let f = body.parse()?;
    let (before, task) = state.db(move |c| repo::update_task(c, id, &f)).await?;
    for event in tracking::task_changes(&before, &task) {
        state.track(event, Some(user.id()));
    }
    Ok(HttpResponse::Ok().json(TaskDto::from(&task)))
}

#[delete("/tasks/{id}")]
async fn delete_task(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(path.into_inner(), TaskId::new)?;
    let task = state
        .db(move |c| {
            let task = repo::find_task(c, id)?;
            repo::delete_task(c, id)?;
            Ok(task)
        })
        .await?;
    state.track(tracking::task_deleted(&task), Some(user.id()));
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
) -> Result<HttpResponse, ApiError> {
    let target = match (q.project_id, q.task_id) {
        (None, None) => None,
        (p, t) => Some(comment_target(p, t)?),
    };
    let list = state.db(move |c| repo::list_comments(c, target)).await?;
    Ok(HttpResponse::Ok().json(list.iter().map(CommentDto::from).collect::<Vec<_>>()))
}

#[post("/comments")]
async fn create_comment(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<CommentInput>,
) -> Result<HttpResponse, ApiError> {
    let target = comment_target(body.project_id, body.task_id)?;
    let text = Text::parse_non_empty(&body.body)?;
    let author = user.id();
    let comment = state
        .db(move |c| repo::create_comment(c, author, target, &text))
        .await?;
    state.track(tracking::comment_created(&comment), Some(author));
    Ok(HttpResponse::Created().json(CommentDto::from(&comment)))
}

#[get("/comments/{id}")]
async fn get_comment(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(path.into_inner(), CommentId::new)?;
    let comment = state.db(move |c| repo::find_comment(c, id)).await?;
    Ok(HttpResponse::Ok().json(CommentDto::from(&comment)))
}

#[put("/comments/{id}")]
async fn update_comment(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<CommentEdit>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(path.into_inner(), CommentId::new)?;
    let text = Text::parse_non_empty(&body.body)?;
    let author = user.id();
    let comment = state
        .db(move |c| repo::update_comment(c, author, id, &text))
        .await?;
    Ok(HttpResponse::Ok().json(CommentDto::from(&comment)))
}

#[delete("/comments/{id}")]
async fn delete_comment(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(path.into_inner(), CommentId::new)?;
    let (actor, admin) = (user.id(), user.0.is_admin());
    let target = state
        .db(move |c| {
            let target = repo::find_comment(c, id)?.target;
            repo::delete_comment(c, actor, admin, id)?;
            Ok(target)
        })
        .await?;
    state.track(tracking::comment_deleted(id, target), Some(actor));
    Ok(HttpResponse::NoContent().finish())
}
