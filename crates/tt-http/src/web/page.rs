//! What every page shares: the error type that renders HTML, the layout
//! (navigation, flash messages, CSRF token), rendering with the security
//! headers, and Post/Redirect/Get helpers.

use std::time::Duration;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::assets;
use crate::auth::{WebUser, csrf_token, verify_csrf};
use crate::error::ApiError;

/// An error answered to a browser as an HTML page (or, for a missing
/// login, a redirect to the login form). The JSON API keeps `ApiError`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// 303 to `/login`, coming back to `next` (a local path) afterwards.
    #[error("please sign in")]
    Login(Option<String>),
    /// 400: the request could not be read.
    #[error("{0}")]
    BadRequest(String),
    /// 403: signed in but not allowed.
    #[error("you are not allowed to see or do this")]
    Forbidden,
    /// 403: the form's CSRF token is missing or wrong.
    #[error("this form has expired or did not come from this site")]
    Csrf,
    /// 404: no such page or record (or not yours).
    #[error("the page or record you asked for does not exist")]
    NotFound,
    /// 409: conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 413: the form was too large.
    #[error("the form you sent is too large")]
    PayloadTooLarge,
    /// 415: not a form.
    #[error("this address only accepts HTML form submissions")]
    UnsupportedMediaType,
    /// 422: the input was understood but is invalid.
    #[error("{0}")]
    Validation(String),
    /// 429: too many failed logins.
    #[error("too many failed attempts; try again later")]
    TooManyAttempts(Duration),
    /// 503: the database is unavailable.
    #[error("the service is temporarily unavailable; try again in a moment")]
    Unavailable,
    /// 500: a bug; details are logged, never shown.
    #[error("something went wrong on our side")]
    Internal(String),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::BadRequest(_, msg) => PageError::BadRequest(msg),
            ApiError::Unauthorized => PageError::Login(None),
            ApiError::Forbidden => PageError::Forbidden,
            ApiError::Csrf => PageError::Csrf,
            ApiError::NotFound => PageError::NotFound,
            ApiError::Conflict(msg) => PageError::Conflict(msg),
            ApiError::SetupRequired => PageError::Conflict(e.to_string()),
            ApiError::PayloadTooLarge => PageError::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => PageError::UnsupportedMediaType,
            ApiError::Validation(msg) => PageError::Validation(msg),
            ApiError::TooManyAttempts(d) => PageError::TooManyAttempts(d),
            ApiError::Unavailable => PageError::Unavailable,
            ApiError::Internal(detail) => PageError::Internal(detail),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(format!("template: {e}"))
    }
}

impl PageError {
    fn heading(&self) -> &'static str {
        match self {
            PageError::Login(_) => "Please sign in",
            PageError::BadRequest(_) => "Bad request",
            PageError::Forbidden => "Not allowed",
            PageError::Csrf => "Form expired",
            PageError::NotFound => "Not found",
            PageError::Conflict(_) => "That did not work",
            PageError::PayloadTooLarge => "Too large",
            PageError::UnsupportedMediaType => "Unsupported request",
            PageError::Validation(_) => "Please check your input",
            PageError::TooManyAttempts(_) => "Too many attempts",
            PageError::Unavailable => "Temporarily unavailable",
            PageError::Internal(_) => "Something went wrong",
        }
    }

    fn hint(&self) -> &'static str {
        match self {
            PageError::Csrf => "Go back, reload the page and submit the form again.",
            PageError::Validation(_) | PageError::Conflict(_) | PageError::BadRequest(_) => {
                "Go back, correct the form and try again."
            }
            PageError::PayloadTooLarge => "Shorten the text you entered and try again.",
            _ => "",
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    css: &'a str,
    heading: &'a str,
    message: String,
    hint: &'a str,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Login(_) => StatusCode::SEE_OTHER,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Forbidden | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Conflict(_) => StatusCode::CONFLICT,
            PageError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PageError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            PageError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::Login(next) = self {
            let location = match next {
                Some(n) => format!("/login?next={}", super::forms::url_encode(n)),
                None => "/login".to_owned(),
            };
            return see_other(&location);
        }
        if let PageError::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error while rendering a page");
        }
        let page = ErrorPage {
            css: assets::css_href(),
            heading: self.heading(),
            message: capitalise(&self.to_string()),
            hint: self.hint(),
        };
        let body = page.render().unwrap_or_else(|_| self.heading().to_owned());
        let mut resp = html_builder(self.status_code());
        if let PageError::TooManyAttempts(retry) = self {
            resp.insert_header((header::RETRY_AFTER, retry.as_secs().max(1).to_string()));
        }
        resp.body(body)
    }
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
) -> Result<HttpResponse, PageError> {
    let body = t.render()?;
    Ok(html_builder(status).body(body))
}

