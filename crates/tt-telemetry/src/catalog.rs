//! An application's catalog: every event it can send, with the base events
//! this crate sends itself, as one value — checked when the sink starts,
//! rendered as a machine-readable document and as Markdown, and
//! fingerprinted so that a change to what can be sent cannot go unnoticed.
//!
//! The fingerprint is the SHA-256 of the compact JSON of the envelope
//! attributes and, per event, its name, category, consent level and each
//! property's name, type, allowed values and optionality — not the
//! descriptions, so rewording a sentence needs no new schema version while
//! any change to what can be sent does.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde_json::{Value, json};
use tt_consent::ConsentLevel;

use crate::base::BASE_EVENTS;
use crate::event::{Category, ENVELOPE_ATTRIBUTES, EventDescriptor, MAX_PROPERTIES};

/// Everything an application can send, and how to describe it.
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    /// The application's name in prose, e.g. `TimeTracker`.
    pub app_name: &'static str,
    /// The resource's `service.name`, e.g. `timetracker`.
    pub service_name: &'static str,
    /// The version of the catalog, sent on every record as
    /// `telemetry.schema_version`. Bump it with every change to what can
    /// be sent (the [`Catalog::fingerprint`] changes then).
    pub schema_version: i64,
    /// The application's categories, in documentation order.
    pub categories: &'static [Category],
    /// The application's own events (`Event::EVENTS` of an
    /// [`events!`](crate::events) enum).
    pub events: &'static [EventDescriptor],
    /// A paragraph the generated Markdown adds after its introduction
    /// (how the application fills its properties); may be empty.
    pub notes: &'static str,
}

impl Catalog {
    /// A catalog of `events` in `categories` (no notes for the docs).
    pub const fn new(
        app_name: &'static str,
        service_name: &'static str,
        schema_version: i64,
        categories: &'static [Category],
        events: &'static [EventDescriptor],
    ) -> Catalog {
        Catalog {
            app_name,
            service_name,
            schema_version,
            categories,
            events,
            notes: "",
        }
    }

    /// A catalog with the base events only.
    pub const fn base_only(
        app_name: &'static str,
        service_name: &'static str,
        schema_version: i64,
    ) -> Catalog {
        Catalog {
            app_name,
            service_name,
            schema_version,
            categories: &[],
            events: &[],
            notes: "",
        }
    }

    /// Every event: the base events first, then the application's, in
    /// catalog order.
    pub fn events(&self) -> impl Iterator<Item = &'static EventDescriptor> + '_ {
        BASE_EVENTS.iter().chain(self.events.iter())
    }

    /// How many events there are, base events included.
    pub fn len(&self) -> usize {
        BASE_EVENTS.len() + self.events.len()
    }

    /// Whether the catalog has no events (never: base events always exist).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether `descriptor` is one of this catalog's application events:
    /// the same entry (events declared with [`events!`](crate::events) are
    /// statics, so this is one comparison of addresses) or an equal one.
    pub(crate) fn contains(&self, descriptor: &'static EventDescriptor) -> bool {
        self.events.iter().any(|d| std::ptr::eq(d, descriptor))
            || self.events.iter().any(|d| d == descriptor)
    }

