//! `/Users`: list (with filters), search, create, read, replace, PATCH, delete.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};
use usergate_core::query::{Direction, Field, Query};
use usergate_core::{Actor, Core, CoreResult, Page, User, UserId, UserKey};
use usergate_web::{Body, Object, blocking, point_read};

use super::{ListParams, Listing, Shape, ShapeParams, base, listing, reply};
use crate::State;
use crate::auth::Caller;
use crate::convert::read::read_resource;
use crate::convert::user::{editable, render, target};
use crate::error::{ErrorBody, ScimError};
use crate::patch::{PatchBody, apply};

type Result<T> = std::result::Result<T, ScimError>;

/// The core id of a path segment; anything but a number is no user (404).
pub fn user_id(raw: &str) -> Result<UserId> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(UserId::new)
        .ok_or_else(|| ScimError::not_found(format!("User {raw} not found")))
}

/// Users rendered with their groups (read only when the answer shows them).
pub fn rendered(
    core: &Core,
    actor: &Actor,
    users: &[User],
    shape: &Shape,
    base: &str,
) -> CoreResult<Vec<Value>> {
    let mut of = if shape.shows("groups") {
        let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        core.groups.groups_of(actor, &ids)?
    } else {
        Default::default()
    };
    Ok(users
        .iter()
        .map(|u| {
            let groups = of.remove(&u.id).unwrap_or_default();
            shape.apply(render(u, &groups, base))
        })
        .collect())
}

/// Users matching a listing: the page, and how many match in all.
pub fn find(
    core: &Core,
    actor: &Actor,
    l: &Listing,
    base: &str,
) -> std::result::Result<(Vec<Value>, u64), ScimError> {
    let cond = l
        .filter
        .as_ref()
        .map(crate::convert::query::users)
        .transpose()?;
    let query = Query {
        cond,
        order: vec![(Field::Id, Direction::Asc)],
        page: Page {
            limit: l.count,
            offset: l.offset,
        },
        count: true,
    };
    let found = core.users.query(actor, &query)?;
    let docs = rendered(core, actor, &found.items, &l.shape, base)?;
    Ok((docs, found.total.unwrap_or(0)))
}

