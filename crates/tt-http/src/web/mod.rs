//! The server-rendered web UI: plain HTML forms and one stylesheet, no
//! JavaScript build step.
//!
//! Every page needs a live session (`WebUser`; without one, a `GET`
//! redirects to the login form). Every `POST` reads its form through the
//! `CsrfForm` extractor, which refuses a missing or foreign token before
//! the handler runs, and answers with a redirect and a flash message
//! (Post/Redirect/Get), or re-renders its form with the problem and the
//! input kept. Handlers only convert shapes and call `tt_app`; errors are
//! the one `HttpError`, rendered here as pages.
//!
//! Each module declares its routes with `routes!`, which both registers
//! them and lists them in the module's `ROUTES`, so [`route_table`] is the
//! exact set of registered browser routes (tests walk it).

/// A browser route: method and path template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteDef {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path template, e.g. `/entries/{id}/edit`.
    pub path: &'static str,
}

/// Declares a module's routes once: registers them in `configure` and
/// lists them in `ROUTES`.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:expr),* $(,)?) => {
        /// This module's routes, exactly as `configure` registers them.
        pub(crate) const ROUTES: &[super::RouteDef] = &[
            $(super::RouteDef { method: stringify!($method), path: $path }),*
        ];

        pub(crate) fn configure(cfg: &mut actix_web::web::ServiceConfig) {
            $( cfg.route($path, routes!(@method $method).to($handler)); )*
        }
    };
    (@method GET) => { actix_web::web::get() };
    (@method POST) => { actix_web::web::post() };
}

mod admin;
mod assets;
mod clients;
mod comments;
mod company;
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
mod timer;
mod view;

use actix_web::error::{PathError, QueryPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::HttpError;

pub(crate) use page::{error_page, error_page_warning};

/// Where a user whose password an administrator reset is sent first.
pub(crate) const CHANGE_PASSWORD_PATH: &str = "/profile/password";

/// Every browser route the application registers.
pub fn route_table() -> Vec<RouteDef> {
    [
        assets::ROUTES,
        session::ROUTES,
        setup::ROUTES,
        dashboard::ROUTES,
        timer::ROUTES,
        entries::ROUTES,
        clients::ROUTES,
        projects::ROUTES,
        tasks::ROUTES,
        comments::ROUTES,
        invoices::ROUTES,
        reports::ROUTES,
        admin::ROUTES,
        company::ROUTES,
        privacy::ROUTES,
        profile::ROUTES,
        help::ROUTES,
    ]
    .concat()
}

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
    .configure(timer::configure)
    .configure(entries::configure)
    .configure(clients::configure)
    .configure(projects::configure)
    .configure(tasks::configure)
    .configure(comments::configure)
    .configure(invoices::configure)
    .configure(reports::configure)
    .configure(admin::configure)
    .configure(company::configure)
    .configure(privacy::configure)
    .configure(profile::configure)
    .configure(help::configure);
}

fn form_error(err: UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    let e = match err.status_code() {
        StatusCode::PAYLOAD_TOO_LARGE => HttpError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            HttpError::UnsupportedMediaType("expected an HTML form".into())
        }
        _ => HttpError::bad_request("bad_form", "the form could not be read"),
    };
    e.into()
}

fn query_error(_err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    HttpError::bad_request("invalid_query", "the address has an invalid query string").into()
}

fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    // `/projects/abc` names nothing that exists.
    HttpError::NotFound.into()
}

/// The application's default service: an HTML 404 page, or the API's JSON
/// error for paths under `/api` that its scope did not catch.
pub(crate) async fn not_found(req: HttpRequest) -> HttpResponse {
    let e = crate::routing::method_not_allowed(&req).unwrap_or(HttpError::NotFound);
    if crate::error::is_api_path(req.path()) {
        return e.error_response();
    }
    error_page(&e)
}
