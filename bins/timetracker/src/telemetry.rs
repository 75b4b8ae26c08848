//! Wiring of the telemetry sink: its configuration from our settings, and
//! the installation store seen through the sink's `InstallIdentity` seam.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use anyhow::Context;
use tt_installation::Installation;
use tt_telemetry::values::DeploymentType;
use tt_telemetry::{
    AppVersion, EmbeddedSink, Fingerprint, HostFacts, IdentitySnapshot, InstallId, InstallIdentity,
    Locale, Telemetry, TelemetryConfig, TimeZoneName,
};

use crate::Settings;
use crate::settings::embedded;

/// The sink's configuration: our settings over the embedded official values.
pub fn telemetry_config(settings: &Settings) -> anyhow::Result<TelemetryConfig> {
    let version = AppVersion::parse(crate::VERSION).context("invalid app version")?;
    let embedded = EmbeddedSink {
        endpoint: embedded::OTLP_ENDPOINT,
        token: embedded::OTLP_TOKEN,
    };
    let lookup = |name: &str| -> Option<String> {
        match name {
            "GRAFANA_OTLP_ENDPOINT" => settings.grafana_otlp_endpoint.clone(),
            "GRAFANA_OTLP_TOKEN" => settings
                .grafana_otlp_token
                .as_ref()
                .map(|s| s.expose().to_owned()),
            "GRAFANA_OTLP_PROTOCOL" => settings.grafana_otlp_protocol.clone(),
            "TELEMETRY_DEBUG" => settings.telemetry_debug.then(|| "1".to_owned()),
            "TELEMETRY_HEARTBEAT_INTERVAL" => settings.telemetry_heartbeat_interval.clone(),
            _ => None,
        }
    };
    TelemetryConfig::from_vars(version, embedded, lookup).context("invalid telemetry settings")
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

/// The installation store as the sink's identity provider.
#[derive(Debug)]
pub struct AppIdentity {
    installation: Arc<Installation>,
    hostname: String,
    host: HostFacts,
    last_seen: Mutex<Option<SystemTime>>,
}

impl AppIdentity {
    /// Wraps the installation store.
    pub fn new(installation: Arc<Installation>, hostname: String) -> Self {
        AppIdentity {
            installation,
            hostname,
            host: host_facts(),
            last_seen: Mutex::new(None),
        }
    }
}

impl InstallIdentity for AppIdentity {
    fn snapshot(&self) -> IdentitySnapshot {
        let doc = self.installation.snapshot();
        let install_id =
            InstallId::parse(&doc.install_id.to_string()).unwrap_or_else(|_| InstallId::random());
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
}

/// Starts the sink. Never waits on the network.
pub fn start_telemetry(
    config: TelemetryConfig,
    installation: &Arc<Installation>,
    hostname: &str,
) -> anyhow::Result<Telemetry> {
    let identity = Arc::new(AppIdentity::new(installation.clone(), hostname.to_owned()));
    let consent: Arc<dyn tt_consent::ConsentSource> = installation.clone();
    Telemetry::new(config, consent, identity).context("cannot start the telemetry sink")
}

/// The catalog for `timetracker telemetry events`: one block per event with
/// its consent level and properties (`--markdown` prints
/// [`tt_telemetry::catalog_markdown`] instead, the source of
/// `docs/all_tracked_events.md`).
pub fn catalog_text() -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for d in tt_telemetry::catalog() {
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
    let _ = writeln!(out, "{} events.", tt_telemetry::catalog().len());
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
    let sink = start_telemetry(config, installation, &crate::installation::hostname())?;
    let preview = sink
        .preview_heartbeat()
        .context("cannot encode the heartbeat");
    sink.shutdown();
    preview
}
