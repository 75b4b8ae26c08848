//! `GET`/`PUT /api/v1/admin/telemetry`: the consent state with its reasons,
//! and the admin's switches. The JSON twin of Admin → Privacy & Analytics.

use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use tt_consent::{ConsentLevel, ConsentSource, EffectiveConsent};

use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show).service(update).service(rotate);
}

#[derive(Serialize)]
pub(crate) struct LevelDto {
    pub enabled: bool,
    pub reason: String,
    pub changeable: bool,
    pub stored_choice: Option<bool>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct PrivacyDto {
    pub base: LevelDto,
    pub detailed: LevelDto,
    pub install_id: String,
    pub fingerprint: String,
    pub build: &'static str,
    pub sink_configured: bool,
    pub sink_host: Option<String>,
    pub sentry_enabled: bool,
    pub setup_complete: bool,
}

fn level_dto(state: &AppState, e: EffectiveConsent) -> LevelDto {
    let snapshot = state.installation.snapshot();
    let stored = snapshot.consent(e.level);
    LevelDto {
        enabled: e.enabled,
        reason: e.reason.to_string(),
        changeable: e.changeable_by_admin(),
        stored_choice: stored.map(|c| c.granted),
        decided_by: stored.map(|c| c.decided_by.clone()),
        decided_at: stored.map(|c| c.decided_at.to_rfc3339()),
    }
}

/// The whole privacy picture, shared with the admin page.
pub(crate) fn privacy_state(state: &AppState) -> PrivacyDto {
    let inst = &state.installation;
    PrivacyDto {
        base: level_dto(state, inst.effective(ConsentLevel::Base)),
        detailed: level_dto(state, inst.effective(ConsentLevel::Detailed)),
        install_id: inst.install_id().to_string(),
        fingerprint: inst.fingerprint(&state.privacy.hostname),
        build: if state.privacy.official_build {
            "official"
        } else {
            "self-hosted"
        },
        sink_configured: inst.sink_configured(),
        sink_host: state.privacy.sink_host.clone(),
        sentry_enabled: state.privacy.sentry_enabled,
        setup_complete: inst.is_setup_complete(),
    }
}

#[get("/admin/telemetry")]
async fn show(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    Ok(HttpResponse::Ok().json(privacy_state(&state)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Toggle {
    #[serde(default)]
    base: Option<bool>,
    #[serde(default)]
    detailed: Option<bool>,
}

#[put("/admin/telemetry")]
async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<Toggle>,
) -> Result<HttpResponse, HttpError> {
    for (level, value) in [
        (ConsentLevel::Base, body.base),
        (ConsentLevel::Detailed, body.detailed),
    ] {
        if let Some(granted) = value {
            let actor = user.actor();
            state
                .run(move |app| tt_app::consent::set(app, &actor, level, granted))
                .await?;
        }
    }
    Ok(HttpResponse::Ok().json(privacy_state(&state)))
}

#[post("/admin/telemetry/rotate-install-id")]
async fn rotate(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    state
        .run(move |app| tt_app::consent::rotate_install_id(app, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(privacy_state(&state)))
}
