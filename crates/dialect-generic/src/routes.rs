//! The endpoints: extract, call core on the blocking pool, render. Core decides.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use usergate_core::UserKey;
use usergate_web::{Body, Object, blocking, point_read};

use crate::State;
use crate::auth::Caller;
use crate::convert::{self, list_query, user_id, user_list};
use crate::error::{ApiError, ErrorBody};
use crate::wire::{
    CreateUser, Deleted, GenericUser, ListParams, RoleWord, StatusWord, UpdateUser, UserList,
    UserReply,
};

type Result<T> = std::result::Result<T, ApiError>;

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
    let (query, paging) = list_query(&p)?;
    let core = state.core.clone();
    let found = blocking(move || core.users.query(caller.actor(), &query)).await?;
    Ok(HttpResponse::Ok().json(user_list(&found, paging)))
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
    let key = UserKey::Id(user_id(&id)?);
    let core = state.core.clone();
    let user = point_read(&state.core, move || core.users.get(caller.actor(), &key)).await?;
    Ok(HttpResponse::Ok().json(reply(&user, None)))
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
    Body(Object(body)): Body<Object<CreateUser>>,
) -> Result<HttpResponse> {
    let new = convert::new_user(body, state.core.policy)?;
    let core = state.core.clone();
    let user = blocking(move || core.users.create(caller.actor(), new)).await?;
    let reply = reply(&user, Some("User created successfully"));
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, format!("/v1/users/{}", reply.data.id)))
        .json(reply))
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
    Body(Object(body)): Body<Object<UpdateUser>>,
) -> Result<HttpResponse> {
    let key = UserKey::Id(user_id(&id)?);
    let changes = convert::changes(body, state.core.policy)?;
    let core = state.core.clone();
    let user = blocking(move || core.users.update(caller.actor(), &key, &changes)).await?;
    Ok(HttpResponse::Ok().json(reply(&user, Some("User updated successfully"))))
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
    let key = UserKey::Id(user_id(&id)?);
    let core = state.core.clone();
    blocking(move || core.users.delete(caller.actor(), &key)).await?;
    Ok(HttpResponse::Ok().json(Deleted {
        success: true,
        message: "User deleted successfully",
    }))
}

fn reply(user: &usergate_core::User, message: Option<&'static str>) -> UserReply {
    UserReply {
        success: true,
        data: GenericUser::from(user),
        message,
    }
}
