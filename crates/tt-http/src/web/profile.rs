//! `/profile`: the signed-in user's account, password, browser sessions
//! and API tokens, and the download of all their data (the right to data
//! portability).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::forms::{Opt, fmt_date, fmt_datetime};
use super::page::{Layout, Nav, done, failed, form_problem, render_status, see_other};
use crate::auth::{CsrfForm, WebUser, current_session_id};
use crate::error::HttpError;
use crate::state::AppState;

routes! {
    GET "/profile" => show,
    GET "/profile/export" => export,
    GET "/profile/password" => password_page,
    POST "/profile/password" => change_password,
    POST "/profile/calendar" => set_calendar,
    POST "/profile/sessions/{id}/end" => end_session,
    POST "/profile/sessions/end-others" => end_other_sessions,
    GET "/profile/tokens" => tokens_page,
    POST "/profile/tokens" => create_token,
    POST "/profile/tokens/{id}/revoke" => revoke_token,
}

#[derive(Debug)]
struct SessionView {
    id: i64,
    browser: String,
    created: String,
    last_seen: String,
    current: bool,
}

#[derive(Debug)]
struct TokenView {
    id: i64,
    name: String,
    created: String,
    expires: String,
    last_used: String,
}

/// The new-token form (also echoed back when refused).
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
struct TokenForm {
    csrf_token: String,
    name: String,
    expires_in_days: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    l: Layout,
    username: String,
    email: String,
    role: &'static str,
    since: String,
    sessions: Vec<SessionView>,
    tokens: Vec<TokenView>,
    /// A token just made: shown this once.
    new_token: Option<String>,
    token_form: TokenForm,
    token_error: Option<String>,
    /// The zone and week start in effect, and the choices.
    zone: &'static str,
    local_now: String,
    zone_choice: String,
    week_choice: &'static str,
    default_zone: &'static str,
    default_week: &'static str,
    zones: Vec<&'static str>,
    weeks: Vec<Opt>,
}

