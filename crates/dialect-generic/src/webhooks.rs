//! `/v1/webhooks`: webhook endpoints for admins. An endpoint's id is `whk_` and a number; its
//! signing secret is in the answer to its creation only.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use usergate_core::ports::Attempt;
use usergate_core::webhooks::{Endpoint, EndpointChanges, NewEndpoint};
use usergate_web::{Body, Object, blocking};
use utoipa::ToSchema;

use crate::State;
use crate::auth::Caller;
use crate::convert::positive;
use crate::error::{ApiError, ErrorBody};

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"url": "https://hooks.example.com/usergate", "event_types": ["user.created", "user.deactivated", "user.deleted"], "description": "HR system"}))]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where deliveries are POSTed: an http or https URL.
    #[schema(
        example = "https://hooks.example.com/usergate",
        pattern = "^https?://[a-z0-9]+(\\.[a-z0-9]+)*(:[1-9][0-9]{0,3})?(/[A-Za-z0-9_~-]*)*$"
    )]
    pub url: String,
    /// Event types (`user.created`, `user.deleted` ...) or `*` for all.
    pub event_types: Vec<String>,
    /// For people.
    #[serde(default)]
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub description: String,
}

/// A change to an endpoint; absent fields are kept.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"enabled": true}))]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// A new URL.
    #[schema(
        pattern = "^https?://[a-z0-9]+(\\.[a-z0-9]+)*(:[1-9][0-9]{0,3})?(/[A-Za-z0-9_~-]*)*$"
    )]
    pub url: Option<String>,
    /// New event types.
    pub event_types: Option<Vec<String>>,
    /// A new description.
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub description: Option<String>,
    /// Enable (waiting deliveries go at once) or disable.
    pub enabled: Option<bool>,
}

/// An endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    /// `whk_` and the number.
    #[schema(example = "whk_1")]
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// For people.
    pub description: String,
    /// Subscribed types, or `*`.
    pub event_types: Vec<String>,
    /// Whether deliveries go out.
    pub enabled: bool,
    /// Why usergate disabled it (its retries ran out).
    pub disabled_reason: Option<String>,
    /// `whsec_...`: in the answer to a creation only; verify each delivery's signature with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// ISO 8601, UTC.
    pub created_at: String,
    /// ISO 8601, UTC.
    pub updated_at: String,
}

fn iso(t: chrono::NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl From<&Endpoint> for WebhookOut {
    fn from(e: &Endpoint) -> Self {
        WebhookOut {
            id: format!("whk_{}", e.id),
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: e.event_types.clone(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            secret: None,
            created_at: iso(e.created_at),
            updated_at: iso(e.updated_at),
        }
    }
}

/// One endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReply {
    /// Always true.
    pub success: bool,
    /// The endpoint.
    pub data: WebhookOut,
}

/// Every endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    /// Always true.
    pub success: bool,
    /// In id order.
    pub data: Vec<WebhookOut>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptOut {
    /// The audit event delivered (its `webhook-id` is `evt_` and this).
    pub event_id: i64,
    /// ISO 8601, UTC.
    pub attempted_at: String,
    /// The receiver's HTTP status, if one came back.
    pub status_code: Option<i64>,
    /// How long it took.
    pub latency_ms: i64,
    /// What went wrong.
    pub error: Option<String>,
    /// A 2xx within the timeout.
    pub succeeded: bool,
}

impl From<&Attempt> for AttemptOut {
    fn from(a: &Attempt) -> Self {
        AttemptOut {
            event_id: a.event_id,
            attempted_at: a
                .attempted_at
                .and_utc()
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error.clone(),
            succeeded: a.succeeded,
        }
    }
}

/// An endpoint's attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptList {
    /// Always true.
    pub success: bool,
    /// Newest first.
    pub data: Vec<AttemptOut>,
}

/// `?limit=`.
#[derive(Debug, Deserialize)]
pub struct AttemptParams {
    /// 1 to 500 (default 50).
    pub limit: Option<String>,
}

fn webhook_id(raw: &str) -> Result<i64, ApiError> {
    raw.strip_prefix("whk_")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::not_found)
}

