//! Wiring of the telemetry sink: its configuration from our settings, and
//! the installation store seen through the sink's `InstallIdentity` seam.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use tt_installation::Installation;
use tt_telemetry::values::DeploymentType;
use tt_telemetry::{
    AppVersion, Fingerprint, HostFacts, IdentitySnapshot, InstallId, InstallIdentity, Locale,
    Protocol, Telemetry, TelemetryConfig, TimeZoneName,
};
use url::Url;

use crate::Settings;
use crate::settings::{embedded, layered};

/// The sink's configuration from our settings, over the endpoint and token
/// embedded in an official build (a setting present but empty disables the
/// embedded value).
pub fn telemetry_config(settings: &Settings) -> anyhow::Result<TelemetryConfig> {
    let version = AppVersion::parse(crate::VERSION).context("invalid app version")?;
    let mut config = TelemetryConfig::new(&tt_events::CATALOG, version);
    config.endpoint = layered(
        settings.grafana_otlp_endpoint.as_deref(),
        embedded::OTLP_ENDPOINT,
    );
    if let Some(endpoint) = &config.endpoint {
        Url::parse(endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .with_context(|| {
                format!("GRAFANA_OTLP_ENDPOINT: {endpoint:?} is not an http(s) URL")
            })?;
    }
    config.token = layered(
        settings
            .grafana_otlp_token
            .as_ref()
            .map(ExposeSecret::expose_secret),
        embedded::OTLP_TOKEN,
    )
    .map(SecretString::from);
    if let Some(text) = settings
        .grafana_otlp_protocol
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        config.protocol = Protocol::parse(text).with_context(|| {
            format!("GRAFANA_OTLP_PROTOCOL: {text:?}: expected http/protobuf or http/json")
        })?;
    }
    config.debug = settings.telemetry_debug;
    if let Some(text) = settings
        .telemetry_heartbeat_interval
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        // A typo must not turn the heartbeat into a flood: a minute at
        // least, unless a test asks for short intervals.
        let shortest = if settings.telemetry_test_short_intervals {
            1
        } else {
            60
        };
        config.heartbeat_interval = parse_interval(text)
            .filter(|d| d.as_secs() >= shortest)
            .with_context(|| {
                format!(
                    "TELEMETRY_HEARTBEAT_INTERVAL: {text:?}: expected seconds or a duration \
                     such as 90m, 6h or 1d (at least {shortest} s)"
                )
            })?;
    }
    Ok(config)
}

/// Whole seconds (`86400`), or a duration as humantime reads it (`90s`,
/// `15m`, `6h`, `1d`, `1w`, `2h 30m`).
fn parse_interval(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    match text.parse::<u64>() {
        Ok(secs) => Some(std::time::Duration::from_secs(secs)),
        Err(_) => humantime::parse_duration(text).ok(),
    }
    .filter(|d| !d.is_zero())
}

/// What this build says about the vendor behind a built-in endpoint.
pub const BUILD_METADATA: tt_telemetry::VendorMetadata = tt_telemetry::VendorMetadata {
    endpoint: embedded::OTLP_ENDPOINT,
    vendor: embedded::TELEMETRY_VENDOR,
    retention_days: embedded::TELEMETRY_RETENTION_DAYS,
};

/// Who receives what this server sends: the one answer the setup page, the
/// admin page, the API and `timetracker telemetry status` all show.
pub fn recipient(config: &TelemetryConfig) -> tt_telemetry::Recipient {
    tt_telemetry::Recipient::resolve(config.endpoint.as_deref(), &BUILD_METADATA)
}

/// How this server is deployed, for the heartbeat.
fn deployment_type() -> DeploymentType {
    if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
        DeploymentType::Kubernetes
    } else if std::path::Path::new("/.dockerenv").exists() {
        DeploymentType::Docker
    } else {
        DeploymentType::Native
    }
}

fn host_facts() -> HostFacts {
    let mut host = HostFacts::detect(deployment_type());
    if let Some(locale) = std::env::var("LANG").ok().and_then(|l| Locale::parse(&l)) {
        host.locale = locale;
    }
    if let Some(tz) = std::env::var("TZ")
        .ok()
        .and_then(|t| TimeZoneName::parse(&t))
    {
        host.timezone = tz;
    }
    host
}

