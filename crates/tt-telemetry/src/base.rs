//! Base telemetry: the two events the sink sends by itself, and exactly
//! which attributes they carry.

use std::time::SystemTime;

use tt_consent::ConsentLevel;

use crate::event::{Category, EventDescriptor, Property, PropertyDescriptor, PropertyKind};
use crate::identity::{AppVersion, IdentitySnapshot};
use crate::record::{AttrValue, rfc3339};
use crate::values::{Architecture, DeploymentType, Platform, ReleaseChannel};

/// The name of the one-time installation event.
pub const FIRST_SEEN: &str = "base_telemetry.first_seen";
/// The name of the periodic installation heartbeat.
pub const HEARTBEAT: &str = "base_telemetry.heartbeat";
/// The name of the record asking the receiver to delete everything stored
/// under an install id.
pub const DELETION_REQUEST: &str = "base_telemetry.deletion_request";

const fn prop(
    name: &'static str,
    kind: PropertyKind,
    description: &'static str,
) -> PropertyDescriptor {
    PropertyDescriptor {
        name,
        kind,
        optional: false,
        description,
    }
}

const INSTALL_ID: PropertyDescriptor = prop(
    "install_id",
    PropertyKind::InstallId,
    "The installation's random id (rotatable by the admin).",
);
const FINGERPRINT: PropertyDescriptor = prop(
    "fingerprint",
    PropertyKind::Sha256Hex,
    "SHA-256 of the hostname and the installation's secret salt; cannot be reversed.",
);
const APP_VERSION: PropertyDescriptor = prop(
    "app_version",
    PropertyKind::Version,
    "The application's version.",
);
const PLATFORM: PropertyDescriptor = prop(
    "platform",
    <Platform as Property>::KIND,
    "The operating system family.",
);
const OS_VERSION: PropertyDescriptor = prop(
    "os_version",
    PropertyKind::Version,
    "The operating system's version number (numbers only).",
);
const ARCHITECTURE: PropertyDescriptor = prop(
    "architecture",
    <Architecture as Property>::KIND,
    "The CPU architecture.",
);
const LOCALE: PropertyDescriptor = prop(
    "locale",
    PropertyKind::Locale,
    "The server's language and region, e.g. en-US.",
);
const TIMEZONE: PropertyDescriptor = prop(
    "timezone",
    PropertyKind::TimeZone,
    "The server's IANA time zone.",
);
const DEPLOYMENT_TYPE: PropertyDescriptor = prop(
    "deployment_type",
    <DeploymentType as Property>::KIND,
    "How the server is deployed.",
);
const FIRST_SEEN_AT: PropertyDescriptor = prop(
    "first_seen",
    PropertyKind::Timestamp,
    "When this installation first ran.",
);
const LAST_SEEN_AT: PropertyDescriptor = prop(
    "last_seen",
    PropertyKind::Timestamp,
    "When the previous heartbeat was delivered (first_seen if none was).",
);
const HEARTBEAT_AT: PropertyDescriptor = prop(
    "heartbeat_at",
    PropertyKind::Timestamp,
    "When this heartbeat was produced.",
);
const REQUESTED_AT: PropertyDescriptor = prop(
    "requested_at",
    PropertyKind::Timestamp,
    "When the administrator asked for the deletion.",
);
const RELEASE_CHANNEL: PropertyDescriptor = prop(
    "release_channel",
    <ReleaseChannel as Property>::KIND,
    "Which release line this build belongs to.",
);

/// The base events, in catalog order.
pub(crate) static BASE_EVENTS: [EventDescriptor; 3] = [
    EventDescriptor {
        name: FIRST_SEEN,
        category: Category::BASE_TELEMETRY,
        level: ConsentLevel::Base,
        description: "Sent once, the first time base telemetry is allowed; marked done only after the receiver accepted it.",
        properties: &[
            INSTALL_ID,
            FINGERPRINT,
            APP_VERSION,
            PLATFORM,
            OS_VERSION,
            ARCHITECTURE,
            LOCALE,
            TIMEZONE,
            DEPLOYMENT_TYPE,
            FIRST_SEEN_AT,
            RELEASE_CHANNEL,
        ],
    },
    EventDescriptor {
        name: HEARTBEAT,
        category: Category::BASE_TELEMETRY,
        level: ConsentLevel::Base,
        description: "Sent at start-up and then once per heartbeat interval (default daily) while base telemetry is allowed.",
        properties: &[
            INSTALL_ID,
            FINGERPRINT,
            APP_VERSION,
            PLATFORM,
            OS_VERSION,
            ARCHITECTURE,
            LOCALE,
            TIMEZONE,
            DEPLOYMENT_TYPE,
            FIRST_SEEN_AT,
            LAST_SEEN_AT,
            HEARTBEAT_AT,
            RELEASE_CHANNEL,
        ],
    },
    EventDescriptor {
        name: DELETION_REQUEST,
        category: Category::BASE_TELEMETRY,
        level: ConsentLevel::Base,
        description: "Sent once when an administrator asks for the deletion of what was sent under this install id, whatever the consent levels say (it needs no consent: it is the request to delete), never on withdrawal by itself, and never while the deployer forbids sending; the install id is replaced right after.",
        properties: &[INSTALL_ID, APP_VERSION, REQUESTED_AT],
    },
];

