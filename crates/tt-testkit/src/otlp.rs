//! A real OTLP/HTTP logs (and traces) receiver on 127.0.0.1:0: a plain
//! HTTP/1.1 server over `std::net` that records every request byte for
//! byte (or, [`OtlpReceiver::tallying`], only counts them), decodes each
//! body with `opentelemetry-proto` (protobuf, or JSON when the content
//! type says so) and answers as scripted — any status,
//! `Retry-After`, an OTLP partial success, a hang or a closed connection.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::LogRecord;
pub use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// What the receiver does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Answer with this status and an empty body.
    Status(u16),
    /// Answer with this status and `Retry-After: secs`.
    RetryAfter(u16, u64),
    /// Read the request, then answer nothing for this long and close.
    Hang(Duration),
    /// Close the connection without answering.
    Close,
    /// 200 with an OTLP partial success: this many records rejected, for
    /// this reason (in the request's encoding).
    Partial(u64, &'static str),
}

impl Reply {
    /// The status answered, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Reply::Status(s) | Reply::RetryAfter(s, _) => Some(*s),
            Reply::Partial(..) => Some(200),
            Reply::Hang(_) | Reply::Close => None,
        }
    }
}

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it was read completely.
    pub at: Instant,
    /// The request target, e.g. `/v1/logs`.
    pub path: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// Every byte that came over the wire: request line, headers, body.
    pub raw: Vec<u8>,
    /// The request body as received.
    pub body: Vec<u8>,
    /// The decoded body (empty when it could not be decoded).
    pub decoded: ExportLogsServiceRequest,
    /// Why the body could not be decoded, if it could not.
    pub decode_error: Option<String>,
    /// How the receiver answered.
    pub reply: Reply,
}

impl Received {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every log record in the request.
    pub fn records(&self) -> Vec<&LogRecord> {
        log_records(&self.decoded).collect()
    }

    /// The attributes of each resource in the request.
    pub fn resource_attributes(&self) -> Vec<BTreeMap<String, Val>> {
        self.decoded
            .resource_logs
            .iter()
            .map(|rl| attrs(rl.resource.as_ref().map_or(&[][..], |r| &r.attributes)))
            .collect()
    }

    /// Every span in the request, decoded as an OTLP trace export (a logs
    /// export has none).
    pub fn spans(&self) -> Vec<Span> {
        if self.path != "/v1/traces" {
            return Vec::new();
        }
        ExportTraceServiceRequest::decode(self.body.as_slice())
            .map(|req| {
                req.resource_spans
                    .into_iter()
                    .flat_map(|rs| rs.scope_spans)
                    .flat_map(|ss| ss.spans)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the receiver accepted it (2xx).
    pub fn accepted(&self) -> bool {
        self.reply.status().is_some_and(|s| (200..300).contains(&s))
    }
}

/// An attribute value, simplified.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// Anything else, debug-printed.
    Other(String),
}

impl Val {
    /// The string, or `""` for other kinds.
    pub fn as_str(&self) -> &str {
        match self {
            Val::Str(s) => s,
            _ => "",
        }
    }

    /// The string; panics for other kinds.
    pub fn str(&self) -> &str {
        match self {
            Val::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }
}

/// Attributes as a sorted map.
pub fn attrs(list: &[KeyValue]) -> BTreeMap<String, Val> {
    list.iter()
        .map(|kv| (kv.key.clone(), val(kv.value.as_ref())))
        .collect()
}

fn val(v: Option<&AnyValue>) -> Val {
    match v.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => Val::Str(s.clone()),
        Some(any_value::Value::IntValue(i)) => Val::Int(*i),
        Some(any_value::Value::BoolValue(b)) => Val::Bool(*b),
        other => Val::Other(format!("{other:?}")),
    }
}

/// A log record's attributes.
pub fn record_attrs(r: &LogRecord) -> BTreeMap<String, Val> {
    attrs(&r.attributes)
}

/// A log record's `event.name` attribute (empty if missing).
pub fn event_name(r: &LogRecord) -> String {
    record_attrs(r)
        .get("event.name")
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default()
}

/// The log records of a decoded export, in order.
fn log_records(request: &ExportLogsServiceRequest) -> impl Iterator<Item = &LogRecord> {
    request
        .resource_logs
        .iter()
        .flat_map(|rl| rl.scope_logs.iter())
        .flat_map(|sl| sl.log_records.iter())
}

/// What a receiver took in, counted as it went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Requests read.
    pub requests: usize,
    /// Log records in the decoded bodies.
    pub records: usize,
    /// Bodies that did not decode.
    pub undecodable: usize,
    /// Body bytes.
    pub body_bytes: usize,
    /// Bytes on the wire: request line, headers and body.
    pub wire_bytes: usize,
}

#[derive(Default)]
struct State {
    connections: usize,
    /// Whether every request is kept (else only tallied).
    keep: bool,
    tally: Tally,
    received: Vec<Received>,
    script: VecDeque<Reply>,
    default: Option<Reply>,
}

/// The receiver; stops accepting when dropped.
#[derive(Debug)]
pub struct OtlpReceiver {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("connections", &self.connections)
            .field("received", &self.received.len())
            .finish_non_exhaustive()
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl OtlpReceiver {
    /// A receiver answering 200 to everything.
    pub fn start() -> OtlpReceiver {
        Self::answering(Reply::Status(200))
    }

    /// A receiver answering `default` unless scripted otherwise.
    pub fn answering(default: Reply) -> OtlpReceiver {
        Self::spawn(default, true)
    }

    /// A receiver answering 200 that decodes every request as the other
    /// ones do but keeps only the [`Tally`]: for throughput measurements,
    /// where keeping every request would make the receiver the bottleneck
    /// (its memory grows by each body twice and every decoded record).
    /// Everything that reads kept requests (`requests`, `event_names`,
    /// the waits on requests) sees none.
    pub fn tallying() -> OtlpReceiver {
        Self::spawn(Reply::Status(200), false)
    }

    fn spawn(default: Reply, keep: bool) -> OtlpReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        let state = Arc::new(Mutex::new(State {
            default: Some(default),
            keep,
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
                lock(&s).connections += 1;
                let s = Arc::clone(&s);
                thread::spawn(move || serve(conn, &s));
            }
        });
        OtlpReceiver { addr, state, stop }
    }

