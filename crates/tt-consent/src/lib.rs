//! The consent seam of TimeTracker: the [`ConsentSource`] trait and the value
//! types it speaks in, and nothing else.
//!
//! Anything that sends data off the server (the telemetry sink, an embedded
//! error-reporting DSN) asks a `ConsentSource` before every send; anything
//! that *stores* consent (the installation store) implements it. Keeping the
//! trait in its own crate — like `tracing-core` holds `Subscriber` — lets the
//! telemetry crate be compiled, tested and reused without knowing where
//! consent is kept.
//!
//! **This crate must never depend on anything**, not even another crate of
//! ours: it is the bottom of the graph.
//!
//! # Levels and precedence
//!
//! There are two independent [`ConsentLevel`]s, both off unless somebody
//! explicitly turned them on. The effective state of a level is a value *and
//! its reason* ([`EffectiveConsent`]), computed by [`resolve`] in this order:
//!
//! 1. the deployer switched telemetry off in the environment
//!    (`DO_NOT_TRACK=1` or `ENABLE_TELEMETRY=false`) → off, and no UI can
//!    turn it back on;
//! 2. no sink is configured → off, nothing could be sent anyway;
//! 3. the deployer granted base consent for an unattended install
//!    (`ENABLE_TELEMETRY=true`, base level only) → on;
//! 4. otherwise the stored choice, with who decided and when; never asked
//!    means off.
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use tt_consent::{
//!     resolve, ConsentLevel, ConsentSource, DeployerPolicy, EffectiveConsent, Reason,
//!     StoredChoice,
//! };
//!
//! /// A consent source for an app that keeps its choice in memory.
//! struct Fixed {
//!     policy: DeployerPolicy,
//!     sink_configured: bool,
//!     detailed: Option<StoredChoice>,
//! }
//!
//! impl ConsentSource for Fixed {
//!     fn effective(&self, level: ConsentLevel) -> EffectiveConsent {
//!         let stored = match level {
//!             ConsentLevel::Base => None,
//!             ConsentLevel::Detailed => self.detailed.clone(),
//!         };
//!         resolve(level, self.policy, self.sink_configured, stored.as_ref())
//!     }
//! }
//!
//! let source = Fixed {
//!     policy: DeployerPolicy::from_env_values(None, None),
//!     sink_configured: true,
//!     detailed: Some(StoredChoice {
//!         granted: true,
//!         decided_by: Some("user:1".into()),
//!         decided_at: SystemTime::UNIX_EPOCH,
//!     }),
//! };
//! assert!(!source.allows(ConsentLevel::Base));
//! assert_eq!(source.effective(ConsentLevel::Base).reason, Reason::NeverAsked);
//! assert!(source.allows(ConsentLevel::Detailed));
//!
//! // The deployer's hard off wins over everything stored.
//! let off = Fixed { policy: DeployerPolicy::from_env_values(Some("1"), None), ..source };
//! assert!(!off.allows(ConsentLevel::Detailed));
//! assert!(matches!(off.effective(ConsentLevel::Detailed).reason, Reason::DeployerDisabled { .. }));
//! ```

use std::fmt;
use std::time::SystemTime;

/// What a piece of data needs consent for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentLevel {
    /// The anonymous installation heartbeat (install id, version, platform).
    Base,
    /// Product events and page views, tied to internal user ids.
    Detailed,
}

impl ConsentLevel {
    /// Both levels, in a stable order.
    pub const ALL: [ConsentLevel; 2] = [ConsentLevel::Base, ConsentLevel::Detailed];

    /// The lower-case name used on the wire, in metrics labels and in the UI.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConsentLevel::Base => "base",
            ConsentLevel::Detailed => "detailed",
        }
    }
}

impl fmt::Display for ConsentLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A choice somebody made and that was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChoice {
    /// `true` if consent was given, `false` if it was refused or withdrawn.
    pub granted: bool,
    /// Who decided: an opaque actor such as `user:1`, `setup-cli` or
    /// `environment`; `None` if unknown.
    pub decided_by: Option<String>,
    /// When the choice was made.
    pub decided_at: SystemTime,
}

/// Which environment variable made the deployer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployerSwitch {
    /// `DO_NOT_TRACK=1` (or `true`).
    DoNotTrack,
    /// `ENABLE_TELEMETRY=false` (or `0`, `no`, `off`).
    EnableTelemetryFalse,
}

impl DeployerSwitch {
    /// The setting as an admin would write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeployerSwitch::DoNotTrack => "DO_NOT_TRACK=1",
            DeployerSwitch::EnableTelemetryFalse => "ENABLE_TELEMETRY=false",
        }
    }
}

