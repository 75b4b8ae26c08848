//! The JSON line of every log event: the shape of `tracing-subscriber`'s
//! JSON format (`timestamp`, `level`, `fields`, `target`, and `span` with
//! the current span's fields and name), written straight into the line.
//!
//! `tracing-subscriber`'s own formatter serialises through serde: every
//! field goes through a generic serializer and a UTF-8 check per write, a
//! `Debug` value is formatted into a `String` first, and the current span's
//! fields, kept as JSON text, are parsed into a map and serialised again for
//! every line. This writer escapes each value as it is formatted, into the
//! line buffer, and splices the span's JSON text in as it is. The server
//! writes one such line per request (and one per tracked event), so its cost
//! is paid on every request; `docs/reports/performance.md` has the figures.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats events as JSON lines; span fields must be formatted by
/// [`JsonSpanFields`] (the layer's `fmt_fields`).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

/// Formats a span's fields once, when it opens, as the text of a JSON
/// object (`{"request_id":"…"}`), which [`JsonLines`] copies into every line
/// logged inside the span. Values as in the lines themselves.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonSpanFields;

impl<'w> FormatFields<'w> for JsonSpanFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        writer.write_char('{')?;
        let mut visitor = FieldsVisitor {
            out: &mut writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result?;
        writer.write_char('}')
    }

    /// A value recorded later (`span.record`) replaces the one of the same
    /// name, or joins the others: the text stays one object with unique
    /// names.
    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut added = String::new();
        self.format_fields(Writer::new(&mut added), fields)?;
        if object_members(&current.fields).is_empty() {
            current.fields = added;
            return Ok(());
        }
        type Object = serde_json::Map<String, serde_json::Value>;
        let mut object: Object = serde_json::from_str(&current.fields).map_err(|_| fmt::Error)?;
        let added: Object = serde_json::from_str(&added).map_err(|_| fmt::Error)?;
        object.extend(added);
        current.fields = serde_json::to_string(&object).map_err(|_| fmt::Error)?;
        Ok(())
    }
}

impl<S> FormatEvent<S, JsonSpanFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonSpanFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        // Records of the `log` crate (actix's) carry their real target and
        // module in `log.*` fields; the metadata is rebuilt from them.
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        writer.write_str("{\"timestamp\":\"")?;
        SystemTime.format_time(&mut writer)?;
        write!(writer, "\",\"level\":\"{}\",\"fields\":{{", meta.level())?;
        let mut fields = FieldsVisitor {
            out: &mut writer,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_str("},\"target\":")?;
        string(&mut writer, meta.target())?;
        let span = event
            .parent()
            .and_then(|id| ctx.span(id))
            .or_else(|| ctx.lookup_current());
        if let Some(span) = span {
            writer.write_str(",\"span\":{")?;
            let extensions = span.extensions();
            if let Some(text) = extensions.get::<FormattedFields<JsonSpanFields>>() {
                let inner = object_members(text.fields.as_str());
                if !inner.is_empty() {
                    writer.write_str(inner)?;
                    writer.write_char(',')?;
                }
            }
            writer.write_str("\"name\":")?;
            string(&mut writer, span.name())?;
            writer.write_char('}')?;
        }
        writer.write_str("}\n")
    }
}

/// The members of a JSON object's text, without its braces (`{"a":1}` →
/// `"a":1`); empty for an empty or unexpected text.
fn object_members(object: &str) -> &str {
    object
        .trim()
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .map_or("", str::trim)
}

/// Writes an event's fields as JSON object members, as `tracing-serde`
/// does: integers, floats and booleans as numbers and booleans (a float
/// that is not finite as `null`), everything else as a string (its `Debug`
/// form; `Display` for `%` values and errors).
struct FieldsVisitor<'a, W: Write> {
    out: &'a mut W,
    first: bool,
    result: fmt::Result,
}

impl<W: Write> FieldsVisitor<'_, W> {
    fn member(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            if !std::mem::take(&mut self.first) {
                self.out.write_char(',')?;
            }
            string(self.out, field.name())?;
            self.out.write_char(':')?;
            value(self.out)
        })();
    }
}

impl<W: Write> Visit for FieldsVisitor<'_, W> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        // serde_json's rendering (shortest round-trip digits, `1.0` stays a
        // float); not finite → `null`, as serde_json writes it.
        self.member(field, |out| match serde_json::Number::from_f64(value) {
            Some(n) => write!(out, "{n}"),
            None => out.write_str("null"),
        });
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, |out| {
            out.write_str(if value { "true" } else { "false" })
        });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.member(field, |out| string(out, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }
}

/// Writes `s` as a JSON string.
fn string(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaped(out).write_str(s)?;
    out.write_char('"')
}

/// Escapes what is written through it for the inside of a JSON string, as
/// serde_json does: `"` and `\` escaped, control characters as `\n`, `\t`,
/// … or `\u00XX`; everything else (all of Unicode) as is.
struct Escaped<'a, W: Write>(&'a mut W);

impl<W: Write> Write for Escaped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0x00..=0x1f => "",
                _ => continue,
            };
            // Every byte matched above is ASCII, so `i` is a char boundary.
            self.0.write_str(&s[start..i])?;
            if escape.is_empty() {
                write!(self.0, "\\u{b:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            start = i + 1;
        }
        self.0.write_str(&s[start..])
    }
}

#[cfg(test)]
mod tests {
    //! Each case is logged twice, through `tracing-subscriber`'s own JSON
    //! format and through [`JsonLines`]; the two lines must be the same
    //! JSON value apart from the timestamp.

    use std::io;
    use std::sync::{Arc, Mutex};

