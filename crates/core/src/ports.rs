//! The ports core needs from the outside world, implemented by the store crate (and by an
//! in-memory double in core's own tests).

use std::time::Instant;

use chrono::{NaiveDateTime, Utc};

use crate::domain::{Role, Status, UserId};
use crate::error::CoreError;
use crate::import::{Checkpoint, Exported};
use crate::machine::{CredentialKind, CredentialRecord, MachineCredential};
use crate::query::{Found, Query};
use crate::user::{Profile, ProfileChanges, User, UserKey};

/// What a store can fail with, as core needs to tell it apart.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A non-deleted user already has this normalised email (the database's unique index).
    #[error("duplicate email")]
    DuplicateEmail,
    /// Any other storage failure; the text is for the log.
    #[error("storage failure: {0}")]
    Failure(String),
}

impl From<RepoError> for CoreError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::DuplicateEmail => {
                CoreError::Conflict(crate::error::Conflict::DuplicateEmail)
            }
            RepoError::Failure(cause) => CoreError::Internal(cause),
        }
    }
}

/// A user row as it is written on creation.
#[derive(Debug, Clone)]
pub struct NewUserRecord {
    /// As written.
    pub email: String,
    /// Lower-cased, unique among non-deleted users.
    pub email_normalized: String,
    /// Display name.
    pub name: String,
    /// Profile fields.
    pub profile: Profile,
    /// Role.
    pub role: Role,
    /// Status.
    pub status: Status,
    /// A PHC string, or none for an invited user.
    pub password_hash: Option<String>,
    /// Domo's employee number.
    pub employee_number: Option<i64>,
    /// JSON object of dialect fields.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Creation time.
    pub now: NaiveDateTime,
    /// Set for a user imported deleted (it never conflicts with a live one).
    pub deleted_at: Option<NaiveDateTime>,
}

/// A change to one user row. `None` leaves a column alone.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// New email (as written, normalised).
    pub email: Option<(String, String)>,
    /// New name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New status.
    pub status: Option<Status>,
    /// New password hash.
    pub password_hash: Option<String>,
    /// Profile fields to set or clear.
    pub profile: ProfileChanges,
    /// The whole new attributes object.
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// Set or clear the employee number.
    #[allow(clippy::option_option)]
    pub employee_number: Option<Option<i64>>,
    /// Soft-delete at this time.
    pub deleted_at: Option<NaiveDateTime>,
    /// Kill every token issued so far (`credentials_version += 1`).
    pub bump_credentials: bool,
    /// Last successful login.
    pub last_login_at: Option<NaiveDateTime>,
    /// Set `updated_at` (every change but a login record).
    pub updated_at: Option<NaiveDateTime>,
}

/// What authentication needs about a user, including its hash. Never leaves core.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user.
    pub id: UserId,
    /// PHC string, if a password is set.
    pub password_hash: Option<String>,
    /// Role now.
    pub role: Role,
    /// Status now.
    pub status: Status,
    /// Current credentials version.
    pub credentials_version: i64,
}

/// What a request needs to know about its caller, read on every authenticated request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrincipalRecord {
    /// The user.
    pub id: UserId,
    /// Role now.
    pub role: Role,
    /// Status now.
    pub status: Status,
    /// Current credentials version.
    pub credentials_version: i64,
    /// Whether the user is soft-deleted.
    pub deleted: bool,
}

