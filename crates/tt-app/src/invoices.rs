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
    BillableHours, ClientId, CustomLine, Discount, Invoice, InvoiceId, InvoiceStatus, LineGrouping,
    LineKind, Party, Period, Price, ProjectId, Quantity, TaskId, TaxRate, Text, Totals,
    effective_rate, line_amount, require_admin,
};
use tt_persistence::invoices::{self as repo, Issue, NewDraft, NewLine, UnbilledEntry};
use tt_persistence::{PersistenceError, locks};

use crate::{Actor, App, AppError, Result, events};

/// What to invoice.
#[derive(Debug, Clone)]
pub struct NewInvoice {
    /// The client billed.
    pub client_id: ClientId,
    /// Only time that started in this period; all unbilled time if `None`.
    pub period: Option<Period>,
    /// Whether to bill the client's unbilled time at all (an invoice of
    /// custom lines only leaves the time for later).
    pub include_time: bool,
    /// How time becomes lines.
    pub grouping: LineGrouping,
    /// Lines typed by hand, after the time.
    pub custom_lines: Vec<CustomLine>,
    /// Discount on the subtotal.
    pub discount: Discount,
    /// Tax rate; the company's default when `None`.
    pub tax_rate: Option<TaxRate>,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Due date; the issue date plus the company's payment terms when
    /// `None`.
    pub due_date: Option<NaiveDate>,
    /// Notes printed on it.
    pub notes: Text,
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

/// A group of entries that becomes one time line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum LineKey {
    Project(ProjectId),
    Task(ProjectId, Option<TaskId>),
    Entry(usize),
}

/// Turns entries into time lines: grouped as asked, each at its project's
/// effective rate, quantity = the group's seconds in hundredths of an hour,
/// amount = quantity × rate rounded once ([`line_amount`]).
fn time_lines(
    entries: &[UnbilledEntry],
    grouping: LineGrouping,
    client: &tt_domain::Client,
    task_names: &BTreeMap<TaskId, String>,
    calendar: &tt_domain::Calendar,
) -> Result<Vec<NewLine>> {
    let mut groups: BTreeMap<LineKey, Vec<&UnbilledEntry>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let key = match grouping {
            LineGrouping::Project => LineKey::Project(e.project_id),
            LineGrouping::Task => LineKey::Task(e.project_id, e.task_id),
            LineGrouping::Entry => LineKey::Entry(i),
        };
        groups.entry(key).or_default().push(e);
    }
    groups
        .into_iter()
        .map(|(key, list)| {
            let first = list[0];
            let rate = effective_rate(first.project_rate, client.default_hourly_rate).ok_or_else(
                || {
                    AppError::invalid(
                        "a project on this invoice has no hourly rate (nor has the client)",
                    )
                },
            )?;
            let seconds: i64 = list.iter().map(|e| e.seconds).sum();
            let hours = BillableHours::from_seconds(seconds);
            let description = match key {
                LineKey::Project(_) | LineKey::Task(_, None) => first.project_name.clone(),
                LineKey::Task(_, Some(t)) => format!(
                    "{} — {}",
                    first.project_name,
                    task_names.get(&t).map_or("", String::as_str)
                ),
                LineKey::Entry(_) => {
                    let notes: String = first
                        .notes
                        .lines()
                        .next()
                        .unwrap_or("")
                        .chars()
                        .take(120)
                        .collect();
                    // The day as the person issuing the invoice reads it.
                    let day = calendar.date_of(first.start);
                    if notes.is_empty() {
                        format!("{day} · {}", first.project_name)
                    } else {
                        format!("{day} · {} — {notes}", first.project_name)
                    }
                }
            };
            Ok(NewLine {
                kind: LineKind::Time,
                project_id: Some(first.project_id),
                description,
                seconds,
                quantity: Quantity::from_hundredths(hours.hundredths())
                    .ok_or_else(|| AppError::invalid("too much time on one line"))?,
                unit_price: Price::from_hundredths(rate.per_hour().cents())
                    .ok_or_else(|| AppError::internal("rate out of range"))?,
                amount: line_amount(hours, rate, client.currency),
            })
        })
        .collect()
}

