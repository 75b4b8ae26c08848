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
use tt_consent::{ConsentLevel, ConsentSource};
use tt_domain::{Email, Password, Role, User, Username};
use tt_installation::InstallationError;
use tt_telemetry::Event;

use super::assets;
use super::forms::checked;
use super::page::{Flash, PageError, check_csrf, flash, render_status, see_other};
use super::privacy::{EventRow, capital, catalog_rows};
use crate::api::privacy::privacy_state;
use crate::auth::{MaybeSession, csrf_token, hash_password, session_user, start_session};
use crate::error::ApiError;
use crate::state::AppState;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/setup", web::get().to(setup_page))
        .route("/setup", web::post().to(submit));
}

/// Who records the choices when the wizard also creates the admin (the
/// account does not exist yet when setup is marked complete).
const WIZARD_ACTOR: &str = "setup-wizard";

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
    catalog: Vec<EventRow>,
    flashes: Vec<Flash>,
}

fn take_flashes(session: &Session) -> Vec<Flash> {
    match session.remove_as::<Vec<Flash>>("flash") {
        Some(Ok(list)) => list,
        _ => Vec::new(),
    }
}

fn render_setup(
    state: &AppState,
    session: &Session,
    mode: Mode,
    admin_name: String,
    form: &SetupForm,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let hard_off = match state.installation.effective(ConsentLevel::Base).reason {
        r @ tt_consent::Reason::DeployerDisabled { .. } => Some(r.to_string()),
        _ => None,
    };
    let facts = privacy_state(state);
    let page = SetupPage {
        css: assets::css_href(),
        csrf: csrf_token(session).map_err(PageError::from)?,
        mode: mode.as_str(),
        admin_name,
        username: form.username.trim().chars().take(64).collect(),
        email: form.email.trim().chars().take(254).collect(),
        base: hard_off.is_none() && checked(&form.base_telemetry),
        detailed: hard_off.is_none() && checked(&form.detailed_analytics),
        error,
        hard_off,
        sink_host: facts.sink_host,
        catalog: catalog_rows(),
        flashes: take_flashes(session),
    };
    render_status(status, &page)
}

