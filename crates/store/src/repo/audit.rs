//! The audit port: `audit_events` rows, appended, read by keyset, pruned by age.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use usergate_core::ports::{AuditEvent, AuditFilter, AuditRepo, Cursor, NewAuditEvent, RepoError};

use super::Repo;
use crate::db::DbConnection;
use crate::error::{Db, StoreError};
use crate::schema::{audit_events as t, users};

/// The key of the PostgreSQL advisory lock one pruning transaction holds at a time.
const PRUNE_LOCK: i64 = 0x7573_6572_6761_7403;

#[derive(Insertable)]
#[diesel(table_name = t)]
// SQLite's multi-row insert has no DEFAULT.
#[diesel(treat_none_as_default_value = false)]
struct NewRow<'a> {
    occurred_at: NaiveDateTime,
    instance_id: &'a str,
    request_id: Option<&'a str>,
    dialect: &'a str,
    actor_type: &'a str,
    actor_id: Option<&'a str>,
    actor_email: Option<&'a str>,
    credential_id: Option<&'a str>,
    action: &'a str,
    event_type: Option<&'a str>,
    outcome: &'a str,
    error_code: Option<&'a str>,
    target_type: Option<&'a str>,
    target_id: Option<&'a str>,
    target_email: Option<&'a str>,
    changes: String,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    resource: Option<String>,
}

impl<'a> From<&'a NewAuditEvent> for NewRow<'a> {
    fn from(e: &'a NewAuditEvent) -> Self {
        NewRow {
            occurred_at: e.occurred_at,
            instance_id: &e.instance_id,
            request_id: e.request_id.as_deref(),
            dialect: e.dialect,
            actor_type: e.actor_type,
            actor_id: e.actor_id.as_deref(),
            actor_email: e.actor_email.as_deref(),
            credential_id: e.credential_id.as_deref(),
            action: e.action,
            event_type: e.event_type,
            outcome: e.outcome,
            error_code: e.error_code.as_deref(),
            target_type: e.target_type,
            target_id: e.target_id.as_deref(),
            target_email: e.target_email.as_deref(),
            changes: e.changes.to_string(),
            ip: e.ip.as_deref(),
            user_agent: e.user_agent.as_deref(),
            resource: e.resource.as_ref().map(ToString::to_string),
        }
    }
}

/// A row, in `all_columns` order.
#[derive(Queryable)]
struct Row {
    id: i64,
    occurred_at: NaiveDateTime,
    instance_id: String,
    request_id: Option<String>,
    dialect: String,
    actor_type: String,
    actor_id: Option<String>,
    actor_email: Option<String>,
    credential_id: Option<String>,
    action: String,
    event_type: Option<String>,
    outcome: String,
    error_code: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    target_email: Option<String>,
    changes: String,
    ip: Option<String>,
    user_agent: Option<String>,
    resource: Option<String>,
}

impl TryFrom<Row> for AuditEvent {
    type Error = RepoError;

    fn try_from(r: Row) -> Result<Self, RepoError> {
        let json = |text: &str| {
            serde_json::from_str(text).map_err(|e| {
                RepoError::from(StoreError::Corrupt(format!("audit event {}: {e}", r.id)))
            })
        };
        Ok(AuditEvent {
            id: r.id,
            occurred_at: r.occurred_at,
            changes: json(&r.changes)?,
            resource: r.resource.as_deref().map(json).transpose()?,
            instance_id: r.instance_id,
            request_id: r.request_id,
            dialect: r.dialect,
            actor_type: r.actor_type,
            actor_id: r.actor_id,
            actor_email: r.actor_email,
            credential_id: r.credential_id,
            action: r.action,
            event_type: r.event_type,
            outcome: r.outcome,
            error_code: r.error_code,
            target_type: r.target_type,
            target_id: r.target_id,
            target_email: r.target_email,
            ip: r.ip,
            user_agent: r.user_agent,
        })
    }
}

/// The events with these ids, in id order.
pub(super) fn events_by_id(repo: &mut Repo<'_>, ids: &[i64]) -> Result<Vec<AuditEvent>, RepoError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = t::table
        .filter(t::id.eq_any(ids))
        .order(t::id)
        .load(repo.0)
        .db()?;
    rows.into_iter().map(AuditEvent::try_from).collect()
}

