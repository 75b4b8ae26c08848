//! Users and API tokens.

use diesel::prelude::*;
use tt_domain::{Email, Role, User, UserId, Username};

use crate::schema::{api_tokens, users};
use crate::{DbConnection, PersistenceError, Result, id, now, to_naive, to_utc};

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: i64,
    username: String,
    email: Option<String>,
    password_hash: String,
    role: String,
    active: bool,
    created_at: chrono::NaiveDateTime,
}

impl UserRow {
    fn into_domain(self) -> Result<(User, String)> {
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
            created_at: to_utc(self.created_at),
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

/// Creates a user. A taken username is a `Conflict`.
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
            PersistenceError::Conflict(_) => PersistenceError::Conflict("username is taken"),
            other => other,
        })?;
    find(conn, id(inserted, UserId::new)?)
}

/// A user by id.
pub fn find(conn: &mut DbConnection, user_id: UserId) -> Result<User> {
    let row: UserRow = users::table
        .find(user_id.get())
        .select(UserRow::as_select())
        .first(conn)?;
    Ok(row.into_domain()?.0)
}

/// A user and their password hash, by username (for login).
pub fn find_with_hash(conn: &mut DbConnection, username: &str) -> Result<(User, String)> {
    let row: UserRow = users::table
        .filter(users::username.eq(username))
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

/// Changes role and active flag. Refuses to leave the installation without
/// an active admin.
pub fn update_role_active(
    conn: &mut DbConnection,
    user_id: UserId,
    role: Role,
    active: bool,
) -> Result<User> {
    conn.transaction(|conn| {
        let before = find(conn, user_id)?;
        let n = diesel::update(users::table.find(user_id.get()))
            .set((users::role.eq(role.as_str()), users::active.eq(active)))
            .execute(conn)?;
        if n == 0 {
            return Err(PersistenceError::NotFound);
        }
        if before.is_admin() && count_active_admins(conn)? == 0 {
            return Err(PersistenceError::Conflict(
                "the last active admin cannot be demoted",
            ));
        }
        find(conn, user_id)
    })
}

/// Replaces a user's password hash and revokes their API tokens.
pub fn set_password_hash(conn: &mut DbConnection, user_id: UserId, hash: &str) -> Result<()> {
    conn.transaction(|conn| {
        let n = diesel::update(users::table.find(user_id.get()))
            .set(users::password_hash.eq(hash))
            .execute(conn)?;
        if n == 0 {
            return Err(PersistenceError::NotFound);
        }
        diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id.get())))
            .execute(conn)?;
        Ok(())
    })
}

/// Stores the SHA-256 hash of a new API token.
pub fn add_token(conn: &mut DbConnection, user_id: UserId, token_hash: &str) -> Result<()> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id.get()),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::created_at.eq(to_naive(now())),
        ))
        .execute(conn)?;
    Ok(())
}

/// The active user owning a token hash.
pub fn find_by_token_hash(conn: &mut DbConnection, token_hash: &str) -> Result<User> {
    let row: UserRow = users::table
        .inner_join(api_tokens::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)?;
    Ok(row.into_domain()?.0)
}

/// Revokes one token (logout of an API client).
pub fn revoke_token(conn: &mut DbConnection, token_hash: &str) -> Result<()> {
    diesel::delete(api_tokens::table.filter(api_tokens::token_hash.eq(token_hash)))
        .execute(conn)?;
    Ok(())
}
