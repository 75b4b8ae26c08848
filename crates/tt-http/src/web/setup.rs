//! First-run setup: the first administrator and the two consent questions,
//! each an unchecked box listing exactly what would be sent.
//!
//! Runs once. Everything is validated (and the password hashed) before
//! `Installation::complete_setup`, which is atomic and refuses a second
//! completion; only then is the administrator created. So two racing
//! submissions, or a replayed one, can never create a second admin or
//! re-open setup. When an administrator already exists (created on the
//! command line), they sign in first and the page only records consent.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;
use serde::Deserialize;
use tt_app::users::NewAccount;
use tt_app::{Actor, Surface};
use tt_consent::{ConsentLevel, ConsentSource};
use tt_domain::{Password, Role, User, Username};

use super::assets;
use super::forms::checked;
use super::page::{Flash, flash, render_status, see_other};
use super::privacy::{EventRow, capital, catalog_rows};
use crate::auth::{CsrfForm, MaybeSession, csrf_token, session_user, start_session};
use crate::consent_state::privacy_state;
use crate::error::HttpError;
use crate::state::AppState;

routes! {
    GET "/setup" => setup_page,
    POST "/setup" => submit,
}

/// What the page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No user yet: create the first administrator, then consent.
    CreateAdmin,
    /// An administrator exists and is signed in: consent only.
    ConsentOnly,
    /// An administrator exists but nobody (or not one) is signed in.
    SignIn,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::CreateAdmin => "create",
            Mode::ConsentOnly => "consent",
            Mode::SignIn => "login",
        }
    }
}

/// The form. Every field defaults, so the CSRF check always runs first.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct SetupForm {
    csrf_token: String,
    username: String,
    email: String,
    password: String,
    password_confirm: String,
    base_telemetry: String,
    detailed_analytics: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    css: &'static str,
    csrf: String,
    mode: &'static str,
    admin_name: String,
    username: String,
    email: String,
    base: bool,
    detailed: bool,
    error: Option<String>,
    /// The deployer's hard-off, in words; the boxes are disabled.
    hard_off: Option<String>,
    sink_host: Option<String>,
    /// Who receives what is sent, in words.
    recipient: String,
    /// Who keeps it, and how long.
    retention: String,
    catalog: Vec<EventRow>,
    flashes: Vec<Flash>,
    cookie_warning: Option<&'static str>,
}

