//! Operator observability of the server process: the `tracing` subscriber
//! (JSON lines to `<LOG_DIR>/app.jsonl`, human-readable console output), the
//! Prometheus recorder behind `GET /metrics`, and the Sentry client.
//!
//! The Prometheus recorder is process-wide by nature (`metrics` has one
//! global recorder), so it is installed once and shared. Logging and Sentry
//! are per [`Observability`]: the server process installs its subscriber
//! globally ([`Observability::for_process`]), while an app embedded in a
//! larger process — the test suite starts many — gets a subscriber and a
//! Sentry hub of its own ([`Observability::for_app`]).

use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use sentry::protocol::{EnvelopeItem, Event, User};
use sentry::transports::ReqwestHttpTransportOptions;
use sentry::{ClientOptions, Envelope, MaxRequestBodySize, Transport, TransportFactory};
use tracing::Dispatch;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::filter::{LevelFilter, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};
use tt_consent::{ConsentLevel, ConsentSource};

use crate::log_format::{JsonLines, JsonSpanFields};
use crate::log_writer::FlushGuard;
use crate::{Prepared, Settings, VERSION};

/// The name under which the newest log file is always reachable: a symlink
/// to today's `app.YYYY-MM-DD.jsonl`.
pub const LOG_FILE: &str = "app.jsonl";
/// `tt_build_info{version, build}`: always 1, labels carry the facts.
pub const BUILD_INFO: &str = "tt_build_info";
/// How long shutting down waits for the last request spans.
const TRACING_SHUTDOWN: Duration = Duration::from_secs(2);
/// How long shutting down waits for queued Sentry events.
const SENTRY_SHUTDOWN: Duration = Duration::from_secs(2);
/// How long one delivery to Sentry may take, as for telemetry's exporter.
const SENTRY_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting to Sentry may take.
const SENTRY_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The logging, metrics and error reporting of one server.
pub struct Observability {
    dispatch: Dispatch,
    log_guard: Option<FlushGuard>,
    tracing: Option<SdkTracerProvider>,
    sentry: Option<SentryClient>,
    process_wide: bool,
}

enum SentryClient {
    Process(sentry::ClientInitGuard),
    App(Arc<sentry::Client>),
}

impl std::fmt::Debug for Observability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observability")
            .field("process_wide", &self.process_wide)
            .field("sentry", &self.sentry.is_some())
            .field("tracing", &self.tracing.is_some())
            .finish_non_exhaustive()
    }
}

impl Observability {
    /// Logging for the server process: the subscriber becomes the global
    /// default. Fails with a clear message if the log directory cannot be
    /// written.
    pub fn for_process(settings: &Settings) -> anyhow::Result<Self> {
        let this = Self::build(settings, true)?;
        // Also routes the `log` records of dependencies (actix) into it.
        tracing_subscriber::util::SubscriberInitExt::try_init(this.dispatch.clone())
            .context("a global tracing subscriber is already installed")?;
        Ok(this)
    }

    /// Logging for one app embedded in a larger process: the subscriber
    /// sees this app's requests (and whatever runs in [`Self::in_scope`])
    /// and nothing else.
    pub fn for_app(settings: &Settings) -> anyhow::Result<Self> {
        Self::build(settings, false)
    }

    fn build(settings: &Settings, process_wide: bool) -> anyhow::Result<Self> {
        let Logging {
            dispatch,
            guard,
            tracing,
        } = build_logging(settings)?;
        // Installed before anything else runs, so nothing recorded during
        // start-up is lost.
        if settings.metrics_enabled {
            metrics_handle();
        }
        Ok(Self {
            dispatch,
            log_guard: Some(guard),
            tracing,
            sentry: None,
            process_wide,
        })
    }

    /// This server's subscriber.
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// Runs `f` with this server's subscriber as the thread's default.
    pub fn in_scope<T>(&self, f: impl FnOnce() -> T) -> T {
        tracing::dispatcher::with_default(&self.dispatch, f)
    }

