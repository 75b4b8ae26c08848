//! Who is sending: the installation's identity and the few facts about its
//! host that base telemetry reports, each in a type that cannot hold a
//! hostname, a path or other free text.
//!
//! The app implements [`InstallIdentity`] on top of its installation store;
//! [`InMemoryIdentity`] is a complete implementation for tests and for apps
//! that keep nothing on disk.

use std::fmt;
use std::sync::Mutex;
use std::time::SystemTime;

use crate::error::InvalidValue;
use crate::values::{Architecture, DeploymentType, Platform};

/// The installation's random id (a UUID v4), the stable identity sent with
/// every record. Rotating it unlinks everything sent before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstallId(uuid::Uuid);

impl InstallId {
    /// Wraps a UUID.
    pub const fn new(id: uuid::Uuid) -> Self {
        InstallId(id)
    }

    /// A fresh random id.
    pub fn random() -> Self {
        InstallId(uuid::Uuid::new_v4())
    }

    /// Parses the hyphenated UUID form.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        uuid::Uuid::parse_str(text.trim())
            .map(InstallId)
            .map_err(|_| InvalidValue::new("install id", "not a UUID"))
    }

    /// The UUID.
    pub const fn get(self) -> uuid::Uuid {
        self.0
    }
}

impl fmt::Display for InstallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

/// A SHA-256 digest identifying the installation's host without revealing
/// it: hex SHA-256 of the hostname followed by the installation's salt. Only
/// the digest is kept; the hostname never enters this crate's state.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// Computes `sha256(hostname ++ salt)`.
    pub fn derive(hostname: &str, salt: &str) -> Self {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(hostname.as_bytes());
        ctx.update(salt.as_bytes());
        let digest = ctx.finish();
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        Fingerprint(out)
    }

    /// Wraps a digest computed elsewhere.
    pub const fn from_digest(digest: [u8; 32]) -> Self {
        Fingerprint(digest)
    }

    /// Parses 64 hex digits (as stored by the installation store).
    pub fn from_hex(text: &str) -> Result<Self, InvalidValue> {
        let text = text.trim();
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(InvalidValue::new("fingerprint", "not 64 hex digits"));
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = hex_digit(pair[0]);
            let lo = hex_digit(pair[1]);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out[i] = hi << 4 | lo,
                _ => return Err(InvalidValue::new("fingerprint", "not 64 hex digits")),
            }
        }
        Ok(Fingerprint(out))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::with_capacity(64);
        for b in self.0 {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The app's version, e.g. `1.4.2` or `0.1.0-rc.1+3f2a9c1`: starts with a
/// digit, then at most 63 of `0-9 A-Z a-z . + -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppVersion(String);

impl AppVersion {
    /// Validates a version string.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text.as_bytes()[0].is_ascii_digit()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'));
        if ok {
            Ok(AppVersion(text.to_owned()))
        } else {
            Err(InvalidValue::new(
                "app version",
                "must start with a digit and contain only 0-9 A-Z a-z . + -",
            ))
        }
    }

    /// The version text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The operating system's version number: only the leading dotted numbers
/// (at most four) of whatever the system reports, so `6.1.0-18-amd64` becomes
/// `6.1.0`; `unknown` when there are none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OsVersion(String);

impl OsVersion {
    /// The value sent when the version is not known.
    pub fn unknown() -> Self {
        OsVersion("unknown".to_owned())
    }

    /// Keeps the leading dotted numbers of `text`; `None` if it has none.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_matches('"');
        let mut parts = Vec::new();
        for part in text.split('.').take(4) {
            let digits: String = part
                .chars()
                .take_while(char::is_ascii_digit)
                .take(9)
                .collect();
            if digits.is_empty() {
                break;
            }
            let whole = digits.len() == part.len();
            parts.push(digits);
            if !whole {
                break;
            }
        }
        if parts.is_empty() {
            None
        } else {
            Some(OsVersion(parts.join(".")))
        }
    }

    /// Reads `VERSION_ID` from `/etc/os-release` (Linux); `unknown`
    /// elsewhere or when it cannot be read.
    pub fn detect() -> Self {
        std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|line| line.strip_prefix("VERSION_ID="))
                    .and_then(OsVersion::parse)
            })
            .unwrap_or_else(OsVersion::unknown)
    }

    /// The version text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A language tag: a 2–3 letter language and optionally a 2-letter region,
/// e.g. `en` or `en-US`; `und` when unknown. `en_US.UTF-8` parses as `en-US`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locale(String);

impl Locale {
    /// The value sent when the locale is not known.
    pub fn unknown() -> Self {
        Locale("und".to_owned())
    }

