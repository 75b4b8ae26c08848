//! The server-rendered web UI: plain HTML forms and one stylesheet, no
//! JavaScript build step.
//!
//! Every page needs a live session (`WebUser`; without one, a `GET`
//! redirects to the login form). Every `POST` checks its CSRF token before
//! anything else and answers with a redirect and a flash message
//! (Post/Redirect/Get), or re-renders its form with the problem and the
//! input kept. Errors are HTML pages (`PageError`); the JSON API keeps its
//! own `ApiError`.

mod admin;
mod assets;
mod clients;
mod comments;
mod dashboard;
mod entries;
mod forms;
mod help;
mod invoices;
mod page;
mod privacy;
mod profile;
mod projects;
mod reports;
mod session;
mod setup;
mod tasks;
mod view;

use actix_web::error::{PathError, QueryPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

pub(crate) use page::PageError;

/// Largest form body accepted by the UI (notes and descriptions are at
/// most 10,000 characters).
const FORM_LIMIT: usize = 64 * 1024;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(FORM_LIMIT)
            .error_handler(form_error),
    )
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .app_data(web::PathConfig::default().error_handler(path_error))
    .configure(assets::configure)
    .configure(session::configure)
    .configure(setup::configure)
    .configure(dashboard::configure)
    .configure(entries::configure)
    .configure(clients::configure)
    .configure(projects::configure)
    .configure(tasks::configure)
    .configure(comments::configure)
    .configure(invoices::configure)
    .configure(reports::configure)
    .configure(admin::configure)
    .configure(privacy::configure)
    .configure(profile::configure)
    .configure(help::configure);
}

fn form_error(err: UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    let e = match err.status_code() {
        StatusCode::PAYLOAD_TOO_LARGE => PageError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => PageError::UnsupportedMediaType,
        _ => PageError::BadRequest("the form could not be read".into()),
    };
    e.into()
}

fn query_error(_err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    PageError::BadRequest("the address has an invalid query string".into()).into()
}

fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    // `/projects/abc` names nothing that exists.
    PageError::NotFound.into()
}

/// The application's default service: an HTML 404 page, or the API's JSON
/// error for paths under `/api` that its scope did not catch.
pub(crate) async fn not_found(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    if path == "/api" || path.starts_with("/api/") {
        return crate::error::ApiError::NotFound.error_response();
    }
    PageError::NotFound.error_response()
}
