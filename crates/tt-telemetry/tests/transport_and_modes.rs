//! Wire details (path, headers, protocols), debug mode and the heartbeat
//! preview, against a real loopback receiver.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::*;
use base64::Engine as _;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use prost::Message as _;
use tt_consent::ConsentLevel;
use tt_telemetry::{HEARTBEAT, Outcome, Protocol, SecretString, SinkState, Telemetry, UserId};

fn wait_heartbeat(receiver: &Receiver) {
    assert!(receiver.wait_until(Duration::from_secs(5), |r| {
        r.iter()
            .flat_map(|q| q.records())
            .any(|rec| event_name(rec) == HEARTBEAT)
    }));
}

#[test]
fn grafana_cloud_tokens_become_basic_auth_and_otlp_paths_are_completed() {
    let receiver = Receiver::start();
    let mut c = config(Some(format!("{}/otlp", receiver.url())));
    c.token = Some(SecretString::from("123456:glc_secret"));
    let t = Telemetry::new(c, Switches::new(true, false), identity()).unwrap();
    wait_heartbeat(&receiver);
    t.shutdown();
    let req = &receiver.requests()[0];
    assert_eq!(req.path, "/otlp/v1/logs");
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("123456:glc_secret")
    );
    assert_eq!(req.header("authorization"), Some(expected.as_str()));
}

#[test]
fn raw_tokens_become_bearer_and_explicit_paths_are_kept() {
    let receiver = Receiver::start();
    let mut c = config(Some(format!("{}/custom/ingest", receiver.url())));
    c.token = Some(SecretString::from("plain-token"));
    let t = Telemetry::new(c, Switches::new(true, false), identity()).unwrap();
    wait_heartbeat(&receiver);
    t.shutdown();
    let req = &receiver.requests()[0];
    assert_eq!(req.path, "/custom/ingest");
    assert_eq!(req.header("authorization"), Some("Bearer plain-token"));
    // The status never shows the token.
    assert!(!format!("{:?}", t.status()).contains("plain-token"));
}

