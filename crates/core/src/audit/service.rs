//! Reading the audit log (admins and the operator) and pruning it by age.

use std::sync::Arc;

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use crate::access::{Actor, require_admin};
use crate::error::{CoreError, CoreResult, Problem};
pub use crate::ports::AuditEvent;
use crate::ports::{self, AuditFilter, Clock, Cursor, UserStore};

use super::{Action, Event, Target, record};

/// The most events one page holds.
pub const MAX_AUDIT_PAGE: u32 = 500;

/// Events pruned per transaction, so that pruning never holds a long lock.
const PRUNE_BATCH: u32 = 5_000;

/// A read of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// The filters.
    pub filter: AuditFilter,
    /// Where to start, and in which order.
    pub cursor: Cursor,
    /// How many at most (1 to [`MAX_AUDIT_PAGE`]).
    pub limit: u32,
}

/// The audit log, read and pruned.
#[derive(Clone)]
pub struct AuditService {
    pub(crate) store: Arc<dyn UserStore>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl AuditService {
    /// A service over these ports.
    pub fn new(store: Arc<dyn UserStore>, clock: Arc<dyn Clock>) -> Self {
        AuditService { store, clock }
    }

    /// One page of events. Admins only; `limit` must be 1 to [`MAX_AUDIT_PAGE`].
    pub fn list(&self, actor: &Actor, query: &AuditQuery) -> CoreResult<Vec<AuditEvent>> {
        require_admin(actor)?;
        if query.limit == 0 || query.limit > MAX_AUDIT_PAGE {
            return Err(CoreError::invalid(
                "limit",
                Problem::OutOfRange {
                    min: 1,
                    max: i64::from(MAX_AUDIT_PAGE),
                },
            ));
        }
        let f = &query.filter;
        let text = [
            &f.actor,
            &f.target_type,
            &f.target_id,
            &f.action,
            &f.outcome,
        ];
        if text
            .iter()
            .any(|v| v.as_ref().is_some_and(|v| v.contains('\0')))
        {
            return Err(CoreError::invalid("filter", Problem::Malformed));
        }
        ports::read(&*self.store, |repo| {
            Ok(repo.events(&query.filter, query.cursor, query.limit)?)
        })
    }

    /// Deletes the events older than `keep` (in batches, each its own transaction) and records
    /// one `audit.prune` event when any went; how many went. Admins and the operator only.
    /// Another instance pruning at the same time makes this one stop (PostgreSQL).
    pub fn prune(&self, actor: &Actor, keep: std::time::Duration) -> CoreResult<u64> {
        require_admin(actor)?;
        let keep = Duration::from_std(keep)
            .map_err(|_| CoreError::invalid("retention", Problem::Malformed))?;
        let now = self.clock.now();
        let before: NaiveDateTime = now.checked_sub_signed(keep).unwrap_or(NaiveDateTime::MIN);
        let mut total = 0u64;
        loop {
            let pruned = ports::write(&*self.store, |repo| {
                if !repo.try_lock_pruning()? {
                    return Ok(None);
                }
                Ok(Some(repo.prune_events(before, PRUNE_BATCH)?))
            })?;
            match pruned {
                Some(n) => {
                    total += n;
                    if n < u64::from(PRUNE_BATCH) {
                        break;
                    }
                }
                None => break,
            }
        }
        if total > 0 {
            let event = Event::new(Action::AuditPrune, Target::none()).changes(
                json!({"pruned": total, "before": super::diff::iso(before)})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
            ports::write(&*self.store, |repo| record(repo, actor, event.clone(), now))?;
        }
        Ok(total)
    }
}
