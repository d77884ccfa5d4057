//! Creating, changing and deleting users through `/system/user` and `/system/admin`, one record
//! or a batch. Every record is one core operation; `rollback=true` makes the batch one
//! transaction, `continue=true` goes on after failures (DreamFactory's semantics).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use usergate_core::{Batch, BatchMode, CoreError, CoreResult, User, UserChanges, UserId, UserKey};
use usergate_web::{Body, OptionalBody, blocking};

use crate::State;
use crate::auth::Caller;
use crate::convert::query::{ids, to_bool};
use crate::convert::record::Shape;
use crate::convert::{self, Kind, email_of};
use crate::error::{DfError, batch_error, denied, not_found, record_error};
use crate::wire::{NewRecords, Record, RecordChange, RecordChanges, RecordRefs, WriteParams};

type Result<T> = std::result::Result<T, DfError>;

const NO_RECORDS: &str = r#"No record(s) detected in request. Please make sure record(s) are wrapped in a 'resource' tag. Example: {"resource":[{"record":1},{"record":2}]}"#;

/// What DreamFactory says when an invitation mail failed, for one record and for several.
const MAIL_FAILED: &str = "Error processing user invite. The invitation email could not be sent.";
const MAIL_FAILED_SOME: &str =
    "Not all users were created successfully. Check log for more details.";

impl WriteParams {
    fn mode(&self) -> BatchMode {
        if to_bool(self.rollback.as_deref()) {
            BatchMode::Rollback
        } else if to_bool(self.continue_.as_deref()) {
            BatchMode::Continue
        } else {
            BatchMode::Stop
        }
    }

    fn shape(&self) -> Shape {
        Shape::parse(self.fields.as_deref(), self.related.as_deref(), false)
    }

    fn send_invite(&self) -> bool {
        to_bool(self.send_invite.as_deref())
    }
}

/// What each record of a batch names, for the messages that quote it.
struct Named {
    emails: Vec<Option<String>>,
    ids: Vec<Option<i64>>,
}

impl Named {
    /// The error of record `i`, in DreamFactory's words.
    fn error(&self, kind: Kind, op: &str, i: usize, e: CoreError) -> DfError {
        match (e, self.ids.get(i).copied().flatten()) {
            (CoreError::NotFound, Some(id)) => not_found(id),
            (e, _) => record_error(kind, op, e, self.emails.get(i).and_then(Option::as_deref)),
        }
    }
}

/// A batch's answer: every record's result, or DreamFactory's batch error with each record's
/// error in its place. Invitation mails that failed answer DreamFactory's 500 and words, in the
/// same shape (its admin app shows `context.resource[i].message`).
fn batch_answer(
    batch: Batch<User>,
    (kind, op, verb): (Kind, &str, &str),
    named: &Named,
    shape: &Shape,
    ok: StatusCode,
) -> HttpResponse {
    let records = batch.results.len();
    let (mut failed, mut mail_failed, mut resource) = (Vec::new(), 0, Vec::new());
    for (i, result) in batch.results.into_iter().enumerate() {
        match result {
            Ok(u) => resource.push(serde_json::to_value(shape.view(&u)).unwrap_or(Value::Null)),
            Err(e) => {
                failed.push(i);
                mail_failed += usize::from(matches!(e, CoreError::MailFailed(_)));
                resource.push(named.error(kind, op, i, e).entry());
            }
        }
    }
    if failed.is_empty() && !batch.rolled_back {
        return HttpResponse::build(ok).json(json!({ "resource": resource }));
    }
    let (status, message) = match mail_failed {
        0 => {
            let mut message = format!("Batch Error: Not all requested records could be {verb}.");
            if batch.rolled_back {
                message.push_str(" All changes rolled back.");
            }
            (StatusCode::BAD_REQUEST, message)
        }
        1 if records == 1 => (StatusCode::INTERNAL_SERVER_ERROR, MAIL_FAILED.to_owned()),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            MAIL_FAILED_SOME.to_owned(),
        ),
    };
    batch_error(status, &message, failed, resource)
}

/// A batch refused as a whole before any record (no mail server for an invitation), in the
/// batch shape: every record carries the refusal.
fn refused_batch(e: DfError, records: usize) -> HttpResponse {
    let entry = e.entry();
    batch_error(
        e.status(),
        e.message(),
        (0..records).collect(),
        vec![entry; records],
    )
}

