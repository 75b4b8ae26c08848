//! What every page shares: the error type that renders HTML, the layout
//! (navigation, flash messages, CSRF token), rendering with the security
//! headers, and Post/Redirect/Get helpers.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::assets;
use crate::auth::{WebUser, csrf_token};
use crate::error::HttpError;

fn heading(e: &HttpError) -> &'static str {
    match e {
        HttpError::Unauthorized | HttpError::SignIn(_) => "Please sign in",
        HttpError::BadRequest(..) => "Bad request",
        HttpError::Forbidden(_) => "Not allowed",
        HttpError::Csrf => "Form expired",
        HttpError::PasswordChangeRequired => "Choose a new password",
        HttpError::NotFound => "Not found",
        HttpError::MethodNotAllowed(_) => "Not possible here",
        HttpError::Conflict(_) | HttpError::SetupRequired => "That did not work",
        HttpError::PayloadTooLarge => "Too large",
        HttpError::UnsupportedMediaType(_) => "Unsupported request",
        HttpError::Validation(_) => "Please check your input",
        HttpError::TooManyAttempts(_) => "Too many attempts",
        HttpError::Unavailable(_) => "Temporarily unavailable",
        HttpError::Internal(_) => "Something went wrong",
    }
}

fn hint(e: &HttpError) -> &'static str {
    match e {
        HttpError::Csrf => "Go back, reload the page and submit the form again.",
        HttpError::Validation(_) | HttpError::Conflict(_) | HttpError::BadRequest(..) => {
            "Go back, correct the form and try again."
        }
        HttpError::PayloadTooLarge => "Shorten the text you entered and try again.",
        _ => "",
    }
}

