//! Reading form fields into domain values, and formatting values for pages.
//!
//! Form structs hold plain strings (every field defaulted), so a missing or
//! malformed field never stops the CSRF check from running first; the
//! helpers here turn those strings into typed values with messages a person
//! can act on.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::HttpError;

fn invalid(msg: impl Into<String>) -> HttpError {
    HttpError::Validation(msg.into())
}

/// Percent-encodes everything but the unreserved characters (RFC 3986).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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

/// A positive id from a form field, or `None` if the field is empty.
pub(crate) fn opt_id<T>(
    field: &str,
    raw: &str,
    make: fn(i64) -> Option<T>,
) -> Result<Option<T>, HttpError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>()
        .ok()
        .and_then(make)
        .map(Some)
        .ok_or_else(|| invalid(format!("{field}: choose one from the list")))
}

/// A positive id from a required form field.
pub(crate) fn req_id<T>(
    field: &str,
    raw: &str,
    make: fn(i64) -> Option<T>,
) -> Result<T, HttpError> {
    opt_id(field, raw, make)?.ok_or_else(|| invalid(format!("{field}: choose one from the list")))
}

/// `YYYY-MM-DD`.
pub(crate) fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, HttpError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| invalid(format!("{field}: enter a date as YYYY-MM-DD")))
}

/// An optional `YYYY-MM-DD`.
pub(crate) fn opt_date(field: &str, raw: &str) -> Result<Option<NaiveDate>, HttpError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(field, raw).map(Some)
    }
}

/// A billable select: `yes`, `no`, or empty for the project's default.
pub(crate) fn billable_choice(raw: &str) -> Option<bool> {
    match raw.trim() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
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

/// `YYYY-MM-DD`.
pub(crate) fn fmt_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// `HH:MM`.
pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

/// `YYYY-MM-DD HH:MM`.
pub(crate) fn fmt_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
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
    fn ids_and_choices() {
        assert_eq!(
            opt_id("project", "", tt_domain::ProjectId::new).ok(),
            Some(None)
        );
        assert_eq!(
            opt_id("project", " 7 ", tt_domain::ProjectId::new)
                .ok()
                .flatten()
                .map(|p| p.get()),
            Some(7)
        );
        assert!(opt_id("project", "0", tt_domain::ProjectId::new).is_err());
        assert!(opt_id("project", "abc", tt_domain::ProjectId::new).is_err());
        assert!(req_id("project", "", tt_domain::ProjectId::new).is_err());
        assert_eq!(billable_choice("yes"), Some(true));
        assert_eq!(billable_choice("no"), Some(false));
        assert_eq!(billable_choice(""), None);
        assert!(checked("on"));
        assert!(!checked(""));
    }
}
