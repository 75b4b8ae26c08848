//! The operator's `OTEL_*` variables never reconfigure this pipeline.
//!
//! Environment variables cannot be set safely inside a multi-threaded test
//! process (and `unsafe` is forbidden here), so each parent test re-runs this
//! test binary as a child process with the variables set, runs one
//! `#[ignore]`d child test in it, and compares what the child's own loopback
//! receiver saw with and without the junk.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use crate::common::*;
use tt_telemetry::{HEARTBEAT, Telemetry, UserId};

const JUNK: [(&str, &str); 16] = [
    (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "http://127.0.0.1:1/junk-endpoint",
    ),
    (
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        "http://127.0.0.1:1/junk-logs",
    ),
    (
        "OTEL_EXPORTER_OTLP_HEADERS",
        "x-junk=junk-header,authorization=Bearer junk-token",
    ),
    ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "x-junk-logs=junk-header"),
    ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
    ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "grpc"),
    ("OTEL_EXPORTER_OTLP_TIMEOUT", "1"),
    ("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "1"),
    ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
    ("OTEL_SERVICE_NAME", "junk-service"),
    (
        "OTEL_RESOURCE_ATTRIBUTES",
        "host.name=junk-host,host.id=junk-id,service.name=junk",
    ),
    ("OTEL_SDK_DISABLED", "true"),
    ("OTEL_LOGS_EXPORTER", "none"),
    ("OTEL_BLRP_MAX_QUEUE_SIZE", "1"),
    ("OTEL_ATTRIBUTE_COUNT_LIMIT", "1"),
    ("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "1"),
];

/// Runs the ignored test `name` in a child process with `env` added;
/// returns the line it printed after `RESULT:`.
fn run_child(name: &str, env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([
        name,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (k, _) in JUNK {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test must actually run:\n{stdout}"
    );
    stdout
        .lines()
        .find_map(|l| l.split_once("RESULT:").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no RESULT line:\n{stdout}"))
        .to_owned()
}

#[test]
fn otel_variables_change_nothing_on_the_wire() {
    let clean = run_child("otel_env::child_wire_summary", &[]);
    let junk = run_child("otel_env::child_wire_summary", &JUNK);
    assert!(clean.contains("/v1/logs"), "{clean}");
    assert_eq!(clean, junk);
}

/// Child: sends a heartbeat and one event to its own receiver and prints a
/// canonical summary of everything that reached it.
#[test]
#[ignore = "run as a child process by otel_variables_change_nothing_on_the_wire"]
fn child_wire_summary() {
    let receiver = Receiver::start();
    let mut c = config(Some(receiver.url()));
    c.token = Some(tt_telemetry::SecretString::from("our-token"));
    let t = Telemetry::new(c, Switches::new(true, true), identity()).unwrap();
    t.track(Event::AuthLogout {}, Some(UserId::new(2)));
    assert!(receiver.wait_until(Duration::from_secs(5), |r| {
        let names: Vec<String> = r
            .iter()
            .flat_map(|q| q.records().into_iter().map(event_name).collect::<Vec<_>>())
            .collect();
        names.iter().any(|n| n == HEARTBEAT) && names.iter().any(|n| n == "auth.logout")
    }));
    t.shutdown();

    let mut summary: BTreeMap<String, String> = BTreeMap::new();
    for req in receiver.requests() {
        assert!(!contains(&req.raw, b"junk"), "junk reached the wire");
        let mut headers: Vec<String> = req
            .headers
            .iter()
            .map(|(k, v)| {
                let k = k.to_ascii_lowercase();
                if k == "content-length" {
                    k
                } else {
                    format!("{k}={v}")
                }
            })
            .filter(|h| !h.starts_with("host="))
            .collect();
        headers.sort();
        for rec in req.records() {
            let mut keys: Vec<String> = record_attrs(rec).keys().cloned().collect();
            keys.sort();
            summary.insert(
                event_name(rec),
                format!(
                    "path={} headers={headers:?} resource={:?} scope={:?} attrs={keys:?}",
                    req.path,
                    req.resource_attributes(),
                    req.decoded.resource_logs[0].scope_logs[0]
                        .scope
                        .as_ref()
                        .map(|s| (&s.name, &s.attributes)),
                ),
            );
        }
    }
    println!("RESULT:{summary:?}");
}
