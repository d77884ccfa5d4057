//! The user service: every management operation, with its rules, in one transaction each.

use std::sync::Arc;

use crate::access::{Actor, AdminGrant, require_admin};
use crate::domain::{Password, UserId};
use crate::error::{Conflict, CoreError, CoreResult, Denied, Problem};
use crate::mail::MailSettings;
use crate::password::PasswordHasher;
use crate::ports::{self, Clock, NewUserRecord, UserRepo, UserStore, UserUpdate};
use crate::query::{Cond, Direction, Field, Found, Query};
use crate::secret::SecretDigest;
use crate::user::{NewUser, Page, User, UserChanges, UserKey};

/// Creates, reads, changes and deletes users.
#[derive(Clone)]
pub struct UserService {
    pub(crate) store: Arc<dyn UserStore>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) digest: SecretDigest,
    pub(crate) mail: Option<MailSettings>,
}

impl UserService {
    /// A service over these ports; without `mail`, invitations and resets are refused.
    pub fn new(
        store: Arc<dyn UserStore>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        digest: SecretDigest,
        mail: Option<MailSettings>,
    ) -> Self {
        UserService {
            store,
            hasher,
            clock,
            digest,
            mail,
        }
    }

    /// Creates a user. Admins only; the email must be free among non-deleted users.
    pub fn create(&self, actor: &Actor, new: NewUser) -> CoreResult<User> {
        require_admin(actor)?;
        let record = self.record(new)?;
        ports::write(&*self.store, |repo| Ok(repo.insert(&record)?))
    }

    /// The row for a new user: derived name, hashed password, creation time.
    pub(crate) fn record(&self, new: NewUser) -> CoreResult<NewUserRecord> {
        no_nul("name", new.name.as_deref())?;
        for (field, value) in new.profile.fields() {
            no_nul(field, value)?;
        }
        let name = new.derived_name();
        let password_hash = new
            .password
            .as_ref()
            .map(|p| self.hasher.hash(p))
            .transpose()?;
        Ok(NewUserRecord {
            email: new.email.as_str().to_owned(),
            email_normalized: new.email.normalized().to_owned(),
            name,
            profile: new.profile,
            role: new.role,
            status: new.status,
            password_hash,
            employee_number: new.employee_number,
            attributes: new.attributes,
            now: self.clock.now(),
            deleted_at: None,
        })
    }

    /// Whether the actor may manage users (for dialect endpoints that touch no user but are
    /// for admins only).
    pub fn check_admin(&self, actor: &Actor) -> CoreResult<()> {
        require_admin(actor).map(drop)
    }

    /// A non-deleted user. Admins only.
    pub fn get(&self, actor: &Actor, key: &UserKey) -> CoreResult<User> {
        require_admin(actor)?;
        ports::read(&*self.store, |repo| found(repo.find(key)?))
    }

    /// A user by id, or what may still be said of a soft-deleted one (its id and name: Domo's
    /// named exception to "deleted users are invisible"). Admins only.
    pub fn get_or_deleted(&self, actor: &Actor, id: UserId) -> CoreResult<Lookup> {
        require_admin(actor)?;
        match ports::read(&*self.store, |repo| Ok(repo.find_including_deleted(id)?))? {
            Some((user, false)) => Ok(Lookup::Live(Box::new(user))),
            Some((user, true)) => Ok(Lookup::Deleted {
                id: user.id,
                name: user.name,
            }),
            None => Err(CoreError::NotFound),
        }
    }

    /// Non-deleted users in creation order. Admins only.
    pub fn list(&self, actor: &Actor, page: Page) -> CoreResult<Vec<User>> {
        let by_creation = Query {
            cond: None,
            order: vec![(Field::CreatedAt, Direction::Asc)],
            page,
            count: false,
        };
        self.query(actor, &by_creation).map(|found| found.items)
    }

    /// Non-deleted users matching a query (see [`crate::query`]). Admins only. A text value
    /// with a NUL character is refused: no stored text can hold one.
    pub fn query(&self, actor: &Actor, query: &Query) -> CoreResult<Found<User>> {
        require_admin(actor)?;
        if query.cond.as_ref().is_some_and(Cond::has_nul) {
            return Err(CoreError::invalid("filter", Problem::Malformed));
        }
        ports::read(&*self.store, |repo| Ok(repo.query(query)?))
    }

