//! Test support: a catalog of test events (an application of the crate's
//! own, declared as any application would), a real loopback OTLP/HTTP
//! receiver, a consent source with switches, and an identity with a planted
//! hostname canary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
use prost::Message;
use tt_consent::{ConsentLevel, ConsentSource, EffectiveConsent, Reason, StoredChoice};
use tt_telemetry::values::{DeploymentType, Platform};
use tt_telemetry::{
    AppVersion, Catalog, Category, Count, DurationSecs, Fingerprint, HostFacts, Id,
    IdentitySnapshot, InMemoryIdentity, InstallId, Locale, OsVersion, RetrySettings,
    TelemetryConfig, TimeZoneName,
};

pub const ACCOUNT: Category = Category::new("account", "Account");
pub const WORK: Category = Category::new("work", "Work");
pub const PAGES: Category = Category::new("pages", "Pages");

tt_telemetry::closed_enum! {
    /// Where an action came from.
    pub enum Surface {
        /// Web pages.
        Web = "web",
        /// The API.
        Api = "api",
    }

    /// A task's state.
    pub enum Status {
        /// Not started.
        Todo = "todo",
        /// Being worked on.
        InProgress = "in_progress",
        /// Finished.
        Done = "done",
    }

    /// A page, by route template.
    pub enum Page {
        /// The home page.
        Home = "/",
        /// One project.
        Project = "/projects/{id}",
    }
}

tt_telemetry::events! {
    /// The test application's events.
    pub enum Event {
        /// Signed out.
        AuthLogout = "auth.logout", ACCOUNT, Detailed {}
        /// The install id was rotated.
        AdminInstallIdRotated = "admin.install_id_rotated", ACCOUNT, Detailed {}
        /// An entry was deleted.
        TimeEntryDeleted = "time_entry.deleted", WORK, Detailed {
            /// The entry.
            entry_id: Id,
            /// Where.
            surface: Surface,
        }
        /// A timer started.
        TimerStarted = "timer.started", WORK, Detailed {
            /// The entry.
            entry_id: Id,
            /// Its project.
            project_id: Id,
            /// Its task.
            task_id: Option<Id>,
            /// Where.
            surface: Surface,
        }
        /// A task moved.
        TaskStatusChanged = "task.status_changed", WORK, Detailed {
            /// The task.
            task_id: Id,
            /// Its project.
            project_id: Id,
            /// Before.
            old_status: Status,
            /// After.
            new_status: Status,
        }
        /// A note was saved.
        NoteSaved = "note.saved", WORK, Detailed {
            /// Its words.
            words: Count,
            /// Time spent writing it.
            took: DurationSecs,
            /// Whether it is new.
            new: bool,
        }
        /// A page was shown.
        PageViewed = "page.viewed", PAGES, Detailed {
            /// Which.
            route: Page,
        }
    }
}

/// The test application's catalog; its schema version is deliberately not
/// 1 so tests can see it on the wire.
pub static CATALOG: Catalog = Catalog {
    app_name: "Test app",
    service_name: "test_app",
    schema_version: 7,
    categories: &[ACCOUNT, WORK, PAGES],
    events: Event::EVENTS,
    notes: "",
};

/// Strings that must never reach the receiver. Apart from the hostname
/// (which the identity provider is given for fingerprinting) there is no
/// API through which any of them could even be passed.
pub const CANARIES: [&str; 8] = [
    "canary-host-7f3a9c.internal",
    "canary-user-alice",
    "canary-alice@example.org",
    "canary-project-Apollo",
    "canary-client-AcmeCorp",
    "canary-task-Secret",
    "canary-note-confidential",
    "canary-comment-hello",
];
pub const HOSTNAME_CANARY: &str = CANARIES[0];
pub const SALT: &str = "5f0e3a1c9b7d2e4f6a8c0b1d3e5f7a9c5f0e3a1c9b7d2e4f6a8c0b1d3e5f7a9c";

