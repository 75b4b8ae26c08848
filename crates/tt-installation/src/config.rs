//! The installation document itself: its fields, how a fresh one is made,
//! how it is validated, encoded and decoded.

use std::fmt;
use std::time::SystemTime;

use chrono::{DateTime, SubsecRound, Utc};
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use tt_consent::{ConsentLevel, StoredChoice};
use uuid::Uuid;

use crate::error::{RandomUnavailable, StoreError, ValidationError};

/// The `schema_version` this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The file name of the document inside the config directory.
pub const FILE_NAME: &str = "installation.json";

/// The installation document, as stored in `installation.json`.
///
/// Fields are public to read; build a new one with
/// [`InstallationConfig::generate`] and change a live one through
/// [`Installation`](crate::Installation), which validates and persists.
/// Every backend validates before writing, so a document that breaks a rule
/// is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstallationConfig {
    /// The document's format version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The stable, random identity sent with telemetry.
    pub install_id: Uuid,
    /// 32 random bytes, hex-encoded; salts the host [fingerprint](Self::fingerprint).
    pub telemetry_salt: TelemetrySalt,
    /// Whether first-run setup has been completed.
    pub setup_complete: bool,
    /// When setup was completed (`null` until then).
    pub setup_completed_at: Option<DateTime<Utc>>,
    /// The stored choice for base telemetry, `null` if never asked.
    pub base_consent: Option<ConsentDecision>,
    /// The stored choice for detailed analytics, `null` if never asked.
    pub detailed_consent: Option<ConsentDecision>,
    /// When the current identity was created (reset by an id rotation so
    /// the new id cannot be linked to the old one by this timestamp).
    pub first_seen_at: DateTime<Utc>,
    /// When the telemetry sink last reported a successful `first_seen`
    /// send for the current identity; `null` until then.
    pub first_seen_sent_at: Option<DateTime<Utc>>,
}

/// A stored consent choice: who decided what, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentDecision {
    /// `true` if consent was given, `false` if refused or withdrawn.
    pub granted: bool,
    /// An opaque actor such as `user:1`, `setup-cli` or `environment`.
    pub decided_by: String,
    /// When the choice was made.
    pub decided_at: DateTime<Utc>,
}

impl ConsentDecision {
    /// The choice in the consent seam's terms.
    pub fn to_stored_choice(&self) -> StoredChoice {
        StoredChoice {
            granted: self.granted,
            decided_by: Some(self.decided_by.clone()),
            decided_at: SystemTime::from(self.decided_at),
        }
    }
}

impl InstallationConfig {
    /// A brand-new identity: random install id and salt from the operating
    /// system's generator, setup not done, nothing consented to.
    pub fn generate() -> Result<Self, RandomUnavailable> {
        let rng = SystemRandom::new();
        let mut id_bytes = [0u8; 16];
        rng.fill(&mut id_bytes).map_err(|_| RandomUnavailable)?;
        Ok(InstallationConfig {
            schema_version: SCHEMA_VERSION,
            install_id: uuid::Builder::from_random_bytes(id_bytes).into_uuid(),
            telemetry_salt: TelemetrySalt::generate(&rng)?,
            setup_complete: false,
            setup_completed_at: None,
            base_consent: None,
            detailed_consent: None,
            first_seen_at: now(),
            first_seen_sent_at: None,
        })
    }

    /// The stored choice for `level`, if any.
    pub fn consent(&self, level: ConsentLevel) -> Option<&ConsentDecision> {
        match level {
            ConsentLevel::Base => self.base_consent.as_ref(),
            ConsentLevel::Detailed => self.detailed_consent.as_ref(),
        }
    }

    pub(crate) fn consent_mut(&mut self, level: ConsentLevel) -> &mut Option<ConsentDecision> {
        match level {
            ConsentLevel::Base => &mut self.base_consent,
            ConsentLevel::Detailed => &mut self.detailed_consent,
        }
    }

    /// The host fingerprint: lower-case hex SHA-256 of the hostname's bytes
    /// followed by the salt's hex text. It cannot be reversed to the host,
    /// and changes when the salt does.
    pub fn fingerprint(&self, hostname: &str) -> String {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(hostname.as_bytes());
        ctx.update(self.telemetry_salt.as_hex().as_bytes());
        lower_hex(ctx.finish().as_ref())
    }

