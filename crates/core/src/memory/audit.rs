//! The audit port in memory.

use chrono::NaiveDateTime;

use crate::ports::{AuditEvent, AuditFilter, AuditRepo, Cursor, NewAuditEvent, RepoError};

use super::Tx;

impl AuditRepo for Tx<'_> {
    fn append_event(&mut self, e: &NewAuditEvent) -> Result<i64, RepoError> {
        let id = self.events.last().map_or(1, |l| l.id + 1);
        let actor_email = e.actor_email.clone().or_else(|| {
            let actor = e.actor_id.as_deref()?;
            self.rows
                .iter()
                .find(|r| r.user.id.to_string() == actor)
                .map(|r| r.user.email.as_str().to_owned())
        });
        self.events.push(AuditEvent {
            id,
            occurred_at: e.occurred_at,
            instance_id: e.instance_id.clone(),
            request_id: e.request_id.clone(),
            dialect: e.dialect.into(),
            actor_type: e.actor_type.into(),
            actor_id: e.actor_id.clone(),
            actor_email,
            credential_id: e.credential_id.clone(),
            action: e.action.into(),
            event_type: e.event_type.map(Into::into),
            outcome: e.outcome.into(),
            error_code: e.error_code.clone(),
            target_type: e.target_type.map(Into::into),
            target_id: e.target_id.clone(),
            target_email: e.target_email.clone(),
            changes: e.changes.clone(),
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
            resource: e.resource.clone(),
        });
        if let Some(kind) = e.event_type {
            self.fan_out(id, kind)?;
        }
        Ok(id)
    }

    fn append_events(&mut self, events: &[NewAuditEvent]) -> Result<Vec<i64>, RepoError> {
        events.iter().map(|e| self.append_event(e)).collect()
    }

    fn events(
        &mut self,
        f: &AuditFilter,
        cursor: Cursor,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, RepoError> {
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have == Some(w))
        };
        let keep = |e: &&AuditEvent| {
            f.since.is_none_or(|t| e.occurred_at >= t)
                && f.until.is_none_or(|t| e.occurred_at < t)
                && f.actor.as_deref().is_none_or(|a| {
                    [&e.actor_id, &e.actor_email, &e.credential_id]
                        .iter()
                        .any(|v| v.as_deref() == Some(a))
                })
                && eq(&f.target_type, e.target_type.as_deref())
                && eq(&f.target_id, e.target_id.as_deref())
                && eq(&f.action, Some(&e.action))
                && eq(&f.outcome, Some(&e.outcome))
        };
        let page = match cursor {
            Cursor::Before(before) => self
                .events
                .iter()
                .rev()
                .filter(|e| before.is_none_or(|b| e.id < b))
                .filter(keep)
                .take(limit as usize)
                .cloned()
                .collect(),
            Cursor::After(after) => self
                .events
                .iter()
                .filter(|e| e.id > after)
                .filter(keep)
                .take(limit as usize)
                .cloned()
                .collect(),
        };
        Ok(page)
    }

    fn prune_events(&mut self, before: NaiveDateTime, limit: u32) -> Result<u64, RepoError> {
        let mut n = 0u64;
        self.events.retain(|e| {
            let go = e.occurred_at < before && n < u64::from(limit);
            n += u64::from(go);
            !go
        });
        Ok(n)
    }

    fn try_lock_pruning(&mut self) -> Result<bool, RepoError> {
        Ok(true)
    }
}