/// What the receiver should do with the next request.
#[derive(Debug, Clone)]
pub enum Reply {
    Status(u16),
    RetryAfter(u16, u64),
    /// Read the request, answer nothing for this long, then close.
    Hang(Duration),
    /// Close the connection without answering.
    Close,
    /// 200 with an OTLP partial success: this many records rejected, for
    /// this reason (in the request's encoding).
    Partial(u64, &'static str),
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// Everything that came over the wire: request line, headers, body.
    pub raw: Vec<u8>,
    pub body: Vec<u8>,
    pub decoded: ExportLogsServiceRequest,
    /// Set when the body was not a valid OTLP request.
    pub decode_error: Option<String>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn records(&self) -> Vec<&LogRecord> {
        assert_eq!(
            self.decode_error, None,
            "the receiver could not decode a request"
        );
        self.decoded
            .resource_logs
            .iter()
            .flat_map(|rl| rl.scope_logs.iter())
            .flat_map(|sl| sl.log_records.iter())
            .collect()
    }

    pub fn resource_attributes(&self) -> Vec<BTreeMap<String, Val>> {
        self.decoded
            .resource_logs
            .iter()
            .map(|rl| {
                attrs(
                    &rl.resource
                        .as_ref()
                        .map(|r| r.attributes.clone())
                        .unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// An attribute value, simplified.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Str(String),
    Int(i64),
    Bool(bool),
    Other(String),
}

impl Val {
    pub fn str(&self) -> &str {
        match self {
            Val::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }
}

pub fn attrs(list: &[KeyValue]) -> BTreeMap<String, Val> {
    list.iter()
        .map(|kv| (kv.key.clone(), val(kv.value.as_ref())))
        .collect()
}

pub fn record_attrs(r: &LogRecord) -> BTreeMap<String, Val> {
    attrs(&r.attributes)
}

fn val(v: Option<&AnyValue>) -> Val {
    match v.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => Val::Str(s.clone()),
        Some(any_value::Value::IntValue(i)) => Val::Int(*i),
        Some(any_value::Value::BoolValue(b)) => Val::Bool(*b),
        other => Val::Other(format!("{other:?}")),
    }
}

pub fn event_name(r: &LogRecord) -> String {
    match record_attrs(r).get("event.name") {
        Some(Val::Str(s)) => s.clone(),
        other => panic!("record without event.name: {other:?}"),
    }
}

#[derive(Default)]
struct State {
    connections: usize,
    received: Vec<Received>,
    script: VecDeque<Reply>,
    default: Option<Reply>,
}

/// A real OTLP/HTTP receiver on 127.0.0.1: plain HTTP/1.1 over
/// `std::net`, decoding every body with `opentelemetry-proto`.
pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    pub fn start() -> Receiver {
        Self::with_default(Reply::Status(200))
    }

    pub fn with_default(default: Reply) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            default: Some(default),
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&state), Arc::clone(&stop));
        thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                s.lock().unwrap().connections += 1;
                let s = Arc::clone(&s);
                thread::spawn(move || serve(conn, &s));
            }
        });
        Receiver { addr, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replies for the next requests, in order; then the default.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().unwrap().script.extend(replies);
    }

    pub fn set_default(&self, reply: Reply) {
        self.state.lock().unwrap().default = Some(reply);
    }

    pub fn requests(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn request_count(&self) -> usize {
        self.state.lock().unwrap().received.len()
    }

    /// TCP connections accepted, whether or not a request followed.
    pub fn connection_count(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    pub fn records_named(&self, name: &str) -> Vec<(Received, LogRecord)> {
        self.requests()
            .into_iter()
            .flat_map(|req| {
                req.records()
                    .into_iter()
                    .filter(|r| event_name(r) == name)
                    .cloned()
                    .map(|r| (req.clone(), r))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    pub fn all_event_names(&self) -> Vec<String> {
        self.requests()
            .iter()
            .flat_map(|r| r.records().into_iter().map(event_name).collect::<Vec<_>>())
            .collect()
    }

    /// Waits until `pred` holds over the requests, or `timeout` passes.
    pub fn wait_until(&self, timeout: Duration, pred: impl Fn(&[Received]) -> bool) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if pred(&self.state.lock().unwrap().received) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |r| r.len() >= n)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(100));
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) {
    let mut writer = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(conn);
    loop {
        let mut raw = Vec::new();
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        raw.extend_from_slice(request_line.as_bytes());
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            raw.extend_from_slice(line.as_bytes());
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        raw.extend_from_slice(&body);
        let content_type = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let decoded: Result<ExportLogsServiceRequest, String> = if content_type.contains("json") {
            serde_json::from_slice(&body).map_err(|e| e.to_string())
        } else {
            ExportLogsServiceRequest::decode(body.as_slice()).map_err(|e| e.to_string())
        };
        let (decoded, decode_error) = match decoded {
            Ok(d) => (d, None),
            Err(e) => (ExportLogsServiceRequest::default(), Some(e)),
        };
        let reply = {
            let mut s = state.lock().unwrap();
            s.received.push(Received {
                at: Instant::now(),
                path,
                headers,
                raw,
                body,
                decoded,
                decode_error,
            });
            s.script
                .pop_front()
                .or_else(|| s.default.clone())
                .unwrap_or(Reply::Status(200))
        };
        let (status, extra, answer) = match reply {
            Reply::Status(code) => (code, String::new(), Vec::new()),
            Reply::RetryAfter(code, secs) => (code, format!("Retry-After: {secs}\r\n"), Vec::new()),
            Reply::Hang(d) => {
                thread::sleep(d);
                return;
            }
            Reply::Close => return,
            Reply::Partial(rejected, message) => {
                let body = if content_type.contains("json") {
                    format!(
                        r#"{{"partialSuccess":{{"rejectedLogRecords":"{rejected}","errorMessage":"{message}"}}}}"#
                    )
                    .into_bytes()
                } else {
                    use opentelemetry_proto::tonic::collector::logs::v1::{
                        ExportLogsPartialSuccess, ExportLogsServiceResponse,
                    };
                    ExportLogsServiceResponse {
                        partial_success: Some(ExportLogsPartialSuccess {
                            rejected_log_records: i64::try_from(rejected).unwrap(),
                            error_message: message.to_owned(),
                        }),
                    }
                    .encode_to_vec()
                };
                (200, String::new(), body)
            }
        };
        let response = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}\r\n",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() || writer.write_all(&answer).is_err() {
            return;
        }
    }
}