/// Which base event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BaseKind {
    FirstSeen,
    Heartbeat,
    DeletionRequest,
}

impl BaseKind {
    pub(crate) fn descriptor(self) -> &'static EventDescriptor {
        match self {
            BaseKind::FirstSeen => &BASE_EVENTS[0],
            BaseKind::Heartbeat => &BASE_EVENTS[1],
            BaseKind::DeletionRequest => &BASE_EVENTS[2],
        }
    }
}

/// What the build says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BuildInfo {
    pub service_name: &'static str,
    pub version: AppVersion,
    pub channel: ReleaseChannel,
    pub schema_version: i64,
}

impl BuildInfo {
    pub(crate) fn of(config: &crate::TelemetryConfig) -> BuildInfo {
        BuildInfo {
            service_name: config.catalog.service_name,
            version: config.service_version.clone(),
            channel: config.release_channel,
            schema_version: config.catalog.schema_version,
        }
    }
}

/// The attributes of a base event, in catalog order: exactly the
/// descriptor's properties, each one present.
pub(crate) fn base_attributes(
    kind: BaseKind,
    identity: &IdentitySnapshot,
    build: &BuildInfo,
    now: SystemTime,
) -> Vec<(&'static str, AttrValue)> {
    kind.descriptor()
        .properties
        .iter()
        .filter_map(|p| value_of(p.name, identity, build, now).map(|v| (p.name, v)))
        .collect()
}

fn value_of(
    name: &str,
    id: &IdentitySnapshot,
    build: &BuildInfo,
    now: SystemTime,
) -> Option<AttrValue> {
    let text = AttrValue::Text;
    Some(match name {
        "install_id" => text(id.install_id.to_string()),
        "fingerprint" => text(id.fingerprint.to_hex()),
        "app_version" => text(build.version.as_str().to_owned()),
        "platform" => AttrValue::Static(id.host.platform.as_str()),
        "os_version" => text(id.host.os_version.as_str().to_owned()),
        "architecture" => AttrValue::Static(id.host.architecture.as_str()),
        "locale" => text(id.host.locale.as_str().to_owned()),
        "timezone" => text(id.host.timezone.as_str().to_owned()),
        "deployment_type" => AttrValue::Static(id.host.deployment.as_str()),
        "first_seen" => text(rfc3339(id.first_seen_at)),
        "last_seen" => text(rfc3339(id.last_seen_at.unwrap_or(id.first_seen_at))),
        "heartbeat_at" | "requested_at" => text(rfc3339(now)),
        "release_channel" => AttrValue::Static(build.channel.as_str()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{HostFacts, InMemoryIdentity, InstallIdentity};

    #[test]
    fn every_documented_attribute_is_produced() {
        let identity =
            InMemoryIdentity::generate("host", "salt", HostFacts::detect(DeploymentType::Docker))
                .snapshot();
        let build = BuildInfo {
            service_name: "app",
            version: AppVersion::parse("1.2.3").unwrap_or_else(|e| panic!("{e}")),
            channel: ReleaseChannel::Stable,
            schema_version: 1,
        };
        for kind in [
            BaseKind::FirstSeen,
            BaseKind::Heartbeat,
            BaseKind::DeletionRequest,
        ] {
            let attrs = base_attributes(kind, &identity, &build, SystemTime::now());
            let names: Vec<_> = attrs.iter().map(|(n, _)| *n).collect();
            let documented: Vec<_> = kind
                .descriptor()
                .properties
                .iter()
                .map(|p| p.name)
                .collect();
            assert_eq!(names, documented);
        }
    }
}
