//! The store's error type, and how it reaches core.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use usergate_core::ports::RepoError;

/// What the store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no backend usergate supports.
    #[error(
        "unsupported database URL {0:?}: use postgres://... or an SQLite file path (sqlite://path also works)"
    )]
    UnsupportedUrl(String),
    /// The database could not be reached or opened.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// No pooled connection became free in time.
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// Migrations failed.
    #[error("migrations failed: {0}")]
    Migration(String),
    /// A query failed.
    #[error("query failed: {0}")]
    Query(#[from] DieselError),
    /// A stored value could not be read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl From<StoreError> for RepoError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                info,
            )) => duplicate(info.constraint_name().unwrap_or(info.message())),
            other => RepoError::Failure(other.to_string()),
        }
    }
}

/// Which unique index a violation hit: PostgreSQL names the index, SQLite its columns
/// (`UNIQUE constraint failed: users.login_name_normalized`).
fn duplicate(what: &str) -> RepoError {
    if what.contains("login_name") {
        RepoError::DuplicateLoginName
    } else if what.contains("external_id") {
        RepoError::DuplicateExternalId
    } else if what.contains("groups") {
        RepoError::DuplicateGroupName
    } else {
        RepoError::DuplicateEmail
    }
}

/// Turns a diesel result into the port's, through [`StoreError`].
pub(crate) trait Db<T> {
    /// The result with its error as the port's.
    fn db(self) -> Result<T, RepoError>;
}

impl<T> Db<T> for Result<T, DieselError> {
    fn db(self) -> Result<T, RepoError> {
        self.map_err(|e| StoreError::Query(e).into())
    }
}
