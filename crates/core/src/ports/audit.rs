//! The audit port: rows of `audit_events`, appended inside the change's transaction, read
//! newest first (or oldest first after a cursor, for tails and exports), pruned by age.

use chrono::NaiveDateTime;
use serde_json::Value;

use super::RepoError;

/// An event as core writes it (the audit module says what goes in it).
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    /// When (UTC, microseconds).
    pub occurred_at: NaiveDateTime,
    /// The process that wrote it.
    pub instance_id: String,
    /// The request's id.
    pub request_id: Option<String>,
    /// The channel (`generic`, `cli` ...).
    pub dialect: &'static str,
    /// `user`, `api_key`, `oauth_client`, `cli`, `system`, `anonymous`.
    pub actor_type: &'static str,
    /// The acting user's id.
    pub actor_id: Option<String>,
    /// The acting user's address then; when `None` with an `actor_id`, the store reads it
    /// from the user's row in the same statement.
    pub actor_email: Option<String>,
    /// The credential's id (a key, a client, a session token).
    pub credential_id: Option<String>,
    /// `user.create` ...
    pub action: &'static str,
    /// The webhook type of a success that is delivered (`user.created`); the store queues a
    /// delivery for each enabled endpoint subscribed to it, in the same transaction.
    pub event_type: Option<&'static str>,
    /// `success` or `failure`.
    pub outcome: &'static str,
    /// Why a failure failed.
    pub error_code: Option<String>,
    /// `user`, `group` ...
    pub target_type: Option<&'static str>,
    /// The target's id.
    pub target_id: Option<String>,
    /// A target user's address then.
    pub target_email: Option<String>,
    /// The allow-listed diff (a JSON object).
    pub changes: Value,
    /// The peer address.
    pub ip: Option<String>,
    /// The user agent (at most 512 bytes).
    pub user_agent: Option<String>,
    /// The resource after the change, for webhooks.
    pub resource: Option<Value>,
}

/// An event as it is read back.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Monotonic id.
    pub id: i64,
    /// When.
    pub occurred_at: NaiveDateTime,
    /// The process that wrote it.
    pub instance_id: String,
    /// The request's id.
    pub request_id: Option<String>,
    /// The channel.
    pub dialect: String,
    /// Who kind of actor.
    pub actor_type: String,
    /// The acting user's id.
    pub actor_id: Option<String>,
    /// The acting user's address then.
    pub actor_email: Option<String>,
    /// The credential's id.
    pub credential_id: Option<String>,
    /// What was done.
    pub action: String,
    /// The webhook type it was delivered as, if it was.
    pub event_type: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// Why a failure failed.
    pub error_code: Option<String>,
    /// The target's kind.
    pub target_type: Option<String>,
    /// The target's id.
    pub target_id: Option<String>,
    /// A target user's address then.
    pub target_email: Option<String>,
    /// The allow-listed diff.
    pub changes: Value,
    /// The peer address.
    pub ip: Option<String>,
    /// The user agent.
    pub user_agent: Option<String>,
    /// The resource after the change.
    pub resource: Option<Value>,
}

/// Which events to read. Every filter is exact; `actor` matches the actor's id, address or
/// credential id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// At or after.
    pub since: Option<NaiveDateTime>,
    /// Before.
    pub until: Option<NaiveDateTime>,
    /// The actor's id, address or credential id.
    pub actor: Option<String>,
    /// The target's kind.
    pub target_type: Option<String>,
    /// The target's id.
    pub target_id: Option<String>,
    /// The action.
    pub action: Option<String>,
    /// `success` or `failure`.
    pub outcome: Option<String>,
}

/// Where a page of events starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// Newest first, with ids below this one (none: from the newest).
    Before(Option<i64>),
    /// Oldest first, with ids above this one.
    After(i64),
}

/// Audit events inside one unit of work.
pub trait AuditRepo {
    /// Appends an event (and queues its webhook deliveries, see `event_type`); its id.
    fn append_event(&mut self, event: &NewAuditEvent) -> Result<i64, RepoError>;
    /// Appends events in as few statements as it can, in their order; their ids.
    fn append_events(&mut self, events: &[NewAuditEvent]) -> Result<Vec<i64>, RepoError>;
    /// One page of events matching `filter`, from `cursor`, at most `limit`.
    fn events(
        &mut self,
        filter: &AuditFilter,
        cursor: Cursor,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, RepoError>;
    /// Deletes at most `limit` of the oldest events that occurred before `before`; how many.
    fn prune_events(&mut self, before: NaiveDateTime, limit: u32) -> Result<u64, RepoError>;
    /// Whether this transaction may prune: `false` while another instance's pruning
    /// transaction holds the lock (PostgreSQL; SQLite's writers are serial anyway).
    fn try_lock_pruning(&mut self) -> Result<bool, RepoError>;
}
