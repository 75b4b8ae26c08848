//! The login throttle's rule, over state the caller stores where every
//! replica sees it: the generic cell rate algorithm (GCRA), a sliding
//! allowance rather than fixed windows. A key's whole state is one instant,
//! its *theoretical arrival time*; an attempt is admitted when it would not
//! push that instant further than one window ahead of now.

use std::time::Duration;

/// At most `burst` attempts per `window`, recovering one attempt every
/// `window / burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Milliseconds one attempt costs (`window / burst`, at least 1).
    interval_ms: i64,
    /// Milliseconds of credit: the window.
    window_ms: i64,
}

/// What [`Throttle::admit`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The attempt counts; store `state` (milliseconds since the epoch) as
    /// the key's new state.
    Admitted {
        /// The key's new theoretical arrival time.
        state: i64,
    },
    /// Over the limit; nothing changes. The next attempt is admitted after
    /// `retry_after`.
    Refused {
        /// How long until an attempt is admitted again.
        retry_after: Duration,
    },
}

impl Throttle {
    /// `burst` attempts (at least 1) per `window` (at least a millisecond
    /// per attempt).
    pub fn new(burst: u32, window: Duration) -> Self {
        let burst = i64::from(burst.max(1));
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX / 4);
        let interval_ms = (window_ms / burst).max(1);
        Throttle {
            interval_ms,
            window_ms: interval_ms.saturating_mul(burst),
        }
    }

    /// Counts one attempt at `now_ms` (milliseconds since the epoch)
    /// against a key whose stored state is `state` (`None`: never seen, or
    /// forgotten after it recovered).
    pub fn admit(&self, state: Option<i64>, now_ms: i64) -> Admission {
        let next = state
            .unwrap_or(now_ms)
            .max(now_ms)
            .saturating_add(self.interval_ms);
        let ahead = next.saturating_sub(now_ms);
        if ahead <= self.window_ms {
            Admission::Admitted { state: next }
        } else {
            let wait = u64::try_from(ahead - self.window_ms).unwrap_or(0);
            Admission::Refused {
                retry_after: Duration::from_millis(wait),
            }
        }
    }

    /// The same window with `factor` times the attempts.
    #[must_use]
    pub fn times(&self, factor: u32) -> Self {
        let burst = u32::try_from(self.window_ms / self.interval_ms).unwrap_or(u32::MAX);
        Throttle::new(
            burst.saturating_mul(factor),
            Duration::from_millis(u64::try_from(self.window_ms).unwrap_or(0)),
        )
    }
}

/// The two limits on signing in: per username **and** client address, so
/// guessing one account is slow while failures from one address never lock
/// that user out from another; and per client address, a hundred times as
/// many (an office behind one NAT address signs in together), so one
/// address cannot spray usernames. Every attempt counts, before its
/// password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Per username and client address.
    pub per_account: Throttle,
    /// Per client address.
    pub per_source: Throttle,
}

impl LoginLimits {
    /// `max_attempts` per username and address in `window`, a hundred
    /// times as many per address.
    pub fn new(max_attempts: u32, window: Duration) -> Self {
        let per_account = Throttle::new(max_attempts, window);
        LoginLimits {
            per_account,
            per_source: per_account.times(100),
        }
    }
}

impl Default for LoginLimits {
    /// Ten attempts per fifteen minutes.
    fn default() -> Self {
        LoginLimits::new(10, Duration::from_secs(15 * 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(a: Admission) -> Option<i64> {
        match a {
            Admission::Admitted { state } => Some(state),
            Admission::Refused { .. } => None,
        }
    }

    #[test]
    fn a_burst_then_one_attempt_per_interval() {
        // 3 per 30 s: one recovers every 10 s.
        let t = Throttle::new(3, Duration::from_secs(30));
        let mut state = None;
        for _ in 0..3 {
            state = Some(admitted(t.admit(state, 0)).expect("within the burst"));
        }
        assert_eq!(state, Some(30_000));
        assert_eq!(
            t.admit(state, 0),
            Admission::Refused {
                retry_after: Duration::from_secs(10)
            }
        );
        assert_eq!(
            t.admit(state, 9_999),
            Admission::Refused {
                retry_after: Duration::from_millis(1)
            }
        );
        let state = admitted(t.admit(state, 10_000)).expect("one recovered");
        assert!(admitted(t.admit(Some(state), 10_000)).is_none());
        // After a whole window everything has recovered.
        let mut s = Some(state);
        for _ in 0..3 {
            s = Some(admitted(t.admit(s, 70_000)).expect("recovered"));
        }
        assert!(admitted(t.admit(s, 70_000)).is_none());
    }

    #[test]
    fn a_refusal_changes_nothing() {
        let t = Throttle::new(1, Duration::from_secs(60));
        let s = admitted(t.admit(None, 0));
        assert_eq!(s, Some(60_000));
        for now in [1, 1_000, 59_999] {
            assert!(admitted(t.admit(s, now)).is_none());
        }
        assert_eq!(admitted(t.admit(s, 60_000)), Some(120_000));
    }

    #[test]
    fn per_source_allows_a_hundred_times_as_many() {
        let limits = LoginLimits::new(3, Duration::from_secs(900));
        let mut s = None;
        for _ in 0..300 {
            s = Some(admitted(limits.per_source.admit(s, 0)).expect("within"));
        }
        assert!(admitted(limits.per_source.admit(s, 0)).is_none());
    }

    #[test]
    fn degenerate_settings_still_limit() {
        let t = Throttle::new(0, Duration::ZERO);
        let s = admitted(t.admit(None, 5)).expect("one attempt");
        assert!(admitted(t.admit(Some(s), 5)).is_none());
        assert!(admitted(t.admit(Some(s), 6)).is_some());
    }
}
