//! Users and API tokens.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use tt_domain::{Email, Role, User, UserId, Username, WeekStart, Zone};

use crate::schema::{api_tokens, users};
use crate::{
    DbConnection, FixedSqlDsl, PersistenceError, Result, Stamp, id, lower, lower_opt, now, to_naive,
};

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    email: Option<String>,
    password_hash: String,
    role: String,
    active: bool,
    must_change_password: bool,
    time_zone: Option<String>,
    week_start: Option<String>,
    created_at: Stamp,
}

impl UserRow {
    pub(crate) fn into_domain(self) -> Result<(User, String)> {
        let user = User {
            id: id(self.id, UserId::new)?,
            username: Username::parse(&self.username)
                .map_err(|_| PersistenceError::Corrupt("username"))?,
            email: self
                .email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(|_| PersistenceError::Corrupt("email"))?,
            role: self
                .role
                .parse::<Role>()
                .map_err(|_| PersistenceError::Corrupt("role"))?,
            active: self.active,
            must_change_password: self.must_change_password,
            // A zone a newer time-zone database no longer knows falls back
            // to the installation's, rather than locking the user out.
            time_zone: self.time_zone.as_deref().and_then(|z| Zone::parse(z).ok()),
            week_start: self
                .week_start
                .as_deref()
                .map(WeekStart::parse)
                .transpose()
                .map_err(|_| PersistenceError::Corrupt("week_start"))?,
            created_at: self.created_at.utc(),
        };
        Ok((user, self.password_hash))
    }
}

/// A new user; the password is already hashed by the caller.
#[derive(Debug)]
pub struct NewUser<'a> {
    /// Login name.
    pub username: &'a Username,
    /// E-mail.
    pub email: Option<&'a Email>,
    /// PHC-format password hash.
    pub password_hash: &'a str,
    /// Role.
    pub role: Role,
}

/// Which of a username and an e-mail address another account already
/// has, letter case ignored (the unique indexes decide the same way).
pub fn taken(
    conn: &mut DbConnection,
    username: &Username,
    email: Option<&Email>,
) -> Result<(bool, bool)> {
    let name: i64 = users::table
        .filter(lower(users::username).eq(lower(username.as_str())))
        .count()
        .get_result(conn)?;
    let mail: i64 = match email {
        Some(e) => users::table
            .filter(lower_opt(users::email).eq(lower_opt(Some(e.as_str()))))
            .count()
            .get_result(conn)?,
        None => 0,
    };
    Ok((name > 0, mail > 0))
}

/// Creates a user. A username or e-mail address taken in any letter case
/// is a `Conflict` (check [`taken`] first for a precise message).
pub fn create(conn: &mut DbConnection, new: &NewUser<'_>) -> Result<User> {
    let inserted: i64 = diesel::insert_into(users::table)
        .values((
            users::username.eq(new.username.as_str()),
            users::email.eq(new.email.map(Email::as_str)),
            users::password_hash.eq(new.password_hash),
            users::role.eq(new.role.as_str()),
            users::active.eq(true),
            users::created_at.eq(to_naive(now())),
        ))
        .returning(users::id)
        .get_result(conn)
        .map_err(|e| match PersistenceError::from(e) {
            PersistenceError::Conflict(_) => {
                PersistenceError::Conflict("the username or e-mail address is taken")
            }
            other => other,
        })?;
    find(conn, id(inserted, UserId::new)?)
}

/// A user by id.
pub fn find(conn: &mut DbConnection, user_id: UserId) -> Result<User> {
    let row: UserRow = crate::native!(conn, c => users::table
        .find(user_id.get())
        .select(UserRow::as_select())
        .fixed_sql()
        .get_result(c))?;
    Ok(row.into_domain()?.0)
}

/// A user and their password hash, by username in any letter case (for
/// login).
pub fn find_with_hash(conn: &mut DbConnection, username: &str) -> Result<(User, String)> {
    let row: UserRow = users::table
        .filter(lower(users::username).eq(lower(username)))
        .select(UserRow::as_select())
        .first(conn)?;
    row.into_domain()
}

/// All users, by username.
pub fn list(conn: &mut DbConnection) -> Result<Vec<User>> {
    users::table
        .order(users::username.asc())
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| r.into_domain().map(|(u, _)| u))
        .collect()
}

/// How many users exist.
pub fn count(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table.count().get_result(conn)?)
}

