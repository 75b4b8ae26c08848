//! TimeTracker's domain: entities, typed ids, value types that cannot hold
//! an invalid value, and the business rules (one running timer per user,
//! durations, exact money, invoice totals, report aggregation).
//!
//! **This crate is pure**: no IO, no database, no HTTP, no wire formats. It
//! must never depend on diesel, actix-web or serde; the persistence and HTTP
//! crates translate to and from these types at their edges.

mod billing;
mod calendar;
mod currency;
mod entities;
mod fields;
mod ids;
mod invoicing;
mod money;
mod report;
mod rules;
mod throttle;
mod values;

#[cfg(test)]
mod properties;

pub use billing::{
    BillableHours, BillableWork, BilledLine, bill, billed_amount, effective_rate, line_amount,
};
pub use calendar::{Calendar, WeekStart, Zone};
pub use currency::{Amounts, Currency, format_hundredths};
pub use entities::*;
pub use fields::{field_label, field_message};
pub use ids::*;
pub use invoicing::{
    CompanyProfile, CustomLine, Discount, LineGrouping, LineKind, Logo, NumberPattern, Party,
    Price, Quantity, Totals, check_footer, check_party,
};
pub use money::{HourlyRate, Money, TaxRate};
pub use report::{BillableFilter, GroupBy, ReportInput, ReportKey, ReportRow, Summary, summarize};
pub use rules::*;
pub use throttle::{Admission, LoginLimits, Throttle};
pub use values::*;

/// Why a value was rejected at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A value failed to parse; `field` names it, `reason` says what is
    /// wrong. Shown with the field's label ("Hourly rate: …"), never its
    /// internal name.
    #[error("{}: {reason}", field_label(field))]
    Invalid {
        /// The field that was rejected.
        field: &'static str,
        /// A short, user-facing explanation.
        reason: std::borrow::Cow<'static, str>,
    },
    /// A state change that the rules forbid.
    #[error("{0}")]
    Rule(&'static str),
    /// The object is someone else's and private to them: the caller must
    /// not even learn that it exists (answered like a missing id).
    #[error("not found")]
    Hidden,
    /// The caller may see the object but not do this to it.
    #[error("{0}")]
    Forbidden(&'static str),
}

impl DomainError {
    pub(crate) const fn invalid(field: &'static str, reason: &'static str) -> Self {
        DomainError::Invalid {
            field,
            reason: std::borrow::Cow::Borrowed(reason),
        }
    }
}