    /// Checks the rules serde cannot: schema version, a random v4 id, setup
    /// fields that agree, and decisions that say who made them.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(ValidationError::SchemaVersion {
                found: self.schema_version,
                expected: SCHEMA_VERSION,
            });
        }
        if self.install_id.get_version() != Some(uuid::Version::Random)
            || self.install_id.get_variant() != uuid::Variant::RFC4122
        {
            return Err(ValidationError::InstallIdNotRandom {
                found: self.install_id,
            });
        }
        // The salt is checked when it is parsed; a salt built in code went
        // through the same constructor.
        if self.setup_complete != self.setup_completed_at.is_some() {
            return Err(ValidationError::SetupStateInconsistent {
                setup_complete: self.setup_complete,
            });
        }
        for level in ConsentLevel::ALL {
            if self
                .consent(level)
                .is_some_and(|d| d.decided_by.trim().is_empty())
            {
                return Err(ValidationError::BlankDecidedBy { level });
            }
        }
        Ok(())
    }

    /// Decodes and validates a stored document. `location` names where it
    /// came from (a path, a table) and appears in every error.
    ///
    /// Backends written outside this crate should use this, so that every
    /// store applies the same rules.
    pub fn from_json(bytes: &[u8], location: &str) -> Result<Self, StoreError> {
        let location = || location.to_owned();
        let text = std::str::from_utf8(bytes).map_err(|source| StoreError::NotUtf8 {
            location: location(),
            source,
        })?;
        if text.trim().is_empty() {
            return Err(StoreError::Empty {
                location: location(),
            });
        }
        // Look at the version first, so a newer file is reported as such
        // rather than as "corrupt" because of a field this build lacks.
        #[derive(Deserialize)]
        struct VersionProbe {
            schema_version: Option<u64>,
        }
        if let Ok(VersionProbe {
            schema_version: Some(found),
        }) = serde_json::from_str::<VersionProbe>(text)
            && found > u64::from(SCHEMA_VERSION)
        {
            return Err(StoreError::UnsupportedSchema {
                location: location(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let cfg: InstallationConfig =
            serde_json::from_str(text).map_err(|source| StoreError::Malformed {
                location: location(),
                source,
            })?;
        cfg.validate().map_err(|source| StoreError::Invalid {
            location: location(),
            source,
        })?;
        Ok(cfg)
    }

    /// Validates and encodes the document as pretty JSON with a trailing
    /// newline, the form written to `installation.json`.
    pub fn to_json(&self, location: &str) -> Result<Vec<u8>, StoreError> {
        self.validate().map_err(|source| StoreError::Invalid {
            location: location.to_owned(),
            source,
        })?;
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|source| StoreError::Encode {
            location: location.to_owned(),
            source,
        })?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// The per-installation salt: 32 random bytes as 64 lower-case hex digits.
///
/// Its `Debug` output is redacted: the salt is what keeps the fingerprint
/// from being recomputed from a hostname.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TelemetrySalt(String);

impl TelemetrySalt {
    /// 32 fresh bytes from `rng`.
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self, RandomUnavailable> {
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes).map_err(|_| RandomUnavailable)?;
        Ok(TelemetrySalt(lower_hex(&bytes)))
    }

    /// Accepts exactly 64 lower-case hex digits.
    pub fn parse(hex: &str) -> Result<Self, ValidationError> {
        let found = hex.chars().count();
        if found != 64 {
            return Err(ValidationError::SaltLength { found });
        }
        if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ValidationError::SaltNotLowerHex);
        }
        Ok(TelemetrySalt(hex.to_owned()))
    }

    /// The salt as stored: 64 lower-case hex digits.
    pub fn as_hex(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TelemetrySalt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TelemetrySalt(***)")
    }
}

impl TryFrom<String> for TelemetrySalt {
    type Error = ValidationError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        TelemetrySalt::parse(&value)
    }
}

impl From<TelemetrySalt> for String {
    fn from(salt: TelemetrySalt) -> String {
        salt.0
    }
}

/// The current time, to the millisecond (the stored precision).
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
#[allow(clippy::expect_used, reason = "a failed expectation is a failed test")]
mod tests {
    use super::*;

    fn sample() -> InstallationConfig {
        InstallationConfig::generate().expect("randomness")
    }

    #[test]
    fn generated_documents_are_valid_and_distinct() {
        let a = sample();
        let b = sample();
        a.validate().expect("valid");
        assert_eq!(a.install_id.get_version_num(), 4);
        assert_eq!(a.telemetry_salt.as_hex().len(), 64);
        assert_ne!(a.install_id, b.install_id);
        assert_ne!(a.telemetry_salt, b.telemetry_salt);
        assert!(!a.setup_complete);
        assert_eq!(a.base_consent, None);
        assert_eq!(a.detailed_consent, None);
    }

