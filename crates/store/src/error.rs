//! The one error type of the store. Each variant maps to one HTTP status in
//! the API (see `crates/api/src/problem.rs`); database detail stays in logs.

use rectrack_core::{Refusal, ValidationErrors};
use sea_orm::DbErr;

/// Why a store command or query failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Core refused the input or the move (422, 404, 403 or 409).
    #[error(transparent)]
    Domain(#[from] rectrack_core::Error),
    /// No such entity, or one the caller may not see (404).
    #[error("{entity} `{id}` was not found")]
    NotFound {
        /// What was looked for, e.g. `assignment`.
        entity: &'static str,
        /// The id or code asked for.
        id: String,
    },
    /// The caller's `If-Match` version is not the assignment's (412).
    #[error("the assignment is at version {current}, not {expected}")]
    StaleVersion {
        /// The version the caller expected.
        expected: i64,
        /// The version stored.
        current: i64,
    },
    /// The change would break a uniqueness rule (409), e.g. a code in use.
    #[error("{0}")]
    Conflict(String),
    /// An import file's rows are not what the import format says, or
    /// what they ask cannot be done (422); nothing was written.
    #[error("the import was refused: {} error(s), the first in row {}", .0.len(), .0.first().map_or(0, |e| e.row))]
    Import(Vec<rectrack_core::import::RowError>),
    /// Sign-in refused (401): an unknown address, a wrong password or code,
    /// or an account that is not active, all in the same words so that the
    /// answer tells nothing about which accounts exist.
    #[error("the address, password or code is not right")]
    SignInRefused,
    /// Too many sign-ins failed lately for this account or from this
    /// address (429); nothing was checked.
    #[error("too many failed sign-ins: try again in {retry_after_secs} seconds")]
    Throttled {
        /// Seconds until the oldest counted failure ages out.
        retry_after_secs: i64,
    },
    /// An idempotency key was reused with a different request (422).
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyMismatch,
    /// The answer to keep for an idempotency key could not be rendered
    /// (500); nothing was written.
    #[error("the answer could not be kept for replay: {0}")]
    Unrenderable(String),
    /// A shared transaction (a write group, a batch) was rolled back or its
    /// commit failed, so this write was not committed (500).
    #[error("the write was not committed: {0}")]
    NotCommitted(String),
    /// The store was used against its contract, e.g. a batch used after its
    /// commit (500).
    #[error("the store was misused: {0}")]
    Misuse(&'static str),
    /// A write changed a different number of rows than it was to (500):
    /// another writer got past the chain lock, or a row vanished.
    #[error("{expected} rows were to be written, {changed} were")]
    RowCount {
        /// Rows the statements were to change.
        expected: u64,
        /// Rows they changed.
        changed: u64,
    },
    /// Stored data does not parse as the domain says it must (500).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The blob store failed (500).
    #[error("blob store: {0}")]
    Blob(String),
    /// The database failed (500, or 503 when it cannot be reached).
    #[error("database: {0}")]
    Database(#[from] DbErr),
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        Self::Domain(refusal.into())
    }
}

impl From<ValidationErrors> for Error {
    fn from(errors: ValidationErrors) -> Self {
        Self::Domain(errors.into())
    }
}

impl Error {
    /// A 404 for `entity` with `id`.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    /// A 422 naming one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ValidationErrors::single(field, message).into()
    }
}

/// Reads a stored value back into its domain type; a failure means the
/// database holds something core would never have let in.
pub(crate) fn stored<T>(column: &str, parsed: Result<T, String>) -> Result<T, Error> {
    parsed.map_err(|message| Error::Corrupt(format!("{column}: {message}")))
}

/// The store's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