/// The signed-in user, if any, who may finish setup.
async fn signed_in_user(state: &AppState, session: &Session) -> Result<Option<User>, PageError> {
    let Some(uid) = session_user(session, state) else {
        return Ok(None);
    };
    match state.db(move |c| tt_persistence::users::find(c, uid)).await {
        Ok(u) if u.active => Ok(Some(u)),
        Ok(_) | Err(ApiError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
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
async fn mode_for(state: &AppState, session: &Session) -> Result<(Mode, Option<User>), PageError> {
    let users = state.db(tt_persistence::users::count).await?;
    if users == 0 {
        return Ok((Mode::CreateAdmin, None));
    }
    match signed_in_user(state, session).await? {
        Some(u) if u.is_admin() => Ok((Mode::ConsentOnly, Some(u))),
        Some(_) => Err(PageError::Forbidden),
        None => Ok((Mode::SignIn, None)),
    }
}

/// `GET /setup`.
async fn setup_page(
    state: web::Data<AppState>,
    session: MaybeSession,
) -> Result<HttpResponse, PageError> {
    let session = session.0;
    if state.installation.is_setup_complete() {
        return Ok(already_complete(&state, &session));
    }
    let (mode, admin) = mode_for(&state, &session).await?;
    let name = admin.map(|u| u.username.to_string()).unwrap_or_default();
    render_setup(
        &state,
        &session,
        mode,
        name,
        &SetupForm::default(),
        StatusCode::OK,
        None,
    )
}

/// The new administrator's details, checked.
struct NewAdmin {
    username: Username,
    email: Option<Email>,
    password: Password,
}

fn validate(form: &SetupForm) -> Result<NewAdmin, PageError> {
    let invalid = |e: tt_domain::DomainError| PageError::from(ApiError::from(e));
    let username = Username::parse(&form.username).map_err(invalid)?;
    let email = match form.email.trim() {
        "" => None,
        e => Some(Email::parse(e).map_err(invalid)?),
    };
    if form.password != form.password_confirm {
        return Err(PageError::Validation(
            "password: the two passwords do not match".into(),
        ));
    }
    let password = Password::parse(&form.password).map_err(invalid)?;
    Ok(NewAdmin {
        username,
        email,
        password,
    })
}

/// How recording setup can fail in a way the page explains.
enum Refusal {
    /// Somebody finished setup first.
    AlreadyComplete,
    /// The deployer switched telemetry off; a box was ticked anyway.
    DeployerDisabled(String),
}

async fn complete(
    state: &AppState,
    base: bool,
    detailed: bool,
    actor: String,
) -> Result<Result<(), Refusal>, PageError> {
    let inst = state.installation.clone();
    let result = web::block(move || inst.complete_setup(base, detailed, &actor))
        .await
        .map_err(|_| PageError::Internal("blocking task failed".into()))?;
    match result {
        Ok(()) => {
            // Base telemetry may have just been allowed: let the sink
            // re-check now rather than at its next tick.
            state.consent_changed();
            Ok(Ok(()))
        }
        Err(InstallationError::AlreadyComplete { .. }) => Ok(Err(Refusal::AlreadyComplete)),
        Err(e @ InstallationError::DeployerDisabled { .. }) => {
            Ok(Err(Refusal::DeployerDisabled(e.to_string())))
        }
        Err(other) => Err(PageError::Internal(crate::error::error_chain(&other))),
    }
}

fn finished(
    state: &AppState,
    session: &Session,
    user: &User,
    base: bool,
    detailed: bool,
    welcome: String,
) -> HttpResponse {
    state.track(
        Event::SetupCompleted {
            base_consent: base,
            detailed_consent: detailed,
        },
        Some(user.id),
    );
    tracing::info!(
        admin = user.id.get(),
        base,
        detailed,
        "first-run setup completed"
    );
    flash(session, "success", welcome);
    see_other("/")
}

/// `POST /setup`.
async fn submit(
    state: web::Data<AppState>,
    session: MaybeSession,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, PageError> {
    let session = session.0;
    check_csrf(&session, &form.csrf_token)?;
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
        render_setup(&state, &session, mode, name, &form, status, Some(msg))
    };
    let refused = |r: Refusal| match r {
        Refusal::AlreadyComplete => {
            flash(&session, "info", "Setup was already completed.");
            Ok(already_complete(&state, &session))
        }
        Refusal::DeployerDisabled(msg) => rerender(StatusCode::CONFLICT, capital(&msg)),
    };
    match (mode, admin.clone()) {
        (Mode::SignIn, _) => Err(PageError::Login(Some("/setup".into()))),
        (Mode::ConsentOnly, Some(admin)) => {
            match complete(&state, base, detailed, format!("user:{}", admin.id)).await? {
                Ok(()) => Ok(finished(
                    &state,
                    &session,
                    &admin,
                    base,
                    detailed,
                    "Setup complete. You can change these choices any time under Privacy & Analytics.".into(),
                )),
                Err(r) => refused(r),
            }
        }
        (Mode::ConsentOnly, None) => Err(PageError::Login(Some("/setup".into()))),
        (Mode::CreateAdmin, _) => {
            let new = match validate(&form) {
                Ok(n) => n,
                Err(e) => {
                    return rerender(e.status_code(), capital(&e.to_string()));
                }
            };
            let NewAdmin {
                username,
                email,
                password,
            } = new;
            let hash = web::block(move || hash_password(&password))
                .await
                .map_err(|_| PageError::Internal("blocking task failed".into()))?
                .map_err(PageError::from)?;
            // The atomic, once-only step: whoever gets here second stops.
            if let Err(r) = complete(&state, base, detailed, WIZARD_ACTOR.into()).await? {
                return refused(r);
            }
            let created = state
                .db(move |c| {
                    tt_persistence::users::create(
                        c,
                        &tt_persistence::users::NewUser {
                            username: &username,
                            email: email.as_ref(),
                            password_hash: &hash,
                            role: Role::Admin,
                        },
                    )
                })
                .await;
            let user = match created {
                Ok(u) => u,
                Err(e) => {
                    // Setup is recorded but there is no account: say how to
                    // recover rather than leave a locked-out server.
                    tracing::error!(error = %e, "setup completed but the first administrator could not be created");
                    return Err(PageError::Conflict(format!(
                        "setup was recorded, but the administrator account could not be created ({e}); \
                         create one with `timetracker user create --admin --username NAME`"
                    )));
                }
            };
            start_session(&session, user.id).map_err(PageError::from)?;
            let welcome = format!(
                "Welcome, {}. Setup is complete; you are signed in as the administrator.",
                user.username
            );
            Ok(finished(&state, &session, &user, base, detailed, welcome))
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
