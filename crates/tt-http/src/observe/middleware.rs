//! The middleware around every request: request id in and out, one access
//! line, request metrics, the request's trace span, and the request's
//! identity for Sentry.

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt, TraceId, TraceState};
use ring::rand::{SecureRandom, SystemRandom};
use tracing::Instrument;
use tracing::instrument::WithSubscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{
    HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL, LoggedUser, RequestId, UNMATCHED_ROUTE,
};
use crate::error::{HttpError, error_chain};
use crate::state::AppState;

/// `X-Request-ID`, accepted from the client when well-formed and echoed.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Observes one request; see the module docs.
pub(crate) async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let dispatch = state.as_ref().and_then(|s| s.observe.log_dispatch.clone());
    let observed = observe_inner(req, next, state);
    match dispatch {
        // Everything logged while this request is handled (on this worker
        // thread) goes to this app's subscriber.
        Some(dispatch) => observed.with_subscriber(dispatch).await,
        None => observed.await,
    }
}

async fn observe_inner<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
    state: Option<web::Data<AppState>>,
) -> Result<ServiceResponse<B>, Error> {
    let started = Instant::now();
    let request_id = accepted_request_id(req.headers()).unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let sentry_on = state
        .as_ref()
        .is_some_and(|s| s.observe.sentry_hub.is_some());
    let metrics_on = state.as_ref().is_some_and(|s| s.observe.metrics.is_some());
    if sentry_on {
        // Sentry's middleware wraps this one and binds a hub per request.
        sentry::Hub::current().configure_scope(|scope| scope.set_tag("request_id", &request_id));
    }
    let client_ip = state
        .as_ref()
        .filter(|s| s.observe.log_client_ip)
        .and_then(|_| req.peer_addr())
        .map(|a| a.ip().to_string());
    let method = method_label(req.method());

    let propagator = state
        .as_ref()
        .and_then(|s| s.observe.trace_propagator.clone());
    // The route is known for certain once the request is routed: then it is
    // read from the matched resource, without matching the path again. Only
    // a span, which is named when it opens, needs it before (routing needs
    // the request unshared, so the template is matched here, once).
    let mut route_before = None;
    let (span, trace_id) = match propagator.as_deref() {
        Some(propagator) => {
            route_before = req.match_pattern();
            let span = request_span(&request_id, method, route_before.as_deref());
            let trace_id = continue_trace(&span, propagator, req.headers());
            (span, trace_id)
        }
        // Without tracing the span only gives log lines their request id:
        // every field on it is formatted into each JSON line's `span`.
        None => (
            tracing::info_span!("request", request_id = request_id.as_str()),
            None,
        ),
    };
    let mut res = match next.call(req).instrument(span.clone()).await {
        Ok(res) => res,
        Err(e) => {
            // A middleware further in failed (before routing, so the route
            // is unknown unless a span asked for it); actix answers for it.
            // Still count and log the request.
            let status = e.as_response_error().status_code();
            let route = route_before.unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
            if metrics_on {
                record_metrics(method, &route, status, started.elapsed());
            }
            if trace_id.is_some() {
                close_span(&span, method, &route, status);
            }
            let line = AccessLine {
                request_id: &request_id,
                trace_id: trace_id.as_deref(),
                method,
                route: &route,
                status,
                elapsed: started.elapsed(),
                user_id: None,
                client_ip: client_ip.as_deref(),
                error_code: None,
            };
            line.write(status.is_server_error().then(|| e.to_string()).as_deref());
            return Err(e);
        }
    };
    let elapsed = started.elapsed();

    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }
    let status = res.status();
    let route = res
        .request()
        .match_pattern()
        .or(route_before)
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    let user_id = res.request().extensions().get::<LoggedUser>().map(|u| u.0);

    if metrics_on {
        record_metrics(method, &route, status, elapsed);
    }
    if trace_id.is_some() {
        close_span(&span, method, &route, status);
    }
    if sentry_on {
        if let Some(id) = user_id {
            sentry::Hub::current().configure_scope(|scope| {
                scope.set_user(Some(sentry::User {
                    id: Some(id.to_string()),
                    ..Default::default()
                }));
            });
        }
        sentry::Hub::current().configure_scope(|scope| scope.set_tag("route", &route));
    }

    let error_code = res
        .response()
        .error()
        .and_then(|e| e.as_error::<HttpError>())
        .map(HttpError::code);
    let line = AccessLine {
        request_id: &request_id,
        trace_id: trace_id.as_deref(),
        method,
        route: &route,
        status,
        elapsed,
        user_id,
        client_ip: client_ip.as_deref(),
        error_code,
    };
    let detail = status
        .is_server_error()
        .then(|| server_error_detail(&res))
        .flatten();
    line.write(detail.as_deref());
    Ok(res)
}

