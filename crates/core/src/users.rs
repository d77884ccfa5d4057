//! The user service: every management operation, with its rules, in one transaction each.

use std::sync::Arc;

use crate::access::{Actor, require_admin};
use crate::domain::Password;
use crate::error::{Conflict, CoreError, CoreResult, Denied, Problem};
use crate::password::PasswordHasher;
use crate::ports::{self, Clock, NewUserRecord, UserRepo, UserStore, UserUpdate};
use crate::query::{Direction, Field, Found, Query};
use crate::user::{NewUser, Page, User, UserChanges, UserKey};

/// Creates, reads, changes and deletes users.
#[derive(Clone)]
pub struct UserService {
    store: Arc<dyn UserStore>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
}

impl UserService {
    /// A service over these ports.
    pub fn new(
        store: Arc<dyn UserStore>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        UserService {
            store,
            hasher,
            clock,
        }
    }

    /// Creates a user. Admins only; the email must be free among non-deleted users.
    pub fn create(&self, actor: &Actor, new: NewUser) -> CoreResult<User> {
        require_admin(actor)?;
        let record = self.record(new)?;
        ports::write(&*self.store, |repo| Ok(repo.insert(&record)?))
    }

    /// The row for a new user: derived name, hashed password, creation time.
    fn record(&self, new: NewUser) -> CoreResult<NewUserRecord> {
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
        })
    }

    /// A non-deleted user. Admins only.
    pub fn get(&self, actor: &Actor, key: &UserKey) -> CoreResult<User> {
        require_admin(actor)?;
        ports::read(&*self.store, |repo| found(repo.find(key)?))
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

    /// Non-deleted users matching a query (see [`crate::query`]). Admins only.
    pub fn query(&self, actor: &Actor, query: &Query) -> CoreResult<Found<User>> {
        require_admin(actor)?;
        ports::read(&*self.store, |repo| Ok(repo.query(query)?))
    }

    /// Changes a user's email, name, role or status. Admins only. A role or status change kills
    /// the user's tokens; one that would leave no active admin who can log in is refused.
    pub fn update(&self, actor: &Actor, key: &UserKey, changes: &UserChanges) -> CoreResult<User> {
        require_admin(actor)?;
        if let Some(name) = &changes.name
            && name.trim().is_empty()
        {
            return Err(CoreError::invalid("name", Problem::Required));
        }
        let now = self.clock.now();
        ports::write(&*self.store, |repo| {
            let guarded = changes.role.is_some() || changes.status.is_some();
            if guarded {
                repo.lock_admin_set()?;
            }
            let user = found(repo.find(key)?)?;
            let role = changes.role.map(|c| c.resolve(user.role));
            let status = changes.status.map(|c| c.resolve(user.status));
            let role = role.filter(|r| *r != user.role);
            let status = status.filter(|s| *s != user.status);
            let email = changes
                .email
                .as_ref()
                .filter(|e| e.as_str() != user.email.as_str())
                .map(|e| (e.as_str().to_owned(), e.normalized().to_owned()));
            let name = changes.name.as_ref().map(|n| n.trim().to_owned());
            let name = name.filter(|n| *n != user.name);
            let after = User {
                role: role.unwrap_or(user.role),
                status: status.unwrap_or(user.status),
                ..user.clone()
            };
            if user.is_login_capable_admin() && !after.is_login_capable_admin() {
                guard_last_admin(repo)?;
            }
            let update = UserUpdate {
                bump_credentials: role.is_some() || status.is_some(),
                email,
                name,
                role,
                status,
                updated_at: Some(now),
                ..UserUpdate::default()
            };
            if is_noop(&update) {
                return Ok(user);
            }
            Ok(repo.update(user.id, &update)?)
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
            repo.lock_admin_set()?;
            let user = found(repo.find(key)?)?;
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
            Ok(())
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

/// Rule 4, asked while the target is still an active admin who can log in: refuses when it is
/// the only one.
fn guard_last_admin(repo: &mut dyn UserRepo) -> CoreResult<()> {
    if repo.count_login_capable_admins()? <= 1 {
        return Err(CoreError::Conflict(Conflict::LastAdmin));
    }
    Ok(())
}

fn found(user: Option<User>) -> CoreResult<User> {
    user.ok_or(CoreError::NotFound)
}

fn is_noop(u: &UserUpdate) -> bool {
    u.email.is_none() && u.name.is_none() && u.role.is_none() && u.status.is_none()
}