    /// Parses a POSIX locale or a BCP 47 tag down to language and region.
    pub fn parse(text: &str) -> Option<Self> {
        let base = text.split(['.', '@']).next().unwrap_or("");
        let mut parts = base.split(['_', '-']);
        let language = parts.next().unwrap_or("");
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return None;
        }
        let mut tag = language.to_ascii_lowercase();
        if let Some(region) = parts.next() {
            if region.len() != 2 || !region.bytes().all(|b| b.is_ascii_alphabetic()) {
                return None;
            }
            tag.push('-');
            tag.push_str(&region.to_ascii_uppercase());
        }
        Some(Locale(tag))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time-zone name such as `Europe/Brussels` or `UTC`: a known area
/// followed by one or two segments of letters, digits, `_`, `+`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TimeZoneName(String);

const TZ_AREAS: [&str; 11] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
];

impl TimeZoneName {
    /// The value sent when the zone is not known.
    pub fn unknown() -> Self {
        TimeZoneName("unknown".to_owned())
    }

    /// Validates an IANA name.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text == "UTC" {
            return Some(TimeZoneName(text.to_owned()));
        }
        let mut parts = text.split('/');
        let area = parts.next()?;
        if !TZ_AREAS.contains(&area) {
            return None;
        }
        let rest: Vec<&str> = parts.collect();
        let ok = (1..=2).contains(&rest.len())
            && rest.iter().all(|seg| {
                (1..=32).contains(&seg.len())
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-'))
            });
        ok.then(|| TimeZoneName(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The host facts base telemetry reports. Nothing here can name the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFacts {
    /// Operating system family.
    pub platform: Platform,
    /// Operating system version number.
    pub os_version: OsVersion,
    /// CPU architecture.
    pub architecture: Architecture,
    /// The server's locale.
    pub locale: Locale,
    /// The server's time zone.
    pub timezone: TimeZoneName,
    /// Docker, native or Kubernetes.
    pub deployment: DeploymentType,
}

impl HostFacts {
    /// Facts known without asking the environment: this build's platform and
    /// architecture, the OS version from `/etc/os-release`, and the given
    /// deployment type; locale and time zone unknown until the app sets them.
    pub fn detect(deployment: DeploymentType) -> Self {
        HostFacts {
            platform: Platform::current(),
            os_version: OsVersion::detect(),
            architecture: Architecture::current(),
            locale: Locale::unknown(),
            timezone: TimeZoneName::unknown(),
            deployment,
        }
    }
}

/// Everything the sink needs to know about the installation, read on the
/// exporter thread before each batch and each heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySnapshot {
    /// The stable identity sent with every record.
    pub install_id: InstallId,
    /// The hashed host fingerprint.
    pub fingerprint: Fingerprint,
    /// When this installation first ran.
    pub first_seen_at: SystemTime,
    /// When a heartbeat was last delivered, if ever.
    pub last_seen_at: Option<SystemTime>,
    /// Whether `base_telemetry.first_seen` was already delivered.
    pub first_seen_sent: bool,
    /// Facts about the host.
    pub host: HostFacts,
}

impl IdentitySnapshot {
    /// An installation first seen now, with nothing sent yet.
    pub fn fresh(install_id: InstallId, fingerprint: Fingerprint, host: HostFacts) -> Self {
        IdentitySnapshot {
            install_id,
            fingerprint,
            first_seen_at: SystemTime::now(),
            last_seen_at: None,
            first_seen_sent: false,
            host,
        }
    }
}

/// The installation's identity, as the sink sees it.
///
/// The app implements this on top of its installation store. Serve every
/// call from memory: [`InstallIdentity::install_id`] is asked on every
/// [`crate::Telemetry::track`] that queues an event, the rest from the
/// exporter thread.
pub trait InstallIdentity: Send + Sync {
    /// The current identity. Called before every export and heartbeat, so a
    /// rotated install id takes effect on the next batch.
    fn snapshot(&self) -> IdentitySnapshot;

    /// The current install id, which every queued event is stamped with (an
    /// event queued before a rotation is never sent under the new id).
    /// Called on the request path; the default takes a whole
    /// [`InstallIdentity::snapshot`], an app with the id at hand returns
    /// just that.
    fn install_id(&self) -> InstallId {
        self.snapshot().install_id
    }

    /// `base_telemetry.first_seen` was delivered (the receiver answered 2xx)
    /// at `at`. Persist it so it is never sent again.
    fn first_seen_delivered(&self, at: SystemTime);

    /// A heartbeat was delivered at `at`; becomes `last_seen` of the next one.
    fn heartbeat_delivered(&self, at: SystemTime) {
        let _ = at;
    }

    /// Asks to send `base_telemetry.first_seen` now. An installation run
    /// by several processes (replicas sharing one store) answers `true` to
    /// one of them only, so that exactly one `first_seen` is ever sent;
    /// the holder may ask again (to retry a failed delivery). The default,
    /// for one process: whether it is still owed.
    fn claim_first_seen(&self, at: SystemTime) -> bool {
        let _ = at;
        !self.snapshot().first_seen_sent
    }

    /// Asks to send this interval's heartbeat. Replicas sharing a store,
    /// and a process restarted within the interval, get `false` when a
    /// heartbeat of the installation was claimed less than `interval` ago,
    /// so the installation is counted once per interval whatever runs it.
    /// The default, for one process: always `true`.
    fn claim_heartbeat(&self, at: SystemTime, interval: std::time::Duration) -> bool {
        let _ = (at, interval);
        true
    }
}

/// An [`InstallIdentity`] kept in memory: for tests, examples and apps
/// without an installation store.
#[derive(Debug)]
pub struct InMemoryIdentity {
    state: Mutex<(IdentitySnapshot, u64)>,
}

impl InMemoryIdentity {
    /// Starts from `snapshot`.
    pub fn new(snapshot: IdentitySnapshot) -> Self {
        InMemoryIdentity {
            state: Mutex::new((snapshot, 0)),
        }
    }

    /// A fresh random identity first seen now, with the fingerprint derived
    /// from `hostname` and `salt` (the hostname itself is not kept).
    pub fn generate(hostname: &str, salt: &str, host: HostFacts) -> Self {
        InMemoryIdentity::new(IdentitySnapshot {
            install_id: InstallId::random(),
            fingerprint: Fingerprint::derive(hostname, salt),
            first_seen_at: SystemTime::now(),
            last_seen_at: None,
            first_seen_sent: false,
            host,
        })
    }

    /// Replaces the install id, as an admin's rotation does.
    pub fn rotate(&self, install_id: InstallId) {
        self.lock().0.install_id = install_id;
    }

    /// How many times `first_seen_delivered` was called.
    pub fn first_seen_deliveries(&self) -> u64 {
        self.lock().1
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (IdentitySnapshot, u64)> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl InstallIdentity for InMemoryIdentity {
    fn snapshot(&self) -> IdentitySnapshot {
        self.lock().0.clone()
    }

    fn first_seen_delivered(&self, _at: SystemTime) {
        let mut state = self.lock();
        state.0.first_seen_sent = true;
        state.1 += 1;
    }

    fn heartbeat_delivered(&self, at: SystemTime) {
        self.lock().0.last_seen_at = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_sha256_of_hostname_then_salt() {
        // sha256("abc") — the FIPS 180-2 test vector, split across both parts.
        let f = Fingerprint::derive("a", "bc");
        assert_eq!(
            f.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Fingerprint::from_hex(&f.to_hex()).ok(), Some(f));
        assert!(Fingerprint::from_hex("xyz").is_err());
    }

    #[test]
    fn versions_keep_only_numbers() {
        assert_eq!(
            OsVersion::parse("6.1.0-18-amd64").map(|v| v.0),
            Some("6.1.0".into())
        );
        assert_eq!(
            OsVersion::parse("\"22.04\"").map(|v| v.0),
            Some("22.04".into())
        );
        assert_eq!(OsVersion::parse("bookworm"), None);
        assert_eq!(
            OsVersion::parse("1.2.3.4.5").map(|v| v.0),
            Some("1.2.3.4".into())
        );
        assert!(AppVersion::parse("0.1.0-rc.1+3f2a9c1").is_ok());
        assert!(AppVersion::parse("my-host.example.com").is_err());
        assert!(AppVersion::parse("1.0 beta").is_err());
    }

    #[test]
    fn locales_and_zones_are_validated() {
        assert_eq!(
            Locale::parse("en_US.UTF-8").map(|l| l.0),
            Some("en-US".into())
        );
        assert_eq!(Locale::parse("nl-be").map(|l| l.0), Some("nl-BE".into()));
        assert_eq!(Locale::parse("C"), None);
        assert_eq!(Locale::parse("myhostname"), None);
        assert!(TimeZoneName::parse("Europe/Brussels").is_some());
        assert!(TimeZoneName::parse("America/Argentina/Buenos_Aires").is_some());
        assert!(TimeZoneName::parse("UTC").is_some());
        assert!(TimeZoneName::parse("/etc/localtime").is_none());
        assert!(TimeZoneName::parse("myhost/Europe").is_none());
        assert!(TimeZoneName::parse("Europe/has space").is_none());
    }

    #[test]
    fn in_memory_identity_records_deliveries() {
        let id =
            InMemoryIdentity::generate("host", "salt", HostFacts::detect(DeploymentType::Native));
        assert!(!id.snapshot().first_seen_sent);
        id.first_seen_delivered(SystemTime::now());
        assert!(id.snapshot().first_seen_sent);
        assert_eq!(id.first_seen_deliveries(), 1);
        let new = InstallId::random();
        id.rotate(new);
        assert_eq!(id.snapshot().install_id, new);
    }
}