    #[test]
    fn json_round_trip_uses_rfc3339_utc_and_nulls() {
        let mut cfg = sample();
        cfg.base_consent = Some(ConsentDecision {
            granted: true,
            decided_by: "user:1".into(),
            decided_at: now(),
        });
        let bytes = cfg.to_json("test").expect("encode");
        let text = String::from_utf8(bytes.clone()).expect("utf8");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(value["schema_version"], 1);
        assert!(value["detailed_consent"].is_null());
        assert!(value["first_seen_sent_at"].is_null());
        assert!(value["setup_completed_at"].is_null());
        let first_seen = value["first_seen_at"].as_str().expect("string");
        assert!(first_seen.ends_with('Z'), "{first_seen}");
        DateTime::parse_from_rfc3339(first_seen).expect("rfc3339");
        assert_eq!(
            InstallationConfig::from_json(&bytes, "test").expect("decode"),
            cfg
        );
    }

    #[test]
    fn salt_rules() {
        assert_eq!(
            TelemetrySalt::parse("abc"),
            Err(ValidationError::SaltLength { found: 3 })
        );
        assert_eq!(
            TelemetrySalt::parse(&"A".repeat(64)),
            Err(ValidationError::SaltNotLowerHex)
        );
        assert_eq!(
            TelemetrySalt::parse(&"g".repeat(64)),
            Err(ValidationError::SaltNotLowerHex)
        );
        assert!(TelemetrySalt::parse(&"0f".repeat(32)).is_ok());
        assert_eq!(
            format!("{:?}", TelemetrySalt::parse(&"0f".repeat(32))),
            "Ok(TelemetrySalt(***))"
        );
    }

    #[test]
    fn validation_rules() {
        let mut cfg = sample();
        cfg.install_id = Uuid::nil();
        assert!(matches!(
            cfg.validate(),
            Err(ValidationError::InstallIdNotRandom { .. })
        ));

        let mut cfg = sample();
        // A time-based (v1-style) id is not acceptable.
        cfg.install_id = Uuid::from_u128(0x6ba7b810_9dad_11d1_80b4_00c04fd430c8);
        assert!(cfg.validate().is_err());

        let mut cfg = sample();
        cfg.setup_complete = true;
        assert_eq!(
            cfg.validate(),
            Err(ValidationError::SetupStateInconsistent {
                setup_complete: true
            })
        );

        let mut cfg = sample();
        cfg.detailed_consent = Some(ConsentDecision {
            granted: false,
            decided_by: "  ".into(),
            decided_at: now(),
        });
        assert_eq!(
            cfg.validate(),
            Err(ValidationError::BlankDecidedBy {
                level: ConsentLevel::Detailed
            })
        );

        let mut cfg = sample();
        cfg.schema_version = 0;
        assert!(matches!(
            cfg.validate(),
            Err(ValidationError::SchemaVersion { found: 0, .. })
        ));
        assert!(matches!(cfg.to_json("x"), Err(StoreError::Invalid { .. })));
    }

    #[test]
    fn newer_schema_is_reported_as_such() {
        let err = InstallationConfig::from_json(br#"{"schema_version": 7, "new": 1}"#, "/x/y")
            .expect_err("newer");
        assert!(matches!(
            err,
            StoreError::UnsupportedSchema { found: 7, .. }
        ));
        assert!(err.to_string().contains("/x/y"));
    }

    #[test]
    fn hex_encoding() {
        assert_eq!(lower_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    /// Known answers computed outside Rust (`printf '...' | sha256sum`), and
    /// the same digest computed by ring over the concatenated text.
    #[test]
    fn fingerprint_known_answer() {
        let mut cfg = sample();
        cfg.telemetry_salt = TelemetrySalt::parse(&"ab".repeat(32)).expect("salt");
        assert_eq!(
            cfg.fingerprint("host.example"),
            "ff3f1fcc23c5cf1df824c50c15684e6f5f5066c21d09f6662c3663c8c0d7b029"
        );
        let whole = format!("host.example{}", "ab".repeat(32));
        let by_hand = digest::digest(&digest::SHA256, whole.as_bytes());
        assert_eq!(cfg.fingerprint("host.example"), lower_hex(by_hand.as_ref()));
        // A different hostname gives an unrelated fingerprint.
        assert_ne!(
            cfg.fingerprint("host.example2"),
            cfg.fingerprint("host.example")
        );
    }
}
