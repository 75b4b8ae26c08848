//! Currencies (ISO 4217, from the `iso_currency` tables) and the one
//! pricing rule every billed line follows.
//!
//! Prices — hourly rates and unit prices — are decimals with two places
//! (hundredths of the currency's main unit: `95.00`, `9500.00`);
//! quantities — hours and custom-line quantities — are decimals with two
//! places too. A line's amount is `quantity × price`, rounded half up
//! **once** to the currency's minor unit: the cent for EUR and USD, the yen
//! for JPY (which has none). Amounts ([`Money`]) are kept in those minor
//! units and printed with as many decimals as the currency has, so every
//! printed line multiplies out with a pocket calculator.

use std::fmt;

use crate::money::mul_div_round;
use crate::{DomainError, Money};

/// A currency money can be invoiced in: an ISO 4217 code with a fixed
/// number of minor digits (funds, metals and other codes without one are
/// refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// The euro, the installation default until the company profile says
    /// otherwise.
    pub const EUR: Currency = Currency(iso_currency::Currency::EUR);

    /// Parses an ISO 4217 code such as `EUR`, `usd` or `JPY`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let code = raw.trim().to_ascii_uppercase();
        iso_currency::Currency::from_code(&code)
            .filter(|c| c.exponent().is_some() && !c.is_fund() && !c.is_special())
            .map(Currency)
            .ok_or(DomainError::invalid(
                "currency",
                "must be an ISO 4217 currency code such as EUR, USD or JPY",
            ))
    }

    /// The three-letter code.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// How many decimals its minor unit has (2 for EUR, 0 for JPY, 3 for
    /// KWD).
    pub fn minor_digits(self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(0))
    }

    /// Minor units in one main unit (100 for EUR, 1 for JPY).
    fn minor_per_major(self) -> i64 {
        10_i64.pow(self.minor_digits())
    }

    /// `quantity × price`, both in hundredths, as an amount of this
    /// currency rounded half up to its minor unit.
    pub fn amount(self, quantity_hundredths: i64, price_hundredths: i64) -> Money {
        let product = i128::from(quantity_hundredths) * i128::from(price_hundredths);
        // product is in 1/10,000 of the main unit.
        let n = product * i128::from(self.minor_per_major());
        let q = n / 10_000;
        let r = n % 10_000;
        let q = if 2 * r.abs() >= 10_000 {
            q + n.signum()
        } else {
            q
        };
        Money::from_cents(i64::try_from(q).unwrap_or(i64::MAX))
    }

    /// `rate` percent (in basis points) of `base`, rounded half up to the
    /// minor unit.
    pub fn percent_of(self, base: Money, basis_points: i64) -> Money {
        Money::from_cents(mul_div_round(base.cents(), basis_points, 10_000))
    }

    /// An amount as printed: digits grouped by thousands with `,`, the
    /// currency's decimals after `.`, e.g. `1,234.50` or `12,000`.
    pub fn format(self, amount: Money) -> String {
        let digits = self.minor_digits();
        let per = self.minor_per_major().unsigned_abs();
        let abs = amount.cents().unsigned_abs();
        let (major, minor) = (abs / per, abs % per);
        let mut grouped = String::new();
        let text = major.to_string();
        for (i, ch) in text.chars().enumerate() {
            if i > 0 && (text.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        let sign = if amount.cents() < 0 { "-" } else { "" };
        if digits == 0 {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}.{minor:0width$}", width = digits as usize)
        }
    }

    /// An amount as plain decimal text for machines: no grouping, the
    /// currency's decimals (`1234.50`, `12000`).
    pub fn decimal(self, amount: Money) -> String {
        self.format(amount).replace(',', "")
    }

    /// Parses an amount typed in this currency ("12.5", "1200"), with at
    /// most its number of decimals, into minor units.
    pub fn parse_amount(self, raw: &str) -> Result<Money, DomainError> {
        let bad = DomainError::invalid(
            "amount",
            "must be a non-negative number with no more decimals than the currency has",
        );
        let s = raw.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = self.minor_digits() as usize;
        if int.is_empty()
            || int.len() > 12
            || frac.len() > digits
            || (s.contains('.') && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad);
        }
        let major: i64 = int.parse().map_err(|_| bad.clone())?;
        let minor: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<digits$}")
                .parse()
                .map_err(|_| bad.clone())?
        };
        major
            .checked_mul(self.minor_per_major())
            .and_then(|m| m.checked_add(minor))
            .map(Money::from_cents)
            .ok_or(bad)
    }
}

/// A two-decimal quantity or price as printed: `9,500.00`, `7.51`.
pub fn format_hundredths(hundredths: i64) -> String {
    Currency::EUR.format(Money::from_cents(hundredths))
}

