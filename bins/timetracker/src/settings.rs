//! One `Settings` struct: built-in defaults < `config/*.toml` < environment.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// A secret value: redacted in `Debug`, `Display` and serialisation.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { "***" })
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// Every setting of the server. Field docs are the reference for operators.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Database URL (`DATABASE_URL`): `postgres://…` for PostgreSQL, else a
    /// SQLite file path (`sqlite://` prefix optional). Default:
    /// `<data_dir>/timetracker.db`.
    pub database_url: Option<String>,
    /// Address to listen on (`BIND_ADDR`).
    pub bind_addr: String,
    /// Port to listen on (`PORT`); 0 picks a free port.
    pub port: u16,
    /// Directory for the database, the secret key and installation data
    /// (`DATA_DIR`).
    pub data_dir: PathBuf,
    /// Directory for log files (`LOG_DIR`).
    pub log_dir: PathBuf,
    /// Key that signs and encrypts session cookies (`SECRET_KEY`, at least
    /// 64 characters). Generated once and stored in `<data_dir>/secret_key`
    /// when not set.
    pub secret_key: Secret,
    /// When session cookies are marked `Secure` (`COOKIE_SECURE`): `auto`
    /// (when the request came over HTTPS, directly or through a trusted
    /// proxy), `true` (always; HTTPS only) or `false` (never).
    #[serde(deserialize_with = "bool_or_text")]
    pub cookie_secure: String,
    /// Login session lifetime in hours (`SESSION_TTL_HOURS`).
    pub session_ttl_hours: u64,
    /// Login attempts per username and client address in the window, a
    /// hundred times as many per address (`LOGIN_MAX_FAILURES`).
    pub login_max_failures: u32,
    /// The window of those limits, in minutes (`LOGIN_WINDOW_MINUTES`).
    pub login_window_minutes: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client: a
    /// comma-separated list of addresses or networks (`TRUSTED_PROXIES`,
    /// e.g. `127.0.0.1,10.0.0.0/8`). Empty: the TCP peer is the client.
    pub trusted_proxies: String,
    /// Maximum database connections (`DB_POOL_SIZE`).
    pub db_pool_size: u32,
    /// HTTP worker threads (`WORKERS`); 0 means one per CPU.
    pub workers: usize,
    /// On SIGTERM or SIGINT, seconds during which `/readyz` already answers
    /// 503 but new connections are still served, so a load balancer that
    /// polls `/readyz` stops sending traffic first (`SHUTDOWN_DRAIN_SECONDS`;
    /// set it above the balancer's check interval; 0 stops accepting at once).
    pub shutdown_drain_seconds: u64,
    /// Seconds the requests in flight get to finish once the server stops
    /// accepting connections (`SHUTDOWN_TIMEOUT_SECONDS`); then logs and
    /// telemetry are flushed, each within a few seconds more.
    pub shutdown_timeout_seconds: u64,
    /// Log filter, e.g. `info` or `tt_http=debug,info` (`LOG_LEVEL`).
    pub log_level: String,
    /// Directory of `installation.json` (`INSTALLATION_CONFIG_DIR`); default
    /// the data directory. On PostgreSQL the database holds the shared copy
    /// and this file only seeds it.
    pub installation_config_dir: Option<PathBuf>,
    /// How often a replica re-reads the shared installation state, in
    /// seconds (`INSTALLATION_REFRESH_SECONDS`).
    pub installation_refresh_seconds: u64,
    /// `DO_NOT_TRACK`: `1` switches all telemetry off; no UI can re-enable it.
    pub do_not_track: Option<String>,
    /// `ENABLE_TELEMETRY`: `false` switches all telemetry off; `true` gives
    /// base (heartbeat) consent for unattended installs.
    pub enable_telemetry: Option<String>,
    /// OTLP/HTTP endpoint of the telemetry sink (`GRAFANA_OTLP_ENDPOINT`).
    /// Empty disables an endpoint embedded in an official build.
    pub grafana_otlp_endpoint: Option<String>,
    /// Token for the sink (`GRAFANA_OTLP_TOKEN`): `instance:token` for Grafana
    /// Cloud, else sent as a bearer token.
    pub grafana_otlp_token: Option<Secret>,
    /// `http/protobuf` (default) or `http/json` (`GRAFANA_OTLP_PROTOCOL`).
    pub grafana_otlp_protocol: Option<String>,
    /// `TELEMETRY_DEBUG`: write telemetry payloads to the log instead of
    /// sending them.
    pub telemetry_debug: bool,
    /// Heartbeat interval, e.g. `24h` or seconds (`TELEMETRY_HEARTBEAT_INTERVAL`).
    pub telemetry_heartbeat_interval: Option<String>,
    /// For tests only: heartbeat intervals under a minute are accepted
    /// (`TELEMETRY_TEST_SHORT_INTERVALS`).
    pub telemetry_test_short_intervals: bool,
    /// Sentry DSN for error reports (`SENTRY_DSN`). Empty disables an
    /// embedded one.
    pub sentry_dsn: Option<Secret>,
    /// Share of requests traced to Sentry, 0.0–1.0 (`SENTRY_TRACES_RATE`).
    pub sentry_traces_rate: f64,
    /// Sentry environment name (`SENTRY_ENVIRONMENT`); default `production`.
    pub sentry_environment: Option<String>,
    /// Console log format (`LOG_FORMAT`): `text` (human-readable), `json`
    /// or `off`. The JSON file log in `log_dir` is always written.
    pub log_format: String,
    /// Daily log files kept in `log_dir` (`LOG_RETENTION_FILES`); 0 keeps
    /// all.
    pub log_retention_files: usize,
    /// Whether access-log lines carry the client address (`LOG_CLIENT_IP`).
    pub log_client_ip: bool,
    /// Bearer token required by `GET /metrics` (`METRICS_TOKEN`); unset
    /// leaves it open.
    pub metrics_token: Option<Secret>,
    /// Whether requests are counted and `GET /metrics` answers
    /// (`METRICS_ENABLED`).
    pub metrics_enabled: bool,
    /// The operator's own OpenTelemetry collector (`OTEL_EXPORTER_OTLP_ENDPOINT`,
    /// OTLP/HTTP base URL): request spans go to `<endpoint>/v1/traces`. Unset
    /// disables tracing. Never used by the product telemetry sink.
    pub otel_exporter_otlp_endpoint: Option<String>,
    /// Full URL for spans (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); overrides
    /// the base endpoint.
    pub otel_exporter_otlp_traces_endpoint: Option<String>,
    /// `service.name` of the exported spans (`OTEL_SERVICE_NAME`).
    pub otel_service_name: String,
    /// The IANA time zone of users who have not chosen their own
    /// (`DEFAULT_TIME_ZONE`, e.g. `Europe/Berlin`).
    pub default_time_zone: String,
    /// The first day of the week of users who have not chosen their own
    /// (`WEEK_START`: `monday`, `sunday` or `saturday`).
    pub week_start: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: None,
            bind_addr: "127.0.0.1".into(),
            port: 8080,
            data_dir: PathBuf::from("data"),
            log_dir: PathBuf::from("logs"),
            secret_key: Secret::default(),
            cookie_secure: "auto".into(),
            session_ttl_hours: 12,
            login_max_failures: 10,
            login_window_minutes: 15,
            trusted_proxies: String::new(),
            db_pool_size: 8,
            workers: 0,
            shutdown_drain_seconds: 0,
            shutdown_timeout_seconds: 10,
            log_level: "info".into(),
            installation_config_dir: None,
            installation_refresh_seconds: 5,
            do_not_track: None,
            enable_telemetry: None,
            grafana_otlp_endpoint: None,
            grafana_otlp_token: None,
            grafana_otlp_protocol: None,
            telemetry_debug: false,
            telemetry_heartbeat_interval: None,
            telemetry_test_short_intervals: false,
            sentry_dsn: None,
            sentry_traces_rate: 0.1,
            sentry_environment: None,
            log_format: "text".into(),
            log_retention_files: 30,
            log_client_ip: false,
            metrics_token: None,
            metrics_enabled: true,
            otel_exporter_otlp_endpoint: None,
            otel_exporter_otlp_traces_endpoint: None,
            otel_service_name: "timetracker".into(),
            default_time_zone: "UTC".into(),
            week_start: "monday".into(),
        }
    }
}

