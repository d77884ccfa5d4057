//! The webhooks port: endpoints, the deliveries an audited change fans out to them (in the
//! change's transaction), and what a dispatcher leases, sends and records.

use chrono::NaiveDateTime;

use super::{AuditEvent, RepoError};

/// An endpoint as it is stored (its secret included: it signs every delivery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRecord {
    /// Assigned by the store.
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    /// For people.
    pub description: String,
    /// The event types it subscribes to (`user.created` ...), or `*`.
    pub event_types: Vec<String>,
    /// `whsec_` and the base64 key.
    pub secret: String,
    /// Whether deliveries go out.
    pub enabled: bool,
    /// Why it was disabled by the dispatcher.
    pub disabled_reason: Option<String>,
    /// No delivery before this time (a failed one is waiting).
    pub retry_at: Option<NaiveDateTime>,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

/// A change to an endpoint; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct EndpointUpdate {
    /// New URL.
    pub url: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New subscriptions.
    pub event_types: Option<Vec<String>>,
    /// Enable or disable (enabling clears the reason and the retry time).
    pub enabled: Option<bool>,
    /// Why it is disabled.
    pub disabled_reason: Option<String>,
    /// The change's time.
    pub now: NaiveDateTime,
}

/// One delivery waiting to be sent, with its event.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingDelivery {
    /// The delivery.
    pub id: i64,
    /// Tries so far.
    pub attempts: i64,
    /// The event it carries.
    pub event: AuditEvent,
}

/// One try of a delivery, as it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Assigned by the store.
    pub id: i64,
    /// The delivery.
    pub delivery_id: i64,
    /// The endpoint.
    pub endpoint_id: i64,
    /// The event.
    pub event_id: i64,
    /// When it was sent.
    pub attempted_at: NaiveDateTime,
    /// The HTTP status, if one came back.
    pub status_code: Option<i64>,
    /// How long it took.
    pub latency_ms: i64,
    /// What went wrong (a status, a timeout, a refused destination).
    pub error: Option<String>,
    /// A 2xx in time.
    pub succeeded: bool,
}

/// Endpoints and deliveries inside one unit of work.
pub trait WebhookRepo {
    /// Stores a new endpoint (its `id` is ignored); the stored one.
    fn insert_endpoint(&mut self, e: &EndpointRecord) -> Result<EndpointRecord, RepoError>;
    /// Every endpoint, in id order.
    fn endpoints(&mut self) -> Result<Vec<EndpointRecord>, RepoError>;
    /// One endpoint.
    fn find_endpoint(&mut self, id: i64) -> Result<Option<EndpointRecord>, RepoError>;
    /// Changes an endpoint; it as it is now.
    fn update_endpoint(&mut self, id: i64, u: &EndpointUpdate)
    -> Result<EndpointRecord, RepoError>;
    /// Deletes an endpoint with its deliveries and attempts.
    fn delete_endpoint(&mut self, id: i64) -> Result<(), RepoError>;
    /// Leases one enabled endpoint that has a pending delivery and no retry waiting after
    /// `now`, and that no live lease holds, to `owner` until `until`; the endpoint.
    fn lease_endpoint(
        &mut self,
        owner: &str,
        now: NaiveDateTime,
        until: NaiveDateTime,
    ) -> Result<Option<EndpointRecord>, RepoError>;
    /// Gives a lease back (only `owner`'s).
    fn release_endpoint(&mut self, id: i64, owner: &str) -> Result<(), RepoError>;
    /// Sets or clears the time before which the endpoint gets nothing.
    fn set_retry_at(&mut self, id: i64, at: Option<NaiveDateTime>) -> Result<(), RepoError>;
    /// The endpoint's oldest pending deliveries with their events, in id order.
    fn pending_deliveries(
        &mut self,
        endpoint: i64,
        limit: u32,
    ) -> Result<Vec<PendingDelivery>, RepoError>;
    /// Records tries and what became of their deliveries (`status`: `pending`, `delivered`,
    /// `failed`), in as few statements as it can.
    fn record_attempts(&mut self, attempts: &[(Attempt, &'static str)]) -> Result<(), RepoError>;
    /// The latest tries of an endpoint, newest first.
    fn attempts(&mut self, endpoint: i64, limit: u32) -> Result<Vec<Attempt>, RepoError>;
    /// How many deliveries are pending, over every endpoint.
    fn backlog(&mut self) -> Result<i64, RepoError>;
}
