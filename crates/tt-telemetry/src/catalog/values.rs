//! The only kinds of value an event property can hold.
//!
//! Every property type implements the sealed [`PropertyType`] trait, so no
//! crate outside this one can add a type — in particular not `String`,
//! `&str` or anything else that could carry a name, an e-mail address, a note
//! or a concrete URL. What is left is internal ids, counts, booleans,
//! durations and closed enumerations whose every value is listed here.

use std::fmt;
use std::time::Duration;

mod private {
    /// Seals [`super::PropertyType`]: only this module decides what a
    /// property may hold.
    pub trait Sealed {}
}

/// What a property holds, as shown in the catalog and the generated docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    /// An internal numeric database id (never a name or an external id).
    Id,
    /// A non-negative count.
    Count,
    /// `true` or `false`.
    Boolean,
    /// A duration in whole seconds.
    DurationSeconds,
    /// One value out of a closed list.
    Enum(&'static [&'static str]),
    /// The installation's random UUID (base telemetry only).
    InstallId,
    /// A hex SHA-256 digest (base telemetry only).
    Sha256Hex,
    /// A version number such as `1.4.2` (base telemetry only).
    Version,
    /// A language tag such as `en-US` (base telemetry only).
    Locale,
    /// An IANA time-zone name such as `Europe/Brussels` (base telemetry only).
    TimeZone,
    /// An RFC 3339 UTC timestamp (base telemetry only).
    Timestamp,
}

impl PropertyKind {
    /// A short human-readable name of the type, for docs and the admin page.
    pub const fn type_name(&self) -> &'static str {
        match self {
            PropertyKind::Id => "internal id",
            PropertyKind::Count => "count",
            PropertyKind::Boolean => "boolean",
            PropertyKind::DurationSeconds => "duration (seconds)",
            PropertyKind::Enum(_) => "enum",
            PropertyKind::InstallId => "uuid",
            PropertyKind::Sha256Hex => "sha-256 hex",
            PropertyKind::Version => "version",
            PropertyKind::Locale => "language tag",
            PropertyKind::TimeZone => "IANA time zone",
            PropertyKind::Timestamp => "RFC 3339 timestamp",
        }
    }

    /// The allowed values of an enumeration; empty for every other kind.
    pub const fn allowed_values(&self) -> &'static [&'static str] {
        match self {
            PropertyKind::Enum(values) => values,
            _ => &[],
        }
    }
}

/// A property value as it goes on the wire. Only ever produced by this crate
/// from a [`PropertyType`]; no API takes one as input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyValue {
    /// Ids, counts and durations.
    Int(i64),
    /// Booleans.
    Bool(bool),
    /// A value of a closed enumeration.
    Enum(&'static str),
}

impl PropertyValue {
    /// Writes the value as a JSON scalar.
    pub(crate) fn write_json(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            PropertyValue::Int(v) => {
                let _ = write!(out, "{v}");
            }
            PropertyValue::Bool(v) => {
                let _ = write!(out, "{v}");
            }
            // Enum values are compile-time identifiers: no escaping needed.
            PropertyValue::Enum(v) => {
                let _ = write!(out, "\"{v}\"");
            }
        }
    }
}

/// A type an event property may have. Sealed: see the module docs.
pub trait PropertyType: private::Sealed + Copy {
    /// What the catalog says this property holds.
    const KIND: PropertyKind;
    /// Whether the property may be absent.
    const OPTIONAL: bool = false;
    /// The wire value; `None` leaves the attribute out.
    fn to_value(self) -> Option<PropertyValue>;
    /// A representative value, used by [`crate::Event::examples`].
    fn example() -> Self;
}

impl private::Sealed for bool {}
impl PropertyType for bool {
    const KIND: PropertyKind = PropertyKind::Boolean;
    fn to_value(self) -> Option<PropertyValue> {
        Some(PropertyValue::Bool(self))
    }
    fn example() -> Self {
        true
    }
}

impl<T: PropertyType> private::Sealed for Option<T> {}
impl<T: PropertyType> PropertyType for Option<T> {
    const KIND: PropertyKind = T::KIND;
    const OPTIONAL: bool = true;
    fn to_value(self) -> Option<PropertyValue> {
        self.and_then(T::to_value)
    }
    fn example() -> Self {
        Some(T::example())
    }
}

