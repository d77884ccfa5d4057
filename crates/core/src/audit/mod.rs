//! The audit log: one event per change of state, written by core in the change's own
//! transaction (so a rolled-back change leaves no success event), and one failure event, in a
//! short transaction of its own, for a change that was refused or failed. Reads are not
//! recorded. The same rows are the outbox the webhook dispatcher delivers from.
//!
//! Architecture invariant: an event's `changes` is computed here, from values before and after,
//! over an allow-list of fields; a password is only ever `"changed"`, a credential is named by
//! its id, free-form attributes by the names of the keys that changed. No secret can reach the
//! table, the `usergate::audit` log line or a webhook body.

mod diff;
mod service;

use std::sync::OnceLock;

use chrono::NaiveDateTime;
use serde_json::{Map, Value};

use crate::access::{Actor, ActorKind};
use crate::error::CoreError;
use crate::ports::{NewAuditEvent, Repos, UserStore};
use crate::user::{User, UserKey};

pub use crate::origin::{Channel, Origin, Via};
pub use diff::{created, user_changes, user_resource};
pub use service::{AuditEvent, AuditQuery, AuditService, MAX_AUDIT_PAGE};

/// What was done. The names are the `action` column's and, past tense, the webhook types'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A user was created (by any path: a dialect, an invitation, an import, the bootstrap).
    UserCreate,
    /// A user's fields changed (and nothing more specific applies).
    UserUpdate,
    /// A user was soft-deleted.
    UserDelete,
    /// A user's status became `active`.
    UserActivate,
    /// A user's status became `inactive`.
    UserDeactivate,
    /// A user's status became `suspended`.
    UserSuspend,
    /// A user's role changed.
    UserRoleChange,
    /// A user's password was set or changed.
    UserPasswordChange,
    /// An invitation was sent again to an existing user.
    UserInvite,
    /// A password reset code was mailed to a user.
    UserPasswordReset,
    /// A group was created.
    GroupCreate,
    /// A group's fields (or its members together with them) changed.
    GroupUpdate,
    /// A group was deleted.
    GroupDelete,
    /// Members were added to a group (and nothing else changed).
    GroupMemberAdd,
    /// Members were removed from a group (and nothing else changed).
    GroupMemberRemove,
    /// An API key was created.
    ApiKeyCreate,
    /// An API key was revoked.
    ApiKeyRevoke,
    /// An OAuth client was created.
    OAuthClientCreate,
    /// An OAuth client was revoked.
    OAuthClientRevoke,
    /// A webhook endpoint was created.
    WebhookCreate,
    /// A webhook endpoint was changed (or disabled after its last failed try).
    WebhookUpdate,
    /// A webhook endpoint was deleted.
    WebhookDelete,
    /// A password login, successful or not.
    AuthLogin,
    /// An import ran (one per run; each user it created has its own `user.create`).
    ImportRun,
    /// Old events were pruned.
    AuditPrune,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 25] = [
        Action::UserCreate,
        Action::UserUpdate,
        Action::UserDelete,
        Action::UserActivate,
        Action::UserDeactivate,
        Action::UserSuspend,
        Action::UserRoleChange,
        Action::UserPasswordChange,
        Action::UserInvite,
        Action::UserPasswordReset,
        Action::GroupCreate,
        Action::GroupUpdate,
        Action::GroupDelete,
        Action::GroupMemberAdd,
        Action::GroupMemberRemove,
        Action::ApiKeyCreate,
        Action::ApiKeyRevoke,
        Action::OAuthClientCreate,
        Action::OAuthClientRevoke,
        Action::WebhookCreate,
        Action::WebhookUpdate,
        Action::WebhookDelete,
        Action::AuthLogin,
        Action::ImportRun,
        Action::AuditPrune,
    ];

    /// The stored name (`user.create`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::UserCreate => "user.create",
            Action::UserUpdate => "user.update",
            Action::UserDelete => "user.delete",
            Action::UserActivate => "user.activate",
            Action::UserDeactivate => "user.deactivate",
            Action::UserSuspend => "user.suspend",
            Action::UserRoleChange => "user.role_change",
            Action::UserPasswordChange => "user.password_change",
            Action::UserInvite => "user.invite",
            Action::UserPasswordReset => "user.password_reset",
            Action::GroupCreate => "group.create",
            Action::GroupUpdate => "group.update",
            Action::GroupDelete => "group.delete",
            Action::GroupMemberAdd => "group.member_add",
            Action::GroupMemberRemove => "group.member_remove",
            Action::ApiKeyCreate => "api_key.create",
            Action::ApiKeyRevoke => "api_key.revoke",
            Action::OAuthClientCreate => "oauth_client.create",
            Action::OAuthClientRevoke => "oauth_client.revoke",
            Action::WebhookCreate => "webhook.create",
            Action::WebhookUpdate => "webhook.update",
            Action::WebhookDelete => "webhook.delete",
            Action::AuthLogin => "auth.login",
            Action::ImportRun => "import.run",
            Action::AuditPrune => "audit.prune",
        }
    }

    /// The webhook event type it is sent as (`user.created`), if it is sent at all (logins
    /// and prunes are not).
    pub const fn event_type(self) -> Option<&'static str> {
        Some(match self {
            Action::UserCreate => "user.created",
            Action::UserUpdate => "user.updated",
            Action::UserDelete => "user.deleted",
            Action::UserActivate => "user.activated",
            Action::UserDeactivate => "user.deactivated",
            Action::UserSuspend => "user.suspended",
            Action::UserRoleChange => "user.role_changed",
            Action::UserPasswordChange => "user.password_changed",
            Action::UserInvite => "user.invited",
            Action::UserPasswordReset => "user.password_reset_requested",
            Action::GroupCreate => "group.created",
            Action::GroupUpdate => "group.updated",
            Action::GroupDelete => "group.deleted",
            Action::GroupMemberAdd => "group.members_added",
            Action::GroupMemberRemove => "group.members_removed",
            Action::ApiKeyCreate => "api_key.created",
            Action::ApiKeyRevoke => "api_key.revoked",
            Action::OAuthClientCreate => "oauth_client.created",
            Action::OAuthClientRevoke => "oauth_client.revoked",
            Action::WebhookCreate => "webhook.created",
            Action::WebhookUpdate => "webhook.updated",
            Action::WebhookDelete => "webhook.deleted",
            Action::ImportRun => "import.completed",
            Action::AuthLogin | Action::AuditPrune => return None,
        })
    }

    /// The action of a stored name.
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// What an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `user`, `group`, `api_key`, `oauth_client`, `webhook`.
    pub kind: &'static str,
    /// Its id, as text (a user's number, a key's id).
    pub id: Option<String>,
    /// A user's address when the event happened.
    pub email: Option<String>,
}

