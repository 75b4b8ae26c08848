//! Exact money: amounts are integer minor units (cents); rates and taxes are
//! parsed from decimal text without ever passing through a float.

use std::fmt;
use std::iter::Sum;
use std::ops::Add;

use crate::DomainError;

/// An amount of money in minor units (cents). Currency is a setting of the
/// installation, not of the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// From minor units.
    pub const fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    /// In minor units.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Parses a non-negative decimal amount with at most two decimals
    /// ("120", "120.5", "120.50"), up to 1,000,000,000.00.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_fixed(raw, 2, 100_000_000_000, "amount").map(Money)
    }
}

impl Add for Money {
    type Output = Money;

    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// A price per hour, in minor units. Non-negative, at most 100,000.00/h.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HourlyRate(Money);

impl HourlyRate {
    /// Parses a decimal rate such as "95" or "87.50".
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_fixed(raw, 2, 10_000_000, "hourly_rate").map(|c| HourlyRate(Money(c)))
    }

    /// From stored minor units; `None` if out of range.
    pub fn from_cents(cents: i64) -> Option<Self> {
        (0..=10_000_000)
            .contains(&cents)
            .then_some(HourlyRate(Money(cents)))
    }

    /// The rate as money per hour.
    pub const fn per_hour(self) -> Money {
        self.0
    }
}

/// A tax rate in basis points of a percent (19% = 1900). 0–100%.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TaxRate(i64);

impl TaxRate {
    /// Parses a percentage with up to two decimals ("19", "7.25").
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_fixed(raw, 2, 10_000, "tax_rate").map(TaxRate)
    }

    /// From stored basis points; `None` if out of range.
    pub fn from_basis_points(bp: i64) -> Option<Self> {
        (0..=10_000).contains(&bp).then_some(TaxRate(bp))
    }

    /// In basis points.
    pub const fn basis_points(self) -> i64 {
        self.0
    }
}

impl fmt::Display for TaxRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
    }
}

/// Parses a non-negative decimal with at most `scale` decimals into an
/// integer of that scale, rejecting anything above `max`.
pub(crate) fn parse_fixed(
    raw: &str,
    scale: u32,
    max: i64,
    field: &'static str,
) -> Result<i64, DomainError> {
    let s = raw.trim();
    let bad = DomainError::invalid(
        field,
        "must be a non-negative decimal with at most 2 decimals",
    );
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || int.len() > 12 || frac.len() > scale as usize {
        return Err(bad);
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad);
    }
    if s.ends_with('.') {
        return Err(bad);
    }
    let int: i64 = int.parse().map_err(|_| bad.clone())?;
    let mut frac_val: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad.clone())?
    };
    for _ in frac.len()..scale as usize {
        frac_val *= 10;
    }
    let value = int
        .checked_mul(10_i64.pow(scale))
        .and_then(|v| v.checked_add(frac_val))
        .ok_or(bad)?;
    if value > max {
        return Err(DomainError::invalid(field, "is too large"));
    }
    Ok(value)
}

/// `a * b / d`, rounded half away from zero, computed in 128 bits.
pub(crate) fn mul_div_round(a: i64, b: i64, d: i64) -> i64 {
    let n = i128::from(a) * i128::from(b);
    let d = i128::from(d);
    let q = n / d;
    let r = n % d;
    let q = if 2 * r.abs() >= d { q + n.signum() } else { q };
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimals_exactly() {
        assert_eq!(
            HourlyRate::parse("95").map(|r| r.per_hour().cents()),
            Ok(9500)
        );
        assert_eq!(
            HourlyRate::parse("87.5").map(|r| r.per_hour().cents()),
            Ok(8750)
        );
        assert_eq!(
            HourlyRate::parse("0.01").map(|r| r.per_hour().cents()),
            Ok(1)
        );
        for bad in [
            "",
            ".5",
            "5.",
            "-1",
            "1.234",
            "1e3",
            "abc",
            "1.2.3",
            " ",
            "100000.01",
        ] {
            assert!(HourlyRate::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(TaxRate::parse("7.25").map(TaxRate::basis_points), Ok(725));
        assert!(TaxRate::parse("100.01").is_err());
    }

    #[test]
    fn totals_with_tax() {
        let lines = [Money::from_cents(13125), Money::from_cents(3)];
        let no_discount = crate::Discount::default();
        let eur = crate::Currency::EUR;
        let t = crate::Totals::compute(
            lines,
            no_discount,
            TaxRate::parse("19").expect("valid"),
            eur,
        );
        assert_eq!(t.subtotal, Money::from_cents(13128));
        // 131.28 * 0.19 = 24.9432 -> 24.94
        assert_eq!(t.tax, Money::from_cents(2494));
        assert_eq!(t.total, Money::from_cents(15622));
        assert_eq!(t.total.to_string(), "156.22");
        // 0.5 cent of tax rounds up: 2.50 * 1% = 0.025 -> 0.03
        let t = crate::Totals::compute(
            [Money::from_cents(250)],
            no_discount,
            TaxRate::parse("1").expect("valid"),
            eur,
        );
        assert_eq!(t.tax, Money::from_cents(3));
    }

    #[test]
    fn display() {
        assert_eq!(Money::from_cents(5).to_string(), "0.05");
        assert_eq!(Money::from_cents(-105).to_string(), "-1.05");
        assert_eq!(TaxRate::parse("7.25").expect("valid").to_string(), "7.25%");
    }
}
