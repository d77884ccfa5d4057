//! Domo's user JSON, the role table, and the bodies of create and update.

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{Map, Value};
use usergate_core::import::{ImportRecord, parse_time};
use usergate_core::{
    CoreError, Email, FieldError, NewUser, Problem, Profile, ProfileChanges, Role, Status, User,
    UserChanges,
};
use utoipa::ToSchema;

/// Domo's system roles: name, `roleId`, core role.
pub const ROLES: [(&str, i64, Role); 5] = [
    ("Admin", 1, Role::Admin),
    ("Privileged", 2, Role::Privileged),
    ("Editor", 3, Role::Editor),
    ("Participant", 4, Role::User),
    ("Social", 5, Role::Viewer),
];

/// The Domo name and id of a core role.
pub fn role_of(role: Role) -> (&'static str, i64) {
    ROLES
        .iter()
        .find(|(_, _, r)| *r == role)
        .map_or(("Participant", 4), |(n, id, _)| (*n, *id))
}

/// A user as Domo's API shows it. Absent optional fields are omitted, never `null`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomoUser {
    /// The id (a number).
    #[schema(example = 42)]
    pub id: i64,
    /// Full name.
    pub name: String,
    /// Login address.
    pub email: String,
    /// `Admin`, `Privileged`, `Editor`, `Participant` or `Social`.
    pub role: &'static str,
    /// 1 to 5, in the order of `role`'s values.
    pub role_id: i64,
    /// Job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A second address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate_email: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Free-form location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Time zone, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Locale, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Employee number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<i64>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[schema(example = "2026-11-25T10:00:00Z")]
    pub created_at: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[schema(example = "2026-11-25T10:00:00Z")]
    pub updated_at: String,
    /// Picture URL (when one was written, through any dialect).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// What `GET /v1/users/{id}` answers: the user, or the deleted shape.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum UserOrDeleted {
    /// A user that is not deleted.
    User(Box<DomoUser>),
    /// A deleted user.
    Deleted(DeletedUser),
}

/// What a `GET` of a deleted user answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedUser {
    /// The id.
    pub id: i64,
    /// The name it had.
    pub name: String,
    /// Always true.
    pub deleted: bool,
}

fn domo_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl From<&User> for DomoUser {
    fn from(u: &User) -> Self {
        let (role, role_id) = role_of(u.role);
        let p = &u.profile;
        DomoUser {
            id: u.id.get(),
            name: u.name.clone(),
            email: u.email.as_str().to_owned(),
            role,
            role_id,
            title: p.title.clone(),
            alternate_email: p.alternate_email.clone(),
            phone: p.phone.clone(),
            location: p.location.clone(),
            timezone: p.timezone.clone(),
            locale: p.locale.clone(),
            employee_number: u.employee_number,
            created_at: domo_time(u.created_at),
            updated_at: domo_time(u.updated_at),
            image: p.avatar_url.clone(),
        }
    }
}

/// Domo's role names.
#[derive(Debug, Clone, Copy, serde::Deserialize, ToSchema)]
pub enum RoleName {
    /// roleId 1.
    Admin,
    /// roleId 2.
    Privileged,
    /// roleId 3.
    Editor,
    /// roleId 4.
    Participant,
    /// roleId 5.
    Social,
}

// The bodies below describe what `new_user` and `changes` read (for the OpenAPI document);
// the parsing is by hand. Unknown and read-only keys (`id`, `groups`, `image`, `createdAt` ...)
// are ignored, as Domo does.

/// The body of a create.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
#[schema(example = json!({"name": "Leonhard Euler", "email": "leonhard.euler@example.com", "role": "Participant", "title": "Mathematician", "phone": "+41 61 555 0100", "timezone": "Europe/Zurich", "locale": "de-CH"}))]
pub struct CreateBody {
    /// Full name.
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
        example = "Leonhard Euler"
    )]
    name: String,
    /// Login address.
    #[schema(format = Email, example = "leonhard.euler@example.com")]
    email: String,
    /// The role (exact case).
    role: RoleName,
    /// Job title (`""` or null: none).
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    title: Option<String>,
    /// A second address.
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    alternate_email: Option<String>,
    /// Phone.
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    phone: Option<String>,
    /// Location.
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    location: Option<String>,
    /// Time zone.
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    timezone: Option<String>,
    /// Locale.
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    locale: Option<String>,
    /// A whole number (a string of digits is read too).
    #[schema(nullable)]
    employee_number: Option<i64>,
}

