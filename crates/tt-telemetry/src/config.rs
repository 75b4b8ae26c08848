//! How the sink is configured: one plain struct, passed explicitly.
//!
//! The library reads no environment variable on its own. The one
//! convenience that does, [`TelemetryConfig::from_env`], reads only this
//! product's variables (`GRAFANA_OTLP_ENDPOINT`, `GRAFANA_OTLP_TOKEN`,
//! `GRAFANA_OTLP_PROTOCOL`, `TELEMETRY_DEBUG`, `TELEMETRY_HEARTBEAT_INTERVAL`);
//! the operator's `OTEL_*` variables never reconfigure this pipeline.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;

use crate::catalog::values::ReleaseChannel;
use crate::error::ConfigError;
use crate::identity::AppVersion;

/// The OTLP/HTTP body encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// `http/protobuf` (the default).
    #[default]
    HttpProtobuf,
    /// `http/json`.
    HttpJson,
}

impl Protocol {
    /// Parses `http/protobuf` or `http/json` (case-insensitive).
    pub fn parse(text: &str) -> Option<Protocol> {
        match text.trim().to_ascii_lowercase().as_str() {
            "http/protobuf" | "protobuf" => Some(Protocol::HttpProtobuf),
            "http/json" | "json" => Some(Protocol::HttpJson),
            _ => None,
        }
    }

    /// The name as written in settings.
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
        }
    }

    pub(crate) fn to_otlp(self) -> opentelemetry_otlp::Protocol {
        match self {
            Protocol::HttpProtobuf => opentelemetry_otlp::Protocol::HttpBinary,
            Protocol::HttpJson => opentelemetry_otlp::Protocol::HttpJson,
        }
    }
}

/// A secret (the sink token). Never shown: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        SecretToken(secret.into())
    }

    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The `Authorization` header value: Grafana Cloud's
    /// `Basic base64(instance:token)` when the secret contains a `:`,
    /// otherwise `Bearer <token>`.
    pub(crate) fn authorization(&self) -> String {
        if self.0.contains(':') {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(self.0.as_bytes())
            )
        } else {
            format!("Bearer {}", self.0)
        }
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Retry behaviour of the exporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySettings {
    /// Retries after the first attempt (so `4` means up to 5 requests).
    pub max_retries: u32,
    /// Backoff before the first retry; doubles each time, plus jitter.
    pub initial_backoff: Duration,
    /// Upper bound of the computed backoff.
    pub max_backoff: Duration,
    /// The longest `Retry-After` the exporter will wait; a server asking for
    /// longer makes the batch fail instead.
    pub max_retry_after: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        RetrySettings {
            max_retries: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

/// Everything the sink needs to know, passed to [`crate::Telemetry::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// The OTLP/HTTP receiver. `None` means nothing can be sent (tracked
    /// events are still logged locally). `/v1/logs` is appended when the URL
    /// has no path, `/` as path, or ends in `/otlp` (Grafana Cloud's base URL).
    pub endpoint: Option<String>,
    /// The sink token, if the receiver needs one.
    pub token: Option<SecretToken>,
    /// Protobuf (default) or JSON bodies.
    pub protocol: Protocol,
    /// The most records waiting to be sent; the oldest is dropped beyond it.
    pub queue_capacity: usize,
    /// The most records in one request.
    pub batch_size: usize,
    /// How long a partial batch may wait before it is sent.
    pub export_interval: Duration,
    /// The bound on one HTTP request, connect to last byte.
    pub request_timeout: Duration,
    /// How often `base_telemetry.heartbeat` is sent (default 24 h).
    pub heartbeat_interval: Duration,
    /// How long [`crate::Telemetry::shutdown`] may spend flushing (default 5 s).
    pub shutdown_timeout: Duration,
    /// Retry behaviour.
    pub retry: RetrySettings,
    /// `TELEMETRY_DEBUG`: encode payloads and write them to the log instead
    /// of sending them. Nothing touches the network.
    pub debug: bool,
    /// `service.version` and the heartbeat's `app_version`.
    pub service_version: AppVersion,
    /// The heartbeat's `release_channel`.
    pub release_channel: ReleaseChannel,
}

impl TelemetryConfig {
    /// The defaults, with no endpoint.
    pub fn new(service_version: AppVersion) -> Self {
        TelemetryConfig {
            endpoint: None,
            token: None,
            protocol: Protocol::default(),
            queue_capacity: 10_000,
            batch_size: 512,
            export_interval: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
            heartbeat_interval: Duration::from_secs(24 * 60 * 60),
            shutdown_timeout: Duration::from_secs(5),
            retry: RetrySettings::default(),
            debug: false,
            service_version,
            release_channel: ReleaseChannel::Stable,
        }
    }

    /// Reads this product's environment variables over the defaults, with
    /// values embedded at build time (official builds) as fallback:
    /// environment > embedded > none, and a variable set to the empty string
    /// disables the embedded value. Reads nothing else — in particular no
    /// `OTEL_*` variable.
    pub fn from_env(
        service_version: AppVersion,
        embedded: EmbeddedSink,
    ) -> Result<Self, ConfigError> {
        Self::from_vars(service_version, embedded, |name| std::env::var(name).ok())
    }

    /// [`Self::from_env`] with the variables supplied by `lookup`.
    pub fn from_vars(
        service_version: AppVersion,
        embedded: EmbeddedSink,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = TelemetryConfig::new(service_version);
        config.endpoint = layered(lookup(ENV_ENDPOINT), embedded.endpoint);
        config.token = layered(lookup(ENV_TOKEN), embedded.token).map(SecretToken::new);
        if let Some(endpoint) = &config.endpoint {
            logs_url(endpoint, ENV_ENDPOINT)?;
        }
        if let Some(value) = lookup(ENV_PROTOCOL).filter(|v| !v.trim().is_empty()) {
            config.protocol =
                Protocol::parse(&value).ok_or_else(|| ConfigError::InvalidSetting {
                    variable: ENV_PROTOCOL,
                    reason: "expected http/protobuf or http/json".to_owned(),
                })?;
        }
        if let Some(value) = lookup(ENV_DEBUG) {
            config.debug = matches!(
                value.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            );
        }
        let testing = lookup(ENV_TEST_SHORT_INTERVALS).is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        });
        if let Some(value) = lookup(ENV_HEARTBEAT).filter(|v| !v.trim().is_empty()) {
            let shortest = if testing { 1 } else { 60 };
            config.heartbeat_interval = parse_interval(&value)
                .filter(|d| d.as_secs() >= shortest)
                .ok_or_else(|| ConfigError::InvalidSetting {
                    variable: ENV_HEARTBEAT,
                    reason: format!(
                        "expected seconds or a number with s, m, h or d (at least {shortest} s)"
                    ),
                })?;
        }
        Ok(config)
    }

    /// Whether an endpoint is configured.
    pub fn sink_configured(&self) -> bool {
        self.endpoint.is_some()
    }
}

