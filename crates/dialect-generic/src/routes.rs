//! The endpoints. Handlers translate; core decides.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use usergate_core::query::{Cond, Direction, Field, Query};
use usergate_core::{Page, UserKey};
use usergate_web::blocking;
use utoipa::ToSchema;

use crate::State;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::wire::{self, CreateUser, GenericUser, RoleWord, StatusWord, UpdateUser};

type Result<T> = std::result::Result<T, ApiError>;

/// Largest page.
pub const MAX_LIMIT: u64 = 100;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u64 = 20;

/// The list's query parameters.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    /// 1 or more (default 1).
    pub page: Option<String>,
    /// 1 to 100 (default 20; more is taken as 100).
    pub limit: Option<String>,
    /// `admin`, `user` or `viewer`.
    pub role: Option<String>,
    /// `active`, `inactive` or `suspended`.
    pub status: Option<String>,
    /// A case-insensitive substring of the name or the email.
    pub search: Option<String>,
}

/// `pagination`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pagination {
    /// This page (from 1).
    pub page: u64,
    /// Page size used.
    pub limit: u64,
    /// Users matching, over all pages.
    pub total: u64,
    /// `ceil(total / limit)`.
    pub pages: u64,
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// Always true.
    pub success: bool,
    /// The users of this page.
    pub data: Vec<GenericUser>,
    /// Where this page is.
    pub pagination: Pagination,
}

/// One user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserReply {
    /// Always true.
    pub success: bool,
    /// The user.
    pub data: GenericUser,
    /// What happened (writes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

/// A delete's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    /// Always true.
    pub success: bool,
    /// `User deleted successfully`.
    pub message: &'static str,
}

fn positive(raw: Option<&str>, field: &str, default: u64) -> Result<u64> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.unsigned_abs()),
        _ => Err(ApiError::field(
            field,
            format!("{field} must be a whole number from 1"),
        )),
    }
}

fn user_id(raw: &str) -> Result<usergate_core::UserId> {
    wire::parse_id(raw).ok_or_else(ApiError::not_found)
}

/// Lists users: filters, a case-insensitive search, stable order (creation, then id).
#[utoipa::path(get, path = "/v1/users", tag = "users",
    params(
        ("page" = Option<u64>, Query, minimum = 1, description = "From 1 (default 1)"),
        ("limit" = Option<u64>, Query, minimum = 1, description = "1 to 100 (default 20; more is taken as 100)"),
        ("role" = Option<RoleWord>, Query, description = "admin, user (privileged, editor and user) or viewer"),
        ("status" = Option<StatusWord>, Query, description = "active, inactive or suspended"),
        ("search" = Option<String>, Query, pattern = "^[^\\u0000]*$", description = "Case-insensitive substring of name or email (% and _ are literal; NUL is refused)"),
    ),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page", body = UserList),
        (status = 400, description = "A bad parameter (named in field)", body = ErrorBody),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
        (status = 429, description = "Too many requests without a usable key", body = ErrorBody),
    ))]
pub async fn list(
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let page = positive(p.page.as_deref(), "page", 1)?;
    let limit = positive(p.limit.as_deref(), "limit", DEFAULT_LIMIT)?.min(MAX_LIMIT);
    let mut all = Vec::new();
    if let Some(word) = p.role.as_deref() {
        let class = wire::role_class(word)
            .ok_or_else(|| ApiError::field("role", "role must be one of admin, user, viewer"))?;
        all.push(Cond::RoleIn(class.to_vec()));
    }
    if let Some(word) = p.status.as_deref() {
        let status = wire::status_of(word).ok_or_else(|| {
            ApiError::field(
                "status",
                "status must be one of active, inactive, suspended",
            )
        })?;
        all.push(Cond::StatusIn(vec![status]));
    }
    if let Some(term) = p.search.as_deref().filter(|t| !t.is_empty()) {
        if term.contains('\0') {
            return Err(ApiError::field(
                "search",
                "search must not contain NUL characters",
            ));
        }
        all.push(Cond::Search(term.to_owned()));
    }
    let offset = (page - 1).saturating_mul(limit);
    let query = Query {
        cond: (!all.is_empty()).then_some(Cond::All(all)),
        order: vec![(Field::CreatedAt, Direction::Asc)],
        page: Page {
            limit: u32::try_from(limit).unwrap_or(100),
            offset,
        },
        count: true,
    };
    let core = state.core.clone();
    let found = blocking(move || core.users.query(&caller.0, &query)).await?;
    let total = found.total.unwrap_or(0);
    Ok(HttpResponse::Ok().json(UserList {
        success: true,
        data: found.items.iter().map(GenericUser::from).collect(),
        pagination: Pagination {
            page,
            limit,
            total,
            pages: total.div_ceil(limit),
        },
    }))
}

