//! One `Settings` struct: built-in defaults < `config/*.toml` < environment.

use std::collections::BTreeMap;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// One declaration per setting — its doc (the operator's reference), its
/// key (the field, and the key in `config/*.toml`), its type, its default,
/// its environment variable, and whether it is secret — from which come the
/// [`Settings`] struct, its defaults, [`SETTINGS`] (what the loader reads
/// from the environment, what `config docs` prints) and the redaction of
/// `config show`. A secret is a [`SecretString`]: never printed by `Debug`,
/// written as `***` by `config show`; a field marked `secret` that is not
/// one, or a `SecretString` not marked, does not compile.
macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])+
        $(#[serde($($serde:tt)*)])?
        $key:ident: $ty:ty = $default:expr, $env:literal $(, $secret:ident)?;
    )+) => {
        /// Every setting of the server (see [`SETTINGS`] for what each means).
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct Settings {
            $(
                $(#[doc = $doc])+
                $(#[serde($($serde)*)])?
                $( #[cfg_attr(any(), $secret)] #[serde(serialize_with = "redacted")] )?
                pub $key: $ty,
            )+
        }

        impl Default for Settings {
            fn default() -> Self {
                Settings { $( $key: $default, )+ }
            }
        }

        /// Every setting, in documentation order.
        pub const SETTINGS: &[Setting] = &[$(
            Setting {
                key: stringify!($key),
                env: $env,
                description: concat!($($doc),+),
                secret: false $( || matches!(Marker::$secret, Marker::secret) )?,
            }
        ),+];
    };
}

/// The one marker a setting may carry after its variable: `secret`
/// (any other word does not compile).
#[allow(non_camel_case_types)]
enum Marker {
    secret,
}

/// What [`SETTINGS`] says of one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The field of [`Settings`] and the key in `config/*.toml`.
    pub key: &'static str,
    /// The environment variable.
    pub env: &'static str,
    /// What it means, for operators.
    pub description: &'static str,
    /// Whether `config show` redacts it.
    pub secret: bool,
}

/// `config show` writes a secret as `***` (an unset one as nothing).
fn redacted<T: Redact, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    match value.is_set() {
        Some(true) => s.serialize_str("***"),
        Some(false) => s.serialize_str(""),
        None => s.serialize_none(),
    }
}

/// The secret types a setting may have.
trait Redact {
    /// `Some(true)`: a value; `Some(false)`: empty; `None`: unset.
    fn is_set(&self) -> Option<bool>;
}

impl Redact for SecretString {
    fn is_set(&self) -> Option<bool> {
        Some(!self.expose_secret().is_empty())
    }
}

impl Redact for Option<SecretString> {
    fn is_set(&self) -> Option<bool> {
        self.as_ref().and_then(Redact::is_set)
    }
}

