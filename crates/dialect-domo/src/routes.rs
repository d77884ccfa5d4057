//! The endpoints: the OAuth token endpoint, `/v1/users` (and `/v1/users/`) and `/v1/users/{id}`.
//! Handlers extract, call core on the blocking pool, and render; core decides (only active
//! admins manage users; the last admin stays).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use usergate_core::machine::CredentialKind;
use usergate_core::{
    Actor, AuthFailure, BatchMode, Core, CoreError, CoreResult, Lookup, User, UserId, UserKey,
};
use usergate_web::tokens::ClientGrant;
use usergate_web::{Body, Object, basic_credentials, blocking, client_ip, point_read};

use crate::State;
use crate::auth::{AUDIENCE, Caller, EARLY};
use crate::convert::{
    self, domo_user, list_query, send_invite, token_request, token_response, user_id,
};
use crate::error::{DomoError, ErrorBody, OAuthError, OAuthErrorBody};
use crate::wire::{
    CreateBody, CreateParams, DeletedUser, DomoUser, GrantType, ListParams, TokenResponse,
    UpdateBody, UserOrDeleted,
};

type Result<T> = std::result::Result<T, DomoError>;

/// Both verbs of the token endpoint: HTTP Basic `client_id:client_secret`; `grant_type` and
/// `scope` in the query string or in a form body (a body value wins).
async fn issue(
    state: web::Data<State>,
    req: HttpRequest,
    body: web::Bytes,
) -> std::result::Result<HttpResponse, OAuthError> {
    // Read here rather than by an extractor, so that a malformed query string gets the OAuth
    // error body like every other refusal of this endpoint.
    let requested = token_request(req.query_string(), &body)?;
    let ip = client_ip(&req);
    let Some((id, secret)) = basic_credentials(&req) else {
        usergate_web::limited(&state.core, move |c| c.auth.anonymous_request(ip)).await??;
        return Err(CoreError::Unauthenticated(AuthFailure::Missing).into());
    };
    let core = state.core.clone();
    let granted = blocking(move || {
        let kind = CredentialKind::OAuthClient;
        core.auth
            .authenticate_machine(kind, &id, &secret, requested.as_deref(), ip)
    })
    .await?;
    let ttl = state.settings.token_ttl;
    let issued = state.tokens.issue_with(
        AUDIENCE,
        granted.principal.id,
        granted.principal.credentials_version,
        ttl,
        Some(ClientGrant {
            client_id: &granted.credential.id,
            scopes: &granted.scopes,
            // Short lifetimes (tests) keep at least half of their time in `exp`.
            early: EARLY.min(ttl / 2),
        }),
    )?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(token_response(&granted, issued, ttl)))
}

/// Issues an access token for an OAuth client.
#[utoipa::path(post, path = "/domo/oauth/token", tag = "oauth",
    params(
        ("grant_type" = GrantType, Query, description = "client_credentials (or in a form body)"),
        ("scope" = Option<String>, Query, pattern = "^[a-z]+( [a-z]+)*$", description = "Space-separated scopes (account, audit, buzz, dashboard, data, user); all of the client's when absent; one the client lacks is 400 invalid_scope"),
    ),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "Optional: grant_type=client_credentials&scope=user",
        example = "grant_type=client_credentials&scope=user"),
    security(("client_basic" = [])),
    responses(
        (status = 200, description = "The token", body = TokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = OAuthErrorBody),
        (status = 401, description = "Bad client credentials", body = OAuthErrorBody),
        (status = 429, description = "Too many failed attempts", body = OAuthErrorBody),
    ))]
pub async fn token(
    state: web::Data<State>,
    req: HttpRequest,
    body: web::Bytes,
) -> std::result::Result<HttpResponse, OAuthError> {
    issue(state, req, body).await
}

/// Issues an access token for an OAuth client (Domo's docs and several SDKs use `GET`).
#[utoipa::path(get, path = "/domo/oauth/token", tag = "oauth",
    params(
        ("grant_type" = GrantType, Query, description = "client_credentials (or in a form body)"),
        ("scope" = Option<String>, Query, pattern = "^[a-z]+( [a-z]+)*$", description = "Space-separated scopes (account, audit, buzz, dashboard, data, user); all of the client's when absent; one the client lacks is 400 invalid_scope"),
    ),
    security(("client_basic" = [])),
    responses(
        (status = 200, description = "The token", body = TokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = OAuthErrorBody),
        (status = 401, description = "Bad client credentials", body = OAuthErrorBody),
        (status = 429, description = "Too many failed attempts", body = OAuthErrorBody),
    ))]
pub async fn token_get(
    state: web::Data<State>,
    req: HttpRequest,
) -> std::result::Result<HttpResponse, OAuthError> {
    issue(state, req, web::Bytes::new()).await
}