/// What the deployer said in the environment, read once at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeployerPolicy {
    /// Nothing said: the stored choices decide.
    #[default]
    Unset,
    /// Telemetry is hard-off; neither level can be enabled from any UI.
    Disabled(DeployerSwitch),
    /// `ENABLE_TELEMETRY=true`: base consent given for an unattended install.
    /// Detailed analytics still need an explicit admin choice.
    BaseGranted,
}

impl DeployerPolicy {
    /// Interprets the raw values of `DO_NOT_TRACK` and `ENABLE_TELEMETRY`.
    ///
    /// `DO_NOT_TRACK` wins when both are set. Values are trimmed and compared
    /// case-insensitively; an empty or unrecognised value counts as unset.
    pub fn from_env_values(do_not_track: Option<&str>, enable_telemetry: Option<&str>) -> Self {
        if do_not_track.is_some_and(is_truthy) {
            return DeployerPolicy::Disabled(DeployerSwitch::DoNotTrack);
        }
        match enable_telemetry {
            Some(v) if is_falsy(v) => {
                DeployerPolicy::Disabled(DeployerSwitch::EnableTelemetryFalse)
            }
            Some(v) if is_truthy(v) => DeployerPolicy::BaseGranted,
            _ => DeployerPolicy::Unset,
        }
    }

    /// Whether the deployer has switched telemetry off entirely.
    pub const fn is_disabled(self) -> bool {
        matches!(self, DeployerPolicy::Disabled(_))
    }
}

fn is_truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

fn is_falsy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "0" | "false" | "no" | "off"
    )
}

/// Why a level is on or off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The deployer switched telemetry off in the environment.
    DeployerDisabled {
        /// The switch that did it.
        switch: DeployerSwitch,
    },
    /// No telemetry endpoint is configured, so nothing could be sent.
    NoSinkConfigured,
    /// The deployer gave base consent with `ENABLE_TELEMETRY=true`.
    DeployerGranted,
    /// Nobody has decided yet; the default is off.
    NeverAsked,
    /// A stored choice decides.
    Stored(StoredChoice),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::DeployerDisabled { switch } => {
                write!(f, "disabled by the deployer ({})", switch.as_str())
            }
            Reason::NoSinkConfigured => f.write_str("no telemetry endpoint configured"),
            Reason::DeployerGranted => {
                f.write_str("enabled by the deployer (ENABLE_TELEMETRY=true)")
            }
            Reason::NeverAsked => f.write_str("not enabled (off by default)"),
            Reason::Stored(choice) => {
                let verb = if choice.granted {
                    "enabled"
                } else {
                    "disabled"
                };
                match &choice.decided_by {
                    Some(who) => write!(f, "{verb} by {who}"),
                    None => write!(f, "{verb} by an administrator"),
                }
            }
        }
    }
}

/// The effective state of one level: whether data may be sent, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveConsent {
    /// The level this is about.
    pub level: ConsentLevel,
    /// Whether data of this level may be sent right now.
    pub enabled: bool,
    /// Why.
    pub reason: Reason,
}

impl EffectiveConsent {
    /// Whether an admin could change this level from a UI: `false` while the
    /// deployer's hard-off is in force.
    pub fn changeable_by_admin(&self) -> bool {
        !matches!(self.reason, Reason::DeployerDisabled { .. })
    }
}

/// Computes the effective state of `level` from the deployer's policy,
/// whether a sink is configured, and the stored choice (if any).
///
/// This is the one place the precedence rules live; every [`ConsentSource`]
/// should delegate to it.
pub fn resolve(
    level: ConsentLevel,
    policy: DeployerPolicy,
    sink_configured: bool,
    stored: Option<&StoredChoice>,
) -> EffectiveConsent {
    let (enabled, reason) = match (policy, stored) {
        (DeployerPolicy::Disabled(switch), _) => (false, Reason::DeployerDisabled { switch }),
        _ if !sink_configured => (false, Reason::NoSinkConfigured),
        (DeployerPolicy::BaseGranted, _) if level == ConsentLevel::Base => {
            (true, Reason::DeployerGranted)
        }
        (_, Some(choice)) => (choice.granted, Reason::Stored(choice.clone())),
        (_, None) => (false, Reason::NeverAsked),
    };
    EffectiveConsent {
        level,
        enabled,
        reason,
    }
}

