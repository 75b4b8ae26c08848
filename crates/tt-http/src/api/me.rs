//! The signed-in user's own data: `GET /api/v1/me/export`.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

use crate::auth::ApiUser;
use crate::error::ApiError;
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
    user: tt_domain::UserId,
    format: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let (ctype, ext, csv) = match format.unwrap_or("json") {
        "json" => ("application/json", "json", false),
        "csv" => ("text/csv; charset=utf-8", "csv", true),
        _ => return Err(ApiError::Validation("format: must be json or csv".into())),
    };
    let bytes = state
        .db(move |c| {
            if csv {
                crate::export::export_csv(c, user)
            } else {
                crate::export::export_json(c, user)
            }
        })
        .await?;
    state.track(crate::tracking::own_data_exported(csv), Some(user));
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
) -> Result<HttpResponse, ApiError> {
    export_response(&state, user.id(), q.format.as_deref()).await
}
