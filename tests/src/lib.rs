//! Test support: start the real application on port 0 with a fresh data
//! directory and a fresh database (SQLite file, or a new PostgreSQL database
//! when `TEST_DATABASE_URL` is set), and talk to it over HTTP.
//!
//! `TEST_LOG=1` shows the server's logs. When `TT_REQUIRE_POSTGRES=1` (as in
//! CI) a PostgreSQL test without `TEST_DATABASE_URL` fails instead of
//! skipping.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_debug_implementations
)]

pub mod cluster;
pub mod process;
pub mod session;

use std::time::Duration;

use reqwest::blocking::Client;

use timetracker::{Background, Settings};

pub use serde_json::json;
pub use session::Api;

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A fresh SQLite file in the test's data directory.
    Sqlite,
    /// A fresh database on the server named by `TEST_DATABASE_URL`.
    Postgres,
}

pub use tt_testkit::{PgDatabase, in_ci, postgres_base_url};

/// A running application.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The settings it runs with.
    pub settings: Settings,
    /// Its database.
    pub db: Db,
    server: Option<Background>,
    _pg: Option<PgDatabase>,
    /// The data directory (deleted at drop).
    pub dir: tempfile::TempDir,
    /// An HTTP client that does not follow redirects.
    pub http: Client,
}

/// Settings for a test app in `dir`, listening on a free port.
pub fn test_settings(dir: &std::path::Path, database_url: Option<String>) -> Settings {
    Settings {
        database_url,
        bind_addr: "127.0.0.1".into(),
        port: 0,
        data_dir: dir.join("data"),
        log_dir: dir.join("logs"),
        workers: 2,
        db_pool_size: 8,
        login_max_failures: 1000,
        log_level: if std::env::var("TEST_LOG").is_ok() {
            "debug".into()
        } else {
            "error".into()
        },
        ..Settings::default()
    }
}

/// Starts the app on `db`; `None` if that backend is not available here
/// (PostgreSQL without `TEST_DATABASE_URL`, outside CI).
pub fn try_spawn_app(db: Db) -> Option<TestApp> {
    spawn_app_with(db, |_| {})
}

/// Like [`try_spawn_app`], with a hook to adjust settings. First-run setup
/// is already complete (both consent levels refused), as on an installed
/// server.
pub fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    start(db, true, adjust)
}

/// A brand-new installation: setup not done yet.
pub fn spawn_fresh_app(db: Db, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    start(db, false, adjust)
}

/// Installs the TLS crypto provider reqwest needs (built without a default).
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn start(db: Db, setup_done: bool, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    init_tls();
    if std::env::var("TEST_LOG").is_ok() {
        timetracker::init_logging(&Settings {
            log_level: "debug".into(),
            ..Settings::default()
        });
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let pg = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(PgDatabase::create(&postgres_base_url()?)),
    };
    let mut settings = test_settings(dir.path(), pg.as_ref().map(|p| p.url.clone()));
    adjust(&mut settings);
    if setup_done {
        let inst = tt_installation::Installation::open_in_dir(
            settings.installation_dir(),
            settings.deployer_policy(),
            timetracker::telemetry::telemetry_config(&settings)
                .expect("telemetry config")
                .sink_configured(),
        )
        .expect("installation");
        inst.complete_setup(false, false, "test-harness")
            .expect("setup");
    }
    let server = Background::start(&settings).expect("start app");
    let base = format!("http://{}", server.addr);
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    Some(TestApp {
        base,
        settings,
        db,
        server: Some(server),
        _pg: pg,
        dir,
        http,
    })
}

/// Starts the app on SQLite (always available).
pub fn spawn_app() -> TestApp {
    try_spawn_app(Db::Sqlite).expect("SQLite is always available")
}

impl TestApp {
    /// Stops the server gracefully, flushing its logs and exporters; the
    /// data and log directories stay until the app is dropped.
    pub fn stop_server(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }
}

impl TestApp {
    /// Another server on this app's database and installation store — a
    /// replica — on its own port, with its own log directory.
    pub fn start_replica(&self, n: usize) -> Background {
        let mut s = self.settings.clone();
        s.port = 0;
        s.log_dir = self.dir.path().join(format!("logs-replica-{n}"));
        Background::start(&s).expect("start replica")
    }

    /// A URL on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens a database connection (for checks behind the API's back).
    pub fn conn(&self) -> tt_persistence::DbConnection {
        tt_persistence::establish(&self.settings.database_url()).expect("connect")
    }

    /// Creates a user directly in the database.
    pub fn create_user(&self, username: &str, password: &str, admin: bool) -> tt_domain::UserId {
        let username = tt_domain::Username::parse(username).expect("username");
        let hash =
            tt_app::passwords::hash(&tt_domain::Password::parse(password, &[]).expect("password"))
                .expect("hash");
        let role = if admin {
            tt_domain::Role::Admin
        } else {
            tt_domain::Role::User
        };
        let mut conn = self.conn();
        tt_persistence::users::create(
            &mut conn,
            &tt_persistence::users::NewUser {
                username: &username,
                email: None,
                password_hash: &hash,
                role,
            },
        )
        .expect("create user")
        .id
    }

    /// Logs in through the API and returns a client bound to the token.
    pub fn login(&self, username: &str, password: &str) -> Api {
        let mut api = self.anonymous();
        api.login(username, password);
        api
    }

    /// Creates a user and logs them in.
    pub fn user(&self, username: &str, admin: bool) -> Api {
        let password = "a-long-password";
        self.create_user(username, password, admin);
        self.login(username, password)
    }

    /// An API client without credentials.
    pub fn anonymous(&self) -> Api {
        Api::with_client(self.http.clone(), &self.base)
    }
}

/// Runs a scenario on SQLite and on PostgreSQL (when available).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                let app = $crate::try_spawn_app($crate::Db::Sqlite).expect("sqlite");
                super::$name(&app);
            }

            #[test]
            fn postgres() {
                if let Some(app) = $crate::try_spawn_app($crate::Db::Postgres) {
                    super::$name(&app);
                }
            }
        }
    )*};
}
