//! Timestamps read from a row and bound into a statement, without a
//! format string.
//!
//! SQLite stores a timestamp as text, which diesel decodes by trying a list
//! of `strftime`-style formats, each compiled afresh on every value: a few
//! hundred nanoseconds per value, and the hot reads (an entry page, the
//! dashboard's sums) decode dozens; chrono's own parsers for a fixed
//! format still cost a few hundred. What diesel itself writes
//! (`YYYY-MM-DD HH:MM:SS[.ffffff]`) is read here by position, the fields
//! handed to chrono, which checks the date; anything else falls back to
//! diesel's own decoding, so every value diesel accepts is still accepted.
//! On PostgreSQL it is diesel's binary decoding.
//!
//! Bound into a statement on SQLite, a [`Stamp`] is written in that same
//! form, digit by digit, exactly as diesel's `%F %T%.f` writes it (the text
//! is what SQLite compares). Years outside 0–9999 and leap seconds, which
//! no entry holds, go through diesel's encoder.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;

use crate::connection::{MultiBackend, MultiRawValue};

/// A `TIMESTAMP` column's value (UTC, as both backends store it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, FromSqlRow, AsExpression)]
#[diesel(sql_type = Timestamp)]
pub(crate) struct Stamp(pub NaiveDateTime);

impl Stamp {
    /// The instant, in UTC.
    pub(crate) fn utc(self) -> DateTime<Utc> {
        self.0.and_utc()
    }

    /// `t`, to bind into a statement.
    pub(crate) fn of(t: DateTime<Utc>) -> Self {
        Stamp(crate::to_naive(t))
    }
}

/// `YYYY-MM-DD HH:MM:SS` and the fraction as chrono's `%.f` writes it (none,
/// or three, six or nine digits, the fewest that hold it exactly); `None`
/// for a year outside 0–9999 or a leap second.
fn stored_text(t: &NaiveDateTime) -> Option<String> {
    use chrono::{Datelike, Timelike};
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let (fraction, width) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    let mut out = [0u8; 29];
    let mut at = 0;
    let mut put = |n: u32, digits: u32, after: Option<u8>| {
        for place in (0..digits).rev() {
            // One decimal digit: it fits a byte.
            out[at] = b'0' + ((n / 10u32.pow(place)) % 10) as u8;
            at += 1;
        }
        if let Some(sep) = after {
            out[at] = sep;
            at += 1;
        }
    };
    put(year, 4, Some(b'-'));
    put(t.month(), 2, Some(b'-'));
    put(t.day(), 2, Some(b' '));
    put(t.hour(), 2, Some(b':'));
    put(t.minute(), 2, Some(b':'));
    put(t.second(), 2, (width > 0).then_some(b'.'));
    put(fraction, width, None);
    String::from_utf8(out[..at].to_vec()).ok()
}

/// Reads `YYYY-MM-DD HH:MM:SS[.f]` (one to nine fraction digits), the
/// form diesel writes; `None` for any other form or an impossible date.
fn stored_form(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let digits = |d: &[u8]| {
        d.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            // `fraction.len()` is at most 9, so the power fits.
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let year = i32::try_from(digits(&b[0..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(&b[5..7])?, digits(&b[8..10])?)?.and_hms_nano_opt(
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
        nanos,
    )
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if let Some(t) = stored_form(value.read_text()) {
            return Ok(Stamp(t));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Stamp)
    }
}

impl ToSql<Timestamp, Sqlite> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        match stored_text(&self.0) {
            Some(text) => {
                out.set_value(text);
                Ok(IsNull::No)
            }
            None => <NaiveDateTime as ToSql<Timestamp, Sqlite>>::to_sql(&self.0, out),
        }
    }
}

