//! `/Groups`: the five role groups and core's groups of users; list (with filters), search,
//! create, read, replace, PATCH (204), delete.

use std::collections::BTreeSet;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};
use usergate_core::groups::check_member_changes;
use usergate_core::query::{Cond, Direction, Field, Query, Value as QValue};
use usergate_core::{
    Actor, BatchMode, Coarse, Core, CoreError, GroupChanges, GroupDelete, GroupName, Members,
    NewGroup, Page, Patch, Role, UserChanges, UserId, UserKey,
};
use usergate_web::{Body, Object, blocking};

use super::{ListParams, Listing, ShapeParams, base, listing, reply};
use crate::State;
use crate::auth::Caller;
use crate::convert::groups::{
    Folded, Which, fold, member_ids, needs_members, render_plain, render_role, roles, which,
};
use crate::error::{ErrorBody, ScimError};
use crate::filter::{get, matches};
use crate::patch::PatchBody;

type Result<T> = std::result::Result<T, ScimError>;

/// Every page of everything.
const ALL: Page = Page {
    limit: u32::MAX,
    offset: 0,
};

/// A core error where members were named: an unknown member is the request's fault.
fn members_error(e: CoreError) -> ScimError {
    match e {
        CoreError::NotFound => ScimError::invalid("members: a value is not the id of a user"),
        other => other.into(),
    }
}

/// The live users with a role, in id order.
fn role_members(
    core: &Core,
    actor: &Actor,
    role: Role,
    among: Option<&[UserId]>,
) -> Result<Vec<UserId>> {
    let mut cond = vec![Cond::RoleIn(vec![role])];
    if let Some(ids) = among {
        cond.push(Cond::In(
            Field::Id,
            ids.iter().map(|u| QValue::Int(u.get())).collect(),
        ));
    }
    let query = Query {
        cond: Some(Cond::All(cond)),
        order: vec![(Field::Id, Direction::Asc)],
        page: ALL,
        count: false,
    };
    Ok(core
        .users
        .query(actor, &query)?
        .items
        .iter()
        .map(|u| u.id)
        .collect())
}

fn members_of(core: &Core, actor: &Actor, w: Which) -> Result<Vec<UserId>> {
    match w {
        Which::Role(r) => role_members(core, actor, r, None),
        Which::Plain(id) => Ok(core.groups.members(actor, id, ALL)?),
    }
}

/// One group, with its members when `with_members`.
fn one(core: &Core, actor: &Actor, w: Which, with_members: bool, base: &str) -> Result<Value> {
    let members = if with_members {
        Some(members_of(core, actor, w)?)
    } else {
        None
    };
    Ok(match w {
        Which::Role(r) => {
            core.users.check_admin(actor)?;
            render_role(r, members.as_deref(), base)
        }
        Which::Plain(id) => render_plain(&core.groups.get(actor, id)?, members.as_deref(), base),
    })
}

