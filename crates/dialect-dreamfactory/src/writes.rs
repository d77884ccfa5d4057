//! Creating, changing and deleting users through `/system/user` and `/system/admin`, one record
//! or a batch. Every record is one core operation; `rollback=true` makes the batch one
//! transaction, `continue=true` goes on after failures (DreamFactory's semantics).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};
use usergate_core::{
    Batch, BatchMode, Coarse, Conflict, CoreError, CoreResult, Denied, Email, FieldError, NewUser,
    Problem, ProfileChanges, Role, Status, User, UserChanges, UserId, UserKey,
};
use usergate_web::blocking;

use usergate_core::import::{ImportRecord, parse_time};

use crate::State;
use crate::auth::Caller;
use crate::error::{DfError, ErrorBody, ErrorEnvelope, html_escape};
use crate::params::{self, to_bool};
use crate::record::Shape;
use crate::users::Kind;

type Result<T> = std::result::Result<T, DfError>;

/// The query parameters of a write.
#[derive(Debug, Default, serde::Deserialize)]
pub struct WriteParams {
    /// `fields` (default `id`).
    pub fields: Option<String>,
    /// `related`.
    pub related: Option<String>,
    /// `ids`.
    pub ids: Option<String>,
    /// `continue`.
    #[serde(rename = "continue")]
    pub continue_: Option<String>,
    /// `rollback`.
    pub rollback: Option<String>,
    /// `send_invite`.
    pub send_invite: Option<String>,
}

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
}

const NO_RECORDS: &str = r#"No record(s) detected in request. Please make sure record(s) are wrapped in a 'resource' tag. Example: {"resource":[{"record":1},{"record":2}]}"#;

/// The records of a body: `{"resource":[...]}` or a bare array, with at least one record
/// (DreamFactory refuses an empty list as it refuses no list).
fn records(body: &Value) -> Option<Vec<Value>> {
    match body {
        Value::Array(list) => Some(list.clone()),
        Value::Object(o) => o.get("resource").and_then(Value::as_array).cloned(),
        _ => None,
    }
    .filter(|list| !list.is_empty())
}

/// A string field; `""` and `null` count as absent.
fn text(r: &Map<String, Value>, key: &str) -> Option<String> {
    match r.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Keep (`None`), clear (`Some(None)`: `""` or `null`), or set.
#[allow(clippy::option_option)]
fn change(r: &Map<String, Value>, key: &str) -> Option<Option<String>> {
    match r.get(key)? {
        Value::Null => Some(None),
        Value::String(s) if s.is_empty() => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        other => Some(Some(other.to_string())),
    }
}

/// DreamFactory's booleans in a body: `true`, `1`, `"true"`, `"1"` ...
fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_f64() != Some(0.0)),
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(to_bool(Some(s))),
        _ => None,
    }
}

fn invalid(field: &'static str, problem: Problem) -> CoreError {
    CoreError::Validation(vec![FieldError { field, problem }])
}

/// A record of a create as a core command. `kind` decides the role; `is_sys_admin` in the
/// body is ignored.
fn new_user(state: &State, kind: Kind, record: &Value) -> CoreResult<NewUser> {
    let user = user_of(kind, record)?;
    let password = record
        .as_object()
        .and_then(|r| text(r, "password"))
        .map(|p| state.core.policy.check("password", &p))
        .transpose()
        .map_err(|e| CoreError::Validation(vec![e]))?;
    Ok(NewUser { password, ..user })
}

