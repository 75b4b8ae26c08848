//! The shared installation document (identity and consent) for replicas on
//! one database. The document is opaque here: the installation crate owns
//! its format; this table keeps the one copy every replica sees.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::schema::installation_state;
use crate::{DbConnection, PersistenceError, Result, now, to_naive};

/// The stored document, if any.
pub fn load(conn: &mut DbConnection) -> Result<Option<String>> {
    Ok(installation_state::table
        .find(1_i64)
        .select(installation_state::document)
        .first(conn)
        .optional()?)
}

fn store(
    conn: &mut DbConnection,
    document: &str,
) -> std::result::Result<(), diesel::result::Error> {
    let n = diesel::update(installation_state::table.find(1_i64))
        .set((
            installation_state::document.eq(document),
            installation_state::updated_at.eq(to_naive(now())),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(installation_state::table)
            .values((
                installation_state::id.eq(1_i64),
                installation_state::document.eq(document),
                installation_state::updated_at.eq(to_naive(now())),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Stores the document (insert or replace), atomically.
pub fn save(conn: &mut DbConnection, document: &str) -> Result<()> {
    conn.transaction(|conn| store(conn, document))
        .map_err(PersistenceError::from)
}

enum TxError<E> {
    Db(diesel::result::Error),
    App(E),
}

impl<E> From<diesel::result::Error> for TxError<E> {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Db(e)
    }
}

/// Read-modify-write under a lock that serialises every updater on every
/// replica: `edit` gets the current document and returns the new one (or
/// `None` to leave it). Returns the document in force afterwards.
pub fn update<E, F>(conn: &mut DbConnection, edit: F) -> std::result::Result<Option<String>, E>
where
    E: From<PersistenceError>,
    F: FnOnce(Option<&str>) -> std::result::Result<Option<String>, E>,
{
    let run = |conn: &mut DbConnection| -> std::result::Result<Option<String>, TxError<E>> {
        if let DbConnection::Postgres(_) = conn {
            // A table lock also covers the very first insert, which a row
            // lock could not.
            conn.batch_execute("LOCK TABLE installation_state IN SHARE ROW EXCLUSIVE MODE")?;
        }
        let current: Option<String> = installation_state::table
            .find(1_i64)
            .select(installation_state::document)
            .first(conn)
            .optional()?;
        match edit(current.as_deref()).map_err(TxError::App)? {
            Some(next) => {
                store(conn, &next)?;
                Ok(Some(next))
            }
            None => Ok(current),
        }
    };
    let result = match conn {
        DbConnection::Sqlite(_) => {
            // BEGIN IMMEDIATE takes the write lock up front.
            conn.batch_execute("BEGIN IMMEDIATE")
                .map_err(|e| E::from(e.into()))?;
            let r = run(conn);
            let end = if r.is_ok() { "COMMIT" } else { "ROLLBACK" };
            conn.batch_execute(end).map_err(|e| E::from(e.into()))?;
            r
        }
        DbConnection::Postgres(_) => conn.transaction(run),
    };
    result.map_err(|e| match e {
        TxError::Db(d) => E::from(PersistenceError::from(d)),
        TxError::App(a) => a,
    })
}