settings! {
    /// `postgres://…` for PostgreSQL, otherwise a SQLite file (`sqlite://`
    /// prefix optional). Default: `<data_dir>/timetracker.db`.
    database_url: Option<String> = None, "DATABASE_URL";

    /// Address to listen on; `0.0.0.0` for all interfaces.
    bind_addr: String = "127.0.0.1".into(), "BIND_ADDR";

    /// Port to listen on; `0` picks a free one.
    port: u16 = 8080, "PORT";

    /// Database, secret key and `installation.json`.
    data_dir: PathBuf = PathBuf::from("data"), "DATA_DIR";

    /// Directory of `app.jsonl` and its daily rotations.
    log_dir: PathBuf = PathBuf::from("logs"), "LOG_DIR";

    /// Signs and encrypts session cookies (at least 64 characters). Generated
    /// once into `<data_dir>/secret_key` when unset. Replicas must share it.
    secret_key: SecretString = SecretString::default(), "SECRET_KEY", secret;

    /// When session cookies are marked `Secure`: `auto` when the request came
    /// over HTTPS (directly, or through a proxy in `TRUSTED_PROXIES` that
    /// says so in `X-Forwarded-Proto` or `Forwarded`); `true` always (HTTPS
    /// only; browsers make an exception for `http://localhost`, and a
    /// plain-HTTP login page says why it cannot work); `false` never.
    /// `Strict-Transport-Security` is sent with `Secure` cookies.
    #[serde(deserialize_with = "bool_or_text")]
    cookie_secure: String = "auto".into(), "COOKIE_SECURE";

    /// Lifetime of a browser login session.
    session_ttl_hours: u64 = 12, "SESSION_TTL_HOURS";

    /// Login attempts per username and client address within the window (a
    /// hundred times as many per address) before `429` with `Retry-After`.
    /// Counted before the password is checked, in the database, so replicas
    /// share the count; failures from one address never lock the user out
    /// from another.
    login_max_failures: u32 = 10, "LOGIN_MAX_FAILURES";

    /// The window of the login limits (a sliding allowance).
    login_window_minutes: u64 = 15, "LOGIN_WINDOW_MINUTES";

    /// Reverse proxies whose `X-Forwarded-For` names the client, as addresses
    /// or networks (`127.0.0.1,10.0.0.0/8`). Empty: the TCP peer is the
    /// client and the header is ignored.
    trusted_proxies: String = String::new(), "TRUSTED_PROXIES";

    /// Maximum database connections per server process.
    db_pool_size: u32 = 8, "DB_POOL_SIZE";

    /// HTTP worker threads; `0` means one per CPU.
    workers: usize = 0, "WORKERS";

    /// On SIGTERM or SIGINT: seconds during which `/readyz` already answers
    /// `503` while new connections are still served, so a load balancer that
    /// polls `/readyz` stops sending traffic first. Set it above the
    /// balancer's check interval (Kubernetes, Traefik, HAProxy); `0` closes
    /// the listener at once (nginx, which retries refused connections on
    /// another replica).
    shutdown_drain_seconds: u64 = 0, "SHUTDOWN_DRAIN_SECONDS";

    /// Once the listener is closed: seconds the requests in flight get to
    /// finish. Then queued telemetry is sent (at most 5 s more) and the logs
    /// are flushed; the process exits 0. Give the orchestrator's stop grace
    /// period more than drain + timeout + 10 s.
    shutdown_timeout_seconds: u64 = 10, "SHUTDOWN_TIMEOUT_SECONDS";

    /// Log filter, e.g. `info` or `tt_http=debug,info`.
    log_level: String = "info".into(), "LOG_LEVEL";

    /// Directory of `installation.json` (identity and consent). Default:
    /// `data_dir`. On PostgreSQL the database holds the shared copy and this
    /// file only seeds it.
    installation_config_dir: Option<PathBuf> = None, "INSTALLATION_CONFIG_DIR";

    /// How often a replica re-reads the shared installation state.
    installation_refresh_seconds: u64 = 5, "INSTALLATION_REFRESH_SECONDS";

    /// `1` switches all telemetry off; no UI can turn it back on.
    do_not_track: Option<String> = None, "DO_NOT_TRACK";

    /// `false` switches all telemetry off; `true` gives base (heartbeat)
    /// consent for unattended installs. Detailed analytics always need an
    /// administrator's opt-in.
    enable_telemetry: Option<String> = None, "ENABLE_TELEMETRY";

    /// OTLP/HTTP endpoint of the telemetry sink (`/v1/logs` is appended when
    /// the path is missing). Empty disables an endpoint embedded in an
    /// official build.
    grafana_otlp_endpoint: Option<String> = None, "GRAFANA_OTLP_ENDPOINT";

    /// Token for the sink: `instance:token` (Grafana Cloud, sent as Basic) or
    /// a bearer token.
    grafana_otlp_token: Option<SecretString> = None, "GRAFANA_OTLP_TOKEN", secret;

    /// `http/protobuf` (default) or `http/json`.
    grafana_otlp_protocol: Option<String> = None, "GRAFANA_OTLP_PROTOCOL";

    /// Write telemetry payloads to the log instead of sending them.
    telemetry_debug: bool = false, "TELEMETRY_DEBUG";

    /// Interval of the base heartbeat, e.g. `24h` (default), `90m`, or
    /// seconds (at least 60). However many replicas run, and however often
    /// they restart, the installation sends one heartbeat per interval: each
    /// one is claimed in the shared database first.
    telemetry_heartbeat_interval: Option<String> = None, "TELEMETRY_HEARTBEAT_INTERVAL";

    /// **For tests only.** Accept heartbeat intervals down to one second, so
    /// a test can watch several intervals pass. Never set it in production.
    telemetry_test_short_intervals: bool = false, "TELEMETRY_TEST_SHORT_INTERVALS";

    /// Sentry DSN for error reports. Empty disables a DSN embedded in an
    /// official build (which is used only while detailed consent holds).
    sentry_dsn: Option<SecretString> = None, "SENTRY_DSN", secret;

    /// Share of requests traced to Sentry, 0.0–1.0.
    sentry_traces_rate: f64 = 0.1, "SENTRY_TRACES_RATE";

    /// Sentry environment name (default `production`).
    sentry_environment: Option<String> = None, "SENTRY_ENVIRONMENT";

    /// Console log format: `text`, `json` or `off`. The JSON file log is
    /// always written.
    log_format: String = "text".into(), "LOG_FORMAT";

    /// Daily log files kept in `log_dir`; `0` keeps all.
    log_retention_files: usize = 30, "LOG_RETENTION_FILES";

    /// Include the client address in access-log lines (off: addresses are
    /// personal data).
    log_client_ip: bool = false, "LOG_CLIENT_IP";

    /// Bearer token required by `GET /metrics`; unset leaves it open.
    metrics_token: Option<SecretString> = None, "METRICS_TOKEN", secret;

    /// Count requests and serve `GET /metrics`. `false` records nothing and
    /// answers `/metrics` with 404.
    metrics_enabled: bool = true, "METRICS_ENABLED";

    /// Your own OpenTelemetry collector (OTLP/HTTP base URL, e.g.
    /// `http://collector:4318`): one span per request goes to
    /// `<endpoint>/v1/traces`, incoming `traceparent` headers are honoured
    /// and log lines carry the `trace_id`. Unset: no tracing. The product
    /// telemetry sink never reads any `OTEL_*` variable. The exporter also
    /// honours the standard `OTEL_EXPORTER_OTLP_HEADERS`,
    /// `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_TRACES_SAMPLER` and
    /// `OTEL_TRACES_SAMPLER_ARG` variables.
    otel_exporter_otlp_endpoint: Option<String> = None, "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// Full URL for spans; overrides `otel_exporter_otlp_endpoint`.
    otel_exporter_otlp_traces_endpoint: Option<String> = None, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

    /// `service.name` of the exported spans.
    otel_service_name: String = "timetracker".into(), "OTEL_SERVICE_NAME";

    /// IANA time zone (e.g. `Europe/Berlin`, `America/New_York`) in which
    /// users who have not chosen their own on their profile type and read
    /// times; "today", weeks and report days follow it. Storage is always
    /// UTC.
    default_time_zone: String = "UTC".into(), "DEFAULT_TIME_ZONE";

    /// First day of the week (`monday`, `sunday` or `saturday`) for users who
    /// have not chosen their own: "this week" on the dashboard and weekly
    /// totals.
    week_start: String = "monday".into(), "WEEK_START";
}

