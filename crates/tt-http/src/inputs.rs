//! The input of an action as text: deserialized from a JSON body by the
//! API, filled from a form by the web pages, and read into typed values in
//! one place (through `tt_app::input` and `tt-domain`'s parsers), so both
//! surfaces give the same verdict and the same message.

use serde::Deserialize;
use tt_app::catalog::{ClientDetails, ProjectFields};
use tt_app::entries::EntryDetails;
use tt_app::input::{self, email, id as id_of, rate};
use tt_app::invoices::NewInvoice;
use tt_app::tasks::TaskFields;
use tt_app::users::{EntryDisposition, NewAccount};
use tt_domain::{
    Calendar, ClientId, Currency, CustomLine, Discount, LineGrouping, Name, Password, ProjectId,
    Role, TaskId, TaskStatus, Text, UserId, Username,
};
use utoipa::ToSchema;

use crate::api::openapi::TaskStatusName;
use crate::error::HttpError;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientInput {
    /// 1–200 characters.
    #[schema(min_length = 1)]
    pub(crate) name: String,
    /// An e-mail address; empty or absent for none.
    #[serde(default)]
    pub(crate) email: Option<String>,
    /// A decimal per hour, e.g. `"87.50"`; empty or absent for none.
    #[serde(default)]
    pub(crate) default_hourly_rate: Option<String>,
    #[serde(default)]
    pub(crate) archived: bool,
    /// Postal address printed on invoices, lines separated by `\n`;
    /// absent: unchanged (none for a new client).
    #[serde(default)]
    pub(crate) address: Option<String>,
    /// VAT or tax id printed on invoices; absent: unchanged.
    #[serde(default)]
    pub(crate) tax_id: Option<String>,
    /// ISO 4217 code the client is billed in, e.g. `"EUR"`, `"JPY"`;
    /// absent or empty: unchanged (the company's default for a new client).
    #[serde(default)]
    #[schema(pattern = "^([A-Za-z]{3})?$")]
    pub(crate) currency: Option<String>,
}