/// How many active admins exist.
pub fn count_active_admins(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?)
}

/// Sets a user's role and active flag (the caller keeps an admin).
pub fn set_role_active(
    conn: &mut DbConnection,
    user_id: UserId,
    role: Role,
    active: bool,
) -> Result<User> {
    let n = diesel::update(users::table.find(user_id.get()))
        .set((users::role.eq(role.as_str()), users::active.eq(active)))
        .execute(conn)?;
    if n == 0 {
        return Err(PersistenceError::NotFound);
    }
    find(conn, user_id)
}

/// Replaces a user's password hash; `must_change` makes them choose a new
/// one at their next sign-in. Ending their sessions and tokens is
/// [`end_access`], in the same transaction.
pub fn set_password_hash(
    conn: &mut DbConnection,
    user_id: UserId,
    hash: &str,
    must_change: bool,
) -> Result<()> {
    let n = diesel::update(users::table.find(user_id.get()))
        .set((
            users::password_hash.eq(hash),
            users::must_change_password.eq(must_change),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(PersistenceError::NotFound);
    }
    Ok(())
}

/// Sets how a user reads time; `None` falls back to the installation's
/// default.
pub fn set_calendar(
    conn: &mut DbConnection,
    user_id: UserId,
    time_zone: Option<Zone>,
    week_start: Option<WeekStart>,
) -> Result<User> {
    let n = diesel::update(users::table.find(user_id.get()))
        .set((
            users::time_zone.eq(time_zone.map(|z| z.name())),
            users::week_start.eq(week_start.map(WeekStart::as_str)),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(PersistenceError::NotFound);
    }
    find(conn, user_id)
}

/// A user's password hash (to check a current password before a change).
pub fn password_hash(conn: &mut DbConnection, user_id: UserId) -> Result<String> {
    Ok(users::table
        .find(user_id.get())
        .select(users::password_hash)
        .first(conn)?)
}

/// Ends every way a user is signed in — browser sessions (except `keep`,
/// the one that asked) and API tokens; returns (sessions, tokens) ended.
pub fn end_access(
    conn: &mut DbConnection,
    user_id: UserId,
    keep: Option<i64>,
) -> Result<(usize, usize)> {
    let sessions = crate::sessions::delete_all_of_user(conn, user_id, keep)?;
    let tokens = revoke_all_tokens(conn, user_id)?;
    Ok((sessions, tokens))
}

/// A new API token; only its hash is stored.
#[derive(Debug, Clone, Copy)]
pub struct NewToken<'a> {
    /// Its owner.
    pub user_id: UserId,
    /// SHA-256 of the token, lower hex.
    pub token_hash: &'a str,
    /// What its owner calls it.
    pub name: &'a str,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Stores an API token; returns its id. Expired tokens are swept on the way.
pub fn add_token(conn: &mut DbConnection, new: &NewToken<'_>) -> Result<i64> {
    let now = now();
    diesel::delete(api_tokens::table.filter(api_tokens::expires_at.le(to_naive(now))))
        .execute(conn)?;
    Ok(diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(new.user_id.get()),
            api_tokens::token_hash.eq(new.token_hash),
            api_tokens::name.eq(new.name),
            api_tokens::expires_at.eq(new.expires_at.map(to_naive)),
            api_tokens::created_at.eq(to_naive(now)),
        ))
        .returning(api_tokens::id)
        .get_result(conn)?)
}

/// An API token as its owner sees it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
}

type TokenColumns = (i64, String, Stamp, Option<Stamp>, Option<Stamp>);

fn token_info((id, name, created, expires, used): TokenColumns) -> TokenInfo {
    TokenInfo {
        id,
        name,
        created_at: created.utc(),
        expires_at: expires.map(Stamp::utc),
        last_used_at: used.map(Stamp::utc),
    }
}

const TOKEN_COLUMNS: (
    api_tokens::id,
    api_tokens::name,
    api_tokens::created_at,
    api_tokens::expires_at,
    api_tokens::last_used_at,
) = (
    api_tokens::id,
    api_tokens::name,
    api_tokens::created_at,
    api_tokens::expires_at,
    api_tokens::last_used_at,
);

