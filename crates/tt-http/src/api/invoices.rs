//! Invoices (administrators): adapters over `tt_app::invoices`.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use tt_domain::{InvoiceId, InvoiceStatus};
use utoipa::ToSchema;

use super::body::Json;
use super::dto::InvoiceDto;
use super::openapi::{Authed, InvoiceStatusName, JsonBody, Missing, Refused, Restricted};
use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::inputs::InvoiceInput;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(set_status)
        .service(remove)
        .service(pdf);
}

/// Lists invoices.
#[utoipa::path(
    tag = "invoices",
    operation_id = "list_invoices",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every invoice, without lines", body = Vec<InvoiceDto>),
        Authed, Restricted,
    ),
)]
#[get("/invoices")]
async fn list(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let list = state
        .run(move |app| tt_app::invoices::list(app, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(list.iter().map(InvoiceDto::summary).collect::<Vec<_>>()))
}

/// Drafts an invoice of a client's unbilled time.
#[utoipa::path(
    tag = "invoices",
    operation_id = "create_invoice",
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new draft, with its lines", body = InvoiceDto),
        Authed, JsonBody, Restricted,
    ),
)]
#[post("/invoices")]
async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: Json<InvoiceInput>,
) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    let req = body.parse(&user.calendar(&state))?;
    let actor = user.actor();
    let doc = state
        .run(move |app| {
            let invoice = tt_app::invoices::create(app, &actor, req)?;
            tt_app::invoices::document(app, &actor, invoice.id)
        })
        .await?;
    Ok(HttpResponse::Created().json(InvoiceDto::full(&doc)))
}

fn invoice_id(raw: i64) -> Result<InvoiceId, HttpError> {
    InvoiceId::new(raw).ok_or(HttpError::NotFound)
}

/// One invoice.
#[utoipa::path(
    tag = "invoices",
    operation_id = "get_invoice",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The invoice with its lines", body = InvoiceDto),
        Authed, Missing, Restricted,
    ),
)]
#[get("/invoices/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let (actor, id) = (user.actor(), invoice_id(path.into_inner())?);
    let doc = state
        .run(move |app| tt_app::invoices::document(app, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(InvoiceDto::full(&doc)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusInput {
    #[schema(value_type = InvoiceStatusName)]
    status: String,
}

/// Changes an invoice's status: `sent` issues a draft (it gets its
/// number), then `paid`; `cancelled` releases the entries.
#[utoipa::path(
    tag = "invoices",
    operation_id = "set_invoice_status",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The invoice with its lines", body = InvoiceDto),
        Authed, JsonBody, Missing, Restricted,
    ),
)]
#[put("/invoices/{id}/status")]
async fn set_status(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: Json<StatusInput>,
) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    let (actor, id) = (user.actor(), invoice_id(path.into_inner())?);
    let next: InvoiceStatus = body.status.parse()?;
    let doc = state
        .run(move |app| {
            tt_app::invoices::set_status(app, &actor, id, next)?;
            tt_app::invoices::document(app, &actor, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(InvoiceDto::full(&doc)))
}

/// Deletes a draft invoice.
#[utoipa::path(
    tag = "invoices",
    operation_id = "delete_invoice",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        Authed, Missing, Restricted,
    ),
)]
#[delete("/invoices/{id}")]
async fn remove(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let (actor, id) = (user.actor(), invoice_id(path.into_inner())?);
    state
        .run(move |app| tt_app::invoices::delete(app, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The invoice as a PDF (A4), the same figures as the page and this API.
#[utoipa::path(
    tag = "invoices",
    operation_id = "get_invoice_pdf",
    params(("id" = i64, Path, minimum = 1, description = "The id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        Authed, Missing, Restricted, Refused,
    ),
)]
#[get("/invoices/{id}/pdf")]
async fn pdf(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let id = invoice_id(path.into_inner())?;
    crate::documents::invoice_pdf_response(&state, user.actor(), id).await
}
