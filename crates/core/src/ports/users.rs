//! The users port: rows of the `users` table, read and written inside a unit of work.

use chrono::NaiveDateTime;

use crate::domain::{LoginName, Role, Status, UserId};
use crate::patch::Patch;
use crate::query::{Found, Query};
use crate::user::{Profile, ProfileChanges, User, UserKey};

use super::RepoError;

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
    /// The identity provider's id.
    pub external_id: Option<String>,
    /// Login name.
    pub login_name: Option<LoginName>,
    /// JSON object of dialect fields.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Creation time.
    pub now: NaiveDateTime,
    /// Set for a user imported deleted (it never conflicts with a live one).
    pub deleted_at: Option<NaiveDateTime>,
}

/// A change to one user row. `None` (and [`Patch::Absent`]) leaves a column alone.
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
    pub employee_number: Patch<i64>,
    /// Set or clear the external id.
    pub external_id: Patch<String>,
    /// Set or clear the login name.
    pub login_name: Patch<LoginName>,
    /// Soft-delete at this time.
    pub deleted_at: Option<NaiveDateTime>,
    /// Kill every token issued so far (`credentials_version += 1`).
    pub bump_credentials: bool,
    /// Last successful login.
    pub last_login_at: Option<NaiveDateTime>,
    /// Set `updated_at` (every change but a login record).
    pub updated_at: Option<NaiveDateTime>,
}

/// What became of one user of [`UserRepo::insert_many`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Inserted live, with this id.
    Live(UserId),
    /// Inserted soft-deleted.
    Deleted,
    /// Not inserted: a live user, maybe an earlier one of the same call, already has its
    /// email, login name or external id.
    Skipped,
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

/// Users inside one transaction. Lookups never return soft-deleted users, except
/// [`UserRepo::principal`] and [`UserRepo::find_including_deleted`], which say so.
pub trait UserRepo {
    /// Inserts a user; a duplicate normalised email among non-deleted users is
    /// [`RepoError::DuplicateEmail`] (a login name, an external id: their own errors).
    fn insert(&mut self, user: &NewUserRecord) -> Result<User, RepoError>;
    /// Inserts users in bulk (a statement for the deleted ones, then one for the live ones, in
    /// their order); per user, what became of it. Nothing fails on a duplicate, so the
    /// transaction goes on.
    fn insert_many(&mut self, users: &[&NewUserRecord]) -> Result<Vec<Inserted>, RepoError>;
    /// A non-deleted user by id or email.
    fn find(&mut self, key: &UserKey) -> Result<Option<User>, RepoError>;
    /// A user by id whether soft-deleted or not (`true` when deleted); purged rows are gone.
    fn find_including_deleted(&mut self, id: UserId) -> Result<Option<(User, bool)>, RepoError>;
    /// Non-deleted users matching a query, in its order, one page, with the total if asked.
    fn query(&mut self, query: &Query) -> Result<Found<User>, RepoError>;
    /// Applies a change to a non-deleted user and returns it as it is now (deleted users are
    /// returned once more, by the update that deletes them).
    fn update(&mut self, id: UserId, update: &UserUpdate) -> Result<User, RepoError>;
    /// Removes a user row outright, with its codes and machine credentials (an invited user
    /// whose mail could not be sent: it never existed for anyone).
    fn purge(&mut self, user: UserId) -> Result<(), RepoError>;
    /// The credentials of a non-deleted user by normalised email.
    fn credentials(&mut self, email_normalized: &str) -> Result<Option<Credentials>, RepoError>;
    /// The credentials of a non-deleted user by id.
    fn credentials_by_id(&mut self, id: UserId) -> Result<Option<Credentials>, RepoError>;
    /// The principal fields of any user by id, deleted or not.
    fn principal(&mut self, id: UserId) -> Result<Option<PrincipalRecord>, RepoError>;
    /// How many non-deleted, active admins with a password exist.
    fn count_login_capable_admins(&mut self) -> Result<i64, RepoError>;
    /// Serialises every transaction that may reduce the set of active admins, so that two
    /// concurrent demotions cannot both see "another admin is left". (SQLite write
    /// transactions are already serial; PostgreSQL takes a transaction-scoped advisory lock.)
    fn lock_admin_set(&mut self) -> Result<(), RepoError>;
    /// Whether any non-deleted admin exists (bootstrap).
    fn any_admin(&mut self) -> Result<bool, RepoError>;
}
