//! Admin → Privacy & Analytics: what can leave this server, whether it
//! does and why, and the switches (one click per level, effective at once).
//! Also the views the setup wizard shares with it: the state of each level
//! and the event catalog.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tt_consent::{ConsentLevel, ConsentSource, Reason};
use tt_telemetry::PropertyKind;
use tt_telemetry::{Outcome, SinkState, TelemetryStatus};

use super::forms::{checked, fmt_datetime};
use super::page::{Layout, Nav, done, failed, render_status};
use crate::auth::{CsrfForm, WebUser};
use crate::consent_state::privacy_state;
use crate::error::HttpError;
use crate::state::AppState;
use tt_domain::Calendar;

routes! {
    GET "/admin/telemetry" => show,
    POST "/admin/telemetry/toggle" => toggle,
    POST "/admin/telemetry/rotate" => rotate,
    POST "/admin/telemetry/export" => export,
    POST "/admin/telemetry/delete-request" => delete_request,
}

/// `2024-03-05 09:30 Europe/Berlin`: the reader's time, naming the zone.
pub(super) fn fmt_at(cal: &Calendar, t: DateTime<Utc>) -> String {
    format!("{} {}", fmt_datetime(cal, t), cal.zone())
}

/// What the page offers for one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Control {
    /// A "Turn on" button (stored choice is off or never made).
    TurnOn,
    /// A "Turn off" button (stored choice is on).
    TurnOff,
    /// The deployer switched telemetry off: the button is disabled.
    Locked,
    /// `ENABLE_TELEMETRY=true` decides base telemetry; nothing to click.
    SetByDeployer,
}

/// One consent level as shown to a person.
#[derive(Debug, Clone)]
pub(super) struct LevelView {
    /// `base` or `detailed` (the form field name).
    pub key: &'static str,
    /// Effective state: is anything of this level sent now?
    pub enabled: bool,
    /// Why, in words ("disabled by the deployer (ENABLE_TELEMETRY=false)").
    pub reason: String,
    /// The stored choice, when something else (the deployer, a missing
    /// sink) decides the state.
    pub decided: Option<String>,
    /// The stored choice is "on" but nothing is sent for lack of a sink.
    pub stored_on_without_sink: bool,
    pub control: Control,
}

impl LevelView {
    pub(super) fn locked(&self) -> bool {
        self.control == Control::Locked
    }

    pub(super) fn can_turn_on(&self) -> bool {
        self.control == Control::TurnOn
    }

    pub(super) fn can_turn_off(&self) -> bool {
        self.control == Control::TurnOff
    }
}

/// `user:7` → `alice (user:7)` when the user still exists.
async fn describe_actor(state: &AppState, actor: &str) -> String {
    let id = actor
        .strip_prefix("user:")
        .and_then(|n| n.parse::<i64>().ok())
        .and_then(tt_domain::UserId::new);
    match id {
        Some(id) => match state.run(move |app| tt_app::user_by_id(app, id)).await {
            Ok(u) => format!("{} ({actor})", u.username),
            Err(_) => actor.to_owned(),
        },
        None => match actor {
            "setup-wizard" => "the setup page (first administrator)".to_owned(),
            "setup-cli" => "the command line (timetracker setup)".to_owned(),
            other => other.to_owned(),
        },
    }
}

/// One level's effective state and reason, as of now.
async fn level_view(state: &AppState, level: ConsentLevel, cal: &Calendar) -> LevelView {
    let e = state.installation.effective(level);
    let snapshot = state.installation.snapshot();
    let stored = snapshot.consent(level);
    // A stored choice is the reason itself when nothing overrides it;
    // otherwise it is shown beside the reason, for context.
    let choice = match stored {
        Some(d) => Some(format!(
            "{} by {} on {}",
            if d.granted { "Enabled" } else { "Disabled" },
            describe_actor(state, &d.decided_by).await,
            fmt_at(cal, d.decided_at)
        )),
        None => None,
    };
    let (reason, decided) = match (&e.reason, choice) {
        (Reason::Stored(_), Some(c)) => (c, None),
        (other, c) => (
            capital(&other.to_string()),
            c.map(|c| format!("Stored choice: {}", lower_first(&c))),
        ),
    };
    let stored_on = stored.is_some_and(|d| d.granted);
    let control = match &e.reason {
        Reason::DeployerGranted { .. } => Control::SetByDeployer,
        _ if stored_on => Control::TurnOff,
        Reason::DeployerDisabled { .. } => Control::Locked,
        _ => Control::TurnOn,
    };
    LevelView {
        key: level.as_str(),
        enabled: e.enabled,
        reason,
        decided,
        stored_on_without_sink: stored_on && matches!(e.reason, Reason::NoSinkConfigured),
        control,
    }
}

