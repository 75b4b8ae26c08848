//! `GET`/`PUT /api/v1/admin/telemetry`: the consent state with its reasons,
//! and the admin's switches. The JSON twin of Admin → Privacy & Analytics.

use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use tt_consent::ConsentLevel;
use utoipa::ToSchema;

use super::body::Json;
use super::openapi::{Authed, JsonBody, Refused, Restricted};
use crate::auth::ApiUser;
use crate::consent_state::{PrivacyDto, privacy_state};
use crate::error::HttpError;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(update)
        .service(rotate)
        .service(deletion_request);
}

/// What the installation shares, and why.
#[utoipa::path(
    tag = "admin",
    operation_id = "get_telemetry",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The consent state", body = PrivacyDto),
        Authed, Restricted,
    ),
)]
#[get("/admin/telemetry")]
async fn show(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    Ok(HttpResponse::Ok().json(privacy_state(&state)))
}

/// The admin's switches; an absent level is left as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Toggle {
    #[serde(default)]
    base: Option<bool>,
    #[serde(default)]
    detailed: Option<bool>,
}

/// Turns telemetry levels on or off (409 when the deployer switched telemetry off).
#[utoipa::path(
    tag = "admin",
    operation_id = "set_telemetry",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The consent state", body = PrivacyDto),
        Authed, JsonBody, Restricted,
    ),
)]
#[put("/admin/telemetry")]
async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<Toggle>,
) -> Result<HttpResponse, HttpError> {
    // The answer shows the install id and fingerprint: admins only, even
    // when the body changes nothing.
    tt_domain::require_admin(&user.0)?;
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

/// Gives the installation a new install id.
#[utoipa::path(
    tag = "admin",
    operation_id = "rotate_install_id",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The consent state with the new install id", body = PrivacyDto),
        Authed, Restricted,
    ),
)]
#[post("/admin/telemetry/rotate-install-id")]
async fn rotate(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    state
        .run(move |app| tt_app::consent::rotate_install_id(app, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(privacy_state(&state)))
}

/// Which install id the deletion is asked for.
#[derive(Deserialize, ToSchema, Default)]
pub(crate) struct DeletionRequestBody {
    /// The install id the caller means (as `GET /admin/telemetry` showed
    /// it). When given and no longer current — a deletion was already
    /// requested and the id replaced — nothing is sent (409).
    #[serde(default)]
    pub install_id: Option<String>,
}

/// A deletion request that was delivered.
#[derive(serde::Serialize, ToSchema)]
pub(crate) struct DeletionRequestedDto {
    /// The install id whose data the receiver was asked to delete.
    pub deleted_install_id: String,
    /// The installation's new install id.
    pub install_id: String,
}

/// Asks the recipient to delete everything sent under the current install
/// id (one `base_telemetry.deletion_request` record, whatever the consent
/// levels say), then gives the installation a new install id. 409, with
/// the id unchanged, when it cannot be sent or was not accepted, or when
/// `install_id` is given and is no longer the current one.
#[utoipa::path(
    tag = "admin",
    operation_id = "request_telemetry_deletion",
    security(("bearer" = [])),
    request_body(content = Option<DeletionRequestBody>),
    responses(
        (status = 200, description = "Sent and accepted; the new install id", body = DeletionRequestedDto),
        Authed, Restricted, Refused,
    ),
)]
#[post("/admin/telemetry/deletion-request")]
async fn deletion_request(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Option<Json<DeletionRequestBody>>,
) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let expected = body.and_then(|b| b.0.install_id);
    let done = state
        .run(move |app| tt_app::consent::request_deletion(app, &actor, expected.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(DeletionRequestedDto {
        deleted_install_id: done.deleted_id,
        install_id: done.new_id,
    }))
}
