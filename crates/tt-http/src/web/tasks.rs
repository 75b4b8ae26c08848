//! Tasks: anyone may create, update (status, assignee, due date) and
//! comment on them, as in the API.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tt_app::tasks::TaskFields;
use tt_domain::{CommentTarget, ProjectId, Task, TaskId, TaskStatus, UserId};

use super::comments::{self, CommentView};
use super::forms::Opt;
use super::page::{FormProblem, Layout, Nav, done, form_problem, render_status};
use super::view::{Catalog, status_label, status_options, user_names, user_options};
use crate::auth::{CsrfForm, WebUser};
use crate::error::HttpError;
use crate::inputs::TaskInput;
use crate::state::AppState;
use tt_app::input;

routes! {
    GET "/tasks" => list,
    POST "/tasks" => create,
    GET "/tasks/{id}" => detail,
    POST "/tasks/{id}" => update,
    POST "/tasks/{id}/delete" => delete,
}

/// A task as shown in lists.
#[derive(Debug)]
pub(crate) struct TaskView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub project: String,
    pub project_id: i64,
    pub status: &'static str,
    pub status_label: &'static str,
    pub assignee: String,
    pub due: String,
}

/// Tasks (of one project, or all) with project and assignee names.
pub(crate) async fn task_views(
    state: &AppState,
    project: Option<ProjectId>,
) -> Result<Vec<TaskView>, HttpError> {
    let (tasks, users) = state
        .run(move |app| {
            Ok((
                tt_app::tasks::list(app, project)?,
                tt_app::users::directory(app)?,
            ))
        })
        .await?;
    let catalog = Catalog::load(state).await?;
    let names = user_names(&users);
    Ok(tasks
        .iter()
        .map(|t| TaskView {
            id: t.id.get(),
            name: t.name.to_string(),
            description: t.description.as_str().to_owned(),
            project: catalog.project_name(t.project_id),
            project_id: t.project_id.get(),
            status: t.status.as_str(),
            status_label: status_label(t.status),
            assignee: t
                .assignee_id
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_default(),
            due: t.due_date.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect())
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct TaskForm {
    csrf_token: String,
    project_id: String,
    name: String,
    description: String,
    status: String,
    assignee_id: String,
    due_date: String,
    archived: String,
}

impl TaskForm {
    fn from_task(t: &Task) -> Self {
        TaskForm {
            csrf_token: String::new(),
            project_id: t.project_id.to_string(),
            name: t.name.to_string(),
            description: t.description.as_str().to_owned(),
            status: t.status.as_str().to_owned(),
            assignee_id: t.assignee_id.map(|u| u.to_string()).unwrap_or_default(),
            due_date: t.due_date.map(|d| d.to_string()).unwrap_or_default(),
            archived: if t.archived { "on" } else { "" }.to_owned(),
        }
    }

    /// The form as the API's input: one reader of task fields.
    fn parse(&self) -> Result<TaskFields, HttpError> {
        let project = input::required_id_text("project_id", &self.project_id, ProjectId::new)?;
        TaskInput {
            project_id: project.get(),
            name: self.name.clone(),
            description: self.description.clone(),
            status: Some(self.status.clone()).filter(|s| !s.trim().is_empty()),
            assignee_id: input::id_text("assignee_id", &self.assignee_id, UserId::new)?
                .map(UserId::get),
            due_date: Some(self.due_date.clone()),
            archived: Some(super::forms::checked(&self.archived)),
        }
        .parse()
    }
}

/// What the task form's pickers offer.
struct Pickers {
    projects: Vec<Opt>,
    users: Vec<Opt>,
    statuses: Vec<Opt>,
}

async fn pickers(state: &AppState, keep: Option<&Task>) -> Result<Pickers, HttpError> {
    let catalog = Catalog::load(state).await?;
    let users = state.run(tt_app::users::directory).await?;
    let mut projects = catalog.project_options();
    if let Some(t) = keep
        && !projects.iter().any(|o| o.value == t.project_id.to_string())
    {
        projects.push(Opt::new(t.project_id, catalog.project_name(t.project_id)));
    }
    Ok(Pickers {
        projects,
        users: user_options(&users),
        statuses: status_options(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    project_id: String,
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    l: Layout,
    rows: Vec<TaskView>,
    filter_project: String,
    projects: Vec<Opt>,
    users: Vec<Opt>,
    statuses: Vec<Opt>,
    form: TaskForm,
    error: Option<String>,
}

async fn show_list(
    state: &AppState,
    user: &WebUser,
    filter: Option<ProjectId>,
    form: TaskForm,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, HttpError> {
    let rows = task_views(state, filter).await?;
    let p = pickers(state, None).await?;
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    let page = TasksPage {
        l: Layout::new(user, "Tasks", Nav::Tasks)?,
        rows,
        filter_project: filter.map(|f| f.to_string()).unwrap_or_default(),
        projects: p.projects,
        users: p.users,
        statuses: p.statuses,
        form,
        error,
    };
    render_status(status, &page)
}

/// `GET /tasks[?project_id=]`.
async fn list(
    state: web::Data<AppState>,
    user: WebUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, HttpError> {
    let filter = input::id_text("project_id", &q.project_id, ProjectId::new).unwrap_or(None);
    let form = TaskForm {
        project_id: q.project_id.trim().to_owned(),
        status: TaskStatus::Todo.as_str().to_owned(),
        ..TaskForm::default()
    };
    show_list(&state, &user, filter, form, None).await
}

/// `POST /tasks`.
async fn create(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<TaskForm>,
) -> Result<HttpResponse, HttpError> {
    let form = form.into_inner();
    let result = match form.parse() {
        Ok(f) => {
            state
                .run({
                    let actor = user.actor();
                    move |app| tt_app::tasks::create(app, &actor, f)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => Ok(done(
            &user.session,
            &format!("/tasks/{}", t.id),
            format!("Task “{}” created.", t.name),
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            show_list(&state, &user, None, form, Some(problem)).await
        }
    }
}

fn task_id(raw: i64) -> Result<TaskId, HttpError> {
    TaskId::new(raw).ok_or(HttpError::NotFound)
}

#[derive(Template)]
#[template(path = "task.html")]
struct DetailPage {
    l: Layout,
    t: TaskView,
    projects: Vec<Opt>,
    users: Vec<Opt>,
    statuses: Vec<Opt>,
    form: TaskForm,
    error: Option<String>,
    comments: Vec<CommentView>,
    comment_field: &'static str,
    comment_target: i64,
}

async fn show_detail(
    state: &AppState,
    user: &WebUser,
    id: TaskId,
    form: Option<TaskForm>,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, HttpError> {
    let task = state.run(move |app| tt_app::tasks::get(app, id)).await?;
    let view = task_views(state, Some(task.project_id))
        .await?
        .into_iter()
        .find(|t| t.id == id.get())
        .ok_or(HttpError::NotFound)?;
    let p = pickers(state, Some(&task)).await?;
    let comments = comments::load(state, user, CommentTarget::Task(id)).await?;
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    let page = DetailPage {
        l: Layout::new(user, task.name.as_str(), Nav::Tasks)?,
        t: view,
        projects: p.projects,
        users: p.users,
        statuses: p.statuses,
        form: form.unwrap_or_else(|| TaskForm::from_task(&task)),
        error,
        comments,
        comment_field: "task_id",
        comment_target: id.get(),
    };
    render_status(status, &page)
}

/// `GET /tasks/{id}`.
async fn detail(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    show_detail(&state, &user, task_id(path.into_inner())?, None, None).await
}

/// `POST /tasks/{id}`: status, assignee, due date, name, description.
async fn update(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: CsrfForm<TaskForm>,
) -> Result<HttpResponse, HttpError> {
    let id = task_id(path.into_inner())?;
    let form = form.into_inner();
    let result = match form.parse() {
        Ok(f) => {
            state
                .run({
                    let actor = user.actor();
                    move |app| tt_app::tasks::update(app, &actor, id, f)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((before, after)) => {
            let msg = if before.status == after.status {
                "Task saved.".to_owned()
            } else {
                format!("Task moved to “{}”.", status_label(after.status))
            };
            Ok(done(&user.session, &format!("/tasks/{id}"), msg))
        }
        Err(e) => {
            let problem = form_problem(e)?;
            show_detail(&state, &user, id, Some(form), Some(problem)).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteForm {
    csrf_token: String,
}

/// `POST /tasks/{id}/delete`.
async fn delete(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    _form: CsrfForm<DeleteForm>,
) -> Result<HttpResponse, HttpError> {
    let id = task_id(path.into_inner())?;
    let task = state.run(move |app| tt_app::tasks::get(app, id)).await?;
    match state
        .run({
            let actor = user.actor();
            move |app| tt_app::tasks::delete(app, &actor, id)
        })
        .await
    {
        Ok(()) => Ok(done(
            &user.session,
            &format!("/projects/{}", task.project_id),
            format!("Task “{}” deleted.", task.name),
        )),
        Err(HttpError::Conflict(msg)) => Ok(super::page::failed(
            &user.session,
            &format!("/tasks/{id}"),
            msg,
        )),
        Err(e) => Err(e),
    }
}

crate::auth::csrf_protected!(DeleteForm, TaskForm);
