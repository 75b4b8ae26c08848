//! What an invoice a company can send is made of: how tracked time becomes
//! lines, custom lines, the discount, the totals, the number pattern, and
//! who sends and receives it.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

use crate::money::parse_fixed;
use crate::values::closed_enum_text;
use crate::{Currency, DomainError, Money, TaxRate};

/// How tracked time becomes invoice lines (chosen when the invoice is made).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LineGrouping {
    /// One line per project.
    #[default]
    Project,
    /// One line per task (time without a task: one line per project).
    Task,
    /// One line per time entry.
    Entry,
}

closed_enum_text!(LineGrouping as "line_grouping" {
    Project => "project",
    Task => "task",
    Entry => "entry",
});

/// Where an invoice line comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineKind {
    /// Tracked time: quantity in hours, price per hour.
    Time,
    /// Typed by hand: an expense, a fixed fee.
    Custom,
}

closed_enum_text!(LineKind as "kind" {
    Time => "time",
    Custom => "custom",
});

/// A quantity with two decimals (hours, or pieces of a custom line),
/// stored in hundredths: more than 0, at most 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    /// Parses "3", "2.5" or "0.25".
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let v = parse_fixed(raw, 2, 100_000_000, "quantity")?;
        if v == 0 {
            return Err(DomainError::invalid("quantity", "must be more than 0"));
        }
        Ok(Quantity(v))
    }

    /// From hundredths; `None` if out of range.
    pub fn from_hundredths(h: i64) -> Option<Self> {
        (0..=100_000_000).contains(&h).then_some(Quantity(h))
    }

    /// In hundredths.
    pub const fn hundredths(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Quantity {
    /// `2.50`: the two decimals the amount is computed from.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A unit price or an hourly rate: two decimals of the currency's main
/// unit, stored in hundredths, 0 to 100,000,000.00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(i64);

impl Price {
    /// Parses "95", "87.50" or "9500".
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_fixed(raw, 2, 10_000_000_000, "unit_price").map(Price)
    }

    /// From hundredths; `None` if out of range.
    pub fn from_hundredths(h: i64) -> Option<Self> {
        (0..=10_000_000_000).contains(&h).then_some(Price(h))
    }

    /// In hundredths.
    pub const fn hundredths(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A line typed by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomLine {
    /// What it is, on one line: 1–200 characters.
    pub description: String,
    /// How many.
    pub quantity: Quantity,
    /// At what price each.
    pub unit_price: Price,
}

impl CustomLine {
    /// A custom line from typed text.
    pub fn parse(description: &str, quantity: &str, unit_price: &str) -> Result<Self, DomainError> {
        let description = crate::Name::parse(description)
            .map_err(|_| {
                DomainError::invalid(
                    "description",
                    "must be 1–200 characters on one line, without control characters",
                )
            })?
            .as_str()
            .to_owned();
        Ok(CustomLine {
            description,
            quantity: Quantity::parse(quantity)?,
            unit_price: Price::parse(unit_price)?,
        })
    }

    /// Its amount in `currency`: the one rule, [`Currency::amount`].
    pub fn amount(&self, currency: Currency) -> Money {
        currency.amount(self.quantity.hundredths(), self.unit_price.hundredths())
    }
}

/// A discount on the subtotal, in basis points of a percent (10% = 1000),
/// 0–100%.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Discount(i64);

impl Discount {
    /// Parses a percentage with up to two decimals ("10", "2.5").
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        parse_fixed(raw, 2, 10_000, "discount").map(Discount)
    }

    /// From stored basis points; `None` if out of range.
    pub fn from_basis_points(bp: i64) -> Option<Self> {
        (0..=10_000).contains(&bp).then_some(Discount(bp))
    }

    /// In basis points.
    pub const fn basis_points(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Discount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}%", self.0 / 100, self.0 % 100)
    }
}

/// The bottom of an invoice, from its line amounts: subtotal, discount,
/// net, tax on the net, total — each rounded half up to the currency's
/// minor unit once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Sum of the lines.
    pub subtotal: Money,
    /// The discount on the subtotal.
    pub discount: Money,
    /// Subtotal minus discount.
    pub net: Money,
    /// Tax on the net.
    pub tax: Money,
    /// Net plus tax.
    pub total: Money,
}

impl Totals {
    /// Adds up `lines` of one currency.
    pub fn compute(
        lines: impl IntoIterator<Item = Money>,
        discount: Discount,
        tax_rate: TaxRate,
        currency: Currency,
    ) -> Self {
        let subtotal: Money = lines.into_iter().sum();
        let discount = currency.percent_of(subtotal, discount.basis_points());
        let net = Money::from_cents(subtotal.cents() - discount.cents());
        let tax = currency.percent_of(net, tax_rate.basis_points());
        Totals {
            subtotal,
            discount,
            net,
            tax,
            total: net + tax,
        }
    }
}

