//! The shared installation document (identity and consent) for replicas on
//! one database. The document is opaque here: the installation crate owns
//! its format; this table only keeps one copy all replicas can see.

use diesel::prelude::*;

use crate::schema::installation_state;
use crate::{DbConnection, Result, now, to_naive};

/// The stored document, if any.
pub fn load(conn: &mut DbConnection) -> Result<Option<String>> {
    Ok(installation_state::table
        .find(1_i64)
        .select(installation_state::document)
        .first(conn)
        .optional()?)
}

/// Stores the document (insert or replace), atomically.
pub fn save(conn: &mut DbConnection, document: &str) -> Result<()> {
    conn.transaction(|conn| {
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
    })
}
