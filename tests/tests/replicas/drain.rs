//! Graceful drain: on SIGTERM `/readyz` answers 503 at once, the listener
//! closes after the drain delay, requests in flight finish, the queued
//! telemetry and the logs are flushed, and the process exits 0 — within
//! bounds, even when a client never finishes its request.

use std::io::Read;
use std::net::TcpStream;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use reqwest::blocking::{Body, Client};
use serde_json::{Value, json};
use tt_testkit::otlp::{OtlpReceiver, event_name};
use tt_tests::process::{ServerEnv, ServerProcess};

const ADMIN: &str = "admin";
const PASSWORD: &str = "drain-test-Passphrase-9";

/// A request body that sends its first half, then waits until released
/// (or fails, if the sender is dropped).
struct HeldBody {
    bytes: Vec<u8>,
    sent: usize,
    started: Option<Sender<()>>,
    release: Receiver<()>,
}

impl Read for HeldBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let half = self.bytes.len() / 2;
        if self.sent == half {
            if let Some(started) = self.started.take() {
                let _ = started.send(());
            }
            if self.release.recv().is_err() {
                return Err(std::io::Error::other("the test abandoned the request"));
            }
        }
        let end = if self.sent < half {
            half
        } else {
            self.bytes.len()
        };
        let n = (end - self.sent).min(buf.len());
        buf[..n].copy_from_slice(&self.bytes[self.sent..self.sent + n]);
        self.sent += n;
        Ok(n)
    }
}

/// The answer to a held request: status and body, or the client's error.
type HeldAnswer = std::thread::JoinHandle<Result<(u16, Value), String>>;

/// A login whose body is half sent; `release` sends the rest.
fn held_login(base: &str) -> (Sender<()>, HeldAnswer) {
    let bytes = serde_json::to_vec(&json!({"username": ADMIN, "password": PASSWORD})).unwrap();
    let len = bytes.len() as u64;
    let (started_tx, started_rx) = channel();
    let (release_tx, release_rx) = channel();
    let body = HeldBody {
        bytes,
        sent: 0,
        started: Some(started_tx),
        release: release_rx,
    };
    let url = format!("{base}/api/v1/auth/login");
    let thread = std::thread::spawn(move || {
        let client = Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let resp = client
            .post(url)
            .header("content-type", "application/json")
            .body(Body::sized(body, len))
            .send()
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        Ok((status, resp.json().unwrap_or(Value::Null)))
    });
    started_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the held request started");
    (release_tx, thread)
}

/// A client that opens a new connection for every request.
fn fresh_client() -> Client {
    Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn readyz(base: &str) -> (u16, Value) {
    let resp = fresh_client()
        .get(format!("{base}/readyz"))
        .send()
        .expect("readyz");
    (resp.status().as_u16(), resp.json().unwrap_or(Value::Null))
}

/// Waits until a new TCP connection is refused; the time it took.
fn until_refused(server: &ServerProcess, since: Instant, timeout: Duration) -> Duration {
    while since.elapsed() < timeout {
        if TcpStream::connect(&server.addr).is_err() {
            return since.elapsed();
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("still accepting connections {timeout:?} after SIGTERM");
}

#[test]
fn sigterm_answers_not_ready_finishes_in_flight_flushes_and_exits_zero() {
    tt_tests::init_tls();
    let receiver = OtlpReceiver::start();
    let dir = tempfile::tempdir().unwrap();
    let env = ServerEnv::new(dir.path())
        .var("GRAFANA_OTLP_ENDPOINT", receiver.url())
        .var("SHUTDOWN_DRAIN_SECONDS", "2")
        .var("SHUTDOWN_TIMEOUT_SECONDS", "10")
        .var("LOG_LEVEL", "info");
    env.setup(ADMIN, PASSWORD, true, true);
    let mut server = env.serve();
    let base = server.base();
    assert_eq!(readyz(&base).0, 200, "{}", server.stderr());

    let (release, in_flight) = held_login(&base);
    let sent = Instant::now();
    server.signal("TERM");

    // Not ready at once, on new connections, during the drain delay.
    let (status, body) = readyz(&base);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "draining", "{body}");
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );

    // Then new connections are refused: after the 2 s delay, not before.
    let refused = until_refused(&server, sent, Duration::from_secs(6));
    assert!(
        refused >= Duration::from_millis(1500),
        "refused after only {refused:?}"
    );
    assert!(
        server.try_exit().is_none(),
        "exited with a request in flight"
    );

    // The request in flight completes, then the process ends cleanly.
    release.send(()).unwrap();
    let (status, body) = in_flight.join().unwrap().expect("in-flight response");
    assert_eq!(status, 200, "{body}");
    assert!(body["token"].is_string(), "{body}");
    let exit = server
        .wait_exit(Duration::from_secs(10))
        .expect("exited after the request in flight");
    assert!(exit.success(), "exit status {exit:?}: {}", server.stderr());

    // The sign-in of that last request was still delivered, and the log
    // says so: nothing queued was dropped by the exit.
    let names: Vec<String> = receiver
        .requests()
        .iter()
        .flat_map(|r| r.records().into_iter().map(event_name).collect::<Vec<_>>())
        .collect();
    assert!(
        names.iter().any(|n| n == "auth.login"),
        "the last request's event was not delivered: {names:?}"
    );
    let log = server.log_text();
    assert!(log.contains("telemetry flushed"), "{log}");
    assert!(log.contains("\"stopped\""), "{log}");
}

#[test]
fn a_request_that_never_finishes_delays_the_exit_only_by_the_timeout() {
    tt_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let env = ServerEnv::new(dir.path())
        .var("SHUTDOWN_DRAIN_SECONDS", "0")
        .var("SHUTDOWN_TIMEOUT_SECONDS", "2");
    env.setup(ADMIN, PASSWORD, false, false);
    let mut server = env.serve();
    let (release, in_flight) = held_login(&server.base());
    let sent = Instant::now();
    server.signal("TERM");

    // No drain delay: the listener closes at once (a connection attempted
    // meanwhile is held back, then refused when the client's kernel tries
    // again, after about a second).
    let refused = until_refused(&server, sent, Duration::from_secs(4));
    assert!(refused < Duration::from_millis(2500), "{refused:?}");

    let exit = server
        .wait_exit(Duration::from_secs(10))
        .expect("exited despite the stuck request");
    let took = sent.elapsed();
    assert!(exit.success(), "exit status {exit:?}: {}", server.stderr());
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(8),
        "exit after {took:?} (timeout 2 s, then a bounded flush)"
    );
    drop(release);
    assert!(
        in_flight.join().unwrap().is_err(),
        "the stuck request cannot have been answered"
    );
}

#[test]
fn sigint_stops_the_same_way() {
    tt_tests::init_tls();
    let dir = tempfile::tempdir().unwrap();
    let env = ServerEnv::new(dir.path()).var("SHUTDOWN_DRAIN_SECONDS", "0");
    env.setup(ADMIN, PASSWORD, false, false);
    let mut server = env.serve();
    server.signal("INT");
    let exit = server
        .wait_exit(Duration::from_secs(10))
        .expect("exited on SIGINT");
    assert!(exit.success(), "exit status {exit:?}: {}", server.stderr());
}