async fn render_profile(
    state: &AppState,
    user: &WebUser,
    status: StatusCode,
    new_token: Option<String>,
    token_form: TokenForm,
    token_error: Option<String>,
) -> Result<HttpResponse, HttpError> {
    let current = current_session_id(&user.session);
    let actor = user.actor();
    let (sessions, tokens) = state
        .run(move |app| {
            Ok((
                tt_app::sessions::list(app, &actor)?,
                tt_app::auth::list_tokens(app, &actor)?,
            ))
        })
        .await?;
    let never = || "never".to_owned();
    let cal = user.calendar;
    // This browser first, then the most recently used.
    let mut sessions = sessions;
    sessions.sort_by_key(|s| Some(s.id) != current);
    let page = ProfilePage {
        l: Layout::new(user, "Your profile", Nav::Profile)?,
        username: user.user.username.to_string(),
        email: user
            .user
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        role: user.user.role.as_str(),
        since: fmt_date(&cal, user.user.created_at),
        sessions: sessions
            .into_iter()
            .map(|s| SessionView {
                id: s.id,
                browser: s.browser.unwrap_or_else(|| "Unknown browser".into()),
                created: fmt_datetime(&cal, s.created_at),
                last_seen: fmt_datetime(&cal, s.last_seen_at),
                current: Some(s.id) == current,
            })
            .collect(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name,
                created: fmt_datetime(&cal, t.created_at),
                expires: t.expires_at.map_or_else(never, |at| fmt_datetime(&cal, at)),
                last_used: t
                    .last_used_at
                    .map_or_else(never, |at| fmt_datetime(&cal, at)),
            })
            .collect(),
        new_token,
        token_form,
        token_error,
        zone: cal.zone().name(),
        local_now: fmt_datetime(&cal, tt_app::now()),
        zone_choice: user
            .user
            .time_zone
            .map(|z| z.name().to_owned())
            .unwrap_or_default(),
        week_choice: user.user.week_start.map_or("", |w| w.as_str()),
        default_zone: state.app().default_calendar().zone().name(),
        default_week: state.app().default_calendar().week_start().label(),
        zones: tt_domain::Zone::offered().map(|z| z.name()).collect(),
        weeks: tt_domain::WeekStart::ALL
            .iter()
            .map(|w| Opt::new(w.as_str(), w.label()))
            .collect(),
    };
    render_status(status, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CalendarForm {
    csrf_token: String,
    time_zone: String,
    week_start: String,
}

/// `POST /profile/calendar`: the zone times are shown and typed in, and
/// the first day of the week (empty: the installation's default).
async fn set_calendar(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<CalendarForm>,
) -> Result<HttpResponse, HttpError> {
    let form = form.into_inner();
    let actor = user.actor();
    let outcome = state
        .run(move |app| {
            let zone = tt_app::input::opt_zone(Some(&form.time_zone))?;
            let week = tt_app::input::opt_week_start(Some(&form.week_start))?;
            tt_app::users::set_calendar(app, &actor, zone, week)
        })
        .await;
    match outcome {
        Ok(u) => {
            let cal = state.app().calendar_of(&u);
            Ok(done(
                &user.session,
                "/profile",
                format!(
                    "Times are now shown in {}; weeks start on {}.",
                    cal.zone(),
                    cal.week_start().label()
                ),
            ))
        }
        Err(e) => {
            let problem = form_problem(e)?;
            Ok(failed(&user.session, "/profile", problem.message))
        }
    }
}

/// `GET /profile`: the account, its sessions and API tokens, and the data
/// download.
async fn show(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, HttpError> {
    render_profile(
        &state,
        &user,
        StatusCode::OK,
        None,
        TokenForm::default(),
        None,
    )
    .await
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    l: Layout,
    /// Set by an administrator's reset: the user cannot go on without it.
    forced: bool,
    error: Option<String>,
}

async fn render_password(
    user: &WebUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, HttpError> {
    let page = PasswordPage {
        l: Layout::new(user, "Change password", Nav::Profile)?,
        forced: user.user.must_change_password,
        error,
    };
    render_status(status, &page)
}

/// `GET /profile/password`.
async fn password_page(user: WebUser) -> Result<HttpResponse, HttpError> {
    render_password(&user, StatusCode::OK, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    csrf_token: String,
    current_password: String,
    new_password: String,
    new_password_confirm: String,
}

/// `POST /profile/password`: needs the current password. Every other
/// session and every API token ends; this browser stays signed in.
async fn change_password(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, HttpError> {
    let form = form.into_inner();
    if form.new_password != form.new_password_confirm {
        return render_password(
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("The two new passwords do not match.".into()),
        )
        .await;
    }
    let current = current_session_id(&user.session);
    let actor = user.actor();
    let outcome = state
        .run(move |app| {
            tt_app::users::change_password(
                app,
                &actor,
                &form.current_password,
                &form.new_password,
                current,
            )
        })
        .await;
    match outcome {
        Ok(()) => Ok(done(
            &user.session,
            "/profile",
            "Password changed. Your other sessions and all your API tokens were signed out.",
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            render_password(&user, problem.status, Some(problem.message)).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlainForm {
    csrf_token: String,
}

/// `POST /profile/sessions/{id}/end`: signs one of your sessions out.
async fn end_session(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    _form: CsrfForm<PlainForm>,
) -> Result<HttpResponse, HttpError> {
    let id = path.into_inner();
    let actor = user.actor();
    state
        .run(move |app| tt_app::sessions::end(app, &actor, id))
        .await?;
    if current_session_id(&user.session) == Some(id) {
        // This very browser: it is signed out now.
        user.session.purge();
        return Ok(see_other("/login"));
    }
    Ok(done(
        &user.session,
        "/profile#sessions-h",
        "That session was signed out.",
    ))
}

/// `POST /profile/sessions/end-others`: signs out everywhere but here.
async fn end_other_sessions(
    state: web::Data<AppState>,
    user: WebUser,
    _form: CsrfForm<PlainForm>,
) -> Result<HttpResponse, HttpError> {
    let current = current_session_id(&user.session).ok_or(HttpError::Csrf)?;
    let actor = user.actor();
    let n = state
        .run(move |app| tt_app::sessions::end_others(app, &actor, current))
        .await?;
    Ok(done(
        &user.session,
        "/profile#sessions-h",
        format!("{n} other session(s) signed out."),
    ))
}

/// `POST /profile/tokens`: a new named API token, shown once.
async fn create_token(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<TokenForm>,
) -> Result<HttpResponse, HttpError> {
    let form = form.into_inner();
    let days = form.expires_in_days.trim();
    let request = if days.is_empty() {
        tt_app::auth::TokenRequest::parse(&form.name, None)
    } else {
        match days.parse::<i64>() {
            Ok(d) => tt_app::auth::TokenRequest::parse(&form.name, Some(d)),
            Err(_) => Err(tt_app::AppError::invalid_field(
                "expires_in_days",
                "enter a number of days, or leave it empty",
            )),
        }
    };
    let actor = user.actor();
    let outcome = match request {
        Ok(request) => {
            state
                .run(move |app| tt_app::auth::create_token(app, &actor, &request))
                .await
        }
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok((_, token)) => {
            // The token is shown in this answer only (never kept in the
            // session), so it must not be cached either.
            let mut resp = render_profile(
                &state,
                &user,
                StatusCode::OK,
                Some(token),
                TokenForm::default(),
                None,
            )
            .await?;
            resp.headers_mut().insert(
                actix_web::http::header::CACHE_CONTROL,
                actix_web::http::header::HeaderValue::from_static("no-store"),
            );
            Ok(resp)
        }
        Err(e) => {
            let problem = form_problem(e)?;
            render_profile(
                &state,
                &user,
                problem.status,
                None,
                form,
                Some(problem.message),
            )
            .await
        }
    }
}

/// `GET /profile/tokens`: the tokens are listed on the profile.
async fn tokens_page(_user: WebUser) -> HttpResponse {
    see_other("/profile#tokens-h")
}

/// `POST /profile/tokens/{id}/revoke`.
async fn revoke_token(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    _form: CsrfForm<PlainForm>,
) -> Result<HttpResponse, HttpError> {
    let id = path.into_inner();
    let actor = user.actor();
    state
        .run(move |app| tt_app::auth::revoke_token_by_id(app, &actor, id))
        .await?;
    Ok(done(&user.session, "/profile#tokens-h", "Token revoked."))
}

crate::auth::csrf_protected!(PasswordForm, PlainForm, TokenForm, CalendarForm);

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExportQuery {
    format: String,
}

/// `GET /profile/export?format=json|csv`: the same download as
/// `GET /api/v1/me/export`, with the browser session.
async fn export(
    state: web::Data<AppState>,
    user: WebUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, HttpError> {
    let format = if q.format.is_empty() {
        None
    } else {
        Some(q.format.as_str())
    };
    crate::export::export_response(&state, user.actor(), format).await
}
