//! The HTTP client handed to the official OTLP exporter.
//!
//! `opentelemetry-otlp` encodes the request; this client decides where it
//! goes and what it learns from the answer. It sends only to *our*
//! configured URL with only *our* headers — so `OTEL_EXPORTER_OTLP_*`
//! endpoints and headers picked up by the exporter's builder are ignored —
//! and it records the status code and `Retry-After` of every attempt, which
//! the exporter itself would flatten into an error string. In debug and
//! preview mode it captures the body and touches no network.

use std::future::Future;
use std::io::Read as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};

use crate::stats::lock;

/// The largest response body we read; receivers answer with a few bytes.
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// What happened to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// The receiver answered.
    Answered {
        status: u16,
        retry_after: Option<Duration>,
        /// Records a 2xx answer says it rejected (OTLP partial success).
        rejected: Option<Rejected>,
    },
    /// No answer.
    NoAnswer(NetworkFailure),
    /// Debug or preview: the body was kept, nothing was sent.
    Captured { content_type: String, body: Vec<u8> },
}

/// An OTLP partial success: the receiver accepted the request but not
/// `count` of its records, for `message`. Never retried: the receiver has
/// decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejected {
    pub count: u64,
    pub message: String,
}

/// Reads `ExportLogsServiceResponse.partial_success` from a 2xx body, in
/// the request's encoding (`json`: OTLP/JSON, else protobuf). `None` when
/// nothing was rejected or the body says nothing readable.
pub(crate) fn partial_success(json: bool, body: &[u8]) -> Option<Rejected> {
    if body.is_empty() {
        return None;
    }
    let (count, message) = if json {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let p = v
            .get("partialSuccess")
            .or_else(|| v.get("partial_success"))?;
        let n = p
            .get("rejectedLogRecords")
            .or_else(|| p.get("rejected_log_records"))?;
        // int64 is a string in OTLP/JSON; accept a number too.
        let count = n
            .as_u64()
            .or_else(|| n.as_str().and_then(|s| s.parse().ok()))?;
        let message = p
            .get("errorMessage")
            .or_else(|| p.get("error_message"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        (count, message)
    } else {
        use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
        let r = <ExportLogsServiceResponse as prost::Message>::decode(body).ok()?;
        let p = r.partial_success?;
        (u64::try_from(p.rejected_log_records).ok()?, p.error_message)
    };
    (count > 0).then(|| Rejected {
        count,
        message: message.chars().take(200).collect(),
    })
}

/// Why there was no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NetworkFailure {
    Timeout,
    Connect,
    Other,
}

impl NetworkFailure {
    pub(crate) const fn reason(self) -> &'static str {
        match self {
            NetworkFailure::Timeout => "timeout",
            NetworkFailure::Connect => "connection failed",
            NetworkFailure::Other => "network error",
        }
    }
}

#[derive(Debug)]
enum Target {
    Network {
        client: reqwest::blocking::Client,
        url: String,
        authorization: Option<HeaderValue>,
    },
    Capture,
}

/// A transport shared between the exporter (which calls it) and the sink
/// (which reads what happened).
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    target: Arc<Target>,
    last: Arc<Mutex<Option<Attempt>>>,
}

