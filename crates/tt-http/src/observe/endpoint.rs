//! `GET /metrics`: the Prometheus text exposition of the process's registry,
//! with the gauges that are cheapest to read at scrape time refreshed first.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::{
    ACTIVE_TIMERS, DB_POOL_CONNECTIONS_IDLE, DB_POOL_CONNECTIONS_IN_USE, DB_POOL_CONNECTIONS_MAX,
};
use secrecy::ExposeSecret;

use crate::auth::{bearer_token, same_secret};
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let config = &state.observe;
    if let Some(expected) = &config.metrics_token {
        let presented = bearer_token(&req);
        if !presented.is_some_and(|t| same_secret(&t, expected.expose_secret())) {
            return HttpResponse::Unauthorized()
                .insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"metrics\""),
                ))
                .body("a bearer token is required for /metrics\n");
        }
    }
    let Some(handle) = config.metrics.clone() else {
        return HttpResponse::NotFound().body("metrics are not enabled in this process\n");
    };
    refresh_gauges(&state).await;
    handle.run_upkeep();
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        ))
        .body(handle.render())
}

async fn refresh_gauges(state: &AppState) {
    let pool = state.app.pool().state();
    metrics::gauge!(DB_POOL_CONNECTIONS_IN_USE)
        .set(f64::from(pool.connections.saturating_sub(pool.idle)));
    metrics::gauge!(DB_POOL_CONNECTIONS_IDLE).set(f64::from(pool.idle));
    metrics::gauge!(DB_POOL_CONNECTIONS_MAX).set(f64::from(pool.max));
    if let Some(telemetry) = state.telemetry() {
        telemetry.publish_metrics();
    }
    match state.run(tt_app::timer::count_running).await {
        // Counts fit an f64 exactly far beyond any real number of timers.
        #[allow(clippy::cast_precision_loss)]
        Ok(n) => metrics::gauge!(ACTIVE_TIMERS).set(n as f64),
        // The gauge keeps its last value; the failure is in the log and in
        // `/readyz`.
        Err(e) => tracing::warn!(error = %e, "cannot count running timers for /metrics"),
    }
}
