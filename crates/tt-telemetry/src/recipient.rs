//! Who receives what the sink sends: one answer, worked out in one place,
//! for every surface that tells a person where their data goes (a setup
//! page, an admin page, a command line, an API).
//!
//! The answer follows the endpoint actually in use, never the kind of
//! build alone: an official build whose built-in endpoint was replaced by
//! the operator sends to the operator's receiver, and says so.

use std::fmt;

/// What an official build's metadata says about the vendor behind its
/// built-in endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VendorMetadata {
    /// The endpoint built into the binary, if any.
    pub endpoint: Option<&'static str>,
    /// Who operates that endpoint (for example a company's name).
    pub vendor: Option<&'static str>,
    /// How many days the vendor keeps what it receives.
    pub retention_days: Option<&'static str>,
}

/// Where telemetry goes from this process.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Recipient {
    /// No endpoint is configured: nothing can be sent.
    #[default]
    Nobody,
    /// A receiver chosen by whoever deployed the server (a self-hosted
    /// build, or an official build whose built-in endpoint was replaced).
    Operator {
        /// The endpoint's host (and port), never credentials or a path.
        host: String,
    },
    /// The vendor named in an official build's metadata.
    Vendor {
        /// The vendor's name; `None` when the build did not name it.
        name: Option<String>,
        /// The endpoint's host (and port).
        host: String,
        /// How long the vendor keeps the data, in days, when stated.
        retention_days: Option<u32>,
    },
}

impl Recipient {
    /// The recipient of `endpoint` (the endpoint in effect, after settings
    /// and built-in values were layered): the vendor when it is the
    /// official build's built-in endpoint, the operator otherwise.
    pub fn resolve(endpoint: Option<&str>, build: &VendorMetadata) -> Recipient {
        let Some(endpoint) = endpoint.map(str::trim).filter(|e| !e.is_empty()) else {
            return Recipient::Nobody;
        };
        let host = endpoint_host(endpoint);
        let built_in = build.endpoint.map(str::trim).filter(|e| !e.is_empty());
        if built_in == Some(endpoint) {
            Recipient::Vendor {
                name: build
                    .vendor
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned),
                host,
                retention_days: build.retention_days.and_then(|d| d.trim().parse().ok()),
            }
        } else {
            Recipient::Operator { host }
        }
    }

    /// The endpoint's host, if anything can be sent.
    pub fn host(&self) -> Option<&str> {
        match self {
            Recipient::Nobody => None,
            Recipient::Operator { host } | Recipient::Vendor { host, .. } => Some(host),
        }
    }

    /// `none`, `operator` or `vendor`.
    pub fn kind(&self) -> &'static str {
        match self {
            Recipient::Nobody => "none",
            Recipient::Operator { .. } => "operator",
            Recipient::Vendor { .. } => "vendor",
        }
    }

    /// Who keeps the data, and for how long, in one sentence.
    pub fn retention(&self) -> String {
        match self {
            Recipient::Nobody => "Nothing is sent, so nothing is kept elsewhere.".to_owned(),
            Recipient::Operator { .. } => "That receiver is run by whoever deployed this server; \
                 it keeps what it receives as long as they configured it to."
                .to_owned(),
            Recipient::Vendor {
                retention_days: Some(days),
                ..
            } => format!(
                "{} keeps what it receives for at most {days} days.",
                self.who()
            ),
            Recipient::Vendor { .. } => format!(
                "{} keeps what it receives as long as its own policy says (this build does not state it).",
                self.who()
            ),
        }
    }

    /// The name of whoever receives the data, for a sentence.
    fn who(&self) -> String {
        match self {
            Recipient::Vendor { name: Some(n), .. } => n.clone(),
            Recipient::Vendor { name: None, .. } => "The vendor of this official build".to_owned(),
            Recipient::Operator { .. } => "The receiver's operator".to_owned(),
            Recipient::Nobody => "Nobody".to_owned(),
        }
    }
}

/// `the telemetry receiver at otlp.example.net:4318, chosen by whoever
/// deployed this server`: the recipient in words, to follow "sent to".
impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Nobody => f.write_str("nobody: no telemetry endpoint is configured"),
            Recipient::Operator { host } => write!(
                f,
                "the telemetry receiver at {host}, chosen by whoever deployed this server"
            ),
            Recipient::Vendor {
                name: Some(name),
                host,
                ..
            } => write!(f, "{name} at {host}, built into this official build"),
            Recipient::Vendor {
                name: None, host, ..
            } => write!(
                f,
                "the vendor of this official build at {host} (its build metadata names no vendor)"
            ),
        }
    }
}

/// The host (and port) of an endpoint URL, without credentials, path,
/// query or fragment.
pub fn endpoint_host(url: &str) -> String {
    match reqwest::Url::parse(url.trim()) {
        Ok(parsed) => match (parsed.host_str(), parsed.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        },
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICIAL: VendorMetadata = VendorMetadata {
        endpoint: Some("https://otlp.vendor.example/otlp"),
        vendor: Some("Example Analytics GmbH"),
        retention_days: Some("90"),
    };

    #[test]
    fn no_endpoint_is_nobody() {
        assert_eq!(Recipient::resolve(None, &OFFICIAL), Recipient::Nobody);
        assert_eq!(
            Recipient::resolve(Some("  "), &VendorMetadata::default()),
            Recipient::Nobody
        );
        assert_eq!(
            Recipient::Nobody.to_string(),
            "nobody: no telemetry endpoint is configured"
        );
    }

    #[test]
    fn a_configured_endpoint_is_the_operators() {
        let r = Recipient::resolve(
            Some("http://u:secret@collector.internal:4318/v1/logs"),
            &VendorMetadata::default(),
        );
        assert_eq!(
            r.to_string(),
            "the telemetry receiver at collector.internal:4318, chosen by whoever deployed this server"
        );
        assert_eq!(r.host(), Some("collector.internal:4318"));
        assert!(!r.retention().contains("90"));
    }

    #[test]
    fn an_official_build_replaced_by_the_operator_names_the_operator() {
        let r = Recipient::resolve(Some("https://mine.example:4318"), &OFFICIAL);
        assert_eq!(r.kind(), "operator");
        assert!(!r.to_string().contains("Example Analytics"));
    }

    #[test]
    fn the_built_in_endpoint_names_the_vendor_and_its_retention() {
        let r = Recipient::resolve(Some(" https://otlp.vendor.example/otlp "), &OFFICIAL);
        assert_eq!(
            r.to_string(),
            "Example Analytics GmbH at otlp.vendor.example, built into this official build"
        );
        assert_eq!(
            r.retention(),
            "Example Analytics GmbH keeps what it receives for at most 90 days."
        );
        let unnamed = Recipient::resolve(
            Some("https://otlp.vendor.example/otlp"),
            &VendorMetadata {
                vendor: None,
                retention_days: None,
                ..OFFICIAL
            },
        );
        assert_eq!(
            unnamed.retention(),
            "The vendor of this official build keeps what it receives as long as its own policy says (this build does not state it)."
        );
    }

    #[test]
    fn hosts_drop_credentials_and_paths() {
        let cases = [
            (
                "https://u:p@otlp.example.net:443/otlp/v1/logs",
                "otlp.example.net",
            ),
            (
                "https://otlp.example.net:8443/v1/logs?key=s3cret#x",
                "otlp.example.net:8443",
            ),
            ("http://127.0.0.1:4318", "127.0.0.1:4318"),
            ("http://[::1]:4318/", "[::1]:4318"),
            ("not a url", ""),
        ];
        for (url, host) in cases {
            assert_eq!(endpoint_host(url), host, "{url}");
        }
    }
}
