//! The company profile invoices are sent with (administrators).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use serde::Serialize;
use tt_app::company::LogoChange;
use utoipa::ToSchema;

use super::body::Json;
use super::openapi::{Authed, JsonBody, Restricted};
use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::inputs::CompanyInput;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(update)
        .service(put_logo)
        .service(delete_logo);
}

/// The company profile, in the shape it is sent, and whether it has a
/// logo.
#[derive(Serialize, ToSchema)]
pub(crate) struct CompanyDto {
    name: String,
    address: String,
    tax_id: String,
    email: String,
    bank_details: String,
    payment_terms_days: i64,
    /// Percent, two decimals.
    #[schema(pattern = r"^[0-9]+\.[0-9]{2}$")]
    default_tax_rate: String,
    footer: String,
    #[schema(pattern = "^[A-Z]{3}$")]
    default_currency: String,
    number_pattern: String,
    has_logo: bool,
}

impl CompanyDto {
    fn new(p: &tt_domain::CompanyProfile) -> Self {
        let i = CompanyInput::from_profile(p);
        CompanyDto {
            name: i.name,
            address: i.address,
            tax_id: i.tax_id,
            email: i.email,
            bank_details: i.bank_details,
            payment_terms_days: i.payment_terms_days.unwrap_or(14),
            default_tax_rate: i.default_tax_rate,
            footer: i.footer,
            default_currency: i.default_currency,
            number_pattern: i.number_pattern,
            has_logo: p.logo.is_some(),
        }
    }
}

/// The company profile.
#[utoipa::path(
    tag = "admin",
    operation_id = "get_company",
    security(("bearer" = [])),
    responses((status = 200, description = "The profile", body = CompanyDto), Authed, Restricted),
)]
#[get("/admin/company")]
async fn show(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let profile = state
        .run(move |app| tt_app::company::get(app, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(CompanyDto::new(&profile)))
}

/// Replaces the company profile (the logo stays as it is).
#[utoipa::path(
    tag = "admin",
    operation_id = "update_company",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The saved profile", body = CompanyDto),
        Authed, JsonBody, Restricted,
    ),
)]
#[put("/admin/company")]
async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<CompanyInput>,
) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    let profile = body.parse()?;
    let actor = user.actor();
    let saved = state
        .run(move |app| tt_app::company::update(app, &actor, profile))
        .await?;
    Ok(HttpResponse::Ok().json(CompanyDto::new(&saved)))
}

/// Sets the logo: the body is a PNG or JPEG of at most 256 KB.
#[utoipa::path(
    tag = "admin",
    operation_id = "put_company_logo",
    security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses(
        (status = 200, description = "The saved profile", body = CompanyDto),
        Authed, JsonBody, Restricted,
    ),
)]
#[put("/admin/company/logo")]
async fn put_logo(
    state: web::Data<AppState>,
    user: ApiUser,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !matches!(media, "image/png" | "image/jpeg") {
        return Err(HttpError::UnsupportedMediaType(
            "send the logo as image/png or image/jpeg".into(),
        ));
    }
    let logo = tt_domain::Logo::parse(body.to_vec())?;
    save_logo(&state, &user, LogoChange::Set(logo)).await
}

/// Removes the logo.
#[utoipa::path(
    tag = "admin",
    operation_id = "delete_company_logo",
    security(("bearer" = [])),
    responses((status = 200, description = "The saved profile", body = CompanyDto), Authed, Restricted),
)]
#[delete("/admin/company/logo")]
async fn delete_logo(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    save_logo(&state, &user, LogoChange::Remove).await
}

async fn save_logo(
    state: &AppState,
    user: &ApiUser,
    change: LogoChange,
) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let saved = state
        .run(move |app| tt_app::company::set_logo(app, &actor, change))
        .await?;
    Ok(HttpResponse::Ok().json(CompanyDto::new(&saved)))
}