/// How stale a token's `last_used_at` may get before a request refreshes
/// it: at most one write a minute per token, never one per request.
pub const LAST_USED_GRANULARITY: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// The active user owning an unexpired token hash, and the token. Only
/// reads; [`record_token_use`] keeps `last_used_at` current.
pub fn find_by_token_hash(conn: &mut DbConnection, token_hash: &str) -> Result<(User, TokenInfo)> {
    // No `LIMIT`: the unique index on `token_hash` allows one row at most.
    // The expiry is compared here rather than bound into the statement:
    // the statement then has nothing to bind but the hash.
    let (row, token): (UserRow, TokenColumns) = crate::native!(conn, c => users::table
        .inner_join(api_tokens::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(users::active.eq(true))
        .select((UserRow::as_select(), TOKEN_COLUMNS))
        .fixed_sql()
        .get_result(c))?;
    let token = token_info(token);
    if token.expires_at.is_some_and(|at| at <= now()) {
        return Err(PersistenceError::NotFound);
    }
    Ok((row.into_domain()?.0, token))
}

/// Whether a request with `token` should record its use: when the last
/// record is older than [`LAST_USED_GRANULARITY`] (one write a minute per
/// token at most, never one per request).
pub fn token_use_is_stale(token: &TokenInfo, at: DateTime<Utc>) -> bool {
    token
        .last_used_at
        .is_none_or(|t| t < at - LAST_USED_GRANULARITY)
}

/// Records that token `id` was used at `at`, unless a simultaneous request
/// already did within [`LAST_USED_GRANULARITY`].
pub fn record_token_use(conn: &mut DbConnection, id: i64, at: DateTime<Utc>) -> Result<()> {
    let stale = to_naive(at - LAST_USED_GRANULARITY);
    diesel::update(
        api_tokens::table.find(id).filter(
            api_tokens::last_used_at
                .is_null()
                .or(api_tokens::last_used_at.lt(stale)),
        ),
    )
    .set(api_tokens::last_used_at.eq(to_naive(at)))
    .execute(conn)?;
    Ok(())
}

/// A user's unexpired tokens, newest first.
pub fn list_tokens(conn: &mut DbConnection, user_id: UserId) -> Result<Vec<TokenInfo>> {
    let rows: Vec<TokenColumns> = api_tokens::table
        .filter(api_tokens::user_id.eq(user_id.get()))
        .filter(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(to_naive(now()))),
        )
        .order(api_tokens::id.desc())
        .select(TOKEN_COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(token_info).collect())
}

/// Revokes one of a user's tokens by id; `false` if they have no such token.
pub fn revoke_token_of_user(conn: &mut DbConnection, user_id: UserId, token: i64) -> Result<bool> {
    let n = diesel::delete(
        api_tokens::table
            .find(token)
            .filter(api_tokens::user_id.eq(user_id.get())),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Revokes every token of a user; returns how many.
pub fn revoke_all_tokens(conn: &mut DbConnection, user_id: UserId) -> Result<usize> {
    Ok(
        diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id.get())))
            .execute(conn)?,
    )
}

/// Revokes one token (logout of an API client); returns its internal id,
/// or `None` if no such token existed.
pub fn revoke_token(conn: &mut DbConnection, token_hash: &str) -> Result<Option<i64>> {
    crate::connection::write_transaction(conn, |conn| {
        let id: Option<i64> = api_tokens::table
            .filter(api_tokens::token_hash.eq(token_hash))
            .select(api_tokens::id)
            .first(conn)
            .optional()?;
        diesel::delete(api_tokens::table.filter(api_tokens::token_hash.eq(token_hash)))
            .execute(conn)?;
        Ok(id)
    })
}

/// What happens to a deleted user's time entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryDisposition {
    /// Deleted with the user (invoiced entries block the deletion).
    Delete,
    /// Kept for reports and invoices, moved to the shared anonymous
    /// placeholder user, with notes and tags cleared.
    Anonymise,
}

/// The username the shared placeholder that anonymised entries belong to
/// is created with. It is recognised by its `placeholder` flag, never by
/// this name; new accounts may not take it (`tt_domain::may_take_username`).
pub const ANONYMOUS_USERNAME: &str = "deleted-user";

/// What deleting a user removed or kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletionReport {
    /// Time entries deleted.
    pub entries_deleted: usize,
    /// Time entries kept, anonymised.
    pub entries_anonymised: usize,
    /// Comments deleted.
    pub comments_deleted: usize,
}

