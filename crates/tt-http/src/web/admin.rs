//! Admin → Users: list, create, change role and active flag, delete.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tt_domain::{Role, User, UserId};

use super::forms::{checked, fmt_date};
use super::page::{FormProblem, Layout, Nav, done, failed, form_problem, render_status};
use crate::auth::{CsrfForm, WebUser};
use crate::error::HttpError;
use crate::inputs::new_account;
use crate::state::AppState;

routes! {
    GET "/admin/users" => list,
    POST "/admin/users" => create,
    POST "/admin/users/{id}" => update,
    POST "/admin/users/{id}/delete" => remove,
    POST "/admin/users/{id}/password" => reset_password,
}

#[derive(Debug)]
struct UserView {
    id: i64,
    username: String,
    email: String,
    role: &'static str,
    active: bool,
    created: String,
    is_me: bool,
}

fn user_view(u: &User, me: UserId, cal: &tt_domain::Calendar) -> UserView {
    UserView {
        id: u.id.get(),
        username: u.username.to_string(),
        email: u
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        role: u.role.as_str(),
        active: u.active,
        created: fmt_date(cal, u.created_at),
        is_me: u.id == me,
    }
}

/// The new-user form. The password is never echoed back.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct NewUserForm {
    csrf_token: String,
    username: String,
    email: String,
    password: String,
    role: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    l: Layout,
    rows: Vec<UserView>,
    form: NewUserForm,
    error: Option<String>,
}

async fn show(
    state: &AppState,
    user: &WebUser,
    mut form: NewUserForm,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, HttpError> {
    let users = state.run(tt_app::users::directory).await?;
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    form.password.clear();
    let page = UsersPage {
        l: Layout::new(user, "Users", Nav::Users)?,
        rows: users
            .iter()
            .map(|u| user_view(u, user.user.id, &user.calendar))
            .collect(),
        form,
        error,
    };
    render_status(status, &page)
}

/// `GET /admin/users`.
async fn list(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let form = NewUserForm {
        role: "user".into(),
        ..NewUserForm::default()
    };
    show(&state, &user, form, None).await
}

fn role(raw: &str) -> Result<Role, HttpError> {
    raw.trim()
        .parse::<Role>()
        .map_err(|_| HttpError::invalid_field("role", "choose admin or user"))
}

/// `POST /admin/users`.
async fn create(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<NewUserForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let form = form.into_inner();
    let result = match role(&form.role) {
        Ok(r) => match new_account(&form.username, &form.password, Some(&form.email), r) {
            Ok(account) => {
                let actor = user.actor();
                state
                    .run(move |app| tt_app::users::create(app, &actor, account))
                    .await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => Ok(done(
            &user.session,
            "/admin/users",
            format!("User “{}” created.", created.username),
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            show(&state, &user, form, Some(problem)).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateForm {
    csrf_token: String,
    role: String,
    active: String,
}

/// `POST /admin/users/{id}`: role and active flag. The last active admin
/// cannot be demoted or deactivated.
async fn update(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: CsrfForm<UpdateForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = UserId::new(path.into_inner()).ok_or(HttpError::NotFound)?;
    let new_role = match role(&form.role) {
        Ok(r) => r,
        Err(e) => return Ok(failed(&user.session, "/admin/users", e.to_string())),
    };
    let active = checked(&form.active);
    match state
        .run({
            let actor = user.actor();
            move |app| tt_app::users::set_role_active(app, &actor, id, new_role, active)
        })
        .await
    {
        Ok((_, u)) => Ok(done(
            &user.session,
            "/admin/users",
            format!(
                "{} is now {}{}.",
                u.username,
                if u.is_admin() { "an admin" } else { "a user" },
                if u.active { "" } else { " (deactivated)" }
            ),
        )),
        Err(HttpError::Conflict(msg) | HttpError::Validation(msg)) => {
            Ok(failed(&user.session, "/admin/users", msg))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteForm {
    csrf_token: String,
    entries: String,
    confirm: String,
}

/// `POST /admin/users/{id}/delete`: deletes a user and everything of theirs;
/// their time entries are anonymised or deleted, as chosen. Needs the
/// confirmation box; nobody can delete themselves.
async fn remove(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: CsrfForm<DeleteForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = UserId::new(path.into_inner()).ok_or(HttpError::NotFound)?;
    if !checked(&form.confirm) {
        return Ok(failed(
            &user.session,
            "/admin/users",
            "Tick “I understand” to delete a user; nothing was deleted.",
        ));
    }
    let how = match crate::inputs::disposition(Some(form.entries.trim()).filter(|e| !e.is_empty()))
    {
        Ok(h) => h,
        Err(e) => return Ok(failed(&user.session, "/admin/users", e.to_string())),
    };
    match state
        .run({
            let actor = user.actor();
            move |app| tt_app::users::delete(app, &actor, id, how)
        })
        .await
    {
        Ok(report) => Ok(done(
            &user.session,
            "/admin/users",
            format!(
                "User deleted: {} entries anonymised, {} deleted, {} comments removed.",
                report.entries_anonymised, report.entries_deleted, report.comments_deleted
            ),
        )),
        Err(HttpError::Conflict(msg) | HttpError::Validation(msg)) => {
            Ok(failed(&user.session, "/admin/users", msg))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetForm {
    csrf_token: String,
    password: String,
}

/// `POST /admin/users/{id}/password`: a temporary password; the user is
/// signed out everywhere and must choose a new one at the next sign-in.
async fn reset_password(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: CsrfForm<ResetForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = UserId::new(path.into_inner()).ok_or(HttpError::NotFound)?;
    let form = form.into_inner();
    let actor = user.actor();
    match state
        .run(move |app| tt_app::users::reset_password(app, &actor, id, &form.password))
        .await
    {
        Ok(u) => Ok(done(
            &user.session,
            "/admin/users",
            format!(
                "{}’s password was reset: they are signed out everywhere and choose a new one at their next sign-in.",
                u.username
            ),
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            Ok(failed(&user.session, "/admin/users", problem.message))
        }
    }
}

crate::auth::csrf_protected!(DeleteForm, NewUserForm, ResetForm, UpdateForm);
