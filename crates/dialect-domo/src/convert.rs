//! Wire values to core commands and back. Domo's roles are core's, one to one; its users have
//! no status (not shown, never written).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web;
use chrono::NaiveDateTime;
use usergate_core::auth::Authenticated;
use usergate_core::import::{ImportRecord, Position, parse_time};
use usergate_core::query::{Direction, Field, Query};
use usergate_core::{
    Coarse, CoreError, Email, FieldError, GroupName, GroupRef, NewUser, Page, Patch, Problem,
    Profile, ProfileChanges, Role, Status, User, UserChanges, UserId,
};
use usergate_web::wire::Checked;
use usergate_web::{IssuedToken, Object};

use crate::error::{DomoError, OAuthError};
use crate::groups::wire::UserGroup;
use crate::wire::{
    CreateBody, DomoUser, ListParams, ListedUser, Number, RoleName, Text, TokenParams,
    TokenResponse, UpdateBody,
};

/// Domo's system roles: name, `roleId`, core role.
pub const ROLES: [(&str, i64, Role); 5] = [
    ("Admin", 1, Role::Admin),
    ("Privileged", 2, Role::Privileged),
    ("Editor", 3, Role::Editor),
    ("Participant", 4, Role::User),
    ("Social", 5, Role::Viewer),
];

/// Largest page.
pub const MAX_LIMIT: i64 = 500;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: i64 = 50;

/// The Domo name and id of a core role.
pub fn role_of(role: Role) -> (&'static str, i64) {
    ROLES
        .iter()
        .find(|(_, _, r)| *r == role)
        .map_or(("Participant", 4), |(n, id, _)| (*n, *id))
}

fn domo_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A user as Domo shows it, with its groups (in group id order).
pub fn domo_user(u: &User, groups: &[GroupRef]) -> DomoUser {
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
        groups: groups.iter().map(UserGroup::from).collect(),
    }
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Self {
        match r {
            RoleName::Admin => Role::Admin,
            RoleName::Privileged => Role::Privileged,
            RoleName::Editor => Role::Editor,
            RoleName::Participant => Role::User,
            RoleName::Social => Role::Viewer,
        }
    }
}

/// The core id a path segment names; anything but a number is no user (404).
pub fn user_id(raw: &str) -> Result<UserId, DomoError> {
    raw.trim()
        .parse::<i64>()
        .map(UserId::new)
        .map_err(|_| DomoError::not_found())
}

/// `sendInvite`: `true`/`false` in any case; absent means false.
pub fn send_invite(raw: Option<&str>) -> Result<bool, DomoError> {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(DomoError::bad_request("sendInvite must be true or false")),
    }
}

fn number(
    raw: Option<&str>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, DomoError> {
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

/// A list's `limit` (1 to 500, default 50) and `offset` (rows, 0 or more) as a page.
pub fn page(p: &ListParams) -> Result<Page, DomoError> {
    let limit = number(p.limit.as_deref(), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)?;
    let offset = number(p.offset.as_deref(), "offset", 0, 0, i64::MAX)?;
    Ok(Page {
        limit: u32::try_from(limit).unwrap_or(500),
        offset: u64::try_from(offset).unwrap_or(0),
    })
}

/// A list's parameters as a core query: id order, a page, no total.
pub fn list_query(p: &ListParams) -> Result<Query, DomoError> {
    Ok(Query {
        cond: None,
        order: vec![(Field::Id, Direction::Asc)],
        page: page(p)?,
        count: false,
    })
}

fn invalid(field: &'static str, problem: Problem) -> FieldError {
    FieldError { field, problem }
}

/// Every field of a body, each problem collected (one error per field).
struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    /// A text field: absent (keep), cleared (`null` or blank), or set.
    fn text(&mut self, field: &'static str, value: Text) -> Patch<String> {
        match value {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(Checked::Valid(s)) if s.trim().is_empty() => Patch::Null,
            Patch::Value(Checked::Valid(s)) => Patch::Value(s),
            Patch::Value(Checked::Invalid) => {
                self.errors.push(invalid(field, Problem::Malformed));
                Patch::Absent
            }
        }
    }

    /// `role` by name, else `roleId` (checked whenever it is sent; it decides only when `role`
    /// is absent or `null`).
    fn role(&mut self, name: Patch<Checked<RoleName>>, id: Patch<Number>) -> Option<Role> {
        let by_id = match id {
            Patch::Absent | Patch::Null => None,
            Patch::Value(n) => {
                let found = match n {
                    Number::Whole(i) => ROLES.iter().find(|(_, id, _)| *id == i),
                    Number::Blank | Number::Invalid => None,
                };
                let Some((_, _, role)) = found else {
                    self.errors
                        .push(invalid("roleId", Problem::OutOfRange { min: 1, max: 5 }));
                    return None;
                };
                Some(*role)
            }
        };
        match name {
            Patch::Value(Checked::Valid(r)) => Some(r.into()),
            Patch::Value(Checked::Invalid) => {
                let allowed = ROLES.iter().map(|(n, _, _)| (*n).to_owned()).collect();
                self.errors
                    .push(invalid("role", Problem::NotAllowed { allowed }));
                None
            }
            Patch::Absent | Patch::Null => by_id,
        }
    }

    /// `employeeNumber`: a whole number, or a string of digits; `null` or `""` clears it.
    fn employee_number(&mut self, value: Patch<Number>) -> Patch<i64> {
        match value {
            Patch::Absent => Patch::Absent,
            Patch::Null | Patch::Value(Number::Blank) => Patch::Null,
            Patch::Value(Number::Whole(n)) => Patch::Value(n),
            Patch::Value(Number::Invalid) => {
                self.errors
                    .push(invalid("employeeNumber", Problem::Malformed));
                Patch::Absent
            }
        }
    }

    fn done(self) -> Result<(), CoreError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Validation(self.errors))
        }
    }
}

