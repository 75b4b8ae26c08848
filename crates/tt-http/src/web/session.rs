//! Signing in and out.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::assets;
use super::forms::safe_next;
use super::page::{Flash, flash, html_builder, render_status, see_other};
use crate::auth::authenticate;
use crate::auth::{CsrfForm, MaybeSession, csrf_token, session_user, start_session};
use crate::error::HttpError;
use crate::state::AppState;

routes! {
    GET "/login" => login_page,
    POST "/login" => login,
    POST "/logout" => logout,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    css: &'static str,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
    flashes: Vec<Flash>,
    cookie_warning: Option<&'static str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: Option<String>,
}

fn login_form(
    req: &HttpRequest,
    session: &actix_session::Session,
    next: String,
    username: String,
    error: Option<String>,
) -> Result<LoginPage, HttpError> {
    let flashes = super::page::take_flashes(session);
    Ok(LoginPage {
        css: assets::css_href(),
        // Rendering the form creates the session cookie carrying the token.
        csrf: csrf_token(session)?,
        next,
        username,
        error,
        flashes,
        cookie_warning: crate::transport::cookie_warning(req),
    })
}

/// `GET /login`: the form; an already signed-in browser goes straight on.
async fn login_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, HttpError> {
    let next = safe_next(q.next.as_deref());
    if session_user(&session.0, &state).is_some() {
        return Ok(see_other(&next));
    }
    let page = login_form(&req, &session.0, next, String::new(), None)?;
    render_status(StatusCode::OK, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    csrf_token: String,
    username: String,
    password: String,
    next: String,
}

/// `POST /login`: checks the password (rate limited), starts a fresh
/// session and goes to `next` if it is a local path.
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: MaybeSession,
    form: CsrfForm<LoginForm>,
) -> Result<HttpResponse, HttpError> {
    let session = session.0;
    let next = safe_next(Some(&form.next));
    let username = form.username.trim().chars().take(64).collect::<String>();
    match authenticate(&state, &req, &form.username, &form.password).await {
        Ok(user) => {
            start_session(&session, user.id, &req)?;
            tt_app::auth::signed_in(&state.app, &user);
            if user.must_change_password {
                flash(
                    &session,
                    "info",
                    "An administrator reset your password: choose a new one to continue.",
                );
            } else {
                flash(&session, "success", format!("Welcome, {}.", user.username));
            }
            Ok(see_other(&next))
        }
        Err(HttpError::Unauthorized) => {
            let page = login_form(
                &req,
                &session,
                next,
                username,
                Some("Wrong username or password, or the account is disabled.".into()),
            )?;
            render_status(StatusCode::UNAUTHORIZED, &page)
        }
        Err(HttpError::TooManyAttempts(retry)) => {
            let minutes = retry.as_secs().div_ceil(60).max(1);
            let page = login_form(
                &req,
                &session,
                next,
                username,
                Some(format!(
                    "Too many failed attempts. Try again in about {minutes} minute(s)."
                )),
            )?;
            let body = page.render()?;
            Ok(html_builder(StatusCode::TOO_MANY_REQUESTS)
                .insert_header((header::RETRY_AFTER, retry.as_secs().max(1).to_string()))
                .body(body))
        }
        Err(other) => Err(other),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogoutForm {
    csrf_token: String,
}

/// `POST /logout`: ends the session (the cookie keeps only a flash).
async fn logout(
    state: web::Data<AppState>,
    session: MaybeSession,
    _form: CsrfForm<LogoutForm>,
) -> Result<HttpResponse, HttpError> {
    let session = session.0;
    let user = session_user(&session, &state);
    session.renew();
    session.clear();
    if user.is_some() {
        tt_app::auth::signed_out(&state.app, user);
    }
    flash(&session, "info", "You have been signed out.");
    Ok(see_other("/login"))
}

crate::auth::csrf_protected!(LoginForm, LogoutForm);