impl ClientInput {
    pub(crate) fn parse(&self) -> Result<ClientDetails, HttpError> {
        Ok(ClientDetails {
            name: Name::parse(&self.name)?,
            email: email(self.email.as_deref())?,
            default_hourly_rate: rate(self.default_hourly_rate.as_deref())?,
            archived: self.archived,
            address: self.address.clone(),
            tax_id: self.tax_id.clone(),
            currency: self
                .currency
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(Currency::parse)
                .transpose()?,
        })
    }
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectInput {
    /// 1–200 characters.
    #[schema(min_length = 1)]
    pub(crate) name: String,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub(crate) client_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub(crate) description: String,
    #[serde(default = "default_true")]
    pub(crate) billable: bool,
    /// A decimal per hour, e.g. `"87.50"`; empty or absent for the
    /// client's default.
    #[serde(default)]
    pub(crate) hourly_rate: Option<String>,
    #[serde(default)]
    pub(crate) archived: bool,
}

impl ProjectInput {
    pub(crate) fn parse(&self) -> Result<ProjectFields, HttpError> {
        Ok(ProjectFields {
            client_id: self
                .client_id
                .map(|c| id_of("client_id", c, ClientId::new))
                .transpose()?,
            name: Name::parse(&self.name)?,
            description: Text::parse(&self.description)?,
            billable: self.billable,
            hourly_rate: rate(self.hourly_rate.as_deref())?,
            archived: self.archived,
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskInput {
    #[schema(minimum = 1)]
    pub(crate) project_id: i64,
    /// 1–200 characters.
    #[schema(min_length = 1)]
    pub(crate) name: String,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub(crate) description: String,
    /// Absent: `todo`.
    #[serde(default)]
    #[schema(value_type = Option<TaskStatusName>)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    #[schema(minimum = 1)]
    pub(crate) assignee_id: Option<i64>,
    /// `YYYY-MM-DD`; empty or absent for none.
    #[serde(default)]
    pub(crate) due_date: Option<String>,
    /// Absent: the task keeps its archived flag.
    #[serde(default)]
    pub(crate) archived: Option<bool>,
}

impl TaskInput {
    pub(crate) fn parse(&self) -> Result<TaskFields, HttpError> {
        Ok(TaskFields {
            project_id: id_of("project_id", self.project_id, ProjectId::new)?,
            name: Name::parse(&self.name)?,
            description: Text::parse(&self.description)?,
            status: match self.status.as_deref() {
                None => TaskStatus::Todo,
                Some(s) => s.parse()?,
            },
            assignee_id: self
                .assignee_id
                .map(|u| id_of("assignee_id", u, UserId::new))
                .transpose()?,
            due_date: input::opt_date("due_date", self.due_date.as_deref())?,
            archived: self.archived,
        })
    }
}

/// What to invoice, as JSON or as a form (all text but the client).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvoiceInput {
    #[schema(minimum = 1)]
    pub client_id: i64,
    /// First day of the invoiced period, `YYYY-MM-DD` (both ends absent:
    /// every unbilled entry).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day of the invoiced period, `YYYY-MM-DD`.
    #[serde(default)]
    pub to: Option<String>,
    /// Percent as decimal text, e.g. `"19"` or `"7.5"`; absent: the
    /// company's default tax rate.
    #[serde(default)]
    pub tax_rate: Option<String>,
    /// `YYYY-MM-DD`; absent: today.
    #[serde(default)]
    pub issue_date: Option<String>,
    /// `YYYY-MM-DD`, not before the issue date; absent: the issue date
    /// plus the company's payment terms.
    #[serde(default)]
    pub due_date: Option<String>,
    /// How tracked time becomes lines: `project` (default), `task` or
    /// `entry`.
    #[serde(default)]
    #[schema(pattern = "^(project|task|entry)$")]
    pub grouping: Option<String>,
    /// Whether to bill the client's unbilled time (default true); false
    /// makes an invoice of the custom lines only.
    #[serde(default)]
    pub include_time: Option<bool>,
    /// Lines typed by hand, after the time.
    #[serde(default)]
    pub custom_lines: Vec<CustomLineInput>,
    /// Discount on the subtotal in percent, e.g. `"10"`; absent: none.
    #[serde(default)]
    pub discount: Option<String>,
    /// Notes printed on the invoice (at most 10,000 characters).
    #[serde(default)]
    pub notes: Option<String>,
}

/// A line typed by hand: `quantity × unit_price`.
#[derive(Deserialize, ToSchema, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomLineInput {
    /// 1–200 characters on one line.
    #[schema(min_length = 1)]
    pub description: String,
    /// Decimal text with at most two decimals, more than 0, e.g. `"2"`.
    pub quantity: String,
    /// Decimal text with at most two decimals, e.g. `"49.90"`.
    pub unit_price: String,
}

impl InvoiceInput {
    /// The invoice as typed; its dates are `calendar`'s local days.
    pub(crate) fn parse(&self, calendar: &Calendar) -> Result<NewInvoice, HttpError> {
        let today = calendar.today(tt_app::now());
        let opt = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok(NewInvoice {
            client_id: input::id("client_id", self.client_id, ClientId::new)?,
            period: input::opt_period(self.from.as_deref(), self.to.as_deref(), calendar)?,
            include_time: self.include_time.unwrap_or(true),
            // Exactly one of the documented names: a blank one is refused,
            // not taken for a missing one (the form leaves the field out).
            grouping: match self.grouping.as_deref() {
                None => LineGrouping::default(),
                Some(g) => g.parse()?,
            },
            custom_lines: self
                .custom_lines
                .iter()
                .map(|l| CustomLine::parse(&l.description, &l.quantity, &l.unit_price))
                .collect::<Result<_, _>>()?,
            discount: match opt(&self.discount) {
                None => Discount::default(),
                Some(d) => Discount::parse(&d)?,
            },
            tax_rate: opt(&self.tax_rate)
                .map(|t| input::tax_rate(Some(&t)))
                .transpose()?,
            issue_date: input::opt_date("issue_date", self.issue_date.as_deref())?.unwrap_or(today),
            due_date: input::opt_date("due_date", self.due_date.as_deref())?,
            notes: Text::parse(self.notes.as_deref().unwrap_or(""))?,
        })
    }
}

/// A new account from typed text. Shared with the admin page.
pub(crate) fn new_account(
    username: &str,
    password: &str,
    email: Option<&str>,
    role: Role,
) -> Result<NewAccount, HttpError> {
    Ok(NewAccount {
        username: Username::parse(username)?,
        password: Password::parse(password, &[username, email.unwrap_or_default()])?,
        email: tt_app::input::email(email)?,
        role,
    })
}

/// Parses what to do with a deleted user's entries.
pub(crate) fn disposition(raw: Option<&str>) -> Result<EntryDisposition, HttpError> {
    match raw.unwrap_or("anonymise") {
        "anonymise" | "anonymize" => Ok(EntryDisposition::Anonymise),
        "delete" => Ok(EntryDisposition::Delete),
        _ => Err(HttpError::invalid_field(
            "entries",
            "must be delete or anonymise",
        )),
    }
}

/// What an entry is about, as the web forms send it (the timer start and
/// both entry forms); `billable` is `yes`, `no` or empty for the project's
/// default.
pub(crate) fn entry_details(
    project_id: &str,
    task_id: &str,
    notes: &str,
    tags: &str,
    billable: &str,
) -> Result<EntryDetails, HttpError> {
    Ok(EntryDetails {
        project_id: input::required_id_text("project_id", project_id, ProjectId::new)?,
        task_id: input::id_text("task_id", task_id, TaskId::new)?,
        notes: Text::parse(notes)?,
        tags: input::tags_text(tags)?,
        billable: billable_choice(billable),
    })
}

/// A billable select: `yes`, `no`, or empty for the project's default.
pub(crate) fn billable_choice(raw: &str) -> Option<bool> {
    match raw.trim() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billable_choices() {
        assert_eq!(billable_choice("yes"), Some(true));
        assert_eq!(billable_choice(" no "), Some(false));
        assert_eq!(billable_choice(""), None);
    }
}

/// The company profile as typed (Admin → Company, `PUT /api/v1/admin/company`).
#[derive(Deserialize, ToSchema, Default, Debug, Clone)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct CompanyInput {
    /// Legal name printed as the sender (one line, at most 200 characters).
    pub name: String,
    /// Postal address, lines separated by `\n`.
    pub address: String,
    /// VAT or tax id.
    pub tax_id: String,
    /// Contact e-mail printed on invoices.
    pub email: String,
    /// IBAN, BIC or other payment lines.
    pub bank_details: String,
    /// Days from issue to due date, 0–365 (default 14).
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i64>,
    /// Percent new invoices start with, e.g. `"19"`; empty: 0.
    pub default_tax_rate: String,
    /// Printed at the bottom of every invoice.
    pub footer: String,
    /// ISO 4217 code of new clients, e.g. `"EUR"` (empty: EUR).
    #[schema(pattern = "^([A-Za-z]{3})?$")]
    pub default_currency: String,
    /// How issued invoices are numbered, e.g. `INV-{YYYY}-{seq:04}` (the
    /// default): `{seq}` once, `{seq:N}`, `{YYYY}`, `{YY}`, `{MM}`, `{DD}`.
    pub number_pattern: String,
}

impl CompanyInput {
    /// The profile, without its logo (kept as it is).
    pub(crate) fn parse(&self) -> Result<tt_domain::CompanyProfile, HttpError> {
        let trim = |s: &str| s.trim().to_owned();
        let terms = self.payment_terms_days.unwrap_or(14);
        let payment_terms_days =
            u32::try_from(terms)
                .ok()
                .filter(|d| *d <= 365)
                .ok_or_else(|| {
                    HttpError::invalid_field("payment_terms_days", "must be between 0 and 365")
                })?;
        let pattern = if self.number_pattern.trim().is_empty() {
            tt_domain::NumberPattern::default()
        } else {
            tt_domain::NumberPattern::parse(&self.number_pattern)?
        };
        let currency = if self.default_currency.trim().is_empty() {
            Currency::EUR
        } else {
            Currency::parse(&self.default_currency)?
        };
        if !self.email.trim().is_empty() {
            tt_domain::Email::parse(self.email.trim())?;
        }
        Ok(tt_domain::CompanyProfile {
            party: tt_domain::Party {
                name: trim(&self.name),
                address: trim(&self.address),
                tax_id: trim(&self.tax_id),
                email: trim(&self.email),
                bank_details: trim(&self.bank_details),
            },
            payment_terms_days,
            default_tax_rate: input::tax_rate(Some(&self.default_tax_rate))?,
            footer: trim(&self.footer),
            default_currency: currency,
            number_pattern: pattern,
            logo: None,
        })
    }

    /// The form filled with a stored profile.
    pub(crate) fn from_profile(p: &tt_domain::CompanyProfile) -> Self {
        let bp = p.default_tax_rate.basis_points();
        CompanyInput {
            name: p.party.name.clone(),
            address: p.party.address.clone(),
            tax_id: p.party.tax_id.clone(),
            email: p.party.email.clone(),
            bank_details: p.party.bank_details.clone(),
            payment_terms_days: Some(i64::from(p.payment_terms_days)),
            default_tax_rate: format!("{}.{:02}", bp / 100, bp % 100),
            footer: p.footer.clone(),
            default_currency: p.default_currency.code().to_owned(),
            number_pattern: p.number_pattern.as_str().to_owned(),
        }
    }
}