/// What a create and an update both read: every field, every problem.
struct Parsed {
    name: Patch<String>,
    email: Patch<String>,
    role: Option<Role>,
    profile: ProfileChanges,
    employee_number: Patch<i64>,
}

fn parse(
    name: Text,
    email: Text,
    texts: [Text; 6],
    role: Patch<Checked<RoleName>>,
    role_id: Patch<Number>,
    employee_number: Patch<Number>,
) -> Result<Parsed, CoreError> {
    let mut f = Fields { errors: Vec::new() };
    let name = f.text("name", name);
    let email = f.text("email", email);
    let [title, alternate_email, phone, location, timezone, locale] = texts;
    let profile = ProfileChanges {
        title: f.text("title", title),
        alternate_email: f.text("alternateEmail", alternate_email),
        phone: f.text("phone", phone),
        location: f.text("location", location),
        timezone: f.text("timezone", timezone),
        locale: f.text("locale", locale),
        ..ProfileChanges::default()
    };
    let role = f.role(role, role_id);
    let employee_number = f.employee_number(employee_number);
    f.done()?;
    Ok(Parsed {
        name,
        email,
        role,
        profile,
        employee_number,
    })
}

/// Reads every field of a create's or an update's body (they have the same fields).
macro_rules! parse_body {
    ($b:expr) => {{
        let b = $b;
        let texts = [
            b.title,
            b.alternate_email,
            b.phone,
            b.location,
            b.timezone,
            b.locale,
        ];
        parse(b.name, b.email, texts, b.role, b.role_id, b.employee_number)
    }};
}

/// A create's body as a core command: `name`, `email` and a role (`role` or `roleId`) are
/// required.
pub fn new_user(b: CreateBody) -> Result<NewUser, CoreError> {
    let p = parse_body!(b)?;
    let mut errors = Vec::new();
    let name = p.name.value();
    if name.is_none() {
        errors.push(invalid("name", Problem::Required));
    }
    let email = match p.email.value() {
        None => {
            errors.push(invalid("email", Problem::Required));
            None
        }
        Some(e) => Email::parse_field(&e, "email")
            .map_err(|e| errors.push(e))
            .ok(),
    };
    if p.role.is_none() {
        errors.push(invalid("role", Problem::Required));
    }
    let (Some(name), Some(email), Some(role)) = (name, email, p.role) else {
        return Err(CoreError::Validation(errors));
    };
    let set = |c: Patch<String>| c.value();
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
        employee_number: p.employee_number.value(),
        ..NewUser::new(email)
    })
}

/// An update's body as core changes: what is omitted stays; `null` or `""` clears an optional
/// field; `name`, `email` and `role` cannot be cleared.
pub fn changes(b: UpdateBody) -> Result<UserChanges, CoreError> {
    let p = parse_body!(b)?;
    let mut errors = Vec::new();
    let name = match p.name {
        Patch::Null => {
            errors.push(invalid("name", Problem::Required));
            None
        }
        other => other.value(),
    };
    let email = match p.email {
        Patch::Null => {
            errors.push(invalid("email", Problem::Required));
            None
        }
        Patch::Value(e) => Email::parse_field(&e, "email")
            .map_err(|e| errors.push(e))
            .ok(),
        Patch::Absent => None,
    };
    if !errors.is_empty() {
        return Err(CoreError::Validation(errors));
    }
    Ok(UserChanges {
        email,
        name,
        // Domo's roles are core's roles, one to one: always exact.
        role: p.role.map(|r| Coarse::exact(r, &[])),
        profile: p.profile,
        employee_number: p.employee_number,
        ..UserChanges::default()
    })
}

