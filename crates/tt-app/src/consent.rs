//! First-run setup and the installation's telemetry consent.
//!
//! Setup runs once: `Installation::complete_setup` is atomic and refuses a
//! second completion, and it runs before the first administrator is
//! created, so two racing submissions (browser or command line) can never
//! create a second admin or re-open setup.

use chrono::{DateTime, Utc};
use tt_consent::{ConsentLevel, ConsentSource, DeployerPolicy};
use tt_domain::{Role, User, UserId, require_admin};
use tt_events::Event;
use tt_installation::InstallationError;
use tt_persistence::consent_history::{self, ConsentChangeRecord, NewConsentChange};

use crate::users::NewAccount;
use crate::{Actor, App, AppError, Result, Surface};

/// Through which surface a consent level was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentSurface {
    /// The first-run setup page.
    Setup,
    /// Admin → Privacy & Analytics.
    AdminPage,
    /// The JSON API (`PUT /api/v1/admin/telemetry`).
    Api,
    /// The command line (`timetracker setup`).
    Cli,
    /// A deployment setting (`DO_NOT_TRACK`, `ENABLE_TELEMETRY`), noticed
    /// when the server starts.
    Deployment,
}

impl ConsentSurface {
    /// Every surface.
    pub const ALL: [ConsentSurface; 5] = [
        ConsentSurface::Setup,
        ConsentSurface::AdminPage,
        ConsentSurface::Api,
        ConsentSurface::Cli,
        ConsentSurface::Deployment,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConsentSurface::Setup => "setup",
            ConsentSurface::AdminPage => "admin-page",
            ConsentSurface::Api => "api",
            ConsentSurface::Cli => "cli",
            ConsentSurface::Deployment => "deployment",
        }
    }

    /// For a person: "the setup page", "a deployment setting".
    pub const fn title(self) -> &'static str {
        match self {
            ConsentSurface::Setup => "setup page",
            ConsentSurface::AdminPage => "admin page",
            ConsentSurface::Api => "API",
            ConsentSurface::Cli => "command line",
            ConsentSurface::Deployment => "deployment setting",
        }
    }

    /// The surface of a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// One recorded change of a consent level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Which level.
    pub level: ConsentLevel,
    /// Before: `None` when nothing had been decided.
    pub from: Option<bool>,
    /// After.
    pub to: bool,
    /// Through which surface.
    pub surface: ConsentSurface,
    /// The account that made it; `None` for a deployment setting.
    pub user: Option<UserId>,
    /// Who, as recorded (`user:7`, `setup-cli`, `DO_NOT_TRACK=1`).
    pub actor: String,
}

fn level_named(name: &str) -> Option<ConsentLevel> {
    ConsentLevel::ALL.into_iter().find(|l| l.as_str() == name)
}

impl ConsentChange {
    fn from_record(r: ConsentChangeRecord) -> Option<Self> {
        Some(ConsentChange {
            at: r.changed_at,
            level: level_named(&r.level)?,
            from: r.from_granted,
            to: r.to_granted,
            surface: ConsentSurface::parse(&r.surface)?,
            user: r.actor_user_id,
            actor: r.actor,
        })
    }
}

fn changes(records: Vec<ConsentChangeRecord>) -> Vec<ConsentChange> {
    records
        .into_iter()
        .filter_map(ConsentChange::from_record)
        .collect()
}

/// Records one change in the consent history (its own transaction: the
/// installation store is not in the database on SQLite).
fn record(app: &App, change: &ConsentChange) -> Result<()> {
    app.write(|c| {
        consent_history::insert(
            c,
            &NewConsentChange {
                changed_at: change.at,
                level: change.level.as_str(),
                from_granted: change.from,
                to_granted: change.to,
                surface: change.surface.as_str(),
                actor_user_id: change.user,
                actor: &change.actor,
            },
        )?;
        Ok(())
    })
    .inspect_err(
        |e| tracing::error!(error = %e, "a consent change could not be added to the history"),
    )
}

/// The latest `limit` changes, newest first (Admin → Privacy & Analytics).
pub fn history(app: &App, actor: &Actor, limit: i64) -> Result<Vec<ConsentChange>> {
    require_admin(&actor.user)?;
    app.read(|c| Ok(changes(consent_history::recent(c, limit)?)))
}

