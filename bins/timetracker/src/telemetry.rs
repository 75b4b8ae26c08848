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
            "TELEMETRY_TEST_SHORT_INTERVALS" => settings
                .telemetry_test_short_intervals
                .then(|| "1".to_owned()),
            _ => None,
        }
    };
    TelemetryConfig::from_vars(version, embedded, lookup).context("invalid telemetry settings")
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
    let sink = start_telemetry(config, installation, &crate::installation::hostname(), None)?;
    let preview = sink
        .preview_heartbeat()
        .context("cannot encode the heartbeat");
    sink.shutdown();
    preview
}
