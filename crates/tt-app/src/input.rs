//! Text from a form, a JSON body or a command line, read into domain
//! values — one reader per kind of value, so every surface gives the same
//! verdict and the same message for the same input.

use chrono::{Duration, NaiveDate, NaiveTime};
use tt_domain::{Calendar, Email, HourlyRate, Period, Tags, TaxRate, WeekStart, Zone};

use crate::{AppError, Result};

/// A positive id given as a number.
pub fn id<T>(field: &str, raw: i64, make: fn(i64) -> Option<T>) -> Result<T> {
    make(raw).ok_or_else(|| AppError::invalid_field(field, "must be a positive id"))
}

/// An optional id given as text (a `<select>`): empty is none; anything
/// but a positive number is the same error as [`id`]'s.
pub fn id_text<T>(field: &str, raw: &str, make: fn(i64) -> Option<T>) -> Result<Option<T>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let n = raw.parse::<i64>().unwrap_or(0);
    id(field, n, make).map(Some)
}

/// A required id given as text.
pub fn required_id_text<T>(field: &str, raw: &str, make: fn(i64) -> Option<T>) -> Result<T> {
    id_text(field, raw, make)?.ok_or_else(|| AppError::invalid_field(field, "is required"))
}

/// An optional decimal hourly rate; empty means none.
pub fn rate(raw: Option<&str>) -> Result<Option<HourlyRate>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Ok(Some(HourlyRate::parse(s)?)),
    }
}

/// A tax rate in percent; empty means 0.
pub fn tax_rate(raw: Option<&str>) -> Result<TaxRate> {
    match raw.map(str::trim) {
        None | Some("") => Ok(TaxRate::default()),
        Some(s) => Ok(TaxRate::parse(s)?),
    }
}

/// An optional e-mail address; empty means none.
pub fn email(raw: Option<&str>) -> Result<Option<Email>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Ok(Some(Email::parse(s)?)),
    }
}

/// A date as `YYYY-MM-DD`, in the years the domain accepts.
pub fn date(field: &str, raw: &str) -> Result<NaiveDate> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid_field(field, "expected a date as YYYY-MM-DD"))?;
    use chrono::Datelike;
    if !tt_domain::YEARS.contains(&d.year()) {
        return Err(AppError::invalid_field(
            field,
            "must be a date between 1970 and 2199",
        ));
    }
    Ok(d)
}

/// An optional date; empty means none.
pub fn opt_date(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => date(field, s).map(Some),
    }
}

/// A time of day as `HH:MM` or `HH:MM:SS`.
pub fn time_of_day(field: &str, raw: &str) -> Result<NaiveTime> {
    let raw = raw.trim();
    NaiveTime::parse_from_str(raw, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(raw, "%H:%M:%S"))
        .map_err(|_| AppError::invalid_field(field, "expected a time as HH:MM"))
}

/// A time zone chosen from a list or typed; empty means "the
/// installation's default".
pub fn opt_zone(raw: Option<&str>) -> Result<Option<Zone>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Ok(Some(Zone::parse(s)?)),
    }
}

/// A first weekday; empty means "the installation's default".
pub fn opt_week_start(raw: Option<&str>) -> Result<Option<WeekStart>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Ok(Some(WeekStart::parse(s)?)),
    }
}

/// Tags typed as `a, b, c`.
pub fn tags_text(raw: &str) -> Result<Tags> {
    let parts: Vec<&str> = raw.split(',').collect();
    Ok(Tags::parse(&parts)?)
}

/// A report or export period from inclusive `from`/`to` dates, as local
/// days of `calendar`; missing ends default to the 30 days up to `today`.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
    calendar: &Calendar,
    today: NaiveDate,
) -> Result<Period> {
    let to = match to.filter(|s| !s.trim().is_empty()) {
        Some(s) => date("to", s)?,
        None => today,
    };
    let from = match from.filter(|s| !s.trim().is_empty()) {
        Some(s) => date("from", s)?,
        None => to - Duration::days(29),
    };
    Ok(calendar.period(from, to)?)
}

/// [`period`] with missing ends defaulting to the 30 days up to today in
/// `calendar`'s zone: what a report, an export or an entry filter asks for.
pub fn period_until_today(
    from: Option<&str>,
    to: Option<&str>,
    calendar: &Calendar,
) -> Result<Period> {
    period(from, to, calendar, calendar.today(crate::now()))
}

/// A period given optionally: both ends absent means none.
pub fn opt_period(
    from: Option<&str>,
    to: Option<&str>,
    calendar: &Calendar,
) -> Result<Option<Period>> {
    let blank = |s: Option<&str>| s.is_none_or(|s| s.trim().is_empty());
    if blank(from) && blank(to) {
        Ok(None)
    } else {
        period_until_today(from, to, calendar).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_as_text_and_numbers_share_one_verdict() {
        let as_text = id_text("project_id", "abc", tt_domain::ProjectId::new).err();
        let as_number = id("project_id", 0, tt_domain::ProjectId::new).err();
        assert_eq!(
            as_text.map(|e| e.to_string()),
            as_number.map(|e| e.to_string())
        );
        assert!(matches!(
            id_text("x", "  ", tt_domain::ProjectId::new),
            Ok(None)
        ));
        assert_eq!(
            id_text("x", " 7 ", tt_domain::ProjectId::new)
                .ok()
                .flatten()
                .map(|p| p.get()),
            Some(7)
        );
    }

    #[test]
    fn dates_and_periods() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        assert!(date("d", "0202-01-01").is_err());
        assert!(date("d", "2026-02-30").is_err());
        let utc = Calendar::UTC;
        let p = period(None, None, &utc, today).expect("default");
        assert_eq!(utc.days_of(&p).1, today);
        assert_eq!((p.to() - p.from()).num_days(), 30);
        assert_eq!((p.to() - p.from()).num_days(), 30);
        assert!(period(Some("2026-07-01"), Some("2026-06-01"), &utc, today).is_err());
        assert!(matches!(opt_period(Some(""), None, &utc), Ok(None)));
        assert!(tags_text("a, b ,, c").is_ok_and(|t| t.as_slice().len() == 3));
        assert!(time_of_day("start", "9").is_err());
    }
}
