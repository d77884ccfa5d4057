//! Webhooks: endpoints subscribed to event types, and the rules of delivering the audit log's
//! success events to them (the audit table is the outbox: each change queues its deliveries
//! in its own transaction). At least once, in event order per endpoint: a dispatcher leases
//! one endpoint at a time, sends its oldest pending deliveries in order, and a failed one holds
//! the rest back until its retry; after the last retry the endpoint is disabled, and that is
//! audited. The HTTP side (signing, sending, the destination checks) is the server's.

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, SecondsFormat};
use serde_json::{Map, Value, json};

use crate::access::{Actor, require_admin};
use crate::audit::{self, Action, Channel, Event, Target};
use crate::error::{CoreError, CoreResult, Problem};
use crate::ports::{
    self, Attempt, AuditEvent, Clock, EndpointRecord, EndpointUpdate, PendingDelivery, UserStore,
};

/// Every event type an endpoint can subscribe to (and `*`: all of them).
pub fn event_types() -> Vec<&'static str> {
    Action::ALL
        .into_iter()
        .filter_map(Action::event_type)
        .collect()
}

/// An endpoint as callers see it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Its id.
    pub id: i64,
    /// Where deliveries go.
    pub url: String,
    /// For people.
    pub description: String,
    /// Subscribed types, or `*`.
    pub event_types: Vec<String>,
    /// Whether deliveries go out.
    pub enabled: bool,
    /// Why the dispatcher disabled it.
    pub disabled_reason: Option<String>,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

impl From<&EndpointRecord> for Endpoint {
    fn from(r: &EndpointRecord) -> Self {
        Endpoint {
            id: r.id,
            url: r.url.clone(),
            description: r.description.clone(),
            event_types: r.event_types.clone(),
            enabled: r.enabled,
            disabled_reason: r.disabled_reason.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A command to create an endpoint.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    /// An `http` or `https` URL.
    pub url: String,
    /// Event types, or `*`; at least one.
    pub event_types: Vec<String>,
    /// For people.
    pub description: String,
}

/// A command to change an endpoint; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct EndpointChanges {
    /// A new URL.
    pub url: Option<String>,
    /// New subscriptions.
    pub event_types: Option<Vec<String>>,
    /// A new description.
    pub description: Option<String>,
    /// Enable (which also lets a disabled endpoint's waiting deliveries go) or disable.
    pub enabled: Option<bool>,
}

/// A new endpoint and its signing secret, shown this once.
#[derive(Debug, Clone)]
pub struct Created {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// `whsec_` and the base64 key.
    pub secret: String,
}

/// The waits between a failed delivery and its retries; after the last retry fails the
/// endpoint is disabled. Svix's schedule by default: about a day and a half in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<Duration>);

impl Default for RetrySchedule {
    fn default() -> Self {
        let m = |n: u64| Duration::from_secs(n * 60);
        RetrySchedule(vec![
            Duration::from_secs(5),
            m(5),
            m(30),
            m(120),
            m(300),
            m(600),
            m(600),
        ])
    }
}

impl RetrySchedule {
    /// The wait after the `attempts`-th failed try (1-based), ±20% jitter so that endpoints
    /// that failed together do not retry together; `None` once the retries are used up.
    pub fn after(&self, attempts: i64) -> Option<Duration> {
        let i = usize::try_from(attempts).ok()?.checked_sub(1)?;
        let base = *self.0.get(i)?;
        let mut b = [0u8; 2];
        let r =
            getrandom::fill(&mut b).map_or(0.5, |()| f64::from(u16::from_be_bytes(b)) / 65535.0);
        Some(base.mul_f64(0.8 + 0.4 * r))
    }
}

/// What one try of a delivery came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The HTTP status, if one came back.
    pub status_code: Option<u16>,
    /// How long it took.
    pub latency: Duration,
    /// What went wrong, if it did (never the response body).
    pub error: Option<String>,
}