#[test]
fn only_our_headers_are_sent() {
    let receiver = Receiver::start();
    let t = Telemetry::new(
        config(Some(receiver.url())),
        Switches::new(true, false),
        identity(),
    )
    .unwrap();
    wait_heartbeat(&receiver);
    t.shutdown();
    let names: BTreeSet<String> = receiver.requests()[0]
        .headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    let allowed: BTreeSet<String> = ["content-type", "content-length", "host", "accept"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert!(names.is_subset(&allowed), "{names:?}");
}

#[test]
fn json_protocol_sends_otlp_json() {
    let receiver = Receiver::start();
    let mut c = config(Some(receiver.url()));
    c.protocol = Protocol::HttpJson;
    let t = Telemetry::new(c, Switches::new(true, true), identity()).unwrap();
    t.track(Event::AuthLogout {}, Some(UserId::new(3)));
    wait_heartbeat(&receiver);
    assert!(receiver.wait_until(Duration::from_secs(5), |r| {
        r.iter()
            .flat_map(|q| q.records())
            .any(|rec| event_name(rec) == "auth.logout")
    }));
    t.shutdown();
    for req in receiver.requests() {
        assert_eq!(req.header("content-type"), Some("application/json"));
        let parsed: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert!(parsed["resourceLogs"].is_array(), "{parsed}");
    }
    let (_, rec) = &receiver.records_named("auth.logout")[0];
    assert_eq!(record_attrs(rec)["user_id"], Val::Int(3));
}

#[test]
fn debug_mode_sends_nothing_but_counts_and_logs() {
    let receiver = Receiver::start();
    let mut c = config(Some(receiver.url()));
    c.debug = true;
    let t = Telemetry::new(c, Switches::new(true, true), identity()).unwrap();
    assert_eq!(t.status().sink, SinkState::Debug);
    for event in Event::examples() {
        t.track(event, Some(UserId::new(1)));
    }
    let n = Event::examples().len() as u64;
    assert!(eventually(Duration::from_secs(5), || {
        t.status()
            .count(ConsentLevel::Detailed, Outcome::DebugLogged)
            == n
    }));
    std::thread::sleep(Duration::from_millis(200));
    t.shutdown();
    assert_eq!(receiver.request_count(), 0);
    assert_eq!(
        receiver.connection_count(),
        0,
        "debug mode never touches the network"
    );
    let s = t.status();
    assert_eq!(s.total(Outcome::Sent), 0);
    assert!(
        s.count(ConsentLevel::Base, Outcome::DebugLogged) >= 2,
        "first_seen + heartbeat"
    );
}

#[test]
fn debug_mode_still_honours_consent() {
    let mut c = config(None);
    c.debug = true;
    let t = Telemetry::new(c, Switches::new(false, false), identity()).unwrap();
    t.track(Event::AuthLogout {}, None);
    std::thread::sleep(Duration::from_millis(100));
    t.shutdown();
    let s = t.status();
    assert_eq!(s.total(Outcome::DebugLogged), 0);
    assert_eq!(
        s.count(ConsentLevel::Detailed, Outcome::DroppedNoConsent),
        1
    );
}

#[test]
fn no_endpoint_means_nothing_is_queued() {
    let t = Telemetry::new(config(None), Switches::new(true, true), identity()).unwrap();
    assert_eq!(t.status().sink, SinkState::NotConfigured);
    t.track(Event::AuthLogout {}, None);
    assert_eq!(t.status().queue_depth, 0);
    assert_eq!(
        t.status()
            .count(ConsentLevel::Detailed, Outcome::DroppedNoConsent),
        1
    );
    assert!(t.shutdown().completed);
}

#[test]
fn the_preview_is_what_the_send_path_produces() {
    for protocol in [Protocol::HttpProtobuf, Protocol::HttpJson] {
        let receiver = Receiver::start();
        let mut c = config(Some(receiver.url()));
        c.protocol = protocol;
        // Consent off: the preview needs none and sends nothing.
        let t = Telemetry::new(c.clone(), Switches::new(false, false), identity()).unwrap();
        let preview = t.preview_heartbeat().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        t.shutdown();
        assert_eq!(receiver.request_count(), 0, "a preview sends nothing");
        assert_eq!(receiver.connection_count(), 0);

        let sent = Telemetry::new(c, Switches::new(true, false), identity()).unwrap();
        wait_heartbeat(&receiver);
        sent.shutdown();
        let (req, record) = receiver.records_named(HEARTBEAT).remove(0);

        assert_eq!(
            req.header("content-type"),
            Some(preview.content_type.as_str())
        );
        let previewed: ExportLogsServiceRequest = match protocol {
            Protocol::HttpProtobuf => {
                ExportLogsServiceRequest::decode(preview.body.as_slice()).unwrap()
            }
            Protocol::HttpJson => serde_json::from_slice(&preview.body).unwrap(),
        };
        let p_record = &previewed.resource_logs[0].scope_logs[0].log_records[0];
        let mut p_attrs = record_attrs(p_record);
        let mut s_attrs = record_attrs(&record);
        // Only the clock differs.
        for a in [&mut p_attrs, &mut s_attrs] {
            a.remove("heartbeat_at");
        }
        assert_eq!(p_attrs, s_attrs);
        // Same resource (the SDK keeps it in a hash map, so compare as a map).
        let p_resource = attrs(
            &previewed.resource_logs[0]
                .resource
                .as_ref()
                .unwrap()
                .attributes,
        );
        assert_eq!(p_resource, req.resource_attributes()[0]);
        assert_eq!(
            previewed.resource_logs[0].scope_logs[0].scope,
            req.decoded.resource_logs[0].scope_logs[0].scope
        );
        // And the readable form is the same payload, as JSON.
        let json: serde_json::Value = serde_json::from_str(&preview.json).unwrap();
        assert!(preview.json.contains("base_telemetry.heartbeat"));
        assert!(json.is_object());
    }
}
