//! The exporter thread: heartbeats, batching, consent re-checks, retries.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use tt_consent::ConsentLevel;

use crate::base::BaseKind;
use crate::record::{Encoder, Payload, QueuedItem, body_to_json};
use crate::sink::Shared;
use crate::stats::{Outcome, set_queue_depth};
use crate::transport::Attempt;

/// How one export attempt ended.
pub(crate) enum Verdict {
    Sent,
    /// Accepted, but the receiver rejected `count` records for good.
    Partial(crate::transport::Rejected),
    Logged(String),
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
    Fail(String),
}

pub(crate) fn run(shared: &Shared, encoder: &Encoder) {
    let settings = &shared.settings;
    // The first heartbeat goes out as soon as the thread starts.
    let mut next_heartbeat = Instant::now();
    loop {
        let deadline = wait_for_work(shared, next_heartbeat);
        shared.stats.publish();

        // Consent may have been withdrawn without `consent_changed()`.
        for level in ConsentLevel::ALL {
            if !shared.allows(level) {
                shared.purge(level, Outcome::DroppedNoConsent);
            }
        }

        let nudged = std::mem::take(&mut shared.lock_queue().nudged);
        if deadline.is_none() {
            let heartbeat_due = Instant::now() >= next_heartbeat;
            if heartbeat_due || nudged {
                base_telemetry(shared, heartbeat_due);
            }
            if heartbeat_due {
                next_heartbeat = Instant::now() + settings.heartbeat_interval;
            }
        }

        // Send everything queued now, batch by batch.
        loop {
            let batch: Vec<QueuedItem> = {
                let mut q = shared.lock_queue();
                let n = q.items.len().min(settings.batch_size);
                q.items.drain(..n).collect()
            };
            set_queue_depth(shared.lock_queue().items.len());
            if batch.is_empty() {
                break;
            }
            export_with_retry(shared, encoder, batch);
            if past_deadline(shared) {
                break;
            }
        }

        if shared.lock_queue().deadline.is_some() {
            let left: Vec<QueuedItem> = shared.lock_queue().items.drain(..).collect();
            for item in &left {
                shared.stats.record(item.level, Outcome::Failed, 1);
            }
            if !left.is_empty() {
                shared
                    .stats
                    .error(SystemTime::now(), "shutdown timeout".to_owned());
            }
            set_queue_depth(0);
            return;
        }
    }
}

