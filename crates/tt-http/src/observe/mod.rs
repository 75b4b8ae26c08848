//! Operator observability at the HTTP edge: request ids, one access-log line
//! per request, request metrics, the `/metrics` endpoint, one trace span per
//! request (continuing the caller's `traceparent`) and the Sentry
//! middleware.
//!
//! What goes into a log line or a label is decided here, once: the route
//! *template* (never the raw path), the method, the status, the duration, the
//! internal user id — never bodies, query strings, headers, e-mails or, unless
//! the operator opts in, client addresses. The process-wide parts (the
//! `tracing` subscriber, the Prometheus recorder, the Sentry client) are
//! built by the composition root and handed in as [`ObservabilityConfig`].

mod endpoint;
mod middleware;

use std::sync::Arc;

use actix_web::{HttpMessage, HttpRequest, web};
use metrics_exporter_prometheus::PrometheusHandle;
use opentelemetry::propagation::TextMapPropagator;

pub(crate) use middleware::observe;

/// Requests answered, by `method`, `route` and `status`.
pub const HTTP_REQUESTS_TOTAL: &str = "tt_http_requests_total";
/// Request latency histogram, by `method` and `route`.
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "tt_http_request_duration_seconds";
/// Timers running right now (read from the database at scrape time).
pub const ACTIVE_TIMERS: &str = "tt_active_timers";
/// Database connections checked out of the pool.
pub const DB_POOL_CONNECTIONS_IN_USE: &str = "tt_db_pool_connections_in_use";
/// Database connections open and idle.
pub const DB_POOL_CONNECTIONS_IDLE: &str = "tt_db_pool_connections_idle";
/// The configured pool size.
pub const DB_POOL_CONNECTIONS_MAX: &str = "tt_db_pool_connections_max";
/// The one `route` label shared by every request that matched no route, so
/// that scanners cannot blow up the number of series.
pub const UNMATCHED_ROUTE: &str = "unmatched";
/// Upper bounds (seconds) of the latency histogram's buckets.
pub const HTTP_DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Registers the description (`# HELP`) of every metric this crate records.
/// Call once after installing the recorder.
pub fn describe_metrics() {
    metrics::describe_counter!(
        HTTP_REQUESTS_TOTAL,
        "HTTP requests answered, by method, route template and status code."
    );
    metrics::describe_histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "Time from receiving a request to having its response, by method and route template."
    );
    metrics::describe_gauge!(
        ACTIVE_TIMERS,
        "Timers running right now across all users (read from the database at scrape time)."
    );
    metrics::describe_gauge!(
        DB_POOL_CONNECTIONS_IN_USE,
        "Database connections checked out of the pool at scrape time."
    );
    metrics::describe_gauge!(
        DB_POOL_CONNECTIONS_IDLE,
        "Database connections open and idle in the pool at scrape time."
    );
    metrics::describe_gauge!(
        DB_POOL_CONNECTIONS_MAX,
        "The most database connections the pool will open."
    );
}

/// What the composition root hands the HTTP layer for observability. The
/// default observes nothing beyond the process-wide `tracing` subscriber.
#[derive(Clone, Default)]
pub struct ObservabilityConfig {
    /// Renders the process's Prometheus registry; `None` answers `/metrics`
    /// with 404.
    pub metrics: Option<PrometheusHandle>,
    /// Bearer token `/metrics` requires (`METRICS_TOKEN`); `None` leaves it
    /// open (bind to a private interface or filter at the proxy).
    pub metrics_token: Option<secrecy::SecretString>,
    /// Whether the access log records the client address (`LOG_CLIENT_IP`).
    pub log_client_ip: bool,
    /// The Sentry hub errors are reported to; `None` disables the Sentry
    /// middleware entirely.
    pub sentry_hub: Option<Arc<sentry::Hub>>,
    /// A subscriber scoped to this app's requests. `None` uses the
    /// process-wide default; embedding several apps in one process (the
    /// tests do) gives each its own, so each writes to its own log directory.
    pub log_dispatch: Option<tracing::Dispatch>,
    /// Reads the caller's trace context (`traceparent`) when the operator
    /// exports request spans; `None` when tracing is off. The subscriber must
    /// then carry a `tracing-opentelemetry` layer.
    pub trace_propagator: Option<Arc<dyn TextMapPropagator + Send + Sync>>,
}

impl std::fmt::Debug for ObservabilityConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObservabilityConfig")
            .field("metrics", &self.metrics.is_some())
            .field("metrics_token", &self.metrics_token)
            .field("log_client_ip", &self.log_client_ip)
            .field("sentry", &self.sentry_hub.is_some())
            .field("log_dispatch", &self.log_dispatch.is_some())
            .field("tracing", &self.trace_propagator.is_some())
            .finish()
    }
}

/// The internal id of the user a request was authenticated as, recorded by
/// the authentication extractors for the access log and Sentry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LoggedUser(pub i64);

/// Notes the authenticated user's internal id on the request.
pub(crate) fn note_user(req: &HttpRequest, id: i64) {
    req.extensions_mut().insert(LoggedUser(id));
}

/// The id of the current request (also in the `X-Request-ID` response
/// header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestId(pub String);

/// Registers `GET /metrics`.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    endpoint::configure(cfg);
}

/// The Sentry middleware, switched off when no hub was configured.
pub(crate) fn sentry_middleware(
    config: &ObservabilityConfig,
) -> actix_web::middleware::Condition<sentry_actix::Sentry> {
    let enabled = config.sentry_hub.is_some();
    let hub = config.sentry_hub.clone().unwrap_or_else(sentry::Hub::main);
    actix_web::middleware::Condition::new(
        enabled,
        sentry_actix::Sentry::builder()
            .with_hub(hub)
            .start_transaction(true)
            .capture_server_errors(true)
            .finish(),
    )
}
