//! `GET /v1/audit-events`: the audit log, newest first, for admins. Filters are exact; pages
//! go by id (`before` the last id of the previous page), never by offset, so a page is stable
//! while new events arrive.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDateTime, SecondsFormat};
use serde::{Deserialize, Serialize};
use usergate_core::audit::{AuditEvent, AuditQuery, MAX_AUDIT_PAGE};
use usergate_core::ports::{AuditFilter, Cursor};
use usergate_web::blocking;
use utoipa::ToSchema;

use crate::State;
use crate::auth::Caller;
use crate::convert::positive;
use crate::error::{ApiError, ErrorBody};

/// Events a page holds unless `limit` says otherwise.
const DEFAULT_LIMIT: u64 = 100;

/// The query parameters.
#[derive(Debug, Deserialize)]
pub struct AuditParams {
    /// ISO 8601: events at or after.
    pub since: Option<String>,
    /// ISO 8601: events before.
    pub until: Option<String>,
    /// The actor's user id, address or credential id.
    pub actor: Option<String>,
    /// `user`, `group`, `api_key`, `oauth_client`, `webhook`.
    pub target_type: Option<String>,
    /// The target's id (a user's number).
    pub target_id: Option<String>,
    /// An action (`user.update`).
    pub action: Option<String>,
    /// `success` or `failure`.
    pub outcome: Option<String>,
    /// Events with a smaller id than this (the previous page's `next_before`).
    pub before: Option<String>,
    /// 1 to 500 (default 100).
    pub limit: Option<String>,
}

/// Who acted.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditActor {
    /// `user`, `api_key`, `oauth_client`, `cli`, `system` or `anonymous`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The acting user's id (the key's or client's owner for those).
    pub id: Option<String>,
    /// Their address when it happened.
    pub email: Option<String>,
    /// The API key's or OAuth client's id, or the session token's id.
    pub credential_id: Option<String>,
}

/// What it was done to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditTarget {
    /// `user`, `group`, `api_key`, `oauth_client`, `webhook`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Its id.
    pub id: Option<String>,
    /// A user's address when it happened.
    pub email: Option<String>,
}

/// One event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventOut {
    /// Increasing.
    pub id: i64,
    /// ISO 8601, UTC, microseconds.
    #[schema(example = "2026-12-05T10:00:00.000000Z")]
    pub occurred_at: String,
    /// `user.create`, `user.role_change`, `auth.login` ...
    #[schema(example = "user.role_change")]
    pub action: String,
    /// `success` or `failure`.
    pub outcome: String,
    /// Why a failure failed (`conflict:duplicate_email`, `forbidden:not_admin` ...).
    pub error_code: Option<String>,
    /// The channel: `dreamfactory`, `domo`, `generic`, `email_keyed`, `scim`, `cli`,
    /// `console`, `import` or `system`.
    pub dialect: String,
    /// Who.
    pub actor: AuditActor,
    /// What.
    pub target: AuditTarget,
    /// The allow-listed diff: `{"role": {"from": "user", "to": "admin"}}`; a password is only
    /// ever `"changed"`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    /// The request's `X-Request-Id`.
    pub request_id: Option<String>,
    /// The client's address.
    pub ip: Option<String>,
    /// Its `User-Agent` (at most 512 bytes).
    pub user_agent: Option<String>,
    /// The instance that wrote it.
    pub instance_id: String,
}

impl From<&AuditEvent> for AuditEventOut {
    fn from(e: &AuditEvent) -> Self {
        AuditEventOut {
            id: e.id,
            occurred_at: e
                .occurred_at
                .and_utc()
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            action: e.action.clone(),
            outcome: e.outcome.clone(),
            error_code: e.error_code.clone(),
            dialect: e.dialect.clone(),
            actor: AuditActor {
                kind: e.actor_type.clone(),
                id: e.actor_id.clone(),
                email: e.actor_email.clone(),
                credential_id: e.credential_id.clone(),
            },
            target: AuditTarget {
                kind: e.target_type.clone(),
                id: e.target_id.clone(),
                email: e.target_email.clone(),
            },
            changes: e.changes.clone(),
            request_id: e.request_id.clone(),
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
            instance_id: e.instance_id.clone(),
        }
    }
}

/// A page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Always true.
    pub success: bool,
    /// Newest first.
    pub data: Vec<AuditEventOut>,
    /// The `before` of the next page, or null on the last one.
    pub next_before: Option<i64>,
}

/// The audit log, newest first: every change of state by any dialect, the CLI, an import or
/// the console, refused changes and logins included. Admins only.
#[utoipa::path(get, path = "/v1/audit-events", tag = "audit",
    params(
        ("since" = Option<String>, Query, description = "ISO 8601: events at or after"),
        ("until" = Option<String>, Query, description = "ISO 8601: events before"),
        ("actor" = Option<String>, Query, description = "The actor's user id, address or credential id"),
        ("target_type" = Option<String>, Query, description = "user, group, api_key, oauth_client or webhook"),
        ("target_id" = Option<String>, Query, description = "The target's id (a user's number)"),
        ("action" = Option<String>, Query, description = "An action, such as user.update"),
        ("outcome" = Option<String>, Query, description = "success or failure"),
        ("before" = Option<i64>, Query, minimum = 1, description = "Events with a smaller id (the previous page's next_before)"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 500, description = "1 to 500 (default 100)"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page", body = AuditPage),
        (status = 400, description = "A bad parameter (named in field)", body = ErrorBody),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
    ))]
pub async fn list(
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<AuditParams>,
) -> Result<HttpResponse, ApiError> {
    let query = audit_query(&p)?;
    let limit = query.limit as usize;
    let core = state.core.clone();
    let events = blocking(move || core.audit.list(caller.actor(), &query)).await?;
    let next_before = (events.len() == limit)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    Ok(HttpResponse::Ok().json(AuditPage {
        success: true,
        data: events.iter().map(AuditEventOut::from).collect(),
        next_before,
    }))
}

/// The parameters as a core query.
fn audit_query(p: &AuditParams) -> Result<AuditQuery, ApiError> {
    let limit = positive(p.limit.as_deref(), "limit", DEFAULT_LIMIT)?;
    if limit > u64::from(MAX_AUDIT_PAGE) {
        return Err(ApiError::field(
            "limit",
            format!("limit must be between 1 and {MAX_AUDIT_PAGE}"),
        ));
    }
    let before = p
        .before
        .as_deref()
        .map(|b| positive(Some(b), "before", 1))
        .transpose()?;
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(AuditQuery {
        filter: AuditFilter {
            since: time(p.since.as_deref(), "since")?,
            until: time(p.until.as_deref(), "until")?,
            actor: text(&p.actor),
            target_type: text(&p.target_type),
            target_id: text(&p.target_id),
            action: text(&p.action),
            outcome: text(&p.outcome),
        },
        cursor: Cursor::Before(before.map(|b| i64::try_from(b).unwrap_or(i64::MAX))),
        limit: u32::try_from(limit).unwrap_or(MAX_AUDIT_PAGE),
    })
}

/// An ISO 8601 time with an offset, as UTC.
pub fn time(raw: Option<&str>, field: &str) -> Result<Option<NaiveDateTime>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(raw)
        .map(|t| Some(t.naive_utc()))
        .map_err(|_| {
            ApiError::field(
                field,
                format!(
                    "{field} must be an ISO 8601 time with an offset, such as 2026-12-05T10:00:00Z"
                ),
            )
        })
}
