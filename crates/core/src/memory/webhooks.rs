//! The webhooks port in memory.

use chrono::NaiveDateTime;

use crate::ports::{
    Attempt, EndpointRecord, EndpointUpdate, PendingDelivery, RepoError, WebhookRepo,
};

use super::Tx;

/// A delivery row.
#[derive(Clone, Debug)]
pub(crate) struct DeliveryRow {
    pub(crate) id: i64,
    pub(crate) endpoint: i64,
    pub(crate) event: i64,
    pub(crate) status: String,
    pub(crate) attempts: i64,
}

/// Endpoints (with their lease), deliveries and attempts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Hooks {
    pub(crate) endpoints: Vec<(EndpointRecord, Option<(String, NaiveDateTime)>)>,
    pub(crate) deliveries: Vec<DeliveryRow>,
    pub(crate) attempts: Vec<Attempt>,
}

fn missing() -> RepoError {
    RepoError::Failure("no such endpoint".into())
}

impl WebhookRepo for Tx<'_> {
    fn insert_endpoint(&mut self, e: &EndpointRecord) -> Result<EndpointRecord, RepoError> {
        let id = self.hooks.endpoints.last().map_or(1, |(l, _)| l.id + 1);
        let stored = EndpointRecord { id, ..e.clone() };
        self.hooks.endpoints.push((stored.clone(), None));
        Ok(stored)
    }

    fn endpoints(&mut self) -> Result<Vec<EndpointRecord>, RepoError> {
        Ok(self
            .hooks
            .endpoints
            .iter()
            .map(|(e, _)| e.clone())
            .collect())
    }

    fn find_endpoint(&mut self, id: i64) -> Result<Option<EndpointRecord>, RepoError> {
        Ok(self
            .hooks
            .endpoints
            .iter()
            .find(|(e, _)| e.id == id)
            .map(|(e, _)| e.clone()))
    }

    fn update_endpoint(
        &mut self,
        id: i64,
        u: &EndpointUpdate,
    ) -> Result<EndpointRecord, RepoError> {
        let (e, _) = self
            .hooks
            .endpoints
            .iter_mut()
            .find(|(e, _)| e.id == id)
            .ok_or_else(missing)?;
        if let Some(v) = &u.url {
            e.url.clone_from(v);
        }
        if let Some(v) = &u.description {
            e.description.clone_from(v);
        }
        if let Some(v) = &u.event_types {
            e.event_types.clone_from(v);
        }
        if let Some(v) = u.enabled {
            e.enabled = v;
            if v {
                e.disabled_reason = None;
                e.retry_at = None;
            }
        }
        if u.disabled_reason.is_some() {
            e.disabled_reason.clone_from(&u.disabled_reason);
        }
        e.updated_at = u.now;
        Ok(e.clone())
    }

    fn delete_endpoint(&mut self, id: i64) -> Result<(), RepoError> {
        self.hooks.endpoints.retain(|(e, _)| e.id != id);
        self.hooks.deliveries.retain(|d| d.endpoint != id);
        self.hooks.attempts.retain(|a| a.endpoint_id != id);
        Ok(())
    }

    fn lease_endpoint(
        &mut self,
        owner: &str,
        now: NaiveDateTime,
        until: NaiveDateTime,
    ) -> Result<Option<EndpointRecord>, RepoError> {
        let pending: Vec<i64> = self
            .hooks
            .deliveries
            .iter()
            .filter(|d| d.status == "pending")
            .map(|d| d.endpoint)
            .collect();
        for (e, lease) in &mut self.hooks.endpoints {
            let free = lease.as_ref().is_none_or(|(_, t)| *t < now);
            if e.enabled && free && e.retry_at.is_none_or(|r| r <= now) && pending.contains(&e.id) {
                *lease = Some((owner.to_owned(), until));
                return Ok(Some(e.clone()));
            }
        }
        Ok(None)
    }

    fn release_endpoint(&mut self, id: i64, owner: &str) -> Result<(), RepoError> {
        for (e, lease) in &mut self.hooks.endpoints {
            if e.id == id && lease.as_ref().is_some_and(|(o, _)| o == owner) {
                *lease = None;
            }
        }
        Ok(())
    }

    fn set_retry_at(&mut self, id: i64, at: Option<NaiveDateTime>) -> Result<(), RepoError> {
        let (e, _) = self
            .hooks
            .endpoints
            .iter_mut()
            .find(|(e, _)| e.id == id)
            .ok_or_else(missing)?;
        e.retry_at = at;
        Ok(())
    }

    fn pending_deliveries(
        &mut self,
        endpoint: i64,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>, RepoError> {
        let rows: Vec<DeliveryRow> = self
            .hooks
            .deliveries
            .iter()
            .filter(|d| d.endpoint == endpoint && d.status == "pending")
            .take(limit as usize)
            .cloned()
            .collect();
        rows.into_iter()
            .map(|d| {
                let event = self
                    .events
                    .iter()
                    .find(|e| e.id == d.event)
                    .cloned()
                    .ok_or_else(|| RepoError::Failure("no event".into()))?;
                Ok(PendingDelivery {
                    id: d.id,
                    attempts: d.attempts,
                    event,
                })
            })
            .collect()
    }

    fn record_attempts(&mut self, attempts: &[(Attempt, &'static str)]) -> Result<(), RepoError> {
        for (attempt, status) in attempts {
            let id = self.hooks.attempts.last().map_or(1, |a| a.id + 1);
            self.hooks.attempts.push(Attempt {
                id,
                ..attempt.clone()
            });
            if let Some(d) = self
                .hooks
                .deliveries
                .iter_mut()
                .find(|d| d.id == attempt.delivery_id)
            {
                d.attempts += 1;
                (*status).clone_into(&mut d.status);
            }
        }
        Ok(())
    }

    fn attempts(&mut self, endpoint: i64, limit: u32) -> Result<Vec<Attempt>, RepoError> {
        Ok(self
            .hooks
            .attempts
            .iter()
            .rev()
            .filter(|a| a.endpoint_id == endpoint)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    fn backlog(&mut self) -> Result<i64, RepoError> {
        Ok(self
            .hooks
            .deliveries
            .iter()
            .filter(|d| d.status == "pending")
            .count() as i64)
    }
}

impl Tx<'_> {
    /// The store's fan-out (a trigger in SQL): a delivery per subscribed enabled endpoint.
    pub(crate) fn fan_out(&mut self, event_id: i64, kind: &str) -> Result<usize, RepoError> {
        let targets: Vec<i64> = self
            .hooks
            .endpoints
            .iter()
            .filter(|(e, _)| e.enabled && e.event_types.iter().any(|t| t == kind || t == "*"))
            .map(|(e, _)| e.id)
            .collect();
        for endpoint in &targets {
            let id = self.hooks.deliveries.last().map_or(1, |d| d.id + 1);
            self.hooks.deliveries.push(DeliveryRow {
                id,
                endpoint: *endpoint,
                event: event_id,
                status: "pending".into(),
                attempts: 0,
            });
        }
        Ok(targets.len())
    }
}