    /// Checks the catalog: unique dotted lower-case event names, known
    /// categories, descriptions everywhere, application events at the
    /// detailed level only, at most [`MAX_PROPERTIES`] properties of the
    /// kinds an application may use, no property reusing an envelope
    /// attribute, enum values that are lower-case words (or route templates
    /// such as `/projects/{id}`). The sink refuses to start with a catalog
    /// that fails.
    pub fn check(&self) -> Result<(), String> {
        let mut names = HashSet::new();
        let categories: HashSet<_> = self.categories.iter().map(|c| c.as_str()).collect();
        let word = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if !word(self.service_name) {
            return Err(format!(
                "service name {:?} is not a word",
                self.service_name
            ));
        }
        for c in self.categories {
            if !word(c.as_str()) || c.title().trim().is_empty() {
                return Err(format!(
                    "category {:?} needs a word and a title",
                    c.as_str()
                ));
            }
            if c.as_str() == Category::BASE_TELEMETRY.as_str() {
                return Err("base_telemetry is this crate's own category".to_owned());
            }
        }
        if let Some(d) = self.events.iter().find(|d| {
            d.level == ConsentLevel::Base
                || d.category.as_str() == Category::BASE_TELEMETRY.as_str()
        }) {
            return Err(format!(
                "event {}: base level is for base telemetry only, which this crate sends itself",
                d.name
            ));
        }
        for d in self.events() {
            let (head, tail) = d.name.split_once('.').unwrap_or(("", ""));
            if !word(head) || !word(tail) {
                return Err(format!("event name {:?} is not `area.action`", d.name));
            }
            if !names.insert(d.name) {
                return Err(format!("event {:?} is declared twice", d.name));
            }
            if d.description.trim().is_empty() {
                return Err(format!("event {} has no description", d.name));
            }
            if d.level != ConsentLevel::Base && d.category == Category::BASE_TELEMETRY
                || d.level == ConsentLevel::Base && d.category != Category::BASE_TELEMETRY
            {
                return Err(format!(
                    "event {}: base level is for base telemetry only",
                    d.name
                ));
            }
            if d.category != Category::BASE_TELEMETRY && !categories.contains(d.category.as_str()) {
                return Err(format!(
                    "event {}: category {} is not in the catalog",
                    d.name,
                    d.category.as_str()
                ));
            }
            if d.properties.len() > MAX_PROPERTIES {
                return Err(format!(
                    "event {} has more than {MAX_PROPERTIES} properties",
                    d.name
                ));
            }
            let mut seen = HashSet::new();
            for p in d.properties {
                let at = format!("{}.{}", d.name, p.name);
                if !word(p.name) || !seen.insert(p.name) {
                    return Err(format!("property {at}: not a word, or declared twice"));
                }
                if p.description.trim().is_empty() {
                    return Err(format!("property {at} has no description"));
                }
                let base = d.category == Category::BASE_TELEMETRY;
                if !base && !p.kind.is_app_kind() {
                    return Err(format!(
                        "property {at}: {} is for base events only",
                        p.kind.key()
                    ));
                }
                if !(base && p.name == "install_id") && ENVELOPE_ATTRIBUTES.contains(&p.name) {
                    return Err(format!("property {at} shadows an envelope attribute"));
                }
                let values = p.kind.allowed_values();
                if matches!(p.kind, crate::PropertyKind::Enum(_))
                    && (values.is_empty()
                        || values.len() > usize::from(u16::MAX)
                        || !values.iter().all(|v| route_or_word(v)))
                {
                    return Err(format!("property {at}: enum values must be words"));
                }
            }
        }
        Ok(())
    }

    /// The fingerprint of the catalog as it is in this build: lower-hex
    /// SHA-256 of what shapes a record (see the module docs).
    pub fn fingerprint(&self) -> String {
        let shaped = json!({
            "envelope_attributes": ENVELOPE_ATTRIBUTES,
            "events": self.events().map(|d| describe(d, false)).collect::<Vec<_>>(),
        });
        let digest = ring::digest::digest(&ring::digest::SHA256, shaped.to_string().as_bytes());
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The whole catalog as pretty JSON, ending in a newline: the schema
    /// version, the fingerprint, the envelope attributes and every event
    /// with its description and properties.
    pub fn json(&self) -> String {
        let doc = json!({
            "format": "telemetry-catalog",
            "schema_version": self.schema_version,
            "fingerprint": self.fingerprint(),
            "envelope_attributes": ENVELOPE_ATTRIBUTES,
            "events": self.events().map(|d| describe(d, true)).collect::<Vec<_>>(),
        });
        let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
        out.push('\n');
        out
    }

    /// The whole catalog as a Markdown document. Deterministic, so an
    /// application can commit it and compare in a test.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# All tracked events\n");
        let _ = writeln!(
            out,
            "<!-- Generated from {}'s event catalog. Do not edit by hand. -->\n",
            self.app_name
        );
        let _ = writeln!(
            out,
            "This is every event {} can send ({} in total, schema version {}). Nothing is sent \
             unless an administrator opted in: **base** events need base telemetry consent, \
             **detailed** events need detailed analytics consent, checked when the event is \
             recorded and again right before it is sent.\n",
            self.app_name,
            self.len(),
            self.schema_version
        );
        let _ = writeln!(
            out,
            "Properties can only be internal numeric ids, counts, booleans, durations in \
             seconds, or a value from a closed list. Names, e-mail addresses, notes, \
             descriptions, titles, file names, concrete URLs, IP addresses and hostnames \
             cannot be expressed.{}\n",
            if self.notes.is_empty() {
                String::new()
            } else {
                format!(" {}", self.notes)
            }
        );
        let [name, category, level, schema, install, user] = ENVELOPE_ATTRIBUTES;
        let _ = writeln!(
            out,
            "Every record also carries `{name}`, `{category}`, `{level}` and `{schema}`; \
             detailed events carry `{install}` and, when a user is signed in, the internal \
             `{user}`. The resource carries only `service.name` = `{}` and `service.version`.\n",
            self.service_name
        );
        let _ = writeln!(out, "| Event | Category | Consent | Description |");
        let _ = writeln!(out, "|---|---|---|---|");
        let order: Vec<Category> = std::iter::once(Category::BASE_TELEMETRY)
            .chain(self.categories.iter().copied())
            .collect();
        for c in &order {
            for d in self.events().filter(|d| d.category == *c) {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    d.name,
                    c.as_str(),
                    d.level,
                    d.description
                );
            }
        }
        for c in &order {
            let mut in_category = self.events().filter(|d| d.category == *c).peekable();
            if in_category.peek().is_none() {
                continue;
            }
            let _ = writeln!(out, "\n## {}", c.title());
            for d in in_category {
                write_event(&mut out, d);
            }
        }
        out
    }
}