    /// Changes a user. Admins only. A role, status or password change kills the user's tokens;
    /// one that would leave no active admin who can log in is refused.
    pub fn update(&self, actor: &Actor, key: &UserKey, changes: &UserChanges) -> CoreResult<User> {
        let grant = require_admin(actor)?;
        let prepared = self.prepare(changes)?;
        let now = self.clock.now();
        ports::write(&*self.store, |repo| {
            update_in(repo, grant, key, &prepared, &no_guard, now)
        })
    }

    /// Hashes a change's password, before any transaction.
    fn prepare(&self, changes: &UserChanges) -> CoreResult<Prepared> {
        no_nul("name", changes.name.as_deref())?;
        for (field, value) in changes.profile.fields() {
            no_nul(field, value)?;
        }
        if let Some(name) = &changes.name
            && name.trim().is_empty()
        {
            return Err(CoreError::invalid("name", Problem::Required));
        }
        Ok(Prepared {
            hash: changes
                .password
                .as_ref()
                .map(|p| self.hasher.hash(p))
                .transpose()?,
            changes: UserChanges {
                password: None,
                ..changes.clone()
            },
        })
    }

    /// Creates users, one record after another, as `mode` says. Admins only (checked once).
    pub fn create_batch(
        &self,
        actor: &Actor,
        items: Vec<CoreResult<NewUser>>,
        mode: BatchMode,
    ) -> CoreResult<Batch<User>> {
        require_admin(actor)?;
        let records: Vec<CoreResult<NewUserRecord>> = items
            .into_iter()
            .map(|i| i.and_then(|new| self.record(new)))
            .collect();
        self.run_batch(records, mode, |repo, record| Ok(repo.insert(record)?))
    }

    /// Changes users, as `mode` says; `guard` may refuse a target inside the transaction (an
    /// endpoint that manages one kind of user). Admins only (checked once).
    pub fn update_batch(
        &self,
        actor: &Actor,
        items: Vec<CoreResult<(UserKey, UserChanges)>>,
        guard: &Guard,
        mode: BatchMode,
    ) -> CoreResult<Batch<User>> {
        let grant = require_admin(actor)?;
        let prepared: Vec<CoreResult<(UserKey, Prepared)>> = items
            .into_iter()
            .map(|i| i.and_then(|(key, changes)| Ok((key, self.prepare(&changes)?))))
            .collect();
        let now = self.clock.now();
        self.run_batch(prepared, mode, |repo, (key, p)| {
            update_in(repo, grant, key, p, guard, now)
        })
    }

    /// Soft-deletes users, as `mode` says; each result is the user as it was. Admins only.
    pub fn delete_batch(
        &self,
        actor: &Actor,
        items: Vec<CoreResult<UserKey>>,
        guard: &Guard,
        mode: BatchMode,
    ) -> CoreResult<Batch<User>> {
        let grant = require_admin(actor)?;
        let now = self.clock.now();
        self.run_batch(items, mode, |repo, key| {
            delete_in(repo, grant, key, guard, now)
        })
    }

    /// Runs `op` over the items: each in its own transaction (stopping at the first failure
    /// unless `Continue`), or all in one that a failure rolls back (`Rollback`).
    pub(crate) fn run_batch<I, T>(
        &self,
        items: Vec<CoreResult<I>>,
        mode: BatchMode,
        op: impl Fn(&mut dyn UserRepo, &I) -> CoreResult<T>,
    ) -> CoreResult<Batch<T>> {
        let mut results = Vec::with_capacity(items.len());
        if mode == BatchMode::Rollback {
            let mut failed = false;
            let outcome = self.store.write(&mut |repo| {
                results.clear();
                for item in &items {
                    let r = match item {
                        Ok(i) => op(repo, i),
                        Err(e) => Err(clone_error(e)),
                    };
                    let bad = r.is_err();
                    results.push(r);
                    if bad {
                        failed = true;
                        return Err(CoreError::Internal("batch rolled back".into()));
                    }
                }
                Ok(())
            });
            if !failed {
                outcome?;
            }
            return Ok(Batch {
                results,
                rolled_back: failed,
            });
        }
        for item in &items {
            let r = match item {
                Ok(i) => ports::write(&*self.store, |repo| op(repo, i)),
                Err(e) => Err(clone_error(e)),
            };
            let bad = r.is_err();
            results.push(r);
            if bad && mode == BatchMode::Stop {
                break;
            }
        }
        Ok(Batch {
            results,
            rolled_back: false,
        })
    }