/// Renders a template as a 200 page.
pub(crate) fn render<T: Template>(t: &T) -> Result<HttpResponse, PageError> {
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

/// Stores a flash message for the next page the browser loads.
pub(crate) fn flash(session: &Session, kind: &str, text: impl Into<String>) {
    let mut list: Vec<Flash> = session.get(FLASH_KEY).ok().flatten().unwrap_or_default();
    // A handful is plenty; never let the cookie grow without bound.
    if list.len() >= 5 {
        list.remove(0);
    }
    list.push(Flash {
        kind: kind.to_owned(),
        text: text.into(),
    });
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

/// Checks a submitted form's CSRF token: the first thing every POST does.
pub(crate) fn check_csrf(session: &Session, submitted: &str) -> Result<(), PageError> {
    verify_csrf(session, submitted).map_err(|_| PageError::Csrf)
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
pub(crate) fn form_problem(e: impl Into<PageError>) -> Result<FormProblem, PageError> {
    let e = e.into();
    let status = e.status_code();
    match e {
        PageError::Validation(_) | PageError::Conflict(_) | PageError::BadRequest(_) => {
            Ok(FormProblem {
                status,
                message: capitalise(&e.to_string()),
            })
        }
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
            Nav::Telemetry => "telemetry",
            Nav::Help => "help",
            Nav::Profile => "profile",
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
}

impl Layout {
    /// Builds the layout and takes the pending flash messages.
    pub(crate) fn new(
        user: &WebUser,
        title: impl Into<String>,
        nav: Nav,
    ) -> Result<Self, PageError> {
        let flashes = match user.session.remove_as::<Vec<Flash>>(FLASH_KEY) {
            Some(Ok(list)) => list,
            _ => Vec::new(),
        };
        Ok(Layout {
            title: title.into(),
            nav: nav.as_str(),
            username: user.user.username.to_string(),
            is_admin: user.user.is_admin(),
            csrf: csrf_token(&user.session).map_err(PageError::from)?,
            flashes,
            css: assets::css_href(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_map_to_page_errors() {
        assert!(matches!(
            PageError::from(ApiError::Unauthorized),
            PageError::Login(None)
        ));
        assert!(matches!(
            PageError::from(ApiError::NotFound),
            PageError::NotFound
        ));
        assert_eq!(
            PageError::from(ApiError::Csrf).status_code(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            PageError::from(ApiError::Validation("x".into())).status_code(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn internal_details_are_not_shown() {
        let e = PageError::Internal("secret database detail".into());
        let resp = e.error_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.to_string().contains("secret"));
    }

    #[test]
    fn login_error_redirects_with_next() {
        let resp = PageError::Login(Some("/entries?from=2024-01-01".into())).error_response();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let loc = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok());
        assert_eq!(loc, Some("/login?next=%2Fentries%3Ffrom%3D2024-01-01"));
    }

    #[test]
    fn form_problems_are_user_errors_only() {
        assert!(form_problem(ApiError::Validation("bad".into())).is_ok());
        assert!(form_problem(ApiError::Conflict("taken".into())).is_ok());
        assert!(form_problem(ApiError::NotFound).is_err());
        assert!(form_problem(ApiError::Internal("x".into())).is_err());
        let p = form_problem(ApiError::Validation("name: too long".into())).ok();
        assert_eq!(p.map(|p| p.message), Some("Name: too long".to_owned()));
    }
}
