//! User accounts: created by an administrator (API, admin page), by the
//! operator (`timetracker user create`) or by first-run setup; roles,
//! deactivation and deletion keep at least one active administrator, even
//! when two administrators act at the same moment.

use tt_domain::{
    Email, Password, Role, User, UserId, Username, WeekStart, Zone, ensure_an_admin_remains,
    require_admin,
};
use tt_persistence::users::{self as repo, NewUser};
pub use tt_persistence::users::{ANONYMOUS_USERNAME, DeletionReport, EntryDisposition};
use tt_persistence::{DbConnection, locks};

use crate::{Actor, App, AppError, Result, events, passwords};

/// A new account, as typed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name.
    pub username: Username,
    /// Password (hashed here, never stored).
    pub password: Password,
    /// E-mail.
    pub email: Option<Email>,
    /// Role.
    pub role: Role,
}

fn insert(app: &App, account: &NewAccount) -> Result<User> {
    tt_domain::may_take_username(&account.username)?;
    let hash = passwords::hash(&account.password)?;
    insert_hashed(app, account, &hash)
}

/// Stores an account whose password is already hashed.
pub(crate) fn insert_hashed(app: &App, account: &NewAccount, hash: &str) -> Result<User> {
    tt_domain::may_take_username(&account.username)?;
    app.write(|c| {
        let (name_taken, email_taken) = repo::taken(c, &account.username, account.email.as_ref())?;
        if name_taken {
            return Err(AppError::conflict_field(
                "username",
                "is already taken (letter case does not make a name different)",
            ));
        }
        if email_taken {
            return Err(AppError::conflict_field(
                "email",
                "another account already has this e-mail address",
            ));
        }
        Ok(repo::create(
            c,
            &NewUser {
                username: &account.username,
                email: account.email.as_ref(),
                password_hash: hash,
                role: account.role,
            },
        )?)
    })
}

/// A user sets how they read time: their time zone and first weekday
/// (`None`: the installation's default).
pub fn set_calendar(
    app: &App,
    actor: &Actor,
    time_zone: Option<Zone>,
    week_start: Option<WeekStart>,
) -> Result<User> {
    app.write(|c| Ok(repo::set_calendar(c, actor.id(), time_zone, week_start)?))
}

/// An administrator creates an account.
pub fn create(app: &App, actor: &Actor, account: NewAccount) -> Result<User> {
    require_admin(&actor.user)?;
    let user = insert(app, &account)?;
    app.track(events::user_created(&user), Some(actor.id()));
    Ok(user)
}

/// The operator creates an account on the command line (they hold the
/// server, so no signed-in actor is needed).
pub fn create_by_operator(app: &App, account: NewAccount) -> Result<User> {
    insert(app, &account)
}

/// How many accounts exist (setup asks whether any does).
pub fn count(app: &App) -> Result<i64> {
    app.read(|c| Ok(repo::count(c)?))
}

/// All accounts, by username (admin).
pub fn list(app: &App, actor: &Actor) -> Result<Vec<User>> {
    require_admin(&actor.user)?;
    app.read(|c| Ok(repo::list(c)?))
}

/// Everyone, for naming authors and assignees on pages any user sees.
pub fn directory(app: &App) -> Result<Vec<User>> {
    app.read(|c| Ok(repo::list(c)?))
}

/// Inside the roster lock: the actor must still be an active admin (another
/// admin may have demoted them a moment ago).
fn recheck_actor(c: &mut DbConnection, actor: &Actor) -> Result<()> {
    let now = repo::find(c, actor.id())?;
    if !now.active {
        return Err(AppError::Forbidden("your account is no longer active"));
    }
    require_admin(&now)?;
    Ok(())
}

/// Changes a user's role and active flag (admin). Returns the previous
/// role too.
pub fn set_role_active(
    app: &App,
    actor: &Actor,
    id: UserId,
    role: Role,
    active: bool,
) -> Result<(Role, User)> {
    require_admin(&actor.user)?;
    let (old, user) = app.write(|c| {
        locks::admin_roster(c, &[actor.id(), id])?;
        recheck_actor(c, actor)?;
        let before = repo::find(c, id)?;
        let after = repo::set_role_active(c, id, role, active)?;
        ensure_an_admin_remains(repo::count_active_admins(c)?)?;
        if !active {
            // Deactivation ends every session and token; reactivating the
            // account later brings none of them back.
            repo::end_access(c, id, None)?;
        }
        Ok((before.role, after))
    })?;
    if let Some(event) = events::user_role_changed(old, &user) {
        app.track(event, Some(actor.id()));
    }
    Ok((old, user))
}