    /// Starts Sentry when a DSN is in effect and hands metrics, Sentry and
    /// (for an embedded app) the subscriber to the HTTP layer. An embedded
    /// (official-build) DSN only ever sends while the installation's
    /// detailed-analytics consent holds.
    pub fn attach(
        &mut self,
        settings: &Settings,
        mut prepared: Prepared,
    ) -> anyhow::Result<Prepared> {
        let consent: Arc<dyn ConsentSource> = prepared.state.installation().clone();
        let hub = match settings.sentry_dsn() {
            None => None,
            Some((dsn, embedded)) => {
                let options = sentry_options(settings, dsn.expose_secret(), embedded, consent)?;
                Some(self.start_sentry(options))
            }
        };
        let config = tt_http::ObservabilityConfig {
            metrics: settings.metrics_enabled.then(metrics_handle),
            metrics_token: settings
                .metrics_token
                .as_ref()
                .map(|t| t.expose_secret().trim().to_owned())
                .filter(|t| !t.is_empty())
                .map(SecretString::from),
            log_client_ip: settings.log_client_ip,
            sentry_hub: hub,
            log_dispatch: (!self.process_wide).then(|| self.dispatch.clone()),
            trace_propagator: self.tracing.as_ref().map(|_| {
                Arc::new(TraceContextPropagator::new())
                    as Arc<dyn opentelemetry::propagation::TextMapPropagator + Send + Sync>
            }),
        };
        prepared.state = prepared.state.with_observability(config);
        Ok(prepared)
    }

    fn start_sentry(&mut self, options: ClientOptions) -> Arc<sentry::Hub> {
        if self.process_wide {
            // Default integrations (panics) only for the process: they hook
            // process-wide state.
            let guard = sentry::init(options);
            self.sentry = Some(SentryClient::Process(guard));
            sentry::Hub::main()
        } else {
            let mut options = options;
            options.default_integrations = false;
            let client = Arc::new(sentry::Client::from(options));
            self.sentry = Some(SentryClient::App(client.clone()));
            Arc::new(sentry::Hub::new(
                Some(client),
                Arc::new(sentry::Scope::default()),
            ))
        }
    }
}

impl Drop for Observability {
    fn drop(&mut self) {
        match self.sentry.take() {
            Some(SentryClient::App(client)) => {
                client.close(Some(SENTRY_SHUTDOWN));
            }
            Some(SentryClient::Process(guard)) => drop(guard),
            None => {}
        }
        if let Some(provider) = self.tracing.take()
            && let Err(e) = provider.shutdown_with_timeout(TRACING_SHUTDOWN)
        {
            tracing::warn!(error = %e, "could not deliver the last request spans");
        }
        // Dropping the guard flushes the buffered log lines.
        self.log_guard.take();
    }
}