    /// Sets a user's password. Admins only. The new password must differ from the current one;
    /// every token of the user dies.
    pub fn set_password(&self, actor: &Actor, key: &UserKey, new: &Password) -> CoreResult<()> {
        require_admin(actor)?;
        let current = ports::read(&*self.store, |repo| {
            let user = found(repo.find(key)?)?;
            Ok(repo.credentials_by_id(user.id)?)
        })?
        .ok_or(CoreError::NotFound)?;
        if let Some(hash) = &current.password_hash
            && self.hasher.verify(new.expose(), hash)
        {
            return Err(CoreError::Conflict(Conflict::SamePassword));
        }
        let hash = self.hasher.hash(new)?;
        let now = self.clock.now();
        ports::write(&*self.store, |repo| {
            let update = UserUpdate {
                password_hash: Some(hash.clone()),
                bump_credentials: true,
                updated_at: Some(now),
                ..UserUpdate::default()
            };
            // The user may have been deleted since the read: `find` again inside the write.
            let user = found(repo.find(&UserKey::Id(current.id))?)?;
            repo.update(user.id, &update)?;
            Ok(())
        })
    }

    /// Soft-deletes a user: invisible everywhere, unable to log in, never restorable, its email
    /// free again. Admins only; not one's own account; not the last active admin.
    pub fn delete(&self, actor: &Actor, key: &UserKey) -> CoreResult<()> {
        let grant = require_admin(actor)?;
        let now = self.clock.now();
        ports::write(&*self.store, |repo| {
            delete_in(repo, grant, key, &no_guard, now).map(drop)
        })
    }

    /// Creates the first admin if no admin exists at all (first start). Returns the new user, or
    /// `None` when an admin already exists. The check and the insert are one transaction under
    /// the admin-set lock, so instances starting together create one admin.
    pub fn bootstrap_admin(&self, new: NewUser) -> CoreResult<Option<User>> {
        if ports::read(&*self.store, |repo| Ok(repo.any_admin()?))? {
            return Ok(None);
        }
        let record = self.record(NewUser {
            role: crate::domain::Role::Admin,
            status: crate::domain::Status::Active,
            ..new
        })?;
        ports::write(&*self.store, |repo| {
            repo.lock_admin_set()?;
            if repo.any_admin()? {
                return Ok(None);
            }
            Ok(Some(repo.insert(&record)?))
        })
    }
}

/// A user, or the trace of a soft-deleted one.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Not deleted.
    Live(Box<User>),
    /// Soft-deleted: only its id and name are told.
    Deleted {
        /// The id.
        id: UserId,
        /// The name it had.
        name: String,
    },
}

/// How a batch treats a failing record (DreamFactory's `continue` and `rollback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchMode {
    /// Stop at the first failure; earlier records stay done.
    Stop,
    /// Go on after failures; every successful record stays done.
    Continue,
    /// Stop at the first failure and undo every record of the batch.
    Rollback,
}

/// What a batch did: one result per record processed (records after a stop are absent).
#[derive(Debug)]
pub struct Batch<T> {
    /// Per record, in order.
    pub results: Vec<CoreResult<T>>,
    /// Whether a failure undid the whole batch (its successes are not kept).
    pub rolled_back: bool,
}

/// A check of the target of an update or delete, inside its transaction.
pub type Guard = dyn Fn(&User) -> CoreResult<()> + Sync;

pub(crate) fn no_guard(_: &User) -> CoreResult<()> {
    Ok(())
}

/// Changes with the password already hashed.
pub(crate) struct Prepared {
    pub(crate) changes: UserChanges,
    pub(crate) hash: Option<String>,
}