/// Endpoint and token compiled into an official build (`option_env!`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmbeddedSink {
    /// The embedded `GRAFANA_OTLP_ENDPOINT`, if any.
    pub endpoint: Option<&'static str>,
    /// The embedded `GRAFANA_OTLP_TOKEN`, if any.
    pub token: Option<&'static str>,
}

impl EmbeddedSink {
    /// Nothing embedded (self-hosted build).
    pub const NONE: EmbeddedSink = EmbeddedSink {
        endpoint: None,
        token: None,
    };

    /// Whether this is an official build (an endpoint was embedded).
    pub fn is_official(&self) -> bool {
        self.endpoint.is_some_and(|e| !e.trim().is_empty())
    }
}

const ENV_ENDPOINT: &str = "GRAFANA_OTLP_ENDPOINT";
const ENV_TOKEN: &str = "GRAFANA_OTLP_TOKEN";
const ENV_PROTOCOL: &str = "GRAFANA_OTLP_PROTOCOL";
const ENV_DEBUG: &str = "TELEMETRY_DEBUG";
const ENV_HEARTBEAT: &str = "TELEMETRY_HEARTBEAT_INTERVAL";
/// For tests only: accept heartbeat intervals down to one second.
const ENV_TEST_SHORT_INTERVALS: &str = "TELEMETRY_TEST_SHORT_INTERVALS";

/// Environment > embedded > none; an empty environment value means none.
fn layered(env: Option<String>, embedded: Option<&'static str>) -> Option<String> {
    match env {
        Some(value) => Some(value.trim().to_owned()).filter(|v| !v.is_empty()),
        None => embedded
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty()),
    }
}

/// `86400`, `90s`, `15m`, `6h`, `1d`. The caller refuses anything under a
/// minute (outside tests) so a typo cannot turn the heartbeat into a flood.
fn parse_interval(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number.parse().ok()?;
    let secs = match unit.trim() {
        "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        "d" => n.checked_mul(86_400)?,
        _ => return None,
    };
    (secs >= 1).then(|| Duration::from_secs(secs))
}