/// Console-only logging installed process-wide, for CLI commands and
/// `TEST_LOG=1`. Does nothing if a subscriber is already installed.
pub fn init_logging(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A subscriber and what must outlive it.
#[derive(Debug)]
pub struct Logging {
    /// The subscriber.
    pub dispatch: Dispatch,
    /// Flushes the log file when dropped.
    pub guard: FlushGuard,
    /// Exports request spans, when the operator configured a collector.
    pub tracing: Option<SdkTracerProvider>,
}

/// The subscriber for `settings`: JSON lines to the daily-rotated file in
/// `log_dir`, written by a background thread, plus console output in
/// `log_format`, both filtered by `log_level`; plus, when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the request spans for the
/// operator's collector, whatever the log level.
pub fn build_logging(settings: &Settings) -> anyhow::Result<Logging> {
    let dir = writable_log_dir(&settings.log_dir)?;
    let filter = EnvFilter::try_new(&settings.log_level).with_context(|| {
        format!(
            "LOG_LEVEL={:?} is not a valid log filter",
            settings.log_level
        )
    })?;
    let mut appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("app")
        .filename_suffix("jsonl")
        .latest_symlink(LOG_FILE);
    if settings.log_retention_files > 0 {
        appender = appender.max_log_files(settings.log_retention_files);
    }
    let appender = appender
        .build(&dir)
        .with_context(|| format!("cannot open a log file in {} (LOG_DIR)", dir.display()))?;
    // Log files are the operator's alone (a new day's file is created by
    // the appender with the umask's mode, inside the private directory).
    crate::private_fs::restrict_files(&dir, crate::privacy::is_log_file_name)
        .with_context(|| format!("cannot restrict the log files in {}", dir.display()))?;
    // Requests only append their lines to a buffer; a thread writes it out
    // in batches (see `log_writer`).
    let (writer, guard) = crate::log_writer::batched(appender, "tt-log-writer")
        .context("cannot start the log writer thread")?;
    let file = tracing_subscriber::fmt::layer()
        .fmt_fields(JsonSpanFields)
        .event_format(JsonLines)
        .with_ansi(false)
        .with_writer(writer);
    let console = match settings.log_format.as_str() {
        "off" => None,
        "json" => Some(
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonSpanFields)
                .event_format(JsonLines)
                .with_writer(std::io::stderr)
                .boxed(),
        ),
        _ => Some(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .boxed(),
        ),
    };
    let tracing = match settings.otel_traces_url() {
        Some(url) => Some(tracer_provider(settings, &url)?),
        None => None,
    };
    let spans = tracing.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("timetracker"))
            .with_location(false)
            .with_threads(false)
            .with_level(false)
            .with_tracked_inactivity(false)
            // Spans only: the request spans of our own crates. Log events
            // stay in the log (span events would duplicate it).
            .with_filter(
                filter_fn(|meta| meta.is_span() && meta.target().starts_with("tt_"))
                    // Without the hint, `debug!`/`trace!` call sites all
                    // over the process would be evaluated per call.
                    .with_max_level_hint(LevelFilter::INFO),
            )
    });
    let subscriber = Registry::default()
        .with(file.and_then(console).with_filter(filter))
        .with(spans);
    Ok(Logging {
        dispatch: Dispatch::new(subscriber),
        guard,
        tracing,
    })
}

/// The exporter of request spans to the operator's own collector: OTLP/HTTP
/// protobuf to `url`, batched on the SDK's own thread with a blocking
/// client, so a slow collector never holds up a request. The SDK also
/// reads the standard `OTEL_EXPORTER_OTLP_HEADERS`/`_TIMEOUT` and
/// `OTEL_TRACES_SAMPLER`(`_ARG`) variables.
fn tracer_provider(settings: &Settings, url: &str) -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(url)
        .build()
        .with_context(|| format!("cannot build the span exporter for {url}"))?;
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_service_name(settings.otel_service_name.clone())
        .with_attribute(opentelemetry::KeyValue::new("service.version", VERSION))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Creates `dir` if needed and proves it writable, so a bad `LOG_DIR` stops
/// start-up with a message instead of losing logs (or panicking) later.
/// Returns it absolute, so the `app.jsonl` symlink resolves.
fn writable_log_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    crate::private_fs::create_dir(dir).with_context(|| {
        format!(
            "cannot create log directory {} (set LOG_DIR to a writable directory)",
            dir.display()
        )
    })?;
    let probe = dir.join(format!(".write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "log directory {} is not writable (set LOG_DIR to a writable directory)",
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    dir.canonicalize()
        .with_context(|| format!("cannot resolve log directory {}", dir.display()))
}

/// The process's Prometheus registry, installed on first use together with
/// the metric descriptions and `tt_build_info`.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = builder
                .set_buckets_for_metric(
                    Matcher::Full(tt_http::HTTP_REQUEST_DURATION_SECONDS.to_owned()),
                    tt_http::HTTP_DURATION_BUCKETS,
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will be empty");
            }
            // Descriptions only reach a recorder installed before them.
            tt_http::describe_metrics();
            tt_telemetry::describe_metrics();
            // Nothing is queued before the sink starts; dashboards get a 0
            // rather than "no data" on servers without telemetry.
            metrics::gauge!(tt_telemetry::QUEUE_DEPTH).set(0.0);
            metrics::describe_gauge!(
                BUILD_INFO,
                "Always 1; the labels say which version and which kind of build is running."
            );
            let build = if Settings::official_build() {
                "official"
            } else {
                "self-hosted"
            };
            metrics::gauge!(BUILD_INFO, "version" => VERSION, "build" => build).set(1.0);
            spawn_upkeep(handle.clone());
            handle
        })
        .clone()
}

