//! What the installation shares and why: the consent state of each level
//! with its reason, the identity to quote in a deletion request, and where
//! data could go. The JSON of `GET /api/v1/admin/telemetry`, and the facts
//! the setup and Admin → Privacy & Analytics pages show.

use serde::Serialize;
use tt_consent::{ConsentLevel, ConsentSource, EffectiveConsent};
use utoipa::ToSchema;

use crate::state::AppState;

/// One consent level: whether it is on, why, and the admin's stored choice.
#[derive(Serialize, ToSchema)]
pub(crate) struct LevelDto {
    pub enabled: bool,
    pub reason: String,
    pub changeable: bool,
    #[schema(required)]
    pub stored_choice: Option<bool>,
    #[schema(required)]
    pub decided_by: Option<String>,
    #[schema(required, format = DateTime)]
    pub decided_at: Option<String>,
}

/// What the installation shares and why.
#[derive(Serialize, ToSchema)]
pub(crate) struct PrivacyDto {
    pub base: LevelDto,
    pub detailed: LevelDto,
    pub install_id: String,
    pub fingerprint: String,
    #[schema(value_type = String, pattern = "^(official|self-hosted)$")]
    pub build: &'static str,
    pub sink_configured: bool,
    #[schema(required)]
    pub sink_host: Option<String>,
    /// Who receives what is sent, in words (the same sentence every
    /// surface shows).
    pub recipient: String,
    /// `none`, `operator` (a receiver chosen by the deployer) or `vendor`
    /// (the vendor named in an official build).
    #[schema(value_type = String, pattern = "^(none|operator|vendor)$")]
    pub recipient_kind: &'static str,
    /// Who keeps the data, and for how long.
    pub retention: String,
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
        sink_host: state.privacy.recipient.host().map(str::to_owned),
        recipient: state.privacy.recipient.to_string(),
        recipient_kind: state.privacy.recipient.kind(),
        retention: state.privacy.recipient.retention(),
        sentry_enabled: state.privacy.sentry_enabled,
        setup_complete: inst.is_setup_complete(),
    }
}
