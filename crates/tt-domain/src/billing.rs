//! What time is worth: the one rule reports and invoices share.
//!
//! Time is billed per project, in **hundredths of an hour** — the precision
//! printed on every invoice line and report row — and the money is computed
//! from that printed quantity: `amount = hours × rate`, rounded half up to
//! the currency's minor unit once per line ([`Currency::amount`]). So a reader can multiply out any line with a
//! pocket calculator, and the same entries are worth the same amount
//! whether a report or an invoice adds them up.
//!
//! The rate of a project is its own, else its client's default
//! ([`effective_rate`]); without either the time is worth nothing on a
//! report and cannot be invoiced.

use std::collections::BTreeMap;
use std::fmt;

use crate::money::mul_div_round;
use crate::{Amounts, Currency, HourlyRate, Money, ProjectId};

/// A quantity of billed time in hundredths of an hour (0.01 h = 36 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BillableHours(i64);

impl BillableHours {
    /// `seconds` rounded half up to the nearest hundredth of an hour.
    pub fn from_seconds(seconds: i64) -> Self {
        BillableHours(mul_div_round(seconds.max(0), 1, 36))
    }

    /// In hundredths of an hour.
    pub const fn hundredths(self) -> i64 {
        self.0
    }
}

impl fmt::Display for BillableHours {
    /// `1.50`: decimal hours with the two places the amount is computed from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The money `hours` are worth at `rate` in `currency`, rounded half up to
/// its minor unit.
pub fn line_amount(hours: BillableHours, rate: HourlyRate, currency: Currency) -> Money {
    currency.amount(hours.hundredths(), rate.per_hour().cents())
}

/// The rate time on a project is billed at: the project's own rate, else its
/// client's default rate, else none.
pub fn effective_rate(
    project_rate: Option<HourlyRate>,
    client_default: Option<HourlyRate>,
) -> Option<HourlyRate> {
    project_rate.or(client_default)
}

/// One finished, billable piece of work, as billing sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillableWork {
    /// The project worked on.
    pub project_id: ProjectId,
    /// How long, in seconds.
    pub seconds: i64,
    /// The project's [`effective_rate`].
    pub rate: Option<HourlyRate>,
    /// The currency of the project's client.
    pub currency: Currency,
}

/// The time of one project added up and priced: an invoice line, or the
/// money of a report row's share of one project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BilledLine {
    /// The project.
    pub project_id: ProjectId,
    /// Exact seconds.
    pub seconds: i64,
    /// The billed quantity (what is printed).
    pub hours: BillableHours,
    /// The rate, if the project has one.
    pub rate: Option<HourlyRate>,
    /// `hours × rate`; zero without a rate.
    pub amount: Money,
    /// The currency of `rate` and `amount`.
    pub currency: Currency,
}

/// Groups work into one line per project (and rate), in project order.
pub fn bill(work: impl IntoIterator<Item = BillableWork>) -> Vec<BilledLine> {
    type Key = (ProjectId, Option<i64>, Currency);
    let mut seconds: BTreeMap<Key, (i64, Option<HourlyRate>)> = BTreeMap::new();
    for w in work {
        let key = (
            w.project_id,
            w.rate.map(|r| r.per_hour().cents()),
            w.currency,
        );
        seconds.entry(key).or_insert((0, w.rate)).0 += w.seconds.max(0);
    }
    seconds
        .into_iter()
        .map(|((project_id, _, currency), (seconds, rate))| {
            let hours = BillableHours::from_seconds(seconds);
            BilledLine {
                project_id,
                seconds,
                hours,
                rate,
                amount: rate.map_or(Money::ZERO, |r| line_amount(hours, r, currency)),
                currency,
            }
        })
        .collect()
}

/// What a set of work is worth: the sum of its [`bill`] lines, per
/// currency (money in different currencies is never added up).
pub fn billed_amount(work: impl IntoIterator<Item = BillableWork>) -> Amounts {
    bill(work).iter().map(|l| (l.currency, l.amount)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(s: &str) -> HourlyRate {
        HourlyRate::parse(s).expect("valid rate")
    }

    #[test]
    fn hours_round_half_up_to_hundredths() {
        let cases = [
            (0, "0.00"),
            (17, "0.00"),
            (18, "0.01"),
            (5400, "1.50"),
            (5401, "1.50"),
            (4800, "1.33"),
        ];
        for (secs, shown) in cases {
            assert_eq!(
                BillableHours::from_seconds(secs).to_string(),
                shown,
                "{secs}"
            );
        }
    }

    #[test]
    fn the_amount_is_the_printed_hours_times_the_rate() {
        // 1.33 h × 87.50 = 116.375 -> 116.38
        let h = BillableHours::from_seconds(4800);
        assert_eq!(
            line_amount(h, rate("87.50"), Currency::EUR),
            Money::from_cents(11638)
        );
        // 1.50 h × 100 = 150.00
        assert_eq!(
            line_amount(
                BillableHours::from_seconds(5400),
                rate("100"),
                Currency::EUR
            ),
            Money::from_cents(15000)
        );
    }

    #[test]
    fn project_rate_wins_over_the_client_default() {
        assert_eq!(
            effective_rate(Some(rate("90")), Some(rate("100"))),
            Some(rate("90"))
        );
        assert_eq!(effective_rate(None, Some(rate("100"))), Some(rate("100")));
        assert_eq!(effective_rate(None, None), None);
    }

    #[test]
    fn lines_add_seconds_before_rounding() {
        let p = ProjectId::new(1).expect("id");
        let q = ProjectId::new(2).expect("id");
        let work = [
            BillableWork {
                project_id: p,
                seconds: 20,
                rate: Some(rate("100")),
                currency: Currency::EUR,
            },
            BillableWork {
                project_id: p,
                seconds: 20,
                rate: Some(rate("100")),
                currency: Currency::EUR,
            },
            BillableWork {
                project_id: q,
                seconds: 3600,
                rate: None,
                currency: Currency::EUR,
            },
        ];
        let lines = bill(work);
        assert_eq!(lines.len(), 2);
        // 40 s = 0.01 h (not 0.01 + 0.01): 1.00
        assert_eq!(lines[0].hours.hundredths(), 1);
        assert_eq!(lines[0].amount, Money::from_cents(100));
        assert_eq!(lines[1].amount, Money::ZERO);
        assert_eq!(
            billed_amount(work).get(Currency::EUR),
            Money::from_cents(100)
        );
    }
}