/// Every change `user` made, oldest first (their personal-data export).
pub(crate) fn changes_by(app: &App, user: UserId) -> Result<Vec<ConsentChange>> {
    app.read(|c| Ok(changes(consent_history::by_actor(c, user)?)))
}

/// At start-up: when a deployment setting (`DO_NOT_TRACK`,
/// `ENABLE_TELEMETRY`) decides a level differently from the last recorded
/// change — or no longer decides a level it last decided — the change is
/// recorded, once. Returns how many changes were recorded.
pub fn record_deployment_settings(app: &App) -> Result<usize> {
    let inst = &app.installation;
    let policy = inst.policy();
    let snapshot = inst.snapshot();
    let at = crate::now();
    app.write(|c| {
        // Replicas starting together record a change once.
        tt_persistence::locks::consent_history(c)?;
        let mut recorded = 0;
        for level in ConsentLevel::ALL {
            let stored = snapshot.consent(level).map(|d| d.granted);
            let last = consent_history::last_of_level(c, level.as_str())?;
            let last_to = last.as_ref().map(|l| l.to_granted);
            let deployer: Option<(bool, &str)> = match policy {
                DeployerPolicy::Disabled(switch) => Some((false, switch.as_str())),
                DeployerPolicy::BaseGranted(switch) if level == ConsentLevel::Base => {
                    Some((true, switch.as_str()))
                }
                _ => None,
            };
            let change = match deployer {
                Some((to, switch)) if last_to != Some(to) => Some((last_to.or(stored), to, switch)),
                None => match (&last, stored) {
                    (Some(l), Some(now))
                        if l.surface == ConsentSurface::Deployment.as_str()
                            && l.to_granted != now =>
                    {
                        Some((Some(l.to_granted), now, "deployment setting removed"))
                    }
                    _ => None,
                },
                _ => None,
            };
            if let Some((from, to, actor)) = change {
                consent_history::insert(
                    c,
                    &NewConsentChange {
                        changed_at: at,
                        level: level.as_str(),
                        from_granted: from,
                        to_granted: to,
                        surface: ConsentSurface::Deployment.as_str(),
                        actor_user_id: None,
                        actor,
                    },
                )?;
                recorded += 1;
            }
        }
        Ok(recorded)
    })
}

fn installation_error(e: InstallationError) -> AppError {
    match e {
        InstallationError::AlreadyComplete { .. } => {
            AppError::conflict("setup is already complete")
        }
        e @ (InstallationError::DeployerDisabled { .. }
        | InstallationError::DeployerGranted { .. }) => AppError::Conflict(e.to_string()),
        other => AppError::Internal(Box::new(other)),
    }
}

fn setup_completed(
    app: &App,
    user: &User,
    base: bool,
    detailed: bool,
    surface: ConsentSurface,
    actor: &str,
) -> Result<()> {
    app.consent_changed();
    let at = crate::now();
    for (level, to) in [
        (ConsentLevel::Base, base),
        (ConsentLevel::Detailed, detailed),
    ] {
        record(
            app,
            &ConsentChange {
                at,
                level,
                from: None,
                to,
                surface,
                user: Some(user.id),
                actor: actor.to_owned(),
            },
        )?;
    }
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
    Ok(())
}

/// Setup on an installation without users: records the consent choices
/// (once only), then creates the first administrator, through `surface`
/// ([`ConsentSurface::Setup`], the page, or [`ConsentSurface::Cli`],
/// `timetracker setup`).
pub fn setup_with_first_admin(
    app: &App,
    mut account: NewAccount,
    base: bool,
    detailed: bool,
    surface: ConsentSurface,
) -> Result<User> {
    let by = match surface {
        ConsentSurface::Cli => "setup-cli",
        _ => "setup-wizard",
    };
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
    setup_completed(app, &user, base, detailed, surface, by)?;
    Ok(user)
}