impl Sent {
    /// A 2xx and no error.
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Endpoints, managed by admins, and the dispatcher's side of deliveries.
#[derive(Clone)]
pub struct WebhookService {
    pub(crate) store: Arc<dyn UserStore>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl WebhookService {
    /// A service over these ports.
    pub fn new(store: Arc<dyn UserStore>, clock: Arc<dyn Clock>) -> Self {
        WebhookService { store, clock }
    }

    /// Creates an endpoint with a new secret (returned this once). Admins only.
    pub fn create(&self, actor: &Actor, new: NewEndpoint) -> CoreResult<Created> {
        let result = (|| {
            require_admin(actor)?;
            let url = check_url(&new.url)?;
            let event_types = check_types(&new.event_types)?;
            let description = check_description(&new.description)?;
            let secret = new_secret()?;
            let now = self.clock.now();
            let record = EndpointRecord {
                id: 0,
                url,
                description,
                event_types,
                secret: secret.clone(),
                enabled: true,
                disabled_reason: None,
                retry_at: None,
                created_at: now,
                updated_at: now,
            };
            let stored = ports::write(&*self.store, |repo| {
                let stored = repo.insert_endpoint(&record)?;
                let changes = fields(&stored)
                    .into_iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k, json!({ "to": v })))
                    .collect();
                let event = Event::new(Action::WebhookCreate, target(stored.id))
                    .changes(changes)
                    .resource(resource(&stored));
                audit::record(repo, actor, event, now)?;
                Ok(stored)
            })?;
            Ok(Created {
                endpoint: Endpoint::from(&stored),
                secret,
            })
        })();
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::WebhookCreate,
            Target::none_of("webhook"),
            result,
        )
    }

    /// Every endpoint, in id order. Admins only.
    pub fn list(&self, actor: &Actor) -> CoreResult<Vec<Endpoint>> {
        require_admin(actor)?;
        let all = ports::read(&*self.store, |repo| Ok(repo.endpoints()?))?;
        Ok(all.iter().map(Endpoint::from).collect())
    }

    /// One endpoint. Admins only.
    pub fn get(&self, actor: &Actor, id: i64) -> CoreResult<Endpoint> {
        require_admin(actor)?;
        let found = ports::read(&*self.store, |repo| Ok(repo.find_endpoint(id)?))?;
        found
            .as_ref()
            .map(Endpoint::from)
            .ok_or(CoreError::NotFound)
    }

    /// Changes an endpoint. Admins only. Enabling a disabled one lets its waiting deliveries
    /// go at once.
    pub fn update(&self, actor: &Actor, id: i64, c: &EndpointChanges) -> CoreResult<Endpoint> {
        let result = (|| {
            require_admin(actor)?;
            let update = EndpointUpdate {
                url: c.url.as_deref().map(check_url).transpose()?,
                description: c
                    .description
                    .as_deref()
                    .map(check_description)
                    .transpose()?,
                event_types: c.event_types.as_deref().map(check_types).transpose()?,
                enabled: c.enabled,
                disabled_reason: None,
                now: self.clock.now(),
            };
            ports::write(&*self.store, |repo| {
                let before = repo.find_endpoint(id)?.ok_or(CoreError::NotFound)?;
                let after = repo.update_endpoint(id, &update)?;
                let diff = diff(&before, &after);
                if !diff.is_empty() {
                    let event = Event::new(Action::WebhookUpdate, target(id))
                        .changes(diff)
                        .resource(resource(&after));
                    audit::record(repo, actor, event, update.now)?;
                }
                Ok(Endpoint::from(&after))
            })
        })();
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::WebhookUpdate,
            target(id),
            result,
        )
    }

    /// Deletes an endpoint with its deliveries and attempts. Admins only.
    pub fn delete(&self, actor: &Actor, id: i64) -> CoreResult<()> {
        let result = (|| {
            require_admin(actor)?;
            let now = self.clock.now();
            ports::write(&*self.store, |repo| {
                let gone = repo.find_endpoint(id)?.ok_or(CoreError::NotFound)?;
                repo.delete_endpoint(id)?;
                let event = Event::new(Action::WebhookDelete, target(id)).resource(resource(&gone));
                audit::record(repo, actor, event, now)
            })
        })();
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::WebhookDelete,
            target(id),
            result,
        )
    }

    /// An endpoint's latest tries, newest first (at most 500). Admins only.
    pub fn attempts(&self, actor: &Actor, id: i64, limit: u32) -> CoreResult<Vec<Attempt>> {
        require_admin(actor)?;
        ports::read(&*self.store, |repo| {
            repo.find_endpoint(id)?.ok_or(CoreError::NotFound)?;
            Ok(repo.attempts(id, limit.clamp(1, 500))?)
        })
    }

    /// An endpoint with its secret, for a test delivery the operator asks for. Admins only.
    pub fn for_test(&self, actor: &Actor, id: i64) -> CoreResult<EndpointRecord> {
        require_admin(actor)?;
        ports::read(&*self.store, |repo| {
            repo.find_endpoint(id)?.ok_or(CoreError::NotFound)
        })
    }

    /// The dispatcher: leases an endpoint with deliveries due, for `lease`, with its oldest
    /// pending deliveries (at most `limit`).
    pub fn lease(
        &self,
        owner: &str,
        lease: Duration,
        limit: u32,
    ) -> CoreResult<Option<(EndpointRecord, Vec<PendingDelivery>)>> {
        let now = self.clock.now();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        ports::write(&*self.store, |repo| {
            let Some(endpoint) = repo.lease_endpoint(owner, now, until)? else {
                return Ok(None);
            };
            let pending = repo.pending_deliveries(endpoint.id, limit)?;
            Ok(Some((endpoint, pending)))
        })
    }

    /// The dispatcher: records the tries of a run of an endpoint's deliveries, sent in order,
    /// in one transaction: every one but the last succeeded. A success marks its delivery
    /// delivered; a failure holds the endpoint back until the schedule's next retry, or, once
    /// the retries are used up, marks the delivery failed and disables the endpoint (an
    /// audited change by the server).
    pub fn settle(
        &self,
        endpoint: &EndpointRecord,
        sent: &[(PendingDelivery, Sent)],
        schedule: &RetrySchedule,
    ) -> CoreResult<()> {
        let now = self.clock.now();
        let mut rows = Vec::with_capacity(sent.len());
        let mut failure = None;
        for (delivery, s) in sent {
            let ok = s.succeeded();
            let attempt = Attempt {
                id: 0,
                delivery_id: delivery.id,
                endpoint_id: endpoint.id,
                event_id: delivery.event.id,
                attempted_at: now,
                status_code: s.status_code.map(i64::from),
                latency_ms: i64::try_from(s.latency.as_millis()).unwrap_or(i64::MAX),
                error: s.error.clone().or_else(|| {
                    (!ok).then(|| format!("HTTP {}", s.status_code.unwrap_or_default()))
                }),
                succeeded: ok,
            };
            let status = if ok {
                "delivered"
            } else {
                let retry = schedule.after(delivery.attempts + 1);
                failure = Some((delivery, attempt.error.clone(), retry));
                if retry.is_some() { "pending" } else { "failed" }
            };
            rows.push((attempt, status));
            if !ok {
                break;
            }
        }
        ports::write(&*self.store, |repo| {
            repo.record_attempts(&rows)?;
            match &failure {
                None if endpoint.retry_at.is_some() => repo.set_retry_at(endpoint.id, None)?,
                None => {}
                Some((_, _, Some(wait))) => {
                    let at =
                        now + chrono::Duration::from_std(*wait).unwrap_or(chrono::Duration::MAX);
                    repo.set_retry_at(endpoint.id, Some(at))?;
                }
                Some((delivery, error, None)) => {
                    let reason = format!(
                        "event {} failed {} times: {}",
                        delivery.event.id,
                        delivery.attempts + 1,
                        error.as_deref().unwrap_or("failed")
                    );
                    let before = repo
                        .find_endpoint(endpoint.id)?
                        .ok_or(CoreError::NotFound)?;
                    let update = EndpointUpdate {
                        enabled: Some(false),
                        disabled_reason: Some(reason),
                        now,
                        ..EndpointUpdate::default()
                    };
                    let after = repo.update_endpoint(endpoint.id, &update)?;
                    let event = Event::new(Action::WebhookUpdate, target(endpoint.id))
                        .changes(diff(&before, &after))
                        .resource(resource(&after));
                    audit::record(repo, &Actor::system(Channel::System), event, now)?;
                }
            }
            Ok(())
        })
    }

    /// The dispatcher: gives an endpoint's lease back.
    pub fn release(&self, endpoint: i64, owner: &str) -> CoreResult<()> {
        ports::write(&*self.store, |repo| {
            Ok(repo.release_endpoint(endpoint, owner)?)
        })
    }

    /// How many deliveries wait, over every endpoint.
    pub fn backlog(&self) -> CoreResult<i64> {
        ports::read(&*self.store, |repo| Ok(repo.backlog()?))
    }
}

