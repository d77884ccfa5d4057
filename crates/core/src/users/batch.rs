//! Batches: DreamFactory writes lists of records, each its own operation, with three ways to
//! treat a failing record.

use crate::access::{Actor, AdminGrant, require_admin};
use crate::audit::{Action, Event, Target};
use crate::error::{CoreError, CoreResult};
use crate::ports::{self, NewUserRecord, Repos};
use crate::user::{NewUser, User, UserChanges, UserKey};

use super::UserService;
use super::rules::{Prepared, delete_in, insert_in, update_in};

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
pub type Guard<'a> = dyn Fn(&User) -> CoreResult<()> + Sync + 'a;

pub(crate) fn no_guard(_: &User) -> CoreResult<()> {
    Ok(())
}

impl UserService {
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
        let audit = Audited {
            actor,
            action: Action::UserCreate,
            target: &|r: &NewUserRecord| Target {
                email: Some(r.email.clone()),
                ..Target::none_user()
            },
        };
        self.run_batch(&audit, records, mode, |repo, record| {
            insert_in(repo, actor, record)
        })
    }

    /// Changes users, as `mode` says; `guard` may refuse a target inside the transaction (an
    /// endpoint that manages one kind of user). Admins only (checked once).
    pub fn update_batch(
        &self,
        actor: &Actor,
        items: Vec<CoreResult<(UserKey, UserChanges)>>,
        guard: &Guard<'_>,
        mode: BatchMode,
    ) -> CoreResult<Batch<User>> {
        let grant = require_admin(actor)?;
        self.update_each(grant, actor, None, items, guard, mode, |_, _| Ok(()))
    }

    /// Changes users as `mode` says, `then` doing more in each change's transaction; `action`
    /// names their events when the diff does not (a re-sent invitation).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn update_each(
        &self,
        grant: AdminGrant,
        actor: &Actor,
        action: Option<Action>,
        items: Vec<CoreResult<(UserKey, UserChanges)>>,
        guard: &Guard<'_>,
        mode: BatchMode,
        then: impl Fn(&mut dyn Repos, &User) -> CoreResult<()>,
    ) -> CoreResult<Batch<User>> {
        let prepared: Vec<CoreResult<(UserKey, Prepared)>> = items
            .into_iter()
            .map(|i| i.and_then(|(key, changes)| Ok((key, self.prepare(&changes)?))))
            .collect();
        let now = self.clock.now();
        let audit = Audited {
            actor,
            action: action.unwrap_or(Action::UserUpdate),
            target: &|(key, _): &(UserKey, Prepared)| Target::user_key(key),
        };
        self.run_batch(&audit, prepared, mode, |repo, (key, p)| {
            let user = update_in(repo, grant, actor, action, key, p, guard, now)?;
            then(repo, &user)?;
            Ok(user)
        })
    }

    /// Soft-deletes users, as `mode` says; each result is the user as it was. Admins only.
    pub fn delete_batch(
        &self,
        actor: &Actor,
        items: Vec<CoreResult<UserKey>>,
        guard: &Guard<'_>,
        mode: BatchMode,
    ) -> CoreResult<Batch<User>> {
        let grant = require_admin(actor)?;
        let now = self.clock.now();
        let audit = Audited {
            actor,
            action: Action::UserDelete,
            target: &Target::user_key,
        };
        self.run_batch(&audit, items, mode, |repo, key| {
            delete_in(repo, grant, actor, key, guard, now)
        })
    }

    /// Runs `op` over the items: each in its own transaction (stopping at the first failure
    /// unless `Continue`), or all in one that a failure rolls back (`Rollback`). Each failed
    /// record leaves its failure event; a rolled-back batch leaves no success event.
    pub(crate) fn run_batch<I, T>(
        &self,
        audit: &Audited<'_, I>,
        items: Vec<CoreResult<I>>,
        mode: BatchMode,
        op: impl Fn(&mut dyn Repos, &I) -> CoreResult<T>,
    ) -> CoreResult<Batch<T>> {
        let mut results = Vec::with_capacity(items.len());
        if mode == BatchMode::Rollback {
            let mut failed = false;
            let outcome = self.store.write(&mut |repo| {
                results.clear();
                for item in &items {
                    let r = match item {
                        Ok(i) => op(repo, i),
                        Err(e) => Err(e.clone()),
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
            if let Some((i, Err(e))) = results.iter().enumerate().last() {
                audit.failed(self, items.get(i), e);
            }
            return Ok(Batch {
                results,
                rolled_back: failed,
            });
        }
        for item in &items {
            let r = match item {
                Ok(i) => ports::write(&*self.store, |repo| op(repo, i)),
                Err(e) => Err(e.clone()),
            };
            if let Err(e) = &r {
                audit.failed(self, Some(item), e);
            }
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
}

/// How a batch records the failure of one of its records.
pub(crate) struct Audited<'a, I> {
    pub(crate) actor: &'a Actor,
    pub(crate) action: Action,
    pub(crate) target: &'a dyn Fn(&I) -> Target,
}

impl<I> Audited<'_, I> {
    fn failed(&self, service: &UserService, item: Option<&CoreResult<I>>, e: &CoreError) {
        let target = match item {
            Some(Ok(i)) => (self.target)(i),
            _ => Target::none_user(),
        };
        let event = Event::new(self.action, target);
        crate::audit::record_failure(&*service.store, self.actor, event, e, service.clock.now());
    }
}