/// The body of an update: any subset of the create's fields (`role` or `roleId`).
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
#[schema(example = json!({"title": "Professor", "role": "Editor", "location": "St. Petersburg"}))]
pub struct UpdateBody {
    /// Full name.
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
        nullable = false
    )]
    name: Option<String>,
    /// Login address.
    #[schema(format = Email, nullable = false)]
    email: Option<String>,
    /// The role (exact case); `null` is the same as leaving it out.
    #[schema(nullable)]
    role: Option<RoleName>,
    /// The role by number, read when `role` is absent.
    #[schema(minimum = 1, maximum = 5, nullable)]
    role_id: Option<i64>,
    /// Job title (`""` or null: none).
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    title: Option<String>,
    /// A second address.
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    alternate_email: Option<String>,
    /// Phone.
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    phone: Option<String>,
    /// Location.
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    location: Option<String>,
    /// Time zone.
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    timezone: Option<String>,
    /// Locale.
    #[schema(nullable, pattern = r"^[^\u0000]*$")]
    locale: Option<String>,
    /// A whole number (a string of digits is read too).
    #[schema(nullable)]
    employee_number: Option<i64>,
}

fn invalid(field: &'static str, problem: Problem) -> FieldError {
    FieldError { field, problem }
}

/// One text field of the body: absent (`None`), cleared (`Some(None)`: `null` or `""`), or set.
#[allow(clippy::option_option)]
fn text(
    body: &Map<String, Value>,
    key: &'static str,
) -> Result<Option<Option<String>>, FieldError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(invalid(key, Problem::Malformed)),
    }
}

fn role(body: &Map<String, Value>) -> Result<Option<Role>, FieldError> {
    let allowed = || Problem::NotAllowed {
        allowed: ROLES.iter().map(|(n, _, _)| (*n).to_owned()).collect(),
    };
    // `roleId` is checked whenever it is sent; it decides only when `role` is absent.
    let by_id = match body.get("roleId") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let id = match v {
                Value::Number(n) => whole(n),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            Some(
                ROLES
                    .iter()
                    .find(|(_, i, _)| Some(*i) == id)
                    .map(|(_, _, r)| *r)
                    .ok_or_else(|| invalid("roleId", Problem::OutOfRange { min: 1, max: 5 }))?,
            )
        }
    };
    match body.get("role") {
        Some(Value::String(name)) => ROLES
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, r)| Some(*r))
            .ok_or_else(|| invalid("role", allowed())),
        Some(Value::Null) | None => Ok(by_id),
        Some(_) => Err(invalid("role", allowed())),
    }
}

/// `employeeNumber`: a whole number, or a string of digits; `null` or `""` clears it.
#[allow(clippy::option_option)]
fn employee_number(body: &Map<String, Value>) -> Result<Option<Option<i64>>, FieldError> {
    let bad = || invalid("employeeNumber", Problem::Malformed);
    match body.get("employeeNumber") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
        Some(Value::String(s)) => s.trim().parse().map(|n| Some(Some(n))).map_err(|_| bad()),
        Some(Value::Number(n)) => whole(n).map(|n| Some(Some(n))).ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

/// A JSON number that is a whole number in range (`7` or `7.0`, as JSON Schema's `integer`).
fn whole(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        // i64::MAX is not exact in f64: stay below 2^63.
        (f.fract() == 0.0 && (-9.223_372_036_854_775e18..9.223_372_036_854_775e18).contains(&f))
            .then_some(f as i64)
    })
}

struct Parsed {
    name: Option<Option<String>>,
    email: Option<Option<String>>,
    role: Option<Role>,
    profile: ProfileChanges,
    employee_number: Option<Option<i64>>,
}