/// The wizard; the session is `req`'s.
fn render_setup(
    req: &actix_web::HttpRequest,
    state: &AppState,
    mode: Mode,
    admin_name: String,
    form: &SetupForm,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, HttpError> {
    let hard_off = match state.installation.effective(ConsentLevel::Base).reason {
        r @ tt_consent::Reason::DeployerDisabled { .. } => Some(r.to_string()),
        _ => None,
    };
    let facts = privacy_state(state);
    let session = &actix_session::SessionExt::get_session(req);
    let page = SetupPage {
        css: assets::css_href(),
        csrf: csrf_token(session)?,
        mode: mode.as_str(),
        admin_name,
        username: form.username.trim().chars().take(64).collect(),
        email: form.email.trim().chars().take(254).collect(),
        base: hard_off.is_none() && checked(&form.base_telemetry),
        detailed: hard_off.is_none() && checked(&form.detailed_analytics),
        error,
        hard_off,
        sink_host: facts.sink_host,
        recipient: facts.recipient,
        retention: facts.retention,
        catalog: catalog_rows(),
        flashes: super::page::take_flashes(session),
        cookie_warning: crate::transport::cookie_warning(req),
    };
    render_status(status, &page)
}

/// The signed-in user, if any, who may finish setup.
async fn signed_in_user(state: &AppState, session: &Session) -> Result<Option<User>, HttpError> {
    let Some(uid) = session_user(session, state) else {
        return Ok(None);
    };
    match state.run(move |app| tt_app::user_by_id(app, uid)).await {
        Ok(u) if u.active => Ok(Some(u)),
        Ok(_) | Err(HttpError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Setup is done: signed-in browsers go home, others to the login form.
fn already_complete(state: &AppState, session: &Session) -> HttpResponse {
    if session_user(session, state).is_some() {
        see_other("/")
    } else {
        see_other("/login")
    }
}

/// What the page should ask, given who exists and who is signed in.
async fn mode_for(state: &AppState, session: &Session) -> Result<(Mode, Option<User>), HttpError> {
    let users = state.run(tt_app::users::count).await?;
    if users == 0 {
        return Ok((Mode::CreateAdmin, None));
    }
    match signed_in_user(state, session).await? {
        Some(u) if u.is_admin() => Ok((Mode::ConsentOnly, Some(u))),
        Some(_) => Err(HttpError::forbidden()),
        None => Ok((Mode::SignIn, None)),
    }
}

/// `GET /setup`.
async fn setup_page(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    session: MaybeSession,
) -> Result<HttpResponse, HttpError> {
    let session = session.0;
    if state.installation.is_setup_complete() {
        return Ok(already_complete(&state, &session));
    }
    let (mode, admin) = mode_for(&state, &session).await?;
    let name = admin.map(|u| u.username.to_string()).unwrap_or_default();
    render_setup(
        &req,
        &state,
        mode,
        name,
        &SetupForm::default(),
        StatusCode::OK,
        None,
    )
}

/// The new administrator's details, checked.
fn validate(form: &SetupForm) -> Result<NewAccount, HttpError> {
    if form.password != form.password_confirm {
        return Err(HttpError::invalid_field(
            "password",
            "the two passwords do not match",
        ));
    }
    Ok(NewAccount {
        username: Username::parse(&form.username)?,
        email: tt_app::input::email(Some(&form.email))?,
        password: Password::parse(&form.password, &[&form.username, &form.email])?,
        role: Role::Admin,
    })
}

fn finished(session: &Session, welcome: String) -> HttpResponse {
    flash(session, "success", welcome);
    see_other("/")
}

/// `POST /setup`.
async fn submit(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    session: MaybeSession,
    form: CsrfForm<SetupForm>,
) -> Result<HttpResponse, HttpError> {
    let session = session.0;
    let form = form.into_inner();
    if state.installation.is_setup_complete() {
        flash(&session, "info", "Setup is already complete.");
        return Ok(already_complete(&state, &session));
    }
    let base = checked(&form.base_telemetry);
    let detailed = checked(&form.detailed_analytics);
    let (mode, admin) = mode_for(&state, &session).await?;
    let rerender = |status: StatusCode, msg: String| {
        let name = admin
            .as_ref()
            .map(|u| u.username.to_string())
            .unwrap_or_default();
        render_setup(&req, &state, mode, name, &form, status, Some(msg))
    };
    // A refusal: somebody finished setup first, with an administrator (go
    // on); the deployer switched telemetry off and a box was ticked anyway,
    // or setup was recorded but the account could not be made (say so).
    let refused = |e: HttpError, admin_exists: bool| match e {
        HttpError::Conflict(_) if state.installation.is_setup_complete() && admin_exists => {
            flash(&session, "info", "Setup was already completed.");
            Ok(already_complete(&state, &session))
        }
        HttpError::Conflict(msg) => rerender(StatusCode::CONFLICT, capital(&msg)),
        other => Err(other),
    };
    match (mode, admin.clone()) {
        (Mode::SignIn, _) | (Mode::ConsentOnly, None) => {
            Err(HttpError::SignIn(Some("/setup".into())))
        }
        (Mode::ConsentOnly, Some(admin)) => {
            let actor = Actor::new(admin, Surface::Web);
            match state
                .run(move |app| tt_app::consent::setup_consent(app, &actor, base, detailed))
                .await
            {
                Ok(()) => Ok(finished(
                    &session,
                    "Setup complete. You can change these choices any time under Privacy & Analytics.".into(),
                )),
                Err(e) => {
                    let users = state.run(tt_app::users::count).await?;
                    refused(e, users > 0)
                }
            }
        }
        (Mode::CreateAdmin, _) => {
            let account = match validate(&form) {
                Ok(a) => a,
                Err(e) => return rerender(e.status_code(), capital(&e.to_string())),
            };
            let created = state
                .run(move |app| {
                    tt_app::consent::setup_with_first_admin(
                        app,
                        account,
                        base,
                        detailed,
                        tt_app::consent::ConsentSurface::Setup,
                    )
                })
                .await;
            let user = match created {
                Ok(u) => u,
                Err(e) => {
                    let users = state.run(tt_app::users::count).await?;
                    return refused(e, users > 0);
                }
            };
            start_session(&session, user.id, &req)?;
            let welcome = format!(
                "Welcome, {}. Setup is complete; you are signed in as the administrator.",
                user.username
            );
            Ok(finished(&session, welcome))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(password: &str, confirm: &str) -> SetupForm {
        SetupForm {
            username: "boss".into(),
            password: password.into(),
            password_confirm: confirm.into(),
            ..SetupForm::default()
        }
    }

    #[test]
    fn passwords_must_match_and_be_valid() {
        assert!(validate(&form("a-long-password", "a-long-password")).is_ok());
        let mismatch = validate(&form("a-long-password", "a-long-passwor")).err();
        assert!(mismatch.is_some_and(|e| e.to_string().contains("do not match")));
        assert!(validate(&form("short", "short")).is_err());
        let mut bad_email = form("a-long-password", "a-long-password");
        bad_email.email = "not an address".into();
        assert!(validate(&bad_email).is_err());
        let mut no_name = form("a-long-password", "a-long-password");
        no_name.username = String::new();
        assert!(validate(&no_name).is_err());
    }
}

crate::auth::csrf_protected!(SetupForm);