/// Values an official build embeds at compile time; empty in self-hosted
/// builds.
pub mod embedded {
    /// The official telemetry endpoint, if embedded.
    pub const OTLP_ENDPOINT: Option<&str> = option_env!("TT_EMBEDDED_OTLP_ENDPOINT");
    /// The official telemetry token, if embedded.
    pub const OTLP_TOKEN: Option<&str> = option_env!("TT_EMBEDDED_OTLP_TOKEN");
    /// The official Sentry DSN, if embedded.
    pub const SENTRY_DSN: Option<&str> = option_env!("TT_EMBEDDED_SENTRY_DSN");
    /// Who operates the embedded telemetry endpoint (named to users as the
    /// recipient of what is sent).
    pub const TELEMETRY_VENDOR: Option<&str> = option_env!("TT_EMBEDDED_TELEMETRY_VENDOR");
    /// How many days that vendor keeps what it receives.
    pub const TELEMETRY_RETENTION_DAYS: Option<&str> =
        option_env!("TT_EMBEDDED_TELEMETRY_RETENTION_DAYS");
}

/// A setting that was a boolean and became a word (`cookie_secure = false`
/// in an older file still reads).
fn bool_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Either {
        Flag(bool),
        Text(String),
    }
    Ok(match <Either as serde::Deserialize>::deserialize(d)? {
        Either::Flag(b) => b.to_string(),
        Either::Text(t) => t,
    })
}

