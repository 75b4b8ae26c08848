//! TimeTracker's storage: one diesel schema on SQLite (bundled, the default)
//! or PostgreSQL, picked at run time from `DATABASE_URL`, with embedded
//! per-backend migrations, an r2d2 pool, and repositories that take and
//! return `tt-domain` types.
//!
//! Every function here blocks; callers on an async executor run them on a
//! blocking thread. **This crate must never depend on actix-web or any HTTP
//! or wire-format crate**, nor on any crate of ours but `tt-domain`.

pub mod claims;
pub mod company;
mod connection;
pub mod consent_history;
pub mod entries;
mod fixed_sql;
pub mod installation;
pub mod invoices;
pub mod locks;
pub mod login_throttle;
pub mod schema;
pub mod sessions;
mod stamp;
pub mod users;
pub mod work;

use chrono::{DateTime, NaiveDateTime, Utc};
pub(crate) use fixed_sql::FixedSqlDsl;
pub(crate) use stamp::Stamp;

/// Runs `$body` with `$c` bound to the concrete connection inside a
/// [`DbConnection`]: `native!(conn, c => query.get_result(c))`.
///
/// Through the multi-backend connection diesel writes a statement's SQL
/// text afresh on every execution, even when the prepared statement is
/// cached; on the concrete connection a cached statement is found by its
/// type, and executing it costs binding and stepping only. The hot reads
/// (the token and session lookups, the running timer, the entry pages)
/// go this way.
///
/// A boxed query (`into_boxed()`, for filters chosen at run time) has no
/// type to be found by: diesel writes its SQL text on every execution to
/// look the statement up. The shapes every request runs (a person's
/// unfiltered entry list and count, the dashboard's latest entries, the
/// catalog of projects and tasks) are therefore written unboxed, and the
/// boxed form is kept for the filtered ones. The unboxed hot queries are
/// wrapped in [`fixed_sql::FixedSql`], so that diesel finds their cached
/// statement without first walking them.
macro_rules! native {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::DbConnection::Sqlite($c) => $body,
            $crate::DbConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use native;

pub use connection::{
    Backend, DbConnection, IDLE_TIMEOUT, MIGRATION_LOCK, Pool, PoolState, PooledConnection,
    establish, planner_is_stable, run_migrations, run_next_migration, write_transaction,
};

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum PersistenceError {
    /// The row does not exist (or is not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The change conflicts with the current state (a uniqueness rule, a
    /// running timer, a forbidden status change); the text says which.
    #[error("{0}")]
    Conflict(&'static str),
    /// The database aborted the transaction to break a deadlock or a
    /// serialization conflict with a concurrent one; running it again is
    /// expected to succeed.
    #[error("the change collided with a simultaneous one")]
    Retry,
    /// The request refers to something that does not exist or cannot be
    /// used (an unknown client id in a body, an archived project).
    #[error("{0}")]
    Invalid(&'static str),
    /// A rule of the domain refused the change.
    #[error(transparent)]
    Domain(#[from] tt_domain::DomainError),
    /// A stored value no longer parses into its domain type.
    #[error("stored data is invalid: {0}")]
    Corrupt(&'static str),
    /// The database could not be reached.
    #[error("cannot connect to the database")]
    Connect(#[source] diesel::ConnectionError),
    /// No pooled connection could be had.
    #[error("database pool: {0}")]
    Pool(String),
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migration(String),
    /// Any other database error.
    #[error("database error")]
    Query(#[source] diesel::result::Error),
}

impl From<diesel::result::Error> for PersistenceError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => PersistenceError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                PersistenceError::Conflict("already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                PersistenceError::Conflict("still referenced by other records")
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                PersistenceError::Retry
            }
            // PostgreSQL's deadlock_detected (40P01), which diesel does not
            // classify; its message is fixed by the server.
            Error::DatabaseError(DatabaseErrorKind::Unknown, ref info)
                if info.message().starts_with("deadlock detected") =>
            {
                PersistenceError::Retry
            }
            other => PersistenceError::Query(other),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = PersistenceError> = std::result::Result<T, E>;

/// A stored currency code.
pub(crate) fn currency(code: &str) -> Result<tt_domain::Currency> {
    tt_domain::Currency::parse(code).map_err(|_| PersistenceError::Corrupt("currency"))
}

pub(crate) fn to_utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub(crate) fn to_naive(t: DateTime<Utc>) -> NaiveDateTime {
    // Stored with microsecond precision on both backends.
    t.naive_utc()
}

/// The current time, truncated to what both backends store exactly.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    DateTime::from_timestamp(t.timestamp(), t.timestamp_subsec_micros() * 1000).unwrap_or(t)
}

pub(crate) fn id<T>(raw: i64, make: fn(i64) -> Option<T>) -> Result<T> {
    make(raw).ok_or(PersistenceError::Corrupt("non-positive id"))
}

diesel::define_sql_function! {
    /// SQL `lower()`, as the unique indexes use it. Usernames are ASCII,
    /// so it folds them alike on both databases; for e-mail addresses
    /// PostgreSQL also folds non-ASCII letters, SQLite only ASCII ones.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// SQL `lower()` of a nullable column.
    #[sql_name = "lower"]
    fn lower_opt(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}