/// Something that knows the current consent state.
///
/// Implementations must be cheap to call: the telemetry sink asks on every
/// tracked event and again right before every export. Keep the state in
/// memory (an atomic or a lock held for nanoseconds) and refresh it off the
/// hot path.
pub trait ConsentSource: Send + Sync {
    /// The effective state of `level`, with its reason.
    fn effective(&self, level: ConsentLevel) -> EffectiveConsent;

    /// Whether data of `level` may be sent right now.
    fn allows(&self, level: ConsentLevel) -> bool {
        self.effective(level).enabled
    }
}

impl<T: ConsentSource + ?Sized> ConsentSource for std::sync::Arc<T> {
    fn effective(&self, level: ConsentLevel) -> EffectiveConsent {
        (**self).effective(level)
    }

    fn allows(&self, level: ConsentLevel) -> bool {
        (**self).allows(level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(granted: bool) -> StoredChoice {
        StoredChoice {
            granted,
            decided_by: Some("user:1".into()),
            decided_at: SystemTime::UNIX_EPOCH,
        }
    }

    /// Every combination of deployer policy, sink and stored choice, for both
    /// levels, against the precedence written in the crate docs.
    #[test]
    fn precedence_table() {
        let policies = [
            DeployerPolicy::Unset,
            DeployerPolicy::Disabled(DeployerSwitch::DoNotTrack),
            DeployerPolicy::Disabled(DeployerSwitch::EnableTelemetryFalse),
            DeployerPolicy::BaseGranted,
        ];
        let stored = [None, Some(choice(false)), Some(choice(true))];
        let mut checked = 0;
        for level in ConsentLevel::ALL {
            for policy in policies {
                for sink in [false, true] {
                    for s in &stored {
                        let got = resolve(level, policy, sink, s.as_ref());
                        let (enabled, reason) = match policy {
                            DeployerPolicy::Disabled(switch) => {
                                (false, Reason::DeployerDisabled { switch })
                            }
                            _ if !sink => (false, Reason::NoSinkConfigured),
                            DeployerPolicy::BaseGranted if level == ConsentLevel::Base => {
                                (true, Reason::DeployerGranted)
                            }
                            _ => match s {
                                Some(c) => (c.granted, Reason::Stored(c.clone())),
                                None => (false, Reason::NeverAsked),
                            },
                        };
                        assert_eq!(got.enabled, enabled, "{level} {policy:?} sink={sink} {s:?}");
                        assert_eq!(got.reason, reason, "{level} {policy:?} sink={sink} {s:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 2 * 4 * 2 * 3);
    }

    #[test]
    fn nothing_is_on_without_an_explicit_act() {
        for level in ConsentLevel::ALL {
            assert!(!resolve(level, DeployerPolicy::Unset, true, None).enabled);
        }
        // ENABLE_TELEMETRY=true never grants detailed analytics.
        let d = resolve(
            ConsentLevel::Detailed,
            DeployerPolicy::BaseGranted,
            true,
            None,
        );
        assert!(!d.enabled);
        assert_eq!(d.reason, Reason::NeverAsked);
    }

    #[test]
    fn deployer_off_cannot_be_changed_by_admin() {
        let e = resolve(
            ConsentLevel::Base,
            DeployerPolicy::Disabled(DeployerSwitch::DoNotTrack),
            true,
            Some(&choice(true)),
        );
        assert!(!e.enabled);
        assert!(!e.changeable_by_admin());
        assert!(e.reason.to_string().contains("DO_NOT_TRACK"));
    }

    #[test]
    fn env_values_are_parsed_strictly() {
        use DeployerPolicy as P;
        assert_eq!(P::from_env_values(None, None), P::Unset);
        assert_eq!(
            P::from_env_values(Some("1"), Some("true")),
            P::Disabled(DeployerSwitch::DoNotTrack)
        );
        assert_eq!(P::from_env_values(Some("0"), Some("true")), P::BaseGranted);
        assert_eq!(
            P::from_env_values(Some(""), Some(" FALSE ")),
            P::Disabled(DeployerSwitch::EnableTelemetryFalse)
        );
        assert_eq!(P::from_env_values(None, Some("maybe")), P::Unset);
        assert_eq!(P::from_env_values(None, Some("")), P::Unset);
    }

    #[test]
    fn reasons_read_well() {
        assert_eq!(
            Reason::NoSinkConfigured.to_string(),
            "no telemetry endpoint configured"
        );
        assert_eq!(
            Reason::Stored(choice(true)).to_string(),
            "enabled by user:1"
        );
        assert_eq!(
            Reason::Stored(choice(false)).to_string(),
            "disabled by user:1"
        );
    }
}