/// How issued invoices are numbered, e.g. `INV-{YYYY}-{seq:04}`:
/// `{seq}` (required) is the next number of one installation-wide counter,
/// `{seq:N}` pads it to N digits; `{YYYY}`, `{YY}`, `{MM}` and `{DD}` are
/// the issue date. Everything else is printed as is. The counter never
/// goes back, so numbers are sequential and never reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberPattern(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Seq(usize),
    Year4,
    Year2,
    Month,
    Day,
}

impl NumberPattern {
    /// The pattern new installations use.
    pub const DEFAULT: &'static str = "INV-{YYYY}-{seq:04}";

    /// Parses a pattern: 1–50 printable characters, `{seq}` exactly once,
    /// only the placeholders above.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() || s.chars().count() > 50 || s.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "number_pattern",
                "must be 1–50 printable characters",
            ));
        }
        let pieces = pieces(s)?;
        if pieces.iter().filter(|p| matches!(p, Piece::Seq(_))).count() != 1 {
            return Err(DomainError::invalid(
                "number_pattern",
                "must contain {seq} (or {seq:4} and the like) exactly once",
            ));
        }
        Ok(NumberPattern(s.to_owned()))
    }

    /// The pattern as typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number of the invoice issued as `seq` on `date`.
    pub fn render(&self, seq: i64, date: NaiveDate) -> String {
        let mut out = String::new();
        for piece in pieces(&self.0).unwrap_or_default() {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Seq(width) => out.push_str(&format!("{seq:0width$}")),
                Piece::Year4 => out.push_str(&format!("{:04}", date.year())),
                Piece::Year2 => out.push_str(&format!("{:02}", date.year().rem_euclid(100))),
                Piece::Month => out.push_str(&format!("{:02}", date.month())),
                Piece::Day => out.push_str(&format!("{:02}", date.day())),
            }
        }
        out
    }
}

impl Default for NumberPattern {
    fn default() -> Self {
        NumberPattern(Self::DEFAULT.to_owned())
    }
}

fn pieces(s: &str) -> Result<Vec<Piece<'_>>, DomainError> {
    let bad = |why: &'static str| DomainError::invalid("number_pattern", why);
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        if rest[..open].contains('}') {
            return Err(bad("has a } without its {"));
        }
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| bad("has a { without its }"))?
            + open;
        let name = &rest[open + 1..close];
        out.push(match name {
            "seq" => Piece::Seq(1),
            "YYYY" => Piece::Year4,
            "YY" => Piece::Year2,
            "MM" => Piece::Month,
            "DD" => Piece::Day,
            _ => match name
                .strip_prefix("seq:")
                .and_then(|w| w.parse::<usize>().ok())
            {
                Some(w @ 1..=9) => Piece::Seq(w),
                _ => {
                    return Err(bad(
                        "knows only {seq}, {seq:N} (N 1–9), {YYYY}, {YY}, {MM} and {DD}",
                    ));
                }
            },
        });
        rest = &rest[close + 1..];
    }
    if rest.contains('}') {
        return Err(bad("has a } without its {"));
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Who sends or receives an invoice, as printed on it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Party {
    /// Legal name.
    pub name: String,
    /// Postal address, one line per line.
    pub address: String,
    /// VAT or tax id.
    pub tax_id: String,
    /// Contact or billing e-mail.
    pub email: String,
    /// Bank details (sender only): IBAN, BIC, or free lines.
    pub bank_details: String,
}

/// The company's details invoices are sent with (Admin → Settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyProfile {
    /// Name, address, tax id, e-mail and bank details.
    pub party: Party,
    /// Days from issue to due date.
    pub payment_terms_days: u32,
    /// Tax rate new invoices start with.
    pub default_tax_rate: TaxRate,
    /// Printed at the bottom of every invoice.
    pub footer: String,
    /// The currency of clients made from now on.
    pub default_currency: Currency,
    /// How issued invoices are numbered.
    pub number_pattern: NumberPattern,
    /// The logo printed at the top, if any.
    pub logo: Option<Logo>,
}

impl Default for CompanyProfile {
    fn default() -> Self {
        CompanyProfile {
            party: Party::default(),
            payment_terms_days: 14,
            default_tax_rate: TaxRate::default(),
            footer: String::new(),
            default_currency: Currency::EUR,
            number_pattern: NumberPattern::default(),
            logo: None,
        }
    }
}

/// A logo image, checked to be a PNG or JPEG of at most [`Logo::MAX_BYTES`].
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    /// `image/png` or `image/jpeg`.
    pub media_type: &'static str,
    /// The file.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Logo({}, {} bytes)", self.media_type, self.bytes.len())
    }
}