/// Environment variable → settings key. The one list of what the
/// environment can set.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("DATABASE_URL", "database_url"),
    ("BIND_ADDR", "bind_addr"),
    ("PORT", "port"),
    ("DATA_DIR", "data_dir"),
    ("LOG_DIR", "log_dir"),
    ("SECRET_KEY", "secret_key"),
    ("COOKIE_SECURE", "cookie_secure"),
    ("SESSION_TTL_HOURS", "session_ttl_hours"),
    ("LOGIN_MAX_FAILURES", "login_max_failures"),
    ("LOGIN_WINDOW_MINUTES", "login_window_minutes"),
    ("TRUSTED_PROXIES", "trusted_proxies"),
    ("DB_POOL_SIZE", "db_pool_size"),
    ("WORKERS", "workers"),
    ("SHUTDOWN_DRAIN_SECONDS", "shutdown_drain_seconds"),
    ("SHUTDOWN_TIMEOUT_SECONDS", "shutdown_timeout_seconds"),
    ("LOG_LEVEL", "log_level"),
    ("INSTALLATION_CONFIG_DIR", "installation_config_dir"),
    (
        "INSTALLATION_REFRESH_SECONDS",
        "installation_refresh_seconds",
    ),
    ("DO_NOT_TRACK", "do_not_track"),
    ("ENABLE_TELEMETRY", "enable_telemetry"),
    ("GRAFANA_OTLP_ENDPOINT", "grafana_otlp_endpoint"),
    ("GRAFANA_OTLP_TOKEN", "grafana_otlp_token"),
    ("GRAFANA_OTLP_PROTOCOL", "grafana_otlp_protocol"),
    ("TELEMETRY_DEBUG", "telemetry_debug"),
    (
        "TELEMETRY_HEARTBEAT_INTERVAL",
        "telemetry_heartbeat_interval",
    ),
    (
        "TELEMETRY_TEST_SHORT_INTERVALS",
        "telemetry_test_short_intervals",
    ),
    ("SENTRY_DSN", "sentry_dsn"),
    ("SENTRY_TRACES_RATE", "sentry_traces_rate"),
    ("SENTRY_ENVIRONMENT", "sentry_environment"),
    ("LOG_FORMAT", "log_format"),
    ("LOG_RETENTION_FILES", "log_retention_files"),
    ("LOG_CLIENT_IP", "log_client_ip"),
    ("METRICS_TOKEN", "metrics_token"),
    ("METRICS_ENABLED", "metrics_enabled"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "otel_exporter_otlp_endpoint"),
    (
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "otel_exporter_otlp_traces_endpoint",
    ),
    ("OTEL_SERVICE_NAME", "otel_service_name"),
    ("DEFAULT_TIME_ZONE", "default_time_zone"),
    ("WEEK_START", "week_start"),
];

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
        for (var, key) in ENV_VARS {
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
        if !self.secret_key.expose().is_empty() && self.secret_key.expose().len() < 64 {
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
    pub fn sentry_dsn(&self) -> Option<(Secret, bool)> {
        let from_env = self.sentry_dsn.as_ref().map(Secret::expose);
        let embedded_used = from_env.is_none();
        layered(from_env, embedded::SENTRY_DSN).map(|d| (Secret::new(d), embedded_used))
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
pub fn load_or_create_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if !settings.secret_key.expose().is_empty() {
        return Ok(settings.secret_key.expose().as_bytes().to_vec());
    }
    let path = settings.data_dir.join("secret_key");
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 64 => return Ok(s.trim().as_bytes().to_vec()),
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
    Ok(hex.into_bytes())
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
            secret_key: Secret::new("k".repeat(64)),
            database_url: Some("postgres://tt:hunter2@db:5432/tt".into()),
            ..Settings::default()
        };
        let shown = s.to_redacted_toml().unwrap();
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains(&"k".repeat(64)));
        assert!(shown.contains("postgres://tt:***@db:5432/tt"));
        assert_eq!(format!("{:?}", s.secret_key), "***");
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
        assert_eq!(a, b);
        assert_eq!(a.len(), 128);
    }
}
