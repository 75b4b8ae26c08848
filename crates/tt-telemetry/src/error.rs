//! This crate's errors. None of them can come out of tracking: `track()`
//! returns nothing; these are for construction, configuration and preview.

use std::fmt;

/// A value that does not have the required shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {why}")]
pub struct InvalidValue {
    what: &'static str,
    why: &'static str,
}

impl InvalidValue {
    pub(crate) const fn new(what: &'static str, why: &'static str) -> Self {
        InvalidValue { what, why }
    }
}

/// A configuration problem, naming the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The endpoint is not an `http://` or `https://` URL.
    #[error("{variable}: not an http(s) URL: {reason}")]
    InvalidEndpoint {
        /// The setting, e.g. `endpoint`.
        variable: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The catalog fails [`crate::Catalog::check`].
    #[error("invalid event catalog: {0}")]
    InvalidCatalog(String),
    /// A value has the wrong shape.
    #[error(transparent)]
    InvalidValue(#[from] InvalidValue),
}

/// Building the sink, or encoding a payload, failed.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The configuration is unusable.
    #[error("telemetry configuration: {0}")]
    Config(#[from] ConfigError),
    /// The HTTP client could not be built.
    #[error("could not build the telemetry HTTP client")]
    HttpClient(#[source] reqwest::Error),
    /// The OTLP exporter could not be built.
    #[error("could not build the OTLP log exporter")]
    Exporter(#[source] opentelemetry_otlp::ExporterBuildError),
    /// The exporter thread could not be started.
    #[error("could not start the telemetry exporter thread")]
    Thread(#[source] std::io::Error),
    /// Encoding or decoding a payload failed.
    #[error("could not encode the telemetry payload: {0}")]
    Encode(EncodeFailure),
    /// A record that must be delivered now (a deletion request) was not
    /// accepted by the receiver; the text says why.
    #[error("not delivered: {0}")]
    NotDelivered(String),
}

/// Why a payload could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeFailure(pub(crate) String);

impl fmt::Display for EncodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
