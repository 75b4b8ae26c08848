//! Typed ids: a `ProjectId` can never be passed where a `UserId` is expected.

use std::fmt;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw database id. Ids are positive; anything else is
            /// rejected so that a forged `0` or `-1` never reaches a query.
            pub const fn new(raw: i64) -> Option<Self> {
                if raw > 0 { Some(Self(raw)) } else { None }
            }

            /// The raw id, for storage and the wire.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

typed_id!(
    /// A user account.
    UserId,
    /// A client (customer) of the company.
    ClientId,
    /// A project, usually for one client.
    ProjectId,
    /// A task within a project.
    TaskId,
    /// A comment on a project or task.
    CommentId,
    /// A time entry (a running timer is a time entry without an end).
    TimeEntryId,
    /// An invoice.
    InvoiceId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_positive() {
        assert!(UserId::new(0).is_none());
        assert!(UserId::new(-3).is_none());
        assert_eq!(UserId::new(7).map(UserId::get), Some(7));
    }
}
