//! Statements whose SQL text is the same on every execution, so that
//! diesel finds their cached prepared statement without first walking the
//! whole query to ask whether it may be cached.
//!
//! Before diesel looks a statement up in its cache, it asks the query
//! whether it is safe to cache: a full pass over the query's syntax tree,
//! made through a trait object (so never folded to a constant), which
//! visits every selected column and every filter. For the session lookup
//! (five tables, about forty columns) that pass cost as much as binding the
//! key. The queries wrapped here answer at once.
//!
//! Only a query whose SQL text cannot vary with its values may be wrapped,
//! and only one with a static query id, which diesel then finds in the
//! cache by its type alone. The static id is asserted when the wrapper is
//! built for a concrete query (a build error, not seen by `cargo check`):
//! it already refuses what diesel writes differently per call, `eq_any`
//! with bound values, `sql()` fragments and updates, whose ids are not
//! static. For a hand-written fragment that says it may not be cached,
//! every debug build, and so every test that runs the query, asks
//! diesel's own question and panics if the answer is no.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// A query whose SQL text is the same on every execution; see the module.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FixedSql<Q>(Q);

/// Wraps a query in [`FixedSql`].
pub(crate) trait FixedSqlDsl: Sized + QueryId {
    /// This query, known to write the same SQL on every execution.
    fn fixed_sql(self) -> FixedSql<Self> {
        const {
            assert!(
                Self::HAS_STATIC_QUERY_ID,
                "only a query with a static query id is found by its type"
            );
        }
        FixedSql(self)
    }
}

impl<Q: Query + QueryId> FixedSqlDsl for Q {}

impl<Q: QueryId> QueryId for FixedSql<Q> {
    // The inner query's: the wrapped and the bare query share one cached
    // statement, since they write the same SQL.
    type QueryId = Q::QueryId;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

impl<Q: Query> Query for FixedSql<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for FixedSql<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, backend: &DB) -> QueryResult<bool> {
        if cfg!(debug_assertions) {
            assert!(
                self.0.is_safe_to_cache_prepared(backend)?,
                "a query wrapped in FixedSql writes SQL that varies with its values"
            );
        }
        Ok(true)
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for FixedSql<Q> {}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sqlite::{Sqlite, SqliteConnection};

    use super::*;
    use crate::schema::users;

    fn safe<Q: QueryFragment<Sqlite>>(q: &Q) -> bool {
        q.is_safe_to_cache_prepared(&Sqlite)
            .expect("walk the query")
    }

    #[test]
    fn answers_at_once_and_writes_the_same_sql_and_binds() {
        let q = users::table
            .filter(users::username.eq("ada"))
            .select(users::id);
        let fixed = q.fixed_sql();
        assert!(safe(&fixed));
        assert_eq!(
            diesel::debug_query::<Sqlite, _>(&q).to_string(),
            diesel::debug_query::<Sqlite, _>(&fixed).to_string()
        );
        let mut conn = SqliteConnection::establish(":memory:").expect("open");
        diesel::sql_query("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT)")
            .execute(&mut conn)
            .expect("create");
        diesel::sql_query("INSERT INTO users VALUES (7, 'ada'), (8, 'bob')")
            .execute(&mut conn)
            .expect("insert");
        // Twice: the second run takes the cached statement.
        for _ in 0..2 {
            let ids: Vec<i64> = q.fixed_sql().load(&mut conn).expect("load");
            assert_eq!(ids, [7]);
        }
    }

    /// A statement diesel may not cache, with a static query id.
    #[derive(diesel::QueryId)]
    struct Varying;

    impl Query for Varying {
        type SqlType = diesel::sql_types::Integer;
    }

    impl QueryFragment<Sqlite> for Varying {
        fn walk_ast<'b>(&'b self, mut pass: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
            pass.unsafe_to_cache_prepared();
            pass.push_sql("SELECT 1");
            Ok(())
        }
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "varies with its values")]
    fn a_query_whose_sql_varies_is_refused_in_debug_builds() {
        assert!(!safe(&Varying));
        safe(&Varying.fixed_sql());
    }
}
