//! First-run setup and the installation's telemetry consent.
//!
//! Setup runs once: `Installation::complete_setup` is atomic and refuses a
//! second completion, and it runs before the first administrator is
//! created, so two racing submissions (browser or command line) can never
//! create a second admin or re-open setup.

use tt_consent::{ConsentLevel, ConsentSource};
use tt_domain::{Role, User, require_admin};
use tt_installation::InstallationError;
use tt_telemetry::Event;

use crate::users::NewAccount;
use crate::{Actor, App, AppError, Result};

fn installation_error(e: InstallationError) -> AppError {
    match e {
        InstallationError::AlreadyComplete { .. } => {
            AppError::conflict("setup is already complete")
        }
        e @ InstallationError::DeployerDisabled { .. } => AppError::Conflict(e.to_string()),
        other => AppError::Internal(Box::new(other)),
    }
}

fn setup_completed(app: &App, user: &User, base: bool, detailed: bool) {
    app.consent_changed();
    app.track(
        Event::SetupCompleted {
            base_consent: base,
            detailed_consent: detailed,
        },
        Some(user.id),
    );
    tracing::info!(
        admin = user.id.get(),
        base,
        detailed,
        "first-run setup completed"
    );
}

/// Setup on an installation without users: records the consent choices
/// (once only), then creates the first administrator. `by` names who
/// decided (`setup-wizard`, `setup-cli`).
pub fn setup_with_first_admin(
    app: &App,
    mut account: NewAccount,
    base: bool,
    detailed: bool,
    by: &str,
) -> Result<User> {
    if app.installation.is_setup_complete() {
        return Err(AppError::conflict("setup is already complete"));
    }
    if crate::users::count(app)? > 0 {
        return Err(AppError::conflict(
            "users already exist; sign in as an administrator to finish setup",
        ));
    }
    account.role = Role::Admin;
    tt_domain::may_take_username(&account.username)?;
    // Hash before the once-only step, so a slow hash cannot leave setup
    // recorded without its administrator.
    let hash = crate::passwords::hash(&account.password)?;
    app.installation
        .complete_setup(base, detailed, by)
        .map_err(installation_error)?;
    let user = crate::users::insert_hashed(app, &account, &hash).map_err(|e| {
        tracing::error!(error = %e, "setup completed but the first administrator could not be created");
        AppError::conflict(format!(
            "setup was recorded, but the administrator account could not be created ({e}); \
             create one with `timetracker user create --admin --username NAME`"
        ))
    })?;
    setup_completed(app, &user, base, detailed);
    Ok(user)
}

/// Setup when an administrator already exists (created on the command
/// line): they record the consent choices.
pub fn setup_consent(app: &App, actor: &Actor, base: bool, detailed: bool) -> Result<()> {
    require_admin(&actor.user)?;
    app.installation
        .complete_setup(base, detailed, &format!("user:{}", actor.id()))
        .map_err(installation_error)?;
    setup_completed(app, &actor.user, base, detailed);
    Ok(())
}

/// An administrator turns one consent level on or off. Turning on what the
/// deployer switched off is refused with the reason.
pub fn set(app: &App, actor: &Actor, level: ConsentLevel, granted: bool) -> Result<()> {
    require_admin(&actor.user)?;
    let inst = &app.installation;
    let effective = inst.effective(level);
    if granted && !effective.changeable_by_admin() {
        let title = match level {
            ConsentLevel::Base => "base telemetry",
            ConsentLevel::Detailed => "detailed analytics",
        };
        return Err(AppError::conflict(format!(
            "{title} cannot be turned on: it is {}. Remove that setting and restart the server to decide here",
            effective.reason
        )));
    }
    let was = inst.snapshot().consent(level).map(|c| c.granted);
    if was == Some(granted) {
        return Ok(());
    }
    inst.set_consent(level, granted, &format!("user:{}", actor.id()))
        .map_err(installation_error)?;
    app.consent_changed();
    tracing::info!(level = %level, granted, actor = actor.id().get(), "telemetry consent changed");
    if granted {
        app.track(
            Event::AdminTelemetryEnabled {
                level: level.into(),
            },
            Some(actor.id()),
        );
    }
    Ok(())
}

/// Gives the installation a new install id (unlinking future telemetry
/// from what was sent before) and purges what was queued under the old one.
pub fn rotate_install_id(app: &App, actor: &Actor) -> Result<String> {
    require_admin(&actor.user)?;
    let id = app
        .installation
        .rotate_install_id()
        .map_err(installation_error)?;
    if let Some(t) = app.telemetry() {
        t.identity_changed();
    }
    tracing::info!(actor = actor.id().get(), "install id rotated");
    // Sent (with detailed consent) under the new id only.
    app.track(Event::AdminInstallIdRotated {}, Some(actor.id()));
    Ok(id.to_string())
}

impl App {
    /// Tells the sink that consent or identity changed (purges what may no
    /// longer be sent, re-checks base telemetry now).
    pub fn consent_changed(&self) {
        if let Some(t) = self.telemetry() {
            t.consent_changed();
        }
    }
}