impl ToSql<Timestamp, Pg> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <NaiveDateTime as ToSql<Timestamp, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<Timestamp, MultiBackend> for Stamp {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Stamp)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Timelike;

    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, micro: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_micro_opt(h, mi, s, micro))
            .expect("valid date")
    }

    /// The text SQLite receives for `$value` bound as a timestamp.
    macro_rules! bound_text {
        ($conn:expr, $value:expr) => {{
            use diesel::RunQueryDsl;
            diesel::dsl::sql::<diesel::sql_types::Text>("SELECT ")
                .bind::<Timestamp, _>($value)
                .get_result::<String>($conn)
                .expect("select the bound value")
        }};
    }

    #[test]
    fn binds_the_text_diesel_writes() {
        use diesel::Connection;
        let mut conn = diesel::SqliteConnection::establish(":memory:").expect("open");
        let days = [
            at(2026, 11, 30, 22, 4, 14, 0),
            at(2026, 1, 2, 3, 4, 5, 0),
            at(0, 1, 1, 0, 0, 0, 0),
            at(9999, 12, 31, 23, 59, 59, 999_999),
        ];
        let nanos = [
            0,
            1,
            999,
            1_000,
            120_000,
            123_456,
            500_000_000,
            7_000_000,
            123_456_789,
            999_999_999,
        ];
        let mut seen = 0;
        for day in days {
            for n in nanos {
                let t = day.with_nanosecond(n).expect("valid nanosecond");
                let ours = bound_text!(&mut conn, Stamp(t));
                assert_eq!(ours, bound_text!(&mut conn, t), "{t:?}");
                assert_eq!(stored_form(&ours), Some(t), "read back: {ours}");
                seen += 1;
            }
        }
        assert_eq!(seen, 40);
        // Outside what the fast form writes: diesel's encoder, same text.
        let leap = at(2016, 12, 31, 23, 59, 59, 0)
            .with_nanosecond(1_500_000_000)
            .expect("a leap second");
        let far = NaiveDate::from_ymd_opt(12_026, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("valid");
        let before = NaiveDate::from_ymd_opt(-44, 3, 15)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("valid");
        for t in [leap, far, before] {
            assert_eq!(stored_text(&t), None, "{t:?}");
            assert_eq!(bound_text!(&mut conn, Stamp(t)), bound_text!(&mut conn, t));
        }
    }

    #[test]
    fn reads_what_diesel_writes() {
        let cases = [
            ("2026-11-30 22:04:14", at(2026, 11, 30, 22, 4, 14, 0)),
            (
                "2026-11-30 22:04:14.5",
                at(2026, 11, 30, 22, 4, 14, 500_000),
            ),
            (
                "2026-11-30 22:04:14.123456",
                at(2026, 11, 30, 22, 4, 14, 123_456),
            ),
            ("1970-01-01 00:00:00", at(1970, 1, 1, 0, 0, 0, 0)),
            ("2028-02-29 23:59:59.000001", at(2028, 2, 29, 23, 59, 59, 1)),
            ("0001-01-01 00:00:00.999999", at(1, 1, 1, 0, 0, 0, 999_999)),
        ];
        for (text, want) in cases {
            assert_eq!(stored_form(text), Some(want), "{text}");
        }
    }

    #[test]
    fn reads_nanoseconds() {
        let want = NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_nano_opt(22, 4, 14, 123_456_789));
        assert_eq!(stored_form("2026-11-30 22:04:14.123456789"), want);
    }

    /// Whatever diesel's SQLite encoding writes (`%F %T%.f`) reads back.
    #[test]
    fn round_trips_the_stored_encoding() {
        let mut t = at(1999, 12, 31, 23, 59, 59, 0);
        for step_micros in [0, 1, 10, 999_999, 86_400_000_000, 3_600_123_456] {
            t += chrono::TimeDelta::microseconds(step_micros);
            let written = t.format("%F %T%.f").to_string();
            assert_eq!(stored_form(&written), Some(t), "{written}");
        }
    }

    #[test]
    fn leaves_other_forms_to_diesel() {
        for text in [
            "2026-11-30T22:04:14",
            "2026-11-30 22:04",
            "2026-11-30 22:04:14.",
            "2026-11-30 22:04:14.1234567890",
            "2026-11-30 22:04:14Z",
            "2026-1-30 22:04:14.5",
            "+026-11-30 22:04:14",
            "2026-11-30 22:04:1x",
            "2026-11-30 22:04:14+01:00",
            "2026-02-30 10:00:00",
            "2026-11-30 25:00:00",
            "2461010.5",
            "",
            "yesterday",
        ] {
            assert_eq!(stored_form(text), None, "{text}");
        }
    }
}
