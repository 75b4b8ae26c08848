//! The event catalog: the single source of truth for what can be tracked.
//!
//! Product events are the variants of [`Event`]; their names, categories,
//! descriptions and property types are written once, in the
//! `product_events!` table in `events.rs`, which generates the enum, its metadata and
//! its encoding together so they cannot drift. The two base-telemetry events
//! are sent by the sink itself and described in [`base`].

pub mod base;
mod events;
mod json;
mod markdown;
pub mod values;

pub use events::Event;
pub(crate) use events::PRODUCT_EVENTS;
pub use json::{catalog_fingerprint, catalog_json};
pub use markdown::catalog_markdown;

use tt_consent::ConsentLevel;

use values::PropertyKind;

/// The version of the catalog: of the record layout (envelope attributes)
/// and of every event and property that can be sent. Bump it with any
/// change to them — an event or property added, removed, renamed, retyped
/// or given other allowed values — and add its entry, with the new
/// [`catalog_fingerprint`], to `docs/telemetry/CHANGELOG.md`; a test fails
/// otherwise.
pub const SCHEMA_VERSION: i64 = 2;

/// The area of the product an event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Signing in and out, API tokens.
    Auth,
    /// The first-run setup wizard.
    Setup,
    /// The running timer.
    Timer,
    /// Time entries.
    TimeEntries,
    /// Projects.
    Projects,
    /// Tasks.
    Tasks,
    /// Clients.
    Clients,
    /// Comments.
    Comments,
    /// Invoices.
    Invoices,
    /// Reports and exports.
    Reports,
    /// Administration.
    Admin,
    /// Page views.
    PageViews,
    /// The anonymous installation heartbeat.
    BaseTelemetry,
}

impl Category {
    /// Every category, in documentation order.
    pub const ALL: [Category; 13] = [
        Category::BaseTelemetry,
        Category::Auth,
        Category::Setup,
        Category::Timer,
        Category::TimeEntries,
        Category::Projects,
        Category::Tasks,
        Category::Clients,
        Category::Comments,
        Category::Invoices,
        Category::Reports,
        Category::Admin,
        Category::PageViews,
    ];

    /// The wire name (`event.category` attribute).
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Auth => "auth",
            Category::Setup => "setup",
            Category::Timer => "timer",
            Category::TimeEntries => "time_entries",
            Category::Projects => "projects",
            Category::Tasks => "tasks",
            Category::Clients => "clients",
            Category::Comments => "comments",
            Category::Invoices => "invoices",
            Category::Reports => "reports",
            Category::Admin => "admin",
            Category::PageViews => "page_views",
            Category::BaseTelemetry => "base_telemetry",
        }
    }

    /// A heading for docs.
    pub const fn title(self) -> &'static str {
        match self {
            Category::Auth => "Authentication",
            Category::Setup => "Setup",
            Category::Timer => "Timer",
            Category::TimeEntries => "Time entries",
            Category::Projects => "Projects",
            Category::Tasks => "Tasks",
            Category::Clients => "Clients",
            Category::Comments => "Comments",
            Category::Invoices => "Invoices",
            Category::Reports => "Reports and exports",
            Category::Admin => "Administration",
            Category::PageViews => "Page views",
            Category::BaseTelemetry => "Base telemetry",
        }
    }
}

/// One property of an event, as documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyDescriptor {
    /// The attribute name on the wire.
    pub name: &'static str,
    /// What it holds.
    pub kind: PropertyKind,
    /// Whether it may be absent.
    pub optional: bool,
    /// What it means.
    pub description: &'static str,
}

/// One entry of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventDescriptor {
    /// The dotted event name, e.g. `timer.started`.
    pub name: &'static str,
    /// The product area.
    pub category: Category,
    /// The consent level needed to send it.
    pub level: ConsentLevel,
    /// What it means, in one sentence.
    pub description: &'static str,
    /// Its properties, in wire order.
    pub properties: &'static [PropertyDescriptor],
}

