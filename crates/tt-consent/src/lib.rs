//! A consent seam for telemetry: the [`ConsentSource`] trait and the value
//! types it speaks in, and nothing else — no storage, no environment, no
//! settings of any application.
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
//! its reason* ([`EffectiveConsent`]), computed by [`EffectiveConsent::resolve`] in this order:
//!
//! 1. the deployer switched telemetry off (a setting of the application,
//!    such as `DO_NOT_TRACK=1`) → off, and no UI can turn it back on;
//! 2. no sink is configured → off, nothing could be sent anyway;
//! 3. the deployer granted base consent for an unattended install (base
//!    level only) → on;
//! 4. otherwise the stored choice, with who decided and when; never asked
//!    means off.
//!
//! # Example
//!
//! ```
//! use std::time::SystemTime;
//! use tt_consent::{
//!     ConsentLevel, ConsentSource, DeployerPolicy, DeployerSwitch, EffectiveConsent,
//!     Reason, StoredChoice,
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
//!         EffectiveConsent::resolve(level, self.policy, self.sink_configured, stored.as_ref())
//!     }
//! }
//!
//! let source = Fixed {
//!     policy: DeployerPolicy::Unset, // the application read no deployer setting
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
//! let dnt = DeployerSwitch::new("DO_NOT_TRACK=1");
//! let off = Fixed { policy: DeployerPolicy::Disabled(dnt), ..source };
//! assert!(!off.allows(ConsentLevel::Detailed));
//! assert_eq!(
//!     off.effective(ConsentLevel::Detailed).reason.to_string(),
//!     "disabled by the deployer (DO_NOT_TRACK=1)"
//! );
//! ```

#![warn(missing_docs)]

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

/// The deployer's setting that decided, as an administrator would write it
/// (for example `DO_NOT_TRACK=1`). The application names its own settings;
/// this crate only carries the text to the reason shown to people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeployerSwitch(&'static str);

impl DeployerSwitch {
    /// The setting `text`, e.g. `ENABLE_TELEMETRY=false`.
    pub const fn new(text: &'static str) -> Self {
        DeployerSwitch(text)
    }

    /// The setting as an admin would write it.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for DeployerSwitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// What the deployer decided, read once at start-up by the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeployerPolicy {
    /// Nothing said: the stored choices decide.
    #[default]
    Unset,
    /// Telemetry is hard-off; neither level can be enabled from any UI.
    Disabled(DeployerSwitch),
    /// Base consent given for an unattended install. Detailed analytics
    /// still need an explicit admin choice.
    BaseGranted(DeployerSwitch),
}

impl DeployerPolicy {
    /// Whether the deployer has switched telemetry off entirely.
    pub const fn is_disabled(self) -> bool {
        matches!(self, DeployerPolicy::Disabled(_))
    }
}

/// Why a level is on or off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The deployer switched telemetry off.
    DeployerDisabled {
        /// The switch that did it.
        switch: DeployerSwitch,
    },
    /// No telemetry endpoint is configured, so nothing could be sent.
    NoSinkConfigured,
    /// The deployer gave base consent.
    DeployerGranted {
        /// The setting that did it.
        switch: DeployerSwitch,
    },
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
            Reason::DeployerGranted { switch } => {
                write!(f, "enabled by the deployer ({})", switch.as_str())
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
    /// The effective state of `level` from the deployer's policy, whether a
    /// sink is configured, and the stored choice (if any).
    ///
    /// This is the one place the precedence rules live; every
    /// [`ConsentSource`] should delegate to it.
    pub fn resolve(
        level: ConsentLevel,
        policy: DeployerPolicy,
        sink_configured: bool,
        stored: Option<&StoredChoice>,
    ) -> EffectiveConsent {
        let (enabled, reason) = match (policy, stored) {
            (DeployerPolicy::Disabled(switch), _) => (false, Reason::DeployerDisabled { switch }),
            _ if !sink_configured => (false, Reason::NoSinkConfigured),
            (DeployerPolicy::BaseGranted(switch), _) if level == ConsentLevel::Base => {
                (true, Reason::DeployerGranted { switch })
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

    /// Whether an admin could change this level from a UI: `false` while the
    /// deployer's hard-off is in force.
    pub fn changeable_by_admin(&self) -> bool {
        !matches!(self.reason, Reason::DeployerDisabled { .. })
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

    const DNT: DeployerSwitch = DeployerSwitch::new("DO_NOT_TRACK=1");
    const YES: DeployerSwitch = DeployerSwitch::new("ENABLE_TELEMETRY=true");

    fn choice(granted: bool) -> StoredChoice {
        StoredChoice {
            granted,
            decided_by: Some("user:1".into()),
            decided_at: SystemTime::UNIX_EPOCH,
        }
    }

    /// The precedence of the crate docs, case by case, with the expected
    /// verdict written out rather than computed.
    #[test]
    fn precedence_table() {
        use ConsentLevel::{Base, Detailed};
        use DeployerPolicy::{BaseGranted, Disabled, Unset};
        let on = Some(choice(true));
        let off = Some(choice(false));
        type Case<'a> = (
            ConsentLevel,
            DeployerPolicy,
            bool,
            &'a Option<StoredChoice>,
            bool,
            &'a str,
            bool,
        );
        #[rustfmt::skip]
        let cases: [Case; 16] = [
            (Base, Unset, true, &None, false, "not enabled (off by default)", true),
            (Base, Unset, true, &on, true, "enabled by user:1", true),
            (Base, Unset, true, &off, false, "disabled by user:1", true),
            (Base, Unset, false, &on, false, "no telemetry endpoint configured", true),
            (Base, Disabled(DNT), true, &on, false, "disabled by the deployer (DO_NOT_TRACK=1)", false),
            (Base, Disabled(DNT), false, &on, false, "disabled by the deployer (DO_NOT_TRACK=1)", false),
            (Base, BaseGranted(YES), true, &None, true, "enabled by the deployer (ENABLE_TELEMETRY=true)", true),
            (Base, BaseGranted(YES), true, &off, true, "enabled by the deployer (ENABLE_TELEMETRY=true)", true),
            (Base, BaseGranted(YES), false, &None, false, "no telemetry endpoint configured", true),
            (Detailed, Unset, true, &None, false, "not enabled (off by default)", true),
            (Detailed, Unset, true, &on, true, "enabled by user:1", true),
            (Detailed, Unset, false, &on, false, "no telemetry endpoint configured", true),
            (Detailed, Disabled(DNT), true, &on, false, "disabled by the deployer (DO_NOT_TRACK=1)", false),
            (Detailed, BaseGranted(YES), true, &None, false, "not enabled (off by default)", true),
            (Detailed, BaseGranted(YES), true, &on, true, "enabled by user:1", true),
            (Detailed, BaseGranted(YES), true, &off, false, "disabled by user:1", true),
        ];
        for (level, policy, sink, stored, enabled, reason, changeable) in cases {
            let got = EffectiveConsent::resolve(level, policy, sink, stored.as_ref());
            let case = format!("{level} {policy:?} sink={sink} {stored:?}");
            assert_eq!(got.enabled, enabled, "{case}");
            assert_eq!(got.reason.to_string(), reason, "{case}");
            assert_eq!(got.changeable_by_admin(), changeable, "{case}");
        }
    }
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
