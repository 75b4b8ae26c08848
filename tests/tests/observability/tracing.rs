//! Operator tracing: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, every request
//! becomes one server span at the operator's collector (a loopback OTLP
//! receiver decoding the protobuf), continuing the caller's `traceparent`,
//! and the request's log lines carry the trace id.

use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use reqwest::Method;
use tt_testkit::otlp::{OtlpReceiver, Span, Val, attrs, contains};

use super::{access_line, break_projects_table, sqlite_app};

/// A caller's trace context, as a proxy or another service would send it.
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn span_attr(span: &Span, key: &str) -> Option<Val> {
    attrs(&span.attributes).get(key).cloned()
}

/// The one received span whose `request_id` attribute is `request_id`.
fn span_of(spans: &[Span], request_id: &str) -> Span {
    let found: Vec<&Span> = spans
        .iter()
        .filter(|s| span_attr(s, "request_id").is_some_and(|v| v.as_str() == request_id))
        .collect();
    assert_eq!(found.len(), 1, "spans for request {request_id}: {found:?}");
    found[0].clone()
}

#[test]
fn request_spans_reach_the_operators_collector_and_continue_the_callers_trace() {
    let collector = OtlpReceiver::start();
    let mut app = sqlite_app(|s| {
        s.otel_exporter_otlp_endpoint = Some(collector.url());
        s.otel_service_name = "tt-under-test".into();
    });
    let api = app.user("tracecanaryuser", false);

    // 1. A caller's trace is continued.
    let resp = api
        .request(Method::GET, "/api/v1/timer")
        .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
        .header("tracestate", "vendor=tracecanarystate")
        .header("X-Request-ID", "trace-continued")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    // 2. Without one, a new trace starts; the path's id and query stay out.
    let resp = api
        .request(
            Method::GET,
            "/api/v1/projects/987654?search=tracecanaryquery",
        )
        .header("X-Request-ID", "trace-fresh")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 404);
    // 3. A malformed traceparent is ignored, not trusted.
    let resp = api
        .request(Method::GET, "/api/v1/timer")
        .header("traceparent", "00-not-a-trace-zz")
        .header("X-Request-ID", "trace-malformed")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    // 4. A server error marks its span as failed.
    break_projects_table(&app);
    let resp = api
        .request(Method::GET, "/api/v1/projects")
        .header("X-Request-ID", "trace-failed")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 500);

    // The log lines carry the trace ids (checked before stopping, which
    // also proves they are written as the request ends).
    let continued_line = access_line(&app, "trace-continued");
    assert_eq!(continued_line["fields"]["trace_id"], CALLER_TRACE);
    let fresh_line = access_line(&app, "trace-fresh");
    let fresh_trace = fresh_line["fields"]["trace_id"]
        .as_str()
        .expect("a trace id on every access line")
        .to_owned();
    assert_eq!(fresh_trace.len(), 32);
    assert_ne!(fresh_trace, CALLER_TRACE);
    let malformed_line = access_line(&app, "trace-malformed");
    assert_ne!(malformed_line["fields"]["trace_id"], CALLER_TRACE);
    assert!(malformed_line["fields"]["trace_id"].is_string());
    // An error logged inside the request names its trace too.
    let failed_trace = access_line(&app, "trace-failed")["fields"]["trace_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let inner = super::log_lines(&app)
        .into_iter()
        .filter(|l| l["span"]["request_id"] == "trace-failed")
        .collect::<Vec<_>>();
    assert!(!inner.is_empty(), "the handler's error line is in the span");
    assert!(
        inner
            .iter()
            .all(|l| l["span"]["trace_id"] == failed_trace.as_str()),
        "{inner:?}"
    );

    // Stopping flushes the batch.
    app.stop_server();
    assert!(
        collector.wait_until(Duration::from_secs(10), |reqs| {
            reqs.iter().flat_map(|r| r.spans()).count() >= 5
        }),
        "spans never arrived: {:?}",
        collector
            .requests()
            .iter()
            .map(|r| &r.path)
            .collect::<Vec<_>>()
    );
    let requests = collector.requests();
    assert!(requests.iter().all(|r| r.path == "/v1/traces"));
    let spans: Vec<Span> = requests.iter().flat_map(|r| r.spans()).collect();
    let resources: Vec<_> = requests
        .iter()
        .flat_map(|r| {
            use prost::Message;
            opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest::decode(
                r.body.as_slice(),
            )
            .unwrap()
            .resource_spans
        })
        .map(|rs| attrs(&rs.resource.unwrap_or_default().attributes))
        .collect();
    for resource in &resources {
        assert_eq!(resource["service.name"], Val::Str("tt-under-test".into()));
        assert!(resource.contains_key("service.version"));
        assert!(!resource.contains_key("host.name"), "{resource:?}");
    }

    let continued = span_of(&spans, "trace-continued");
    assert_eq!(hex(&continued.trace_id), CALLER_TRACE);
    assert_eq!(hex(&continued.parent_span_id), CALLER_SPAN);
    assert_eq!(
        continued.trace_state, "",
        "the caller's tracestate is dropped"
    );
    assert_eq!(continued.name, "GET /api/v1/timer");
    assert_eq!(continued.kind, SpanKind::Server as i32);
    assert_eq!(
        span_attr(&continued, "http.route"),
        Some(Val::Str("/api/v1/timer".into()))
    );
    assert_eq!(
        span_attr(&continued, "http.response.status_code"),
        Some(Val::Int(200))
    );
    assert!(continued.end_time_unix_nano > continued.start_time_unix_nano);

    let fresh = span_of(&spans, "trace-fresh");
    assert_eq!(hex(&fresh.trace_id), fresh_trace);
    assert!(fresh.parent_span_id.is_empty(), "a root span");
    assert_eq!(fresh.name, "GET /api/v1/projects/{id}");

    let malformed = span_of(&spans, "trace-malformed");
    assert!(malformed.parent_span_id.is_empty());

    let failed = span_of(&spans, "trace-failed");
    assert_eq!(hex(&failed.trace_id), failed_trace);
    assert_eq!(
        failed.status.as_ref().map(|s| s.code),
        Some(StatusCode::Error as i32)
    );

    // Nothing personal or raw in any byte sent.
    for req in &requests {
        for canary in [
            "tracecanaryuser",
            "tracecanaryquery",
            "tracecanarystate",
            "987654",
            "a-long-password",
            "Bearer",
        ] {
            assert!(
                !contains(&req.raw, canary.as_bytes()),
                "{canary} reached the collector"
            );
        }
    }
}