/// The installation store as the sink's identity provider; sends are
/// claimed in the database every replica shares.
#[derive(Debug)]
pub struct AppIdentity {
    installation: Arc<Installation>,
    hostname: String,
    host: HostFacts,
    last_seen: Mutex<Option<SystemTime>>,
    /// Where replicas claim sends; `None`: this process alone decides.
    claims: Option<tt_persistence::Pool>,
    /// This process, as a claim holder (random, new at every start).
    holder: String,
}

/// How long a `first_seen` claim keeps other replicas from sending it
/// while its holder still tries to deliver.
const FIRST_SEEN_HOLD: std::time::Duration = std::time::Duration::from_secs(3600);

impl AppIdentity {
    /// Wraps the installation store; `claims` is the shared database.
    pub fn new(
        installation: Arc<Installation>,
        hostname: String,
        claims: Option<tt_persistence::Pool>,
    ) -> Self {
        let mut token = [0u8; 16];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut token);
        AppIdentity {
            installation,
            hostname,
            host: host_facts(),
            last_seen: Mutex::new(None),
            claims,
            holder: token.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// Claims `what` for this installation in the shared database; a
    /// database that cannot be reached claims nothing (the next tick asks
    /// again).
    fn claim(
        &self,
        what: &str,
        at: SystemTime,
        hold: std::time::Duration,
        renewal: tt_persistence::claims::Renewal,
    ) -> bool {
        let Some(pool) = &self.claims else {
            return true;
        };
        let name = format!("{what}:{}", self.installation.install_id());
        let outcome = pool.get().and_then(|mut c| {
            tt_persistence::claims::claim(&mut c, &name, &self.holder, at, hold, renewal)
        });
        outcome.unwrap_or_else(|e| {
            tracing::warn!(error = %e, claim = what, "cannot claim a telemetry send");
            false
        })
    }
}

impl InstallIdentity for AppIdentity {
    fn snapshot(&self) -> IdentitySnapshot {
        let doc = self.installation.snapshot();
        let install_id = InstallId::new(doc.install_id);
        // One formula for the fingerprint: the installation store's.
        let fingerprint = Fingerprint::from_hex(&self.installation.fingerprint(&self.hostname))
            .unwrap_or_else(|_| Fingerprint::derive(&self.hostname, doc.telemetry_salt.as_hex()));
        IdentitySnapshot {
            install_id,
            fingerprint,
            first_seen_at: SystemTime::from(doc.first_seen_at),
            last_seen_at: *self
                .last_seen
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            first_seen_sent: doc.first_seen_sent_at.is_some(),
            host: self.host.clone(),
        }
    }

    fn install_id(&self) -> InstallId {
        InstallId::new(self.installation.install_id())
    }

    fn first_seen_delivered(&self, at: SystemTime) {
        if let Err(e) = self.installation.mark_first_seen_sent(at.into()) {
            tracing::warn!(error = %format!("{e:#}"), "cannot record that first_seen was sent");
        }
    }

    fn heartbeat_delivered(&self, at: SystemTime) {
        *self
            .last_seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(at);
    }

    fn claim_first_seen(&self, at: SystemTime) -> bool {
        // Another replica may have delivered it since this one last read
        // the store.
        let _ = self.installation.refresh();
        self.installation.snapshot().first_seen_sent_at.is_none()
            && self.claim(
                "first_seen",
                at,
                FIRST_SEEN_HOLD,
                tt_persistence::claims::Renewal::ByHolder,
            )
    }

    fn claim_heartbeat(&self, at: SystemTime, interval: std::time::Duration) -> bool {
        // Half a second of slack: timers fire a hair early.
        let hold = interval.saturating_sub(std::time::Duration::from_millis(500));
        self.claim(
            "heartbeat",
            at,
            hold,
            tt_persistence::claims::Renewal::Never,
        )
    }
}

/// Starts the sink. Never waits on the network.
pub fn start_telemetry(
    config: TelemetryConfig,
    installation: &Arc<Installation>,
    hostname: &str,
    claims: Option<tt_persistence::Pool>,
) -> anyhow::Result<Telemetry> {
    let identity = Arc::new(AppIdentity::new(
        installation.clone(),
        hostname.to_owned(),
        claims,
    ));
    let consent: Arc<dyn tt_consent::ConsentSource> = installation.clone();
    Telemetry::new(config, consent, identity).context("cannot start the telemetry sink")
}

/// The catalog for `timetracker telemetry events`: one block per event with
/// its consent level and properties (`--markdown` prints
/// [`tt_telemetry::Catalog::markdown`] instead, the source of
/// `docs/all_tracked_events.md`).
pub fn catalog_text() -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for d in tt_events::CATALOG.events() {
        let _ = writeln!(out, "{} [{}, {}]", d.name, d.level, d.category.as_str());
        let _ = writeln!(out, "    {}", d.description);
        for p in d.properties {
            let allowed = p.kind.allowed_values();
            let kind = if allowed.is_empty() {
                p.kind.type_name().to_owned()
            } else {
                allowed.join("|")
            };
            let optional = if p.optional { ", optional" } else { "" };
            let _ = writeln!(out, "    - {}: {kind}{optional}", p.name);
        }
    }
    let _ = writeln!(out, "{} events.", tt_events::CATALOG.len());
    out
}