/// The user a record describes, without its password: a create's body, or a record of a
/// listing (`GET /system/user`) that a DreamFactory returned and an import reads.
fn user_of(kind: Kind, record: &Value) -> CoreResult<NewUser> {
    let r = record
        .as_object()
        .ok_or_else(|| invalid("email", Problem::Required))?;
    let email = text(r, "email").ok_or_else(|| invalid("email", Problem::Required))?;
    let email = Email::parse(&email).map_err(|e| CoreError::Validation(vec![e]))?;
    let active = r.get("is_active").and_then(boolean).unwrap_or(true);
    let mut new = NewUser {
        name: text(r, "name"),
        role: match kind {
            Kind::Admin => Role::Admin,
            Kind::User => Role::User,
        },
        status: if active {
            Status::Active
        } else {
            Status::Inactive
        },
        ..NewUser::new(email)
    };
    new.profile.first_name = text(r, "first_name");
    new.profile.last_name = text(r, "last_name");
    new.profile.phone = text(r, "phone");
    for key in ["username", "security_question", "default_app_id"] {
        if let Some(v) = r.get(key).filter(|v| !v.is_null() && *v != "") {
            new.attributes.insert(key.into(), v.clone());
        }
    }
    Ok(new)
}

/// One record of a saved DreamFactory listing (`{"resource":[...]}` of `GET
/// /api/v2/system/user` or `/system/admin`), for `usergate import --format dreamfactory`, the
/// user getting `role` (the listing does not say which endpoint it came from: the import's
/// `--role`). The fields a create reads, and `created_date`; listings carry no password, so the
/// user has none (unless the import's `--hashes` file has one). Read-only and unknown fields are
/// ignored, as a create ignores them.
pub fn import_record(record: &Value, role: Role, line: u64) -> CoreResult<ImportRecord> {
    let created_at = match record.get("created_date") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_str()
                .and_then(parse_time)
                .ok_or_else(|| invalid("created_date", Problem::Malformed))?,
        ),
    };
    Ok(ImportRecord {
        line,
        user: NewUser {
            role,
            ..user_of(Kind::User, record)?
        },
        password_hash: None,
        created_at,
        deleted_at: None,
    })
}

/// A record of an update as core changes: present keys change, `""`/`null` clear, unknown and
/// read-only keys are ignored.
fn changes(state: &State, record: &Map<String, Value>) -> CoreResult<UserChanges> {
    let mut c = UserChanges::default();
    if let Some(email) = text(record, "email") {
        c.email = Some(Email::parse(&email).map_err(|e| CoreError::Validation(vec![e]))?);
    }
    c.name = text(record, "name");
    c.profile = ProfileChanges {
        first_name: change(record, "first_name"),
        last_name: change(record, "last_name"),
        phone: change(record, "phone"),
        ..ProfileChanges::default()
    };
    for key in ["username", "security_question", "default_app_id"] {
        if let Some(v) = change(record, key) {
            c.attributes
                .insert(key.into(), v.map_or(Value::Null, |_| record[key].clone()));
        }
    }
    if let Some(active) = record.get("is_active").and_then(boolean) {
        c.status = Some(if active {
            Coarse::exact(Status::Active, &[Status::Active])
        } else {
            Coarse {
                value: Status::Inactive,
                class: &[Status::Inactive, Status::Suspended],
            }
        });
    }
    if let Some(p) = text(record, "password") {
        c.password = Some(
            state
                .core
                .policy
                .check("password", &p)
                .map_err(|e| CoreError::Validation(vec![e]))?,
        );
    }
    Ok(c)
}

/// Laravel's words for a field problem.
fn laravel(e: &FieldError) -> String {
    let f = e.field;
    match &e.problem {
        Problem::Required => format!("The {f} field is required."),
        Problem::NotAnEmail => format!("The {f} field must be a valid email address."),
        Problem::TooShort { min } => format!("The {f} field must be at least {min} characters."),
        Problem::TooLong { max } => {
            format!("The {f} field must not be greater than {max} characters.")
        }
        _ => format!("The {f} field is invalid."),
    }
}