/// The body of a delivery: `{"type", "timestamp", "data", "changes"}`; `None` for an event
/// that is not sent.
pub fn payload(event: &AuditEvent) -> Option<Value> {
    let kind = Action::parse(&event.action)?.event_type()?;
    let timestamp = event
        .occurred_at
        .and_utc()
        .to_rfc3339_opts(SecondsFormat::Micros, true);
    Some(json!({
        "type": kind,
        "timestamp": timestamp,
        "data": event.resource.clone().unwrap_or_else(|| json!({
            "id": event.target_id,
            "type": event.target_type,
        })),
        "changes": event.changes,
    }))
}

/// The `webhook-id` of an event's deliveries: receivers deduplicate on it.
pub fn message_id(event: &AuditEvent) -> String {
    format!("evt_{}", event.id)
}

fn target(id: i64) -> Target {
    Target::other("webhook", id)
}

/// The allow-listed fields of an endpoint (never its secret).
fn fields(e: &EndpointRecord) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("url".into(), json!(e.url));
    out.insert("description".into(), json!(e.description));
    out.insert("event_types".into(), json!(e.event_types));
    out.insert("enabled".into(), json!(e.enabled));
    out.insert("disabled_reason".into(), json!(e.disabled_reason));
    out
}

fn resource(e: &EndpointRecord) -> Value {
    let mut out = fields(e);
    out.insert("id".into(), json!(e.id));
    Value::Object(out)
}

