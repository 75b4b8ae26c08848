//! Connections and the pool: the backend is picked from the URL scheme.

use std::cell::RefCell;
use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::PersistenceError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// A connection to either backend. Queries written once run on both; where
/// SQL must differ, match on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL.
    Postgres(PgConnection),
    /// SQLite (bundled).
    Sqlite(SqliteConnection),
}

impl std::fmt::Debug for DbConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DbConnection::Postgres(_) => "DbConnection::Postgres",
            DbConnection::Sqlite(_) => "DbConnection::Sqlite",
        })
    }
}

/// Whether the SQLite library this binary links keeps a statement's query
/// plan whatever values are bound to it (`SQLITE_ENABLE_QPSG`, set for the
/// bundled SQLite in `.cargo/config.toml`). Without it every cached
/// statement with a bound `LIMIT` is parsed and planned again on each use.
/// Always `true` on PostgreSQL.
pub fn planner_is_stable(conn: &mut DbConnection) -> Result<bool, PersistenceError> {
    #[derive(QueryableByName)]
    struct Used {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        used: i32,
    }
    match conn {
        DbConnection::Postgres(_) => Ok(true),
        DbConnection::Sqlite(c) => {
            let row: Used =
                diesel::sql_query("SELECT sqlite_compileoption_used('ENABLE_QPSG') AS used")
                    .get_result(c)?;
            Ok(row.used == 1)
        }
    }
}

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `sqlite://path`, `file:path` or a plain path.
    Sqlite,
}