/// One user of a saved Domo listing, for `usergate import --format domo` (see
/// [`ListedUser`]). Domo never shows a password (its users sign in through Domo or SSO), so
/// the user has none until invited or reset; `id` and the other read-only fields are ignored,
/// as a create ignores them. An element that is not an object is refused as a whole (`body`).
pub fn import_record(listed: serde_json::Value, at: Position) -> Result<ImportRecord, CoreError> {
    let Object(listed) = serde_json::from_value::<Object<ListedUser>>(listed)
        .map_err(|_| CoreError::invalid("body", Problem::Malformed))?;
    let created_at = match listed.created_at {
        Patch::Absent | Patch::Null => None,
        Patch::Value(v) => Some(
            v.valid()
                .and_then(|t| parse_time(&t))
                .ok_or_else(|| CoreError::invalid("createdAt", Problem::Malformed))?,
        ),
    };
    let groups = match listed.groups {
        Patch::Absent | Patch::Null => Vec::new(),
        Patch::Value(Checked::Invalid) => {
            return Err(CoreError::invalid("groups", Problem::Malformed));
        }
        Patch::Value(Checked::Valid(groups)) => groups
            .iter()
            .map(|g| GroupName::parse(&g.name))
            .collect::<Result<_, _>>()
            .map_err(|_| CoreError::invalid("groups", Problem::Malformed))?,
    };
    Ok(ImportRecord {
        at,
        user: new_user(listed.user)?,
        password_hash: None,
        created_at,
        deleted_at: None,
        groups,
    })
}

/// What a token request asks for: the scopes (`None`: every scope of the client). `grant_type`
/// and `scope` are read from a form body, else from the query string; only the
/// client-credentials grant is served.
pub fn token_request(query: &str, body: &[u8]) -> Result<Option<Vec<String>>, OAuthError> {
    let invalid =
        |message: &str| OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", message);
    let query = web::Query::<TokenParams>::from_query(query)
        .map_err(|_| invalid("The query string could not be read"))?
        .into_inner();
    let form = if body.is_empty() {
        TokenParams::default()
    } else {
        std::str::from_utf8(body)
            .ok()
            .and_then(|b| web::Query::<TokenParams>::from_query(b).ok())
            .map(web::Query::into_inner)
            .ok_or_else(|| invalid("The body must be application/x-www-form-urlencoded"))?
    };
    match form.grant_type.or(query.grant_type).as_deref() {
        Some("client_credentials") => {}
        None => return Err(invalid("Missing grant type")),
        Some(_) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only client_credentials is supported",
            ));
        }
    }
    Ok(form
        .scope
        .or(query.scope)
        .map(|s| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|s| !s.is_empty()))
}

/// The token endpoint's answer for an issued token.
pub fn token_response(
    granted: &Authenticated,
    issued: IssuedToken,
    ttl: Duration,
) -> TokenResponse {
    TokenResponse {
        access_token: issued.token,
        token_type: "bearer",
        expires_in: ttl.as_secs(),
        scope: granted.scopes.join(" "),
        role: role_of(granted.principal.role).0,
        user_id: granted.principal.id.get(),
        customer: "usergate",
        jti: issued.claims.jti,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body<T: serde::de::DeserializeOwned>(json: &str) -> T {
        usergate_web::body::parse::<usergate_web::Object<T>>(json.as_bytes())
            .expect("a body")
            .0
    }

    fn problems(e: CoreError) -> Vec<(&'static str, Problem)> {
        match e {
            CoreError::Validation(v) => v.into_iter().map(|f| (f.field, f.problem)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_create_names_every_problem_at_once() {
        let e = new_user(body(r#"{"title":5,"phone":[],"role":"admin"}"#)).expect_err("bad");
        let fields: Vec<&str> = problems(e).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["title", "phone", "role"]);
        let e = new_user(body(r#"{"name":" "}"#)).expect_err("missing");
        let fields: Vec<&str> = problems(e).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["name", "email", "role"]);
    }

    #[test]
    fn role_id_decides_when_role_is_absent() {
        let u =
            new_user(body(r#"{"name":"A","email":"a@example.com","roleId":"3"}"#)).expect("by id");
        assert_eq!(u.role, Role::Editor);
        let u = new_user(body(
            r#"{"name":"A","email":"a@example.com","role":"Social","roleId":3}"#,
        ))
        .expect("by name");
        assert_eq!(u.role, Role::Viewer);
        let e = new_user(body(r#"{"name":"A","email":"a@example.com","roleId":9}"#))
            .expect_err("range");
        assert_eq!(problems(e)[0].0, "roleId");
    }

    #[test]
    fn an_update_clears_with_null_or_blank_but_not_required_fields() {
        let c = changes(body(r#"{"title":"","phone":null,"employeeNumber":"12"}"#)).expect("ok");
        assert_eq!(c.profile.title, Patch::Null);
        assert_eq!(c.profile.phone, Patch::Null);
        assert_eq!(c.employee_number, Patch::Value(12));
        let e = changes(body(r#"{"name":null,"email":""}"#)).expect_err("required");
        let fields: Vec<&str> = problems(e).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["name", "email"]);
    }
}