impl Target {
    /// A user as it was or is now.
    pub fn user(user: &User) -> Target {
        Target {
            kind: "user",
            id: Some(user.id.to_string()),
            email: Some(user.email.as_str().to_owned()),
        }
    }

    /// A user as a request named it (a failure may not have found it).
    pub fn user_key(key: &UserKey) -> Target {
        let (id, email) = match key {
            UserKey::Id(id) => (Some(id.to_string()), None),
            UserKey::Email(e) => (None, Some(e.as_str().to_owned())),
            UserKey::LoginName(n) => (None, Some(n.as_str().to_owned())),
            UserKey::ExternalId(_) => (None, None),
        };
        Target {
            kind: "user",
            id,
            email,
        }
    }

    /// Anything else, by kind and id.
    pub fn other(kind: &'static str, id: impl ToString) -> Target {
        Target {
            kind,
            id: Some(id.to_string()),
            email: None,
        }
    }

    /// A user no request named (a record that did not parse).
    pub fn none_user() -> Target {
        Target {
            kind: "user",
            id: None,
            email: None,
        }
    }

    /// A target of this kind that has no id yet (a create that failed).
    pub fn none_of(kind: &'static str) -> Target {
        Target {
            kind,
            id: None,
            email: None,
        }
    }

    /// No target (an import run, a prune).
    pub fn none() -> Target {
        Target {
            kind: "",
            id: None,
            email: None,
        }
    }
}

/// One event to record with a change.
#[derive(Debug, Clone)]
pub struct Event {
    /// What was done.
    pub action: Action,
    /// To what.
    pub target: Target,
    /// The allow-listed diff.
    pub changes: Map<String, Value>,
    /// The resource after the change, in the neutral shape webhooks carry (none for a
    /// deletion's target that no longer exists, a login, a prune).
    pub resource: Option<Value>,
}

impl Event {
    /// An event with no changes and no resource.
    pub fn new(action: Action, target: Target) -> Event {
        Event {
            action,
            target,
            changes: Map::new(),
            resource: None,
        }
    }

    /// With this diff.
    pub fn changes(mut self, changes: Map<String, Value>) -> Event {
        self.changes = changes;
        self
    }

    /// With this resource.
    pub fn resource(mut self, resource: Value) -> Event {
        self.resource = Some(resource);
        self
    }
}

/// This process's id in the `instance_id` column: its pid and a random part, fixed at first use.
pub fn instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let mut b = [0u8; 4];
        let random = getrandom::fill(&mut b).map_or(0, |()| u32::from_be_bytes(b));
        format!("{}-{random:08x}", std::process::id())
    })
}

/// Records a successful change inside its transaction.
pub(crate) fn record(
    repo: &mut dyn Repos,
    actor: &Actor,
    event: Event,
    now: NaiveDateTime,
) -> Result<(), CoreError> {
    let row = row(actor, event, None, now);
    repo.append_event(&row)?;
    log(&row);
    Ok(())
}

/// Records the events of many changes of one transaction (an import batch) with one write.
pub(crate) fn record_many(
    repo: &mut dyn Repos,
    actor: &Actor,
    events: Vec<Event>,
    now: NaiveDateTime,
) -> Result<(), CoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewAuditEvent> = events
        .into_iter()
        .map(|e| row(actor, e, None, now))
        .collect();
    repo.append_events(&rows)?;
    rows.iter().for_each(log);
    Ok(())
}