/// What a failed record says, in DreamFactory's words (`op`: `change` or `delete`).
pub(crate) fn record_error(kind: Kind, op: &str, e: CoreError, email: Option<&str>) -> DfError {
    match e {
        CoreError::Validation(fields) => {
            let messages: Vec<String> = fields.iter().map(laravel).collect();
            let mut context = Map::new();
            for (f, m) in fields.iter().zip(&messages) {
                if let Some(list) = context
                    .entry(f.field)
                    .or_insert_with(|| Value::Array(vec![]))
                    .as_array_mut()
                {
                    list.push(Value::from(m.clone()));
                }
            }
            DfError::bad_request(format!("Invalid data supplied. {}", messages.join(" ")))
                .with_context(Value::Object(context))
        }
        CoreError::Conflict(Conflict::DuplicateEmail) => DfError::new(
            StatusCode::CONFLICT,
            format!(
                "Duplicate entry '{}' for key 'user_email_unique'",
                email.unwrap_or_default()
            ),
        ),
        CoreError::Forbidden(Denied::WrongKind) => match kind {
            Kind::User => DfError::new(
                StatusCode::FORBIDDEN,
                format!("Not allowed to {op} an admin user."),
            ),
            Kind::Admin => DfError::bad_request(format!(
                "Cannot {} a non-admin user.",
                if op == "change" { "update" } else { op }
            )),
        },
        other => other.into(),
    }
}

fn guard(kind: Kind) -> impl Fn(&User) -> CoreResult<()> + Sync {
    move |u: &User| {
        if (u.role == Role::Admin) == (kind == Kind::Admin) {
            Ok(())
        } else {
            Err(CoreError::Forbidden(Denied::WrongKind))
        }
    }
}

/// A batch's answer: every record's result, or DreamFactory's batch error.
fn batch_answer(
    batch: Batch<User>,
    errors: Vec<DfError>,
    shape: &Shape,
    verb: &str,
    ok: StatusCode,
) -> HttpResponse {
    let mut failed = Vec::new();
    let mut errors = errors.into_iter();
    let resource: Vec<Value> = batch
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| match r {
            Ok(u) => serde_json::to_value(shape.view(u)).unwrap_or(Value::Null),
            Err(_) => {
                failed.push(i);
                errors
                    .next()
                    .map(|e| serde_json::to_value(e.body()).unwrap_or(Value::Null))
                    .unwrap_or(Value::Null)
            }
        })
        .collect();
    if failed.is_empty() && !batch.rolled_back {
        return HttpResponse::build(ok).json(json!({ "resource": resource }));
    }
    let mut message = format!("Batch Error: Not all requested records could be {verb}.");
    if batch.rolled_back {
        message.push_str(" All changes rolled back.");
    }
    HttpResponse::BadRequest().json(ErrorEnvelope {
        error: ErrorBody {
            code: 1000,
            context: Some(json!({"error": failed, "resource": resource})),
            message: html_escape(&message),
            status_code: 400,
        },
    })
}

/// The errors of a batch's failed records, in order, in DreamFactory's words.
/// `ids` and `emails`: what each record named, for the messages that quote it.
fn failures(
    batch: &mut Batch<User>,
    kind: Kind,
    op: &str,
    emails: &[Option<String>],
    ids: &[Option<i64>],
) -> Vec<DfError> {
    batch
        .results
        .iter_mut()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Ok(_) => None,
            Err(e) => {
                let e = std::mem::replace(e, CoreError::NotFound);
                Some(match (e, ids.get(i).copied().flatten()) {
                    (CoreError::NotFound, Some(id)) => DfError::new(
                        StatusCode::NOT_FOUND,
                        format!("Record with identifier '{id}' not found."),
                    ),
                    (e, _) => record_error(kind, op, e, emails.get(i).and_then(Option::as_deref)),
                })
            }
        })
        .collect()
}

