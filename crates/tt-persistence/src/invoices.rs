//! Invoices and their lines, the time entries they bill, and the number
//! counter. The rules (what is billed at which rate, who may, the status
//! workflow) live in `tt-domain` and the application layer; these functions
//! only read and write, guarded so a stale caller changes nothing.

use chrono::NaiveDate;
use diesel::prelude::*;
use tt_domain::{
    ClientId, HourlyRate, Invoice, InvoiceId, InvoiceLine, InvoiceStatus, InvoiceTotals, Money,
    Period, ProjectId, TaxRate, TimeEntryId,
};

use crate::schema::{invoice_lines, invoice_number_sequence, invoices, projects, time_entries};
use crate::{DbConnection, PersistenceError, Result, id, now, to_naive};

#[derive(Queryable, Selectable)]
#[diesel(table_name = invoices)]
struct InvoiceRow {
    id: i64,
    number: Option<i64>,
    client_id: i64,
    status: String,
    issue_date: NaiveDate,
    tax_rate_bp: i64,
    subtotal_cents: i64,
    tax_cents: i64,
    total_cents: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = invoice_lines)]
struct LineRow {
    project_id: Option<i64>,
    description: String,
    seconds: i64,
    rate_cents: i64,
    amount_cents: i64,
}

impl InvoiceRow {
    fn into_domain(self, lines: Vec<LineRow>) -> Result<Invoice> {
        let lines = lines
            .into_iter()
            .map(|l| {
                Ok(InvoiceLine {
                    project_id: l.project_id.map(|p| id(p, ProjectId::new)).transpose()?,
                    description: l.description,
                    seconds: l.seconds,
                    rate: HourlyRate::from_cents(l.rate_cents)
                        .ok_or(PersistenceError::Corrupt("line rate"))?,
                    amount: Money::from_cents(l.amount_cents),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Invoice {
            id: id(self.id, InvoiceId::new)?,
            number: self.number,
            client_id: id(self.client_id, ClientId::new)?,
            status: self
                .status
                .parse()
                .map_err(|_| PersistenceError::Corrupt("invoice status"))?,
            issue_date: self.issue_date,
            tax_rate: TaxRate::from_basis_points(self.tax_rate_bp)
                .ok_or(PersistenceError::Corrupt("tax rate"))?,
            subtotal: Money::from_cents(self.subtotal_cents),
            tax: Money::from_cents(self.tax_cents),
            total: Money::from_cents(self.total_cents),
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
        .map(|(entry, start, end, project, name, rate)| {
            Ok(UnbilledEntry {
                entry_id: id(entry, TimeEntryId::new)?,
                project_id: id(project, ProjectId::new)?,
                project_name: name,
                project_rate: rate
                    .map(|c| HourlyRate::from_cents(c).ok_or(PersistenceError::Corrupt("rate")))
                    .transpose()?,
                seconds: end.map_or(0, |e| (e - start).num_seconds().max(0)),
            })
        })
        .collect()
}

/// A line to store.
#[derive(Debug, Clone)]
pub struct NewLine {
    /// The project billed.
    pub project_id: ProjectId,
    /// Its description.
    pub description: String,
    /// Exact seconds.
    pub seconds: i64,
    /// Rate.
    pub rate: HourlyRate,
    /// Amount.
    pub amount: Money,
}

/// Stores a draft invoice (unnumbered) with its lines; returns its id.
pub fn insert_draft(
    conn: &mut DbConnection,
    client: ClientId,
    issue_date: NaiveDate,
    tax_rate: TaxRate,
    totals: InvoiceTotals,
    lines: &[NewLine],
) -> Result<InvoiceId> {
    let invoice_id: i64 = diesel::insert_into(invoices::table)
        .values((
            invoices::number.eq(None::<i64>),
            invoices::client_id.eq(client.get()),
            invoices::status.eq(InvoiceStatus::Draft.as_str()),
            invoices::issue_date.eq(issue_date),
            invoices::tax_rate_bp.eq(tax_rate.basis_points()),
            invoices::subtotal_cents.eq(totals.subtotal.cents()),
            invoices::tax_cents.eq(totals.tax.cents()),
            invoices::total_cents.eq(totals.total.cents()),
            invoices::created_at.eq(to_naive(now())),
        ))
        .returning(invoices::id)
        .get_result(conn)?;
    for l in lines {
        diesel::insert_into(invoice_lines::table)
            .values((
                invoice_lines::invoice_id.eq(invoice_id),
                invoice_lines::project_id.eq(Some(l.project_id.get())),
                invoice_lines::description.eq(&l.description),
                invoice_lines::seconds.eq(l.seconds),
                invoice_lines::rate_cents.eq(l.rate.per_hour().cents()),
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

/// Moves an invoice from `from` to `to`, setting its number if given; only
/// if it is still in `from`. Returns whether it changed.
pub fn change_status(
    conn: &mut DbConnection,
    invoice_id: InvoiceId,
    from: InvoiceStatus,
    to: InvoiceStatus,
    number: Option<i64>,
) -> Result<bool> {
    let q = invoices::table
        .find(invoice_id.get())
        .filter(invoices::status.eq(from.as_str()));
    let n = match number {
        Some(n) => diesel::update(q)
            .set((
                invoices::status.eq(to.as_str()),
                invoices::number.eq(Some(n)),
            ))
            .execute(conn)?,
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
