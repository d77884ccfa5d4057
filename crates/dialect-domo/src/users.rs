//! The Users API: `/v1/users` (and `/v1/users/`) and `/v1/users/{id}`. Handlers translate;
//! core decides (only active admins manage users; the last admin stays).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use usergate_core::query::{Direction, Field, Query};
use usergate_core::{BatchMode, CoreError, Lookup, Page, UserId, UserKey};
use usergate_web::blocking;

use crate::State;
use crate::auth::Caller;
use crate::error::{DomoError, ErrorBody};
use crate::wire::{self, CreateBody, DeletedUser, DomoUser, UpdateBody, UserOrDeleted};

type Result<T> = std::result::Result<T, DomoError>;

/// Largest page.
pub const MAX_LIMIT: i64 = 500;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: i64 = 50;

/// `sendInvite` (`true`/`false` in any case; absent means false).
#[derive(Debug, Deserialize)]
pub struct CreateParams {
    /// Mail an invitation.
    #[serde(rename = "sendInvite")]
    pub send_invite: Option<String>,
}

/// `limit` and `offset`.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    /// 1 to 500 (default 50).
    pub limit: Option<String>,
    /// Rows to skip (default 0).
    pub offset: Option<String>,
}

fn number(raw: Option<&str>, name: &str, default: i64, min: i64, max: i64) -> Result<i64> {
    let Some(raw) = raw else { return Ok(default) };
    let n: i64 = raw
        .trim()
        .parse()
        .map_err(|_| DomoError::bad_request(format!("{name} must be a whole number")))?;
    if n < min || n > max {
        return Err(DomoError::bad_request(format!(
            "{name} must be between {min} and {max}"
        )));
    }
    Ok(n)
}

fn user_id(raw: &str) -> Result<UserId> {
    raw.trim()
        .parse::<i64>()
        .map(UserId::new)
        .map_err(|_| DomoError::not_found())
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
    body: web::Json<Value>,
) -> Result<HttpResponse> {
    let invite = match p
        .send_invite
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(DomoError::bad_request("sendInvite must be true or false")),
    };
    let new = wire::new_user(&body)?;
    let core = state.core.clone();
    let user = blocking(move || {
        if invite {
            let mut batch = core
                .users
                .invite_batch(&caller.0, vec![Ok(new)], BatchMode::Stop)?;
            batch
                .results
                .pop()
                .unwrap_or_else(|| Err(CoreError::Internal("empty batch".into())))
        } else {
            core.users.create(&caller.0, new)
        }
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(DomoUser::from(&user)))
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
    match blocking(move || core.users.get_or_deleted(&caller.0, id)).await? {
        Lookup::Live(user) => Ok(HttpResponse::Ok().json(DomoUser::from(&*user))),
        Lookup::Deleted { id, name } => Ok(HttpResponse::Ok().json(DeletedUser {
            id: id.get(),
            name,
            deleted: true,
        })),
    }
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
    let limit = number(p.limit.as_deref(), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?;
    let offset = number(p.offset.as_deref(), "offset", 0, 0, i64::MAX)?;
    let query = Query {
        cond: None,
        order: vec![(Field::Id, Direction::Asc)],
        page: Page {
            limit: u32::try_from(limit).unwrap_or(500),
            offset: u64::try_from(offset).unwrap_or(0),
        },
        count: false,
    };
    let core = state.core.clone();
    let found = blocking(move || core.users.query(&caller.0, &query)).await?;
    let users: Vec<DomoUser> = found.items.iter().map(DomoUser::from).collect();
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
    body: web::Json<Value>,
) -> Result<HttpResponse> {
    let id = user_id(&id)?;
    let changes = wire::changes(&body)?;
    let core = state.core.clone();
    let user = blocking(move || core.users.update(&caller.0, &UserKey::Id(id), &changes)).await?;
    Ok(HttpResponse::Ok().json(DomoUser::from(&user)))
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
    let id = user_id(&id)?;
    let core = state.core.clone();
    blocking(move || core.users.delete(&caller.0, &UserKey::Id(id))).await?;
    Ok(HttpResponse::NoContent().finish())
}