/// `POST /system/{user,admin}`: always a batch (201, or the batch error).
pub async fn create(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<WriteParams>,
    body: web::Json<Value>,
) -> Result<HttpResponse> {
    let list = records(&body).ok_or_else(|| DfError::bad_request(NO_RECORDS))?;
    let invite = to_bool(p.send_invite.as_deref());
    let emails: Vec<Option<String>> = list
        .iter()
        .map(|r| r.get("email").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let items: Vec<CoreResult<NewUser>> = list.iter().map(|r| new_user(&state, kind, r)).collect();
    let core = state.core.clone();
    let mode = p.mode();
    let mut batch = blocking(move || {
        if invite {
            core.users.invite_batch(&caller.0, items, mode)
        } else {
            core.users.create_batch(&caller.0, items, mode)
        }
    })
    .await
    .map_err(|e| crate::users::denied(kind, "POST", e))?;
    invite_failures(&mut batch)?;
    let errors = failures(&mut batch, kind, "create", &emails, &[]);
    Ok(batch_answer(
        batch,
        errors,
        &p.shape(),
        "created",
        StatusCode::CREATED,
    ))
}

/// DreamFactory answers a batch in which an invitation mail failed with a 500 of its own (the
/// users whose mail failed are gone; the others stay, their mail sent).
fn invite_failures(batch: &mut Batch<User>) -> Result<()> {
    let failed = batch
        .results
        .iter_mut()
        .filter_map(|r| match r {
            Err(CoreError::MailFailed(cause)) => Some(std::mem::take(cause)),
            _ => None,
        })
        .collect::<Vec<_>>();
    match failed.len() {
        0 => Ok(()),
        1 if batch.results.len() == 1 => Err(CoreError::MailFailed(failed.concat()).into()),
        _ => {
            for cause in &failed {
                tracing::error!(%cause, "invitation mail failed");
            }
            Err(DfError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Not all users were created successfully. Check log for more details.",
            ))
        }
    }
}

/// `PATCH ?send_invite=true`: a new invitation for each named user, before the change itself,
/// so that a refused or failed invitation changes nothing.
async fn reinvite(state: &State, caller: &Caller, kind: Kind, ids: Vec<i64>) -> Result<()> {
    let core = state.core.clone();
    let actor = caller.0;
    let g = guard(kind);
    let outcome = blocking(move || {
        core.users.invitations_enabled()?;
        for id in ids {
            if let Err(e) = core.users.reinvite(&actor, UserId::new(id), &g) {
                return Ok(Some((id, e)));
            }
        }
        Ok(None)
    })
    .await
    .map_err(|e| crate::users::denied(kind, "PATCH", e))?;
    match outcome {
        None => Ok(()),
        Some((id, CoreError::NotFound)) => Err(DfError::new(
            StatusCode::NOT_FOUND,
            format!("Record with identifier '{id}' not found."),
        )),
        Some((_, e @ CoreError::Forbidden(Denied::NotAdmin))) => {
            Err(crate::users::denied(kind, "PATCH", e))
        }
        Some((_, e)) => Err(record_error(kind, "change", e, None)),
    }
}

fn parse_id(raw: &str) -> Result<i64> {
    raw.trim().parse::<i64>().map_err(|_| {
        DfError::new(
            StatusCode::NOT_FOUND,
            format!("Record with identifier '{raw}' not found."),
        )
    })
}