/// Keeps the registry's histograms bounded between scrapes.
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("tt-metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the metrics upkeep thread; /metrics still runs it");
    }
}

/// Sentry client options for `dsn`: no default PII, no host name, no
/// bodies, cookies or credentials, user = internal id only, release = app
/// version. With `embedded`, every envelope waits on `consent` allowing
/// detailed analytics, checked when it would be sent.
pub fn sentry_options(
    settings: &Settings,
    dsn: &str,
    embedded: bool,
    consent: Arc<dyn ConsentSource>,
) -> anyhow::Result<ClientOptions> {
    // The parse error never repeats the DSN, which holds a key.
    let dsn: sentry::types::Dsn = dsn
        .parse()
        .map_err(|e| anyhow::anyhow!("SENTRY_DSN is not a valid DSN: {e}"))?;
    let gate = SendGate { embedded, consent };
    #[allow(clippy::cast_possible_truncation)]
    let rate = settings.sentry_traces_rate.clamp(0.0, 1.0) as f32;
    let sampler_gate = gate.clone();
    let mut options = ClientOptions::new().traces_sampler(move |ctx| {
        if !sampler_gate.open() {
            0.0
        } else {
            ctx.sampled().map_or(rate, |s| if s { 1.0 } else { 0.0 })
        }
    });
    options.dsn = Some(dsn);
    options.release = Some(format!("timetracker@{VERSION}").into());
    options.environment = Some(
        settings
            .sentry_environment
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .unwrap_or("production")
            .to_owned()
            .into(),
    );
    options.send_default_pii = false;
    options.server_name = None;
    options.max_request_body_size = MaxRequestBodySize::None;
    options.auto_session_tracking = false;
    options.before_send = Some(Arc::new(|event| Some(scrub_event(event))));
    options.transport = Some(Arc::new(GatedTransportFactory {
        gate,
        client: sentry_http_client()?,
    }));
    Ok(options)
}

