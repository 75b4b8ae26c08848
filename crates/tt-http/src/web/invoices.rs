//! Invoices (admins only): list, create from a client's unbilled time,
//! status changes, delete drafts, and a printable view.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use tt_app::invoices::InvoiceDocument;
use tt_domain::{
    Client, ClientId, Invoice, InvoiceId, InvoiceStatus, LineKind, Party, format_hundredths,
};

use super::assets;
use super::forms::{Opt, checked};
use super::page::{FormProblem, Layout, Nav, done, failed, form_problem, render_status};
use crate::auth::{CsrfForm, WebUser};
use crate::error::HttpError;
use crate::inputs::{CustomLineInput, InvoiceInput};
use crate::state::AppState;

routes! {
    GET "/invoices" => list,
    POST "/invoices" => create,
    GET "/invoices/{id}" => detail,
    GET "/invoices/{id}/print" => print,
    GET "/invoices/{id}/pdf" => pdf,
    POST "/invoices/{id}/status" => set_status,
    POST "/invoices/{id}/delete" => delete,
}

#[derive(Debug)]
struct LineView {
    description: String,
    quantity: String,
    unit_price: String,
    amount: String,
}

#[derive(Debug, Default)]
struct PartyView {
    name: String,
    lines: Vec<String>,
    tax_id: String,
    email: String,
    bank_details: Vec<String>,
}

