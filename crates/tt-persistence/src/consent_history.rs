//! The consent history: one row per change of a telemetry consent level
//! (who, when, from and to, through which surface). Rows are only ever
//! added.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tt_domain::UserId;

use crate::schema::consent_changes;
use crate::{DbConnection, Result, id, to_naive, to_utc};

/// One recorded change, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentChangeRecord {
    /// Row id (increasing with time of recording).
    pub id: i64,
    /// When the change was made.
    pub changed_at: DateTime<Utc>,
    /// `base` or `detailed`.
    pub level: String,
    /// The level before; `None` when no choice had been made.
    pub from_granted: Option<bool>,
    /// The level after.
    pub to_granted: bool,
    /// The surface's name (`setup`, `admin-page`, `api`, `cli`,
    /// `deployment`).
    pub surface: String,
    /// The account that made it; `None` for a deployment setting.
    pub actor_user_id: Option<UserId>,
    /// Who, as recorded at the time (`user:7`, `DO_NOT_TRACK=1`).
    pub actor: String,
}

/// A change to record.
#[derive(Debug, Clone, Copy)]
pub struct NewConsentChange<'a> {
    /// When the change was made.
    pub changed_at: DateTime<Utc>,
    /// `base` or `detailed`.
    pub level: &'a str,
    /// The level before; `None` when no choice had been made.
    pub from_granted: Option<bool>,
    /// The level after.
    pub to_granted: bool,
    /// The surface's name.
    pub surface: &'a str,
    /// The account that made it.
    pub actor_user_id: Option<UserId>,
    /// Who, in words.
    pub actor: &'a str,
}

/// Who made a change, once their account was deleted.
pub const DELETED_ACCOUNT: &str = "a deleted account";

#[derive(Queryable, Selectable)]
#[diesel(table_name = consent_changes)]
struct Row {
    id: i64,
    changed_at: chrono::NaiveDateTime,
    level: String,
    from_granted: Option<bool>,
    to_granted: bool,
    surface: String,
    actor_user_id: Option<i64>,
    actor: String,
}

impl Row {
    fn into_record(self) -> Result<ConsentChangeRecord> {
        Ok(ConsentChangeRecord {
            id: self.id,
            changed_at: to_utc(self.changed_at),
            level: self.level,
            from_granted: self.from_granted,
            to_granted: self.to_granted,
            surface: self.surface,
            actor_user_id: self.actor_user_id.map(|u| id(u, UserId::new)).transpose()?,
            actor: self.actor,
        })
    }
}

/// Records one change.
pub fn insert(conn: &mut DbConnection, change: &NewConsentChange<'_>) -> Result<()> {
    diesel::insert_into(consent_changes::table)
        .values((
            consent_changes::changed_at.eq(to_naive(change.changed_at)),
            consent_changes::level.eq(change.level),
            consent_changes::from_granted.eq(change.from_granted),
            consent_changes::to_granted.eq(change.to_granted),
            consent_changes::surface.eq(change.surface),
            consent_changes::actor_user_id.eq(change.actor_user_id.map(UserId::get)),
            consent_changes::actor.eq(change.actor),
        ))
        .execute(conn)?;
    Ok(())
}

fn collect(rows: Vec<Row>) -> Result<Vec<ConsentChangeRecord>> {
    rows.into_iter().map(Row::into_record).collect()
}

/// The latest `limit` changes, newest first.
pub fn recent(conn: &mut DbConnection, limit: i64) -> Result<Vec<ConsentChangeRecord>> {
    collect(
        consent_changes::table
            .order(consent_changes::id.desc())
            .limit(limit)
            .select(Row::as_select())
            .load(conn)?,
    )
}

/// Every change `user` made, oldest first.
pub fn by_actor(conn: &mut DbConnection, user: UserId) -> Result<Vec<ConsentChangeRecord>> {
    collect(
        consent_changes::table
            .filter(consent_changes::actor_user_id.eq(user.get()))
            .order(consent_changes::id.asc())
            .select(Row::as_select())
            .load(conn)?,
    )
}

/// The latest change of `level`, if any was recorded.
pub fn last_of_level(conn: &mut DbConnection, level: &str) -> Result<Option<ConsentChangeRecord>> {
    consent_changes::table
        .filter(consent_changes::level.eq(level))
        .order(consent_changes::id.desc())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_record)
        .transpose()
}