/// The client Sentry sends through, built as telemetry's exporter builds
/// its own: reqwest on rustls with the ring provider and the platform's
/// certificate verifier, bounded in time, no redirects. Sentry's own
/// default client would also obey `SSL_VERIFY=false`; this one never
/// accepts an invalid certificate.
fn sentry_http_client() -> anyhow::Result<reqwest::Client> {
    // reqwest is built without a bundled crypto provider; `main` installs
    // ring, an app embedded in another process may not have.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(SENTRY_REQUEST_TIMEOUT)
        .connect_timeout(SENTRY_CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot build the HTTP client for Sentry")
}

/// Whether envelopes may leave: always for the operator's own DSN, only
/// with detailed consent for an embedded one.
#[derive(Clone)]
struct SendGate {
    embedded: bool,
    consent: Arc<dyn ConsentSource>,
}

impl SendGate {
    fn open(&self) -> bool {
        !self.embedded || self.consent.allows(ConsentLevel::Detailed)
    }
}

/// Builds Sentry's reqwest transport behind the consent gate, so nothing —
/// events, transactions, client reports — is sent while the gate is shut.
/// The transport sends from its own thread through a bounded queue, and
/// drops an envelope rather than wait when the queue is full, so capturing
/// never holds up a request.
struct GatedTransportFactory {
    gate: SendGate,
    client: reqwest::Client,
}

impl TransportFactory for GatedTransportFactory {
    fn create_transport_with_options(
        &self,
        options: sentry::TransportOptions,
    ) -> Arc<dyn Transport> {
        Arc::new(GatedTransport {
            gate: self.gate.clone(),
            inner: Arc::new(
                ReqwestHttpTransportOptions::from(options)
                    .with_client(self.client.clone())
                    .build(),
            ),
        })
    }
}

struct GatedTransport {
    gate: SendGate,
    inner: Arc<dyn Transport>,
}

impl Transport for GatedTransport {
    fn send_envelope(&self, envelope: Envelope) {
        if self.gate.open() {
            self.inner.send_envelope(scrub_envelope(envelope));
        }
    }

    fn flush(&self, timeout: Duration) -> bool {
        self.inner.flush(timeout)
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        self.inner.shutdown(timeout)
    }
}

/// Request headers an event may keep; everything else (cookies,
/// credentials, forwarding addresses, user agents) is dropped.
const KEPT_HEADERS: &[&str] = &["accept", "content-length", "content-type", "x-request-id"];

/// Removes whatever could identify a person or the machine from an event.
pub fn scrub_event(mut event: Event<'static>) -> Event<'static> {
    event.server_name = None;
    if let Some(request) = event.request.as_mut() {
        scrub_request(request);
    }
    event.user = event.user.take().and_then(id_only);
    for context in ["device", "os"] {
        event.contexts.remove(context);
    }
    event
}

/// The last word before anything leaves: events again, and transactions,
/// which `before_send` never sees (the actix integration copies the request
/// into them, query string and user agent included).
fn scrub_envelope(envelope: Envelope) -> Envelope {
    let mut scrubbed = Envelope::new().with_headers(envelope.headers().clone());
    for item in envelope.into_items() {
        scrubbed.add_item(match item {
            EnvelopeItem::Event(event) => EnvelopeItem::Event(Box::new(scrub_event(*event))),
            EnvelopeItem::Transaction(mut tx) => {
                tx.server_name = None;
                if let Some(request) = tx.request.as_mut() {
                    scrub_request(request);
                }
                tx.user = tx.user.take().and_then(id_only);
                for context in ["device", "os"] {
                    tx.contexts.remove(context);
                }
                EnvelopeItem::Transaction(tx)
            }
            other => other,
        });
    }
    scrubbed
}

fn scrub_request(request: &mut sentry::protocol::Request) {
    // The URL's host and query come from the client; the route template is
    // in the transaction name and the `route` tag.
    request.url = None;
    request.query_string = None;
    request.cookies = None;
    request.data = None;
    request.env.clear();
    request
        .headers
        .retain(|name, _| KEPT_HEADERS.contains(&name.to_ascii_lowercase().as_str()));
}

fn id_only(user: User) -> Option<User> {
    user.id.map(|id| User {
        id: Some(id),
        ..Default::default()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn events_lose_credentials_bodies_and_host_names() {
        let mut request = sentry::protocol::Request {
            url: "http://canary-host.example/x?email=c@example.com"
                .parse()
                .ok(),
            query_string: Some("email=c@example.com".into()),
            cookies: Some("tt_session=canary".into()),
            data: Some("{\"password\":\"canary\"}".into()),
            ..Default::default()
        };
        for (k, v) in [
            ("Cookie", "tt_session=canary"),
            ("Authorization", "Bearer canary"),
            ("X-Api-Key", "canary"),
            ("User-Agent", "canary"),
            ("Content-Type", "application/json"),
            ("X-Request-ID", "abc"),
        ] {
            request.headers.insert(k.into(), v.into());
        }
        request.env.insert("REMOTE_ADDR".into(), "10.9.8.7".into());
        let event = Event {
            server_name: Some("canary-host".into()),
            request: Some(request),
            user: Some(User {
                id: Some("42".into()),
                email: Some("c@example.com".into()),
                username: Some("canary".into()),
                ip_address: Some(sentry::protocol::IpAddress::Auto),
                ..Default::default()
            }),
            ..Default::default()
        };
        let scrubbed = scrub_event(event);
        let text = serde_json::to_string(&scrubbed).unwrap();
        assert!(!text.contains("canary"), "{text}");
        assert!(!text.contains("example.com"), "{text}");
        assert!(!text.contains("10.9.8.7"), "{text}");
        assert_eq!(scrubbed.user.unwrap().id.as_deref(), Some("42"));
        let headers = &scrubbed.request.unwrap().headers;
        assert_eq!(headers.len(), 2, "{headers:?}");
    }

    #[test]
    fn unwritable_log_dir_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let settings = Settings {
            log_dir: file.join("logs"),
            ..Settings::default()
        };
        let err = build_logging(&settings).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("LOG_DIR"), "{text}");
        assert!(text.contains("not-a-dir"), "{text}");
    }
}
