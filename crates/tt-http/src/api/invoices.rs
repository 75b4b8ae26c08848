//! Invoices (administrators): adapters over `tt_app::invoices`.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use tt_domain::{InvoiceId, InvoiceStatus};

use super::dto::InvoiceDto;
use crate::auth::ApiUser;
use crate::error::HttpError;
use crate::inputs::InvoiceInput;
use crate::state::AppState;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(set_status)
        .service(remove);
}

#[get("/invoices")]
async fn list(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let list = state
        .run(move |app| tt_app::invoices::list(app, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(
        list.iter()
            .map(|i| InvoiceDto::new(i, false))
            .collect::<Vec<_>>(),
    ))
}

#[post("/invoices")]
async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<InvoiceInput>,
) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    let req = body.parse()?;
    let actor = user.actor();
    let invoice = state
        .run(move |app| tt_app::invoices::create(app, &actor, req))
        .await?;
    Ok(HttpResponse::Created().json(InvoiceDto::new(&invoice, true)))
}

fn invoice_id(raw: i64) -> Result<InvoiceId, HttpError> {
    InvoiceId::new(raw).ok_or(HttpError::NotFound)
}

#[get("/invoices/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    let (actor, id) = (user.actor(), invoice_id(path.into_inner())?);
    let invoice = state
        .run(move |app| tt_app::invoices::get(app, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(InvoiceDto::new(&invoice, true)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusInput {
    status: String,
}

/// `PUT /api/v1/invoices/{id}/status`: `sent` issues a draft (it gets its
/// number), then `paid`; `cancelled` releases the entries.
#[put("/invoices/{id}/status")]
async fn set_status(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<StatusInput>,
) -> Result<HttpResponse, HttpError> {
    tt_domain::require_admin(&user.0)?;
    let (actor, id) = (user.actor(), invoice_id(path.into_inner())?);
    let next: InvoiceStatus = body.status.parse()?;
    let (_, invoice) = state
        .run(move |app| tt_app::invoices::set_status(app, &actor, id, next))
        .await?;
    Ok(HttpResponse::Ok().json(InvoiceDto::new(&invoice, true)))
}

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
