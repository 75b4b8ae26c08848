//! Test support: a catalog of test events (an application of the crate's
//! own, declared as any application would), a consent source with
//! switches, and an identity with a planted hostname canary; the OTLP/HTTP
//! receiver is the workspace's test kit's.

#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use tt_consent::{ConsentLevel, ConsentSource, EffectiveConsent, Reason, StoredChoice};
use tt_telemetry::values::{DeploymentType, Platform};
use tt_telemetry::{
    AppVersion, Catalog, Category, Count, DurationSecs, Fingerprint, HostFacts, Id,
    IdentitySnapshot, InMemoryIdentity, InstallId, Locale, OsVersion, RetrySettings,
    TelemetryConfig, TimeZoneName,
};

pub const ACCOUNT: Category = Category::new("account", "Account");
pub const WORK: Category = Category::new("work", "Work");
pub const PAGES: Category = Category::new("pages", "Pages");

tt_telemetry::closed_enum! {
    /// Where an action came from.
    pub enum Surface {
        /// Web pages.
        Web = "web",
        /// The API.
        Api = "api",
    }

    /// A task's state.
    pub enum Status {
        /// Not started.
        Todo = "todo",
        /// Being worked on.
        InProgress = "in_progress",
        /// Finished.
        Done = "done",
    }

    /// A page, by route template.
    pub enum Page {
        /// The home page.
        Home = "/",
        /// One project.
        Project = "/projects/{id}",
    }
}

tt_telemetry::events! {
    /// The test application's events.
    pub enum Event {
        /// Signed out.
        AuthLogout = "auth.logout", ACCOUNT, Detailed {}
        /// The install id was rotated.
        AdminInstallIdRotated = "admin.install_id_rotated", ACCOUNT, Detailed {}
        /// An entry was deleted.
        TimeEntryDeleted = "time_entry.deleted", WORK, Detailed {
            /// The entry.
            entry_id: Id,
            /// Where.
            surface: Surface,
        }
        /// A timer started.
        TimerStarted = "timer.started", WORK, Detailed {
            /// The entry.
            entry_id: Id,
            /// Its project.
            project_id: Id,
            /// Its task.
            task_id: Option<Id>,
            /// Where.
            surface: Surface,
        }
        /// A task moved.
        TaskStatusChanged = "task.status_changed", WORK, Detailed {
            /// The task.
            task_id: Id,
            /// Its project.
            project_id: Id,
            /// Before.
            old_status: Status,
            /// After.
            new_status: Status,
        }
        /// A note was saved.
        NoteSaved = "note.saved", WORK, Detailed {
            /// Its words.
            words: Count,
            /// Time spent writing it.
            took: DurationSecs,
            /// Whether it is new.
            new: bool,
        }
        /// A page was shown.
        PageViewed = "page.viewed", PAGES, Detailed {
            /// Which.
            route: Page,
        }
    }
}

/// The test application's catalog; its schema version is deliberately not
/// 1 so tests can see it on the wire.
pub static CATALOG: Catalog = Catalog {
    app_name: "Test app",
    service_name: "test_app",
    schema_version: 7,
    categories: &[ACCOUNT, WORK, PAGES],
    events: Event::EVENTS,
    notes: "",
};

/// Strings that must never reach the receiver. Apart from the hostname
/// (which the identity provider is given for fingerprinting) there is no
/// API through which any of them could even be passed.
pub const CANARIES: [&str; 8] = [
    "canary-host-7f3a9c.internal",
    "canary-user-alice",
    "canary-alice@example.org",
    "canary-project-Apollo",
    "canary-client-AcmeCorp",
    "canary-task-Secret",
    "canary-note-confidential",
    "canary-comment-hello",
];
pub const HOSTNAME_CANARY: &str = CANARIES[0];
pub const SALT: &str = "5f0e3a1c9b7d2e4f6a8c0b1d3e5f7a9c5f0e3a1c9b7d2e4f6a8c0b1d3e5f7a9c";

pub use tt_testkit::eventually;
pub use tt_testkit::otlp::{
    OtlpReceiver as Receiver, Received, Reply, Val, attrs, contains, event_name, record_attrs,
};

/// A consent source with two switches (both off to start).
#[derive(Debug, Default)]
pub struct Switches {
    base: AtomicBool,
    detailed: AtomicBool,
}

impl Switches {
    pub fn new(base: bool, detailed: bool) -> Arc<Switches> {
        Arc::new(Switches {
            base: AtomicBool::new(base),
            detailed: AtomicBool::new(detailed),
        })
    }

    pub fn set(&self, level: ConsentLevel, on: bool) {
        match level {
            ConsentLevel::Base => self.base.store(on, Ordering::SeqCst),
            ConsentLevel::Detailed => self.detailed.store(on, Ordering::SeqCst),
        }
    }
}

impl ConsentSource for Switches {
    fn effective(&self, level: ConsentLevel) -> EffectiveConsent {
        let enabled = self.allows(level);
        EffectiveConsent {
            level,
            enabled,
            reason: Reason::Stored(StoredChoice {
                granted: enabled,
                decided_by: Some("test".into()),
                decided_at: SystemTime::UNIX_EPOCH,
            }),
        }
    }

    fn allows(&self, level: ConsentLevel) -> bool {
        match level {
            ConsentLevel::Base => self.base.load(Ordering::SeqCst),
            ConsentLevel::Detailed => self.detailed.load(Ordering::SeqCst),
        }
    }
}

/// An identity whose fingerprint is derived from the hostname canary.
pub fn identity() -> Arc<InMemoryIdentity> {
    Arc::new(InMemoryIdentity::new(IdentitySnapshot {
        install_id: InstallId::parse("6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d").unwrap(),
        fingerprint: Fingerprint::derive(HOSTNAME_CANARY, SALT),
        first_seen_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000),
        last_seen_at: None,
        first_seen_sent: false,
        host: HostFacts {
            platform: Platform::Linux,
            os_version: OsVersion::parse("12.5").unwrap(),
            architecture: tt_telemetry::values::Architecture::X86_64,
            locale: Locale::parse("nl_BE.UTF-8").unwrap(),
            timezone: TimeZoneName::parse("Europe/Brussels").unwrap(),
            deployment: DeploymentType::Docker,
        },
    }))
}

/// Fast settings for tests; only the start-up heartbeat within a test.
pub fn config(endpoint: Option<String>) -> TelemetryConfig {
    let mut c = TelemetryConfig::new(&CATALOG, AppVersion::parse("1.4.2-test").unwrap());
    c.endpoint = endpoint;
    c.export_interval = Duration::from_millis(20);
    c.request_timeout = Duration::from_secs(2);
    c.heartbeat_interval = Duration::from_secs(3600);
    c.shutdown_timeout = Duration::from_secs(2);
    c.retry = RetrySettings {
        max_retries: 3,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(5),
    };
    c
}

/// Runs the ignored test `path` (e.g. `metrics::isolated_metrics`) alone in
/// a child process of this test binary: for tests that install
/// process-wide state (a global subscriber or metrics recorder).
pub fn run_isolated(path: &str) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([path, "--exact", "--ignored", "--test-threads=1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{path} failed or did not run:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
