//! What an action can answer besides its result.

use tt_domain::DomainError;
use tt_persistence::PersistenceError;

/// Why an action did not happen. Each variant is one kind of answer; the
/// surfaces turn it into a status code (API), a page or a form message
/// (web UI) or an exit message (CLI), always the same verdict.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The object does not exist, or is private to someone else.
    #[error("not found")]
    NotFound,
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The input is understood but invalid.
    #[error("{0}")]
    Invalid(String),
    /// The change conflicts with the current state (frozen, taken, raced).
    #[error("{0}")]
    Conflict(String),
    /// The database broke a deadlock or serialization conflict with a
    /// simultaneous change by aborting this one; `App::write` runs the
    /// action again a few times before answering with this.
    #[error("this collided with a simultaneous change; try again")]
    Collided,
    /// A dependency (the database, the installation store) is unavailable.
    #[error("service unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A bug or an unexpected failure; the source chain is for the log.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// An input problem with a message the user can act on.
    pub fn invalid(msg: impl Into<String>) -> Self {
        AppError::Invalid(msg.into())
    }

    /// An input problem with one field: the message names the field by
    /// its label (`tt_domain::field_label`), as every surface shows it.
    pub fn invalid_field(field: &str, reason: impl AsRef<str>) -> Self {
        AppError::Invalid(tt_domain::field_message(field, reason.as_ref()))
    }

    /// A conflict with the current state.
    pub fn conflict(msg: impl Into<String>) -> Self {
        AppError::Conflict(msg.into())
    }

    /// A conflict about one field's value (a name already taken).
    pub fn conflict_field(field: &str, reason: impl AsRef<str>) -> Self {
        AppError::Conflict(tt_domain::field_message(field, reason.as_ref()))
    }

    /// An unexpected failure described in words.
    pub fn internal(msg: impl Into<String>) -> Self {
        AppError::Internal(msg.into().into())
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { .. } => AppError::Invalid(e.to_string()),
            DomainError::Rule(msg) => AppError::Conflict(msg.to_owned()),
            DomainError::Hidden => AppError::NotFound,
            DomainError::Forbidden(msg) => AppError::Forbidden(msg),
        }
    }
}

impl From<PersistenceError> for AppError {
    fn from(e: PersistenceError) -> Self {
        match e {
            PersistenceError::NotFound => AppError::NotFound,
            PersistenceError::Conflict(msg) => AppError::Conflict(msg.to_owned()),
            PersistenceError::Retry => AppError::Collided,
            PersistenceError::Invalid(msg) => AppError::Invalid(msg.to_owned()),
            PersistenceError::Domain(d) => d.into(),
            e @ (PersistenceError::Connect(_) | PersistenceError::Pool(_)) => {
                AppError::Unavailable(Box::new(e))
            }
            other => AppError::Internal(Box::new(other)),
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = AppError> = std::result::Result<T, E>;
