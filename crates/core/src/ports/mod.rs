//! The ports core needs from the outside world, implemented by the store crate (and by an
//! in-memory double in core's own tests).
//!
//! Architecture invariant: this module depends on domain types only (`domain`, `user`, `query`,
//! `patch`, `error`), never on a service. A unit of work gets one [`Repos`]: the users, groups,
//! tokens, codes, machine credentials, imports and audit ports of one transaction; each service function
//! takes the narrowest port it needs.

mod audit;
mod codes;
mod credentials;
mod groups;
mod imports;
mod tokens;
mod users;
mod webhooks;

use std::time::Instant;

use chrono::{NaiveDateTime, Utc};

use crate::error::CoreError;

pub use audit::{AuditEvent, AuditFilter, AuditRepo, Cursor, NewAuditEvent};
pub use codes::{CodePurpose, CodeRecord, CodeRepo};
pub use credentials::{CredentialKind, CredentialRecord, CredentialRepo, MachineCredential};
pub use groups::{GroupRepo, GroupUpdate, NewGroupRecord};
pub use imports::{Checkpoint, Exported, ImportRepo, Tally};
pub use tokens::TokenRepo;
pub use users::{Credentials, Inserted, NewUserRecord, PrincipalRecord, UserRepo, UserUpdate};
pub use webhooks::{Attempt, EndpointRecord, EndpointUpdate, PendingDelivery, WebhookRepo};

/// What a store can fail with, as core needs to tell it apart.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A non-deleted user already has this normalised email (the database's unique index).
    #[error("duplicate email")]
    DuplicateEmail,
    /// A non-deleted user already has this normalised login name.
    #[error("duplicate login name")]
    DuplicateLoginName,
    /// A non-deleted user already has this external id.
    #[error("duplicate external id")]
    DuplicateExternalId,
    /// A group already has this normalised name.
    #[error("duplicate group name")]
    DuplicateGroupName,
    /// Any other storage failure; the text is for the log.
    #[error("storage failure: {0}")]
    Failure(String),
}

impl From<RepoError> for CoreError {
    fn from(e: RepoError) -> Self {
        use crate::error::Conflict;
        match e {
            RepoError::DuplicateEmail => CoreError::Conflict(Conflict::DuplicateEmail),
            RepoError::DuplicateLoginName => CoreError::Conflict(Conflict::DuplicateLoginName),
            RepoError::DuplicateExternalId => CoreError::Conflict(Conflict::DuplicateExternalId),
            RepoError::DuplicateGroupName => CoreError::Conflict(Conflict::DuplicateGroupName),
            RepoError::Failure(cause) => CoreError::Internal(cause),
        }
    }
}

/// Every port of one transaction.
pub trait Repos:
    UserRepo + GroupRepo + TokenRepo + CodeRepo + CredentialRepo + ImportRepo + AuditRepo + WebhookRepo
{
}

impl<T> Repos for T where
    T: UserRepo
        + GroupRepo
        + TokenRepo
        + CodeRepo
        + CredentialRepo
        + ImportRepo
        + AuditRepo
        + WebhookRepo
        + ?Sized
{
}

/// A unit of work against the ports of one transaction; it returns its result through what it
/// captures.
pub type Work<'a> = &'a mut dyn FnMut(&mut dyn Repos) -> Result<(), CoreError>;

/// The store: every core operation is one call of `read` or `write`.
pub trait UserStore: Send + Sync {
    /// Runs `work` in one read-write transaction: committed if it returns `Ok`, rolled back
    /// otherwise (and if it panics).
    fn write(&self, work: Work<'_>) -> Result<(), CoreError>;
    /// Runs `work` with a connection for reads only.
    fn read(&self, work: Work<'_>) -> Result<(), CoreError>;
    /// Whether a short read may run on the calling thread, an async worker included (see
    /// [`in_place`]): true where a read costs microseconds and never waits for another
    /// connection (SQLite in WAL mode, each thread with a connection of its own).
    fn reads_in_place(&self) -> bool {
        false
    }
    /// Runs `work` as [`UserStore::read`] does, on the calling thread's own connection where
    /// [`UserStore::reads_in_place`] says so.
    fn read_in_place(&self, work: Work<'_>) -> Result<(), CoreError> {
        self.read(work)
    }
}

thread_local! {
    static IN_PLACE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, a call of core that only reads a row or two, with its reads on this thread's own
/// connection where the store allows it ([`UserStore::reads_in_place`]): an async worker then
/// answers a point read without a trip to a blocking thread and back. Writes inside `f` are
/// not affected.
pub fn in_place<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            IN_PLACE.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(IN_PLACE.with(|c| c.replace(true)));
    f()
}

/// Small server-wide values kept in the store so several instances agree (signing keys).
pub trait SettingsStore: Send + Sync {
    /// The value under `key`, storing `init` first if there is none yet. Concurrent callers all
    /// get the same value.
    fn get_or_init(&self, key: &str, init: &str) -> Result<String, RepoError>;
}

/// Time, injectable so tests can move it.
pub trait Clock: Send + Sync {
    /// Wall-clock UTC now, truncated to microseconds (what PostgreSQL keeps).
    fn now(&self) -> NaiveDateTime;
    /// A monotonic instant for rate windows.
    fn instant(&self) -> Instant;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        truncate_to_micros(Utc::now().naive_utc())
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// Drops sub-microsecond precision so both backends store and return the same value.
pub fn truncate_to_micros(t: NaiveDateTime) -> NaiveDateTime {
    use chrono::Timelike;
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

/// Runs `f` in a write transaction and returns its value.
pub fn write<T>(
    store: &dyn UserStore,
    mut f: impl FnMut(&mut dyn Repos) -> Result<T, CoreError>,
) -> Result<T, CoreError> {
    let mut out = None;
    store.write(&mut |repo| {
        out = Some(f(repo)?);
        Ok(())
    })?;
    out.ok_or_else(|| CoreError::Internal("transaction returned no value".into()))
}

/// Runs `f` on a read connection and returns its value.
pub fn read<T>(
    store: &dyn UserStore,
    mut f: impl FnMut(&mut dyn Repos) -> Result<T, CoreError>,
) -> Result<T, CoreError> {
    let mut out = None;
    let mut work = |repo: &mut dyn Repos| {
        out = Some(f(repo)?);
        Ok(())
    };
    if IN_PLACE.with(std::cell::Cell::get) {
        store.read_in_place(&mut work)?;
    } else {
        store.read(&mut work)?;
    }
    out.ok_or_else(|| CoreError::Internal("read returned no value".into()))
}
