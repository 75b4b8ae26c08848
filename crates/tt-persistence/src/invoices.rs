//! Invoices and their lines, the time entries they bill, and the number
//! counter. The rules (what is billed at which rate, who may, the status
//! workflow, the totals) live in `tt-domain` and the application layer;
//! these functions only read and write, guarded so a stale caller changes
//! nothing.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use tt_domain::{
    ClientId, Currency, Discount, HourlyRate, Invoice, InvoiceId, InvoiceLine, InvoiceStatus,
    LineKind, Money, Party, Period, Price, ProjectId, Quantity, TaskId, TaxRate, TimeEntryId,
    Totals,
};

use crate::schema::{
    invoice_lines, invoice_number_sequence, invoices, projects, tasks, time_entries,
};
use crate::{DbConnection, PersistenceError, Result, currency, id, now, to_naive, to_utc};

#[derive(Queryable, Selectable)]
#[diesel(table_name = invoices)]
struct InvoiceRow {
    id: i64,
    number: Option<i64>,
    number_text: Option<String>,
    client_id: i64,
    status: String,
    issue_date: NaiveDate,
    due_date: Option<NaiveDate>,
    currency: String,
    discount_bp: i64,
    tax_rate_bp: i64,
    subtotal_cents: i64,
    tax_cents: i64,
    total_cents: i64,
    notes: String,
    parties: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = invoice_lines)]
struct LineRow {
    kind: String,
    project_id: Option<i64>,
    description: String,
    seconds: i64,
    quantity: i64,
    rate_cents: i64,
    amount_cents: i64,
}

/// Sender and recipient as stored with an issued invoice.
#[derive(Serialize, Deserialize)]
struct StoredParties {
    sender: StoredParty,
    recipient: StoredParty,
    #[serde(default)]
    footer: String,
}

/// A party as stored with an issued invoice.
#[derive(Serialize, Deserialize)]
struct StoredParty {
    name: String,
    address: String,
    tax_id: String,
    email: String,
    bank_details: String,
}

fn stored(p: &Party) -> StoredParty {
    StoredParty {
        name: p.name.clone(),
        address: p.address.clone(),
        tax_id: p.tax_id.clone(),
        email: p.email.clone(),
        bank_details: p.bank_details.clone(),
    }
}

fn party(p: StoredParty) -> Party {
    Party {
        name: p.name,
        address: p.address,
        tax_id: p.tax_id,
        email: p.email,
        bank_details: p.bank_details,
    }
}

fn parties_to_json(sender: &Party, recipient: &Party, footer: &str) -> Result<String> {
    serde_json::to_string(&StoredParties {
        sender: stored(sender),
        recipient: stored(recipient),
        footer: footer.to_owned(),
    })
    .map_err(|_| PersistenceError::Corrupt("parties"))
}

type Parties = (Option<Party>, Option<Party>, Option<String>);

fn parties_from_json(s: Option<&str>) -> Result<Parties> {
    match s {
        None => Ok((None, None, None)),
        Some(s) => {
            let p: StoredParties =
                serde_json::from_str(s).map_err(|_| PersistenceError::Corrupt("parties"))?;
            Ok((
                Some(party(p.sender)),
                Some(party(p.recipient)),
                Some(p.footer),
            ))
        }
    }
}