const CATALOG_LEN: usize = base::BASE_EVENTS.len() + PRODUCT_EVENTS.len();

static CATALOG: [EventDescriptor; CATALOG_LEN] = concat_catalog();

const fn concat_catalog() -> [EventDescriptor; CATALOG_LEN] {
    let mut out = [base::BASE_EVENTS[0]; CATALOG_LEN];
    let mut i = 0;
    while i < base::BASE_EVENTS.len() {
        out[i] = base::BASE_EVENTS[i];
        i += 1;
    }
    let mut j = 0;
    while j < PRODUCT_EVENTS.len() {
        out[i + j] = PRODUCT_EVENTS[j];
        j += 1;
    }
    out
}

/// Every event this crate can send: the base-telemetry events first, then
/// every product event, in catalog order.
pub fn catalog() -> &'static [EventDescriptor] {
    &CATALOG
}

/// Attribute names every record carries besides its properties; no property
/// may reuse one.
pub const ENVELOPE_ATTRIBUTES: [&str; 6] = [
    "event.name",
    "event.category",
    "telemetry.level",
    "telemetry.schema_version",
    "install_id",
    "user_id",
];

#[cfg(test)]
mod tests {
    use super::values::{ProjectId, TaskId, TaskStatus};
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalog_is_big_enough_and_names_are_unique() {
        let names: HashSet<_> = catalog().iter().map(|d| d.name).collect();
        assert_eq!(names.len(), catalog().len());
        assert!(catalog().len() >= 32, "{}", catalog().len());
        assert_eq!(Event::examples().len(), PRODUCT_EVENTS.len());
    }

    #[test]
    fn names_are_dotted_lowercase_and_match_descriptors() {
        for d in catalog() {
            let (head, tail) = d.name.split_once('.').unwrap_or(("", ""));
            assert!(!head.is_empty() && !tail.is_empty(), "{}", d.name);
            assert!(
                d.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'),
                "{}",
                d.name
            );
            assert!(!d.description.trim().is_empty(), "{}", d.name);
            for p in d.properties {
                assert!(!p.description.trim().is_empty(), "{}.{}", d.name, p.name);
            }
        }
        for (event, descriptor) in Event::examples().iter().zip(PRODUCT_EVENTS) {
            assert_eq!(event.descriptor(), descriptor);
        }
    }

    #[test]
    fn example_values_cover_every_declared_property() {
        for event in Event::examples() {
            let mut seen = Vec::new();
            event.for_each_property(|name, _| seen.push(name));
            let declared: Vec<_> = event
                .descriptor()
                .properties
                .iter()
                .map(|p| p.name)
                .collect();
            assert_eq!(seen, declared, "{}", event.name());
        }
    }

    #[test]
    fn properties_never_shadow_the_envelope() {
        for d in catalog() {
            for p in d.properties {
                if d.level == ConsentLevel::Base && p.name == "install_id" {
                    continue;
                }
                assert!(
                    !ENVELOPE_ATTRIBUTES.contains(&p.name),
                    "{}.{}",
                    d.name,
                    p.name
                );
            }
        }
    }

    #[test]
    fn required_categories_are_covered() {
        let present: HashSet<_> = catalog().iter().map(|d| d.category).collect();
        for category in Category::ALL {
            assert!(present.contains(&category), "{category:?}");
        }
    }

    #[test]
    fn properties_json_is_valid_json() {
        for event in Event::examples() {
            let parsed: serde_json::Value = serde_json::from_str(&event.properties_json())
                .unwrap_or_else(|e| panic!("{}: {e}", event.name()));
            assert!(parsed.is_object());
        }
        let e = Event::TaskStatusChanged {
            task_id: TaskId::new(5),
            project_id: ProjectId::new(2),
            old_status: TaskStatus::Todo,
            new_status: TaskStatus::InProgress,
        };
        assert_eq!(
            e.properties_json(),
            r#"{"task_id":5,"project_id":2,"old_status":"todo","new_status":"in_progress"}"#
        );
    }
}