/// Groups matching a listing, role groups first: the page, and how many match in all.
pub fn find(core: &Core, actor: &Actor, l: &Listing, base: &str) -> Result<(Vec<Value>, u64)> {
    let filter_members = l.filter.as_ref().is_some_and(needs_members);
    let (plain, _) = core.groups.list(actor, ALL)?;
    let mut all: Vec<(Which, Value)> = Vec::new();
    for r in roles() {
        all.push((Which::Role(r), Value::Null));
    }
    for g in &plain {
        all.push((Which::Plain(g.id), Value::Null));
    }
    let mut docs = Vec::new();
    for (w, _) in all {
        let members = if filter_members {
            Some(members_of(core, actor, w)?)
        } else {
            None
        };
        let doc = match w {
            Which::Role(r) => render_role(r, members.as_deref(), base),
            Which::Plain(id) => {
                let g = plain
                    .iter()
                    .find(|g| g.id == id)
                    .ok_or(CoreError::GroupNotFound)?;
                render_plain(g, members.as_deref(), base)
            }
        };
        if l.filter.as_ref().is_none_or(|f| matches(f, &doc)) {
            docs.push((w, doc));
        }
    }
    let total = docs.len() as u64;
    let show_members = l.shape.shows("members");
    let page = docs
        .into_iter()
        .skip(usize::try_from(l.offset).unwrap_or(usize::MAX))
        .take(l.count as usize)
        .map(|(w, doc)| {
            let doc = if show_members && !filter_members {
                one(core, actor, w, true, base)?
            } else {
                doc
            };
            Ok(l.shape.apply(doc))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((page, total))
}

/// Role groups, then groups in id order, filtered and paged.
#[utoipa::path(get, path = "/scim/v2/Groups", tag = "groups",
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
#[utoipa::path(post, path = "/scim/v2/Groups/.search", tag = "groups",
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

fn text(doc: &Value, key: &str) -> Result<Option<String>> {
    match get(doc, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::invalid(format!("{key} must be a string"))),
    }
}

/// Creates a group of users: 201, its location, and the group. A role's name is 409.
#[utoipa::path(post, path = "/scim/v2/Groups", tag = "groups",
    request_body(content = Object, content_type = "application/scim+json", example = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales", "members": [{"value": "1"}]})),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The group", content_type = "application/scim+json", body = Object),
        (status = 400, description = "invalidValue", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
        (status = 409, description = "uniqueness: the name is taken, or a role's", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn create(
    caller: Caller,
    state: web::Data<State>,
    req: HttpRequest,
    Body(Object(body)): Body<Object<Map<String, Value>>>,
) -> Result<HttpResponse> {
    let body = Value::Object(body);
    crate::convert::read::check_schemas(&body)?;
    let name =
        text(&body, "displayName")?.ok_or_else(|| ScimError::invalid("displayName is required"))?;
    let new = NewGroup {
        external_id: text(&body, "externalId")?,
        members: member_ids(get(&body, "members").unwrap_or(&Value::Null))?,
        ..NewGroup::new(GroupName::parse(&name)?)
    };
    let core = state.core.clone();
    let base = base(&req);
    let doc = blocking(move || {
        Ok((|| {
            let actor = caller.actor();
            let g = core.groups.create(actor, new).map_err(members_error)?;
            one(&core, actor, Which::Plain(g.id), true, &base)
        })())
    })
    .await??;
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

/// A group (`excludedAttributes=members` leaves the members unread).
#[utoipa::path(get, path = "/scim/v2/Groups/{id}", tag = "groups",
    params(("id" = String, Path, description = "A role's name, or the group's id"), ShapeParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group", content_type = "application/scim+json", body = Object),
        (status = 400, description = "invalidValue: attributes that are no attribute paths", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
        (status = 404, description = "No such group", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn get_one(
    caller: Caller,
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    p: web::Query<ShapeParams>,
) -> Result<HttpResponse> {
    let w = which(&id)?;
    let shape = p.read()?;
    let core = state.core.clone();
    let base = base(&req);
    let doc = blocking(move || {
        Ok(one(&core, caller.actor(), w, shape.shows("members"), &base).map(|d| shape.apply(d)))
    })
    .await??;
    Ok(reply(StatusCode::OK, &doc))
}

/// Role changes for a role group's new members: added members get the role; members taken
/// out get `user` (`viewer` when taken out of `user`). All or nothing.
fn change_role_members(core: &Core, actor: &Actor, role: Role, f: &Folded) -> Result<()> {
    let named: Vec<UserId> = f.add.iter().chain(&f.remove).copied().collect();
    let current: BTreeSet<UserId> = match &f.set {
        Some(_) => role_members(core, actor, role, None)?,
        None if named.is_empty() => Vec::new(),
        None => role_members(core, actor, role, Some(&named))?,
    }
    .into_iter()
    .collect();
    let base = f.set.clone().unwrap_or_else(|| current.clone());
    let after: BTreeSet<UserId> = base.difference(&f.remove).chain(&f.add).copied().collect();
    let fallback = if role == Role::User {
        Role::Viewer
    } else {
        Role::User
    };
    let change = |id: &UserId, to: Role| {
        Ok((
            UserKey::Id(*id),
            UserChanges {
                role: Some(Coarse::exact(to, &[])),
                ..UserChanges::default()
            },
        ))
    };
    let items: Vec<_> = after
        .difference(&current)
        .map(|id| change(id, role))
        .chain(current.difference(&after).map(|id| change(id, fallback)))
        .collect();
    check_member_changes(items.len())?;
    if items.is_empty() {
        return Ok(());
    }
    let batch = core
        .users
        .update_batch(actor, items, &|_| Ok(()), BatchMode::Rollback)
        .map_err(members_error)?;
    match batch.results.into_iter().find_map(|r| r.err()) {
        Some(e) => Err(members_error(e)),
        None => Ok(()),
    }
}

/// Applies a folded change to a group.
fn change(core: &Core, actor: &Actor, w: Which, f: Folded) -> Result<()> {
    match w {
        Which::Role(role) => {
            if let Some(n) = &f.name
                && !n.trim().eq_ignore_ascii_case(role.as_str())
            {
                return Err(ScimError::mutability("a role group cannot be renamed"));
            }
            core.users.check_admin(actor)?;
            change_role_members(core, actor, role, &f)
        }
        Which::Plain(id) => {
            let changes = GroupChanges {
                name: f.name.as_deref().map(GroupName::parse).transpose()?,
                active: None,
                default: None,
                external_id: f.external_id,
                members: Members {
                    set: f.set.map(|s| s.into_iter().collect()),
                    remove: f.remove.into_iter().collect(),
                    add: f.add.into_iter().collect(),
                },
            };
            core.groups
                .update(actor, id, &changes)
                .map_err(members_error)?;
            Ok(())
        }
    }
}

/// Replaces a group: name, external id and members (what the body leaves out is cleared; a
/// role group keeps its name).
#[utoipa::path(put, path = "/scim/v2/Groups/{id}", tag = "groups",
    params(("id" = String, Path, description = "A role's name, or the group's id")),
    request_body(content = Object, content_type = "application/scim+json", example = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sales", "members": [{"value": "2"}]})),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The group as it is now", content_type = "application/scim+json", body = Object),
        (status = 400, description = "invalidValue, or mutability (renaming a role group)", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
        (status = 404, description = "No such group", content_type = "application/scim+json", body = ErrorBody),
        (status = 409, description = "uniqueness, or the last active admin", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn replace(
    caller: Caller,
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
    Body(Object(body)): Body<Object<Map<String, Value>>>,
) -> Result<HttpResponse> {
    let body = Value::Object(body);
    crate::convert::read::check_schemas(&body)?;
    let w = which(&id)?;
    let folded = Folded {
        name: text(&body, "displayName")?,
        external_id: text(&body, "externalId")?.map_or(Patch::Null, Patch::Value),
        set: Some(
            member_ids(get(&body, "members").unwrap_or(&Value::Null))?
                .into_iter()
                .collect(),
        ),
        ..Folded::default()
    };
    let core = state.core.clone();
    let base = base(&req);
    let doc = blocking(move || {
        Ok((|| {
            let actor = caller.actor();
            change(&core, actor, w, folded)?;
            one(&core, actor, w, true, &base)
        })())
    })
    .await??;
    Ok(reply(StatusCode::OK, &doc))
}

/// Applies PATCH operations in order, all or nothing. 204.
#[utoipa::path(patch, path = "/scim/v2/Groups/{id}", tag = "groups",
    params(("id" = String, Path, description = "A role's name, or the group's id")),
    request_body(content = PatchBody, content_type = "application/scim+json"),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "invalidPath, invalidValue, mutability, noTarget, invalidSyntax or tooMany", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
        (status = 404, description = "No such group", content_type = "application/scim+json", body = ErrorBody),
        (status = 409, description = "uniqueness, or the last active admin", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn patch(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    Body(body): Body<PatchBody>,
) -> Result<HttpResponse> {
    let w = which(&id)?;
    let core = state.core.clone();
    blocking(move || {
        Ok((|| {
            let actor = caller.actor();
            let mut current = || members_of(&core, actor, w);
            let folded = fold(&body.operations, &mut current)?;
            // Before anything is read for the change (a role group's members).
            check_member_changes(folded.member_changes())?;
            change(&core, actor, w, folded)
        })())
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes a group of users and its memberships (a role group cannot be: 400). 204.
#[utoipa::path(delete, path = "/scim/v2/Groups/{id}", tag = "groups",
    params(("id" = String, Path, description = "The group's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "mutability: a role group", content_type = "application/scim+json", body = ErrorBody),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 403, description = "The key's owner is not an active admin", content_type = "application/scim+json", body = ErrorBody),
        (status = 404, description = "No such group", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn delete(
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let Which::Plain(id) = which(&id)? else {
        return Err(ScimError::mutability("a role group cannot be deleted"));
    };
    let core = state.core.clone();
    blocking(move || {
        core.groups
            .delete(caller.actor(), id, GroupDelete::WithMembers)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