/// The full logs URL for a configured endpoint.
pub(crate) fn logs_url(endpoint: &str, variable: &'static str) -> Result<String, ConfigError> {
    let mut url =
        reqwest::Url::parse(endpoint.trim()).map_err(|e| ConfigError::InvalidEndpoint {
            variable,
            reason: e.to_string(),
        })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::InvalidEndpoint {
            variable,
            reason: format!("unsupported scheme {}", url.scheme()),
        });
    }
    let path = url.path().trim_end_matches('/').to_owned();
    if path.is_empty() || path.ends_with("/otlp") {
        url.set_path(&format!("{path}/v1/logs"));
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn version() -> AppVersion {
        AppVersion::parse("1.0.0").unwrap_or_else(|e| panic!("{e}"))
    }

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn logs_path_is_appended_only_when_missing() {
        let cases = [
            ("http://127.0.0.1:4318", "http://127.0.0.1:4318/v1/logs"),
            ("http://127.0.0.1:4318/", "http://127.0.0.1:4318/v1/logs"),
            (
                "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp",
                "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp/v1/logs",
            ),
            ("http://collector/v1/logs", "http://collector/v1/logs"),
            (
                "http://collector/custom/ingest",
                "http://collector/custom/ingest",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(logs_url(input, "X").ok().as_deref(), Some(want), "{input}");
        }
        assert!(logs_url("ftp://x", "X").is_err());
        assert!(logs_url("not a url", "X").is_err());
    }

    #[test]
    fn tokens_become_basic_or_bearer() {
        assert_eq!(
            SecretToken::new("123456:glc_abc").authorization(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("123456:glc_abc")
            )
        );
        assert_eq!(SecretToken::new("abc").authorization(), "Bearer abc");
        assert_eq!(format!("{:?}", SecretToken::new("abc")), "***");
        assert_eq!(SecretToken::new("abc").to_string(), "***");
    }

    #[test]
    fn env_beats_embedded_and_empty_disables() {
        let embedded = EmbeddedSink {
            endpoint: Some("https://embedded.example/otlp"),
            token: Some("1:embedded"),
        };
        let c = TelemetryConfig::from_vars(version(), embedded, vars(&[]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.endpoint.as_deref(), Some("https://embedded.example/otlp"));
        assert_eq!(
            c.token.as_ref().map(SecretToken::expose),
            Some("1:embedded")
        );

        let c = TelemetryConfig::from_vars(
            version(),
            embedded,
            vars(&[("GRAFANA_OTLP_ENDPOINT", "http://mine:4318")]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.endpoint.as_deref(), Some("http://mine:4318"));

        let c = TelemetryConfig::from_vars(
            version(),
            embedded,
            vars(&[("GRAFANA_OTLP_ENDPOINT", ""), ("GRAFANA_OTLP_TOKEN", " ")]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.endpoint, None);
        assert_eq!(c.token, None);
        assert!(embedded.is_official());
        assert!(!EmbeddedSink::NONE.is_official());
    }

    #[test]
    fn other_settings_are_parsed_strictly() {
        let c = TelemetryConfig::from_vars(
            version(),
            EmbeddedSink::NONE,
            vars(&[
                ("GRAFANA_OTLP_PROTOCOL", "http/json"),
                ("TELEMETRY_DEBUG", "1"),
                ("TELEMETRY_HEARTBEAT_INTERVAL", "6h"),
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://junk:1"),
            ]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.protocol, Protocol::HttpJson);
        assert!(c.debug);
        assert_eq!(c.heartbeat_interval, Duration::from_secs(6 * 3600));
        assert_eq!(c.endpoint, None, "OTEL_* is never read");

        for (k, v) in [
            ("GRAFANA_OTLP_PROTOCOL", "grpc"),
            ("TELEMETRY_HEARTBEAT_INTERVAL", "5"),
            ("TELEMETRY_HEARTBEAT_INTERVAL", "1w"),
            ("GRAFANA_OTLP_ENDPOINT", "localhost:4318"),
        ] {
            assert!(
                TelemetryConfig::from_vars(version(), EmbeddedSink::NONE, vars(&[(k, v)])).is_err(),
                "{k}={v}"
            );
        }
        assert_eq!(parse_interval("86400"), Some(Duration::from_secs(86400)));
        assert_eq!(parse_interval("1d"), Some(Duration::from_secs(86400)));
        // Seconds only where a test asks for them.
        let short = |extra: &[(&str, &str)]| {
            let mut v = vec![("TELEMETRY_HEARTBEAT_INTERVAL", "2s")];
            v.extend_from_slice(extra);
            TelemetryConfig::from_vars(version(), EmbeddedSink::NONE, vars(&v))
                .map(|c| c.heartbeat_interval)
                .ok()
        };
        assert_eq!(short(&[]), None);
        assert_eq!(
            short(&[("TELEMETRY_TEST_SHORT_INTERVALS", "1")]),
            Some(Duration::from_secs(2))
        );
    }
}