/// Setup when an administrator already exists (created on the command
/// line): they record the consent choices.
pub fn setup_consent(app: &App, actor: &Actor, base: bool, detailed: bool) -> Result<()> {
    require_admin(&actor.user)?;
    let by = format!("user:{}", actor.id());
    app.installation
        .complete_setup(base, detailed, &by)
        .map_err(installation_error)?;
    setup_completed(app, &actor.user, base, detailed, ConsentSurface::Setup, &by)
}

/// An administrator turns one consent level on or off (on the admin page
/// or through the API, as `actor.surface` says); the change is kept in the
/// consent history. Turning on what the deployer switched off is refused
/// with the reason.
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
    let by = format!("user:{}", actor.id());
    // What was stored is read where it is replaced, under the writer lock:
    // a repeated identical request changes nothing and records nothing.
    let was = match inst
        .change_consent(level, granted, &by)
        .map_err(installation_error)?
    {
        tt_installation::ConsentUpdate::Unchanged => return Ok(()),
        tt_installation::ConsentUpdate::Changed { from } => from,
    };
    app.consent_changed();
    record(
        app,
        &ConsentChange {
            at: crate::now(),
            level,
            from: was,
            to: granted,
            surface: match actor.surface {
                Surface::Api => ConsentSurface::Api,
                Surface::Web => ConsentSurface::AdminPage,
            },
            user: Some(actor.id()),
            actor: by,
        },
    )?;
    tracing::info!(level = %level, granted, actor = actor.id().get(), "telemetry consent changed");
    if granted {
        app.track(Event::AdminTelemetryEnabled { level }, Some(actor.id()));
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

/// Whether a payload may be written for manual submission (an air-gapped
/// server has no endpoint, so "no endpoint configured" does not stop it):
/// what base telemetry would send were an endpoint configured — the
/// deployer's switch and the stored choice decide. Refused with the reason
/// otherwise; nothing is written then.
pub fn manual_submission_allowed(installation: &tt_installation::Installation) -> Result<()> {
    let level = ConsentLevel::Base;
    let stored = installation
        .snapshot()
        .consent(level)
        .map(|d| d.to_stored_choice());
    let would =
        tt_consent::EffectiveConsent::resolve(level, installation.policy(), true, stored.as_ref());
    if would.enabled {
        Ok(())
    } else {
        Err(AppError::conflict(format!(
            "base telemetry is off ({}): nothing is exported; turn it on under Admin → Privacy & Analytics first",
            would.reason
        )))
    }
}

/// The next heartbeat as a file for manual submission (Admin → Privacy &
/// Analytics): the exact request body the sink would send, from the same
/// encoder. Nothing is sent, and nothing is recorded as sent.
pub fn export_for_submission(app: &App, actor: &Actor) -> Result<tt_telemetry::HeartbeatPreview> {
    require_admin(&actor.user)?;
    manual_submission_allowed(&app.installation)?;
    let sink = app
        .telemetry()
        .ok_or_else(|| AppError::conflict("the telemetry sink is not running in this process"))?;
    let payload = sink
        .preview_heartbeat()
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    tracing::info!(
        actor = actor.id().get(),
        bytes = payload.body.len(),
        "telemetry payload exported for manual submission"
    );
    Ok(payload)
}

/// A deletion request that was delivered: the id it named, and the id the
/// installation has now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionRequested {
    /// The install id the request asked to delete (no longer used).
    pub deleted_id: String,
    /// The new install id.
    pub new_id: String,
}

