//! The signed-in user's own data: `GET /api/v1/me/export`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

use crate::auth::ApiUser;
use crate::error::HttpError;
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

/// Download of everything stored about the caller (JSON, or CSV of entries).
pub(crate) async fn export_response(
    state: &AppState,
    actor: tt_app::Actor,
    format: Option<&str>,
) -> Result<HttpResponse, HttpError> {
    let (ctype, ext, csv) = match format.unwrap_or("json") {
        "json" => ("application/json", "json", false),
        "csv" => ("text/csv; charset=utf-8", "csv", true),
        _ => return Err(HttpError::Validation("format: must be json or csv".into())),
    };
    let data = state
        .run(move |app| tt_app::export::own_data(app, &actor, csv))
        .await?;
    let bytes = if csv {
        crate::export::render_csv(&data)
    } else {
        crate::export::render_json(&data)
    }
    .map_err(HttpError::Internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, ctype))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"timetracker-my-data.{ext}\""),
        ))
        .body(bytes))
}

#[get("/me/export")]
async fn export(
    state: web::Data<AppState>,
    user: ApiUser,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, HttpError> {
    export_response(&state, user.actor(), q.format.as_deref()).await
}