/// Environment > embedded > none; a setting present but empty disables the
/// embedded value.
pub(crate) fn layered(set: Option<&str>, embedded: Option<&'static str>) -> Option<String> {
    match set {
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(v.trim().to_owned()),
        None => embedded.filter(|e| !e.trim().is_empty()).map(str::to_owned),
    }
}

impl Settings {
    /// Loads settings: defaults, then every `*.toml` in `config_dir` in name
    /// order, then the environment (`env` is passed in so tests control it).
    pub fn load(config_dir: &Path, env: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        let mut table = toml::Table::try_from(Settings::default())?;
        if config_dir.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(config_dir)
                .with_context(|| format!("cannot read config directory {}", config_dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for file in files {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let layer: toml::Table = text
                    .parse()
                    .with_context(|| format!("{} is not valid TOML", file.display()))?;
                for (k, v) in layer {
                    table.insert(k, v);
                }
            }
        }
        for Setting { env: var, key, .. } in SETTINGS {
            let Some(raw) = env.get(*var) else { continue };
            let value = match table.get(*key) {
                Some(toml::Value::Integer(_)) => toml::Value::Integer(
                    raw.trim()
                        .parse()
                        .with_context(|| format!("{var}={raw:?} is not a number"))?,
                ),
                Some(toml::Value::Boolean(_)) => toml::Value::Boolean(parse_bool(var, raw)?),
                Some(toml::Value::Float(_)) => toml::Value::Float(
                    raw.trim()
                        .parse()
                        .with_context(|| format!("{var}={raw:?} is not a number"))?,
                ),
                _ => toml::Value::String(raw.clone()),
            };
            table.insert((*key).to_owned(), value);
        }
        let settings: Settings = table.try_into().context("invalid settings")?;
        settings.validate()?;
        Ok(settings)
    }

    /// Loads from the process environment and `CONFIG_DIR` (default `config`).
    pub fn from_process_env() -> anyhow::Result<Self> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        let dir = env
            .get("CONFIG_DIR")
            .cloned()
            .unwrap_or_else(|| "config".into());
        Self::load(Path::new(&dir), &env)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.db_pool_size == 0 {
            bail!("db_pool_size must be at least 1");
        }
        if !self.secret_key.expose_secret().is_empty() && self.secret_key.expose_secret().len() < 64
        {
            bail!("SECRET_KEY must be at least 64 characters (or unset, to generate one)");
        }
        if !(0.0..=1.0).contains(&self.sentry_traces_rate) {
            bail!("SENTRY_TRACES_RATE must be between 0.0 and 1.0");
        }
        if let Some(url) = self.otel_traces_url()
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL");
        }
        if !matches!(self.log_format.as_str(), "text" | "json" | "off") {
            bail!("LOG_FORMAT must be text, json or off");
        }
        self.calendar()?;
        self.cookie_secure()?;
        // Parsed for real at start-up; refused here too, so `config show`
        // never prints settings `serve` would refuse.
        self.trusted_proxy_networks()?;
        crate::telemetry::telemetry_config(self)?;
        Ok(())
    }

    /// The login throttle: `LOGIN_MAX_FAILURES` per username and address
    /// in `LOGIN_WINDOW_MINUTES`, a hundred times as many per address.
    pub fn login_limits(&self) -> tt_domain::LoginLimits {
        tt_domain::LoginLimits::new(
            self.login_max_failures,
            Duration::from_secs(self.login_window_minutes.saturating_mul(60)),
        )
    }

    /// The `COOKIE_SECURE` policy.
    pub fn cookie_secure(&self) -> anyhow::Result<tt_http::CookieSecure> {
        self.cookie_secure
            .parse()
            .map_err(|e| anyhow::anyhow!("COOKIE_SECURE: {e}"))
    }

    /// The installation's default time zone and week start.
    pub fn calendar(&self) -> anyhow::Result<tt_domain::Calendar> {
        let zone = tt_domain::Zone::parse(&self.default_time_zone)
            .map_err(|e| anyhow::anyhow!("DEFAULT_TIME_ZONE={:?}: {e}", self.default_time_zone))?;
        let week = tt_domain::WeekStart::parse(&self.week_start)
            .map_err(|e| anyhow::anyhow!("WEEK_START={:?}: {e}", self.week_start))?;
        Ok(tt_domain::Calendar::new(zone, week))
    }

    /// Where request spans go, if operator tracing is on: the traces
    /// endpoint as given, else `<endpoint>/v1/traces`.
    pub fn otel_traces_url(&self) -> Option<String> {
        let set = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        set(&self.otel_exporter_otlp_traces_endpoint).or_else(|| {
            set(&self.otel_exporter_otlp_endpoint)
                .map(|base| format!("{}/v1/traces", base.trim_end_matches('/')))
        })
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => format!(
                "sqlite://{}",
                self.data_dir.join("timetracker.db").display()
            ),
        }
    }

    /// The database URL with any password replaced by `***`.
    /// The trusted reverse proxies, parsed: a bare address is a network
    /// of one.
    pub fn trusted_proxy_networks(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "TRUSTED_PROXIES: {s:?} is neither an IP address nor a network like 10.0.0.0/8"
                        )
                    })
            })
            .collect()
    }

    pub fn database_url_redacted(&self) -> String {
        redact_url(&self.database_url())
    }

    /// Whether this binary is an official build (an endpoint was embedded).
    pub fn official_build() -> bool {
        embedded::OTLP_ENDPOINT.is_some_and(|e| !e.trim().is_empty())
    }

    /// The Sentry DSN in effect, and whether it is the embedded one.
    pub fn sentry_dsn(&self) -> Option<(SecretString, bool)> {
        let from_env = self.sentry_dsn.as_ref().map(ExposeSecret::expose_secret);
        let embedded_used = from_env.is_none();
        layered(from_env, embedded::SENTRY_DSN).map(|d| (SecretString::from(d), embedded_used))
    }

    /// The deployer's telemetry switches: `DO_NOT_TRACK` (`1`, `true`,
    /// `yes`, `on`) switches everything off and wins over `ENABLE_TELEMETRY`,
    /// whose `false` (`0`, `no`, `off`) switches everything off and whose
    /// `true` gives base consent. Values are trimmed and compared
    /// case-insensitively; anything else counts as unset.
    pub fn deployer_policy(&self) -> tt_consent::DeployerPolicy {
        use tt_consent::{DeployerPolicy, DeployerSwitch};
        let word = |v: &Option<String>| v.as_deref().map(|v| v.trim().to_ascii_lowercase());
        let yes = |v: &str| matches!(v, "1" | "true" | "yes" | "on");
        let no = |v: &str| matches!(v, "0" | "false" | "no" | "off");
        match (word(&self.do_not_track), word(&self.enable_telemetry)) {
            (Some(d), _) if yes(&d) => {
                DeployerPolicy::Disabled(DeployerSwitch::new("DO_NOT_TRACK=1"))
            }
            (_, Some(e)) if no(&e) => {
                DeployerPolicy::Disabled(DeployerSwitch::new("ENABLE_TELEMETRY=false"))
            }
            (_, Some(e)) if yes(&e) => {
                DeployerPolicy::BaseGranted(DeployerSwitch::new("ENABLE_TELEMETRY=true"))
            }
            _ => DeployerPolicy::Unset,
        }
    }

    /// Where `installation.json` lives.
    pub fn installation_dir(&self) -> PathBuf {
        self.installation_config_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.clone())
    }

    /// The session lifetime.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl_hours.max(1) * 3600)
    }

    /// The effective settings as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> anyhow::Result<String> {
        let mut shown = self.clone();
        shown.database_url = Some(self.database_url_redacted());
        Ok(toml::to_string(&shown)?)
    }
}

