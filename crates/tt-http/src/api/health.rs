//! Liveness and readiness.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// `{"status": "ok"}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct Liveness {
    #[schema(value_type = String, pattern = "^ok$")]
    status: &'static str,
}

/// Whether this server takes new requests: `ready` (the database answers),
/// `unavailable` (it does not) or `draining` (the server is stopping and
/// finishes the requests it has).
#[derive(Serialize, ToSchema)]
pub(crate) struct Readiness {
    #[schema(value_type = String, pattern = "^(ready|unavailable|draining)$")]
    status: &'static str,
    #[schema(value_type = String, pattern = "^(ok|unreachable|unchecked)$")]
    database: &'static str,
}

/// The process is up and serving.
#[utoipa::path(
    tag = "health",
    responses((status = 200, description = "The process serves", body = Liveness)),
)]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Liveness { status: "ok" })
}

/// The server takes new requests: it is not stopping and the database
/// answers.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "The database answers", body = Readiness),
        (status = 503, description = "The server is stopping, or the database cannot be reached", body = Readiness),
    ),
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.readiness.is_draining() {
        return HttpResponse::ServiceUnavailable().json(Readiness {
            status: "draining",
            database: "unchecked",
        });
    }
    let pool = state.app.pool().clone();
    let ok = web::block(move || pool.ping())
        .await
        .map(|r| r.is_ok())
        .unwrap_or(false);
    if ok {
        HttpResponse::Ok().json(Readiness {
            status: "ready",
            database: "ok",
        })
    } else {
        HttpResponse::ServiceUnavailable().json(Readiness {
            status: "unavailable",
            database: "unreachable",
        })
    }
}
