//! Domo's Groups API (`/v1/groups`), as pydomo's `GroupClient` and `groups_*` helpers call it.
//! Spec: `shared/dialects/domo-groups.md`. The groups are core's: SCIM serves the same ones.
//!
//! Decisions where Domo's documents are silent (each from the spec's open questions):
//! - Create answers 201 (pydomo takes 200 or 201); update 200 with the group; add and remove
//!   a member 204 with no body (pydomo raises on anything else).
//! - `creatorId` is the id of the client's owner, as a string; a group made by the operator
//!   or an import has `""`.
//! - The creator does not become a member (one unconfirmed report says Domo does so).
//! - Deleting a group with members is 409 `Group has members` (pydomo's `groups_delete`
//!   empties a group first); adding a member to an inactive group is 409 `Group is inactive`;
//!   removing one is allowed. Adding a member twice, or removing a non-member, is 204.
//! - Inactive groups are listed and readable. No group is made for you: a `"default": true`
//!   group is joined by every user created afterwards, by any path; marking a group default
//!   does not add the users that exist.
//! - The five role names are refused as group names (409), as in every dialect: SCIM shows
//!   the roles as groups of those names.
//! - Ids that are not numbers answer 404 like unknown ones (`Group not found`, `User not
//!   found`). Admins only, reads included (403 otherwise), with the `user` scope.

pub mod wire;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use usergate_core::GroupDelete;
use usergate_web::{Body, Object, blocking};

use crate::State;
use crate::auth::Caller;
use crate::convert::{self, user_id};
use crate::error::{DomoError, ErrorBody};
use crate::wire::ListParams;
use wire::{DomoGroup, GroupBody, NewGroupBody, group_changes, group_id, new_group};

type Result<T> = std::result::Result<T, DomoError>;

/// Mounts the Groups API on the dialect's scope (each route also with a trailing slash:
/// pydomo creates and lists at `/v1/groups/`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(["/v1/groups", "/v1/groups/"])
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource(["/v1/groups/{id}", "/v1/groups/{id}/"])
            .route(web::get().to(get))
            .route(web::put().to(update))
            .route(web::delete().to(delete)),
    )
    .service(
        web::resource(["/v1/groups/{id}/users", "/v1/groups/{id}/users/"])
            .route(web::get().to(members)),
    )
    .service(
        web::resource([
            "/v1/groups/{id}/users/{user}",
            "/v1/groups/{id}/users/{user}/",
        ])
        .route(web::put().to(add_member))
        .route(web::delete().to(remove_member)),
    );
}

/// Creates a group.
#[utoipa::path(post, path = "/domo/v1/groups", tag = "groups",
    request_body = NewGroupBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new group", body = DomoGroup),
        (status = 400, description = "No name, or a field of the wrong type", body = ErrorBody),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
        (status = 409, description = "The name is taken, or a role's", body = ErrorBody),
    ))]
pub async fn create(
    caller: Caller,
    state: web::Data<State>,
    Body(Object(body)): Body<Object<NewGroupBody>>,
) -> Result<HttpResponse> {
    let new = new_group(body)?;
    let core = state.core.clone();
    let group = blocking(move || core.groups.create(caller.actor(), new)).await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(DomoGroup::from(&group)))
}

/// A group.
#[utoipa::path(get, path = "/domo/v1/groups/{id}", tag = "groups",
    params(("id" = i64, Path, description = "The group's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", body = DomoGroup),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
        (status = 404, description = "Group not found", body = ErrorBody),
    ))]
pub async fn get(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = group_id(&id)?;
    let core = state.core.clone();
    let group = blocking(move || core.groups.get(caller.actor(), id)).await?;
    Ok(HttpResponse::Ok().json(DomoGroup::from(&group)))
}

/// Groups in id order, a page at a time (a bare array; `[]` past the end).
#[utoipa::path(get, path = "/domo/v1/groups", tag = "groups",
    params(
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "1 to 500 (default 50)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Rows to skip (default 0)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The page", body = [DomoGroup]),
        (status = 400, description = "limit or offset out of range", body = ErrorBody),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
    ))]
