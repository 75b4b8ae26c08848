//! The domain's own types as event properties.
//!
//! [`TimeTracker`] is this catalog's vocabulary: implementing
//! `tt_telemetry::Property<TimeTracker>` for a type of `tt-domain` is allowed
//! here (the marker is ours), so events hold `tt_domain::ProjectId` and
//! `tt_domain::TaskStatus` themselves rather than copies. Ids become
//! internal-id properties; closed enumerations become enum properties whose
//! allowed values are the domain's own wire names (`as_str` of each value of
//! `ALL`), computed at compile time.

use tt_telemetry::{Property, PropertyKind, PropertyValue};

/// The vocabulary marker of TimeTracker's catalog (see the module docs).
#[derive(Debug, Clone, Copy)]
pub enum TimeTracker {}

macro_rules! id_properties {
    ($($ty:path),+ $(,)?) => {$(
        impl Property<TimeTracker> for $ty {
            const KIND: PropertyKind = PropertyKind::Id;
            fn to_value(self) -> Option<PropertyValue> {
                Some(PropertyValue::id(self.get()))
            }
            fn example() -> Self {
                const EXAMPLE: $ty = match <$ty>::new(42) {
                    Some(id) => id,
                    None => panic!("42 is a valid id"),
                };
                EXAMPLE
            }
        }
    )+};
}

id_properties!(
    tt_domain::UserId,
    tt_domain::ClientId,
    tt_domain::ProjectId,
    tt_domain::TaskId,
    tt_domain::TimeEntryId,
    tt_domain::CommentId,
    tt_domain::InvoiceId,
);

macro_rules! enum_properties {
    ($($ty:path),+ $(,)?) => {$(
        impl Property<TimeTracker> for $ty {
            const KIND: PropertyKind = {
                const NAMES: [&str; <$ty>::ALL.len()] = {
                    let mut names = [""; <$ty>::ALL.len()];
                    let mut i = 0;
                    while i < names.len() {
                        names[i] = <$ty>::ALL[i].as_str();
                        i += 1;
                    }
                    names
                };
                PropertyKind::Enum(&NAMES)
            };
            fn to_value(self) -> Option<PropertyValue> {
                <$ty>::ALL
                    .iter()
                    .position(|v| *v == self)
                    .map(PropertyValue::choice)
            }
            fn example() -> Self {
                <$ty>::ALL[0]
            }
        }
    )+};
}

enum_properties!(
    tt_domain::TaskStatus,
    tt_domain::InvoiceStatus,
    tt_domain::Role,
    tt_domain::GroupBy,
    tt_consent::ConsentLevel,
);