fn parse_bool(var: &str, raw: &str) -> anyhow::Result<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{var}={raw:?} is not a boolean (use true or false)"),
    }
}

/// Returns the session secret: `SECRET_KEY` if set, else the one stored in
/// `<data_dir>/secret_key`, generated (random, 64 bytes hex) on first use.
pub fn load_or_create_secret(settings: &Settings) -> anyhow::Result<secrecy::SecretSlice<u8>> {
    if !settings.secret_key.expose_secret().is_empty() {
        return Ok(settings
            .secret_key
            .expose_secret()
            .as_bytes()
            .to_vec()
            .into());
    }
    let path = settings.data_dir.join("secret_key");
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 64 => return Ok(s.trim().as_bytes().to_vec().into()),
        Ok(_) => bail!(
            "{} is too short to be a secret key; delete it to generate a new one \
             (this logs everybody out)",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let mut bytes = [0u8; 64];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| anyhow::anyhow!("system random number generator failed"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    crate::private_fs::create_dir(&settings.data_dir).with_context(|| {
        format!(
            "cannot create data directory {}",
            settings.data_dir.display()
        )
    })?;
    write_private(&path, hex.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(hex.into_bytes().into())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// A URL as it may be shown: the password of its user part and the value
/// of every query parameter that names a secret (`password`, `sslpassword`,
/// `token`, `secret`, `key`, any case) replaced by `***`. Text that is not
/// a URL (a plain SQLite path) is shown as it is.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return raw.to_owned();
    };
    if url.cannot_be_a_base() || url.scheme() == "sqlite" || url.scheme() == "file" {
        return raw.to_owned();
    }
    let secret = |k: &str| {
        let k = k.to_ascii_lowercase();
        ["password", "passwd", "pwd", "token", "secret", "key"]
            .iter()
            .any(|s| k.contains(s))
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret(&k) {
                    "***".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // The serializer percent-encodes `*`; show the placeholder plainly.
    url.to_string().replace("%2A%2A%2A", "***")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("10-a.toml"),
            "port = 9000\nlog_level = \"debug\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("20-b.toml"), "port = 9100\n").unwrap();
        let s = Settings::load(dir.path(), &env(&[])).unwrap();
        assert_eq!(s.port, 9100);
        assert_eq!(s.log_level, "debug");
        let s = Settings::load(
            dir.path(),
            &env(&[("PORT", "9200"), ("COOKIE_SECURE", "false")]),
        )
        .unwrap();
        assert_eq!(s.port, 9200);
        assert_eq!(s.cookie_secure().ok(), Some(tt_http::CookieSecure::Never));
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let err = Settings::load(dir.path(), &env(&[("PORT", "eighty")])).unwrap_err();
        assert!(format!("{err:#}").contains("PORT"));
        std::fs::write(dir.path().join("x.toml"), "nonsense = 1\n").unwrap();
        assert!(Settings::load(dir.path(), &env(&[])).is_err());
        let err = Settings::load(
            tempfile::tempdir().unwrap().path(),
            &env(&[("SECRET_KEY", "short")]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("SECRET_KEY"));
        // What only start-up used to parse is refused when loading, so
        // `config show` and `serve` agree.
        for (var, value) in [
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("GRAFANA_OTLP_PROTOCOL", "grpc"),
            ("TELEMETRY_HEARTBEAT_INTERVAL", "5s"),
            ("GRAFANA_OTLP_ENDPOINT", "localhost:4318"),
            ("WEEK_START", "friday"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let err = Settings::load(dir.path(), &env(&[(var, value)])).unwrap_err();
            assert!(format!("{err:#}").contains(var), "{var}={value}: {err:#}");
        }
    }

    #[test]
    fn every_credential_in_a_url_is_redacted() {
        let cases = [
            (
                "postgres://tt:hunter2@db:5432/tt",
                "postgres://tt:***@db:5432/tt",
            ),
            (
                "postgres://db/tt?user=tt&password=hunter2&sslmode=require",
                "postgres://db/tt?user=tt&password=***&sslmode=require",
            ),
            (
                "postgresql://db/tt?PASSWORD=hunter2",
                "postgresql://db/tt?PASSWORD=***",
            ),
            (
                "postgres://db/tt?sslpassword=hunter2",
                "postgres://db/tt?sslpassword=***",
            ),
            (
                "sqlite://data/timetracker.db",
                "sqlite://data/timetracker.db",
            ),
            ("data/timetracker.db", "data/timetracker.db"),
        ];
        for (raw, shown) in cases {
            assert_eq!(redact_url(raw), shown, "{raw}");
        }
    }

    #[test]
    fn secrets_are_redacted() {
        let s = Settings {
            secret_key: SecretString::from("k".repeat(64)),
            database_url: Some("postgres://tt:hunter2@db:5432/tt".into()),
            ..Settings::default()
        };
        let shown = s.to_redacted_toml().unwrap();
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains(&"k".repeat(64)));
        assert!(shown.contains("postgres://tt:***@db:5432/tt"));
        assert!(!format!("{s:?}").contains(&"k".repeat(64)));
    }

    /// Every setting declared secret, set from the environment, is shown as
    /// `***` and never in clear, by `config show` and by `Debug`.
    #[test]
    fn every_declared_secret_is_redacted_everywhere() {
        let dir = tempfile::tempdir().unwrap();
        let canary = "c".repeat(64);
        let secrets: Vec<(&str, &str)> = SETTINGS
            .iter()
            .filter(|s| s.secret)
            .map(|s| (s.env, canary.as_str()))
            .collect();
        assert_eq!(secrets.len(), 4);
        let s = Settings::load(dir.path(), &env(&secrets)).unwrap();
        let shown = s.to_redacted_toml().unwrap();
        assert!(!shown.contains(&canary), "{shown}");
        assert!(!format!("{s:?}").contains(&canary));
        for setting in SETTINGS.iter().filter(|s| s.secret) {
            assert!(
                shown.contains(&format!("{} = \"***\"", setting.key)),
                "{}: {shown}",
                setting.key
            );
        }
    }

    #[test]
    fn embedded_values_yield_to_the_environment() {
        assert_eq!(
            layered(None, Some("https://official")),
            Some("https://official".into())
        );
        assert_eq!(layered(Some(""), Some("https://official")), None);
        assert_eq!(
            layered(Some(" https://mine "), Some("https://official")),
            Some("https://mine".into())
        );
        assert_eq!(layered(None, None), None);
        assert_eq!(layered(None, Some("")), None);
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::load(
            dir.path(),
            &env(&[("GRAFANA_OTLP_ENDPOINT", "http://127.0.0.1:4318")]),
        )
        .unwrap();
        let config = crate::telemetry::telemetry_config(&s).unwrap();
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:4318"));
        let s = Settings::load(dir.path(), &env(&[("GRAFANA_OTLP_ENDPOINT", "")])).unwrap();
        assert!(
            !crate::telemetry::telemetry_config(&s)
                .unwrap()
                .sink_configured()
        );
        let s = Settings::load(dir.path(), &env(&[("DO_NOT_TRACK", "1")])).unwrap();
        assert!(s.deployer_policy().is_disabled());
    }

    #[test]
    fn deployer_switches_are_read_strictly() {
        use tt_consent::{DeployerPolicy as P, DeployerSwitch as S};
        let dir = tempfile::tempdir().unwrap();
        let policy = |pairs: &[(&str, &str)]| {
            Settings::load(dir.path(), &env(pairs))
                .unwrap()
                .deployer_policy()
        };
        let cases: [(&[(&str, &str)], P); 7] = [
            (&[], P::Unset),
            (
                &[("DO_NOT_TRACK", "1"), ("ENABLE_TELEMETRY", "true")],
                P::Disabled(S::new("DO_NOT_TRACK=1")),
            ),
            (
                &[("DO_NOT_TRACK", "0"), ("ENABLE_TELEMETRY", "true")],
                P::BaseGranted(S::new("ENABLE_TELEMETRY=true")),
            ),
            (
                &[("DO_NOT_TRACK", ""), ("ENABLE_TELEMETRY", " FALSE ")],
                P::Disabled(S::new("ENABLE_TELEMETRY=false")),
            ),
            (
                &[("DO_NOT_TRACK", " Yes ")],
                P::Disabled(S::new("DO_NOT_TRACK=1")),
            ),
            (&[("ENABLE_TELEMETRY", "maybe")], P::Unset),
            (&[("ENABLE_TELEMETRY", "")], P::Unset),
        ];
        for (pairs, want) in cases {
            assert_eq!(policy(pairs), want, "{pairs:?}");
        }
    }

    #[test]
    fn secret_is_generated_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Settings::default()
        };
        let a = load_or_create_secret(&s).unwrap();
        let b = load_or_create_secret(&s).unwrap();
        assert_eq!(a.expose_secret(), b.expose_secret());
        assert_eq!(a.expose_secret().len(), 128);
    }
}
