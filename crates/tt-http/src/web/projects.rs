//! Projects: everyone may look and comment, admins create and edit.
//! Rates are shown only to those who may see money.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tt_app::catalog::ProjectFields;
use tt_domain::{ClientId, CommentTarget, Project, ProjectId, may_see_money};

use super::comments::{self, CommentView};
use super::forms::{Opt, checked};
use super::page::{FormProblem, Layout, Nav, done, form_problem, render_status};
use super::tasks::{TaskView, task_views};
use crate::auth::{CsrfForm, WebUser};
use crate::error::HttpError;
use crate::inputs::ProjectInput;
use crate::state::AppState;
use tt_app::input;

routes! {
    GET "/projects" => list,
    POST "/projects" => create,
    GET "/projects/{id}" => detail,
    GET "/projects/{id}/edit" => edit_page,
    POST "/projects/{id}/edit" => update,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct ProjectForm {
    csrf_token: String,
    name: String,
    client_id: String,
    description: String,
    billable: String,
    hourly_rate: String,
    archived: String,
}

impl ProjectForm {
    fn new_project() -> Self {
        ProjectForm {
            billable: "on".into(),
            ..ProjectForm::default()
        }
    }

    fn from_project(p: &Project) -> Self {
        ProjectForm {
            csrf_token: String::new(),
            name: p.name.to_string(),
            client_id: p.client_id.map(|c| c.to_string()).unwrap_or_default(),
            description: p.description.as_str().to_owned(),
            billable: if p.billable {
                "on".into()
            } else {
                String::new()
            },
            hourly_rate: p
                .hourly_rate
                .map(|r| r.per_hour().to_string())
                .unwrap_or_default(),
            archived: if p.archived {
                "on".into()
            } else {
                String::new()
            },
        }
    }

    /// The form as the API's input: one reader of project fields.
    fn parse(&self) -> Result<ProjectFields, HttpError> {
        ProjectInput {
            name: self.name.clone(),
            client_id: input::id_text("client_id", &self.client_id, ClientId::new)?
                .map(ClientId::get),
            description: self.description.clone(),
            billable: checked(&self.billable),
            hourly_rate: Some(self.hourly_rate.clone()),
            archived: checked(&self.archived),
        }
        .parse()
    }
}

#[derive(Debug)]
struct ProjectView {
    id: i64,
    name: String,
    client: String,
    client_id: Option<i64>,
    description: String,
    billable: bool,
    rate: String,
    archived: bool,
}

/// A project for the page; its rate only for a reader who may see money
/// (`money`, from [`tt_domain::may_see_money`]).
fn project_view(p: &Project, client_names: &HashMap<ClientId, String>, money: bool) -> ProjectView {
    ProjectView {
        id: p.id.get(),
        name: p.name.to_string(),
        client: p
            .client_id
            .and_then(|c| client_names.get(&c).cloned())
            .unwrap_or_default(),
        client_id: p.client_id.map(ClientId::get),
        description: p.description.as_str().to_owned(),
        billable: p.billable,
        rate: p
            .hourly_rate
            .filter(|_| money)
            .map(|r| r.per_hour().to_string())
            .unwrap_or_default(),
        archived: p.archived,
    }
}

async fn clients(state: &AppState) -> Result<(Vec<Opt>, HashMap<ClientId, String>), HttpError> {
    let all = state.run(|app| tt_app::catalog::clients(app, true)).await?;
    let options = all
        .iter()
        .filter(|c| !c.archived)
        .map(|c| Opt::new(c.id, c.name.as_str()))
        .collect();
    let names = all.iter().map(|c| (c.id, c.name.to_string())).collect();
    Ok((options, names))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    archived: String,
    client_id: String,
}

#[derive(Template)]
#[template(path = "projects.html")]
struct ProjectsPage {
    l: Layout,
    money: bool,
    rows: Vec<ProjectView>,
    show_archived: bool,
    client_filter: Option<String>,
    clients: Vec<Opt>,
    form: ProjectForm,
    error: Option<String>,
}

async fn show_list(
    state: &AppState,
    user: &WebUser,
    q: ListQuery,
    form: ProjectForm,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, HttpError> {
    let show_archived = checked(&q.archived);
    let client = input::id_text("client_id", &q.client_id, ClientId::new).unwrap_or(None);
    let projects = state
        .run(move |app| tt_app::catalog::projects(app, client, show_archived))
        .await?;
    let (client_options, client_names) = clients(state).await?;
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    let money = may_see_money(&user.user);
    let page = ProjectsPage {
        l: Layout::new(user, "Projects", Nav::Projects)?,
        money,
        rows: projects
            .iter()
            .map(|p| project_view(p, &client_names, money))
            .collect(),
        show_archived,
        client_filter: client.map(|c| client_names.get(&c).cloned().unwrap_or_default()),
        clients: client_options,
        form,
        error,
    };
    render_status(status, &page)
}

/// `GET /projects[?archived=1][&client_id=]`.
async fn list(
    state: web::Data<AppState>,
    user: WebUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, HttpError> {
    show_list(
        &state,
        &user,
        q.into_inner(),
        ProjectForm::new_project(),
        None,
    )
    .await
}

/// `POST /projects` (admin).
async fn create(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<ProjectForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let form = form.into_inner();
    let result = match form.parse() {
        Ok(f) => {
            state
                .run({
                    let actor = user.actor();
                    move |app| tt_app::catalog::create_project(app, &actor, f)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(done(
            &user.session,
            &format!("/projects/{}", p.id),
            format!("Project “{}” created.", p.name),
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            show_list(&state, &user, ListQuery::default(), form, Some(problem)).await
        }
    }
}

fn project_id(raw: i64) -> Result<ProjectId, HttpError> {
    ProjectId::new(raw).ok_or(HttpError::NotFound)
}

#[derive(Template)]
#[template(path = "project.html")]
struct DetailPage {
    l: Layout,
    money: bool,
    p: ProjectView,
    tasks: Vec<TaskView>,
    comments: Vec<CommentView>,
    comment_field: &'static str,
    comment_target: i64,
}

/// `GET /projects/{id}`: details, tasks and comments.
async fn detail(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = project_id(path.into_inner())?;
    let project = state
        .run(move |app| tt_app::catalog::project(app, id))
        .await?;
    let (_, client_names) = clients(&state).await?;
    let tasks = task_views(&state, Some(id)).await?;
    let comments = comments::load(&state, &user, CommentTarget::Project(id)).await?;
    let money = may_see_money(&user.user);
    let page = DetailPage {
        l: Layout::new(&user, project.name.as_str(), Nav::Projects)?,
        money,
        p: project_view(&project, &client_names, money),
        tasks,
        comments,
        comment_field: "project_id",
        comment_target: id.get(),
    };
    render_status(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "project_edit.html")]
struct EditPage {
    l: Layout,
    id: i64,
    clients: Vec<Opt>,
    form: ProjectForm,
    error: Option<String>,
}

/// `GET /projects/{id}/edit` (admin).
async fn edit_page(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = project_id(path.into_inner())?;
    let project = state
        .run(move |app| tt_app::catalog::project(app, id))
        .await?;
    let (client_options, _) = clients(&state).await?;
    let page = EditPage {
        l: Layout::new(&user, "Edit project", Nav::Projects)?,
        id: id.get(),
        clients: client_options,
        form: ProjectForm::from_project(&project),
        error: None,
    };
    render_status(StatusCode::OK, &page)
}

/// `POST /projects/{id}/edit` (admin).
async fn update(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: CsrfForm<ProjectForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = project_id(path.into_inner())?;
    let form = form.into_inner();
    let result = match form.parse() {
        Ok(f) => {
            state
                .run({
                    let actor = user.actor();
                    move |app| tt_app::catalog::update_project(app, &actor, id, f)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(done(
            &user.session,
            &format!("/projects/{id}"),
            format!("Project “{}” saved.", p.name),
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            let (client_options, _) = clients(&state).await?;
            let page = EditPage {
                l: Layout::new(&user, "Edit project", Nav::Projects)?,
                id: id.get(),
                clients: client_options,
                form,
                error: Some(problem.message),
            };
            render_status(problem.status, &page)
        }
    }
}

crate::auth::csrf_protected!(ProjectForm);