impl From<&Party> for PartyView {
    fn from(p: &Party) -> Self {
        let lines = |s: &str| {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        PartyView {
            name: p.name.clone(),
            lines: lines(&p.address),
            tax_id: p.tax_id.clone(),
            email: p.email.clone(),
            bank_details: lines(&p.bank_details),
        }
    }
}

#[derive(Debug)]
struct InvoiceView {
    id: i64,
    number: String,
    client: String,
    status: &'static str,
    issue_date: String,
    due_date: String,
    currency: &'static str,
    tax_rate: String,
    /// "10.00%" when there is a discount.
    discount: Option<String>,
    subtotal: String,
    discount_amount: String,
    net: String,
    tax: String,
    total: String,
    notes: String,
    lines: Vec<LineView>,
    sender: PartyView,
    recipient: PartyView,
    footer: Vec<String>,
    has_logo: bool,
}

/// The figures of an invoice as every surface prints them: amounts by the
/// currency's decimals, quantities and prices with the two decimals the
/// amounts are computed from (the same strings as the PDF).
fn invoice_view(i: &Invoice, client: &str) -> InvoiceView {
    let cur = i.currency;
    let t = &i.totals;
    InvoiceView {
        id: i.id.get(),
        number: i.display_number(),
        client: client.to_owned(),
        status: i.status.as_str(),
        issue_date: i.issue_date.to_string(),
        due_date: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
        currency: cur.code(),
        tax_rate: i.tax_rate.to_string(),
        discount: (i.discount.basis_points() != 0).then(|| i.discount.to_string()),
        subtotal: cur.format(t.subtotal),
        discount_amount: format!("-{}", cur.format(t.discount)),
        net: cur.format(t.net),
        tax: cur.format(t.tax),
        total: cur.format(t.total),
        notes: i.notes.clone(),
        lines: i
            .lines
            .iter()
            .map(|l| LineView {
                description: l.description.clone(),
                quantity: match l.kind {
                    LineKind::Time => format!("{} h", format_hundredths(l.quantity.hundredths())),
                    LineKind::Custom => format_hundredths(l.quantity.hundredths()),
                },
                unit_price: format_hundredths(l.unit_price.hundredths()),
                amount: cur.format(l.amount),
            })
            .collect(),
        sender: PartyView::default(),
        recipient: PartyView::default(),
        footer: Vec::new(),
        has_logo: false,
    }
}

fn document_view(d: &InvoiceDocument) -> InvoiceView {
    InvoiceView {
        sender: PartyView::from(&d.sender),
        recipient: PartyView::from(&d.recipient),
        footer: d.footer.lines().map(str::to_owned).collect(),
        has_logo: d.logo.is_some(),
        ..invoice_view(&d.invoice, &d.recipient.name)
    }
}

async fn clients(state: &AppState) -> Result<HashMap<ClientId, Client>, HttpError> {
    let all = state.run(|app| tt_app::catalog::clients(app, true)).await?;
    Ok(all.into_iter().map(|c| (c.id, c)).collect())
}

/// How many custom lines the new-invoice form offers.
const FORM_LINES: usize = 3;

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct InvoiceForm {
    csrf_token: String,
    client_id: String,
    from: String,
    to: String,
    tax_rate: String,
    issue_date: String,
    due_date: String,
    grouping: String,
    /// Ticked: leave the time for later (only the typed lines).
    without_time: String,
    discount: String,
    notes: String,
    line1_description: String,
    line1_quantity: String,
    line1_unit_price: String,
    line2_description: String,
    line2_quantity: String,
    line2_unit_price: String,
    line3_description: String,
    line3_quantity: String,
    line3_unit_price: String,
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// One custom-line row of the form, for the template.
#[derive(Debug)]
struct LineRow {
    n: usize,
    description: String,
    quantity: String,
    unit_price: String,
}

impl InvoiceForm {
    fn line_rows(&self) -> Vec<LineRow> {
        [
            (
                &self.line1_description,
                &self.line1_quantity,
                &self.line1_unit_price,
            ),
            (
                &self.line2_description,
                &self.line2_quantity,
                &self.line2_unit_price,
            ),
            (
                &self.line3_description,
                &self.line3_quantity,
                &self.line3_unit_price,
            ),
        ]
        .into_iter()
        .take(FORM_LINES)
        .enumerate()
        .map(|(i, (d, q, p))| LineRow {
            n: i + 1,
            description: d.clone(),
            quantity: q.clone(),
            unit_price: p.clone(),
        })
        .collect()
    }

    /// The form as the API's input: one reader of invoice requests. A
    /// custom-line row left wholly empty is no line.
    fn parse(
        &self,
        calendar: &tt_domain::Calendar,
    ) -> Result<tt_app::invoices::NewInvoice, HttpError> {
        let client: ClientId =
            tt_app::input::required_id_text("client_id", &self.client_id, ClientId::new)?;
        let custom_lines = self
            .line_rows()
            .into_iter()
            .filter(|r| {
                !(r.description.trim().is_empty()
                    && r.quantity.trim().is_empty()
                    && r.unit_price.trim().is_empty())
            })
            .map(|r| CustomLineInput {
                description: r.description,
                quantity: r.quantity,
                unit_price: r.unit_price,
            })
            .collect();
        let input = InvoiceInput {
            client_id: client.get(),
            from: non_empty(&self.from),
            to: non_empty(&self.to),
            tax_rate: non_empty(&self.tax_rate),
            issue_date: non_empty(&self.issue_date),
            due_date: non_empty(&self.due_date),
            grouping: non_empty(&self.grouping),
            include_time: Some(!checked(&self.without_time)),
            custom_lines,
            discount: non_empty(&self.discount),
            notes: non_empty(&self.notes),
        };
        input.parse(calendar)
    }
}

#[derive(Template)]
#[template(path = "invoices.html")]
struct ListPage {
    l: Layout,
    rows: Vec<InvoiceView>,
    clients: Vec<Opt>,
    line_rows: Vec<LineRow>,
    form: InvoiceForm,
    error: Option<String>,
}

async fn show_list(
    state: &AppState,
    user: &WebUser,
    form: InvoiceForm,
    problem: Option<FormProblem>,
) -> Result<HttpResponse, HttpError> {
    let invoices = state
        .run({
            let actor = user.actor();
            move |app| tt_app::invoices::list(app, &actor)
        })
        .await?;
    let clients = clients(state).await?;
    let mut options: Vec<Opt> = clients
        .values()
        .filter(|c| !c.archived)
        .map(|c| Opt::new(c.id, c.name.as_str()))
        .collect();
    options.sort_by_key(|o| o.label.to_lowercase());
    let (status, error) = match problem {
        Some(p) => (p.status, Some(p.message)),
        None => (StatusCode::OK, None),
    };
    let page = ListPage {
        l: Layout::new(user, "Invoices", Nav::Invoices)?,
        rows: invoices
            .iter()
            .map(|i| {
                let name = clients.get(&i.client_id).map_or_else(
                    || format!("Client #{}", i.client_id),
                    |c| c.name.to_string(),
                );
                invoice_view(i, &name)
            })
            .collect(),
        clients: options,
        line_rows: form.line_rows(),
        form,
        error,
    };
    render_status(status, &page)
}

/// `GET /invoices`.
async fn list(state: web::Data<AppState>, user: WebUser) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let form = InvoiceForm {
        issue_date: user.calendar.today(tt_app::now()).to_string(),
        grouping: "project".into(),
        ..InvoiceForm::default()
    };
    show_list(&state, &user, form, None).await
}

/// `POST /invoices`: a draft from the client's unbilled billable time.
async fn create(
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<InvoiceForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let form = form.into_inner();
    let result = match form.parse(&user.calendar) {
        Ok(req) => {
            state
                .run({
                    let actor = user.actor();
                    move |app| tt_app::invoices::create(app, &actor, req)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(inv) => Ok(done(
            &user.session,
            &format!("/invoices/{}", inv.id),
            format!("Draft invoice {} created.", inv.display_number()),
        )),
        Err(e) => {
            let problem = form_problem(e)?;
            show_list(&state, &user, form, Some(problem)).await
        }
    }
}

fn invoice_id(raw: i64) -> Result<InvoiceId, HttpError> {
    InvoiceId::new(raw).ok_or(HttpError::NotFound)
}

/// A status change offered as a button.
#[derive(Debug)]
struct Action {
    status: &'static str,
    label: &'static str,
    danger: bool,
}

fn actions(current: InvoiceStatus) -> Vec<Action> {
    use InvoiceStatus::*;
    [
        (Sent, "Mark as sent", false),
        (Paid, "Mark as paid", false),
        (Cancelled, "Cancel invoice", true),
    ]
    .into_iter()
    // A draft is deleted rather than cancelled (it has no number yet).
    .filter(|(next, _, _)| !(current == Draft && *next == Cancelled))
    .filter(|(next, _, _)| *next != current && current.can_become(*next))
    .map(|(next, label, danger)| Action {
        status: next.as_str(),
        label,
        danger,
    })
    .collect()
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct DetailPage {
    l: Layout,
    inv: InvoiceView,
    actions: Vec<Action>,
    can_delete: bool,
}

async fn load(
    state: &AppState,
    user: &WebUser,
    raw: i64,
) -> Result<(Invoice, InvoiceView), HttpError> {
    let id = invoice_id(raw)?;
    let doc = state
        .run({
            let actor = user.actor();
            move |app| tt_app::invoices::document(app, &actor, id)
        })
        .await?;
    let view = document_view(&doc);
    Ok((doc.invoice, view))
}

/// `GET /invoices/{id}`.
async fn detail(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let (invoice, view) = load(&state, &user, path.into_inner()).await?;
    tt_app::invoices::viewed(
        &state.app,
        &user.actor(),
        &invoice,
        tt_app::events::InvoiceView::Html,
    );
    let page = DetailPage {
        l: Layout::new(&user, view.number.clone(), Nav::Invoices)?,
        inv: view,
        actions: actions(invoice.status),
        can_delete: invoice.status == InvoiceStatus::Draft,
    };
    render_status(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "invoice_print.html")]
struct PrintPage {
    css: &'static str,
    print_js: &'static str,
    inv: InvoiceView,
}

/// `GET /invoices/{id}/print`: the invoice alone, for paper or PDF.
async fn print(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let (invoice, view) = load(&state, &user, path.into_inner()).await?;
    tt_app::invoices::viewed(
        &state.app,
        &user.actor(),
        &invoice,
        tt_app::events::InvoiceView::Print,
    );
    let page = PrintPage {
        css: assets::css_href(),
        print_js: assets::print_js_href(),
        inv: view,
    };
    render_status(StatusCode::OK, &page)
}

/// `GET /invoices/{id}/pdf`: the PDF the API serves too.
async fn pdf(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = invoice_id(path.into_inner())?;
    crate::documents::invoice_pdf_response(&state, user.actor(), id).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusForm {
    csrf_token: String,
    status: String,
}

/// `POST /invoices/{id}/status`.
async fn set_status(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    form: CsrfForm<StatusForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = invoice_id(path.into_inner())?;
    let back = format!("/invoices/{id}");
    let next: InvoiceStatus = match form.status.trim().parse() {
        Ok(s) => s,
        Err(_) => return Ok(failed(&user.session, &back, "Unknown invoice status.")),
    };
    match state
        .run({
            let actor = user.actor();
            move |app| tt_app::invoices::set_status(app, &actor, id, next)
        })
        .await
    {
        Ok((_old, inv)) => Ok(done(
            &user.session,
            &back,
            format!("Invoice {} is now {}.", inv.display_number(), inv.status),
        )),
        Err(HttpError::Conflict(msg)) => Ok(failed(&user.session, &back, msg)),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteForm {
    csrf_token: String,
}

/// `POST /invoices/{id}/delete`: drafts only; their entries become
/// billable again.
async fn delete(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<i64>,
    _form: CsrfForm<DeleteForm>,
) -> Result<HttpResponse, HttpError> {
    user.require_admin()?;
    let id = invoice_id(path.into_inner())?;
    match state
        .run({
            let actor = user.actor();
            move |app| tt_app::invoices::delete(app, &actor, id)
        })
        .await
    {
        Ok(()) => Ok(done(&user.session, "/invoices", "Draft invoice deleted.")),
        Err(HttpError::Conflict(msg)) => Ok(failed(&user.session, &format!("/invoices/{id}"), msg)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_allowed_status_changes_are_offered() {
        let names = |s| actions(s).iter().map(|a| a.status).collect::<Vec<_>>();
        assert_eq!(names(InvoiceStatus::Draft), ["sent"]);
        assert_eq!(names(InvoiceStatus::Sent), ["paid", "cancelled"]);
        assert!(names(InvoiceStatus::Paid).is_empty());
        assert!(names(InvoiceStatus::Cancelled).is_empty());
    }
}

crate::auth::csrf_protected!(DeleteForm, InvoiceForm, StatusForm);