/// Every endpoint. Admins only.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The endpoints", body = WebhookList),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
    ))]
pub async fn list(caller: Caller, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    let core = state.core.clone();
    let all = blocking(move || core.webhooks.list(caller.actor())).await?;
    Ok(HttpResponse::Ok().json(WebhookList {
        success: true,
        data: all.iter().map(WebhookOut::from).collect(),
    }))
}

/// Adds an endpoint; the answer carries its signing secret, this once.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks",
    request_body = CreateWebhook,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Created, with its secret", body = WebhookReply),
        (status = 400, description = "A bad URL or an unknown event type (named in field)", body = ErrorBody),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
    ))]
pub async fn create(
    caller: Caller,
    state: web::Data<State>,
    Body(Object(body)): Body<Object<CreateWebhook>>,
) -> Result<HttpResponse, ApiError> {
    let core = state.core.clone();
    let new = NewEndpoint {
        url: body.url,
        event_types: body.event_types,
        description: body.description,
    };
    let created = blocking(move || core.webhooks.create(caller.actor(), new)).await?;
    let mut out = WebhookOut::from(&created.endpoint);
    out.secret = Some(created.secret);
    // No Location header: schemathesis (the contract fuzz) mixes the links it infers from
    // two creations' Location headers under one prefix; the body carries the id.
    Ok(HttpResponse::build(StatusCode::CREATED).json(WebhookReply {
        success: true,
        data: out,
    }))
}

/// One endpoint (never its secret).
#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = String, Path, description = "whk_ and the number")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The endpoint", body = WebhookReply),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn get(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&id)?;
    let core = state.core.clone();
    let e = blocking(move || core.webhooks.get(caller.actor(), id)).await?;
    Ok(HttpResponse::Ok().json(WebhookReply {
        success: true,
        data: WebhookOut::from(&e),
    }))
}

/// Changes an endpoint.
#[utoipa::path(patch, path = "/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = String, Path, description = "whk_ and the number")),
    request_body = UpdateWebhook,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The endpoint as it is now", body = WebhookReply),
        (status = 400, description = "A bad field (named in field)", body = ErrorBody),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn update(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    Body(Object(body)): Body<Object<UpdateWebhook>>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&id)?;
    let core = state.core.clone();
    let changes = EndpointChanges {
        url: body.url,
        event_types: body.event_types,
        description: body.description,
        enabled: body.enabled,
    };
    let e = blocking(move || core.webhooks.update(caller.actor(), id, &changes)).await?;
    Ok(HttpResponse::Ok().json(WebhookReply {
        success: true,
        data: WebhookOut::from(&e),
    }))
}

/// Deletes an endpoint with its waiting deliveries.
#[utoipa::path(delete, path = "/v1/webhooks/{webhook_id}", tag = "webhooks",
    params(("webhook_id" = String, Path, description = "whk_ and the number")),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn delete(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&id)?;
    let core = state.core.clone();
    blocking(move || core.webhooks.delete(caller.actor(), id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An endpoint's latest delivery attempts, newest first.
#[utoipa::path(get, path = "/v1/webhooks/{webhook_id}/attempts", tag = "webhooks",
    params(
        ("webhook_id" = String, Path, description = "whk_ and the number"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 500, description = "1 to 500 (default 50)"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The attempts", body = AttemptList),
        (status = 400, description = "A bad limit", body = ErrorBody),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
        (status = 404, description = "No such endpoint", body = ErrorBody),
    ))]
pub async fn attempts(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    p: web::Query<AttemptParams>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&id)?;
    let limit = positive(p.limit.as_deref(), "limit", 50)?;
    if limit > 500 {
        return Err(ApiError::field("limit", "limit must be between 1 and 500"));
    }
    let limit = u32::try_from(limit).unwrap_or(500);
    let core = state.core.clone();
    let all = blocking(move || core.webhooks.attempts(caller.actor(), id, limit)).await?;
    Ok(HttpResponse::Ok().json(AttemptList {
        success: true,
        data: all.iter().map(AttemptOut::from).collect(),
    }))
}