/// Enum values are words, or route templates: `/`, then words or
/// `{word}` parameters between slashes (`/projects/{id}/edit`).
fn route_or_word(v: &str) -> bool {
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    match v.strip_prefix('/') {
        None => word(v),
        Some("") => true,
        Some(path) => path.split('/').all(|segment| {
            word(segment)
                || segment
                    .strip_prefix('{')
                    .and_then(|s| s.strip_suffix('}'))
                    .is_some_and(word)
        }),
    }
}

/// An event as the catalog document shows it; without its descriptions,
/// what the fingerprint covers.
fn describe(d: &EventDescriptor, with_descriptions: bool) -> Value {
    let mut event = json!({
        "name": d.name,
        "category": d.category.as_str(),
        "level": d.level.as_str(),
        "properties": d.properties.iter().map(|p| {
            let mut property = json!({
                "name": p.name,
                "type": p.kind.key(),
                "values": p.kind.allowed_values(),
                "optional": p.optional,
            });
            if with_descriptions {
                property["description"] = json!(p.description);
            }
            property
        }).collect::<Vec<_>>(),
    });
    if with_descriptions {
        event["description"] = json!(d.description);
    }
    event
}

fn write_event(out: &mut String, d: &EventDescriptor) {
    let _ = writeln!(out, "\n### `{}`\n", d.name);
    let _ = writeln!(out, "{}\n", d.description);
    let _ = writeln!(out, "Consent level: **{}**.\n", d.level);
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
    use crate::event::{PropertyDescriptor, PropertyKind};

    const WORK: Category = Category::new("work", "Work");

    const fn prop(name: &'static str, kind: PropertyKind) -> PropertyDescriptor {
        PropertyDescriptor {
            name,
            kind,
            optional: false,
            description: "What it is.",
        }
    }

    const fn event(
        name: &'static str,
        properties: &'static [PropertyDescriptor],
    ) -> EventDescriptor {
        EventDescriptor {
            name,
            category: WORK,
            level: ConsentLevel::Detailed,
            description: "Something happened.",
            properties,
        }
    }

    fn catalog(events: &'static [EventDescriptor]) -> Catalog {
        Catalog {
            app_name: "App",
            service_name: "app",
            schema_version: 1,
            categories: &[WORK],
            events,
            notes: "",
        }
    }

    static GOOD: [EventDescriptor; 2] = [
        event("work.started", &[prop("task_id", PropertyKind::Id)]),
        event(
            "work.moved",
            &[prop("to", PropertyKind::Enum(&["todo", "done"]))],
        ),
    ];

    #[test]
    fn a_well_formed_catalog_passes() {
        assert_eq!(catalog(&GOOD).check(), Ok(()));
        assert_eq!(catalog(&GOOD).len(), 5);
        assert_eq!(catalog(&[]).check(), Ok(()), "base events alone");
    }

    #[test]
    fn every_malformed_catalog_is_refused_with_its_reason() {
        static TWICE: [EventDescriptor; 2] = [event("work.done", &[]), event("work.done", &[])];
        static NOT_DOTTED: [EventDescriptor; 1] = [event("WorkDone", &[])];
        static TEXT: [EventDescriptor; 1] =
            [event("work.named", &[prop("name", PropertyKind::Version)])];
        static SHADOW: [EventDescriptor; 1] =
            [event("work.user", &[prop("user_id", PropertyKind::Id)])];
        static FREE_WORDS: [EventDescriptor; 1] = [event(
            "work.said",
            &[prop("what", PropertyKind::Enum(&["Hello, Alice!"]))],
        )];
        static EMPTY_LIST: [EventDescriptor; 1] = [event(
            "work.chose",
            &[prop("what", PropertyKind::Enum(&[]))],
        )];
        static TOO_MANY: [EventDescriptor; 1] = [event(
            "work.wide",
            &[
                prop("a", PropertyKind::Count),
                prop("b", PropertyKind::Count),
                prop("c", PropertyKind::Count),
                prop("d", PropertyKind::Count),
                prop("e", PropertyKind::Count),
                prop("f", PropertyKind::Count),
                prop("g", PropertyKind::Count),
                prop("h", PropertyKind::Count),
                prop("i", PropertyKind::Count),
                prop("j", PropertyKind::Count),
                prop("k", PropertyKind::Count),
                prop("l", PropertyKind::Count),
                prop("m", PropertyKind::Count),
                prop("n", PropertyKind::Count),
                prop("o", PropertyKind::Count),
                prop("p", PropertyKind::Count),
                prop("q", PropertyKind::Count),
            ],
        )];
        static OTHER_CATEGORY: [EventDescriptor; 1] = [EventDescriptor {
            category: Category::new("elsewhere", "Elsewhere"),
            ..event("work.lost", &[])
        }];
        static BASE_LEVEL: [EventDescriptor; 1] = [EventDescriptor {
            level: ConsentLevel::Base,
            ..event("work.base", &[])
        }];
        static UNDESCRIBED: [EventDescriptor; 1] = [EventDescriptor {
            description: " ",
            ..event("work.silent", &[])
        }];
        static BASE_CATEGORY: [EventDescriptor; 1] = [EventDescriptor {
            category: Category::BASE_TELEMETRY,
            ..event("work.heartbeat", &[])
        }];
        static PATH_WITH_NAME: [EventDescriptor; 1] = [event(
            "work.visited",
            &[prop("page", PropertyKind::Enum(&["/users/alice-smith"]))],
        )];
        static CAPITALS: [EventDescriptor; 1] = [event(
            "work.named",
            &[prop("who", PropertyKind::Enum(&["Alice"]))],
        )];
        let cases: [(&'static [EventDescriptor], &str); 13] = [
            (&TWICE, "declared twice"),
            (&NOT_DOTTED, "is not `area.action`"),
            (&TEXT, "is for base events only"),
            (&SHADOW, "shadows an envelope attribute"),
            (&FREE_WORDS, "enum values must be words"),
            (&EMPTY_LIST, "enum values must be words"),
            (&TOO_MANY, "more than 16 properties"),
            (&OTHER_CATEGORY, "is not in the catalog"),
            (&BASE_LEVEL, "base level is for base telemetry only"),
            (&UNDESCRIBED, "has no description"),
            (&BASE_CATEGORY, "base level is for base telemetry only"),
            (&PATH_WITH_NAME, "enum values must be words"),
            (&CAPITALS, "enum values must be words"),
        ];
        for (events, why) in cases {
            let verdict = catalog(events).check();
            assert!(
                verdict.as_ref().is_err_and(|e| e.contains(why)),
                "{why}: {verdict:?}"
            );
        }
    }

    #[test]
    fn the_fingerprint_covers_what_is_sent_and_not_the_wording() {
        static REWORDED: [EventDescriptor; 2] = [
            EventDescriptor {
                description: "Work began.",
                ..event("work.started", &[prop("task_id", PropertyKind::Id)])
            },
            event(
                "work.moved",
                &[prop("to", PropertyKind::Enum(&["todo", "done"]))],
            ),
        ];
        static ONE_MORE_VALUE: [EventDescriptor; 2] = [
            event("work.started", &[prop("task_id", PropertyKind::Id)]),
            event(
                "work.moved",
                &[prop("to", PropertyKind::Enum(&["todo", "doing", "done"]))],
            ),
        ];
        let fingerprint = catalog(&GOOD).fingerprint();
        assert_eq!(fingerprint.len(), 64);
        assert_eq!(catalog(&REWORDED).fingerprint(), fingerprint);
        assert_ne!(catalog(&ONE_MORE_VALUE).fingerprint(), fingerprint);
        let doc: Value = serde_json::from_str(&catalog(&GOOD).json()).unwrap_or(Value::Null);
        assert!(
            route_or_word("/projects/{id}/edit") && route_or_word("/") && route_or_word("todo")
        );
        assert_eq!(doc["fingerprint"], fingerprint);
        assert_eq!(doc["schema_version"], 1);
        assert_eq!(
            doc["events"][4]["properties"][0]["values"],
            json!(["todo", "done"])
        );
    }

    #[test]
    fn the_markdown_lists_every_event_and_allowed_value() {
        let md = catalog(&GOOD).markdown();
        for name in ["base_telemetry.heartbeat", "work.started", "work.moved"] {
            assert!(md.contains(&format!("### `{name}`")), "{name}");
        }
        assert!(md.contains("| `to` | enum | `todo`, `done` | What it is. |"));
        assert!(md.contains("`service.name` = `app`"));
        assert!(md.contains("## Work"));
    }
}