/// Records a refused or failed change in a short transaction of its own. A failure to record
/// it is logged, never returned: the caller's own error is what the client must hear.
pub(crate) fn record_failure(
    store: &dyn UserStore,
    actor: &Actor,
    event: Event,
    error: &CoreError,
    now: NaiveDateTime,
) {
    let Some(code) = error_code(error) else {
        return;
    };
    let row = row(actor, event, Some(code), now);
    let written = crate::ports::write(store, |repo| {
        repo.append_event(&row)?;
        Ok(())
    });
    match written {
        Ok(()) => log(&row),
        Err(e) => {
            tracing::error!(target: "usergate::audit", error = %e, "a failure event could not be recorded")
        }
    }
}

/// Passes a change's result on; when it failed, first records the failure of `action` on
/// `target` (every service's refused changes go through here).
pub(crate) fn failing<T>(
    store: &dyn UserStore,
    clock: &dyn crate::ports::Clock,
    actor: &Actor,
    action: Action,
    target: Target,
    result: Result<T, CoreError>,
) -> Result<T, CoreError> {
    if let Err(e) = &result {
        record_failure(store, actor, Event::new(action, target), e, clock.now());
    }
    result
}

/// The row of an event. The acting user's address is the target's when they are the same
/// user; otherwise the store reads it in the insert itself.
fn row(
    actor: &Actor,
    event: Event,
    error_code: Option<String>,
    now: NaiveDateTime,
) -> NewAuditEvent {
    let origin = &actor.origin;
    let (actor_type, actor_id, actor_email) = match &actor.kind {
        ActorKind::User(p) => {
            let id = p.id.to_string();
            let t = &event.target;
            let email = (t.kind == "user" && t.id.as_deref() == Some(id.as_str()))
                .then(|| t.email.clone())
                .flatten();
            (origin.via.actor_type(), Some(id), email)
        }
        ActorKind::System => (
            if origin.channel == Channel::System {
                "system"
            } else {
                "cli"
            },
            None,
            None,
        ),
        ActorKind::Anonymous => ("anonymous", None, None),
    };
    let event_type = error_code
        .is_none()
        .then(|| event.action.event_type())
        .flatten();
    NewAuditEvent {
        occurred_at: now,
        instance_id: instance_id().to_owned(),
        request_id: origin.request_id.clone(),
        dialect: origin.channel.as_str(),
        actor_type,
        actor_id,
        actor_email,
        credential_id: origin.via.credential_id().map(str::to_owned),
        action: event.action.as_str(),
        event_type,
        outcome: if error_code.is_some() {
            "failure"
        } else {
            "success"
        },
        error_code,
        target_type: (!event.target.kind.is_empty()).then_some(event.target.kind),
        target_id: event.target.id,
        target_email: event.target.email,
        changes: Value::Object(event.changes),
        ip: origin.ip.map(|ip| ip.to_string()),
        user_agent: origin.user_agent.clone(),
        resource: event.resource,
    }
}

/// Every event is also a log line, for log shippers, and a count.
fn log(row: &NewAuditEvent) {
    metrics::counter!("usergate_audit_events_total", "action" => row.action, "outcome" => row.outcome)
        .increment(1);
    tracing::info!(
        target: "usergate::audit",
        action = row.action,
        outcome = row.outcome,
        error_code = row.error_code.as_deref(),
        dialect = row.dialect,
        actor_type = row.actor_type,
        actor_id = row.actor_id.as_deref(),
        credential_id = row.credential_id.as_deref(),
        target_type = row.target_type,
        target_id = row.target_id.as_deref(),
        request_id = row.request_id.as_deref(),
        changes = %row.changes,
        "audit"
    );
}

/// The stable code of an error in a failure event, or none for errors that are not a refused
/// change (a credential that did not authenticate, a rate limit: counted elsewhere).
pub fn error_code(e: &CoreError) -> Option<String> {
    Some(match e {
        CoreError::Validation(fields) => {
            let names: Vec<&str> = fields.iter().map(|f| f.field).collect();
            format!("validation:{}", names.join(","))
        }
        CoreError::NotFound => "not_found".into(),
        CoreError::GroupNotFound => "group_not_found".into(),
        CoreError::Conflict(c) => format!("conflict:{}", snake(&format!("{c:?}"))),
        CoreError::Forbidden(d) => format!("forbidden:{}", snake(&format!("{d:?}"))),
        CoreError::Unauthenticated(_) => "bad_credentials".into(),
        CoreError::RateLimited { .. } => return None,
        CoreError::MailUnavailable(_) => "mail_unavailable".into(),
        CoreError::MailFailed(_) => "mail_failed".into(),
        CoreError::CodeExpired => "code_expired".into(),
        CoreError::Internal(_) => "internal".into(),
    })
}

/// `DuplicateEmail` → `duplicate_email`.
fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_parses_back_and_errors_have_snake_codes() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        let e = CoreError::Conflict(crate::error::Conflict::DuplicateEmail);
        assert_eq!(error_code(&e).as_deref(), Some("conflict:duplicate_email"));
        let e = CoreError::RateLimited {
            retry_after: std::time::Duration::from_secs(1),
        };
        assert_eq!(error_code(&e), None);
    }
}