/// One update inside a transaction: rules, coarse values, the last-admin guard.
pub(crate) fn update_in(
    repo: &mut dyn UserRepo,
    _admin: AdminGrant,
    key: &UserKey,
    p: &Prepared,
    guard: &Guard,
    now: chrono::NaiveDateTime,
) -> CoreResult<User> {
    let changes = &p.changes;
    if changes.role.is_some() || changes.status.is_some() {
        repo.lock_admin_set()?;
    }
    let user = found(repo.find(key)?)?;
    guard(&user)?;
    let role = changes
        .role
        .map(|c| c.resolve(user.role))
        .filter(|r| *r != user.role);
    let status = changes
        .status
        .map(|c| c.resolve(user.status))
        .filter(|s| *s != user.status);
    let email = changes
        .email
        .as_ref()
        .filter(|e| e.as_str() != user.email.as_str())
        .map(|e| (e.as_str().to_owned(), e.normalized().to_owned()));
    let name = changes
        .name
        .as_ref()
        .map(|n| n.trim().to_owned())
        .filter(|n| *n != user.name);
    let profile = changes.profile.against(&user.profile);
    let attributes = (!changes.attributes.is_empty()).then(|| {
        let mut merged = user.attributes.clone();
        for (k, v) in &changes.attributes {
            if v.is_null() {
                merged.remove(k);
            } else {
                merged.insert(k.clone(), v.clone());
            }
        }
        merged
    });
    let attributes = attributes.filter(|a| *a != user.attributes);
    let employee_number = changes
        .employee_number
        .filter(|n| *n != user.employee_number);
    let after = User {
        role: role.unwrap_or(user.role),
        status: status.unwrap_or(user.status),
        ..user.clone()
    };
    if user.is_login_capable_admin() && !after.is_login_capable_admin() {
        guard_last_admin(repo)?;
    }
    let update = UserUpdate {
        bump_credentials: role.is_some() || status.is_some() || p.hash.is_some(),
        email,
        name,
        role,
        status,
        password_hash: p.hash.clone(),
        profile,
        attributes,
        employee_number,
        updated_at: Some(now),
        ..UserUpdate::default()
    };
    if is_noop(&update) {
        return Ok(user);
    }
    Ok(repo.update(user.id, &update)?)
}

/// One soft delete inside a transaction; returns the user as it was.
fn delete_in(
    repo: &mut dyn UserRepo,
    grant: AdminGrant,
    key: &UserKey,
    guard: &Guard,
    now: chrono::NaiveDateTime,
) -> CoreResult<User> {
    repo.lock_admin_set()?;
    let user = found(repo.find(key)?)?;
    guard(&user)?;
    if grant.user == Some(user.id) {
        return Err(CoreError::Forbidden(Denied::OwnAccount));
    }
    if user.is_login_capable_admin() {
        guard_last_admin(repo)?;
    }
    let update = UserUpdate {
        deleted_at: Some(now),
        bump_credentials: true,
        updated_at: Some(now),
        ..UserUpdate::default()
    };
    repo.update(user.id, &update)?;
    Ok(user)
}

/// A copy of an error, for a batch record that failed before its turn (core errors carry no
/// resources, so this loses nothing).
pub(crate) fn clone_error(e: &CoreError) -> CoreError {
    match e {
        CoreError::Validation(v) => CoreError::Validation(v.clone()),
        CoreError::NotFound => CoreError::NotFound,
        CoreError::Conflict(c) => CoreError::Conflict(*c),
        CoreError::Unauthenticated(f) => CoreError::Unauthenticated(*f),
        CoreError::Forbidden(d) => CoreError::Forbidden(*d),
        CoreError::RateLimited { retry_after } => CoreError::RateLimited {
            retry_after: *retry_after,
        },
        CoreError::MailUnavailable(m) => CoreError::MailUnavailable(m.clone()),
        CoreError::MailFailed(m) => CoreError::MailFailed(m.clone()),
        CoreError::CodeExpired => CoreError::CodeExpired,
        CoreError::Internal(m) => CoreError::Internal(m.clone()),
    }
}

/// Rule 4, asked while the target is still an active admin who can log in: refuses when it is
/// the only one.
fn guard_last_admin(repo: &mut dyn UserRepo) -> CoreResult<()> {
    if repo.count_login_capable_admins()? <= 1 {
        return Err(CoreError::Conflict(Conflict::LastAdmin));
    }
    Ok(())
}

/// Text with a NUL character is refused: PostgreSQL cannot store one, and no client means one.
fn no_nul(field: &'static str, value: Option<&str>) -> CoreResult<()> {
    if value.is_some_and(|v| v.contains('\0')) {
        return Err(CoreError::invalid(field, Problem::Malformed));
    }
    Ok(())
}

pub(crate) fn found(user: Option<User>) -> CoreResult<User> {
    user.ok_or(CoreError::NotFound)
}

fn is_noop(u: &UserUpdate) -> bool {
    u.email.is_none()
        && u.name.is_none()
        && u.role.is_none()
        && u.status.is_none()
        && u.password_hash.is_none()
        && u.profile.is_empty()
        && u.attributes.is_none()
        && u.employee_number.is_none()
}