/// Creates a draft in the client's currency: time lines from the client's
/// unbilled, finished, billable time (grouped as asked), then the custom
/// lines; those entries are marked billed.
pub fn create(app: &App, actor: &Actor, req: NewInvoice) -> Result<Invoice> {
    require_admin(&actor.user)?;
    let invoice = app.write(|c| {
        locks::client(c, req.client_id)?;
        let client = tt_persistence::work::find_client(c, req.client_id).map_err(|e| match e {
            PersistenceError::NotFound => AppError::invalid_field("client_id", "no such client"),
            other => other.into(),
        })?;
        let company = tt_persistence::company::load(c)?;
        let entries = if req.include_time {
            let locked = locks::unbilled_entries_of_client(c, req.client_id)?;
            repo::unbilled_entries(c, req.client_id, req.period, locked.as_deref())?
        } else {
            Vec::new()
        };
        if entries.is_empty() && req.custom_lines.is_empty() {
            return Err(AppError::invalid(
                "no unbilled billable time for this client, and no other lines",
            ));
        }
        let tasks: Vec<TaskId> = entries.iter().filter_map(|e| e.task_id).collect();
        let task_names = repo::task_names(c, &tasks)?;
        let mut lines = time_lines(
            &entries,
            req.grouping,
            &client,
            &task_names,
            &app.calendar_of(&actor.user),
        )?;
        lines.extend(req.custom_lines.iter().map(|l| NewLine {
            kind: LineKind::Custom,
            project_id: None,
            description: l.description.clone(),
            seconds: 0,
            quantity: l.quantity,
            unit_price: l.unit_price,
            amount: l.amount(client.currency),
        }));
        let tax_rate = req.tax_rate.unwrap_or(company.default_tax_rate);
        let totals = Totals::compute(
            lines.iter().map(|l| l.amount),
            req.discount,
            tax_rate,
            client.currency,
        );
        let due_date = match req.due_date {
            Some(d) if d < req.issue_date => {
                return Err(AppError::invalid_field(
                    "due_date",
                    "must not be before the issue date",
                ));
            }
            Some(d) => d,
            None => req.issue_date + chrono::Days::new(u64::from(company.payment_terms_days)),
        };
        let id = repo::insert_draft(
            c,
            &NewDraft {
                client: req.client_id,
                issue_date: req.issue_date,
                due_date: Some(due_date),
                currency: client.currency,
                discount: req.discount,
                tax_rate,
                totals,
                notes: req.notes.as_str(),
                lines: &lines,
            },
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

/// The client as an invoice names it.
fn recipient(client: &tt_domain::Client) -> Party {
    Party {
        name: client.name.to_string(),
        address: client.address.clone(),
        tax_id: client.tax_id.clone(),
        email: client
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        bank_details: String::new(),
    }
}

/// An invoice with who sends and receives it and its footer: as recorded
/// when it was issued, or — for a draft — the current ones; the logo is
/// always the current one.
#[derive(Debug, Clone)]
pub struct InvoiceDocument {
    /// The invoice.
    pub invoice: Invoice,
    /// The sender.
    pub sender: Party,
    /// The recipient.
    pub recipient: Party,
    /// The footer.
    pub footer: String,
    /// The logo, if any.
    pub logo: Option<tt_domain::Logo>,
}

/// The invoice as a document to show, print or download (admin).
pub fn document(app: &App, actor: &Actor, id: InvoiceId) -> Result<InvoiceDocument> {
    require_admin(&actor.user)?;
    app.read(|c| {
        let invoice = repo::find(c, id)?;
        let company = tt_persistence::company::load(c)?;
        let client = tt_persistence::work::find_client(c, invoice.client_id)?;
        Ok(InvoiceDocument {
            sender: invoice.sender.clone().unwrap_or(company.party),
            recipient: invoice
                .recipient
                .clone()
                .unwrap_or_else(|| recipient(&client)),
            footer: invoice.footer.clone().unwrap_or(company.footer),
            logo: company.logo,
            invoice,
        })
    })
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
        // Issuing gives a number from the counter, printed by the
        // company's pattern (a draft numbered before numbers were given on
        // issue keeps its own), and records sender and recipient as they
        // are now.
        let issuing = current.status == InvoiceStatus::Draft && next == InvoiceStatus::Sent;
        let issue = if issuing {
            let company = tt_persistence::company::load(c)?;
            let client = tt_persistence::work::find_client(c, current.client_id)?;
            let (number, number_text) = match current.number {
                Some(n) => (n, format!("INV-{n:06}")),
                None => {
                    let n = repo::take_next_number(c)?;
                    (n, company.number_pattern.render(n, current.issue_date))
                }
            };
            Some(Issue {
                number,
                number_text,
                sender: company.party,
                recipient: recipient(&client),
                footer: company.footer,
            })
        } else {
            None
        };
        if !repo::change_status(c, id, current.status, next, issue.as_ref())? {
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