pub async fn list(
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let page = convert::page(&p)?;
    let core = state.core.clone();
    let (groups, _) = blocking(move || core.groups.list(caller.actor(), page)).await?;
    let groups: Vec<DomoGroup> = groups.iter().map(DomoGroup::from).collect();
    Ok(HttpResponse::Ok().json(groups))
}

/// Changes a group: only the fields sent (`{}` changes nothing).
#[utoipa::path(put, path = "/domo/v1/groups/{id}", tag = "groups",
    params(("id" = i64, Path, description = "The group's id")),
    request_body = GroupBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group as it is now", body = DomoGroup),
        (status = 400, description = "A field of the wrong type", body = ErrorBody),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
        (status = 404, description = "Group not found", body = ErrorBody),
        (status = 409, description = "The new name is taken, or a role's", body = ErrorBody),
    ))]
pub async fn update(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    Body(Object(body)): Body<Object<GroupBody>>,
) -> Result<HttpResponse> {
    let id = group_id(&id)?;
    let changes = group_changes(body)?;
    let core = state.core.clone();
    let group = blocking(move || core.groups.update(caller.actor(), id, &changes)).await?;
    Ok(HttpResponse::Ok().json(DomoGroup::from(&group)))
}

/// Deletes a group for good. It must have no members. 204, no body.
#[utoipa::path(delete, path = "/domo/v1/groups/{id}", tag = "groups",
    params(("id" = i64, Path, description = "The group's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
        (status = 404, description = "Group not found", body = ErrorBody),
        (status = 409, description = "Group has members", body = ErrorBody),
    ))]
pub async fn delete(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = group_id(&id)?;
    let core = state.core.clone();
    blocking(move || {
        core.groups
            .delete(caller.actor(), id, GroupDelete::OnlyEmpty)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The ids of a group's members, ascending, a page at a time (bare numbers; `[]` past the
/// end).
#[utoipa::path(get, path = "/domo/v1/groups/{id}/users", tag = "groups",
    params(
        ("id" = i64, Path, description = "The group's id"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "1 to 500 (default 50)"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Rows to skip (default 0)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The members' ids", body = [i64]),
        (status = 400, description = "limit or offset out of range", body = ErrorBody),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
        (status = 404, description = "Group not found", body = ErrorBody),
    ))]
pub async fn members(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    p: web::Query<ListParams>,
) -> Result<HttpResponse> {
    let id = group_id(&id)?;
    let page = convert::page(&p)?;
    let core = state.core.clone();
    let members = blocking(move || core.groups.members(caller.actor(), id, page)).await?;
    let ids: Vec<i64> = members.iter().map(|u| u.get()).collect();
    Ok(HttpResponse::Ok().json(ids))
}

/// Puts a user into a group (a member already: no change). Any body is ignored. 204.
#[utoipa::path(put, path = "/domo/v1/groups/{id}/users/{userId}", tag = "groups",
    params(
        ("id" = i64, Path, description = "The group's id"),
        ("userId" = i64, Path, description = "The user's id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The user is a member"),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
        (status = 404, description = "Group not found, or User not found (or deleted)", body = ErrorBody),
        (status = 409, description = "Group is inactive", body = ErrorBody),
    ))]
pub async fn add_member(
    caller: Caller,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let id = group_id(&path.0)?;
    let user = user_id(&path.1)?;
    let core = state.core.clone();
    blocking(move || core.groups.add_member(caller.actor(), id, user)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Takes a user out of a group (not a member: no change). 204.
#[utoipa::path(delete, path = "/domo/v1/groups/{id}/users/{userId}", tag = "groups",
    params(
        ("id" = i64, Path, description = "The group's id"),
        ("userId" = i64, Path, description = "The user's id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The user is not a member"),
        (status = 401, description = "No usable token", body = ErrorBody),
        (status = 403, description = "Not an admin, or no user scope", body = ErrorBody),
        (status = 404, description = "Group not found", body = ErrorBody),
    ))]
pub async fn remove_member(
    caller: Caller,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let id = group_id(&path.0)?;
    let user = user_id(&path.1)?;
    let core = state.core.clone();
    blocking(move || core.groups.remove_member(caller.actor(), id, user)).await?;
    Ok(HttpResponse::NoContent().finish())
}