impl Backend {
    /// Picks the backend from a `DATABASE_URL`.
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// Lower-case name for logs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// Strips the `sqlite://` prefix diesel does not understand.
fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

/// Opens one connection to `url`, configured for this application.
pub fn establish(url: &str) -> Result<DbConnection, PersistenceError> {
    match Backend::from_url(url) {
        Backend::Postgres => {
            let conn = PgConnection::establish(url).map_err(PersistenceError::Connect)?;
            Ok(DbConnection::Postgres(conn))
        }
        Backend::Sqlite => {
            let mut conn =
                SqliteConnection::establish(sqlite_path(url)).map_err(PersistenceError::Connect)?;
            // WAL lets readers proceed during a write; the busy timeout makes
            // concurrent writers wait instead of failing with SQLITE_BUSY —
            // set first, so switching the journal mode waits too while another
            // process (a server stopping, a replica) still holds a lock.
            // LIKE minds letter case, as on PostgreSQL (a tag filter is exact).
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                 PRAGMA case_sensitive_like = ON;",
            )?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

/// The PostgreSQL advisory lock (session level) held while migrating.
pub const MIGRATION_LOCK: i64 = 7_272_100;

/// Brings the database to the current schema. Returns how many migrations
/// ran (0 when it was already current). On PostgreSQL one process migrates
/// at a time (under [`MIGRATION_LOCK`]); each migration is one transaction,
/// so a process stopped half-way leaves the previous schema.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, PersistenceError> {
    let applied = match conn {
        DbConnection::Postgres(c) => {
            // Replicas starting together take turns: the first migrates,
            // the others wait here and then find nothing pending. The lock
            // belongs to this connection and ends with it at the latest.
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(c)?;
            let applied = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(c)?;
            applied
        }
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    };
    applied.map_err(|e| PersistenceError::Migration(e.to_string()))
}

/// Runs only the next pending migration; returns its name, or `None` when
/// the schema is current. For upgrade tests that need data in an older
/// schema; the application uses [`run_migrations`].
pub fn run_next_migration(conn: &mut DbConnection) -> Result<Option<String>, PersistenceError> {
    fn next<C, DB>(
        c: &mut C,
        source: EmbeddedMigrations,
    ) -> Result<Option<String>, PersistenceError>
    where
        DB: diesel::backend::Backend,
        C: MigrationHarness<DB>,
    {
        let bad = |e: Box<dyn std::error::Error + Send + Sync>| {
            PersistenceError::Migration(e.to_string())
        };
        let pending = c.pending_migrations(source).map_err(bad)?;
        let Some(first) = pending.into_iter().next() else {
            return Ok(None);
        };
        let name = first.name().to_string();
        c.run_migration(&*first).map_err(bad)?;
        Ok(Some(name))
    }
    match conn {
        DbConnection::Postgres(c) => next(c, POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(c) => next(c, SQLITE_MIGRATIONS),
    }
}

/// The r2d2 manager: opens connections by URL scheme, never by guessing.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = PersistenceError;

    fn connect(&self) -> Result<DbConnection, PersistenceError> {
        establish(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), PersistenceError> {
        conn.batch_execute("SELECT 1")
            .map_err(PersistenceError::from)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// A pool of connections. Use it off the async executor (e.g. in
/// `actix_web::web::block`): every call blocks — except [`Pool::read`] on
/// SQLite, which is a function call into the library on the caller's thread.
#[derive(Clone, Debug)]
pub struct Pool {
    inner: r2d2::Pool<Manager>,
    backend: Backend,
    /// Names this pool's per-thread SQLite readers; they close when the
    /// last clone of the pool is gone and their thread next reads.
    readers: Arc<ReaderKey>,
}

#[derive(Debug)]
struct ReaderKey {
    url: String,
}

thread_local! {
    /// Each thread's read-only SQLite connections, one per live pool.
    static READERS: RefCell<Vec<(Weak<ReaderKey>, DbConnection)>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    /// How deep this thread is in [`Pool::read_together`] scopes.
    static TOGETHER: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A fixed SQL statement with a type of its own: diesel keeps it prepared
/// like any query of static shape, found by that type (`batch_execute`
/// would parse it again on every call). One type per text, since the
/// type is the cache's key.
macro_rules! fixed_statement {
    ($name:ident, $sql:literal) => {
        #[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
        struct $name;

        impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for $name {
            fn walk_ast<'b>(
                &'b self,
                mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
            ) -> QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }

        impl RunQueryDsl<SqliteConnection> for $name {}
    };
}

// Kept prepared, they cost less than the read locks they save (run through
// `batch_execute` they cost more).
fixed_statement!(Begin, "BEGIN");
fixed_statement!(Commit, "COMMIT");

/// Ends the read transaction of a [`Pool::read_together`] scope, also when
/// its closure panics: a transaction left open would pin the WAL and keep
/// the thread's reads on an old snapshot.
struct EndTogether<'a>(&'a Pool);

impl Drop for EndTogether<'_> {
    fn drop(&mut self) {
        TOGETHER.with(|d| d.set(d.get().saturating_sub(1)));
        let ended = self.0.read(|c| match c {
            DbConnection::Sqlite(c) => Commit.execute(c).map(drop).map_err(PersistenceError::from),
            DbConnection::Postgres(_) => Ok(()),
        });
        if ended.is_err() {
            // Never keep a connection whose transaction may still be open.
            let key = &self.0.readers;
            READERS.with(|r| {
                r.borrow_mut()
                    .retain(|(k, _)| !std::ptr::eq(k.as_ptr(), Arc::as_ptr(key)));
            });
        }
    }
}

/// Opens a read-only SQLite connection: any write through it fails.
fn open_reader(url: &str) -> Result<DbConnection, PersistenceError> {
    let mut conn = establish(url)?;
    conn.batch_execute("PRAGMA query_only = ON;")?;
    Ok(conn)
}

/// A pooled connection.
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// How many connections are open and idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections open.
    pub connections: u32,
    /// Of which idle.
    pub idle: u32,
    /// The configured maximum.
    pub max: u32,
}

/// How long a pooled connection may stay idle before the pool closes it.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

impl Pool {
    /// Connects, migrates and builds a pool of at most `max_size` connections.
    ///
    /// The pool opens one connection at start and more as requests need
    /// them; a connection idle for [`IDLE_TIMEOUT`] is closed (and one is
    /// opened again to keep one ready). An idle server then holds one
    /// connection (on PostgreSQL, one backend per replica) instead of
    /// `max_size`. A database that allows fewer connections than replicas
    /// × `max_size` is found out under load, not at start.
    ///
    /// For SQLite the parent directory of the database file must exist.
    pub fn connect_and_migrate(url: &str, max_size: u32) -> Result<Self, PersistenceError> {
        let backend = Backend::from_url(url);
        let mut first = establish(url)?;
        run_migrations(&mut first)?;
        drop(first);
        let inner = r2d2::Pool::builder()
            .max_size(max_size.max(1))
            .min_idle(Some(1))
            .idle_timeout(Some(IDLE_TIMEOUT))
            .connection_timeout(Duration::from_secs(10))
            .test_on_check_out(false)
            .build(Manager {
                url: url.to_owned(),
            })
            .map_err(|e| PersistenceError::Pool(e.to_string()))?;
        Ok(Self {
            inner,
            backend,
            readers: Arc::new(ReaderKey {
                url: url.to_owned(),
            }),
        })
    }

    /// Runs `f`, which only reads, outside any transaction.
    ///
    /// On SQLite every thread keeps one read-only connection of its own for
    /// this pool (opened on first use): in WAL mode a reader never waits for
    /// a writer, so a read needs neither a pooled connection nor another
    /// thread, and costs what its statements cost. Each statement sees every
    /// transaction committed before it began — nothing is cached. A write
    /// through it fails ("attempt to write a readonly database").
    ///
    /// On PostgreSQL, a connection of the pool.
    pub fn read<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<PersistenceError>,
    {
        if self.backend == Backend::Postgres {
            let mut conn = self.get()?;
            return f(&mut conn);
        }
        let key = &self.readers;
        let mine = |k: &Weak<ReaderKey>| std::ptr::eq(k.as_ptr(), Arc::as_ptr(key));
        // Taken out while in use: a read nested in `f` opens a second one.
        let kept = READERS.with(|r| {
            let mut r = r.borrow_mut();
            r.retain(|(k, _)| k.strong_count() > 0);
            r.iter()
                .position(|(k, _)| mine(k))
                .map(|i| r.swap_remove(i).1)
        });
        let mut conn = match kept {
            Some(conn) => conn,
            None => open_reader(&key.url)?,
        };
        let result = f(&mut conn);
        READERS.with(|r| {
            let mut r = r.borrow_mut();
            if !r.iter().any(|(k, _)| mine(k)) {
                r.push((Arc::downgrade(key), conn));
            }
        });
        result
    }

    /// Runs `f`, whose reads through [`Pool::read`] on this thread share one
    /// read transaction on SQLite: one snapshot, and the WAL's read lock
    /// (two `fcntl` calls) taken once instead of once per statement. For a
    /// page that reads with several statements; a single statement gains
    /// nothing. Writes made meanwhile (by anyone, this thread included)
    /// are seen after the scope ends, so `f` must only read. Inside another
    /// scope (of any pool) it opens no transaction of its own.
    ///
    /// On PostgreSQL, `f` runs as it is: each read takes a connection of
    /// the pool and sees every transaction committed before it.
    pub fn read_together<T, E>(&self, f: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<PersistenceError>,
    {
        if self.backend == Backend::Postgres || TOGETHER.with(std::cell::Cell::get) > 0 {
            return f();
        }
        self.read(|c| match c {
            DbConnection::Sqlite(c) => Begin.execute(c).map(drop).map_err(PersistenceError::from),
            DbConnection::Postgres(_) => Ok(()),
        })?;
        TOGETHER.with(|d| d.set(d.get() + 1));
        let _end = EndTogether(self);
        f()
    }

    /// Checks a connection out of the pool.
    pub fn get(&self) -> Result<PooledConnection, PersistenceError> {
        self.inner
            .get()
            .map_err(|e| PersistenceError::Pool(e.to_string()))
    }

    /// The backend this pool talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Open and idle connections.
    pub fn state(&self) -> PoolState {
        let s = self.inner.state();
        PoolState {
            connections: s.connections,
            idle: s.idle_connections,
            max: self.inner.max_size(),
        }
    }

    /// Whether the database answers a trivial query.
    pub fn ping(&self) -> Result<(), PersistenceError> {
        let mut conn = self.get()?;
        conn.batch_execute("SELECT 1")
            .map_err(PersistenceError::from)
    }
}

/// Runs `f` in a transaction that may write. On SQLite it starts with
/// `BEGIN IMMEDIATE`, taking the write lock up front: a deferred transaction
/// that reads and then writes cannot wait for the lock (SQLite answers
/// "database is locked" at once instead of honouring the busy timeout), so
/// concurrent requests would fail rather than queue. Nested transactions
/// inside `f` become savepoints as usual.
pub fn write_transaction<T, F>(conn: &mut DbConnection, f: F) -> Result<T, PersistenceError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, PersistenceError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let nested = match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::transaction_manager_status_mut(inner)
                .transaction_depth()
                .map_err(PersistenceError::from)?
                .is_some()
        }
        DbConnection::Postgres(_) => true,
    };
    // PostgreSQL, and a write inside a write (a savepoint): the usual way.
    if nested {
        return conn.transaction(f);
    }
    if let DbConnection::Sqlite(inner) = conn {
        AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn);
    if let DbConnection::Sqlite(inner) = conn {
        match &result {
            Ok(_) => AnsiTransactionManager::commit_transaction(inner)?,
            Err(_) => AnsiTransactionManager::rollback_transaction(inner)?,
        }
    }
    result
}
