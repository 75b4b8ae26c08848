//! Admin → Company: the sender details, terms, currency, number pattern,
//! footer and logo every invoice is made with.

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use tt_app::company::LogoChange;
use tt_domain::{Logo, NumberPattern};

use super::page::{Layout, Nav, done, failed, form_problem, render_status};
use crate::auth::{CsrfForm, WebUser, verify_csrf};
use crate::error::HttpError;
use crate::inputs::CompanyInput;
use crate::state::AppState;

routes! {
    GET "/admin/company" => show,
    POST "/admin/company" => save,
    GET "/admin/company/logo" => logo,
    POST "/admin/company/logo" => upload_logo,
    POST "/admin/company/logo/delete" => delete_logo,
}

/// The form: the API's input plus the CSRF token.
#[derive(serde::Deserialize, Default, Debug)]
#[serde(default)]
struct CompanyForm {
    csrf_token: String,
    #[serde(flatten)]
    fields: CompanyFormFields,
}

/// The fields as text (the terms too, so a typo is an error message, not a
/// refused form).
#[derive(serde::Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct CompanyFormFields {
    name: String,
    address: String,
    tax_id: String,
    email: String,
    bank_details: String,
    payment_terms_days: String,
    default_tax_rate: String,
    footer: String,
    default_currency: String,
    number_pattern: String,
}

impl CompanyFormFields {
    fn from_input(i: &CompanyInput) -> Self {
        CompanyFormFields {
            name: i.name.clone(),
            address: i.address.clone(),
            tax_id: i.tax_id.clone(),
            email: i.email.clone(),
            bank_details: i.bank_details.clone(),
            payment_terms_days: i
                .payment_terms_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            default_tax_rate: i.default_tax_rate.clone(),
            footer: i.footer.clone(),
            default_currency: i.default_currency.clone(),
            number_pattern: i.number_pattern.clone(),
        }
    }

    fn input(&self) -> Result<CompanyInput, HttpError> {
        let terms = self.payment_terms_days.trim();
        Ok(CompanyInput {
            name: self.name.clone(),
            address: self.address.clone(),
            tax_id: self.tax_id.clone(),
            email: self.email.clone(),
            bank_details: self.bank_details.clone(),
            payment_terms_days: if terms.is_empty() {
                None
            } else {
                Some(terms.parse().map_err(|_| {
                    HttpError::invalid_field("payment_terms_days", "enter a number of days")
                })?)
            },
            default_tax_rate: self.default_tax_rate.clone(),
            footer: self.footer.clone(),
            default_currency: self.default_currency.clone(),
            number_pattern: self.number_pattern.clone(),
        })
    }
}

#[derive(Template)]
#[template(path = "admin_company.html")]
struct CompanyPage {
    l: Layout,
    form: CompanyFormFields,
    error: Option<String>,
    has_logo: bool,
    /// The next invoice number with this pattern, as an example.
    example_number: String,
    max_logo_kb: usize,
}

async fn render(
    state: &AppState,
    user: &WebUser,
    status: StatusCode,
    form: Option<CompanyFormFields>,
    error: Option<String>,
) -> Result<HttpResponse, HttpError> {
    let actor = user.actor();
    let profile = state
        .run(move |app| tt_app::company::get(app, &actor))
        .await?;
    let form = form
        .unwrap_or_else(|| CompanyFormFields::from_input(&CompanyInput::from_profile(&profile)));
    let pattern = NumberPattern::parse(&form.number_pattern).unwrap_or_default();
    let actor = user.actor();
    let example_number = state
        .run(move |app| tt_app::company::next_number(app, &actor, &pattern))
        .await?;
    let page = CompanyPage {
        l: Layout::new(user, "Company", Nav::Company)?,
        example_number,
        form,
        error,
        has_logo: profile.logo.is_some(),
        max_logo_kb: Logo::MAX_BYTES / 1024,
    };
    render_status(status, &page)
}

/// `GET /admin/company`.
async fn show(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    render(&state, &user, StatusCode::OK, None, None).await
}

/// `POST /admin/company`: the details (the logo has its own form).
async fn save(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<CompanyForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let fields = form.into_inner().fields;
    let parsed = fields.input().and_then(|i| i.parse());
    let outcome = match parsed {
        Ok(profile) => {
            let actor = user.actor();
            state
                .run(move |app| tt_app::company::update(app, &actor, profile))
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(done(
            &user.session,
            "/admin/company",
            "Company details saved.",
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            render(
                &state,
                &user,
                problem.status,
                Some(fields),
                Some(problem.message),
            )
            .await
        }
    }
}

/// `GET /admin/company/logo`: the stored logo, for the page to show.
async fn logo(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let actor = user.actor();
    let profile = state
        .run(move |app| tt_app::company::get(app, &actor))
        .await?;
    let logo = profile.logo.ok_or(HttpError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(logo.media_type)
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(logo.bytes))
}

/// Reads the upload form: its CSRF token and the file (at most one byte
/// more than a logo may have, so a larger one is refused as such).
async fn read_upload(mut form: Multipart) -> Result<(String, Vec<u8>), HttpError> {
    let bad = || HttpError::bad_request("bad_form", "the upload could not be read");
    let (mut token, mut file) = (String::new(), Vec::new());
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| bad())?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| bad())?;
            if bytes.len() + chunk.len() > Logo::MAX_BYTES + 1 {
                return Err(HttpError::invalid_field("logo", "must be at most 256 KB"));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf_token" => token = String::from_utf8(bytes).map_err(|_| bad())?,
            "logo" => file = bytes,
            _ => {}
        }
    }
    Ok((token, file))
}

/// `POST /admin/company/logo` (multipart): a PNG or JPEG of at most 256 KB.
async fn upload_logo(
    state: web::Data<AppState>,
    user: WebUser,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if !multipart {
        // Not this page's form: it carries no token to trust.
        return Err(HttpError::Csrf);
    }
    let (token, file) = read_upload(Multipart::new(req.headers(), payload)).await?;
    verify_csrf(&user.session, &token)?;
    let logo = match Logo::parse(file) {
        Ok(l) => l,
        Err(e) => return Ok(failed(&user.session, "/admin/company", e.to_string())),
    };
    let actor = user.actor();
    state
        .run(move |app| tt_app::company::set_logo(app, &actor, LogoChange::Set(logo)))
        .await?;
    Ok(done(&user.session, "/admin/company", "Logo saved."))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PlainForm {
    csrf_token: String,
}

/// `POST /admin/company/logo/delete`.
async fn delete_logo(
    state: web::Data<AppState>,
    user: WebUser,
    _form: CsrfForm<PlainForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let actor = user.actor();
    state
        .run(move |app| tt_app::company::set_logo(app, &actor, LogoChange::Remove))
        .await?;
    Ok(done(&user.session, "/admin/company", "Logo removed."))
}

crate::auth::csrf_protected!(CompanyForm, PlainForm);
