//! TimeTracker's application layer: **one function per use case**, written
//! once and called by every surface — the JSON API and the web pages in
//! `tt-http`, and the command line in `bins/timetracker`.
//!
//! Each action takes the acting user ([`Actor`]) and typed input, decides
//! who may do it (rules from `tt-domain`), validates through `tt-domain`'s
//! value types, runs in one database transaction with the row locks its
//! invariant needs on both SQLite and PostgreSQL, and records its product
//! event. Looking for "start the timer"? It is [`timer::start`].
//!
//! **This crate knows no HTTP and no HTML**: never actix-web, askama or any
//! wire format. Every function blocks; async callers run it on a blocking
//! thread.

mod error;
pub mod events;
pub mod input;
pub mod passwords;

pub mod auth;
pub mod catalog;
pub mod comments;
pub mod company;
pub mod consent;
pub mod entries;
pub mod export;
pub mod invoices;
pub mod reports;
pub mod sessions;
pub mod tasks;
pub mod timer;
pub mod users;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tt_domain::{Calendar, User, UserId};
use tt_events::Event;
use tt_installation::Installation;
use tt_persistence::{DbConnection, PersistenceError, Pool};
use tt_telemetry::Telemetry;

pub use error::{AppError, Result};
pub use tt_events::Surface;

/// Everything the actions need: the database, the installation store and
/// the telemetry sink. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pool: Pool,
    installation: Arc<Installation>,
    telemetry: Option<Telemetry>,
    calendar: Calendar,
    login_limits: tt_domain::LoginLimits,
    /// Attempts counted by this process, to sweep recovered buckets now
    /// and then.
    login_sweeps: Arc<std::sync::atomic::AtomicU64>,
}

/// Who is acting, and through which surface (tracked with some events).
#[derive(Debug, Clone)]
pub struct Actor {
    /// The signed-in user, as loaded for this request.
    pub user: User,
    /// API, web page or command line.
    pub surface: Surface,
}

impl Actor {
    /// An actor on a surface.
    pub fn new(user: User, surface: Surface) -> Self {
        Actor { user, surface }
    }

    /// The acting user's id.
    pub fn id(&self) -> UserId {
        self.user.id
    }
}

impl App {
    /// Composes the application from its parts.
    pub fn new(pool: Pool, installation: Arc<Installation>) -> Self {
        App {
            pool,
            installation,
            telemetry: None,
            calendar: Calendar::UTC,
            login_limits: tt_domain::LoginLimits::default(),
            login_sweeps: Arc::default(),
        }
    }

    /// Sets the login limits (ten attempts per fifteen minutes unless set).
    #[must_use]
    pub fn with_login_limits(mut self, limits: tt_domain::LoginLimits) -> Self {
        self.login_limits = limits;
        self
    }

    /// Sets the installation's default time zone and week start, for users
    /// who have not chosen their own (UTC and Monday unless set).
    #[must_use]
    pub fn with_calendar(mut self, calendar: Calendar) -> Self {
        self.calendar = calendar;
        self
    }

    /// The installation's default calendar.
    pub fn default_calendar(&self) -> Calendar {
        self.calendar
    }

    /// How `user` reads time: their own settings over the installation's.
    pub fn calendar_of(&self, user: &User) -> Calendar {
        user.calendar(self.calendar)
    }

    /// Attaches the telemetry sink; without one, events go nowhere.
    #[must_use]
    pub fn with_telemetry(mut self, telemetry: Telemetry) -> Self {
        self.telemetry = Some(telemetry);
        self
    }

    /// The telemetry sink, if attached.
    pub fn telemetry(&self) -> Option<&Telemetry> {
        self.telemetry.as_ref()
    }

    /// The installation store (identity, setup state, consent).
    pub fn installation(&self) -> &Arc<Installation> {
        &self.installation
    }

    /// The database pool (for health checks and metrics).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Whether a read runs entirely on the calling thread (the embedded
    /// SQLite, through that thread's own connection), so that an async
    /// caller may run a read of a few rows in place instead of handing it
    /// to a blocking thread. `false` on PostgreSQL: every query waits for
    /// the network.
    pub fn reads_are_local(&self) -> bool {
        self.pool.backend() == tt_persistence::Backend::Sqlite
    }

    /// Tracks a product event: a consent check and an enqueue, never
    /// blocking and never failing the action.
    pub fn track(&self, event: Event, user: Option<UserId>) {
        if let Some(t) = &self.telemetry {
            t.track(event, user.map(|u| tt_telemetry::UserId::new(u.get())));
        }
    }

    /// Runs `f`, an action made only of reads, with its reads sharing one
    /// snapshot on SQLite (see `tt_persistence::Pool::read_together`): for
    /// a page that reads with many statements.
    pub fn read_together<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.pool.read_together(f)
    }

    /// Runs `f` on a pooled connection without a transaction (reads).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T>) -> Result<T> {
        self.pool.read(f)
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE` on SQLite);
    /// any error rolls everything back. When PostgreSQL aborts it to break
    /// a deadlock with a simultaneous transaction, it runs again (up to
    /// three times in all) — the other one has finished by then.
    pub(crate) fn write<T>(&self, mut f: impl FnMut(&mut DbConnection) -> Result<T>) -> Result<T> {
        const ATTEMPTS: u32 = 3;
        let mut conn = self.pool.get()?;
        let mut attempt = 1;
        loop {
            let mut outcome: Option<AppError> = None;
            let result = tt_persistence::write_transaction(&mut conn, |c| {
                f(c).map_err(|e| {
                    outcome = Some(e);
                    PersistenceError::Conflict("rolled back")
                })
            });
            let error = match (result, outcome) {
                (Ok(v), _) => return Ok(v),
                (Err(_), Some(app_error)) => app_error,
                (Err(e), None) => e.into(),
            };
            if matches!(error, AppError::Collided) && attempt < ATTEMPTS {
                attempt += 1;
                tracing::debug!(attempt, "transaction collided; running it again");
                continue;
            }
            return Err(error);
        }
    }
}

/// The current time, at the precision both databases store.
pub fn now() -> DateTime<Utc> {
    tt_persistence::now()
}

/// Loads a user by id, for authentication adapters (session, token).
pub fn user_by_id(app: &App, id: UserId) -> Result<User> {
    app.read(|c| Ok(tt_persistence::users::find(c, id)?))
}