/// The one result of a by-id write, unwrapped; its error is the record's own (an unknown one
/// quotes the path's `id` as written).
fn single(
    batch: Batch<User>,
    (kind, op): (Kind, &str),
    (id, email): (&str, Option<&str>),
    shape: &Shape,
) -> Result<HttpResponse> {
    match batch.results.into_iter().next() {
        Some(Ok(u)) => Ok(HttpResponse::Ok().json(shape.view(&u))),
        Some(Err(CoreError::NotFound)) => Err(not_found(id)),
        Some(Err(e)) => Err(record_error(kind, op, e, email)),
        None => Err(CoreError::Internal("empty batch".into()).into()),
    }
}

/// A path's `{id}`; not a number is an unknown record.
fn path_id(raw: &str) -> Result<i64> {
    raw.trim().parse::<i64>().map_err(|_| not_found(raw))
}

/// `POST /system/{user,admin}`: always a batch (201, or the batch error).
pub(super) async fn create(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<WriteParams>,
    Body(body): Body<NewRecords>,
) -> Result<HttpResponse> {
    if body.resource.is_empty() {
        return Err(DfError::bad_request(NO_RECORDS));
    }
    let named = Named {
        emails: body
            .resource
            .iter()
            .map(|r| match r {
                Record::Object(o) => email_of(&o.0.email),
                Record::Other(_) => None,
            })
            .collect(),
        ids: Vec::new(),
    };
    let policy = state.core.policy;
    let items: Vec<_> = body
        .resource
        .into_iter()
        .map(|r| convert::new_user(kind, r, policy))
        .collect();
    let records = items.len();
    let (core, invite, mode) = (state.core.clone(), p.send_invite(), p.mode());
    let batch = blocking(move || {
        if invite {
            core.users.invite_batch(caller.actor(), items, mode)
        } else {
            core.users.create_batch(caller.actor(), items, mode)
        }
    })
    .await;
    match batch {
        Ok(batch) => Ok(batch_answer(
            batch,
            (kind, "create", "created"),
            &named,
            &p.shape(),
            StatusCode::CREATED,
        )),
        Err(e @ CoreError::MailUnavailable(_)) => Ok(refused_batch(e.into(), records)),
        Err(e) => Err(denied(kind, "POST", e)),
    }
}

/// Changes as `mode` says; with `send_invite`, each change and its new invitation is one
/// transaction (see [`usergate_core::UserService::update_batch_reinviting`]).
async fn update(
    kind: Kind,
    caller: Caller,
    state: &State,
    items: Vec<CoreResult<(UserKey, UserChanges)>>,
    invite: bool,
    mode: BatchMode,
) -> Result<Batch<User>> {
    let core = state.core.clone();
    blocking(move || {
        let guard = kind.guard();
        if invite {
            core.users
                .update_batch_reinviting(caller.actor(), items, &guard, mode)
        } else {
            core.users.update_batch(caller.actor(), items, &guard, mode)
        }
    })
    .await
    .map_err(|e| denied(kind, "PATCH", e))
}

/// `PATCH`/`PUT /system/{user,admin}`: `?ids=` with one record applied to each, or records
/// carrying their `id`. With `send_invite=true` the batch stops at the first record whose
/// change or invitation fails and answers with that record's own error, as DreamFactory answers
/// a failed invitation (`rollback=true` undoes the records before it too).
pub(super) async fn update_many(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<WriteParams>,
    Body(body): Body<RecordChanges>,
) -> Result<HttpResponse> {
    if body.resource.is_empty() {
        return Err(DfError::bad_request(NO_RECORDS));
    }
    let emails: Vec<Option<String>> = body
        .resource
        .iter()
        .map(|r| match r {
            Record::Object(o) => email_of(&o.0.email),
            Record::Other(_) => None,
        })
        .collect();
    let policy = state.core.policy;
    let (named, items): (Vec<Option<i64>>, Vec<_>) = match p.ids.as_deref() {
        Some(raw) => {
            let first = body
                .resource
                .into_iter()
                .next()
                .and_then(Record::into_object)
                .unwrap_or_default();
            ids(raw)?
                .into_iter()
                .map(|id| {
                    let key = UserKey::Id(UserId::new(id));
                    (
                        Some(id),
                        convert::changes(first.clone(), policy).map(|c| (key, c)),
                    )
                })
                .unzip()
        }
        None => body
            .resource
            .into_iter()
            .map(|r| {
                let r = r.into_object().unwrap_or_default();
                let id = r.id.and_then(|i| i.0);
                let item = id
                    .ok_or_else(|| CoreError::invalid("id", usergate_core::Problem::Required))
                    .and_then(|id| {
                        Ok((UserKey::Id(UserId::new(id)), convert::changes(r, policy)?))
                    });
                (id, item)
            })
            .unzip(),
    };
    let named = Named { emails, ids: named };
    let invite = p.send_invite();
    let mode = match (invite, p.mode()) {
        (true, BatchMode::Continue) => BatchMode::Stop,
        (_, mode) => mode,
    };
    let batch = update(kind, caller, &state, items, invite, mode).await?;
    if invite && let Some(i) = batch.results.iter().position(|r| r.is_err()) {
        let e = batch.results.into_iter().nth(i).and_then(|r| r.err());
        let e = e.unwrap_or_else(|| CoreError::Internal("no error".into()));
        return Err(named.error(kind, "change", i, e));
    }
    Ok(batch_answer(
        batch,
        (kind, "change", "updated"),
        &named,
        &p.shape(),
        StatusCode::OK,
    ))
}