/// What a browser is told: the page's own words for the errors whose JSON
/// message is written for programs.
fn page_message(e: &HttpError) -> String {
    match e {
        HttpError::NotFound => "the page or record you asked for does not exist".into(),
        HttpError::Unavailable(_) => {
            "the service is temporarily unavailable; try again in a moment".into()
        }
        HttpError::Internal(_) => "something went wrong on our side".into(),
        HttpError::PayloadTooLarge => "the form you sent is too large".into(),
        HttpError::UnsupportedMediaType(_) => {
            "this address only accepts HTML form submissions".into()
        }
        other => other.to_string(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    css: &'a str,
    heading: &'a str,
    message: String,
    hint: &'a str,
    cookie_warning: Option<&'static str>,
}

/// The browser rendering of an [`HttpError`]: an HTML page with the same
/// status, or for a missing session a 303 to the login form.
pub(crate) fn error_page(e: &HttpError) -> HttpResponse {
    error_page_warning(e, None)
}

/// [`error_page`], with what the page must say about a cookie the browser
/// drops (an expired form is then no mystery).
pub(crate) fn error_page_warning(
    e: &HttpError,
    cookie_warning: Option<&'static str>,
) -> HttpResponse {
    match e {
        HttpError::SignIn(next) => {
            let location = match next {
                Some(n) => format!("/login?next={}", super::forms::url_encode(n)),
                None => "/login".to_owned(),
            };
            return see_other(&location);
        }
        HttpError::Unauthorized => return see_other("/login"),
        HttpError::PasswordChangeRequired => return see_other(super::CHANGE_PASSWORD_PATH),
        _ => {}
    }
    let page = ErrorPage {
        css: assets::css_href(),
        heading: heading(e),
        message: capitalise(&page_message(e)),
        hint: hint(e),
        cookie_warning,
    };
    let body = page.render().unwrap_or_else(|_| heading(e).to_owned());
    let mut resp = html_builder(e.status_code());
    match e {
        HttpError::TooManyAttempts(retry) => {
            resp.insert_header((header::RETRY_AFTER, retry.as_secs().max(1).to_string()));
        }
        HttpError::MethodNotAllowed(allow) => {
            resp.insert_header((header::ALLOW, allow.as_str()));
        }
        _ => {}
    }
    resp.body(body)
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A response builder with the headers every HTML page carries.
pub(crate) fn html_builder(status: StatusCode) -> HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    b.content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            ),
        ))
        .insert_header((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .insert_header((
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Pages show personal data: keep them out of shared caches and the
        // back-forward cache of a shared computer.
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    b
}

/// Renders a template as a page with the given status.
pub(crate) fn render_status<T: Template>(
    status: StatusCode,
    t: &T,
) -> Result<HttpResponse, HttpError> {
    let body = t.render()?;
    Ok(html_builder(status).body(body))
}

/// Renders a template as a 200 page.
pub(crate) fn render<T: Template>(t: &T) -> Result<HttpResponse, HttpError> {
    render_status(StatusCode::OK, t)
}

/// `303 See Other` to a local path.
pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .finish()
}

/// A message shown once on the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Flash {
    /// `success`, `error` or `info` (a CSS class).
    pub kind: String,
    /// The text.
    pub text: String,
}

const FLASH_KEY: &str = "flash";
/// The most messages kept for the next page.
const FLASH_MAX_COUNT: usize = 4;
/// The longest message, in bytes (longer ones are cut with an ellipsis).
const FLASH_MAX_BYTES: usize = 400;
/// All pending messages together, in bytes.
const FLASH_BUDGET_BYTES: usize = 1200;

/// `text` cut to at most `max` bytes at a character boundary, with `…`.
fn shorten(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push('…');
    text
}

/// Takes the pending flash messages out of the session. Only a session
/// that held some is changed (and stored again): `Session::remove` marks a
/// session changed even when the key is absent, which would write the
/// session row on every page view.
pub(crate) fn take_flashes(session: &Session) -> Vec<Flash> {
    if !session.contains_key(FLASH_KEY) {
        return Vec::new();
    }
    match session.remove_as::<Vec<Flash>>(FLASH_KEY) {
        Some(Ok(list)) => list,
        _ => Vec::new(),
    }
}

/// Stores a flash message for the next page the browser loads.
pub(crate) fn flash(session: &Session, kind: &str, text: impl Into<String>) {
    let mut list: Vec<Flash> = session.get(FLASH_KEY).ok().flatten().unwrap_or_default();
    list.push(Flash {
        kind: kind.to_owned(),
        text: shorten(text.into(), FLASH_MAX_BYTES),
    });
    // The messages ride in the session cookie, which browsers drop beyond
    // 4 KB (encrypted and encoded, it grows by about a half): keep the
    // newest few within a byte budget.
    while list.len() > FLASH_MAX_COUNT
        || list.iter().map(|f| f.text.len()).sum::<usize>() > FLASH_BUDGET_BYTES
    {
        list.remove(0);
    }
    if let Err(e) = session.insert(FLASH_KEY, &list) {
        tracing::warn!(error = %e, "could not store a flash message");
    }
}

/// Post/Redirect/Get: a flash message and a 303 to `location`.
pub(crate) fn done(session: &Session, location: &str, text: impl Into<String>) -> HttpResponse {
    flash(session, "success", text);
    see_other(location)
}

/// Like [`done`] but the message is an error.
pub(crate) fn failed(session: &Session, location: &str, text: impl Into<String>) -> HttpResponse {
    flash(session, "error", capitalise(&text.into()));
    see_other(location)
}

/// An error the user can fix by changing the form: shown next to it,
/// with their input kept.
#[derive(Debug)]
pub(crate) struct FormProblem {
    pub status: StatusCode,
    pub message: String,
}

/// Splits an error into one the form can show (`Ok`) and one that is a
/// page of its own (`Err`).
pub(crate) fn form_problem(e: impl Into<HttpError>) -> Result<FormProblem, HttpError> {
    let e = e.into();
    let status = e.status_code();
    match e {
        HttpError::Validation(_)
        | HttpError::Conflict(_)
        | HttpError::BadRequest(..)
        | HttpError::Forbidden(_) => Ok(FormProblem {
            status,
            message: capitalise(&e.to_string()),
        }),
        other => Err(other),
    }
}

/// The sections of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Dashboard,
    Entries,
    Projects,
    Clients,
    Tasks,
    Invoices,
    Reports,
    Users,
    Company,
    Telemetry,
    Help,
    Profile,
}

impl Nav {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Nav::Dashboard => "dashboard",
            Nav::Entries => "entries",
            Nav::Projects => "projects",
            Nav::Clients => "clients",
            Nav::Tasks => "tasks",
            Nav::Invoices => "invoices",
            Nav::Reports => "reports",
            Nav::Users => "users",
            Nav::Company => "company",
            Nav::Telemetry => "telemetry",
            Nav::Help => "help",
            Nav::Profile => "profile",
        }
    }
}