/// Sleeps until there is something to do; returns the shutdown deadline if
/// one is set.
fn wait_for_work(shared: &Shared, next_heartbeat: Instant) -> Option<Instant> {
    let settings = &shared.settings;
    let mut q = shared.lock_queue();
    let now = Instant::now();
    let idle = q.deadline.is_none()
        && !q.nudged
        && q.items.len() < settings.batch_size
        && now < next_heartbeat;
    if idle {
        let wait = settings
            .export_interval
            .min(next_heartbeat.saturating_duration_since(now));
        q = match shared.wake.wait_timeout(q, wait) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
    q.deadline
}

fn past_deadline(shared: &Shared) -> bool {
    shared
        .lock_queue()
        .deadline
        .is_some_and(|d| Instant::now() >= d)
}

/// Queues `first_seen` (if still owed) and, on a tick, a heartbeat — only
/// while base telemetry is allowed.
fn base_telemetry(shared: &Shared, heartbeat_due: bool) {
    if !shared.allows(ConsentLevel::Base) {
        if heartbeat_due {
            shared
                .stats
                .record(ConsentLevel::Base, Outcome::DroppedNoConsent, 1);
        }
        return;
    }
    let owed = !shared.identity.snapshot().first_seen_sent
        && !shared.lock_queue().items.iter().any(|i| {
            matches!(
                i.payload,
                Payload::Base {
                    kind: BaseKind::FirstSeen,
                    ..
                }
            )
        });
    let now = SystemTime::now();
    // Replicas of one installation take turns: only the one whose claim
    // succeeds sends (the store decides, so restarts count too).
    if owed && shared.identity.claim_first_seen(now) {
        shared.enqueue_base(BaseKind::FirstSeen);
    }
    if heartbeat_due {
        if shared
            .identity
            .claim_heartbeat(now, shared.settings.heartbeat_interval)
        {
            shared.enqueue_base(BaseKind::Heartbeat);
        } else {
            tracing::debug!("heartbeat of this interval already sent by another process");
        }
    }
}

fn export_with_retry(shared: &Shared, encoder: &Encoder, mut items: Vec<QueuedItem>) {
    let retry = &shared.settings.retry;
    let mut attempt: u32 = 0;
    loop {
        // One attempt at a time under the gate: a deletion request waits for
        // it, and what it purged meanwhile is gone before the next one.
        let gate = crate::stats::lock(&shared.export_gate);
        let install_id = shared.identity.snapshot().install_id;
        // Right before every attempt: purged, queued under an install id
        // since replaced, or no longer consented → gone.
        let mut checked: HashSet<ConsentLevel> = HashSet::new();
        let mut allowed = [false; 2];
        items.retain(|item| {
            let l = usize::from(item.level == ConsentLevel::Detailed);
            if checked.insert(item.level) {
                allowed[l] = shared.allows(item.level);
            }
            if item.epoch < shared.epoch(item.level) || item.install_id != install_id {
                shared.stats.record(item.level, Outcome::Purged, 1);
                false
            } else if !allowed[l] {
                shared
                    .stats
                    .record(item.level, Outcome::DroppedNoConsent, 1);
                false
            } else {
                true
            }
        });
        if items.is_empty() {
            return;
        }

        let records: Vec<_> = items
            .iter()
            .map(|i| encoder.record(i, i.install_id))
            .collect();
        let verdict = match encoder.export(&records) {
            Ok(attempt) => judge(attempt, shared.settings.protocol),
            Err(e) => Verdict::Fail(format!("encoding failed: {e}")),
        };
        let now = SystemTime::now();
        match verdict {
            Verdict::Sent | Verdict::Partial(_) => {
                if let Verdict::Partial(r) = &verdict {
                    // The receiver does not say which: the last records of
                    // the batch are counted as the rejected ones.
                    let n = usize::try_from(r.count)
                        .unwrap_or(usize::MAX)
                        .min(items.len());
                    let (kept, refused) = items.split_at(items.len() - n);
                    count_all(shared, kept, Outcome::Sent);
                    count_all(shared, refused, Outcome::Rejected);
                    let reason = format!("receiver rejected {n} record(s): {}", r.message);
                    tracing::warn!(target: "tt_telemetry", rejected = n, reason = %reason, "partial success");
                    shared.stats.error(now, reason);
                } else {
                    count_all(shared, &items, Outcome::Sent);
                }
                shared.stats.success(now);
                for item in &items {
                    if let Payload::Base { kind, .. } = item.payload {
                        match kind {
                            BaseKind::FirstSeen => shared.identity.first_seen_delivered(now),
                            BaseKind::Heartbeat => shared.identity.heartbeat_delivered(now),
                            // Never queued: sent by `deletion` directly.
                            BaseKind::DeletionRequest => {}
                        }
                    }
                }
                return;
            }
            Verdict::Logged(json) => {
                count_all(shared, &items, Outcome::DebugLogged);
                tracing::info!(
                    target: "tt_telemetry::debug",
                    records = items.len(),
                    payload = %json,
                    "debug mode: payload not sent"
                );
                return;
            }
            Verdict::Retry {
                reason,
                retry_after,
            } if attempt < retry.max_retries => {
                drop(gate);
                let delay = match retry_after {
                    Some(wait) if wait > retry.max_retry_after => {
                        give_up(shared, &items, format!("{reason}, Retry-After too long"));
                        return;
                    }
                    Some(wait) => wait + jitter(Duration::from_millis(100)),
                    None => backoff(retry.initial_backoff, retry.max_backoff, attempt),
                };
                shared.stats.error(now, reason.clone());
                if !sleep_unless_shutdown(shared, delay) {
                    give_up(shared, &items, format!("{reason}, shutdown timeout"));
                    return;
                }
                count_all(shared, &items, Outcome::Retried);
                attempt += 1;
            }
            Verdict::Retry { reason, .. } => {
                give_up(shared, &items, format!("{reason}, retries exhausted"));
                return;
            }
            Verdict::Fail(reason) => {
                give_up(shared, &items, reason);
                return;
            }
        }
    }
}

pub(crate) fn judge(attempt: Attempt, protocol: crate::config::Protocol) -> Verdict {
    match attempt {
        Attempt::Answered {
            status,
            rejected: Some(r),
            ..
        } if (200..300).contains(&status) => Verdict::Partial(r),
        Attempt::Answered { status, .. } if (200..300).contains(&status) => Verdict::Sent,
        Attempt::Answered {
            status: status @ (429 | 502 | 503 | 504),
            retry_after,
            ..
        } => Verdict::Retry {
            reason: format!("HTTP {status}"),
            retry_after,
        },
        Attempt::Answered { status, .. } => Verdict::Fail(format!("HTTP {status}")),
        Attempt::NoAnswer(failure) => Verdict::Retry {
            reason: failure.reason().to_owned(),
            retry_after: None,
        },
        Attempt::Captured { body, .. } => match body_to_json(protocol, &body) {
            Ok(json) => Verdict::Logged(json),
            Err(e) => Verdict::Fail(format!("debug decode failed: {e}")),
        },
    }
}

fn count_all(shared: &Shared, items: &[QueuedItem], outcome: Outcome) {
    for level in ConsentLevel::ALL {
        let n = items.iter().filter(|i| i.level == level).count();
        shared.stats.record(level, outcome, n as u64);
    }
}

fn give_up(shared: &Shared, items: &[QueuedItem], reason: String) {
    count_all(shared, items, Outcome::Failed);
    tracing::warn!(
        target: "tt_telemetry",
        records = items.len(),
        reason = reason.as_str(),
        "telemetry export failed; records dropped"
    );
    shared.stats.error(SystemTime::now(), reason);
}

/// Waits `delay`, waking early for shutdown. Returns `false` when a
/// shutdown deadline would pass before the wait is over.
fn sleep_unless_shutdown(shared: &Shared, delay: Duration) -> bool {
    let until = Instant::now() + delay;
    let mut q = shared.lock_queue();
    loop {
        if q.deadline.is_some_and(|d| d < until) {
            return false;
        }
        let now = Instant::now();
        if now >= until {
            return true;
        }
        q = match shared.wake.wait_timeout(q, until - now) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
}

/// Exponential backoff from `initial`, capped at `max`, with up to 50 %
/// random jitter on top so many installations do not retry in step.
fn backoff(initial: Duration, max: Duration, attempt: u32) -> Duration {
    let base = initial
        .saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX))
        .min(max);
    base + jitter(base / 2)
}