/// A consent source with two switches (both off to start).
#[derive(Debug, Default)]
pub struct Switches {
    base: AtomicBool,
    detailed: AtomicBool,
}

impl Switches {
    pub fn new(base: bool, detailed: bool) -> Arc<Switches> {
        Arc::new(Switches {
            base: AtomicBool::new(base),
            detailed: AtomicBool::new(detailed),
        })
    }

    pub fn set(&self, level: ConsentLevel, on: bool) {
        match level {
            ConsentLevel::Base => self.base.store(on, Ordering::SeqCst),
            ConsentLevel::Detailed => self.detailed.store(on, Ordering::SeqCst),
        }
    }
}

impl ConsentSource for Switches {
    fn effective(&self, level: ConsentLevel) -> EffectiveConsent {
        let enabled = self.allows(level);
        EffectiveConsent {
            level,
            enabled,
            reason: Reason::Stored(StoredChoice {
                granted: enabled,
                decided_by: Some("test".into()),
                decided_at: SystemTime::UNIX_EPOCH,
            }),
        }
    }

    fn allows(&self, level: ConsentLevel) -> bool {
        match level {
            ConsentLevel::Base => self.base.load(Ordering::SeqCst),
            ConsentLevel::Detailed => self.detailed.load(Ordering::SeqCst),
        }
    }
}

/// An identity whose fingerprint is derived from the hostname canary.
pub fn identity() -> Arc<InMemoryIdentity> {
    Arc::new(InMemoryIdentity::new(IdentitySnapshot {
        install_id: InstallId::parse("6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d").unwrap(),
        fingerprint: Fingerprint::derive(HOSTNAME_CANARY, SALT),
        first_seen_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000),
        last_seen_at: None,
        first_seen_sent: false,
        host: HostFacts {
            platform: Platform::Linux,
            os_version: OsVersion::parse("12.5").unwrap(),
            architecture: tt_telemetry::values::Architecture::X86_64,
            locale: Locale::parse("nl_BE.UTF-8").unwrap(),
            timezone: TimeZoneName::parse("Europe/Brussels").unwrap(),
            deployment: DeploymentType::Docker,
        },
    }))
}

/// Fast settings for tests; only the start-up heartbeat within a test.
pub fn config(endpoint: Option<String>) -> TelemetryConfig {
    let mut c = TelemetryConfig::new(&CATALOG, AppVersion::parse("1.4.2-test").unwrap());
    c.endpoint = endpoint;
    c.export_interval = Duration::from_millis(20);
    c.request_timeout = Duration::from_secs(2);
    c.heartbeat_interval = Duration::from_secs(3600);
    c.shutdown_timeout = Duration::from_secs(2);
    c.retry = RetrySettings {
        max_retries: 3,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(5),
    };
    c
}

/// Polls `f` until it is true or `timeout` passes.
pub fn eventually(timeout: Duration, f: impl Fn() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