/// The fields of one access-log line.
struct AccessLine<'a> {
    request_id: &'a str,
    trace_id: Option<&'a str>,
    method: &'static str,
    route: &'a str,
    status: StatusCode,
    elapsed: Duration,
    user_id: Option<i64>,
    client_ip: Option<&'a str>,
    error_code: Option<&'static str>,
}

impl AccessLine<'_> {
    fn duration_ms(&self) -> f64 {
        (self.elapsed.as_secs_f64() * 1e6).round() / 1e3
    }

    /// Writes the line: `ERROR` with the cause chain for a server error,
    /// `INFO` otherwise. `error` is only read for server errors.
    fn write(&self, error: Option<&str>) {
        // One field list for both levels (a level must be a constant).
        macro_rules! access {
            ($level:ident, $($extra:tt)*) => {
                tracing::$level!(
                    target: "tt_http::access",
                    request_id = self.request_id,
                    trace_id = self.trace_id,
                    method = self.method,
                    route = self.route,
                    status = self.status.as_u16(),
                    duration_ms = self.duration_ms(),
                    user_id = self.user_id,
                    client_ip = self.client_ip,
                    error_code = self.error_code,
                    $($extra)*
                )
            };
        }
        if self.status.is_server_error() {
            access!(error, error = error, "request failed");
        } else {
            access!(info, "request");
        }
    }
}

/// The cause chain of a server error, for the log only (clients see a
/// generic message). Client errors are not detailed: their messages may
/// echo what the client sent.
fn server_error_detail<B>(res: &ServiceResponse<B>) -> Option<String> {
    let err = res.response().error()?;
    Some(match err.as_error::<HttpError>() {
        Some(e @ HttpError::Internal(_)) => crate::error::error_chain(e),
        Some(other) => error_chain(other),
        None => err.to_string(),
    })
}

/// The span of one request. Its fields follow the OpenTelemetry HTTP
/// conventions (`otel.*` are read by `tracing-opentelemetry`: span name,
/// kind, status); like the access line it holds the route template, never
/// the path or query.
fn request_span(request_id: &str, method: &'static str, route: Option<&str>) -> tracing::Span {
    let route = route.unwrap_or(UNMATCHED_ROUTE);
    tracing::info_span!(
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        request_id = request_id,
        trace_id = tracing::field::Empty,
        http.request.method = method,
        http.route = route,
        http.response.status_code = tracing::field::Empty,
    )
}

/// Makes `span` a child of the caller's trace (its `traceparent`, if any,
/// else the root of a new one) and returns the trace id, which every log
/// line of the request then carries — also when the trace is not sampled,
/// so that the logs of several services still correlate. `None` when the
/// span is disabled.
fn continue_trace(
    span: &tracing::Span,
    propagator: &(dyn TextMapPropagator + Send + Sync),
    headers: &HeaderMap,
) -> Option<String> {
    if span.is_disabled() {
        return None;
    }
    // From an empty context: the request's trace is the caller's or a new
    // one, never whatever span happens to be current.
    let extracted = propagator.extract_with_context(&Context::new(), &Headers(headers));
    let caller = extracted.span().span_context().clone();
    // Only the ids and the sampling flag are taken over. `tracestate` is
    // free text a client controls and would be exported as is.
    let parent = if caller.is_valid() {
        Context::new().with_remote_span_context(SpanContext::new(
            caller.trace_id(),
            caller.span_id(),
            caller.trace_flags(),
            true,
            TraceState::NONE,
        ))
    } else {
        Context::new()
    };
    span.set_parent(parent).ok()?;
    let trace_id = span.context().span().span_context().trace_id();
    if trace_id == TraceId::INVALID {
        return None;
    }
    let trace_id = trace_id.to_string();
    span.record("trace_id", trace_id.as_str());
    Some(trace_id)
}