/// Users in id order, filtered and paged (no match: an empty list, never 404).
#[utoipa::path(get, path = "/scim/v2/Users", tag = "users",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A ListResponse", content_type = "application/scim+json", body = Object),
        (status = 400, description = "invalidFilter or invalidValue", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn list(
    caller: Caller,
    state: web::Data<State>,
    req: HttpRequest,
    p: web::Query<ListParams>,
) -> Result<HttpResponse> {
    listing(caller, &state, &req, p.read()?, find).await
}

/// The same as a list, with the parameters in the body.
#[utoipa::path(post, path = "/scim/v2/Users/.search", tag = "users",
    request_body(content = ListParams, content_type = "application/scim+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A ListResponse", content_type = "application/scim+json", body = Object),
        (status = 400, description = "invalidFilter or invalidValue", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn search(
    caller: Caller,
    state: web::Data<State>,
    req: HttpRequest,
    Body(Object(p)): Body<Object<ListParams>>,
) -> Result<HttpResponse> {
    listing(caller, &state, &req, p.read()?, find).await
}

/// Creates a user: 201, its location, and the user.
#[utoipa::path(post, path = "/scim/v2/Users", tag = "users",
    request_body(content = Object, content_type = "application/scim+json", example = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com", "name": {"givenName": "Ada", "familyName": "Lovelace"}, "displayName": "Ada Lovelace", "emails": [{"value": "ada@example.com", "type": "work", "primary": true}], "active": true, "roles": [{"value": "editor", "primary": true}]})),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The user", content_type = "application/scim+json", body = Object),
        (status = 400, description = "invalidValue", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
        (status = 409, description = "uniqueness: the userName, email or externalId is taken", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn create(
    caller: Caller,
    state: web::Data<State>,
    req: HttpRequest,
    Body(Object(body)): Body<Object<Map<String, Value>>>,
) -> Result<HttpResponse> {
    let doc = read_resource(Value::Object(body))?;
    let new = target(&doc, None, &state.core.policy)?.new_user();
    let core = state.core.clone();
    let base = base(&req);
    let shape = Shape::default();
    let doc = blocking(move || {
        let actor = caller.actor();
        let user = core.users.create(actor, new)?;
        rendered(&core, actor, &[user], &shape, &base).map(|mut d| d.remove(0))
    })
    .await?;
    let location = doc["meta"]["location"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut res = reply(StatusCode::CREATED, &doc);
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// A user.
#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id"), ShapeParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", content_type = "application/scim+json", body = Object),
        (status = 400, description = "invalidValue: attributes that are no attribute paths", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
        (status = 404, description = "No such user", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn get(
    caller: Caller,
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    p: web::Query<ShapeParams>,
) -> Result<HttpResponse> {
    let id = user_id(&id)?;
    let shape = p.read()?;
    let core = state.core.clone();
    let base = base(&req);
    let doc = point_read(&state.core, move || {
        let actor = caller.actor();
        let user = core.users.get(actor, &UserKey::Id(id))?;
        rendered(&core, actor, &[user], &shape, &base).map(|mut d| d.remove(0))
    })
    .await?;
    Ok(reply(StatusCode::OK, &doc))
}

/// How a write turns what was read into what is written.
enum Write {
    Replace(serde_json::Map<String, Value>),
    Patch(PatchBody),
}

async fn write(
    caller: Caller,
    state: &State,
    req: &HttpRequest,
    id: UserId,
    how: Write,
    shape: Shape,
) -> Result<HttpResponse> {
    let core = state.core.clone();
    let base = base(req);
    let doc =
        blocking(move || Ok(written(&core, caller.actor(), id, how, &shape, &base))).await??;
    Ok(reply(StatusCode::OK, &doc))
}

/// A replace or a PATCH, on a blocking thread.
fn written(
    core: &Core,
    actor: &Actor,
    id: UserId,
    how: Write,
    shape: &Shape,
    base: &str,
) -> Result<Value> {
    let key = UserKey::Id(id);
    let current = core.users.get(actor, &key)?;
    let doc = match how {
        Write::Replace(doc) => doc,
        Write::Patch(body) => {
            let mut doc = editable(&current, base)?;
            apply(&mut doc, &body.operations)?;
            doc
        }
    };
    let changes = target(&doc, Some(&current), &core.policy)?.changes(&current);
    let user = core.users.update(actor, &key, &changes)?;
    Ok(rendered(core, actor, &[user], shape, base)?.remove(0))
}

/// Replaces a user: what the body leaves out is cleared, except `userName`, `emails`,
/// `displayName`, `active`, `roles` and `password`, which keep their values.
#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    request_body(content = Object, content_type = "application/scim+json", example = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com", "name": {"givenName": "Ada", "familyName": "Lovelace"}, "displayName": "Ada Lovelace", "emails": [{"value": "ada@example.com", "type": "work", "primary": true}], "active": true, "roles": [{"value": "editor", "primary": true}]})),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user as it is now", content_type = "application/scim+json", body = Object),
        (status = 400, description = "invalidValue", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
        (status = 404, description = "No such user", content_type = "application/scim+json", body = ErrorBody),
        (status = 409, description = "uniqueness, or the last active admin", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn replace(
    caller: Caller,
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    Body(Object(body)): Body<Object<Map<String, Value>>>,
) -> Result<HttpResponse> {
    let id = user_id(&id)?;
    let doc = read_resource(Value::Object(body))?;
    write(
        caller,
        &state,
        &req,
        id,
        Write::Replace(doc),
        Shape::default(),
    )
    .await
}

/// Applies PATCH operations in order, all or nothing; answers the user.
#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    request_body(content = PatchBody, content_type = "application/scim+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user as it is now", content_type = "application/scim+json", body = Object),
        (status = 400, description = "invalidPath, invalidValue, mutability, noTarget or invalidSyntax", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
        (status = 404, description = "No such user", content_type = "application/scim+json", body = ErrorBody),
        (status = 409, description = "uniqueness, or the last active admin", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn patch(
    caller: Caller,
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    Body(body): Body<PatchBody>,
) -> Result<HttpResponse> {
    let id = user_id(&id)?;
    write(
        caller,
        &state,
        &req,
        id,
        Write::Patch(body),
        Shape::default(),
    )
    .await
}

/// Deletes a user (soft: it is gone for every dialect, 404 afterwards). 204.
#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "Not an active admin's key, or one's own account", content_type = "application/scim+json", body = ErrorBody),
        (status = 404, description = "No such user", content_type = "application/scim+json", body = ErrorBody),
        (status = 409, description = "The last active admin", content_type = "application/scim+json", body = ErrorBody),
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
