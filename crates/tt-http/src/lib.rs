//! TimeTracker's web application on actix-web: the JSON API under
//! `/api/v1`, the server-rendered UI, authentication (sessions, API tokens,
//! CSRF, login rate limiting), health endpoints and middleware.
//!
//! This is the only crate that knows HTTP and JSON wire shapes: the domain
//! types never derive the API's serde shapes; the DTOs and the error →
//! status mapping live here. **Handlers are adapters**: they extract, call
//! one `tt_app` action, and render; they never reach the database (this
//! crate does not depend on `tt-persistence` or diesel). It names no
//! concrete process-level wiring (settings files, logging setup, Sentry):
//! that is `bins/timetracker`'s job.

mod api;
mod auth;
mod consent_state;
mod documents;
mod error;
pub mod export;
mod inputs;
mod observe;
mod routing;
mod session_store;
mod setup_gate;
mod state;
mod tracking;
mod transport;
mod web;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web as aweb};

pub use api::openapi::api_route_table;
pub use error::HttpError;
pub use observe::{
    ACTIVE_TIMERS, DB_POOL_CONNECTIONS_IDLE, DB_POOL_CONNECTIONS_IN_USE, DB_POOL_CONNECTIONS_MAX,
    HTTP_DURATION_BUCKETS, HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL, ObservabilityConfig,
    UNMATCHED_ROUTE, describe_metrics,
};
pub use state::{AppState, HttpSettings, PrivacyFacts, Readiness};
pub use transport::CookieSecure;
pub use web::{RouteDef, route_table};

/// Registers every route of the application on an actix `App`.
pub fn configure(cfg: &mut aweb::ServiceConfig) {
    cfg.configure(observe::configure)
        .configure(api::configure)
        .configure(web::configure);
}

/// When and how the server stops.
pub struct Stopping {
    /// Resolves when the server should stop accepting connections; `None`
    /// leaves it to [`actix_web::dev::ServerHandle::stop`] (and actix's own
    /// handling of SIGINT/SIGTERM).
    pub signal: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
    /// How long the requests in flight may take to finish once it stops.
    pub timeout: std::time::Duration,
}

impl std::fmt::Debug for Stopping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stopping")
            .field("signal", &self.signal.is_some())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Default for Stopping {
    fn default() -> Self {
        Self {
            signal: None,
            timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// Builds and starts the HTTP server on an already bound listener (so tests
/// can bind port 0 and read the port back).
pub fn serve(
    state: AppState,
    listener: std::net::TcpListener,
    workers: usize,
) -> std::io::Result<Server> {
    serve_until(state, listener, workers, Stopping::default())
}

/// [`serve`], stopping when `stopping.signal` resolves: the listener closes
/// at once (new connections are refused, so a load balancer tries another
/// replica) and the requests in flight get `stopping.timeout` to finish.
pub fn serve_until(
    state: AppState,
    listener: std::net::TcpListener,
    workers: usize,
    stopping: Stopping,
) -> std::io::Result<Server> {
    let data = aweb::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(actix_web::middleware::from_fn(tracking::page_views))
            .wrap(actix_web::middleware::from_fn(error::browser_errors))
            .wrap(actix_web::middleware::from_fn(setup_gate::setup_gate))
            .wrap(data.session_middleware())
            // Outside the session middleware: sees the cookie it sets.
            .wrap(actix_web::middleware::from_fn(transport::secure_cookies))
            .wrap(actix_web::middleware::from_fn(observe::observe))
            .wrap(observe::sentry_middleware(&data.observe))
            .configure(configure)
            .default_service(aweb::to(web::not_found))
    })
    .workers(workers.max(1))
    .shutdown_timeout(stopping.timeout.as_secs().max(1));
    let server = match stopping.signal {
        Some(signal) => server.shutdown_signal(signal),
        None => server,
    };
    Ok(server.listen(listener)?.run())
}