/// The next heartbeat exactly as the running server would send it now: the
/// app's configuration and identity, encoded by the sink's own encoder.
/// The sink built here has no endpoint and no exporter thread, so nothing is
/// sent and nothing is recorded as delivered.
pub fn preview(
    settings: &Settings,
    installation: &Arc<Installation>,
) -> anyhow::Result<tt_telemetry::HeartbeatPreview> {
    let mut config = telemetry_config(settings)?;
    config.endpoint = None;
    config.debug = false;
    let sink = start_telemetry(config, installation, &crate::installation::hostname(), None)?;
    let preview = sink
        .preview_heartbeat()
        .context("cannot encode the heartbeat");
    sink.shutdown();
    preview
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn config(pairs: &[(&str, &str)]) -> anyhow::Result<TelemetryConfig> {
        let dir = tempfile::tempdir()?;
        let env = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        telemetry_config(&Settings::load(dir.path(), &env)?)
    }

    #[test]
    fn settings_become_the_sink_configuration() {
        let c = config(&[
            ("GRAFANA_OTLP_ENDPOINT", "http://mine:4318"),
            ("GRAFANA_OTLP_TOKEN", "1:abc"),
            ("GRAFANA_OTLP_PROTOCOL", "http/json"),
            ("TELEMETRY_DEBUG", "1"),
            ("TELEMETRY_HEARTBEAT_INTERVAL", "6h"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://junk:1"),
        ])
        .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(c.endpoint.as_deref(), Some("http://mine:4318"));
        assert_eq!(
            c.token.as_ref().map(ExposeSecret::expose_secret),
            Some("1:abc")
        );
        assert_eq!(c.protocol, Protocol::HttpJson);
        assert!(c.debug);
        assert_eq!(c.heartbeat_interval, Duration::from_secs(6 * 3600));
        assert_eq!(c.catalog.service_name, "timetracker");
        assert_eq!(c.catalog.schema_version, tt_events::SCHEMA_VERSION);
    }

    #[test]
    fn bad_values_are_refused_with_the_setting_named() {
        for (k, v) in [
            ("GRAFANA_OTLP_PROTOCOL", "grpc"),
            ("TELEMETRY_HEARTBEAT_INTERVAL", "5"),
            ("TELEMETRY_HEARTBEAT_INTERVAL", "soon"),
            ("GRAFANA_OTLP_ENDPOINT", "localhost:4318"),
            ("GRAFANA_OTLP_ENDPOINT", "ftp://collector"),
        ] {
            let e = config(&[(k, v)]).err().map(|e| format!("{e:#}"));
            assert!(
                e.as_deref().is_some_and(|e| e.contains(k)),
                "{k}={v}: {e:?}"
            );
        }
    }

    #[test]
    fn short_heartbeats_only_where_a_test_asks_for_them() {
        let interval = |extra: &[(&str, &str)]| {
            let mut pairs = vec![("TELEMETRY_HEARTBEAT_INTERVAL", "2s")];
            pairs.extend_from_slice(extra);
            config(&pairs).ok().map(|c| c.heartbeat_interval)
        };
        assert_eq!(interval(&[]), None);
        assert_eq!(
            interval(&[("TELEMETRY_TEST_SHORT_INTERVALS", "1")]),
            Some(Duration::from_secs(2))
        );
        for (text, secs) in [
            ("86400", 86_400),
            ("90s", 90),
            ("15m", 900),
            ("1d", 86_400),
            ("1w", 604_800),
            ("2h 30m", 9_000),
        ] {
            assert_eq!(
                parse_interval(text),
                Some(Duration::from_secs(secs)),
                "{text}"
            );
        }
    }
}