/// Deletes a user and everything of theirs: comments, API tokens, task
/// assignments, and their time entries (deleted or anonymised). Refuses to
/// delete the anonymous placeholder; keeping an admin is the caller's rule.
pub fn delete(
    conn: &mut DbConnection,
    user_id: UserId,
    entries: EntryDisposition,
) -> Result<DeletionReport> {
    use crate::schema::{comments, tasks, time_entries};
    crate::connection::write_transaction(conn, |conn| {
        let placeholder: bool = users::table
            .find(user_id.get())
            .select(users::placeholder)
            .first(conn)?;
        if placeholder {
            return Err(PersistenceError::Conflict(
                "the anonymous placeholder cannot be deleted",
            ));
        }
        let own = time_entries::table.filter(time_entries::user_id.eq(user_id.get()));
        let (entries_deleted, entries_anonymised) = match entries {
            EntryDisposition::Delete => {
                // Guarded: an entry billed by a concurrent invoice is never
                // deleted; if any billed entry remains, nothing is.
                let deleted =
                    diesel::delete(own.filter(time_entries::invoice_id.is_null())).execute(conn)?;
                let invoiced: i64 = own.count().get_result(conn)?;
                if invoiced > 0 {
                    return Err(PersistenceError::Conflict(
                        "this user has invoiced time; anonymise their entries instead",
                    ));
                }
                (deleted, 0)
            }
            EntryDisposition::Anonymise => {
                let placeholder = anonymous_placeholder(conn)?;
                // A running timer is unfinished work, not a record: drop it.
                diesel::delete(own.filter(time_entries::end_time.is_null())).execute(conn)?;
                let n = diesel::update(
                    time_entries::table.filter(time_entries::user_id.eq(user_id.get())),
                )
                .set((
                    time_entries::user_id.eq(placeholder.get()),
                    time_entries::notes.eq(""),
                    time_entries::tags.eq(""),
                ))
                .execute(conn)?;
                (0, n)
            }
        };
        let comments_deleted =
            diesel::delete(comments::table.filter(comments::user_id.eq(user_id.get())))
                .execute(conn)?;
        diesel::update(tasks::table.filter(tasks::assignee_id.eq(user_id.get())))
            .set(tasks::assignee_id.eq(None::<i64>))
            .execute(conn)?;
        // Their corrections of others' entries stay recorded as made by
        // a deleted user.
        diesel::update(time_entries::table.filter(time_entries::updated_by.eq(user_id.get())))
            .set(time_entries::updated_by.eq(None::<i64>))
            .execute(conn)?;
        // Their consent changes stay in the history, as made by a deleted
        // account.
        diesel::update(
            crate::schema::consent_changes::table
                .filter(crate::schema::consent_changes::actor_user_id.eq(user_id.get())),
        )
        .set((
            crate::schema::consent_changes::actor_user_id.eq(None::<i64>),
            crate::schema::consent_changes::actor.eq(crate::consent_history::DELETED_ACCOUNT),
        ))
        .execute(conn)?;
        diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id.get())))
            .execute(conn)?;
        diesel::delete(users::table.find(user_id.get())).execute(conn)?;
        Ok(DeletionReport {
            entries_deleted,
            entries_anonymised,
            comments_deleted,
        })
    })
}

/// The name for a new placeholder: `deleted-user`, unless an account made
/// before names were reserved already has it.
fn placeholder_name(conn: &mut DbConnection) -> Result<String> {
    let taken: i64 = users::table
        .filter(lower(users::username).eq(ANONYMOUS_USERNAME))
        .count()
        .get_result(conn)?;
    Ok(if taken == 0 {
        ANONYMOUS_USERNAME.to_owned()
    } else {
        format!("{ANONYMOUS_USERNAME}-{}", now().timestamp())
    })
}

/// The shared, inactive placeholder user that owns anonymised entries. It
/// has no e-mail and a password hash no password matches.
fn anonymous_placeholder(conn: &mut DbConnection) -> Result<UserId> {
    let existing: Option<i64> = users::table
        .filter(users::placeholder.eq(true))
        .select(users::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return crate::id(id, UserId::new);
    }
    let id: i64 = diesel::insert_into(users::table)
        .values((
            users::username.eq(placeholder_name(conn)?),
            users::placeholder.eq(true),
            users::email.eq(None::<String>),
            users::password_hash.eq("!"),
            users::role.eq(Role::User.as_str()),
            users::active.eq(false),
            users::created_at.eq(to_naive(now())),
        ))
        .returning(users::id)
        .get_result(conn)?;
    crate::id(id, UserId::new)
}