/// Records the outcome on the span, which ends when its last handle drops.
fn close_span(span: &tracing::Span, method: &'static str, route: &str, status: StatusCode) {
    if span.is_disabled() {
        return;
    }
    span.record("http.route", route);
    span.record(
        "otel.name",
        format_args!("{method} {route}").to_string().as_str(),
    );
    span.record("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
}

/// Request headers as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}

/// Counts the request and records its duration. The series' handles are
/// kept per worker thread, by route, so a request neither builds label
/// strings nor looks its series up in the recorder's registry: the label
/// values are bounded (route templates, standard methods, the statuses
/// the app answers), and so is what is kept.
fn record_metrics(method: &'static str, route: &str, status: StatusCode, elapsed: Duration) {
    use std::cell::RefCell;
    use std::collections::HashMap;
    type Series = (&'static str, u16, metrics::Counter, metrics::Histogram);
    thread_local! {
        static SERIES: RefCell<HashMap<String, Vec<Series>>> = RefCell::new(HashMap::new());
    }
    let status = status.as_u16();
    SERIES.with(|series| {
        let mut series = series.borrow_mut();
        // Looked up by `&str`: a route's key is allocated once, not per request.
        if !series.contains_key(route) {
            series.insert(route.to_owned(), Vec::new());
        }
        let Some(of_route) = series.get_mut(route) else {
            return;
        };
        let index = match of_route
            .iter()
            .position(|(m, s, _, _)| *m == method && *s == status)
        {
            Some(i) => i,
            None => {
                let counter = metrics::counter!(
                    HTTP_REQUESTS_TOTAL,
                    "method" => method,
                    "route" => route.to_owned(),
                    "status" => status.to_string()
                );
                let histogram = metrics::histogram!(
                    HTTP_REQUEST_DURATION_SECONDS,
                    "method" => method,
                    "route" => route.to_owned()
                );
                of_route.push((method, status, counter, histogram));
                of_route.len() - 1
            }
        };
        let (_, _, counter, histogram) = &of_route[index];
        counter.increment(1);
        histogram.record(elapsed.as_secs_f64());
    });
}

/// The method as a label: the standard ones, everything else `OTHER`, so a
/// client cannot invent label values.
pub(crate) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// The client's `X-Request-ID` if it is 1–64 characters of
/// `[A-Za-z0-9._-]`; anything else could smuggle text into log lines.
pub(crate) fn accepted_request_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(X_REQUEST_ID)?.to_str().ok()?;
    let well_formed = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    well_formed.then(|| value.to_owned())
}

/// A fresh request id: 32 lower-hex characters, unique with overwhelming
/// probability across threads, processes and replicas. Each thread draws
/// 128 random bits from the system once and then counts on from them with
/// a bijective mixer (SplitMix64), so an id costs a few multiplications,
/// not a system call. Ids need to be unique, not unpredictable.
fn new_request_id() -> String {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<Option<(u64, u64)>> = const { Cell::new(None) };
    }
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let (hi, lo) = STATE.with(|state| {
        let (seed, n) = state.get().unwrap_or_else(|| {
            let mut bytes = [0u8; 16];
            if SystemRandom::new().fill(&mut bytes).is_err() {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                bytes = nanos.to_le_bytes();
            }
            let (a, b) = bytes.split_at(8);
            let word = |s: &[u8]| u64::from_le_bytes(s.try_into().unwrap_or([0; 8]));
            (word(a), word(b))
        });
        let n = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(Some((seed, n)));
        (seed, n)
    });
    format!("{:016x}{:016x}", mix(hi ^ lo), mix(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(X_REQUEST_ID, v);
        }
        h
    }

    #[test]
    fn well_formed_request_ids_are_accepted() {
        for ok in ["a", "req-1.2_3", &"x".repeat(64), "0123456789abcdef"] {
            assert_eq!(accepted_request_id(&headers(ok)).as_deref(), Some(ok));
        }
    }

    #[test]
    fn malformed_request_ids_are_replaced() {
        for bad in [
            "",
            &"x".repeat(65),
            "a b",
            "a\"b",
            "x{y}",
            "é",
            "a/b",
            "a=b",
        ] {
            assert_eq!(accepted_request_id(&headers(bad)), None, "{bad:?}");
        }
        assert_eq!(accepted_request_id(&HeaderMap::new()), None);
    }

    #[test]
    fn fresh_request_ids_are_unique_hex() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert!(accepted_request_id(&headers(&a)).is_some());
    }

    #[test]
    fn methods_are_bounded() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"CANARYMETHOD").map(|m| method_label(&m));
        assert_eq!(odd.ok(), Some("OTHER"));
    }
}
