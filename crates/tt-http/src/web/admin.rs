//! Admin → Users: list, create, change role and active flag, delete.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tt_domain::{Role, User, UserId};

use super::forms::{checked, fmt_date};
use super::page::{
    FormProblem, Layout, Nav, PageError, check_csrf, done, failed, form_problem, render_status,
};
use crate::api::users::create_user;
use crate::auth::WebUser;
use crate::state::AppState;
use crate::tracking;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/users", web::get().to(list))
        .route("/admin/users", web::post().to(create))
        .route("/admin/users/{id}", web::post().to(update))
        .route("/admin/users/{id}/delete", web::post().to(remove));
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

fn user_view(u: &User, me: UserId) -> UserView {
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
        created: fmt_date(u.created_at),
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
) -> Result<HttpResponse, PageError> {
    let users = state.db(tt_persistence::users::list).await?;
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    form.password.clear();
    let page = UsersPage {
        l: Layout::new(user, "Users", Nav::Users)?,
        rows: users.iter().map(|u| user_view(u, user.user.id)).collect(),
        form,
        error,
    };
    render_status(status, &page)
}

/// `GET /admin/users`.
async fn list(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, PageError> {
    user.require_admin()?;
    let form = NewUserForm {
        role: "user".into(),
        ..NewUserForm::default()
    };
    show(&state, &user, form, None).await
}

fn role(raw: &str) -> Result<Role, PageError> {
    raw.trim()
        .parse::<Role>()
        .map_err(|_| PageError::Validation("role: choose admin or user".into()))
}

/// `POST /admin/users`.
async fn create(
    state: web::Data<AppState>,
    user: WebUser,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    user.require_admin()?;
    let form = form.into_inner();
    let result = match role(&form.role) {
        Ok(r) => create_user(&state, &form.username, &form.password, Some(&form.email), r)
            .await
            .map_err(PageError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => {
            state.track(tracking::user_created(&created), Some(user.user.id));
            Ok(done(
                &user.session,
                "/admin/users",
                format!("User “{}” created.", created.username),
            ))
        }
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
    form: web::Form<UpdateForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    user.require_admin()?;
    let id = UserId::new(path.into_inner()).ok_or(PageError::NotFound)?;
    let new_role = match role(&form.role) {
        Ok(r) => r,
        Err(e) => return Ok(failed(&user.session, "/admin/users", e.to_string())),
    };
    let active = checked(&form.active);
    match state
        .db(move |c| {
            let old_role = tt_persistence::users::find(c, id)?.role;
            Ok((
                old_role,
                tt_persistence::users::update_role_active(c, id, new_role, active)?,
            ))
        })
        .await
        .map_err(PageError::from)
    {
        Ok((old_role, u)) => {
            if let Some(event) = tracking::user_role_changed(old_role, &u) {
                state.track(event, Some(user.user.id));
            }
            Ok(done(
                &user.session,
                "/admin/users",
                format!(
                    "{} is now {}{}.",
                    u.username,
                    if u.is_admin() { "an admin" } else { "a user" },
                    if u.active { "" } else { " (deactivated)" }
                ),
            ))
        }
        Err(PageError::Conflict(msg) | PageError::Validation(msg)) => {
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
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    check_csrf(&user.session, &form.csrf_token)?;
    user.require_admin()?;
    let id = UserId::new(path.into_inner()).ok_or(PageError::NotFound)?;
    if id == user.user.id {
        return Ok(failed(
            &user.session,
            "/admin/users",
            "You cannot delete your own account.",
        ));
    }
    if !checked(&form.confirm) {
        return Ok(failed(
            &user.session,
            "/admin/users",
            "Tick “I understand” to delete a user; nothing was deleted.",
        ));
    }
    let how =
        match crate::api::users::disposition(Some(form.entries.trim()).filter(|e| !e.is_empty())) {
            Ok(h) => h,
            Err(e) => return Ok(failed(&user.session, "/admin/users", e.to_string())),
        };
    match state
        .db(move |c| tt_persistence::users::delete(c, id, how))
        .await
        .map_err(PageError::from)
    {
        Ok(report) => {
            state.track(tracking::user_deleted(id, how), Some(user.user.id));
            Ok(done(
                &user.session,
                "/admin/users",
                format!(
                    "User deleted: {} entries anonymised, {} deleted, {} comments removed.",
                    report.entries_anonymised, report.entries_deleted, report.comments_deleted
                ),
            ))
        }
        Err(PageError::Conflict(msg) | PageError::Validation(msg)) => {
            Ok(failed(&user.session, "/admin/users", msg))
        }
        Err(e) => Err(e),
    }
}
