//! The user service: every management operation, with its rules, in one transaction each.
//! Batches (DreamFactory's) are in `batch`, the rules shared by single and batched
//! operations in `rules`.

mod batch;
mod rules;

use std::sync::Arc;

use crate::access::{Actor, require_admin};
use crate::audit::{self, Action, Channel, Event, Target};
use crate::cache::AuthCache;
use crate::domain::{Password, UserId};
use crate::error::{Conflict, CoreError, CoreResult, Problem};
use crate::mail::MailSettings;
use crate::password::PasswordHasher;
use crate::patch::Patch;
use crate::ports::{self, Clock, NewUserRecord, UserStore, UserUpdate};
use crate::query::{Cond, Direction, Field, Found, Query};
use crate::secret::SecretDigest;
use crate::user::{NewUser, Page, User, UserChanges, UserKey};

pub(crate) use batch::{Audited, no_guard};
pub use batch::{Batch, BatchMode, Guard};
pub(crate) use rules::{Prepared, created_event, found, insert_in, update_in};
use rules::{delete_in, no_nul};

/// Creates, reads, changes and deletes users.
#[derive(Clone)]
pub struct UserService {
    pub(crate) store: Arc<dyn UserStore>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) digest: SecretDigest,
    pub(crate) mail: Option<MailSettings>,
    /// Totals of counted queries, kept while the data does not change.
    pub(crate) cache: Arc<AuthCache>,
}

impl UserService {
    /// A service over these ports; without `mail`, invitations and resets are refused.
    pub fn new(
        store: Arc<dyn UserStore>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        digest: SecretDigest,
        mail: Option<MailSettings>,
        cache: Arc<AuthCache>,
    ) -> Self {
        UserService {
            store,
            hasher,
            clock,
            digest,
            mail,
            cache,
        }
    }

    /// Creates a user. Admins only; the email must be free among non-deleted users.
    pub fn create(&self, actor: &Actor, new: NewUser) -> CoreResult<User> {
        let target = Target::user_key(&UserKey::Email(new.email.clone()));
        let result = (|| {
            require_admin(actor)?;
            let record = self.record(new)?;
            ports::write(&*self.store, |repo| insert_in(repo, actor, &record))
        })();
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::UserCreate,
            target,
            result,
        )
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
            external_id: new
                .external_id
                .as_deref()
                .map(crate::domain::external_id)
                .transpose()
                .map_err(|e| CoreError::Validation(vec![e]))?,
            login_name: new.login_name,
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
    ///
    /// A condition's total is counted once and then kept while no user or membership changes
    /// (see [`crate::cache`]): the next page of the same search costs only its page. (The
    /// unfiltered total is a stored counter already.)
    pub fn query(&self, actor: &Actor, query: &Query) -> CoreResult<Found<User>> {
        require_admin(actor)?;
        if query.cond.as_ref().is_some_and(Cond::has_nul) {
            return Err(CoreError::invalid("filter", Problem::Malformed));
        }
        let Some(cond) = query.cond.as_ref().filter(|_| query.count) else {
            return ports::read(&*self.store, |repo| Ok(repo.query(query)?));
        };
        let ticket = self.cache.totals_ticket();
        if let Some(total) = self.cache.total(cond) {
            let page = Query {
                count: false,
                ..query.clone()
            };
            let found = ports::read(&*self.store, |repo| Ok(repo.query(&page)?))?;
            return Ok(Found {
                total: Some(total),
                ..found
            });
        }
        let found = ports::read(&*self.store, |repo| Ok(repo.query(query)?))?;
        if let Some(total) = found.total {
            self.cache.put_total(ticket, cond.clone(), total);
        }
        Ok(found)
    }

    /// Changes a user. Admins only. A role, status or password change kills the user's tokens;
    /// one that would leave no active admin who can log in is refused.
    pub fn update(&self, actor: &Actor, key: &UserKey, changes: &UserChanges) -> CoreResult<User> {
        let result = (|| {
            let grant = require_admin(actor)?;
            let prepared = self.prepare(changes)?;
            let now = self.clock.now();
            ports::write(&*self.store, |repo| {
                update_in(repo, grant, actor, None, key, &prepared, &no_guard, now)
            })
        })();
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::UserUpdate,
            Target::user_key(key),
            result,
        )
    }

    /// Hashes a change's password, before any transaction.
    pub(crate) fn prepare(&self, changes: &UserChanges) -> CoreResult<Prepared> {
        no_nul("name", changes.name.as_deref())?;
        for (field, value) in changes.profile.fields() {
            no_nul(field, value.value())?;
        }
        if let Some(name) = &changes.name
            && name.trim().is_empty()
        {
            return Err(CoreError::invalid("name", Problem::Required));
        }
        if let Patch::Value(id) = &changes.external_id {
            crate::domain::external_id(id).map_err(|e| CoreError::Validation(vec![e]))?;
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

    /// Sets a user's password. Admins only. The new password must differ from the current one;
    /// every token of the user dies.
    pub fn set_password(&self, actor: &Actor, key: &UserKey, new: &Password) -> CoreResult<()> {
        let result = self.set_password_unaudited(actor, key, new);
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::UserPasswordChange,
            Target::user_key(key),
            result,
        )
    }

    fn set_password_unaudited(
        &self,
        actor: &Actor,
        key: &UserKey,
        new: &Password,
    ) -> CoreResult<()> {
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
            let after = repo.update(user.id, &update)?;
            let event = Event::new(Action::UserPasswordChange, Target::user(&after))
                .changes(audit::user_changes(&user, &after, true))
                .resource(audit::user_resource(&after));
            audit::record(repo, actor, event, now)
        })
    }

    /// Soft-deletes a user: invisible everywhere, unable to log in, never restorable, its email
    /// free again. Admins only; not one's own account; not the last active admin.
    pub fn delete(&self, actor: &Actor, key: &UserKey) -> CoreResult<()> {
        let result = (|| {
            let grant = require_admin(actor)?;
            let now = self.clock.now();
            ports::write(&*self.store, |repo| {
                delete_in(repo, grant, actor, key, &no_guard, now).map(drop)
            })
        })();
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::UserDelete,
            Target::user_key(key),
            result,
        )
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
            insert_in(repo, &Actor::system(Channel::System), &record).map(Some)
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