/// One user.
#[utoipa::path(get, path = "/v1/users/{user_id}", tag = "users",
    params(("user_id" = String, Path, description = "usr_ and the number")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The user", body = UserReply),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
        (status = 404, description = "No such user (or deleted, or not usr_<digits>)", body = ErrorBody),
    ))]
pub async fn get(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = user_id(&id)?;
    let core = state.core.clone();
    let user = blocking(move || core.users.get(&caller.0, &UserKey::Id(id))).await?;
    Ok(HttpResponse::Ok().json(UserReply {
        success: true,
        data: GenericUser::from(&user),
        message: None,
    }))
}

/// Creates a user.
#[utoipa::path(post, path = "/v1/users", tag = "users",
    request_body = CreateUser,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Created", body = UserReply),
        (status = 400, description = "A missing, invalid, unknown or read-only field (named in field)", body = ErrorBody),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
        (status = 409, description = "duplicate_email", body = ErrorBody),
        (status = 413, description = "Body over the cap", body = ErrorBody),
    ))]
pub async fn create(
    caller: Caller,
    state: web::Data<State>,
    body: web::Json<Value>,
) -> Result<HttpResponse> {
    let new = wire::new_user(&body, state.core.policy)?;
    let core = state.core.clone();
    let user = blocking(move || core.users.create(&caller.0, new)).await?;
    let data = GenericUser::from(&user);
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, format!("/v1/users/{}", data.id)))
        .json(UserReply {
            success: true,
            data,
            message: Some("User created successfully"),
        }))
}

/// Changes a user: only the fields sent. A new password or role, or another status, ends the
/// user's sessions and tokens.
#[utoipa::path(patch, path = "/v1/users/{user_id}", tag = "users",
    params(("user_id" = String, Path, description = "usr_ and the number")),
    request_body = UpdateUser,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Updated", body = UserReply),
        (status = 400, description = "An invalid, unknown or read-only field (named in field)", body = ErrorBody),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "The key's owner is not an admin", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "duplicate_email, or conflict (the last active admin)", body = ErrorBody),
    ))]
pub async fn update(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse> {
    let id = user_id(&id)?;
    let changes = wire::changes(&body, state.core.policy)?;
    let core = state.core.clone();
    let user = blocking(move || core.users.update(&caller.0, &UserKey::Id(id), &changes)).await?;
    Ok(HttpResponse::Ok().json(UserReply {
        success: true,
        data: GenericUser::from(&user),
        message: Some("User updated successfully"),
    }))
}

/// Deletes a user (soft: it answers 404 everywhere from now on, and its email is free).
#[utoipa::path(delete, path = "/v1/users/{user_id}", tag = "users",
    params(("user_id" = String, Path, description = "usr_ and the number")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 401, description = "No usable API key", body = ErrorBody),
        (status = 403, description = "Not an admin, or one's own account", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "conflict: the last active admin", body = ErrorBody),
    ))]
pub async fn delete(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = user_id(&id)?;
    let core = state.core.clone();
    blocking(move || core.users.delete(&caller.0, &UserKey::Id(id))).await?;
    Ok(HttpResponse::Ok().json(Deleted {
        success: true,
        message: "User deleted successfully",
    }))
}
