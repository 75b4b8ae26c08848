//! The catalog as a machine-readable document (`docs/telemetry/catalog.json`
//! is generated from it), with the schema version and a fingerprint of
//! everything that shapes a record.
//!
//! The fingerprint is the SHA-256 of the compact JSON of the envelope
//! attributes and, per event, its name, category, consent level and each
//! property's name, type, allowed values and optionality — not the
//! descriptions, so rewording a sentence needs no new schema version while
//! any change to what can be sent does.

use serde_json::{Value, json};

use super::values::PropertyKind;
use super::{ENVELOPE_ATTRIBUTES, EventDescriptor, SCHEMA_VERSION, catalog};

/// A stable machine name of a property type (`id`, `enum`, `timestamp`, …).
fn type_key(kind: &PropertyKind) -> &'static str {
    match kind {
        PropertyKind::Id => "id",
        PropertyKind::Count => "count",
        PropertyKind::Boolean => "boolean",
        PropertyKind::DurationSeconds => "duration_seconds",
        PropertyKind::Enum(_) => "enum",
        PropertyKind::InstallId => "install_id",
        PropertyKind::Sha256Hex => "sha256_hex",
        PropertyKind::Version => "version",
        PropertyKind::Locale => "locale",
        PropertyKind::TimeZone => "time_zone",
        PropertyKind::Timestamp => "timestamp",
    }
}

/// The parts of an event that shape its records.
fn shape(d: &EventDescriptor) -> Value {
    json!({
        "name": d.name,
        "category": d.category.as_str(),
        "level": d.level.as_str(),
        "properties": d.properties.iter().map(|p| json!({
            "name": p.name,
            "type": type_key(&p.kind),
            "values": p.kind.allowed_values(),
            "optional": p.optional,
        })).collect::<Vec<_>>(),
    })
}

/// The fingerprint of the catalog as it is in this build: lower-hex
/// SHA-256 of what shapes a record (see the module docs).
pub fn catalog_fingerprint() -> String {
    let shaped = json!({
        "envelope_attributes": ENVELOPE_ATTRIBUTES,
        "events": catalog().iter().map(shape).collect::<Vec<_>>(),
    });
    let digest = ring::digest::digest(&ring::digest::SHA256, shaped.to_string().as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The whole catalog as pretty JSON, ending in a newline: the schema
/// version, the fingerprint, the envelope attributes and every event with
/// its description and properties. `docs/telemetry/catalog.json` is this.
pub fn catalog_json() -> String {
    let events: Vec<Value> = catalog()
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "category": d.category.as_str(),
                "level": d.level.as_str(),
                "description": d.description,
                "properties": d.properties.iter().map(|p| json!({
                    "name": p.name,
                    "type": type_key(&p.kind),
                    "values": p.kind.allowed_values(),
                    "optional": p.optional,
                    "description": p.description,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = json!({
        "format": "telemetry-catalog",
        "schema_version": SCHEMA_VERSION,
        "fingerprint": catalog_fingerprint(),
        "envelope_attributes": ENVELOPE_ATTRIBUTES,
        "events": events,
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_event_with_version_and_fingerprint() {
        let doc: Value = serde_json::from_str(&catalog_json()).unwrap_or(Value::Null);
        assert_eq!(doc["schema_version"], SCHEMA_VERSION);
        assert_eq!(doc["fingerprint"], catalog_fingerprint());
        assert_eq!(
            doc["events"].as_array().map(Vec::len),
            Some(catalog().len())
        );
        assert_eq!(catalog_fingerprint().len(), 64);
    }
}
