//! The JSON API under `/api/v1`, plus `/healthz` and `/readyz`.

mod auth;
mod body;
mod company;
pub(crate) mod dto;
mod entries;
mod health;
mod invoices;
mod me;
pub(crate) mod openapi;
mod privacy;
mod reports;
mod users;
mod work;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{HttpRequest, web};

use crate::error::HttpError;

/// Largest JSON body accepted by the API.
const JSON_LIMIT: usize = 256 * 1024;

/// The `code`s of a 400 answer.
const MALFORMED_JSON: &str = "malformed_json";
const BAD_BODY: &str = "bad_body";
const INVALID_QUERY: &str = "invalid_query";

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure).service(
        web::scope("/api/v1")
            .app_data(
                web::JsonConfig::default()
                    .limit(JSON_LIMIT)
                    .error_handler(json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PathConfig::default().error_handler(path_error))
            // The timer and the entries first: actix tries routes in order,
            // and every pattern with a `{placeholder}` it passes on the way
            // costs a regular-expression match. No path of theirs overlaps
            // another module's.
            .configure(entries::configure)
            .service(openapi::openapi_json)
            .configure(auth::configure)
            .configure(users::configure)
            .configure(me::configure)
            .configure(work::configure)
            .configure(invoices::configure)
            .configure(reports::configure)
            .configure(privacy::configure)
            .configure(company::configure)
            .default_service(web::to(api_not_found)),
    );
}

/// No API route answered: a 405 with `Allow` when the path is known under
/// other methods, else a 404.
async fn api_not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, HttpError> {
    Err(crate::routing::method_not_allowed(&req).unwrap_or(HttpError::NotFound))
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let e = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            HttpError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => {
            HttpError::UnsupportedMediaType("expected Content-Type: application/json".into())
        }
        JsonPayloadError::Deserialize(de) if de.is_data() => {
            HttpError::Validation(format!("invalid body: {de}"))
        }
        JsonPayloadError::Deserialize(de) => {
            HttpError::bad_request(MALFORMED_JSON, format!("malformed JSON: {de}"))
        }
        other => HttpError::bad_request(BAD_BODY, format!("cannot read body: {other}")),
    };
    e.into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    invalid_query(err).into()
}

/// A query string that does not fit the handler's parameters: a 400.
fn invalid_query(err: QueryPayloadError) -> HttpError {
    HttpError::bad_request(INVALID_QUERY, format!("invalid query string: {err}"))
}

fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    // `/api/v1/projects/abc` names nothing that exists.
    HttpError::NotFound.into()
}