macro_rules! id_types {
    ($( $(#[$meta:meta])* $name:ident ),+ $(,)?) => {$(
        $(#[$meta])*
        ///
        /// An internal database id: a number that means nothing outside this
        /// installation's database.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw database id.
            pub const fn new(raw: i64) -> Self {
                $name(raw)
            }

            /// The raw database id.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(raw: i64) -> Self {
                $name(raw)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl private::Sealed for $name {}
        impl PropertyType for $name {
            const KIND: PropertyKind = PropertyKind::Id;
            fn to_value(self) -> Option<PropertyValue> {
                Some(PropertyValue::Int(self.0))
            }
            fn example() -> Self {
                $name(42)
            }
        }
    )+};
}

id_types! {
    /// A user's id.
    UserId,
    /// A client's id.
    ClientId,
    /// A project's id.
    ProjectId,
    /// A task's id.
    TaskId,
    /// A time entry's id.
    TimeEntryId,
    /// A comment's id.
    CommentId,
    /// An invoice's id.
    InvoiceId,
    /// An API token's id (never the token itself).
    ApiTokenId,
}

/// A non-negative count (rows, lines, files…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Count(u64);

impl Count {
    /// A count of `n`.
    pub const fn new(n: u64) -> Self {
        Count(n)
    }

    /// The count.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl From<u64> for Count {
    fn from(n: u64) -> Self {
        Count(n)
    }
}

impl From<usize> for Count {
    fn from(n: usize) -> Self {
        Count(u64::try_from(n).unwrap_or(u64::MAX))
    }
}

impl private::Sealed for Count {}
impl PropertyType for Count {
    const KIND: PropertyKind = PropertyKind::Count;
    fn to_value(self) -> Option<PropertyValue> {
        Some(PropertyValue::Int(
            i64::try_from(self.0).unwrap_or(i64::MAX),
        ))
    }
    fn example() -> Self {
        Count(3)
    }
}

/// A duration, sent in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DurationSecs(u64);

impl DurationSecs {
    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        DurationSecs(secs)
    }

    /// The duration in seconds.
    pub const fn as_secs(self) -> u64 {
        self.0
    }
}

impl From<Duration> for DurationSecs {
    fn from(d: Duration) -> Self {
        DurationSecs(d.as_secs())
    }
}

impl private::Sealed for DurationSecs {}
impl PropertyType for DurationSecs {
    const KIND: PropertyKind = PropertyKind::DurationSeconds;
    fn to_value(self) -> Option<PropertyValue> {
        Some(PropertyValue::Int(
            i64::try_from(self.0).unwrap_or(i64::MAX),
        ))
    }
    fn example() -> Self {
        DurationSecs(1800)
    }
}

macro_rules! closed_enums {
    ($(
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)? }
    )+) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in catalog order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every value's wire name, in catalog order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The wire name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value with this wire name, if there is one.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl private::Sealed for $name {}
        impl PropertyType for $name {
            const KIND: PropertyKind = PropertyKind::Enum($name::NAMES);
            fn to_value(self) -> Option<PropertyValue> {
                Some(PropertyValue::Enum(self.as_str()))
            }
            fn example() -> Self {
                $name::ALL[0]
            }
        }
    )+};
}

mod enums;
mod route;

pub use enums::*;
pub use route::Route;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_templates_match_any_parameter_name() {
        assert_eq!(Route::from_template("/projects/{id}"), Route::ProjectDetail);
        assert_eq!(
            Route::from_template("/projects/{project_id}"),
            Route::ProjectDetail
        );
        assert_eq!(
            Route::from_template("/invoices/{invoice}/print"),
            Route::InvoicePrint
        );
        assert_eq!(Route::from_template("/"), Route::Dashboard);
        assert_eq!(Route::from_template("/projects/"), Route::Projects);
    }

    #[test]
    fn concrete_paths_never_become_routes() {
        for path in [
            "/projects/42",
            "/projects/42/edit",
            "/projects/new?name=Acme",
            "/clients/acme-corp",
            "/admin/users/{}",
            "https://example.com/projects/{id}",
            "other",
            "",
        ] {
            assert_eq!(Route::from_template(path), Route::Other, "{path}");
        }
    }

    #[test]
    fn enum_names_round_trip() {
        for status in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(TaskStatus::parse("Done"), None);
        assert_eq!(
            InvoiceStatus::NAMES,
            &["draft", "sent", "paid", "cancelled"]
        );
        assert_eq!(ReportGroupBy::NAMES, &["project", "user", "day", "week"]);
    }

    #[test]
    fn values_encode_as_expected() {
        assert_eq!(ProjectId::new(7).to_value(), Some(PropertyValue::Int(7)));
        assert_eq!(
            Count::new(u64::MAX).to_value(),
            Some(PropertyValue::Int(i64::MAX))
        );
        assert_eq!(None::<TaskId>.to_value(), None);
        assert_eq!(
            DurationSecs::from(Duration::from_millis(2500)).to_value(),
            Some(PropertyValue::Int(2))
        );
        const { assert!(<Option<TaskId> as PropertyType>::OPTIONAL) };
        const { assert!(!<TaskId as PropertyType>::OPTIONAL) };
    }
}