fn record_id(r: &Map<String, Value>) -> Option<i64> {
    match r.get("id")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `PATCH`/`PUT /system/{user,admin}`: `?ids=` with one record applied to each, or records
/// carrying their `id`.
pub async fn update_many(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<WriteParams>,
    body: web::Json<Value>,
) -> Result<HttpResponse> {
    let list = records(&body).ok_or_else(|| DfError::bad_request(NO_RECORDS))?;
    let named: Vec<Option<i64>> = match p.ids.as_deref() {
        Some(ids) => params::ids(ids)?.into_iter().map(Some).collect(),
        None => list
            .iter()
            .map(|r| r.as_object().and_then(record_id))
            .collect(),
    };
    let items: Vec<CoreResult<(UserKey, UserChanges)>> = match p.ids.as_deref() {
        Some(ids) => {
            let first = list
                .first()
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            params::ids(ids)?
                .into_iter()
                .map(|id| Ok((UserKey::Id(UserId::new(id)), changes(&state, &first)?)))
                .collect()
        }
        None => list
            .iter()
            .map(|r| {
                let r = r.as_object().cloned().unwrap_or_default();
                let id = record_id(&r).ok_or_else(|| invalid("id", Problem::Required))?;
                Ok((UserKey::Id(UserId::new(id)), changes(&state, &r)?))
            })
            .collect(),
    };
    let emails: Vec<Option<String>> = list
        .iter()
        .map(|r| r.get("email").and_then(Value::as_str).map(str::to_owned))
        .collect();
    if to_bool(p.send_invite.as_deref()) {
        reinvite(
            &state,
            &caller,
            kind,
            named.iter().flatten().copied().collect(),
        )
        .await?;
    }
    let core = state.core.clone();
    let mode = p.mode();
    let g = guard(kind);
    let mut batch = blocking(move || core.users.update_batch(&caller.0, items, &g, mode))
        .await
        .map_err(|e| crate::users::denied(kind, "PATCH", e))?;
    let errors = failures(&mut batch, kind, "change", &emails, &named);
    Ok(batch_answer(
        batch,
        errors,
        &p.shape(),
        "updated",
        StatusCode::OK,
    ))
}

/// `PATCH`/`PUT /system/{user,admin}/{id}`: one object; errors are the record's own.
pub async fn update_one(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    p: web::Query<WriteParams>,
    body: web::Json<Value>,
) -> Result<HttpResponse> {
    let n = parse_id(&id)?;
    let record = body.as_object().cloned().unwrap_or_default();
    let email = text(&record, "email");
    let item = changes(&state, &record).map(|c| (UserKey::Id(UserId::new(n)), c));
    if to_bool(p.send_invite.as_deref()) {
        reinvite(&state, &caller, kind, vec![n]).await?;
    }
    let core = state.core.clone();
    let g = guard(kind);
    let mut batch = blocking(move || {
        core.users
            .update_batch(&caller.0, vec![item], &g, BatchMode::Stop)
    })
    .await
    .map_err(|e| crate::users::denied(kind, "PATCH", e))?;
    single(
        &mut batch,
        kind,
        "change",
        email.as_deref(),
        &p.shape(),
        &id,
    )
}

/// The one result of a by-id write, unwrapped; its error is the record's own.
fn single(
    batch: &mut Batch<User>,
    kind: Kind,
    op: &str,
    email: Option<&str>,
    shape: &Shape,
    raw_id: &str,
) -> Result<HttpResponse> {
    match batch.results.pop() {
        Some(Ok(u)) => Ok(HttpResponse::Ok().json(shape.view(&u))),
        Some(Err(CoreError::NotFound)) => Err(DfError::new(
            StatusCode::NOT_FOUND,
            format!("Record with identifier '{raw_id}' not found."),
        )),
        Some(Err(e)) => Err(record_error(kind, op, e, email)),
        None => Err(CoreError::Internal("empty batch".into()).into()),
    }
}

/// `DELETE /system/{user,admin}`: `?ids=`, or records carrying their `id`.
pub async fn delete_many(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    p: web::Query<WriteParams>,
    body: Option<web::Json<Value>>,
) -> Result<HttpResponse> {
    let items: Vec<CoreResult<UserKey>> =
        match (p.ids.as_deref(), body.as_deref().and_then(records)) {
            (Some(ids), _) => params::ids(ids)?
                .into_iter()
                .map(|id| Ok(UserKey::Id(UserId::new(id))))
                .collect(),
            (None, Some(list)) if !list.is_empty() => list
                .iter()
                .map(|r| {
                    r.as_object()
                        .and_then(record_id)
                        .map(|id| UserKey::Id(UserId::new(id)))
                        .ok_or_else(|| invalid("id", Problem::Required))
                })
                .collect(),
            _ => {
                return Err(DfError::bad_request(
                    "No filter or records given for delete request.",
                ));
            }
        };
    let named: Vec<Option<i64>> = items
        .iter()
        .map(|k| match k {
            Ok(UserKey::Id(id)) => Some(id.get()),
            _ => None,
        })
        .collect();
    let core = state.core.clone();
    let mode = p.mode();
    let g = guard(kind);
    let mut batch = blocking(move || core.users.delete_batch(&caller.0, items, &g, mode))
        .await
        .map_err(|e| crate::users::denied(kind, "DELETE", e))?;
    let errors = failures(&mut batch, kind, "delete", &[], &named);
    Ok(batch_answer(
        batch,
        errors,
        &p.shape(),
        "deleted",
        StatusCode::OK,
    ))
}

/// `DELETE /system/{user,admin}/{id}`.
pub async fn delete_one(
    kind: Kind,
    caller: Caller,
    state: web::Data<State>,
    id: web::Path<String>,
    p: web::Query<WriteParams>,
) -> Result<HttpResponse> {
    let n = parse_id(&id)?;
    let core = state.core.clone();
    let g = guard(kind);
    let mut batch = blocking(move || {
        core.users.delete_batch(
            &caller.0,
            vec![Ok(UserKey::Id(UserId::new(n)))],
            &g,
            BatchMode::Stop,
        )
    })
    .await
    .map_err(|e| crate::users::denied(kind, "DELETE", e))?;
    single(&mut batch, kind, "delete", None, &p.shape(), &id)
}

/// `POST /system/{user,admin}/{id}`: refused, as DreamFactory does.
async fn create_by_id() -> Result<HttpResponse> {
    Err(DfError::bad_request(
        "Create record by identifier not currently supported.",
    ))
}

macro_rules! create_by_id_endpoint {
    ($path:literal, $tag:literal, $name:ident) => {
        /// Not supported (DreamFactory's answer): records are created on the list path.
        #[utoipa::path(post, path = $path, tag = $tag,
            params(("id" = i64, Path, description = "Any id")),
            security(("session_token" = []), ("bearer" = [])),
            responses((status = 400, description = "Create record by identifier not currently supported.", body = ErrorEnvelope)))]
        pub async fn $name() -> Result<HttpResponse> {
            create_by_id().await
        }
    };
}