/// Deletes a user (admin), keeping their entries anonymised or deleting
/// them. Nobody deletes their own account this way.
pub fn delete(
    app: &App,
    actor: &Actor,
    id: UserId,
    entries: EntryDisposition,
) -> Result<DeletionReport> {
    require_admin(&actor.user)?;
    if id == actor.id() {
        return Err(AppError::conflict("you cannot delete your own account"));
    }
    let report = app.write(|c| {
        locks::admin_roster(c, &[actor.id(), id])?;
        recheck_actor(c, actor)?;
        locks::entries_of_user(c, id)?;
        repo::end_access(c, id, None)?;
        let report = repo::delete(c, id, entries)?;
        ensure_an_admin_remains(repo::count_active_admins(c)?)?;
        Ok(report)
    })?;
    app.track(events::user_deleted(id, entries), Some(actor.id()));
    Ok(report)
}

// ------------------------------------------------------------- passwords

/// A new password for `user`, judged against their name and e-mail.
fn new_password(user: &User, raw: &str) -> Result<Password> {
    let email = user.email.as_ref().map_or("", Email::as_str);
    Ok(Password::parse(raw, &[user.username.as_str(), email])?)
}

/// Stores `password` for `user` and ends every session and token of
/// theirs except the session `keep`, in one transaction.
fn replace_password(
    app: &App,
    user: UserId,
    password: &Password,
    must_change: bool,
    keep: Option<i64>,
) -> Result<()> {
    let hash = passwords::hash(password)?;
    app.write(|c| {
        repo::set_password_hash(c, user, &hash, must_change)?;
        repo::end_access(c, user, keep)?;
        Ok(())
    })
}

/// The actor changes their own password; the current one is required.
/// Every other session and every API token of theirs ends; `current`
/// (the browser session asking, if any) stays signed in.
pub fn change_password(
    app: &App,
    actor: &Actor,
    current_password: &str,
    new: &str,
    current: Option<i64>,
) -> Result<()> {
    let hash = app.read(|c| Ok(repo::password_hash(c, actor.id())?))?;
    if current_password.len() > 1024 || !passwords::verify(current_password, &hash) {
        return Err(AppError::invalid_field("current_password", "is not right"));
    }
    if current_password == new {
        return Err(AppError::invalid_field(
            "password",
            "the new password must differ from the current one",
        ));
    }
    let password = new_password(&actor.user, new)?;
    replace_password(app, actor.id(), &password, false, current)?;
    tracing::info!(user = actor.id().get(), "password changed");
    Ok(())
}

/// An administrator gives a user a temporary password: all of the user's
/// sessions and tokens end, and they must choose a new password at their
/// next sign-in.
pub fn reset_password(app: &App, actor: &Actor, id: UserId, temporary: &str) -> Result<User> {
    require_admin(&actor.user)?;
    let user = app.read(|c| Ok(repo::find(c, id)?))?;
    // The anonymisation placeholder has a reserved name and no password.
    tt_domain::may_take_username(&user.username)?;
    let password = new_password(&user, temporary)?;
    replace_password(app, id, &password, true, None)?;
    tracing::info!(user = id.get(), by = actor.id().get(), "password reset");
    app.read(|c| Ok(repo::find(c, id)?))
}

/// The operator sets a user's password on the command line
/// (`timetracker user set-password`). With `must_change`, the user chooses
/// a new one at their next sign-in. Every session and token ends.
pub fn set_password_by_operator(
    app: &App,
    username: &Username,
    password: &str,
    must_change: bool,
) -> Result<User> {
    tt_domain::may_take_username(username)?;
    let user = app.read(|c| match repo::find_with_hash(c, username.as_str()) {
        Ok((user, _)) => Ok(user),
        Err(tt_persistence::PersistenceError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    })?;
    let password = new_password(&user, password)?;
    replace_password(app, user.id, &password, must_change, None)?;
    app.read(|c| Ok(repo::find(c, user.id)?))
}
