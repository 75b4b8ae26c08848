//! Invoices (administrators): a draft from a client's unbilled billable
//! time, issued (numbered) when sent, paid or cancelled, drafts deleted.
//!
//! Invariants, on SQLite and PostgreSQL alike: an entry is billed on at most
//! one invoice, and an invoice's lines always add up its entries — the
//! client row and the candidate entries are locked while the draft is made,
//! and billing an entry is a guarded update that must mark every entry the
//! lines were computed from. Numbers are taken from a counter row inside
//! the issuing transaction: sequential, unique, never reused, no gaps.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tt_domain::{
    BillableWork, ClientId, Invoice, InvoiceId, InvoiceStatus, InvoiceTotals, Period, TaxRate,
    bill, effective_rate, require_admin,
};
use tt_persistence::invoices::{self as repo, NewLine};
use tt_persistence::{PersistenceError, locks};

use crate::{Actor, App, AppError, Result, events};

/// What to invoice.
#[derive(Debug, Clone, Copy)]
pub struct NewInvoice {
    /// The client billed.
    pub client_id: ClientId,
    /// Only time that started in this period; all unbilled time if `None`.
    pub period: Option<Period>,
    /// Tax rate applied to the subtotal.
    pub tax_rate: TaxRate,
    /// Issue date.
    pub issue_date: NaiveDate,
}

/// All invoices, drafts first, then newest number first (admin).
pub fn list(app: &App, actor: &Actor) -> Result<Vec<Invoice>> {
    require_admin(&actor.user)?;
    app.read(|c| Ok(repo::list(c)?))
}

/// One invoice with its lines (admin).
pub fn get(app: &App, actor: &Actor, id: InvoiceId) -> Result<Invoice> {
    require_admin(&actor.user)?;
    app.read(|c| Ok(repo::find(c, id)?))
}

/// Creates a draft: one line per project at its effective rate, from the
/// client's unbilled, finished, billable time; those entries are marked.
pub fn create(app: &App, actor: &Actor, req: NewInvoice) -> Result<Invoice> {
    require_admin(&actor.user)?;
    let invoice = app.write(|c| {
        locks::client(c, req.client_id)?;
        let client = tt_persistence::work::find_client(c, req.client_id).map_err(|e| match e {
            PersistenceError::NotFound => AppError::invalid("client_id: no such client"),
            other => other.into(),
        })?;
        let locked = locks::unbilled_entries_of_client(c, req.client_id)?;
        let entries = repo::unbilled_entries(c, req.client_id, req.period, locked.as_deref())?;
        if entries.is_empty() {
            return Err(AppError::invalid(
                "no unbilled billable time for this client",
            ));
        }
        let names: BTreeMap<_, _> = entries
            .iter()
            .map(|e| (e.project_id, e.project_name.clone()))
            .collect();
        let lines = bill(entries.iter().map(|e| BillableWork {
            project_id: e.project_id,
            seconds: e.seconds,
            rate: effective_rate(e.project_rate, client.default_hourly_rate),
        }));
        let lines = lines
            .into_iter()
            .map(|l| {
                let rate = l.rate.ok_or_else(|| {
                    AppError::invalid(
                        "a project on this invoice has no hourly rate (nor has the client)",
                    )
                })?;
                Ok(NewLine {
                    project_id: l.project_id,
                    description: names.get(&l.project_id).cloned().unwrap_or_default(),
                    seconds: l.seconds,
                    rate,
                    amount: l.amount,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let totals = InvoiceTotals::compute(lines.iter().map(|l| l.amount), req.tax_rate);
        let id = repo::insert_draft(
            c,
            req.client_id,
            req.issue_date,
            req.tax_rate,
            totals,
            &lines,
        )?;
        let ids: Vec<_> = entries.iter().map(|e| e.entry_id).collect();
        if repo::mark_billed(c, &ids, id)? != ids.len() {
            return Err(AppError::conflict(
                "some of this time was billed or changed meanwhile; try again",
            ));
        }
        Ok(repo::find(c, id)?)
    })?;
    app.track(events::invoice_created(&invoice), Some(actor.id()));
    Ok(invoice)
}

/// Moves an invoice along its workflow (draft → sent → paid, or
/// cancelled). Sending a draft issues it: it gets the next number.
/// Cancelling releases its entries. Returns the previous status too.
pub fn set_status(
    app: &App,
    actor: &Actor,
    id: InvoiceId,
    next: InvoiceStatus,
) -> Result<(InvoiceStatus, Invoice)> {
    require_admin(&actor.user)?;
    let (old, invoice) = app.write(|c| {
        locks::invoice(c, id)?;
        let current = repo::find(c, id)?;
        if !current.status.can_become(next) {
            return Err(AppError::conflict(format!(
                "a {} invoice cannot become {next}",
                current.status
            )));
        }
        if current.status == next {
            return Ok((current.status, current));
        }
        // Issuing gives a number; a draft numbered before numbers were
        // given on issue keeps its own.
        let issuing = current.status == InvoiceStatus::Draft && next == InvoiceStatus::Sent;
        let number = if issuing && current.number.is_none() {
            Some(repo::take_next_number(c)?)
        } else {
            None
        };
        if !repo::change_status(c, id, current.status, next, number)? {
            return Err(AppError::conflict(
                "the invoice changed meanwhile; reload it",
            ));
        }
        if next == InvoiceStatus::Cancelled {
            locks::entries_of_invoice(c, id)?;
            repo::release_entries(c, id)?;
        }
        Ok((current.status, repo::find(c, id)?))
    })?;
    if old != invoice.status {
        app.track(
            events::invoice_status_changed(old, &invoice),
            Some(actor.id()),
        );
    }
    Ok((old, invoice))
}

/// Deletes a draft; its entries become billable again.
pub fn delete(app: &App, actor: &Actor, id: InvoiceId) -> Result<()> {
    require_admin(&actor.user)?;
    app.write(|c| {
        locks::invoice(c, id)?;
        if repo::find(c, id)?.status != InvoiceStatus::Draft {
            return Err(AppError::conflict("only draft invoices can be deleted"));
        }
        locks::entries_of_invoice(c, id)?;
        repo::release_entries(c, id)?;
        if !repo::delete_draft(c, id)? {
            return Err(AppError::conflict(
                "the invoice changed meanwhile; reload it",
            ));
        }
        Ok(())
    })
}

/// Records that an invoice was looked at (page or print view).
pub fn viewed(app: &App, actor: &Actor, invoice: &Invoice, view: events::InvoiceView) {
    app.track(events::invoice_viewed(invoice, view), Some(actor.id()));
}