create_by_id_endpoint!("/api/v2/system/user/{id}", "users", create_user_by_id);
create_by_id_endpoint!("/api/v2/system/admin/{id}", "admins", create_admin_by_id);

macro_rules! write_endpoints {
    ($list_path:literal, $one_path:literal, $kind:expr, $tag:literal,
     $create:ident, $update_many:ident, $update_one:ident, $replace_many:ident, $replace_one:ident,
     $delete_many:ident, $delete_one:ident) => {
        /// Creates records (`{"resource":[...]}` or a bare array); `continue`, `rollback`.
        #[utoipa::path(post, path = $list_path, tag = $tag,
            params(
                ("fields" = Option<String>, Query, description = "What each result shows (default id)"),
                ("continue" = Option<String>, Query, description = "Go on after a failing record"),
                ("rollback" = Option<String>, Query, description = "Undo everything if a record fails"),
                ("send_invite" = Option<String>, Query, description = "Create without a password and mail an invitation code"),
            ),
            request_body = crate::wire::NewRecords,
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 201, description = "{\"resource\":[{\"id\":N},...]}", body = Object),
                (status = 400, description = "No records, or the batch error", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, or the token was revoked", body = ErrorEnvelope),
                (status = 413, description = "Body over the cap", body = ErrorEnvelope),
                (status = 500, description = "An invitation mail could not be sent (that user was not created)", body = ErrorEnvelope),
                (status = 503, description = "send_invite without a configured mail server (nothing was created)", body = ErrorEnvelope),
            ))]
        pub async fn $create(
            caller: Caller,
            state: web::Data<State>,
            p: web::Query<WriteParams>,
            body: web::Json<Value>,
        ) -> Result<HttpResponse> {
            create($kind, caller, state, p, body).await
        }

        /// Changes records: `?ids=` with one record applied to each, or records with `id`.
        /// `PUT` is the same.
        #[utoipa::path(patch, path = $list_path, tag = $tag,
            params(
                ("ids" = Option<String>, Query, description = "Comma-separated ids"),
                ("fields" = Option<String>, Query, description = "What each result shows (default id)"),
                ("continue" = Option<String>, Query, description = "Go on after a failing record"),
                ("rollback" = Option<String>, Query, description = "Undo everything if a record fails"),
                ("send_invite" = Option<String>, Query, description = "Mail a new invitation code first (users who have not set a password)"),
            ),
            request_body = crate::wire::RecordChanges,
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"resource\":[{\"id\":N},...]}", body = Object),
                (status = 400, description = "No records, the batch error, or an invitation for a user who already set a password", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, or the token was revoked", body = ErrorEnvelope),
                (status = 404, description = "send_invite for an unknown id", body = ErrorEnvelope),
                (status = 500, description = "The invitation mail could not be sent (nothing was changed)", body = ErrorEnvelope),
                (status = 503, description = "send_invite without a configured mail server (nothing was changed)", body = ErrorEnvelope),
            ))]
        pub async fn $update_many(
            caller: Caller,
            state: web::Data<State>,
            p: web::Query<WriteParams>,
            body: web::Json<Value>,
        ) -> Result<HttpResponse> {
            update_many($kind, caller, state, p, body).await
        }

        /// `PUT`: the same as `PATCH` (fields not sent stay as they are, as in DreamFactory).
        #[utoipa::path(put, path = $list_path, tag = $tag,
            params(
                ("ids" = Option<String>, Query, description = "Comma-separated ids"),
                ("fields" = Option<String>, Query, description = "What each result shows (default id)"),
                ("continue" = Option<String>, Query, description = "Go on after a failing record"),
                ("rollback" = Option<String>, Query, description = "Undo everything if a record fails"),
                ("send_invite" = Option<String>, Query, description = "Mail a new invitation code first (users who have not set a password)"),
            ),
            request_body = crate::wire::RecordChanges,
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"resource\":[{\"id\":N},...]}", body = Object),
                (status = 400, description = "No records, the batch error, or an invitation for a user who already set a password", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, or the token was revoked", body = ErrorEnvelope),
                (status = 404, description = "send_invite for an unknown id", body = ErrorEnvelope),
                (status = 500, description = "The invitation mail could not be sent (nothing was changed)", body = ErrorEnvelope),
                (status = 503, description = "send_invite without a configured mail server (nothing was changed)", body = ErrorEnvelope),
            ))]
        pub async fn $replace_many(
            caller: Caller,
            state: web::Data<State>,
            p: web::Query<WriteParams>,
            body: web::Json<Value>,
        ) -> Result<HttpResponse> {
            update_many($kind, caller, state, p, body).await
        }

        /// Changes one record (partial; `PUT` is the same).
        #[utoipa::path(patch, path = $one_path, tag = $tag,
            params(
                ("id" = i64, Path, description = "The record's id"),
                ("fields" = Option<String>, Query, description = "What the result shows (default id)"),
                ("send_invite" = Option<String>, Query, description = "Mail a new invitation code first (users who have not set a password)"),
            ),
            request_body = crate::wire::RecordChange,
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"id\":N}", body = Object),
                (status = 400, description = "Invalid data, or a user of the other kind (admin endpoint)", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, an admin via /system/user, or a revoked token", body = ErrorEnvelope),
                (status = 404, description = "No such record", body = ErrorEnvelope),
                (status = 409, description = "The email is taken, or the last active admin", body = ErrorEnvelope),
                (status = 500, description = "The invitation mail could not be sent (nothing was changed)", body = ErrorEnvelope),
                (status = 503, description = "send_invite without a configured mail server (nothing was changed)", body = ErrorEnvelope),
            ))]
        pub async fn $update_one(
            caller: Caller,
            state: web::Data<State>,
            id: web::Path<String>,
            p: web::Query<WriteParams>,
            body: web::Json<Value>,
        ) -> Result<HttpResponse> {
            update_one($kind, caller, state, id, p, body).await
        }

        /// `PUT`: the same as `PATCH` on one record.
        #[utoipa::path(put, path = $one_path, tag = $tag,
            params(
                ("id" = i64, Path, description = "The record's id"),
                ("fields" = Option<String>, Query, description = "What the result shows (default id)"),
                ("send_invite" = Option<String>, Query, description = "Mail a new invitation code first (users who have not set a password)"),
            ),
            request_body = crate::wire::RecordChange,
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"id\":N}", body = Object),
                (status = 400, description = "Invalid data, or a user of the other kind (admin endpoint)", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, an admin via /system/user, or a revoked token", body = ErrorEnvelope),
                (status = 404, description = "No such record", body = ErrorEnvelope),
                (status = 409, description = "The email is taken, or the last active admin", body = ErrorEnvelope),
                (status = 500, description = "The invitation mail could not be sent (nothing was changed)", body = ErrorEnvelope),
                (status = 503, description = "send_invite without a configured mail server (nothing was changed)", body = ErrorEnvelope),
            ))]
        pub async fn $replace_one(
            caller: Caller,
            state: web::Data<State>,
            id: web::Path<String>,
            p: web::Query<WriteParams>,
            body: web::Json<Value>,
        ) -> Result<HttpResponse> {
            update_one($kind, caller, state, id, p, body).await
        }

        /// Deletes records: `?ids=`, or records with `id` in the body.
        #[utoipa::path(delete, path = $list_path, tag = $tag,
            params(
                ("ids" = Option<String>, Query, description = "Comma-separated ids"),
                ("continue" = Option<String>, Query, description = "Go on after a failing record"),
                ("rollback" = Option<String>, Query, description = "Undo everything if a record fails"),
            ),
            request_body(content = Object, description = "Optional, instead of `?ids=`: the records to delete",
                example = json!({"resource": [{"id": 2}, {"id": 3}]})),
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"resource\":[{\"id\":N},...]}", body = Object),
                (status = 400, description = "Nothing to delete, or the batch error", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, or the token was revoked", body = ErrorEnvelope),
            ))]
        pub async fn $delete_many(
            caller: Caller,
            state: web::Data<State>,
            p: web::Query<WriteParams>,
            body: Option<web::Json<Value>>,
        ) -> Result<HttpResponse> {
            delete_many($kind, caller, state, p, body).await
        }

        /// Deletes one record (soft: it can never be restored; its email is free again).
        #[utoipa::path(delete, path = $one_path, tag = $tag,
            params(("id" = i64, Path, description = "The record's id")),
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"id\":N}", body = Object),
                (status = 400, description = "A user of the other kind (admin endpoint)", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, one's own account, an admin via /system/user, or a revoked token", body = ErrorEnvelope),
                (status = 404, description = "No such record", body = ErrorEnvelope),
                (status = 409, description = "The last active admin", body = ErrorEnvelope),
            ))]
        pub async fn $delete_one(
            caller: Caller,
            state: web::Data<State>,
            id: web::Path<String>,
            p: web::Query<WriteParams>,
        ) -> Result<HttpResponse> {
            delete_one($kind, caller, state, id, p).await
        }
    };
}

write_endpoints!(
    "/api/v2/system/user",
    "/api/v2/system/user/{id}",
    Kind::User,
    "users",
    create_users,
    update_users,
    update_user,
    replace_users,
    replace_user,
    delete_users,
    delete_user
);
write_endpoints!(
    "/api/v2/system/admin",
    "/api/v2/system/admin/{id}",
    Kind::Admin,
    "admins",
    create_admins,
    update_admins,
    update_admin,
    replace_admins,
    replace_admin,
    delete_admins,
    delete_admin
);
