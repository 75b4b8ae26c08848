//! The catalog as Markdown, for `docs/all_tracked_events.md`.

use std::fmt::Write as _;

use super::{Category, ENVELOPE_ATTRIBUTES, EventDescriptor, SCHEMA_VERSION, catalog};

/// Renders the whole catalog as a Markdown document. Deterministic: the app
/// writes it to `docs/all_tracked_events.md` and a test compares.
pub fn catalog_markdown() -> String {
    let mut out = String::new();
    let events = catalog();
    let _ = writeln!(out, "# All tracked events");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "<!-- Generated from the event catalog in crates/tt-telemetry. Do not edit by hand: \
         run `timetracker telemetry events --markdown`. -->"
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "This is every event TimeTracker can send ({} in total, schema version {SCHEMA_VERSION}). \
         Nothing is sent unless an administrator opted in: **base** events need base telemetry \
         consent, **detailed** events need detailed analytics consent, checked when the event \
         is recorded and again right before it is sent.",
        events.len()
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Properties can only be internal numeric ids, counts, booleans, durations in seconds, \
         or a value from a closed list. Names, e-mail addresses, notes, descriptions, titles, \
         file names, concrete URLs, IP addresses and hostnames cannot be expressed. Page views \
         carry the route template (`/projects/{{id}}`), never the path."
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Every record also carries `{}`, `{}`, `{}` and `{}`; detailed events carry `{}` and, \
         when a user is signed in, the internal `{}`. The resource carries only \
         `service.name` = `timetracker` and `service.version`.",
        ENVELOPE_ATTRIBUTES[0],
        ENVELOPE_ATTRIBUTES[1],
        ENVELOPE_ATTRIBUTES[2],
        ENVELOPE_ATTRIBUTES[3],
        ENVELOPE_ATTRIBUTES[4],
        ENVELOPE_ATTRIBUTES[5],
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "| Event | Category | Consent | Description |");
    let _ = writeln!(out, "|---|---|---|---|");
    for category in Category::ALL {
        for d in events.iter().filter(|d| d.category == category) {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                d.name,
                category.as_str(),
                d.level,
                d.description
            );
        }
    }
    for category in Category::ALL {
        let mut in_category = events.iter().filter(|d| d.category == category).peekable();
        if in_category.peek().is_none() {
            continue;
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "## {}", category.title());
        for d in in_category {
            write_event(&mut out, d);
        }
    }
    out
}

fn write_event(out: &mut String, d: &EventDescriptor) {
    let _ = writeln!(out);
    let _ = writeln!(out, "### `{}`", d.name);
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", d.description);
    let _ = writeln!(out);
    let _ = writeln!(out, "Consent level: **{}**.", d.level);
    let _ = writeln!(out);
    if d.properties.is_empty() {
        let _ = writeln!(out, "No properties.");
        return;
    }
    let _ = writeln!(out, "| Property | Type | Allowed values | Description |");
    let _ = writeln!(out, "|---|---|---|---|");
    for p in d.properties {
        let allowed = p.kind.allowed_values();
        let allowed = if allowed.is_empty() {
            "—".to_owned()
        } else {
            allowed
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let optional = if p.optional { " (optional)" } else { "" };
        let _ = writeln!(
            out,
            "| `{}` | {}{optional} | {allowed} | {} |",
            p.name,
            p.kind.type_name(),
            p.description
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_lists_every_event_and_property() {
        let md = catalog_markdown();
        for d in catalog() {
            assert!(md.contains(&format!("### `{}`", d.name)), "{}", d.name);
            for p in d.properties {
                assert!(md.contains(&format!("| `{}` |", p.name)), "{}", p.name);
            }
        }
        assert!(md.contains("`todo`, `in_progress`, `review`, `done`"));
        assert!(md.contains("`draft`, `sent`, `paid`, `cancelled`"));
        assert_eq!(md, catalog_markdown(), "deterministic");
    }
}