fn jitter(max: Duration) -> Duration {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 4];
    let random = ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map(|()| u32::from_le_bytes(bytes))
        .unwrap_or(0);
    let max_ms = u32::try_from(max.as_millis()).unwrap_or(u32::MAX);
    if max_ms == 0 {
        Duration::ZERO
    } else {
        Duration::from_millis(u64::from(random % max_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let initial = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        // The window each attempt's wait must fall in (base to base + 50 %
        // jitter), written out: 100 ms doubling, capped at 1 s.
        let windows_ms = [
            (0, 100, 150),
            (1, 200, 300),
            (2, 400, 600),
            (3, 800, 1200),
            (4, 1000, 1500),
            (10, 1000, 1500),
            (31, 1000, 1500),
            (u32::MAX, 1000, 1500),
        ];
        for (attempt, low, high) in windows_ms {
            for _ in 0..50 {
                let d = backoff(initial, max, attempt);
                assert!(
                    d >= Duration::from_millis(low) && d < Duration::from_millis(high),
                    "attempt {attempt}: {d:?}"
                );
            }
        }
        assert_eq!(
            backoff(Duration::ZERO, max, 3),
            Duration::ZERO,
            "no backoff, no jitter"
        );
    }

    #[test]
    fn statuses_are_classified_per_otlp() {
        let p = crate::config::Protocol::HttpProtobuf;
        for status in [429, 502, 503, 504] {
            assert!(matches!(
                judge(
                    Attempt::Answered {
                        status,
                        retry_after: None,
                        rejected: None,
                    },
                    p
                ),
                Verdict::Retry { .. }
            ));
        }
        for status in [400, 401, 403, 404, 413, 500, 501] {
            assert!(matches!(
                judge(
                    Attempt::Answered {
                        status,
                        retry_after: None,
                        rejected: None,
                    },
                    p
                ),
                Verdict::Fail(_)
            ));
        }
        assert!(matches!(
            judge(
                Attempt::Answered {
                    status: 204,
                    retry_after: None,
                    rejected: None,
                },
                p
            ),
            Verdict::Sent
        ));
    }
}
