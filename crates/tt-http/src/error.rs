//! The one error type of the HTTP layer, and its two renderings: JSON
//! (`{"error": {"code", "message"}}`) under `/api`, an HTML page (or a
//! redirect to the login form) everywhere else. Handlers and extractors of
//! both surfaces return [`HttpError`]; [`ResponseError`] renders JSON, and
//! the `browser_errors` middleware re-renders the same value as a page for
//! browser routes. The cause chain of an unexpected error is logged once,
//! never shown.

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use tt_app::AppError;
use tt_domain::DomainError;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// 400: the body or query could not be read (`code` says how).
    #[error("{1}")]
    BadRequest(&'static str, String),
    /// 401: no valid API credentials.
    #[error("authentication required")]
    Unauthorized,
    /// A browser without a live session: 303 to the login form, coming back
    /// to `next` (a local path); 401 under `/api`.
    #[error("please sign in")]
    SignIn(Option<String>),
    /// 403: signed in but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 403: an administrator reset the password; a browser is sent to
    /// choose a new one.
    #[error("an administrator reset your password: choose a new one first")]
    PasswordChangeRequired,
    /// 403: a form without a valid CSRF token.
    #[error("the form expired or did not come from this site; reload and try again")]
    Csrf,
    /// 404: no such thing, or not yours.
    #[error("not found")]
    NotFound,
    /// 405: the path exists but not for this method; the value is the
    /// `Allow` header (e.g. `GET, POST`).
    #[error("this address does not take that method; it takes {0}")]
    MethodNotAllowed(String),
    /// 409: conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 409: the installation has not been set up yet.
    #[error("setup is not complete")]
    SetupRequired,
    /// 413: body too large.
    #[error("request body is too large")]
    PayloadTooLarge,
    /// 415: wrong content type.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed but invalid.
    #[error("{0}")]
    Validation(String),
    /// 429: too many failed logins.
    #[error("too many failed attempts; try again later")]
    TooManyAttempts(Duration),
    /// 503: a dependency (the database) is unavailable.
    #[error("service unavailable")]
    Unavailable(#[source] Option<Box<dyn std::error::Error + Send + Sync>>),
    /// 500: a bug or an unexpected failure; the source is logged, not shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl HttpError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            HttpError::BadRequest(code, _) => code,
            HttpError::Unauthorized | HttpError::SignIn(_) => "unauthorized",
            HttpError::Forbidden(_) => "forbidden",
            HttpError::Csrf => "csrf_failed",
            HttpError::PasswordChangeRequired => "password_change_required",
            HttpError::NotFound => "not_found",
            HttpError::MethodNotAllowed(_) => "method_not_allowed",
            HttpError::Conflict(_) => "conflict",
            HttpError::SetupRequired => "setup_required",
            HttpError::PayloadTooLarge => "payload_too_large",
            HttpError::UnsupportedMediaType(_) => "unsupported_media_type",
            HttpError::Validation(_) => "validation_failed",
            HttpError::TooManyAttempts(_) => "too_many_attempts",
            HttpError::Unavailable(_) => "unavailable",
            HttpError::Internal(_) => "internal",
        }
    }

    pub(crate) fn bad_request(code: &'static str, msg: impl Into<String>) -> Self {
        HttpError::BadRequest(code, msg.into())
    }

    /// 422 about one field, named by its label as every surface shows it.
    pub(crate) fn invalid_field(field: &str, reason: &str) -> Self {
        HttpError::Validation(tt_domain::field_message(field, reason))
    }

    /// An unexpected failure described in words.
    pub(crate) fn internal(msg: impl Into<String>) -> Self {
        HttpError::Internal(msg.into().into())
    }

    /// 403 with the standard wording.
    pub(crate) fn forbidden() -> Self {
        HttpError::Forbidden("you are not allowed to do this".into())
    }

    /// Logs what must be logged, once, with the whole cause chain.
    fn log(&self) {
        match self {
            HttpError::Internal(_) => tracing::error!(error = %error_chain(self), "internal error"),
            HttpError::Unavailable(Some(_)) => {
                tracing::error!(error = %error_chain(self), "dependency unavailable");
            }
            _ => {}
        }
    }
}

impl From<AppError> for HttpError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => HttpError::NotFound,
            AppError::Forbidden(msg) => HttpError::Forbidden(msg.to_owned()),
            AppError::Invalid(msg) => HttpError::Validation(msg),
            AppError::Conflict(msg) => HttpError::Conflict(msg),
            e @ AppError::Collided => HttpError::Conflict(e.to_string()),
            AppError::Unavailable(source) => HttpError::Unavailable(Some(source)),
            AppError::Internal(source) => HttpError::Internal(source),
        }
    }
}

impl From<DomainError> for HttpError {
    fn from(e: DomainError) -> Self {
        AppError::from(e).into()
    }
}

impl From<askama::Error> for HttpError {
    fn from(e: askama::Error) -> Self {
        HttpError::Internal(Box::new(e))
    }
}

/// `error: cause: cause` for logs.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            HttpError::BadRequest(..) => StatusCode::BAD_REQUEST,
            HttpError::Unauthorized | HttpError::SignIn(_) => StatusCode::UNAUTHORIZED,
            HttpError::Forbidden(_) | HttpError::Csrf | HttpError::PasswordChangeRequired => {
                StatusCode::FORBIDDEN
            }
            HttpError::NotFound => StatusCode::NOT_FOUND,
            HttpError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::Conflict(_) | HttpError::SetupRequired => StatusCode::CONFLICT,
            HttpError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HttpError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HttpError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            HttpError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON rendering (the page rendering is `web::page::error_page`).
    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut resp = HttpResponse::build(self.status_code());
        match self {
            HttpError::Unauthorized | HttpError::SignIn(_) => {
                resp.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            HttpError::TooManyAttempts(retry) => {
                resp.insert_header((header::RETRY_AFTER, retry.as_secs().max(1).to_string()));
            }
            HttpError::MethodNotAllowed(allow) => {
                resp.insert_header((header::ALLOW, allow.as_str()));
            }
            _ => {}
        }
        resp.json(ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
            },
        })
    }
}

/// Whether a path belongs to the JSON API (errors there stay JSON).
pub(crate) fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Re-renders an [`HttpError`] as an HTML page for every browser route:
/// the same error value, its second rendering.
pub(crate) async fn browser_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let api = is_api_path(req.path());
    let res = next.call(req).await?.map_into_boxed_body();
    if api {
        return Ok(res);
    }
    let warning = crate::transport::cookie_warning(res.request());
    let page = res
        .response()
        .error()
        .and_then(|e| e.as_error::<HttpError>())
        .map(|e| crate::web::error_page_warning(e, warning));
    Ok(match page {
        Some(page) => res.into_response(page),
        None => res,
    })
}
