//! The deletion request: one explicit `base_telemetry.deletion_request`
//! record, asking the receiver to delete everything it stored under the
//! current install id. Sent only when an administrator asks — withdrawing
//! consent sends nothing — and sent directly rather than queued, so the
//! caller knows whether the receiver accepted it before the id is replaced.

use std::time::{Duration, SystemTime};

use tt_consent::ConsentLevel;

use crate::base::{BaseKind, BuildInfo, base_attributes};
use crate::config::{Protocol, TelemetryConfig, logs_url};
use crate::error::TelemetryError;
use crate::identity::{IdentitySnapshot, InstallIdentity};
use crate::record::{Encoder, Payload, QueuedItem};
use crate::transport::Transport;
use crate::worker::{Verdict, judge};

/// Attempts before giving up (retryable answers and network failures only).
const ATTEMPTS: u32 = 3;
/// The longest wait between attempts, whatever `Retry-After` says.
const MAX_WAIT: Duration = Duration::from_secs(10);

/// Where a deletion request goes, and how it is encoded.
#[derive(Debug, Clone)]
pub(crate) struct DeletionTarget {
    pub url: String,
    pub authorization: Option<String>,
    pub timeout: Duration,
    pub protocol: Protocol,
    pub build: BuildInfo,
}

impl DeletionTarget {
    /// The target of `config`: its endpoint, unless there is none or debug
    /// mode keeps everything local.
    pub(crate) fn of(config: &TelemetryConfig) -> Result<DeletionTarget, TelemetryError> {
        if config.debug {
            return Err(TelemetryError::NotDelivered(
                "debug mode never sends anything".to_owned(),
            ));
        }
        let endpoint = config.endpoint.as_deref().ok_or_else(|| {
            TelemetryError::NotDelivered("no telemetry endpoint is configured".to_owned())
        })?;
        Ok(DeletionTarget {
            url: logs_url(endpoint, "endpoint")?,
            authorization: config.token.as_ref().map(crate::config::authorization),
            timeout: config.request_timeout,
            protocol: config.protocol,
            build: BuildInfo::of(config),
        })
    }

    /// Sends the request for `identity` (on a thread of its own, so any
    /// caller may block on it) and waits for the receiver's verdict.
    pub(crate) fn deliver(&self, identity: IdentitySnapshot) -> Result<(), TelemetryError> {
        let target = self.clone();
        std::thread::Builder::new()
            .name("tt-telemetry-deletion".to_owned())
            .spawn(move || target.deliver_here(&identity))
            .map_err(TelemetryError::Thread)?
            .join()
            .unwrap_or_else(|_| {
                Err(TelemetryError::NotDelivered(
                    "the sending thread failed".to_owned(),
                ))
            })
    }

    fn deliver_here(&self, identity: &IdentitySnapshot) -> Result<(), TelemetryError> {
        let transport =
            Transport::network(self.url.clone(), self.authorization.clone(), self.timeout)
                .map_err(TelemetryError::HttpClient)?;
        let encoder = Encoder::new(
            transport,
            &self.url,
            self.protocol,
            &self.build,
            self.timeout,
        )?;
        let now = SystemTime::now();
        let item = QueuedItem {
            payload: Payload::Base {
                kind: BaseKind::DeletionRequest,
                attributes: base_attributes(BaseKind::DeletionRequest, identity, &self.build, now),
            },
            level: ConsentLevel::Base,
            at: now,
            epoch: 0,
            install_id: identity.install_id,
        };
        let record = encoder.record(&item, identity.install_id);
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let outcome = encoder
                .export(std::slice::from_ref(&record))
                .map_err(TelemetryError::Encode)?;
            let wait = match judge(outcome, self.protocol) {
                Verdict::Sent => return Ok(()),
                Verdict::Partial(r) => {
                    return Err(TelemetryError::NotDelivered(format!(
                        "the receiver rejected it: {}",
                        r.message
                    )));
                }
                Verdict::Fail(reason) => return Err(TelemetryError::NotDelivered(reason)),
                Verdict::Logged(_) => {
                    return Err(TelemetryError::NotDelivered("nothing was sent".to_owned()));
                }
                Verdict::Retry {
                    reason,
                    retry_after,
                } => {
                    last = reason;
                    retry_after.unwrap_or(Duration::from_secs(u64::from(attempt)))
                }
            };
            if attempt < ATTEMPTS {
                std::thread::sleep(wait.min(MAX_WAIT));
            }
        }
        Err(TelemetryError::NotDelivered(format!(
            "{last}, after {ATTEMPTS} attempts"
        )))
    }
}

/// Sends one `base_telemetry.deletion_request` for `identity`'s current
/// install id to `config`'s endpoint, without a running sink (a command
/// line, say), retrying network failures and 429/502/503/504 a few times.
/// `Ok` once the receiver accepted it. Replacing the install id afterwards
/// is the caller's job.
pub fn send_deletion_request(
    config: &TelemetryConfig,
    identity: &dyn InstallIdentity,
) -> Result<(), TelemetryError> {
    DeletionTarget::of(config)?.deliver(identity.snapshot())
}
