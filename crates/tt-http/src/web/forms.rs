//! Small helpers of the forms (choices, checkboxes, safe redirects) and the
//! formatting of values for pages.
//!
//! Form structs hold plain strings (every field defaulted), so a missing or
//! malformed field never stops the CSRF check from running first. Reading
//! those strings into typed values is `tt_app::input`'s job, shared with the
//! API and the command line, so every surface gives the same verdict.

use chrono::{DateTime, Timelike, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tt_domain::Calendar;

/// Every byte but the unreserved characters of RFC 3986.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but the unreserved characters (RFC 3986).
pub(crate) fn url_encode(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// Where to go after login: `raw` only if it is a path on this site
/// (`/…`, not `//host` or `/\host`, no control characters), else `/`.
pub(crate) fn safe_next(raw: Option<&str>) -> String {
    let Some(next) = raw.map(str::trim) else {
        return "/".to_owned();
    };
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 2048;
    if local {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// A checkbox is sent only when ticked.
pub(crate) fn checked(raw: &str) -> bool {
    !raw.trim().is_empty()
}

/// Seconds as `H:MM`.
pub(crate) fn fmt_hm(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// `YYYY-MM-DD`, the local date in the reader's zone.
///
/// These three run for every entry a page lists, so they format the fields
/// directly rather than through a `strftime` string parsed on every call.
pub(crate) fn fmt_date(cal: &Calendar, t: DateTime<Utc>) -> String {
    cal.local(t).date_naive().to_string()
}

/// `HH:MM`, wall-clock time in the reader's zone.
pub(crate) fn fmt_time(cal: &Calendar, t: DateTime<Utc>) -> String {
    let local = cal.local(t);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// `YYYY-MM-DD HH:MM` in the reader's zone.
pub(crate) fn fmt_datetime(cal: &Calendar, t: DateTime<Utc>) -> String {
    let local = cal.local(t);
    format!(
        "{} {:02}:{:02}",
        local.date_naive(),
        local.hour(),
        local.minute()
    )
}

/// An option of a `<select>`.
#[derive(Debug, Clone)]
pub(crate) struct Opt {
    pub value: String,
    pub label: String,
}

impl Opt {
    pub(crate) fn new(value: impl ToString, label: impl Into<String>) -> Self {
        Opt {
            value: value.to_string(),
            label: label.into(),
        }
    }
}

/// A labelled group of options (`<optgroup>`).
#[derive(Debug, Clone)]
pub(crate) struct OptGroup {
    pub label: String,
    /// The project the options belong to (a task picker follows it).
    pub project: String,
    pub options: Vec<Opt>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_a_local_path() {
        assert_eq!(
            safe_next(Some("/entries?from=2024-01-01")),
            "/entries?from=2024-01-01"
        );
        assert_eq!(safe_next(Some("/")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("")), "/");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("javascript:alert(1)")), "/");
        assert_eq!(safe_next(Some("/ok\r\nSet-Cookie: x=y")), "/");
        assert_eq!(safe_next(Some("entries")), "/");
    }

    #[test]
    fn url_encoding() {
        assert_eq!(url_encode("/a b?c=d&e"), "%2Fa%20b%3Fc%3Dd%26e");
        assert_eq!(url_encode("A-z_0.9~"), "A-z_0.9~");
        assert_eq!(url_encode("é"), "%C3%A9");
    }

    #[test]
    fn times_read_in_the_readers_zone() {
        use chrono::TimeZone;
        let zone = tt_domain::Zone::parse("America/New_York").expect("zone");
        let cal = Calendar::new(zone, tt_domain::WeekStart::Monday);
        // 03:05 UTC on 8 March is 22:05 the evening before in New York
        // (EST, UTC-5); 12:30 UTC the next day is 08:30 (EDT, UTC-4).
        let before = Utc.with_ymd_and_hms(2026, 3, 8, 3, 5, 9).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 3, 9, 12, 30, 0).unwrap();
        assert_eq!(fmt_date(&cal, before), "2026-03-07");
        assert_eq!(fmt_time(&cal, before), "22:05");
        assert_eq!(fmt_datetime(&cal, before), "2026-03-07 22:05");
        assert_eq!(fmt_datetime(&cal, after), "2026-03-09 08:30");
        assert_eq!(fmt_datetime(&Calendar::UTC, after), "2026-03-09 12:30");
    }

    #[test]
    fn choices() {
        assert!(checked("on"));
        assert!(!checked(""));
    }
}