/// `PATCH`/`PUT /system/{user,admin}/{id}`: one object; errors are the record's own. An empty
/// body re-sends the user's invitation (DreamFactory's admin app sends its "Send Invite" so), as
/// `?send_invite=true` with no change does.
pub(super) async fn update_one(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    p: web::Query<WriteParams>,
    OptionalBody(body): OptionalBody<Record<RecordChange>>,
) -> Result<HttpResponse> {
    let n = path_id(&id)?;
    let invite = p.send_invite() || body.is_none();
    let record = body.and_then(Record::into_object).unwrap_or_default();
    let email = email_of(&record.email);
    let key = UserKey::Id(UserId::new(n));
    let item = convert::changes(record, state.core.policy).map(|c| (key, c));
    let batch = update(kind, caller, &state, vec![item], invite, BatchMode::Stop).await?;
    single(batch, (kind, "change"), (&id, email.as_deref()), &p.shape())
}

/// `DELETE /system/{user,admin}`: `?ids=`, or records carrying their `id`.
pub(super) async fn delete_many(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<WriteParams>,
    body: Option<Body<RecordRefs>>,
) -> Result<HttpResponse> {
    let listed = body.map(|Body(b)| b.resource).unwrap_or_default();
    let named: Vec<Option<i64>> = match p.ids.as_deref() {
        Some(raw) => ids(raw)?.into_iter().map(Some).collect(),
        None if !listed.is_empty() => listed
            .into_iter()
            .map(|r| r.into_object().and_then(|r| r.id).and_then(|i| i.0))
            .collect(),
        None => {
            return Err(DfError::bad_request(
                "No filter or records given for delete request.",
            ));
        }
    };
    let items = named
        .iter()
        .map(|id| {
            id.map(|id| UserKey::Id(UserId::new(id)))
                .ok_or_else(|| CoreError::invalid("id", usergate_core::Problem::Required))
        })
        .collect();
    let (core, mode) = (state.core.clone(), p.mode());
    let batch = blocking(move || {
        core.users
            .delete_batch(caller.actor(), items, &kind.guard(), mode)
    })
    .await
    .map_err(|e| denied(kind, "DELETE", e))?;
    let named = Named {
        emails: Vec::new(),
        ids: named,
    };
    Ok(batch_answer(
        batch,
        (kind, "delete", "deleted"),
        &named,
        &p.shape(),
        StatusCode::OK,
    ))
}

/// `DELETE /system/{user,admin}/{id}`.
pub(super) async fn delete_one(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    p: web::Query<WriteParams>,
) -> Result<HttpResponse> {
    let n = path_id(&id)?;
    let core = state.core.clone();
    let batch = blocking(move || {
        let key = UserKey::Id(UserId::new(n));
        core.users.delete_batch(
            caller.actor(),
            vec![Ok(key)],
            &kind.guard(),
            BatchMode::Stop,
        )
    })
    .await
    .map_err(|e| denied(kind, "DELETE", e))?;
    single(batch, (kind, "delete"), (&id, None), &p.shape())
}

/// `POST /system/{user,admin}/{id}`: refused, as DreamFactory does.
pub(super) async fn create_by_id() -> Result<HttpResponse> {
    Err(DfError::bad_request(
        "Create record by identifier not currently supported.",
    ))
}
