//! Invoices: built from a client's unbilled billable time, numbered
//! sequentially, totalled exactly.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use tt_domain::{
    ClientId, HourlyRate, Invoice, InvoiceId, InvoiceLine, InvoiceStatus, InvoiceTotals, Money,
    Period, ProjectId, TaxRate, invoice_line_amount,
};

use crate::schema::{clients, invoice_lines, invoices, projects, time_entries};
use crate::{DbConnection, PersistenceError, Result, id, now, to_naive};

#[derive(Queryable, Selectable)]
#[diesel(table_name = invoices)]
struct InvoiceRow {
    id: i64,
    number: i64,
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

/// What to invoice.
#[derive(Debug, Clone, Copy)]
pub struct InvoiceRequest {
    /// The client billed.
    pub client_id: ClientId,
    /// Only time that started in this period; all unbilled time if `None`.
    pub period: Option<Period>,
    /// Tax rate applied to the subtotal.
    pub tax_rate: TaxRate,
    /// Issue date.
    pub issue_date: NaiveDate,
}

/// Creates a draft invoice from the client's unbilled, billable, finished
/// time: one line per project at the project's rate (or the client's
/// default), and marks those entries as invoiced.
pub fn create(conn: &mut DbConnection, req: &InvoiceRequest) -> Result<Invoice> {
    crate::connection::write_transaction(conn, |conn| {
        let client_rate: Option<i64> = clients::table
            .find(req.client_id.get())
            .select(clients::default_rate_cents)
            .first(conn)
            .optional()?
            .ok_or(PersistenceError::Invalid("client does not exist"))?;
        let mut q = time_entries::table
            .inner_join(projects::table)
            .filter(projects::client_id.eq(req.client_id.get()))
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
            .into_boxed();
        if let Some(p) = req.period {
            q = q
                .filter(time_entries::start_time.ge(to_naive(p.from())))
                .filter(time_entries::start_time.lt(to_naive(p.to())));
        }
        type Row = (
            i64,
            chrono::NaiveDateTime,
            Option<chrono::NaiveDateTime>,
            i64,
            String,
            Option<i64>,
        );
        let rows: Vec<Row> = q.load(conn)?;
        if rows.is_empty() {
            return Err(PersistenceError::Invalid(
                "no unbilled billable time for this client",
            ));
        }
        let mut per_project: BTreeMap<i64, (String, Option<i64>, i64)> = BTreeMap::new();
        let mut entry_ids = Vec::with_capacity(rows.len());
        for (entry_id, start, end, project_id, name, rate) in rows {
            let seconds = end.map(|e| (e - start).num_seconds()).unwrap_or(0).max(0);
            per_project.entry(project_id).or_insert((name, rate, 0)).2 += seconds;
            entry_ids.push(entry_id);
        }
        let mut lines = Vec::with_capacity(per_project.len());
        for (project_id, (name, rate, seconds)) in per_project {
            let rate = rate
                .or(client_rate)
                .and_then(HourlyRate::from_cents)
                .ok_or(PersistenceError::Invalid(
                    "a project on this invoice has no hourly rate",
                ))?;
            let amount = invoice_line_amount(seconds, rate);
            lines.push((project_id, name, seconds, rate, amount));
        }
        let totals = InvoiceTotals::compute(lines.iter().map(|l| l.4), req.tax_rate);
        let last: Option<i64> = invoices::table
            .select(diesel::dsl::max(invoices::number))
            .first(conn)?;
        let invoice_id: i64 = diesel::insert_into(invoices::table)
            .values((
                invoices::number.eq(last.unwrap_or(0) + 1),
                invoices::client_id.eq(req.client_id.get()),
                invoices::status.eq(InvoiceStatus::Draft.as_str()),
                invoices::issue_date.eq(req.issue_date),
                invoices::tax_rate_bp.eq(req.tax_rate.basis_points()),
                invoices::subtotal_cents.eq(totals.subtotal.cents()),
                invoices::tax_cents.eq(totals.tax.cents()),
                invoices::total_cents.eq(totals.total.cents()),
                invoices::created_at.eq(to_naive(now())),
            ))
            .returning(invoices::id)
            .get_result(conn)?;
        for (project_id, name, seconds, rate, amount) in lines {
            diesel::insert_into(invoice_lines::table)
                .values((
                    invoice_lines::invoice_id.eq(invoice_id),
                    invoice_lines::project_id.eq(Some(project_id)),
                    invoice_lines::description.eq(name),
                    invoice_lines::seconds.eq(seconds),
                    invoice_lines::rate_cents.eq(rate.per_hour().cents()),
                    invoice_lines::amount_cents.eq(amount.cents()),
                ))
                .execute(conn)?;
        }
        diesel::update(time_entries::table.filter(time_entries::id.eq_any(&entry_ids)))
            .set(time_entries::invoice_id.eq(Some(invoice_id)))
            .execute(conn)?;
        find(conn, id(invoice_id, InvoiceId::new)?)
    })
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

/// All invoices, newest number first (without lines).
pub fn list(conn: &mut DbConnection) -> Result<Vec<Invoice>> {
    invoices::table
        .order(invoices::number.desc())
        .select(InvoiceRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| r.into_domain(Vec::new()))
        .collect()
}

/// Moves an invoice to `next` if the rules allow it; cancelling releases its
/// entries so they can be billed again. Returns the previous status too.
pub fn set_status(
    conn: &mut DbConnection,
    invoice_id: InvoiceId,
    next: InvoiceStatus,
) -> Result<(InvoiceStatus, Invoice)> {
    crate::connection::write_transaction(conn, |conn| {
        let current = find(conn, invoice_id)?;
        if !current.status.can_become(next) {
            return Err(PersistenceError::Conflict(
                "this status change is not allowed",
            ));
        }
        diesel::update(invoices::table.find(invoice_id.get()))
            .set(invoices::status.eq(next.as_str()))
            .execute(conn)?;
        if next == InvoiceStatus::Cancelled {
            release_entries(conn, invoice_id)?;
        }
        Ok((current.status, find(conn, invoice_id)?))
    })
}

fn release_entries(conn: &mut DbConnection, invoice_id: InvoiceId) -> Result<()> {
    diesel::update(time_entries::table.filter(time_entries::invoice_id.eq(invoice_id.get())))
        .set(time_entries::invoice_id.eq(None::<i64>))
        .execute(conn)?;
    Ok(())
}

/// Deletes a draft invoice and releases its entries.
pub fn delete(conn: &mut DbConnection, invoice_id: InvoiceId) -> Result<()> {
    crate::connection::write_transaction(conn, |conn| {
        if find(conn, invoice_id)?.status != InvoiceStatus::Draft {
            return Err(PersistenceError::Conflict(
                "only draft invoices can be deleted",
            ));
        }
        release_entries(conn, invoice_id)?;
        diesel::delete(invoice_lines::table.filter(invoice_lines::invoice_id.eq(invoice_id.get())))
            .execute(conn)?;
        diesel::delete(invoices::table.find(invoice_id.get())).execute(conn)?;
        Ok(())
    })
}
