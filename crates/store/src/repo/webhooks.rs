//! The webhooks port: `webhook_endpoints`, `webhook_deliveries` and `webhook_attempts` rows.
//! An endpoint's lease is a conditional update of its row: on PostgreSQL a second instance's
//! update waits for the first one's transaction and then finds the lease taken; SQLite's
//! writers are serial.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, exists};
use diesel::prelude::*;
use usergate_core::ports::{
    Attempt, AuditEvent, EndpointRecord, EndpointUpdate, PendingDelivery, RepoError, WebhookRepo,
};

use super::Repo;
use crate::db::DbConnection;
use crate::error::{Db, StoreError};
use crate::schema::{webhook_attempts as a, webhook_deliveries as d, webhook_endpoints as e};

/// An endpoint row, without its lease columns.
type EndpointRow = (
    i64,
    String,
    String,
    String,
    String,
    bool,
    Option<String>,
    Option<NaiveDateTime>,
    NaiveDateTime,
    NaiveDateTime,
);

const ENDPOINT: (
    e::id,
    e::url,
    e::description,
    e::event_types,
    e::secret,
    e::enabled,
    e::disabled_reason,
    e::retry_at,
    e::created_at,
    e::updated_at,
) = (
    e::id,
    e::url,
    e::description,
    e::event_types,
    e::secret,
    e::enabled,
    e::disabled_reason,
    e::retry_at,
    e::created_at,
    e::updated_at,
);

fn endpoint(r: EndpointRow) -> Result<EndpointRecord, RepoError> {
    let event_types = serde_json::from_str(&r.3).map_err(|err| {
        RepoError::from(StoreError::Corrupt(format!(
            "webhook endpoint {}: {err}",
            r.0
        )))
    })?;
    Ok(EndpointRecord {
        id: r.0,
        url: r.1,
        description: r.2,
        event_types,
        secret: r.4,
        enabled: r.5,
        disabled_reason: r.6,
        retry_at: r.7,
        created_at: r.8,
        updated_at: r.9,
    })
}

fn types_json(types: &[String]) -> String {
    serde_json::Value::from(types.to_vec()).to_string()
}

type AttemptRow = (
    i64,
    i64,
    i64,
    i64,
    NaiveDateTime,
    Option<i64>,
    i64,
    Option<String>,
    bool,
);