impl Default for Currency {
    fn default() -> Self {
        Currency::EUR
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Money in one or more currencies, kept apart: a report over clients
/// billed in EUR and in JPY has two totals, never one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Amounts(std::collections::BTreeMap<Currency, Money>);

impl Amounts {
    /// The amount in `currency` (zero if none).
    pub fn get(&self, currency: Currency) -> Money {
        self.0.get(&currency).copied().unwrap_or(Money::ZERO)
    }

    /// Each currency with its amount, zero amounts left out, by code.
    pub fn iter(&self) -> impl Iterator<Item = (Currency, Money)> + '_ {
        self.0
            .iter()
            .filter(|(_, m)| **m != Money::ZERO)
            .map(|(c, m)| (*c, *m))
    }

    /// Whether there is no money at all.
    pub fn is_zero(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl FromIterator<(Currency, Money)> for Amounts {
    fn from_iter<I: IntoIterator<Item = (Currency, Money)>>(iter: I) -> Self {
        let mut map = std::collections::BTreeMap::new();
        for (c, m) in iter {
            let sum: &mut Money = map.entry(c).or_insert(Money::ZERO);
            *sum = *sum + m;
        }
        Amounts(map)
    }
}

impl fmt::Display for Amounts {
    /// `713.45 EUR + 12,000 JPY`; `0` when there is nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .iter()
            .map(|(c, m)| format!("{} {}", c.format(m), c.code()))
            .collect();
        if parts.is_empty() {
            f.write_str("0")
        } else {
            f.write_str(&parts.join(" + "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).expect("currency")
    }

    #[test]
    fn codes_and_minor_units() {
        assert_eq!(cur("eur"), Currency::EUR);
        assert_eq!(
            [cur("EUR"), cur("USD"), cur("JPY"), cur("KWD")].map(Currency::minor_digits),
            [2, 2, 0, 3]
        );
        for bad in ["", "EURO", "XXX", "XAU", "E1R", "€"] {
            assert!(Currency::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// Literal expectations: 7.51 h × 95.00 = 713.45 (713.4500), not the
    /// 713.53 that seconds × rate gave; the yen has no minor unit.
    #[test]
    fn a_line_is_quantity_times_price_rounded_once() {
        assert_eq!(cur("EUR").amount(751, 9500), Money::from_cents(71345));
        assert_eq!(cur("JPY").amount(751, 950_000), Money::from_cents(71345));
        // 1.25 × 0.10 = 0.125 → 0.13 (half up).
        assert_eq!(cur("EUR").amount(125, 10), Money::from_cents(13));
        // 3 × 333.33 = 999.99; in yen 3 × 333.33 = 999.99 → 1,000.
        assert_eq!(cur("EUR").amount(300, 33333), Money::from_cents(99999));
        assert_eq!(cur("JPY").amount(300, 33333), Money::from_cents(1000));
        // Kuwaiti dinar: three decimals.
        assert_eq!(cur("KWD").amount(150, 1025), Money::from_cents(15375));
    }

    #[test]
    fn amounts_print_with_the_currency_s_decimals() {
        assert_eq!(
            cur("EUR").format(Money::from_cents(123_456_789)),
            "1,234,567.89"
        );
        assert_eq!(cur("EUR").format(Money::from_cents(5)), "0.05");
        assert_eq!(cur("JPY").format(Money::from_cents(12000)), "12,000");
        assert_eq!(cur("JPY").format(Money::from_cents(-999)), "-999");
        assert_eq!(cur("KWD").format(Money::from_cents(15375)), "15.375");
        assert_eq!(cur("USD").format(Money::ZERO), "0.00");
    }

    #[test]
    fn amounts_in_different_currencies_are_never_added() {
        let a: Amounts = [
            (cur("EUR"), Money::from_cents(100)),
            (cur("JPY"), Money::from_cents(12000)),
            (cur("EUR"), Money::from_cents(250)),
            (cur("USD"), Money::ZERO),
        ]
        .into_iter()
        .collect();
        assert_eq!(a.get(cur("EUR")), Money::from_cents(350));
        assert_eq!(a.to_string(), "3.50 EUR + 12,000 JPY");
        assert_eq!(Amounts::default().to_string(), "0");
    }

    #[test]
    fn typed_amounts_follow_the_currency() {
        assert_eq!(cur("EUR").parse_amount("12.5"), Ok(Money::from_cents(1250)));
        assert_eq!(cur("JPY").parse_amount("1200"), Ok(Money::from_cents(1200)));
        assert!(cur("JPY").parse_amount("12.5").is_err());
        assert!(cur("EUR").parse_amount("1.234").is_err());
        for bad in ["", "-1", "1.", ".5", "1e3", "1,000"] {
            assert!(cur("EUR").parse_amount(bad).is_err(), "{bad:?}");
        }
    }
}
