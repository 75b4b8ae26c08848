//! Clients: everyone may look, admins create, edit and archive. Rates
//! are shown only to those who may see money.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tt_app::catalog::ClientDetails;
use tt_domain::{Client, ClientId, may_see_money};

use super::forms::checked;
use super::page::{FormProblem, Layout, Nav, done, form_problem, render_status};
use crate::auth::{CsrfForm, WebUser};
use crate::error::HttpError;
use crate::inputs::ClientInput;
use crate::state::AppState;

routes! {
    GET "/clients" => list,
    POST "/clients" => create,
    GET "/clients/{id}/edit" => edit_page,
    POST "/clients/{id}/edit" => update,
    POST "/clients/{id}/archive" => archive,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct ClientForm {
    csrf_token: String,
    name: String,
    email: String,
    default_hourly_rate: String,
    archived: String,
    address: String,
    tax_id: String,
    currency: String,
}

impl ClientForm {
    fn from_client(c: &Client) -> Self {
        ClientForm {
            csrf_token: String::new(),
            name: c.name.to_string(),
            email: c
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            default_hourly_rate: c
                .default_hourly_rate
                .map(|r| r.per_hour().to_string())
                .unwrap_or_default(),
            archived: if c.archived {
                "on".into()
            } else {
                String::new()
            },
            address: c.address.clone(),
            tax_id: c.tax_id.clone(),
            currency: c.currency.code().to_owned(),
        }
    }

    /// The form as the API's input: one reader of client fields.
    fn parse(&self) -> Result<ClientDetails, HttpError> {
        ClientInput {
            name: self.name.clone(),
            email: Some(self.email.clone()),
            default_hourly_rate: Some(self.default_hourly_rate.clone()),
            archived: checked(&self.archived),
            address: Some(self.address.clone()),
            tax_id: Some(self.tax_id.clone()),
            currency: Some(self.currency.clone()),
        }
        .parse()
    }
}

#[derive(Debug)]
struct ClientView {
    id: i64,
    name: String,
    email: String,
    rate: String,
    archived: bool,
}

impl ClientView {
    /// A client for the page; its rate only for a reader who may see
    /// money (`money`, from [`tt_domain::may_see_money`]).
    fn new(c: &Client, money: bool) -> Self {
        ClientView {
            id: c.id.get(),
            name: c.name.to_string(),
            email: c
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            rate: c
                .default_hourly_rate
                .filter(|_| money)
                .map(|r| r.per_hour().to_string())
                .unwrap_or_default(),
            archived: c.archived,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    archived: String,
}

#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage {
    l: Layout,
    money: bool,
    rows: Vec<ClientView>,
    show_archived: bool,
    form: ClientForm,
    error: Option<String>,
}

async fn show_list(
    state: &AppState,
    user: &WebUser,
    show_archived: bool,
    form: ClientForm,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, HttpError> {
    let clients = state
        .run(move |app| tt_app::catalog::clients(app, show_archived))
        .await?;
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    let money = may_see_money(&user.user);
    let page = ClientsPage {
        l: Layout::new(user, "Clients", Nav::Clients)?,
        money,
        rows: clients.iter().map(|c| ClientView::new(c, money)).collect(),
        show_archived,
        form,
        error,
    };
    render_status(status, &page)
}

/// `GET /clients[?archived=1]`.
async fn list(
    state: web::Data<AppState>,
    user: WebUser,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, HttpError> {
    show_list(
        &state,
        &user,
        checked(&q.archived),
        ClientForm::default(),
        None,
    )
    .await
}

/// `POST /clients` (admin).
async fn create(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<ClientForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let form = form.into_inner();
    let result = match form.parse() {
        Ok(f) => {
            state
                .run({
                    let actor = user.actor();
                    move |app| tt_app::catalog::create_client(app, &actor, f)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(done(
            &user.session,
            "/clients",
            format!("Client “{}” created.", c.name),
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            show_list(&state, &user, false, form, Some(problem)).await
        }
    }
}

fn client_id(raw: i64) -> Result<ClientId, HttpError> {
    ClientId::new(raw).ok_or(HttpError::NotFound)
}

#[derive(Template)]
#[template(path = "client_edit.html")]
struct EditPage {
    l: Layout,
    id: i64,
    form: ClientForm,
    error: Option<String>,
}

/// `GET /clients/{id}/edit` (admin).
async fn edit_page(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = client_id(path.into_inner())?;
    let client = state
        .run(move |app| tt_app::catalog::client(app, id))
        .await?;
    let page = EditPage {
        l: Layout::new(&user, "Edit client", Nav::Clients)?,
        id: id.get(),
        form: ClientForm::from_client(&client),
        error: None,
    };
    render_status(StatusCode::OK, &page)
}

/// `POST /clients/{id}/edit` (admin).
async fn update(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: CsrfForm<ClientForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = client_id(path.into_inner())?;
    let form = form.into_inner();
    let result = match form.parse() {
        Ok(f) => {
            state
                .run({
                    let actor = user.actor();
                    move |app| tt_app::catalog::update_client(app, &actor, id, f)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(done(
            &user.session,
            "/clients",
            format!("Client “{}” saved.", c.name),
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            let page = EditPage {
                l: Layout::new(&user, "Edit client", Nav::Clients)?,
                id: id.get(),
                form,
                error: Some(problem.message),
            };
            render_status(problem.status, &page)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ArchiveForm {
    csrf_token: String,
    archived: String,
}

/// `POST /clients/{id}/archive` (admin): `archived=1` archives, anything
/// else restores.
async fn archive(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: CsrfForm<ArchiveForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = client_id(path.into_inner())?;
    let archived = form.archived.trim() == "1";
    let actor = user.actor();
    let client = state
        .run(move |app| tt_app::catalog::set_client_archived(app, &actor, id, archived))
        .await?;
    let what = if archived { "archived" } else { "restored" };
    Ok(done(
        &user.session,
        "/clients",
        format!("Client “{}” {what}.", client.name),
    ))
}

crate::auth::csrf_protected!(ArchiveForm, ClientForm);
