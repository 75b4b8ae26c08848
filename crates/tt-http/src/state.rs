//! Shared application state.

use secrecy::{ExposeSecret, SecretSlice};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use tt_app::App;
use tt_domain::UserId;
use tt_events::Event;
use tt_installation::Installation;
use tt_telemetry::Telemetry;

use crate::error::HttpError;
use crate::session_store::DbSessionStore;

/// The HTTP-level settings the composition root passes in.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// At least 64 bytes of secret used to sign and encrypt session cookies.
    pub secret_key: SecretSlice<u8>,
    /// When session cookies carry the `Secure` flag.
    pub cookie_secure: crate::CookieSecure,
    /// How long a login session lasts.
    pub session_ttl: Duration,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from any
    /// other peer the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            secret_key: SecretSlice::from(Vec::new()),
            cookie_secure: crate::CookieSecure::Auto,
            session_ttl: Duration::from_secs(12 * 3600),
            max_body_bytes: 256 * 1024,
            trusted_proxies: Vec::new(),
        }
    }
}

/// What the privacy page and the consent API show about where data could go.
#[derive(Debug, Clone, Default)]
pub struct PrivacyFacts {
    /// Whether this is an official build (a telemetry endpoint was embedded
    /// at compile time).
    pub official_build: bool,
    /// Who receives what is sent (the endpoint's host, or the vendor of an
    /// official build), never the token.
    pub recipient: tt_telemetry::Recipient,
    /// Whether error reports go to a Sentry DSN.
    pub sentry_enabled: bool,
    /// The server's hostname, used only to compute the fingerprint shown to
    /// the admin (never displayed or logged itself).
    pub hostname: String,
}

/// Everything a request handler may need.
#[derive(Debug)]
pub struct AppState {
    pub(crate) app: App,
    pub(crate) settings: HttpSettings,
    pub(crate) installation: Arc<Installation>,
    pub(crate) privacy: PrivacyFacts,
    pub(crate) observe: crate::observe::ObservabilityConfig,
    pub(crate) readiness: Readiness,
}

/// Whether this server still wants new requests: cleared when it begins to
/// stop, so `/readyz` answers 503 and a load balancer sends traffic to the
/// other replicas while the requests in flight finish. Cheap to clone; every
/// clone sees the same flag.
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    draining: Arc<AtomicBool>,
}

impl Readiness {
    /// From now on `/readyz` answers 503 (`draining`). Never undone: a
    /// server that began to stop does not come back.
    pub fn begin_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether [`Readiness::begin_draining`] was called.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

impl AppState {
    /// Builds the state. `settings.secret_key` must hold at least 64 bytes.
    pub fn new(app: App, settings: HttpSettings, privacy: PrivacyFacts) -> Self {
        Self {
            installation: app.installation().clone(),
            app,
            settings,
            privacy,
            observe: crate::observe::ObservabilityConfig::default(),
            readiness: Readiness::default(),
        }
    }

    /// The flag `/readyz` reads; the process clears it when it begins to
    /// stop.
    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    /// Sets what the app reports to operators: metrics, Sentry, the log
    /// subscriber for its requests.
    #[must_use]
    pub fn with_observability(mut self, observe: crate::observe::ObservabilityConfig) -> Self {
        self.observe = observe;
        self
    }

    /// Attaches the telemetry sink; without one, tracked events go nowhere.
    #[must_use]
    pub fn with_telemetry(mut self, telemetry: Telemetry) -> Self {
        self.app = self.app.with_telemetry(telemetry);
        self
    }

    /// The telemetry sink, if attached.
    pub fn telemetry(&self) -> Option<&Telemetry> {
        self.app.telemetry()
    }

    /// The application layer.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Tracks an event of the HTTP layer itself (page views): a consent
    /// check and an enqueue, never blocking and never failing the request.
    pub(crate) fn track(&self, event: Event, user: Option<UserId>) {
        self.app.track(event, user);
    }

    /// The installation store (identity, setup state, consent).
    pub fn installation(&self) -> &Arc<Installation> {
        &self.installation
    }

    pub(crate) fn session_middleware(&self) -> SessionMiddleware<DbSessionStore> {
        let key = Key::derive_from(self.settings.secret_key.expose_secret());
        let ttl = CookieDuration::seconds(
            i64::try_from(self.settings.session_ttl.as_secs()).unwrap_or(12 * 3600),
        );
        SessionMiddleware::builder(
            DbSessionStore::new(self.app.clone(), self.settings.session_ttl),
            key,
        )
        .cookie_name("tt_session".to_owned())
        // Under `auto`, `transport::secure_cookies` adds `Secure` on HTTPS.
        .cookie_secure(self.settings.cookie_secure == crate::CookieSecure::Always)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(PersistentSession::default().session_ttl(ttl))
        .build()
    }

    /// Runs an action of the application layer that only reads, and only a
    /// few rows. On SQLite it runs right here on the worker thread: it is a
    /// few library calls on this thread's own read-only connection (see
    /// `tt_persistence::Pool::read`), cheaper than handing it to another
    /// thread, and a write slipped into it fails. On PostgreSQL, where each
    /// query waits for the network, it goes to the blocking pool like
    /// [`AppState::run`].
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, HttpError>
    where
        F: FnOnce(&App) -> tt_app::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.app.reads_are_local() {
            return f(&self.app).map_err(HttpError::from);
        }
        self.run(f).await
    }

    /// Runs an action of the application layer on actix's blocking pool.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, HttpError>
    where
        F: FnOnce(&App) -> tt_app::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let app = self.app.clone();
        actix_web::web::block(move || f(&app))
            .await
            .map_err(|_| HttpError::internal("blocking task failed"))?
            .map_err(HttpError::from)
    }
}
