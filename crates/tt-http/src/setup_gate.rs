//! Until first-run setup is complete, pages redirect to `/setup` and the API
//! answers 409 `setup_required`, except what must work before setup.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::LOCATION;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError, web};

use crate::error::HttpError;
use crate::state::AppState;

/// Paths served before setup: the wizard itself, static assets and the
/// icon, health, metrics, login and the API's description.
pub(crate) fn is_exempt(path: &str) -> bool {
    path == "/setup"
        || path.starts_with("/static/")
        || matches!(
            path,
            "/favicon.ico"
                | "/healthz"
                | "/readyz"
                | "/metrics"
                | "/login"
                | "/logout"
                | "/api/v1/auth/login"
                | "/api/v1/openapi.json"
        )
}

pub(crate) async fn setup_gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let complete = req
        .app_data::<web::Data<AppState>>()
        .is_none_or(|s| s.installation.is_setup_complete());
    if complete || is_exempt(req.path()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let resp = if req.path().starts_with("/api/") {
        HttpError::SetupRequired.error_response()
    } else {
        HttpResponse::SeeOther()
            .insert_header((LOCATION, "/setup"))
            .finish()
    };
    Ok(req.into_response(resp).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::is_exempt;

    #[test]
    fn exemptions() {
        for p in [
            "/logout",
            "/setup",
            "/static/app.css",
            "/favicon.ico",
            "/healthz",
            "/readyz",
            "/metrics",
            "/login",
            "/api/v1/auth/login",
            "/api/v1/openapi.json",
        ] {
            assert!(is_exempt(p), "{p}");
        }
        for p in [
            "/",
            "/setup/x",
            "/admin/telemetry",
            "/api/v1/timer",
            "/login/../admin",
            "/metricsx",
        ] {
            assert!(!is_exempt(p), "{p}");
        }
    }
}
