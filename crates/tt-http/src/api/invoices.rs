//! Invoices (admins only).

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use tt_domain::{ClientId, InvoiceId, InvoiceStatus, TaxRate};
use tt_persistence::invoices::{self as repo, InvoiceRequest};

use super::dto::{InvoiceDto, id_of, parse_date};
use super::reports::period_from_query;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tracking;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(set_status)
        .service(remove);
}

#[get("/invoices")]
async fn list(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let list = state.db(repo::list).await?;
    Ok(HttpResponse::Ok().json(
        list.iter()
            .map(|i| InvoiceDto::new(i, false))
            .collect::<Vec<_>>(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvoiceInput {
    pub client_id: i64,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub tax_rate: Option<String>,
    #[serde(default)]
    pub issue_date: Option<String>,
}

impl InvoiceInput {
    pub(crate) fn parse(&self) -> Result<InvoiceRequest, ApiError> {
        let period = match (&self.from, &self.to) {
            (None, None) => None,
            (f, t) => Some(period_from_query(f.as_deref(), t.as_deref())?),
        };
        Ok(InvoiceRequest {
            client_id: id_of("client_id", self.client_id, ClientId::new)?,
            period,
            tax_rate: match self.tax_rate.as_deref().map(str::trim) {
                None | Some("") => TaxRate::default(),
                Some(t) => TaxRate::parse(t)?,
            },
            issue_date: match self.issue_date.as_deref().map(str::trim) {
                None | Some("") => chrono::Utc::now().date_naive(),
                Some(d) => parse_date("issue_date", d)?,
            },
        })
    }
}

#[post("/invoices")]
async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<InvoiceInput>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let req = body.parse()?;
    let invoice = state.db(move |c| repo::create(c, &req)).await?;
    state.track(tracking::invoice_created(&invoice), Some(user.id()));
    Ok(HttpResponse::Created().json(InvoiceDto::new(&invoice, true)))
}

fn invoice_id(raw: i64) -> Result<InvoiceId, ApiError> {
    InvoiceId::new(raw).ok_or(ApiError::NotFound)
}

#[get("/invoices/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = invoice_id(path.into_inner())?;
    let invoice = state.db(move |c| repo::find(c, id)).await?;
    Ok(HttpResponse::Ok().json(InvoiceDto::new(&invoice, true)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusInput {
    status: String,
}

#[put("/invoices/{id}/status")]
async fn set_status(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
    body: web::Json<StatusInput>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = invoice_id(path.into_inner())?;
    let next: InvoiceStatus = body.status.parse()?;
    let (old, invoice) = state.db(move |c| repo::set_status(c, id, next)).await?;
    state.track(
        tracking::invoice_status_changed(old, &invoice),
        Some(user.id()),
    );
    Ok(HttpResponse::Ok().json(InvoiceDto::new(&invoice, true)))
}

#[delete("/invoices/{id}")]
async fn remove(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    user.require_admin()?;
    let id = invoice_id(path.into_inner())?;
    state.db(move |c| repo::delete(c, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
