//! The signed-in user's own data: `GET /api/v1/me/export`.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::export::export_response;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(export);
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
}

#[get("/me/export")]
async fn export(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, HttpError> {
    export_response(&state, user.actor(), q.format.as_deref()).await
}