#[test]
fn without_an_endpoint_requests_are_not_traced() {
    let mut app = sqlite_app(|_| {});
    let resp = app
        .http
        .get(app.url("/readyz"))
        .header("traceparent", format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01"))
        .header("X-Request-ID", "untraced")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let line = access_line(&app, "untraced");
    assert!(line["fields"].get("trace_id").is_none(), "{line}");
    app.stop_server();
}

#[test]
fn spans_are_exported_whatever_the_log_level() {
    let collector = OtlpReceiver::start();
    let mut app = sqlite_app(|s| {
        s.otel_exporter_otlp_endpoint = Some(format!("{}/", collector.url()));
        s.log_level = "off".into();
    });
    let resp = app
        .http
        .get(app.url("/readyz"))
        .header("X-Request-ID", "quiet-log")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    app.stop_server();
    assert!(collector.wait_until(Duration::from_secs(10), |reqs| {
        reqs.iter().flat_map(|r| r.spans()).count() == 1
    }));
    let spans: Vec<Span> = collector
        .requests()
        .iter()
        .flat_map(|r| r.spans())
        .collect();
    assert_eq!(span_of(&spans, "quiet-log").name, "GET /readyz");
    assert!(
        super::log_text(&app).is_empty(),
        "LOG_LEVEL=off logs nothing"
    );
}