fn diff(before: &EndpointRecord, after: &EndpointRecord) -> Map<String, Value> {
    fields(before)
        .into_iter()
        .zip(fields(after))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((k, a), (_, b))| (k, json!({"from": a, "to": b})))
        .collect()
}

/// An absolute `http` or `https` URL with a host, at most 2048 bytes, without credentials.
fn check_url(raw: &str) -> CoreResult<String> {
    let bad = || CoreError::invalid("url", Problem::Malformed);
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(CoreError::invalid("url", Problem::Required));
    }
    if raw.len() > 2048 {
        return Err(CoreError::invalid("url", Problem::TooLong { max: 2048 }));
    }
    let url = url::Url::parse(raw).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(bad());
    }
    Ok(url.to_string())
}

/// Known types or `*`, at least one, without repeats.
fn check_types(types: &[String]) -> CoreResult<Vec<String>> {
    let known = event_types();
    let mut out: Vec<String> = Vec::new();
    for t in types {
        let t = t.trim();
        if t != "*" && !known.contains(&t) {
            return Err(CoreError::invalid(
                "event_types",
                Problem::NotAllowed {
                    allowed: known
                        .iter()
                        .map(|k| (*k).to_owned())
                        .chain(["*".into()])
                        .collect(),
                },
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    if out.is_empty() {
        return Err(CoreError::invalid("event_types", Problem::Required));
    }
    Ok(out)
}

fn check_description(d: &str) -> CoreResult<String> {
    if d.len() > 1000 {
        return Err(CoreError::invalid(
            "description",
            Problem::TooLong { max: 1000 },
        ));
    }
    if d.contains('\0') {
        return Err(CoreError::invalid("description", Problem::Malformed));
    }
    Ok(d.trim().to_owned())
}

/// `whsec_` and 32 random bytes in base64, the Standard Webhooks form.
fn new_secret() -> CoreResult<String> {
    use base64::Engine as _;
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| CoreError::Internal(format!("no randomness: {e}")))?;
    Ok(format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    ))
}