/// Creates a user (no password: with `sendInvite=true` an invitation is mailed).
#[utoipa::path(post, path = "/domo/v1/users", tag = "users",
    params(("sendInvite" = Option<bool>, Query, description = "Mail an invitation (true/false, any case; default false)")),
    request_body = CreateBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new user", body = DomoUser),
        (status = 400, description = "A missing or invalid field", body = ErrorBody),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 413, description = "Body over the cap", body = ErrorBody),
        (status = 500, description = "The invitation email could not be sent (nothing was created)", body = ErrorBody),
        (status = 503, description = "sendInvite=true without a mail server (nothing was created)", body = ErrorBody),
    ))]
pub async fn create(
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<CreateParams>,
    Body(Object(body)): Body<Object<CreateBody>>,
) -> Result<HttpResponse> {
    let invite = send_invite(p.send_invite.as_deref())?;
    let new = convert::new_user(body)?;
    let core = state.core.clone();
    let user = blocking(move || {
        let actor = caller.actor();
        let user = if invite {
            let mut batch = core
                .users
                .invite_batch(actor, vec![Ok(new)], BatchMode::Stop)?;
            batch
                .results
                .pop()
                .unwrap_or_else(|| Err(CoreError::Internal("empty batch".into())))?
        } else {
            core.users.create(actor, new)?
        };
        one(&core, actor, &user)
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(user))
}

/// A user; a deleted one answers `{"id","name","deleted":true}`.
#[utoipa::path(get, path = "/domo/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user, or the deleted shape", body = UserOrDeleted),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
        (status = 404, description = "User not found", body = ErrorBody),
    ))]
pub async fn get(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = user_id(&id)?;
    let core = state.core.clone();
    let found = point_read(&state.core, move || {
        let actor = caller.actor();
        Ok(match core.users.get_or_deleted(actor, id)? {
            Lookup::Live(user) => UserOrDeleted::User(Box::new(one(&core, actor, &user)?)),
            Lookup::Deleted { id, name } => UserOrDeleted::Deleted(DeletedUser {
                id: id.get(),
                name,
                deleted: true,
            }),
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Users in id order, a page at a time (a bare array; `[]` past the end).
#[utoipa::path(get, path = "/domo/v1/users", tag = "users",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "1 to 500 (default 50)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Rows to skip (default 0)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The page", body = [DomoUser]),
        (status = 400, description = "limit or offset out of range", body = ErrorBody),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
    ))]
pub async fn list(
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let query = list_query(&p)?;
    let core = state.core.clone();
    let users = blocking(move || {
        let found = core.users.query(caller.actor(), &query)?;
        rendered(&core, caller.actor(), &found.items)
    })
    .await?;
    Ok(HttpResponse::Ok().json(users))
}

/// Changes a user: only the fields sent; `null` or `""` clears an optional one.
#[utoipa::path(put, path = "/domo/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    request_body = UpdateBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user as it is now", body = DomoUser),
        (status = 400, description = "An invalid field", body = ErrorBody),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
        (status = 404, description = "User not found (or deleted)", body = ErrorBody),
        (status = 409, description = "The email is taken, or the last active admin", body = ErrorBody),
    ))]
pub async fn update(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    Body(Object(body)): Body<Object<UpdateBody>>,
) -> Result<HttpResponse> {
    let key = UserKey::Id(user_id(&id)?);
    let changes = convert::changes(body)?;
    let core = state.core.clone();
    let user = blocking(move || {
        let user = core.users.update(caller.actor(), &key, &changes)?;
        one(&core, caller.actor(), &user)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Users as Domo shows them, each with its groups (one read for all of them).
fn rendered(core: &Core, actor: &Actor, users: &[User]) -> CoreResult<Vec<DomoUser>> {
    let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
    let mut of = core.groups.groups_of(actor, &ids)?;
    Ok(users
        .iter()
        .map(|u| domo_user(u, of.remove(&u.id).as_deref().unwrap_or_default()))
        .collect())
}

/// One user as Domo shows it.
fn one(core: &Core, actor: &Actor, user: &User) -> CoreResult<DomoUser> {
    let mut shown = rendered(core, actor, std::slice::from_ref(user))?;
    shown
        .pop()
        .ok_or_else(|| CoreError::Internal("no user rendered".into()))
}

/// Deletes a user (soft: never restorable; its email is free again). 204, no body.
#[utoipa::path(delete, path = "/domo/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, no user scope, or one's own account", body = ErrorBody),
        (status = 404, description = "User not found (or already deleted)", body = ErrorBody),
        (status = 409, description = "The last active admin", body = ErrorBody),
    ))]
pub async fn delete(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let key = UserKey::Id(user_id(&id)?);
    let core = state.core.clone();
    blocking(move || core.users.delete(caller.actor(), &key)).await?;
    Ok(HttpResponse::NoContent().finish())
}
