//! The signed-in user's own data: `GET /api/v1/me/export`.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::openapi::{Authed, Query};
use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::export::{UserExportDto, export_response};
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(export);
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `json` (the default: profile, entries and comments) or `csv` (the
    /// entries).
    #[serde(default)]
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// Everything stored about the caller, as a download.
#[utoipa::path(
    tag = "auth",
    params(ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's data", content(
            (UserExportDto = "application/json"),
            (String = "text/csv"),
        )),
        Authed, Query,
    ),
)]
#[get("/me/export")]
async fn export(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, HttpError> {
    export_response(&state, user.actor(), q.format.as_deref()).await
}