/// Reads every field, collecting every problem (one error per field).
fn parse(body: &Value) -> Result<Parsed, CoreError> {
    let Some(body) = body.as_object() else {
        return Err(CoreError::invalid("body", Problem::Malformed));
    };
    let mut errors = Vec::new();
    let mut take = |r: Result<Option<Option<String>>, FieldError>| {
        r.unwrap_or_else(|e| {
            errors.push(e);
            None
        })
    };
    let name = take(text(body, "name"));
    let email = take(text(body, "email"));
    let profile = ProfileChanges {
        title: take(text(body, "title")),
        alternate_email: take(text(body, "alternateEmail")),
        phone: take(text(body, "phone")),
        location: take(text(body, "location")),
        timezone: take(text(body, "timezone")),
        locale: take(text(body, "locale")),
        ..ProfileChanges::default()
    };
    let role = role(body).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let employee_number = employee_number(body).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    if errors.is_empty() {
        Ok(Parsed {
            name,
            email,
            role,
            profile,
            employee_number,
        })
    } else {
        Err(CoreError::Validation(errors))
    }
}

fn required<T>(v: Option<Option<T>>, field: &'static str) -> Result<T, FieldError> {
    v.flatten().ok_or_else(|| invalid(field, Problem::Required))
}

/// A create's body as a core command: `name`, `email` and `role` are required.
pub fn new_user(body: &Value) -> Result<NewUser, CoreError> {
    let p = parse(body)?;
    let mut errors = Vec::new();
    let name = required(p.name, "name").map_err(|e| errors.push(e)).ok();
    let email = required(p.email, "email")
        .and_then(|e| Email::parse_field(&e, "email"))
        .map_err(|e| errors.push(e))
        .ok();
    let role = p
        .role
        .ok_or_else(|| invalid("role", Problem::Required))
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(name), Some(email), Some(role)) = (name, email, role) else {
        return Err(CoreError::Validation(errors));
    };
    let set = |c: Option<Option<String>>| c.flatten();
    Ok(NewUser {
        name: Some(name),
        profile: Profile {
            title: set(p.profile.title),
            alternate_email: set(p.profile.alternate_email),
            phone: set(p.profile.phone),
            location: set(p.profile.location),
            timezone: set(p.profile.timezone),
            locale: set(p.profile.locale),
            ..Profile::default()
        },
        role,
        status: Status::Active,
        employee_number: p.employee_number.flatten(),
        ..NewUser::new(email)
    })
}

/// One user of a saved Domo listing (the bare array `GET /v1/users` returns), for `usergate
/// import --format domo`: what a create reads (`name`, `email`, `role` by name or `roleId`, the
/// profile fields, `employeeNumber`) and `createdAt`. Domo never shows a password (its users
/// sign in through Domo or SSO), so the user has none until invited or reset; `id` and the
/// other read-only fields are ignored, as a create ignores them.
pub fn import_record(item: &Value, line: u64) -> Result<ImportRecord, CoreError> {
    let created_at = match item.get("createdAt") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_str()
                .and_then(parse_time)
                .ok_or_else(|| CoreError::invalid("createdAt", Problem::Malformed))?,
        ),
    };
    Ok(ImportRecord {
        line,
        user: new_user(item)?,
        password_hash: None,
        created_at,
        deleted_at: None,
    })
}

/// An update's body as core changes: what is omitted stays; `null` or `""` clears an optional
/// field; `name`, `email` and `role` cannot be cleared.
pub fn changes(body: &Value) -> Result<UserChanges, CoreError> {
    let p = parse(body)?;
    let mut errors = Vec::new();
    let name = match p.name {
        Some(None) => {
            errors.push(invalid("name", Problem::Required));
            None
        }
        other => other.flatten(),
    };
    let email = match p.email {
        Some(None) => {
            errors.push(invalid("email", Problem::Required));
            None
        }
        Some(Some(e)) => Email::parse_field(&e, "email")
            .map_err(|e| errors.push(e))
            .ok(),
        None => None,
    };
    if !errors.is_empty() {
        return Err(CoreError::Validation(errors));
    }
    Ok(UserChanges {
        email,
        name,
        // Domo's roles are core's roles, one to one: always exact.
        role: p.role.map(|r| usergate_core::Coarse::exact(r, &[])),
        profile: p.profile,
        employee_number: p.employee_number,
        ..UserChanges::default()
    })
}
