//! Shared application state.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tt_app::App;
use tt_domain::UserId;
use tt_installation::Installation;
use tt_telemetry::{Event, Telemetry};

use crate::error::HttpError;
use crate::session_store::DbSessionStore;

/// The HTTP-level settings the composition root passes in.
#[derive(Clone)]
pub struct HttpSettings {
    /// At least 64 bytes of secret used to sign and encrypt session cookies.
    pub secret_key: Vec<u8>,
    /// When session cookies carry the `Secure` flag.
    pub cookie_secure: crate::CookieSecure,
    /// How long a login session lasts.
    pub session_ttl: Duration,
    /// Login attempts allowed per username and client address in
    /// `login_window` (a hundred times as many per address) before further
    /// attempts are refused.
    pub login_max_failures: u32,
    /// The window for `login_max_failures`.
    pub login_window: Duration,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from any
    /// other peer the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("secret_key", &"***")
            .field("cookie_secure", &self.cookie_secure)
            .field("session_ttl", &self.session_ttl)
            .field("login_max_failures", &self.login_max_failures)
            .field("login_window", &self.login_window)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            secret_key: Vec::new(),
            cookie_secure: crate::CookieSecure::Auto,
            session_ttl: Duration::from_secs(12 * 3600),
            login_max_failures: 10,
            login_window: Duration::from_secs(15 * 60),
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
    pub(crate) login_limiter: LoginLimiter,
    pub(crate) installation: Arc<Installation>,
    pub(crate) privacy: PrivacyFacts,
    pub(crate) observe: crate::observe::ObservabilityConfig,
}

impl AppState {
    /// Builds the state. `settings.secret_key` must hold at least 64 bytes.
    pub fn new(app: App, settings: HttpSettings, privacy: PrivacyFacts) -> Self {
        let login_limiter = LoginLimiter::new(settings.login_max_failures, settings.login_window);
        Self {
            installation: app.installation().clone(),
            app,
            settings,
            login_limiter,
            privacy,
            observe: crate::observe::ObservabilityConfig::default(),
        }
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
        let key = Key::derive_from(&self.settings.secret_key);
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

/// Login throttling, on governor's keyed rate limiters (GCRA: a sliding
/// allowance, not fixed windows). Every attempt is counted **before** the
/// password is checked, atomically, so parallel guesses cannot slip past
/// the limit. Two limits apply:
///
/// - per username **and** source address: `max_attempts` per window, so
///   guessing one account is slow, while failures from one address never
///   lock that user out from another;
/// - per source address: a hundred times that (an office behind one NAT
///   address signs in together), so one address cannot spray usernames.
///
/// Memory stays bounded: keys whose allowance has fully recovered are
/// dropped every few thousand attempts.
#[derive(Debug)]
pub(crate) struct LoginLimiter {
    per_account: DefaultKeyedRateLimiter<(String, IpAddr)>,
    per_source: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    attempts: AtomicU64,
}

impl LoginLimiter {
    fn new(max_attempts: u32, window: Duration) -> Self {
        let quota = |burst: u32| {
            let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
            let period = (window / burst.get()).max(Duration::from_millis(1));
            Quota::with_period(period)
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(burst)
        };
        Self {
            per_account: RateLimiter::keyed(quota(max_attempts)),
            per_source: RateLimiter::keyed(quota(max_attempts.saturating_mul(100))),
            clock: DefaultClock::default(),
            attempts: AtomicU64::new(0),
        }
    }

    /// Counts one attempt to sign in as `username` from `source`;
    /// `Err(retry_after)` when it is over a limit.
    pub(crate) fn attempt(&self, username: &str, source: IpAddr) -> Result<(), Duration> {
        if self.attempts.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.per_account.retain_recent();
            self.per_account.shrink_to_fit();
            self.per_source.retain_recent();
            self.per_source.shrink_to_fit();
        }
        let wait = |n: governor::NotUntil<_>| n.wait_time_from(self.clock.now());
        self.per_source.check_key(&source).map_err(wait)?;
        let account = (username.trim().to_ascii_lowercase(), source);
        self.per_account.check_key(&account).map_err(wait)?;
        Ok(())
    }
}