impl Logo {
    /// The largest logo accepted.
    pub const MAX_BYTES: usize = 256 * 1024;

    /// Recognises a PNG or JPEG by its signature and size limit; whether
    /// it decodes is checked where it is drawn.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, DomainError> {
        if bytes.len() > Self::MAX_BYTES {
            return Err(DomainError::invalid("logo", "must be at most 256 KB"));
        }
        let media_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            "image/jpeg"
        } else {
            return Err(DomainError::invalid("logo", "must be a PNG or JPEG image"));
        };
        Ok(Logo { media_type, bytes })
    }
}

/// Checks the free-text fields of a party: names on one line (at most 200
/// characters), the rest at most 1,000 characters, line breaks only where
/// lines belong.
pub fn check_party(p: &Party) -> Result<(), DomainError> {
    let one_line = |v: &str, field: &'static str, max: usize| {
        if v.chars().count() > max || v.chars().any(char::is_control) {
            Err(DomainError::invalid(
                field,
                "must be one line without control characters",
            ))
        } else {
            Ok(())
        }
    };
    let lines = |v: &str, field: &'static str| {
        if v.chars().count() > 1000 || v.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
            Err(DomainError::invalid(
                field,
                "must be at most 1,000 characters without control characters",
            ))
        } else {
            Ok(())
        }
    };
    one_line(&p.name, "name", 200)?;
    lines(&p.address, "address")?;
    one_line(&p.tax_id, "tax_id", 50)?;
    one_line(&p.email, "email", 254)?;
    lines(&p.bank_details, "bank_details")
}

/// Checks an invoice footer: at most 1,000 characters, line breaks only.
pub fn check_footer(footer: &str) -> Result<(), DomainError> {
    if footer.chars().count() > 1000
        || footer
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
    {
        return Err(DomainError::invalid(
            "footer",
            "must be at most 1,000 characters without control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn number_patterns() {
        let p = NumberPattern::parse(NumberPattern::DEFAULT).expect("default");
        assert_eq!(p.render(7, date(2026, 11, 30)), "INV-2026-0007");
        assert_eq!(p.render(12345, date(2026, 1, 2)), "INV-2026-12345");
        let q = NumberPattern::parse("{YY}{MM}{DD}/{seq}").expect("valid");
        assert_eq!(q.render(3, date(2027, 2, 9)), "270209/3");
        for bad in [
            "",
            "INV-{YYYY}",
            "{seq}{seq}",
            "{seq:0}",
            "{seq:10}",
            "{nope}{seq}",
            "{seq",
            "A}{seq}",
            "a\u{7}{seq}",
        ] {
            assert!(NumberPattern::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// 7.51 h × 95.00 = 713.45 and 2 × 49.90 = 99.80: subtotal 813.25;
    /// 10 % discount 81.33 (81.325 half up); net 731.92; 19 % tax 139.06
    /// (139.0648); total 870.98.
    #[test]
    fn totals_multiply_out() {
        let eur = Currency::EUR;
        let time = eur.amount(751, 9500);
        let custom = CustomLine::parse("Hosting", "2", "49.90").expect("line");
        let t = Totals::compute(
            [time, custom.amount(eur)],
            Discount::parse("10").expect("discount"),
            TaxRate::parse("19").expect("tax"),
            eur,
        );
        assert_eq!(
            [t.subtotal, t.discount, t.net, t.tax, t.total].map(Money::cents),
            [81325, 8133, 73192, 13906, 87098]
        );
        // In yen nothing has decimals: 10 % of 71,345 is 7,135 (7,134.5 up).
        let jpy = Currency::parse("JPY").expect("jpy");
        let t = Totals::compute(
            [jpy.amount(751, 950_000)],
            Discount::parse("10").expect("discount"),
            TaxRate::default(),
            jpy,
        );
        assert_eq!([t.discount, t.total].map(Money::cents), [7135, 64210]);
    }

    #[test]
    fn custom_lines_and_logos_are_checked() {
        assert!(CustomLine::parse("", "1", "1").is_err());
        assert!(CustomLine::parse("Fee", "0", "1").is_err());
        assert!(CustomLine::parse("Fee", "1", "-1").is_err());
        assert!(CustomLine::parse("Fee\nmore", "1", "1").is_err());
        assert!(Logo::parse(b"\x89PNG\r\n\x1a\nrest".to_vec()).is_ok());
        assert!(Logo::parse(b"GIF89a".to_vec()).is_err());
        assert!(Logo::parse(vec![0xFF; Logo::MAX_BYTES + 1]).is_err());
    }
}