impl Transport {
    pub(crate) fn network(
        url: String,
        authorization: Option<String>,
        request_timeout: Duration,
    ) -> Result<Transport, reqwest::Error> {
        // reqwest is built without a bundled crypto provider; install ring as
        // the process default unless the app already chose one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::blocking::Client::builder()
            .timeout(request_timeout)
            .connect_timeout(request_timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let authorization = authorization.and_then(|value| {
            let mut header = HeaderValue::from_str(&value).ok()?;
            header.set_sensitive(true);
            Some(header)
        });
        Ok(Transport {
            target: Arc::new(Target::Network {
                client,
                url,
                authorization,
            }),
            last: Arc::default(),
        })
    }

    pub(crate) fn capture() -> Transport {
        Transport {
            target: Arc::new(Target::Capture),
            last: Arc::default(),
        }
    }

    /// Takes the record of the last attempt, if any.
    pub(crate) fn take_attempt(&self) -> Option<Attempt> {
        lock(&self.last).take()
    }

    fn remember(&self, attempt: Attempt) {
        *lock(&self.last) = Some(attempt);
    }

    fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (parts, body) = request.into_parts();
        let content_type = parts.headers.get(CONTENT_TYPE).cloned();
        let content_encoding = parts.headers.get(CONTENT_ENCODING).cloned();
        match &*self.target {
            Target::Capture => {
                self.remember(Attempt::Captured {
                    content_type: content_type
                        .and_then(|v| v.to_str().ok().map(str::to_owned))
                        .unwrap_or_default(),
                    body: body.to_vec(),
                });
                Ok(empty_response(200)?)
            }
            Target::Network {
                client,
                url,
                authorization,
            } => {
                let json = content_type
                    .as_ref()
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("json"));
                // The exporter's buffer itself, not a copy (a batch is ~160 KiB).
                let mut builder = client.post(url.as_str()).body(body);
                if let Some(v) = content_type {
                    builder = builder.header(CONTENT_TYPE, v);
                }
                if let Some(v) = content_encoding {
                    builder = builder.header(CONTENT_ENCODING, v);
                }
                if let Some(v) = authorization {
                    builder = builder.header(AUTHORIZATION, v.clone());
                }
                match builder.send() {
                    Ok(mut response) => {
                        let status = response.status().as_u16();
                        let retry_after = response
                            .headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
                        let mut answer = Vec::new();
                        // A failure reading the (tiny) body does not change
                        // what the status already told us.
                        let _ = (&mut response)
                            .take(MAX_RESPONSE_BYTES)
                            .read_to_end(&mut answer);
                        let rejected = (200..300)
                            .contains(&status)
                            .then(|| partial_success(json, &answer))
                            .flatten();
                        self.remember(Attempt::Answered {
                            status,
                            retry_after,
                            rejected,
                        });
                        let mut out = Response::new(Bytes::from(answer));
                        *out.status_mut() = reqwest::StatusCode::from_u16(status)?;
                        Ok(out)
                    }
                    Err(error) => {
                        let failure = if error.is_timeout() {
                            NetworkFailure::Timeout
                        } else if error.is_connect() {
                            NetworkFailure::Connect
                        } else {
                            NetworkFailure::Other
                        };
                        self.remember(Attempt::NoAnswer(failure));
                        Err(Box::new(error))
                    }
                }
            }
        }
    }
}

fn empty_response(status: u16) -> Result<Response<Bytes>, HttpError> {
    let mut out = Response::new(Bytes::new());
    *out.status_mut() = reqwest::StatusCode::from_u16(status)?;
    Ok(out)
}

// Written out rather than through `#[async_trait]` (which would be one more
// dependency): the signature is exactly what that macro generates.
impl HttpClient for Transport {
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        // Blocking on purpose, and before returning: this runs on the sink's
        // own exporter thread, so the future is already complete.
        Box::pin(std::future::ready(self.send(request)))
    }
}
/// A `Retry-After` value (RFC 9110 §10.2.3): either a number of seconds
/// or an HTTP date, which becomes the time from `now` until then (zero if
/// it has passed). Anything else is ignored.
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::{Rejected, parse_retry_after, partial_success};

    #[test]
    fn partial_success_is_read_in_both_encodings() {
        let want = Some(Rejected {
            count: 2,
            message: "too big".to_owned(),
        });
        // OTLP/JSON writes int64 as a string; some receivers write numbers.
        let json = br#"{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"too big"}}"#;
        assert_eq!(partial_success(true, json), want);
        let number = br#"{"partialSuccess":{"rejectedLogRecords":2,"errorMessage":"too big"}}"#;
        assert_eq!(partial_success(true, number), want);
        // Protobuf: field 1 (partial_success) holding field 1 = 2 and
        // field 2 = "too big".
        let proto = [
            0x0a, 0x0b, 0x08, 0x02, 0x12, 0x07, b't', b'o', b'o', b' ', b'b', b'i', b'g',
        ];
        assert_eq!(partial_success(false, &proto), want);
        // Nothing rejected, an empty body, or junk: a plain success.
        assert_eq!(partial_success(true, br#"{"partialSuccess":{}}"#), None);
        assert_eq!(partial_success(true, b"{}"), None);
        assert_eq!(partial_success(false, &[]), None);
        assert_eq!(partial_success(false, &[0xff, 0xff]), None);
        assert_eq!(partial_success(true, b"not json"), None);
    }

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 s after the epoch.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now),
            Some(Duration::from_secs(120))
        );
        // The other two date formats HTTP allows.
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:47 1994", now),
            Some(Duration::from_secs(10))
        );
        // A date in the past means "now".
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for junk in ["", "-5", "1.5", "soon", "Sun, 32 Nov 1994 08:49:37 GMT"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }
}