impl InvoiceRow {
    fn into_domain(self, lines: Vec<LineRow>) -> Result<Invoice> {
        let corrupt = PersistenceError::Corrupt;
        let lines = lines
            .into_iter()
            .map(|l| {
                Ok(InvoiceLine {
                    kind: l.kind.parse().map_err(|_| corrupt("line kind"))?,
                    project_id: l.project_id.map(|p| id(p, ProjectId::new)).transpose()?,
                    description: l.description,
                    seconds: l.seconds,
                    quantity: Quantity::from_hundredths(l.quantity)
                        .ok_or(corrupt("line quantity"))?,
                    unit_price: Price::from_hundredths(l.rate_cents)
                        .ok_or(corrupt("line price"))?,
                    amount: Money::from_cents(l.amount_cents),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let subtotal = Money::from_cents(self.subtotal_cents);
        let tax = Money::from_cents(self.tax_cents);
        let total = Money::from_cents(self.total_cents);
        // Stored: subtotal, tax and total; the net is what the tax was
        // computed on, the discount what the net lacks.
        let net = Money::from_cents(total.cents() - tax.cents());
        let (sender, recipient, footer) = parties_from_json(self.parties.as_deref())?;
        Ok(Invoice {
            id: id(self.id, InvoiceId::new)?,
            number: self.number,
            number_text: self.number_text,
            client_id: id(self.client_id, ClientId::new)?,
            status: self.status.parse().map_err(|_| corrupt("invoice status"))?,
            issue_date: self.issue_date,
            due_date: self.due_date,
            currency: currency(&self.currency)?,
            discount: Discount::from_basis_points(self.discount_bp).ok_or(corrupt("discount"))?,
            tax_rate: TaxRate::from_basis_points(self.tax_rate_bp).ok_or(corrupt("tax rate"))?,
            totals: Totals {
                subtotal,
                discount: Money::from_cents(subtotal.cents() - net.cents()),
                net,
                tax,
                total,
            },
            notes: self.notes,
            sender,
            recipient,
            footer,
            lines,
        })
    }
}

/// One unbilled, finished, billable entry of a client's project.
#[derive(Debug, Clone)]
pub struct UnbilledEntry {
    /// The entry.
    pub entry_id: TimeEntryId,
    /// Its project.
    pub project_id: ProjectId,
    /// The project's name (the line's description).
    pub project_name: String,
    /// The project's own rate.
    pub project_rate: Option<HourlyRate>,
    /// Its task, if any.
    pub task_id: Option<TaskId>,
    /// When it started.
    pub start: chrono::DateTime<chrono::Utc>,
    /// Its notes.
    pub notes: String,
    /// Exact seconds.
    pub seconds: i64,
}

type UnbilledRow = (
    i64,
    chrono::NaiveDateTime,
    Option<chrono::NaiveDateTime>,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    String,
);

fn load_unbilled(
    conn: &mut DbConnection,
    client: ClientId,
    period: Option<Period>,
    ids: Option<&[i64]>,
) -> Result<Vec<UnbilledRow>> {
    let mut q = time_entries::table
        .inner_join(projects::table)
        .filter(projects::client_id.eq(client.get()))
        .filter(time_entries::end_time.is_not_null())
        .filter(time_entries::billable.eq(true))
        .filter(time_entries::invoice_id.is_null())
        .select((
            time_entries::id,
            time_entries::start_time,
            time_entries::end_time,
            projects::id,
            projects::name,
            projects::hourly_rate_cents,
            time_entries::task_id,
            time_entries::notes,
        ))
        .order((time_entries::start_time.asc(), time_entries::id.asc()))
        .into_boxed();
    if let Some(p) = period {
        q = q
            .filter(time_entries::start_time.ge(to_naive(p.from())))
            .filter(time_entries::start_time.lt(to_naive(p.to())));
    }
    if let Some(ids) = ids {
        q = q.filter(time_entries::id.eq_any(ids));
    }
    Ok(q.load(conn)?)
}

/// The client's unbilled, finished, billable entries that started in
/// `period` (or all), oldest first; only those among `only` when given
/// (the rows this transaction locked).
pub fn unbilled_entries(
    conn: &mut DbConnection,
    client: ClientId,
    period: Option<Period>,
    only: Option<&[TimeEntryId]>,
) -> Result<Vec<UnbilledEntry>> {
    let rows = match only {
        None => load_unbilled(conn, client, period, None)?,
        Some(ids) => {
            let ids: Vec<i64> = ids.iter().map(|e| e.get()).collect();
            let mut rows = Vec::with_capacity(ids.len());
            // Bounded IN lists: SQLite allows at most 32766 parameters.
            for chunk in ids.chunks(5000) {
                rows.extend(load_unbilled(conn, client, period, Some(chunk))?);
            }
            rows.sort_by_key(|r| (r.1, r.0));
            rows
        }
    };
    rows.into_iter()
        .map(|(entry, start, end, project, name, rate, task, notes)| {
            Ok(UnbilledEntry {
                entry_id: id(entry, TimeEntryId::new)?,
                project_id: id(project, ProjectId::new)?,
                project_name: name,
                project_rate: rate
                    .map(|c| HourlyRate::from_cents(c).ok_or(PersistenceError::Corrupt("rate")))
                    .transpose()?,
                task_id: task.map(|t| id(t, TaskId::new)).transpose()?,
                start: to_utc(start),
                notes,
                seconds: end.map_or(0, |e| (e - start).num_seconds().max(0)),
            })
        })
        .collect()
}

/// The names of tasks, by id.
pub fn task_names(
    conn: &mut DbConnection,
    ids: &[TaskId],
) -> Result<std::collections::BTreeMap<TaskId, String>> {
    let raw: Vec<i64> = ids.iter().map(|t| t.get()).collect();
    let mut names = std::collections::BTreeMap::new();
    for chunk in raw.chunks(5000) {
        let rows: Vec<(i64, String)> = tasks::table
            .filter(tasks::id.eq_any(chunk))
            .select((tasks::id, tasks::name))
            .load(conn)?;
        for (t, name) in rows {
            names.insert(id(t, TaskId::new)?, name);
        }
    }
    Ok(names)
}

/// A line to store.
#[derive(Debug, Clone)]
pub struct NewLine {
    /// Time or custom.
    pub kind: LineKind,
    /// The project billed (time lines).
    pub project_id: Option<ProjectId>,
    /// Its description.
    pub description: String,
    /// Exact seconds (time lines).
    pub seconds: i64,
    /// The printed quantity.
    pub quantity: Quantity,
    /// The unit price.
    pub unit_price: Price,
    /// Amount.
    pub amount: Money,
}

/// A draft to store.
#[derive(Debug, Clone)]
pub struct NewDraft<'a> {
    /// The client billed.
    pub client: ClientId,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Currency of every amount.
    pub currency: Currency,
    /// Discount.
    pub discount: Discount,
    /// Tax rate.
    pub tax_rate: TaxRate,
    /// The totals of `lines`.
    pub totals: Totals,
    /// Notes.
    pub notes: &'a str,
    /// Lines, in order.
    pub lines: &'a [NewLine],
}

/// Stores a draft invoice (unnumbered) with its lines; returns its id.
pub fn insert_draft(conn: &mut DbConnection, d: &NewDraft<'_>) -> Result<InvoiceId> {
    let invoice_id: i64 = diesel::insert_into(invoices::table)
        .values((
            invoices::number.eq(None::<i64>),
            invoices::client_id.eq(d.client.get()),
            invoices::status.eq(InvoiceStatus::Draft.as_str()),
            invoices::issue_date.eq(d.issue_date),
            invoices::due_date.eq(d.due_date),
            invoices::currency.eq(d.currency.code()),
            invoices::discount_bp.eq(d.discount.basis_points()),
            invoices::tax_rate_bp.eq(d.tax_rate.basis_points()),
            invoices::subtotal_cents.eq(d.totals.subtotal.cents()),
            invoices::tax_cents.eq(d.totals.tax.cents()),
            invoices::total_cents.eq(d.totals.total.cents()),
            invoices::notes.eq(d.notes),
            invoices::created_at.eq(to_naive(now())),
        ))
        .returning(invoices::id)
        .get_result(conn)?;
    for l in d.lines {
        diesel::insert_into(invoice_lines::table)
            .values((
                invoice_lines::invoice_id.eq(invoice_id),
                invoice_lines::kind.eq(l.kind.as_str()),
                invoice_lines::project_id.eq(l.project_id.map(ProjectId::get)),
                invoice_lines::description.eq(&l.description),
                invoice_lines::seconds.eq(l.seconds),
                invoice_lines::quantity.eq(l.quantity.hundredths()),
                invoice_lines::rate_cents.eq(l.unit_price.hundredths()),
                invoice_lines::amount_cents.eq(l.amount.cents()),
            ))
            .execute(conn)?;
    }
    id(invoice_id, InvoiceId::new)
}

/// Marks entries as billed on `invoice`, only those still unbilled; returns
/// how many were marked (fewer than asked means someone else got there).
pub fn mark_billed(
    conn: &mut DbConnection,
    entries: &[TimeEntryId],
    invoice: InvoiceId,
) -> Result<usize> {
    let ids: Vec<i64> = entries.iter().map(|e| e.get()).collect();
    let mut marked = 0;
    // Bounded IN lists: SQLite allows at most 32766 parameters.
    for chunk in ids.chunks(5000) {
        marked += diesel::update(
            time_entries::table
                .filter(time_entries::id.eq_any(chunk))
                .filter(time_entries::invoice_id.is_null()),
        )
        .set(time_entries::invoice_id.eq(Some(invoice.get())))
        .execute(conn)?;
    }
    Ok(marked)
}

/// Takes the next invoice number. Inside a write transaction the counter
/// row stays locked until commit, so numbers are handed out one at a time,
/// and a rolled-back issue gives its number back: no gaps, no reuse.
pub fn take_next_number(conn: &mut DbConnection) -> Result<i64> {
    let next: i64 = diesel::update(invoice_number_sequence::table.find(1_i64))
        .set(invoice_number_sequence::next_number.eq(invoice_number_sequence::next_number + 1))
        .returning(invoice_number_sequence::next_number)
        .get_result(conn)?;
    Ok(next - 1)
}

/// The number the next issued invoice will take (without taking it).
pub fn peek_next_number(conn: &mut DbConnection) -> Result<i64> {
    Ok(invoice_number_sequence::table
        .find(1_i64)
        .select(invoice_number_sequence::next_number)
        .first(conn)?)
}

/// An invoice with its lines.
pub fn find(conn: &mut DbConnection, invoice_id: InvoiceId) -> Result<Invoice> {
    let row: InvoiceRow = invoices::table
        .find(invoice_id.get())
        .select(InvoiceRow::as_select())
        .first(conn)?;
    let lines: Vec<LineRow> = invoice_lines::table
        .filter(invoice_lines::invoice_id.eq(invoice_id.get()))
        .order(invoice_lines::id.asc())
        .select(LineRow::as_select())
        .load(conn)?;
    row.into_domain(lines)
}

/// All invoices (without lines): drafts first, then by number, newest first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Invoice>> {
    invoices::table
        .order((
            invoices::number.is_null().desc(),
            invoices::number.desc(),
            invoices::id.desc(),
        ))
        .select(InvoiceRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| r.into_domain(Vec::new()))
        .collect()
}

/// What issuing an invoice records: its number, as counted and as
/// printed, and who sends and receives it as they are now.
#[derive(Debug, Clone)]
pub struct Issue {
    /// From the counter.
    pub number: i64,
    /// From the pattern.
    pub number_text: String,
    /// The company's details.
    pub sender: Party,
    /// The client's details.
    pub recipient: Party,
    /// The company's footer.
    pub footer: String,
}

/// Moves an invoice from `from` to `to`, recording `issue` if given; only
/// if it is still in `from`. Returns whether it changed. A printed number
/// another invoice has is a `Conflict`.
pub fn change_status(
    conn: &mut DbConnection,
    invoice_id: InvoiceId,
    from: InvoiceStatus,
    to: InvoiceStatus,
    issue: Option<&Issue>,
) -> Result<bool> {
    let q = invoices::table
        .find(invoice_id.get())
        .filter(invoices::status.eq(from.as_str()));
    let n = match issue {
        Some(i) => diesel::update(q)
            .set((
                invoices::status.eq(to.as_str()),
                invoices::number.eq(Some(i.number)),
                invoices::number_text.eq(Some(&i.number_text)),
                invoices::parties.eq(Some(parties_to_json(&i.sender, &i.recipient, &i.footer)?)),
            ))
            .execute(conn)
            .map_err(|e| match PersistenceError::from(e) {
                PersistenceError::Conflict(_) => {
                    PersistenceError::Conflict("another invoice already has this number")
                }
                other => other,
            })?,
        None => diesel::update(q)
            .set(invoices::status.eq(to.as_str()))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Releases an invoice's entries so they can be billed again.
pub fn release_entries(conn: &mut DbConnection, invoice_id: InvoiceId) -> Result<usize> {
    Ok(
        diesel::update(time_entries::table.filter(time_entries::invoice_id.eq(invoice_id.get())))
            .set(time_entries::invoice_id.eq(None::<i64>))
            .execute(conn)?,
    )
}

/// Deletes a draft and its lines (its entries must be released first).
/// Returns whether a draft was deleted.
pub fn delete_draft(conn: &mut DbConnection, invoice_id: InvoiceId) -> Result<bool> {
    diesel::delete(invoice_lines::table.filter(invoice_lines::invoice_id.eq(invoice_id.get())))
        .execute(conn)?;
    let n = diesel::delete(
        invoices::table
            .find(invoice_id.get())
            .filter(invoices::status.eq(InvoiceStatus::Draft.as_str())),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// The ids of the entries billed on an invoice.
pub fn billed_entries(conn: &mut DbConnection, invoice_id: InvoiceId) -> Result<Vec<TimeEntryId>> {
    time_entries::table
        .filter(time_entries::invoice_id.eq(invoice_id.get()))
        .order(time_entries::id.asc())
        .select(time_entries::id)
        .load::<i64>(conn)?
        .into_iter()
        .map(|e| id(e, TimeEntryId::new))
        .collect()
}