/// Reads and writes inside one transaction. Lookups never return soft-deleted users, except
/// [`UserRepo::principal`], which says whether the user is deleted.
pub trait UserRepo {
    /// Inserts a user; a duplicate normalised email among non-deleted users is
    /// [`RepoError::DuplicateEmail`].
    fn insert(&mut self, user: &NewUserRecord) -> Result<User, RepoError>;
    /// Inserts users in bulk (a statement for the deleted ones, then one for the live ones, in
    /// their order); per user, whether it was inserted (`false`: a live user, maybe an earlier
    /// one of the same call, already has its email). Nothing fails on a duplicate, so the
    /// transaction goes on.
    fn insert_many(&mut self, users: &[&NewUserRecord]) -> Result<Vec<bool>, RepoError>;
    /// A non-deleted user by id or email.
    fn find(&mut self, key: &UserKey) -> Result<Option<User>, RepoError>;
    /// Non-deleted users matching a query, in its order, one page, with the total if asked.
    fn query(&mut self, query: &Query) -> Result<Found<User>, RepoError>;
    /// Applies a change to a non-deleted user and returns it as it is now (deleted users are
    /// returned once more, by the update that deletes them).
    fn update(&mut self, id: UserId, update: &UserUpdate) -> Result<User, RepoError>;
    /// The credentials of a non-deleted user by normalised email.
    fn credentials(&mut self, email_normalized: &str) -> Result<Option<Credentials>, RepoError>;
    /// The credentials of a non-deleted user by id.
    fn credentials_by_id(&mut self, id: UserId) -> Result<Option<Credentials>, RepoError>;
    /// The principal fields of any user by id, deleted or not.
    fn principal(&mut self, id: UserId) -> Result<Option<PrincipalRecord>, RepoError>;
    /// [`UserRepo::principal`] and whether the token `jti` was revoked. A store answers both
    /// in one statement: every request with a revocable token asks.
    fn token_principal(
        &mut self,
        id: UserId,
        jti: &str,
    ) -> Result<Option<(PrincipalRecord, bool)>, RepoError> {
        let revoked = self.is_token_revoked(jti)?;
        Ok(self.principal(id)?.map(|p| (p, revoked)))
    }
    /// How many non-deleted, active admins with a password exist.
    fn count_login_capable_admins(&mut self) -> Result<i64, RepoError>;
    /// Serialises every transaction that may reduce the set of active admins, so that two
    /// concurrent demotions cannot both see "another admin is left". (SQLite write
    /// transactions are already serial; PostgreSQL takes a transaction-scoped advisory lock.)
    fn lock_admin_set(&mut self) -> Result<(), RepoError>;
    /// Whether any non-deleted admin exists (bootstrap).
    fn any_admin(&mut self) -> Result<bool, RepoError>;
    /// Revokes one token (by its `jti`) until `expires_at`, and forgets revocations of tokens
    /// that expired before `now`. Revoking twice is not an error.
    fn revoke_token(
        &mut self,
        jti: &str,
        expires_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<(), RepoError>;
    /// Whether a token was revoked.
    fn is_token_revoked(&mut self, jti: &str) -> Result<bool, RepoError>;
    /// Stores a one-time code, replacing the user's earlier codes of the same purpose, and
    /// forgets every code that expired before `forget_before`.
    fn put_code(
        &mut self,
        code: &CodeRecord,
        forget_before: NaiveDateTime,
    ) -> Result<(), RepoError>;
    /// A stored code by its digest (expired or not).
    fn find_code(&mut self, digest: &str) -> Result<Option<CodeRecord>, RepoError>;
    /// Forgets every code of a user.
    fn delete_codes(&mut self, user: UserId) -> Result<(), RepoError>;
    /// A user by id whether soft-deleted or not (`true` when deleted); purged rows are gone.
    fn find_including_deleted(&mut self, id: UserId) -> Result<Option<(User, bool)>, RepoError>;
    /// Stores a new machine credential.
    fn insert_credential(&mut self, record: &CredentialRecord) -> Result<(), RepoError>;
    /// A machine credential by id (revoked or expired too).
    fn find_credential(&mut self, id: &str) -> Result<Option<CredentialRecord>, RepoError>;
    /// Every machine credential of a kind, oldest first.
    fn list_credentials(
        &mut self,
        kind: CredentialKind,
    ) -> Result<Vec<MachineCredential>, RepoError>;
    /// Marks a credential revoked at `now` (once: a second revocation keeps the first time).
    fn revoke_credential(&mut self, id: &str, now: NaiveDateTime) -> Result<(), RepoError>;
    /// How far the import `run` got, if it ever committed a batch.
    fn import_checkpoint(&mut self, run: &str) -> Result<Option<Checkpoint>, RepoError>;
    /// Records how far an import got (replacing its earlier checkpoint).
    fn put_import_checkpoint(
        &mut self,
        checkpoint: &Checkpoint,
        now: NaiveDateTime,
    ) -> Result<(), RepoError>;
    /// Up to `limit` users with an id above `after`, in id order, with their hashes; deleted
    /// ones too with `include_deleted`.
    fn export_page(
        &mut self,
        after: Option<UserId>,
        limit: u32,
        include_deleted: bool,
    ) -> Result<Vec<Exported>, RepoError>;
    /// Removes a user row outright, with its codes and machine credentials (an invited user whose mail could not be
    /// sent: it never existed for anyone).
    fn purge(&mut self, user: UserId) -> Result<(), RepoError>;
}

/// What a one-time code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// Accepting an invitation.
    Invitation,
    /// Resetting a forgotten password.
    PasswordReset,
}

impl CodePurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::Invitation => "invitation",
            CodePurpose::PasswordReset => "password_reset",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invitation" => Some(CodePurpose::Invitation),
            "password_reset" => Some(CodePurpose::PasswordReset),
            _ => None,
        }
    }
}

/// A one-time code as stored: its keyed digest, never the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    /// HMAC-SHA-256 of the code under the server key.
    pub digest: String,
    /// Whose code it is.
    pub user_id: UserId,
    /// What it is for.
    pub purpose: CodePurpose,
    /// When it stops working.
    pub expires_at: NaiveDateTime,
}

/// A unit of work against a [`UserRepo`]; it returns its result through what it captures.
pub type Work<'a> = &'a mut dyn FnMut(&mut dyn UserRepo) -> Result<(), CoreError>;

/// The user store: every core operation is one call of `read` or `write`.
pub trait UserStore: Send + Sync {
    /// Runs `work` in one read-write transaction: committed if it returns `Ok`, rolled back
    /// otherwise (and if it panics).
    fn write(&self, work: Work<'_>) -> Result<(), CoreError>;
    /// Runs `work` with a connection for reads only.
    fn read(&self, work: Work<'_>) -> Result<(), CoreError>;
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
    mut f: impl FnMut(&mut dyn UserRepo) -> Result<T, CoreError>,
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
    mut f: impl FnMut(&mut dyn UserRepo) -> Result<T, CoreError>,
) -> Result<T, CoreError> {
    let mut out = None;
    store.read(&mut |repo| {
        out = Some(f(repo)?);
        Ok(())
    })?;
    out.ok_or_else(|| CoreError::Internal("read returned no value".into()))
}