    use serde_json::Value;
    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).extend(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Lines {
        type Writer = Lines;
        fn make_writer(&'a self) -> Lines {
            self.clone()
        }
    }

    impl Lines {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap_or_else(|e| e.into_inner()).clone())
                .unwrap_or_default()
        }
    }

    /// What `log` writes, through the library's JSON format and through
    /// ours: the raw texts.
    fn both(log: impl Fn()) -> (String, String) {
        let (library, ours) = (Lines::default(), Lines::default());
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(library.clone()),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .fmt_fields(JsonSpanFields)
                    .event_format(JsonLines)
                    .with_writer(ours.clone()),
            );
        tracing::subscriber::with_default(subscriber, log);
        (library.text(), ours.text())
    }

    fn parsed(text: &str) -> Vec<Value> {
        text.lines()
            .map(|line| {
                let mut value: Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                let stamp = value["timestamp"].take();
                let stamp = stamp.as_str().unwrap_or_default();
                assert!(
                    chrono_like(stamp),
                    "timestamp {stamp:?} is not RFC 3339 UTC"
                );
                value
            })
            .collect()
    }

    /// `2026-12-01T04:21:57.123456Z`
    fn chrono_like(stamp: &str) -> bool {
        let b = stamp.as_bytes();
        b.len() >= 20 && b[4] == b'-' && b[10] == b'T' && b[13] == b':' && stamp.ends_with('Z')
    }

    fn same_as_library(log: impl Fn()) -> Vec<Value> {
        let (library, ours) = both(log);
        assert!(ours.ends_with('\n') && ours.lines().count() == library.lines().count());
        let (library, ours) = (parsed(&library), parsed(&ours));
        assert_eq!(ours, library);
        assert!(!ours.is_empty());
        ours
    }

    #[derive(Debug)]
    #[allow(dead_code)]
    struct Thing {
        name: &'static str,
        n: u8,
    }

    #[test]
    fn every_kind_of_field_as_the_library_writes_it() {
        let lines = same_as_library(|| {
            tracing::info!(
                target: "tt_http::access",
                request_id = "abc",
                status = 200u16,
                delta = -4i64,
                big = u64::MAX,
                duration_ms = 0.123,
                whole = 2.0,
                nan = f64::NAN,
                ok = true,
                none = None::<i64>,
                some = Some(7i64),
                shown = %"display \"quoted\"",
                debugged = ?Thing { name: "a\"b", n: 3 },
                wide = 1u128 << 100,
                "request"
            );
            tracing::warn!(error = %std::io::Error::other("disk\nfull"), "write failed");
            tracing::error!("{}", "a message with args: 1");
        });
        assert_eq!(lines[0]["fields"]["nan"], Value::Null);
        assert_eq!(lines[0]["fields"]["whole"], 2.0);
        assert!(lines[0]["fields"]["whole"].is_f64());
        assert_eq!(lines[0]["level"], "INFO");
        assert_eq!(lines[1]["fields"]["error"], "disk\nfull");
    }

    #[test]
    fn text_that_needs_escaping() {
        let nasty = "quote \" backslash \\ newline \n tab \t cr \r nul \0 bell \u{7} esc \u{1b} del \u{7f} unicode é 日本 🎉 \u{2028} end";
        let lines = same_as_library(|| {
            tracing::info!(target: "weird \"target\"", text = nasty, shown = %nasty, debug = ?nasty, "{nasty}");
            tracing::info!(text = "", "");
        });
        assert_eq!(lines[0]["fields"]["text"], nasty);
        assert_eq!(lines[0]["fields"]["message"], nasty);
    }

    #[test]
    fn the_current_span_with_its_fields_and_name() {
        let lines = same_as_library(|| {
            let outer = tracing::info_span!(
                "request",
                request_id = "r-1",
                trace_id = tracing::field::Empty
            );
            let _g = outer.enter();
            tracing::info!("inside");
            outer.record("trace_id", "0af7651916cd43dd8448eb211c80319c");
            tracing::info!(n = 1, "after record");
            let inner = tracing::info_span!("empty");
            inner.in_scope(|| tracing::info!("inner span without fields"));
            let quoted = tracing::info_span!("quoted", text = "a \"b\"\n", n = 3u64, f = 0.5, b = false, d = ?Some(1));
            quoted.in_scope(|| tracing::info!("span text escaped"));
            quoted.record("n", 4u64);
            quoted.record("text", "again");
            quoted.in_scope(|| tracing::info!("after recording a field twice"));
        });
        assert_eq!(lines[0]["span"]["request_id"], "r-1");
        assert_eq!(lines[0]["span"]["name"], "request");
        assert_eq!(
            lines[1]["span"]["trace_id"],
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(lines[2]["span"], serde_json::json!({"name": "empty"}));
        assert_eq!(lines[4]["span"]["n"], 4);
        assert_eq!(lines[4]["span"]["text"], "again");
        assert_eq!(lines[4]["span"]["f"], 0.5);
        assert!(lines.iter().all(|l| l.get("span").is_some()));
    }

    #[test]
    fn an_event_outside_any_span_has_none() {
        let lines = same_as_library(|| tracing::info!(x = 1, "alone"));
        assert!(lines[0].get("span").is_none());
    }

    #[test]
    fn escaping_matches_serde_json_for_every_ascii_control_character() {
        for b in 0u8..0x80 {
            let s = format!("a{}b", b as char);
            let mut ours = String::new();
            string(&mut ours, &s).unwrap_or_default();
            assert_eq!(
                ours,
                serde_json::to_string(&s).unwrap_or_default(),
                "byte {b:#x}"
            );
        }
    }
}
