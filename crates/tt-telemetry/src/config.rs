//! How the sink is configured: one plain struct, passed explicitly.
//!
//! The crate reads no environment variable and no file: the application
//! parses its own settings and fills a [`TelemetryConfig`]. In particular
//! the operator's `OTEL_*` variables never reconfigure this pipeline.

use std::time::Duration;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};

use crate::catalog::Catalog;
use crate::error::ConfigError;
use crate::identity::AppVersion;
use crate::values::ReleaseChannel;

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

/// The `Authorization` header value for the sink token: Grafana Cloud's
/// `Basic base64(instance:token)` when the secret contains a `:`,
/// otherwise `Bearer <token>`.
pub(crate) fn authorization(token: &SecretString) -> String {
    let token = token.expose_secret();
    if token.contains(':') {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(token.as_bytes())
        )
    } else {
        format!("Bearer {token}")
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
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// The OTLP/HTTP receiver. `None` means nothing can be sent (tracked
    /// events are still logged locally). `/v1/logs` is appended when the URL
    /// has no path, `/` as path, or ends in `/otlp` (Grafana Cloud's base URL).
    pub endpoint: Option<String>,
    /// The sink token, if the receiver needs one.
    pub token: Option<SecretString>,
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
    /// Debug mode: encode payloads and write them to the log instead of
    /// sending them. Nothing touches the network.
    pub debug: bool,
    /// Every event the application can send; its service name (the
    /// resource's `service.name`) and schema version go on every record.
    pub catalog: &'static Catalog,
    /// `service.version` and the heartbeat's `app_version`.
    pub service_version: AppVersion,
    /// The heartbeat's `release_channel`.
    pub release_channel: ReleaseChannel,
}

impl TelemetryConfig {
    /// The defaults for `catalog` at `service_version`, with no endpoint.
    pub fn new(catalog: &'static Catalog, service_version: AppVersion) -> Self {
        TelemetryConfig {
            catalog,
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

    /// Whether an endpoint is configured.
    pub fn sink_configured(&self) -> bool {
        self.endpoint.is_some()
    }
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
        let header = |t: &str| authorization(&SecretString::from(t));
        // base64("123456:glc_abc"), written out.
        assert_eq!(header("123456:glc_abc"), "Basic MTIzNDU2OmdsY19hYmM=");
        assert_eq!(header("abc"), "Bearer abc");
    }
}