/// The running timer as the header shows it.
#[derive(Debug, Clone)]
pub(crate) struct TimerView {
    pub project: String,
    pub task: Option<String>,
    pub notes: String,
    /// Local start, `HH:MM` (or with the date when not today).
    pub started: String,
    /// `H:MM:SS` when the page was made; the script counts on from here.
    pub elapsed: String,
    /// Seconds elapsed when the page was made.
    pub elapsed_seconds: i64,
    /// The start as RFC 3339 with the user's offset.
    pub start_iso: String,
}

impl TimerView {
    pub(crate) fn new(
        t: &tt_app::timer::RunningEntry,
        cal: &tt_domain::Calendar,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let secs = t.entry.seconds(now).max(0);
        let started = if cal.date_of(t.entry.start) == cal.today(now) {
            super::forms::fmt_time(cal, t.entry.start)
        } else {
            super::forms::fmt_datetime(cal, t.entry.start)
        };
        TimerView {
            project: t.project.clone(),
            task: t.task.clone(),
            notes: t.entry.notes.as_str().to_owned(),
            started,
            elapsed: format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60),
            elapsed_seconds: secs,
            start_iso: cal.with_offset(t.entry.start).to_rfc3339(),
        }
    }
}

/// What the base layout needs: title, navigation, user, CSRF token and
/// the flash messages of this request.
#[derive(Debug)]
pub(crate) struct Layout {
    pub title: String,
    pub nav: &'static str,
    pub username: String,
    pub is_admin: bool,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    pub css: &'static str,
    /// The page script (progressive enhancement only).
    pub script: &'static str,
    /// The IANA zone the page's times are in (the user's).
    pub zone: &'static str,
    /// The running timer, shown in the header of every page.
    pub timer: Option<TimerView>,
    /// Where a form in the header returns to: this page (a `GET`), or the
    /// dashboard after a form was posted.
    pub here: String,
    /// An administrator reset the password: no navigation until a new one
    /// is chosen (every page leads back to the form anyway).
    pub locked: bool,
}

impl Layout {
    /// Builds the layout and takes the pending flash messages.
    pub(crate) fn new(
        user: &WebUser,
        title: impl Into<String>,
        nav: Nav,
    ) -> Result<Self, HttpError> {
        let flashes = take_flashes(&user.session);
        Ok(Layout {
            title: title.into(),
            nav: nav.as_str(),
            username: user.user.username.to_string(),
            is_admin: user.user.is_admin(),
            csrf: csrf_token(&user.session)?,
            flashes,
            css: assets::css_href(),
            script: assets::app_js_href(),
            zone: user.calendar.zone().name(),
            timer: user
                .running
                .as_ref()
                .map(|t| TimerView::new(t, &user.calendar, tt_app::now())),
            here: super::forms::safe_next(Some(&user.here)),
            locked: user.user.must_change_password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        assert_eq!(shorten("short".into(), 400), "short");
        let cut = shorten("€".repeat(200), 400);
        assert!(cut.len() <= 400 && cut.ends_with('…'), "{}", cut.len());
        assert!(cut.starts_with("€€€"));
    }

    #[test]
    fn internal_details_are_not_shown() {
        let e = HttpError::internal("secret database detail");
        let resp = error_page(&e);
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!page_message(&e).contains("secret"));
    }

    #[test]
    fn sign_in_redirects_with_next() {
        let resp = error_page(&HttpError::SignIn(Some("/entries?from=2024-01-01".into())));
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let loc = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok());
        assert_eq!(loc, Some("/login?next=%2Fentries%3Ffrom%3D2024-01-01"));
    }

    #[test]
    fn form_problems_are_user_errors_only() {
        assert!(form_problem(HttpError::Validation("bad".into())).is_ok());
        assert!(form_problem(HttpError::Conflict("taken".into())).is_ok());
        assert!(form_problem(HttpError::NotFound).is_err());
        assert!(form_problem(HttpError::internal("x")).is_err());
        let p = form_problem(HttpError::invalid_field("hourly_rate", "is too large")).ok();
        assert_eq!(
            p.map(|p| p.message),
            Some("Hourly rate: is too large".to_owned())
        );
    }
}