impl WebhookRepo for Repo<'_> {
    fn insert_endpoint(&mut self, r: &EndpointRecord) -> Result<EndpointRecord, RepoError> {
        let row: EndpointRow = diesel::insert_into(e::table)
            .values((
                e::url.eq(&r.url),
                e::description.eq(&r.description),
                e::event_types.eq(types_json(&r.event_types)),
                e::secret.eq(&r.secret),
                e::enabled.eq(r.enabled),
                e::disabled_reason.eq(&r.disabled_reason),
                e::retry_at.eq(r.retry_at),
                e::created_at.eq(r.created_at),
                e::updated_at.eq(r.updated_at),
            ))
            .returning(ENDPOINT)
            .get_result(self.0)
            .db()?;
        endpoint(row)
    }

    fn endpoints(&mut self) -> Result<Vec<EndpointRecord>, RepoError> {
        let rows: Vec<EndpointRow> = e::table.select(ENDPOINT).order(e::id).load(self.0).db()?;
        rows.into_iter().map(endpoint).collect()
    }

    fn find_endpoint(&mut self, id: i64) -> Result<Option<EndpointRecord>, RepoError> {
        let row: Option<EndpointRow> = e::table
            .find(id)
            .select(ENDPOINT)
            .first(self.0)
            .optional()
            .db()?;
        row.map(endpoint).transpose()
    }

    fn update_endpoint(
        &mut self,
        id: i64,
        u: &EndpointUpdate,
    ) -> Result<EndpointRecord, RepoError> {
        let target = e::table.find(id);
        if let Some(v) = &u.url {
            diesel::update(target)
                .set(e::url.eq(v))
                .execute(self.0)
                .db()?;
        }
        if let Some(v) = &u.description {
            diesel::update(target)
                .set(e::description.eq(v))
                .execute(self.0)
                .db()?;
        }
        if let Some(v) = &u.event_types {
            diesel::update(target)
                .set(e::event_types.eq(types_json(v)))
                .execute(self.0)
                .db()?;
        }
        match u.enabled {
            Some(true) => diesel::update(target)
                .set((
                    e::enabled.eq(true),
                    e::disabled_reason.eq(None::<String>),
                    e::retry_at.eq(None::<NaiveDateTime>),
                ))
                .execute(self.0)
                .db()?,
            Some(false) => diesel::update(target)
                .set((
                    e::enabled.eq(false),
                    e::disabled_reason.eq(&u.disabled_reason),
                ))
                .execute(self.0)
                .db()?,
            None => 0,
        };
        diesel::update(target)
            .set(e::updated_at.eq(u.now))
            .execute(self.0)
            .db()?;
        self.find_endpoint(id)?
            .ok_or_else(|| RepoError::Failure(format!("webhook endpoint {id} vanished")))
    }

    fn delete_endpoint(&mut self, id: i64) -> Result<(), RepoError> {
        // The deliveries and attempts go by their foreign keys' cascade.
        diesel::delete(a::table.filter(a::endpoint_id.eq(id)))
            .execute(self.0)
            .db()?;
        diesel::delete(d::table.filter(d::endpoint_id.eq(id)))
            .execute(self.0)
            .db()?;
        diesel::delete(e::table.find(id)).execute(self.0).db()?;
        Ok(())
    }

    fn lease_endpoint(
        &mut self,
        owner: &str,
        now: NaiveDateTime,
        until: NaiveDateTime,
    ) -> Result<Option<EndpointRecord>, RepoError> {
        let free = e::leased_until.is_null().or(e::leased_until.lt(now));
        let due = e::retry_at.is_null().or(e::retry_at.le(now));
        let pending = exists(
            d::table
                .filter(d::endpoint_id.eq(e::id))
                .filter(d::status.eq("pending")),
        );
        let candidates: Vec<i64> = e::table
            .filter(e::enabled.eq(true))
            .filter(free)
            .filter(due)
            .filter(pending)
            .select(e::id)
            .order(e::id)
            .limit(8)
            .load(self.0)
            .db()?;
        for id in candidates {
            let taken = diesel::update(
                e::table
                    .find(id)
                    .filter(e::leased_until.is_null().or(e::leased_until.lt(now))),
            )
            .set((e::leased_until.eq(until), e::lease_owner.eq(owner)))
            .execute(self.0)
            .db()?;
            if taken == 1 {
                return self.find_endpoint(id);
            }
        }
        Ok(None)
    }

    fn release_endpoint(&mut self, id: i64, owner: &str) -> Result<(), RepoError> {
        diesel::update(e::table.find(id).filter(e::lease_owner.eq(owner)))
            .set((
                e::leased_until.eq(None::<NaiveDateTime>),
                e::lease_owner.eq(None::<String>),
            ))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn set_retry_at(&mut self, id: i64, at: Option<NaiveDateTime>) -> Result<(), RepoError> {
        diesel::update(e::table.find(id))
            .set(e::retry_at.eq(at))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn pending_deliveries(
        &mut self,
        endpoint: i64,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>, RepoError> {
        let rows: Vec<(i64, i64, i64)> = d::table
            .filter(d::endpoint_id.eq(endpoint))
            .filter(d::status.eq("pending"))
            .order(d::id)
            .select((d::id, d::attempts, d::event_id))
            .limit(i64::from(limit))
            .load(self.0)
            .db()?;
        let ids: Vec<i64> = rows.iter().map(|r| r.2).collect();
        let events: Vec<AuditEvent> = super::audit::events_by_id(self, &ids)?;
        rows.into_iter()
            .map(|(id, attempts, event_id)| {
                let event = events
                    .iter()
                    .find(|ev| ev.id == event_id)
                    .cloned()
                    .ok_or_else(|| RepoError::Failure(format!("event {event_id} is gone")))?;
                Ok(PendingDelivery {
                    id,
                    attempts,
                    event,
                })
            })
            .collect()
    }

    fn record_attempts(&mut self, attempts: &[(Attempt, &'static str)]) -> Result<(), RepoError> {
        let Some((first, _)) = attempts.first() else {
            return Ok(());
        };
        let rows: Vec<_> = attempts
            .iter()
            .map(|(t, _)| {
                (
                    a::delivery_id.eq(t.delivery_id),
                    a::endpoint_id.eq(t.endpoint_id),
                    a::event_id.eq(t.event_id),
                    a::attempted_at.eq(t.attempted_at),
                    a::status_code.eq(t.status_code),
                    a::latency_ms.eq(t.latency_ms),
                    a::error.eq(t.error.as_deref()),
                    a::succeeded.eq(t.succeeded),
                )
            })
            .collect();
        match &mut *self.0 {
            DbConnection::Pg(c) => diesel::insert_into(a::table).values(&rows).execute(c),
            DbConnection::Sqlite(c) => diesel::insert_into(a::table).values(&rows).execute(c),
        }
        .db()?;
        // One update per status: the deliveries of a run are mostly all delivered.
        for status in ["delivered", "pending", "failed"] {
            let ids: Vec<i64> = attempts
                .iter()
                .filter(|(_, s)| *s == status)
                .map(|(t, _)| t.delivery_id)
                .collect();
            if ids.is_empty() {
                continue;
            }
            diesel::update(d::table.filter(d::id.eq_any(&ids)))
                .set((
                    d::status.eq(status),
                    d::attempts.eq(d::attempts + 1),
                    d::updated_at.eq(first.attempted_at),
                ))
                .execute(self.0)
                .db()?;
        }
        Ok(())
    }

    fn attempts(&mut self, endpoint: i64, limit: u32) -> Result<Vec<Attempt>, RepoError> {
        let rows: Vec<AttemptRow> = a::table
            .filter(a::endpoint_id.eq(endpoint))
            .order(a::id.desc())
            .limit(i64::from(limit))
            .select((
                a::id,
                a::delivery_id,
                a::endpoint_id,
                a::event_id,
                a::attempted_at,
                a::status_code,
                a::latency_ms,
                a::error,
                a::succeeded,
            ))
            .load(self.0)
            .db()?;
        Ok(rows
            .into_iter()
            .map(|r| Attempt {
                id: r.0,
                delivery_id: r.1,
                endpoint_id: r.2,
                event_id: r.3,
                attempted_at: r.4,
                status_code: r.5,
                latency_ms: r.6,
                error: r.7,
                succeeded: r.8,
            })
            .collect())
    }

    fn backlog(&mut self) -> Result<i64, RepoError> {
        d::table
            .filter(d::status.eq("pending"))
            .select(count_star())
            .first(self.0)
            .db()
    }
}