impl AuditRepo for Repo<'_> {
    fn append_event(&mut self, e: &NewAuditEvent) -> Result<i64, RepoError> {
        // The acting user's address, when core did not have it at hand, is copied from the
        // user's row by the insert itself: no round trip reads it first.
        let actor = e.actor_id.as_deref().and_then(|a| a.parse::<i64>().ok());
        let looked_up = users::table
            .filter(users::id.eq(actor.unwrap_or(0)))
            .select(users::email)
            .single_value();
        let values = (
            (
                t::occurred_at.eq(e.occurred_at),
                t::instance_id.eq(&e.instance_id),
                t::request_id.eq(e.request_id.as_deref()),
                t::dialect.eq(e.dialect),
                t::actor_type.eq(e.actor_type),
                t::actor_id.eq(e.actor_id.as_deref()),
                t::credential_id.eq(e.credential_id.as_deref()),
                t::action.eq(e.action),
                t::event_type.eq(e.event_type),
                t::outcome.eq(e.outcome),
            ),
            (
                t::error_code.eq(e.error_code.as_deref()),
                t::target_type.eq(e.target_type),
                t::target_id.eq(e.target_id.as_deref()),
                t::target_email.eq(e.target_email.as_deref()),
                t::changes.eq(e.changes.to_string()),
                t::ip.eq(e.ip.as_deref()),
                t::user_agent.eq(e.user_agent.as_deref()),
                t::resource.eq(e.resource.as_ref().map(ToString::to_string)),
            ),
        );
        match (&e.actor_email, actor) {
            (None, Some(_)) => diesel::insert_into(t::table)
                .values((values, t::actor_email.eq(looked_up)))
                .returning(t::id)
                .get_result(self.0),
            (email, _) => diesel::insert_into(t::table)
                .values((values, t::actor_email.eq(email.as_deref())))
                .returning(t::id)
                .get_result(self.0),
        }
        .db()
    }

    fn append_events(&mut self, events: &[NewAuditEvent]) -> Result<Vec<i64>, RepoError> {
        // Bound parameters per statement stay well under SQLite's and PostgreSQL's limits.
        // The acting users' addresses, when core did not have them at hand: one read for every
        // actor of the call (in practice one: an import's admin).
        let wanted: Vec<i64> = events
            .iter()
            .filter(|e| e.actor_email.is_none())
            .filter_map(|e| e.actor_id.as_deref()?.parse::<i64>().ok())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let emails: std::collections::HashMap<String, String> = if wanted.is_empty() {
            std::collections::HashMap::new()
        } else {
            users::table
                .filter(users::id.eq_any(&wanted))
                .select((users::id, users::email))
                .load::<(i64, String)>(self.0)
                .db()?
                .into_iter()
                .map(|(id, email)| (id.to_string(), email))
                .collect()
        };
        let mut ids = Vec::with_capacity(events.len());
        for chunk in events.chunks(500) {
            let rows: Vec<NewRow<'_>> = chunk
                .iter()
                .map(|e| {
                    let mut row = NewRow::from(e);
                    if row.actor_email.is_none() {
                        row.actor_email = e
                            .actor_id
                            .as_deref()
                            .and_then(|a| emails.get(a))
                            .map(String::as_str);
                    }
                    row
                })
                .collect();
            let mut got: Vec<i64> = match &mut *self.0 {
                DbConnection::Pg(c) => diesel::insert_into(t::table)
                    .values(&rows)
                    .returning(t::id)
                    .get_results(c),
                DbConnection::Sqlite(c) => diesel::insert_into(t::table)
                    .values(&rows)
                    .returning(t::id)
                    .get_results(c),
            }
            .db()?;
            // RETURNING does not promise the rows' order: the ids are increasing, as the rows.
            got.sort_unstable();
            ids.extend(got);
        }
        Ok(ids)
    }

    fn events(
        &mut self,
        f: &AuditFilter,
        cursor: Cursor,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, RepoError> {
        let mut q = t::table.into_boxed();
        q = match cursor {
            Cursor::Before(None) => q.order(t::id.desc()),
            Cursor::Before(Some(id)) => q.filter(t::id.lt(id)).order(t::id.desc()),
            Cursor::After(id) => q.filter(t::id.gt(id)).order(t::id.asc()),
        };
        if let Some(since) = f.since {
            q = q.filter(t::occurred_at.ge(since));
        }
        if let Some(until) = f.until {
            q = q.filter(t::occurred_at.lt(until));
        }
        if let Some(a) = &f.actor {
            q = q.filter(
                t::actor_id
                    .eq(a)
                    .or(t::actor_email.eq(a))
                    .or(t::credential_id.eq(a)),
            );
        }
        if let Some(v) = &f.target_type {
            q = q.filter(t::target_type.eq(v));
        }
        if let Some(v) = &f.target_id {
            q = q.filter(t::target_id.eq(v));
        }
        if let Some(v) = &f.action {
            q = q.filter(t::action.eq(v));
        }
        if let Some(v) = &f.outcome {
            q = q.filter(t::outcome.eq(v));
        }
        let rows: Vec<Row> = q.limit(i64::from(limit)).load(self.0).db()?;
        rows.into_iter().map(AuditEvent::try_from).collect()
    }

    fn prune_events(&mut self, before: NaiveDateTime, limit: u32) -> Result<u64, RepoError> {
        // The ids first, then one delete by id: the oldest first, at most `limit` of them.
        let oldest: Vec<i64> = t::table
            .filter(t::occurred_at.lt(before))
            .order(t::id)
            .select(t::id)
            .limit(i64::from(limit))
            .load(self.0)
            .db()?;
        let n = diesel::delete(t::table.filter(t::id.eq_any(&oldest)))
            .execute(self.0)
            .db()?;
        Ok(n as u64)
    }

    fn try_lock_pruning(&mut self) -> Result<bool, RepoError> {
        match self.0 {
            DbConnection::Pg(c) => {
                #[derive(QueryableByName)]
                struct Locked {
                    #[diesel(sql_type = diesel::sql_types::Bool)]
                    locked: bool,
                }
                let got: Locked = diesel::sql_query(format!(
                    "SELECT pg_try_advisory_xact_lock({PRUNE_LOCK}) AS locked"
                ))
                .get_result(c)
                .db()?;
                Ok(got.locked)
            }
            DbConnection::Sqlite(_) => Ok(true),
        }
    }
}