    /// The base URL (`/v1/logs` and `/v1/traces` below it).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replies for the next requests, in order; then the default.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.state).script.extend(replies);
    }

    /// Changes the default reply.
    pub fn set_default(&self, reply: Reply) {
        lock(&self.state).default = Some(reply);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Received> {
        lock(&self.state).received.clone()
    }

    /// How many requests so far.
    pub fn request_count(&self) -> usize {
        lock(&self.state).tally.requests
    }

    /// What came in so far, counted.
    pub fn tally(&self) -> Tally {
        lock(&self.state).tally
    }

    /// TCP connections accepted, whether or not a request followed.
    pub fn connection_count(&self) -> usize {
        lock(&self.state).connections
    }

    /// The event names of every record received, in order.
    pub fn event_names(&self) -> Vec<String> {
        self.requests()
            .iter()
            .flat_map(|r| r.records().into_iter().map(event_name).collect::<Vec<_>>())
            .collect()
    }

    /// Every record named `name`, with the request that carried it.
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

    /// Waits until `pred` holds over the requests, or `timeout` passes.
    pub fn wait_until(&self, timeout: Duration, pred: impl Fn(&[Received]) -> bool) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if pred(&lock(&self.state).received) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until at least `n` requests arrived.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |r| r.len() >= n)
    }

    /// Waits until records with every one of `names` arrived.
    pub fn wait_for_events(&self, names: &[&str], timeout: Duration) -> bool {
        self.wait_until(timeout, |reqs| {
            let seen: Vec<String> = reqs
                .iter()
                .flat_map(|r| r.records().into_iter().map(event_name).collect::<Vec<_>>())
                .collect();
            names.iter().all(|n| seen.iter().any(|s| s == n))
        })
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(100));
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) {
    let Ok(mut writer) = conn.try_clone() else {
        return;
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
            let mut s = lock(state);
            let reply = s
                .script
                .pop_front()
                .or_else(|| s.default.clone())
                .unwrap_or(Reply::Status(200));
            s.tally.requests += 1;
            s.tally.records += log_records(&decoded).count();
            s.tally.undecodable += usize::from(decode_error.is_some());
            s.tally.body_bytes += body.len();
            s.tally.wire_bytes += raw.len() + body.len();
            if s.keep {
                raw.extend_from_slice(&body);
                s.received.push(Received {
                    at: Instant::now(),
                    path,
                    headers,
                    raw,
                    body,
                    decoded,
                    decode_error,
                    reply: reply.clone(),
                });
            }
            reply
        };
        let (status, extra, answer) = match reply {
            Reply::Status(code) => (code, String::new(), Vec::new()),
            Reply::RetryAfter(code, secs) => (code, format!("Retry-After: {secs}\r\n"), Vec::new()),
            Reply::Hang(d) => {
                thread::sleep(d);
                return;
            }
            Reply::Close => return,
            Reply::Partial(rejected, message) => (
                200,
                String::new(),
                partial(&content_type, rejected, message),
            ),
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

/// An OTLP partial-success answer in the request's encoding.
fn partial(content_type: &str, rejected: u64, message: &str) -> Vec<u8> {
    if content_type.contains("json") {
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
                rejected_log_records: i64::try_from(rejected).unwrap_or(i64::MAX),
                error_message: message.to_owned(),
            }),
        }
        .encode_to_vec()
    }
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::logs::v1::{ResourceLogs, ScopeLogs};

    fn post(receiver: &OtlpReceiver, body: &[u8]) -> String {
        let mut conn = TcpStream::connect(receiver.addr).unwrap();
        let head = format!(
            "POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        conn.write_all(head.as_bytes()).unwrap();
        conn.write_all(body).unwrap();
        let mut answer = [0u8; 12];
        conn.read_exact(&mut answer).unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// A tallying receiver decodes and counts what a recording one keeps.
    #[test]
    fn tallying_counts_records_and_bytes_and_keeps_nothing() {
        let records = |n: usize| ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord::default(); n],
                    ..ScopeLogs::default()
                }],
                ..ResourceLogs::default()
            }],
        };
        let (three, two) = (records(3).encode_to_vec(), records(2).encode_to_vec());
        let tallying = OtlpReceiver::tallying();
        let recording = OtlpReceiver::start();
        for r in [&tallying, &recording] {
            assert_eq!(post(r, &three), "HTTP/1.1 200");
            assert_eq!(post(r, &two), "HTTP/1.1 200");
            assert_eq!(post(r, b"not protobuf at all"), "HTTP/1.1 200");
        }
        let t = tallying.tally();
        assert_eq!((t.requests, t.records, t.undecodable), (3, 5, 1), "{t:?}");
        assert_eq!(t.body_bytes, three.len() + two.len() + 19);
        assert_eq!(t, recording.tally());
        assert!(tallying.requests().is_empty());
        let kept = recording.requests();
        assert_eq!(kept.len(), 3);
        assert_eq!(
            t.wire_bytes,
            kept.iter().map(|r| r.raw.len()).sum::<usize>()
        );
    }
}
