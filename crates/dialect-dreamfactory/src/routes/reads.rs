//! `/api/v2/system/user` (users who are not admins) and `/api/v2/system/admin` (admins): reads.
//! One implementation for both; they differ in the users they see.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use usergate_core::query::{Cond, Field, Found, Query, Value as QValue};
use usergate_core::{CoreError, Page, User, UserId, UserKey};
use usergate_web::{blocking, point_read};

use crate::State;
use crate::auth::Caller;
use crate::convert::Kind;
use crate::convert::query::{self, to_bool};
use crate::convert::record::Shape;
use crate::error::{DfError, ErrorBody, batch_error, denied, html_escape, not_found};
use crate::wire::ReadParams;

type Result<T> = std::result::Result<T, DfError>;

/// `GET /system/{user,admin}`: a list, by `ids`, or by `filter`.
pub(super) async fn list(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<ReadParams>,
) -> Result<HttpResponse> {
    let shape = Shape::parse(p.fields.as_deref(), p.related.as_deref(), true);
    let mut query = query::query(kind.cond(), &p)?;
    let wanted = p.ids.as_deref().map(query::ids).transpose()?;
    if let (Some(ids), Some(Cond::All(all))) = (&wanted, &mut query.cond) {
        all.push(Cond::In(
            Field::Id,
            ids.iter().map(|i| QValue::Int(*i)).collect(),
        ));
        query.count = false;
    }
    // Past one chunk, the list is read and written a chunk at a time.
    let full = query.clone();
    let more = wanted.is_none() && query.page.limit > CHUNK;
    if more {
        query.page.limit = CHUNK;
    }
    let core = state.core.clone();
    let who = caller.clone();
    let found = blocking(move || core.users.query(who.actor(), &query))
        .await
        .map_err(|e| denied(kind, "GET", e))?;
    if let Some(ids) = wanted {
        return by_ids(&ids, &found.items, &shape, to_bool(p.continue_.as_deref()));
    }
    if !more {
        let resource: Vec<_> = found.items.iter().map(|u| shape.view(u)).collect();
        let body = match found.total {
            Some(count) => json!({"resource": resource, "meta": {"count": count}}),
            None => json!({"resource": resource}),
        };
        return Ok(HttpResponse::Ok().json(body));
    }
    Ok(stream_list(state, caller, full, found, shape))
}

/// Records read and written per chunk when a list is longer than one chunk.
const CHUNK: u32 = 1000;

/// A long list, read and written a chunk at a time so memory stays bounded whatever `limit`
/// says. The first chunk was read before the answer started (its errors are proper answers);
/// a failure later can only cut the answer short, and is logged.
fn stream_list(
    state: web::Data<State>,
    caller: Caller,
    query: Query,
    first: Found<User>,
    shape: Shape,
) -> HttpResponse {
    struct Cursor {
        state: web::Data<State>,
        caller: Caller,
        query: Query,
        shape: Shape,
        next: Option<Vec<User>>,
        sent: u64,
        total: Option<u64>,
        done: bool,
    }
    let total = first.total;
    let cursor = Cursor {
        state,
        caller,
        shape,
        next: Some(first.items),
        sent: 0,
        total,
        done: false,
        query,
    };
    let stream = futures_util::stream::unfold(cursor, |mut c| async move {
        if c.done {
            return None;
        }
        let users = match c.next.take() {
            Some(users) => users,
            None => {
                let limit = u64::from(c.query.page.limit).saturating_sub(c.sent);
                let q = Query {
                    count: false,
                    page: Page {
                        limit: CHUNK.min(u32::try_from(limit).unwrap_or(CHUNK)),
                        offset: c.query.page.offset + c.sent,
                    },
                    ..c.query.clone()
                };
                let core = c.state.core.clone();
                let caller = c.caller.clone();
                match blocking(move || core.users.query(caller.actor(), &q)).await {
                    Ok(found) => found.items,
                    Err(e) => {
                        tracing::error!(error = %e, "a streamed list failed mid-way");
                        c.done = true;
                        return Some((Err(actix_web::error::ErrorInternalServerError("list")), c));
                    }
                }
            }
        };
        let mut out = String::new();
        if c.sent == 0 {
            out.push_str("{\"resource\":[");
        }
        for u in &users {
            if c.sent > 0 {
                out.push(',');
            }
            match serde_json::to_string(&c.shape.view(u)) {
                Ok(json) => out.push_str(&json),
                Err(e) => {
                    tracing::error!(error = %e, "a record could not be written");
                    c.done = true;
                    return Some((Err(actix_web::error::ErrorInternalServerError("list")), c));
                }
            }
            c.sent += 1;
        }
        let finished = users.len() < CHUNK as usize || c.sent >= u64::from(c.query.page.limit);
        if finished {
            out.push(']');
            if let Some(n) = c.total {
                out.push_str(&format!(",\"meta\":{{\"count\":{n}}}"));
            }
            out.push('}');
            c.done = true;
        }
        Some((Ok(web::Bytes::from(out)), c))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(stream)
}

/// `?ids=`: the records in id order; if one is missing, DreamFactory's batch error (stopping at
/// the first missing id unless `continue`).
fn by_ids(
    ids: &[i64],
    users: &[usergate_core::User],
    shape: &Shape,
    keep_going: bool,
) -> Result<HttpResponse> {
    let missing: Vec<usize> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !users.iter().any(|u| u.id.get() == **id))
        .map(|(i, _)| i)
        .collect();
    if missing.is_empty() {
        let resource: Vec<_> = users.iter().map(|u| shape.view(u)).collect();
        return Ok(HttpResponse::Ok().json(json!({"resource": resource})));
    }
    let last = if keep_going {
        ids.len()
    } else {
        missing[0] + 1
    };
    let errors: Vec<usize> = missing.into_iter().filter(|i| *i < last).collect();
    let resource: Vec<Value> = ids[..last]
        .iter()
        .map(|id| match users.iter().find(|u| u.id.get() == *id) {
            Some(u) => serde_json::to_value(shape.view(u)).unwrap_or(Value::Null),
            None => {
                let message = format!("Record with identifier '{id}' not found.");
                serde_json::to_value(ErrorBody {
                    code: 404,
                    context: None,
                    message: html_escape(&message),
                    status_code: 404,
                })
                .unwrap_or(Value::Null)
            }
        })
        .collect();
    Ok(batch_error(
        StatusCode::BAD_REQUEST,
        "Batch Error: Not all requested records could be retrieved.",
        errors,
        resource,
    ))
}

/// `GET /system/{user,admin}/{id}`: the record, unwrapped.
pub(super) async fn get_one(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    p: web::Query<ReadParams>,
) -> Result<HttpResponse> {
    let shape = Shape::parse(p.fields.as_deref(), p.related.as_deref(), true);
    let Ok(n) = id.trim().parse::<i64>() else {
        return Err(not_found(&id));
    };
    let core = state.core.clone();
    let found = point_read(&state.core, move || {
        core.users.get(caller.actor(), &UserKey::Id(UserId::new(n)))
    })
    .await;
    match found {
        // An admin is a record of `/system/admin` only, anyone else of `/system/user` only.
        Ok(u) if kind.admits(u.role) => Ok(HttpResponse::Ok().json(shape.view(&u))),
        Ok(_) | Err(CoreError::NotFound) => Err(not_found(&id)),
        Err(e) => Err(denied(kind, "GET", e)),
    }
}