/// The rule of a deletion request, whoever asks: never while the deployer
/// forbids sending (`DO_NOT_TRACK`, `ENABLE_TELEMETRY=false`); `send`
/// delivers one `deletion_request` under the current install id, and only
/// once the receiver accepted it is the id replaced (so a failed request
/// can be asked again under the same id). `expected` is the install id the
/// asker saw (the current one if not given): when the id is no longer that
/// one — a deletion was already requested and the id replaced, by another
/// request or process — nothing is sent and nothing rotates (409).
fn deletion_then_rotation(
    app: &App,
    expected: Option<&str>,
    send: impl FnOnce() -> std::result::Result<(), tt_telemetry::TelemetryError>,
) -> Result<DeletionRequested> {
    let inst = &app.installation;
    if let DeployerPolicy::Disabled(switch) = inst.policy() {
        return Err(AppError::conflict(format!(
            "nothing may be sent from this server ({}): quote the install id to the receiver's operator instead",
            switch.as_str()
        )));
    }
    let expected = match expected.map(str::trim).filter(|e| !e.is_empty()) {
        Some(text) => uuid::Uuid::parse_str(text)
            .map_err(|_| AppError::invalid_field("install_id", "is not an install id"))?,
        None => inst.install_id(),
    };
    let already = || {
        AppError::conflict(format!(
            "a deletion was already requested for install id {expected}: the installation has a new install id since"
        ))
    };
    let replace = || {
        if inst.install_id() != expected {
            return Err(already());
        }
        let deleted_id = expected.to_string();
        send().map_err(|e| {
            AppError::conflict(format!(
                "the deletion request was {e}; the install id was not changed, so you can ask again"
            ))
        })?;
        // The receiver has the request by now: a failure to rotate must say
        // so, or the admin would ask again for data already asked deleted.
        let new_id = inst
            .rotate_install_id_if(expected)
            .map_err(|e| {
                tracing::error!(
                    deleted = %expected,
                    error = %e,
                    "deletion request delivered, but the install id could not be replaced"
                );
                AppError::conflict(format!(
                    "deletion delivered for install id {expected}; the install id could not be replaced ({e}) — rotate it under Admin → Privacy & Analytics"
                ))
            })?
            .ok_or_else(already)?;
        Ok::<_, AppError>((deleted_id, new_id))
    };
    // With a sink in this process, its exporter is paused around the
    // request and the rotation (see `Telemetry::replace_identity`); other
    // processes drop what they queued under the old id once they see the
    // new one.
    let (deleted_id, new_id) = match app.telemetry() {
        Some(t) => t.replace_identity(replace)?,
        None => replace()?,
    };
    tracing::info!(
        deleted = %deleted_id,
        "deletion of sent telemetry requested; install id replaced"
    );
    Ok(DeletionRequested {
        deleted_id,
        new_id: new_id.to_string(),
    })
}

/// An administrator asks the receiver to delete everything sent under the
/// current install id (Admin → Privacy & Analytics, the API): one
/// `deletion_request` record, whatever the consent levels say, then a new
/// install id. Withdrawing consent never does this by itself. `expected`:
/// the install id the administrator saw (see `deletion_then_rotation`).
pub fn request_deletion(
    app: &App,
    actor: &Actor,
    expected: Option<&str>,
) -> Result<DeletionRequested> {
    require_admin(&actor.user)?;
    let sink = app
        .telemetry()
        .ok_or_else(|| AppError::conflict("the telemetry sink is not running in this process"))?
        .clone();
    let done = deletion_then_rotation(app, expected, || sink.send_deletion_request())?;
    tracing::info!(
        actor = actor.id().get(),
        "deletion request by an administrator"
    );
    Ok(done)
}

/// The operator asks for the deletion on the command line (`timetracker
/// telemetry delete-request`), where no sink runs: `send` delivers the
/// record with the server's telemetry settings.
pub fn request_deletion_as_operator(
    app: &App,
    send: impl FnOnce() -> std::result::Result<(), tt_telemetry::TelemetryError>,
) -> Result<DeletionRequested> {
    deletion_then_rotation(app, None, send)
}

/// After `timetracker installation recover` (a lost `installation.json`
/// replaced, both levels off): each level the history last recorded as on
/// is recorded as turned off on the command line. Returns how many.
pub fn record_recovery(app: &App) -> Result<usize> {
    let at = crate::now();
    app.write(|c| {
        tt_persistence::locks::consent_history(c)?;
        let mut recorded = 0;
        for level in ConsentLevel::ALL {
            let last = consent_history::last_of_level(c, level.as_str())?.map(|l| l.to_granted);
            if last == Some(false) {
                continue;
            }
            consent_history::insert(
                c,
                &NewConsentChange {
                    changed_at: at,
                    level: level.as_str(),
                    from_granted: last,
                    to_granted: false,
                    surface: ConsentSurface::Cli.as_str(),
                    actor_user_id: None,
                    actor: "installation-recover",
                },
            )?;
            recorded += 1;
        }
        Ok(recorded)
    })
}