/// Both levels: `(base, detailed)`.
pub(super) async fn level_views(state: &AppState, cal: &Calendar) -> (LevelView, LevelView) {
    (
        level_view(state, ConsentLevel::Base, cal).await,
        level_view(state, ConsentLevel::Detailed, cal).await,
    )
}

/// One property of a catalog event.
#[derive(Debug, Clone)]
pub(super) struct PropertyRow {
    pub name: &'static str,
    pub kind: String,
    pub optional: bool,
    pub description: &'static str,
}

/// One event of the catalog.
#[derive(Debug, Clone)]
pub(super) struct EventRow {
    pub name: &'static str,
    pub level: &'static str,
    pub category: &'static str,
    pub description: &'static str,
    pub properties: Vec<PropertyRow>,
}

/// The whole catalog, exactly as `tt_events::CATALOG` has it (the
/// same list as `docs/all_tracked_events.md`).
pub(super) fn catalog_rows() -> Vec<EventRow> {
    tt_events::CATALOG
        .events()
        .map(|d| EventRow {
            name: d.name,
            level: d.level.as_str(),
            category: d.category.title(),
            description: d.description,
            properties: d
                .properties
                .iter()
                .map(|p| PropertyRow {
                    name: p.name,
                    kind: match p.kind {
                        PropertyKind::Enum(values) => format!("one of: {}", values.join(", ")),
                        other => other.type_name().to_owned(),
                    },
                    optional: p.optional,
                    description: p.description,
                })
                .collect(),
        })
        .collect()
}

/// One row of the delivery counters.
#[derive(Debug)]
struct CountRow {
    outcome: &'static str,
    base: u64,
    detailed: u64,
}

/// The telemetry sink's delivery state.
#[derive(Debug)]
struct SinkView {
    mode: String,
    queue_depth: usize,
    queue_capacity: usize,
    last_success: Option<String>,
    last_error: Option<String>,
    shut_down: bool,
    counts: Vec<CountRow>,
}

fn sink_view(status: &TelemetryStatus, recipient: &str, cal: &Calendar) -> SinkView {
    let mode = match &status.sink {
        SinkState::NotConfigured => "No endpoint configured: nothing can be sent.".to_owned(),
        SinkState::Debug => {
            "Debug mode (TELEMETRY_DEBUG): payloads are written to the log, never sent.".to_owned()
        }
        SinkState::Endpoint(_) => format!(
            "Sending to {recipient} (OTLP logs over HTTP, {}).",
            status.protocol.as_str()
        ),
    };
    let when = |t: std::time::SystemTime| fmt_at(cal, DateTime::<Utc>::from(t));
    SinkView {
        mode,
        queue_depth: status.queue_depth,
        queue_capacity: status.queue_capacity,
        last_success: status.last_success.map(when),
        last_error: status
            .last_error
            .as_ref()
            .map(|e| format!("{} — {}", when(e.at), e.reason)),
        shut_down: status.shut_down,
        counts: Outcome::ALL
            .iter()
            .map(|o| CountRow {
                outcome: o.as_str(),
                base: status.count(ConsentLevel::Base, *o),
                detailed: status.count(ConsentLevel::Detailed, *o),
            })
            .collect(),
    }
}

/// What changed in each version of the telemetry catalog.
const TELEMETRY_CHANGELOG: &str = include_str!("../../../../docs/telemetry/CHANGELOG.md");

/// One row of the consent history.
#[derive(Debug)]
struct HistoryRow {
    at: String,
    level: &'static str,
    from: &'static str,
    to: &'static str,
    surface: &'static str,
    who: String,
}

fn state_word(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "on",
        Some(false) => "off",
        None => "not decided",
    }
}

/// How many changes the page lists (the newest).
const HISTORY_ROWS: i64 = 50;

async fn history_rows(state: &AppState, user: &WebUser) -> Result<Vec<HistoryRow>, HttpError> {
    let actor = user.actor();
    let changes = state
        .run(move |app| tt_app::consent::history(app, &actor, HISTORY_ROWS))
        .await?;
    let mut rows = Vec::with_capacity(changes.len());
    for c in changes {
        rows.push(HistoryRow {
            at: fmt_at(&user.calendar, c.at),
            level: level_title(c.level),
            from: state_word(c.from),
            to: state_word(Some(c.to)),
            surface: c.surface.title(),
            // The account when one acted (setup records its new admin).
            who: match c.user {
                Some(u) => describe_actor(state, &format!("user:{}", u.get())).await,
                None => c.actor.clone(),
            },
        });
    }
    Ok(rows)
}

#[derive(Template)]
#[template(path = "admin_telemetry.html")]
struct TelemetryPage {
    l: Layout,
    error: Option<String>,
    levels: [LevelView; 2],
    install_id: String,
    fingerprint: String,
    build: &'static str,
    sink_host: Option<String>,
    recipient: String,
    retention: String,
    sentry_enabled: bool,
    store: String,
    sink: Option<SinkView>,
    preview: Result<String, String>,
    catalog: Vec<EventRow>,
    history: Vec<HistoryRow>,
    schema_version: i64,
    fingerprint_short: String,
    changelog: &'static str,
}

async fn page(
    state: &AppState,
    user: &WebUser,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, HttpError> {
    let facts = privacy_state(state);
    let (base, detailed) = level_views(state, &user.calendar).await;
    let telemetry = state.telemetry();
    let sink = telemetry.map(|t| sink_view(&t.status(), &facts.recipient, &user.calendar));
    let preview = match telemetry {
        Some(t) => t
            .preview_heartbeat()
            .map(|p| p.json)
            .map_err(|e| format!("The preview could not be built: {e}")),
        None => Err("The telemetry sink is not running in this process.".to_owned()),
    };
    let page = TelemetryPage {
        l: Layout::new(user, "Privacy & Analytics", Nav::Telemetry)?,
        error,
        levels: [base, detailed],
        install_id: facts.install_id,
        fingerprint: facts.fingerprint,
        build: facts.build,
        sink_host: facts.sink_host,
        recipient: capital(&facts.recipient),
        retention: facts.retention,
        sentry_enabled: facts.sentry_enabled,
        store: state.installation.describe_backend(),
        sink,
        preview,
        catalog: catalog_rows(),
        history: history_rows(state, user).await?,
        schema_version: tt_events::SCHEMA_VERSION,
        fingerprint_short: tt_events::CATALOG.fingerprint().chars().take(12).collect(),
        changelog: TELEMETRY_CHANGELOG,
    };
    render_status(status, &page)
}

/// `GET /admin/telemetry`.
async fn show(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    page(&state, &user, StatusCode::OK, None).await
}

/// The toggle form: each button sends one level's new value.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ToggleForm {
    csrf_token: String,
    base: String,
    detailed: String,
}

fn on_off(raw: &str) -> Result<Option<bool>, HttpError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "on" | "true" | "1" => Ok(Some(true)),
        "off" | "false" | "0" => Ok(Some(false)),
        _ => Err(HttpError::bad_request(
            "bad_request",
            "a level can only be turned on or off",
        )),
    }
}

fn level_title(level: ConsentLevel) -> &'static str {
    match level {
        ConsentLevel::Base => "Base telemetry",
        ConsentLevel::Detailed => "Detailed analytics",
    }
}

/// `POST /admin/telemetry/toggle`: turns base and/or detailed on or off,
/// effective immediately (queued events of a withdrawn level are purged).
/// The deployer's hard-off cannot be overridden: 409, nothing changes.
async fn toggle(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<ToggleForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let changes: Vec<(ConsentLevel, bool)> = [
        (ConsentLevel::Base, on_off(&form.base)?),
        (ConsentLevel::Detailed, on_off(&form.detailed)?),
    ]
    .into_iter()
    .filter_map(|(level, v)| v.map(|v| (level, v)))
    .collect();
    if changes.is_empty() {
        return Err(HttpError::bad_request(
            "bad_request",
            "say which level to turn on or off",
        ));
    }
    let mut messages = Vec::new();
    for (level, granted) in changes {
        let actor = user.actor();
        match state
            .run(move |app| tt_app::consent::set(app, &actor, level, granted))
            .await
        {
            Ok(()) => {}
            Err(HttpError::Conflict(msg)) => {
                return page(&state, &user, StatusCode::CONFLICT, Some(capital(&msg))).await;
            }
            Err(other) => return Err(other),
        }
        let now = state.installation.effective(level);
        let mut text = format!(
            "{} turned {}.",
            level_title(level),
            if granted { "on" } else { "off" }
        );
        if granted && !now.enabled {
            text.push_str(&format!(" Nothing is sent yet: {}.", now.reason));
        }
        if !granted {
            text.push_str(" Nothing more of it is sent, and anything waiting was discarded.");
        }
        messages.push(text);
    }
    Ok(done(&user.session, "/admin/telemetry", messages.join(" ")))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The first letter in upper case.
pub(super) fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RotateForm {
    csrf_token: String,
    confirm: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteRequestForm {
    csrf_token: String,
    confirm: String,
    /// The install id shown on the page the form came from.
    install_id: String,
}

/// `POST /admin/telemetry/rotate`: a new random install id, after the
/// admin ticked the confirmation box. Consent choices are kept.
async fn rotate(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<RotateForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    if !checked(&form.confirm) {
        return Ok(failed(
            &user.session,
            "/admin/telemetry",
            "the install id was not changed: tick “I understand” to confirm",
        ));
    }
    let actor = user.actor();
    let new_id = state
        .run(move |app| tt_app::consent::rotate_install_id(app, &actor))
        .await?;
    Ok(done(
        &user.session,
        "/admin/telemetry",
        format!(
            "New install id: {new_id}. Data sent under the old id can no longer be linked to this server; anything waiting to be sent was discarded."
        ),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExportForm {
    csrf_token: String,
}

/// The file name of an exported payload: `.pb` (protobuf) or `.json`.
pub(crate) fn export_file_name(content_type: &str) -> &'static str {
    if content_type.contains("json") {
        "timetracker-telemetry.otlp.json"
    } else {
        "timetracker-telemetry.otlp.pb"
    }
}

/// `POST /admin/telemetry/export`: the next heartbeat as a file, for an
/// installation that cannot reach the receiver — exactly the request body
/// a send would post. Nothing is sent. With base telemetry off: the page
/// again, saying why, and no file.
async fn export(
    state: web::Data<AppState>,
    user: WebUser,
    _form: CsrfForm<ExportForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let actor = user.actor();
    match state
        .run(move |app| tt_app::consent::export_for_submission(app, &actor))
        .await
    {
        Ok(payload) => Ok(HttpResponse::Ok()
            .content_type(payload.content_type.clone())
            .insert_header((
                actix_web::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    export_file_name(&payload.content_type)
                ),
            ))
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .body(payload.body)),
        Err(HttpError::Conflict(msg)) => {
            page(&state, &user, StatusCode::CONFLICT, Some(capital(&msg))).await
        }
        Err(other) => Err(other),
    }
}

/// `POST /admin/telemetry/delete-request`: after the admin ticked the
/// confirmation box, one deletion request under the current install id,
/// then a new id. When it cannot be delivered: the page again, saying why,
/// with the id unchanged.
async fn delete_request(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<DeleteRequestForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    if !checked(&form.confirm) {
        return Ok(failed(
            &user.session,
            "/admin/telemetry",
            "no deletion was requested: tick “I understand” to confirm",
        ));
    }
    let actor = user.actor();
    let expected = form.install_id.clone();
    match state
        .run(move |app| tt_app::consent::request_deletion(app, &actor, Some(&expected)))
        .await
    {
        Ok(requested) => Ok(done(
            &user.session,
            "/admin/telemetry",
            format!(
                "Deletion requested for install id {}. New install id: {}.",
                requested.deleted_id, requested.new_id
            ),
        )),
        Err(HttpError::Conflict(msg)) => {
            page(&state, &user, StatusCode::CONFLICT, Some(capital(&msg))).await
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggles_read_on_and_off_only() {
        assert_eq!(on_off("on").ok(), Some(Some(true)));
        assert_eq!(on_off(" OFF ").ok(), Some(Some(false)));
        assert_eq!(on_off("").ok(), Some(None));
        assert!(on_off("maybe").is_err());
    }

    #[test]
    fn catalog_rows_mirror_the_catalog() {
        let rows = catalog_rows();
        assert_eq!(rows.len(), tt_events::CATALOG.len());
        let heartbeat = rows
            .iter()
            .find(|r| r.name == tt_telemetry::HEARTBEAT)
            .map(|r| r.level);
        assert_eq!(heartbeat, Some("base"));
        assert!(
            rows.iter()
                .flat_map(|r| &r.properties)
                .any(|p| p.kind.starts_with("one of: "))
        );
    }
}

crate::auth::csrf_protected!(ExportForm, RotateForm, DeleteRequestForm, ToggleForm);
