//! Wire values to core commands and back. The lossy mappings of this dialect live here: `user`
//! stands for core's privileged, editor and user; ids are `usr_<number>`.

use chrono::NaiveDateTime;
use usergate_core::query::{Cond, Direction, Field, Found, Query};
use usergate_core::{
    Coarse, CoreError, Email, FieldError, NewUser, Page, Password, PasswordPolicy, Patch, Profile,
    Role, Status, User, UserChanges, UserId,
};
use usergate_web::wire::Checked;

use crate::error::ApiError;
use crate::wire::{CreateUser, GenericUser, ListParams, Pagination, Text, UpdateUser, UserList};

/// Largest page.
pub const MAX_LIMIT: u64 = 100;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u64 = 20;

/// The roles this dialect names, and the core roles each reads as.
const ROLE_CLASSES: [(&str, &[Role]); 3] = [
    ("admin", &[Role::Admin]),
    ("user", &[Role::Privileged, Role::Editor, Role::User]),
    ("viewer", &[Role::Viewer]),
];

/// The word for a core role.
pub fn role_word(role: Role) -> &'static str {
    ROLE_CLASSES
        .iter()
        .find(|(_, class)| class.contains(&role))
        .map_or("user", |(w, _)| w)
}

/// The core roles a word stands for (a filter), or `None` for an unknown word.
pub fn role_class(word: &str) -> Option<&'static [Role]> {
    ROLE_CLASSES
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, c)| *c)
}

/// A role word as a write: `user` keeps a privileged or editor user as they are.
fn role_write(word: &str) -> Option<Coarse<Role>> {
    let class = role_class(word)?;
    let value = match word {
        "admin" => Role::Admin,
        "viewer" => Role::Viewer,
        _ => Role::User,
    };
    Some(Coarse { value, class })
}

/// A status word.
pub fn status_of(word: &str) -> Option<Status> {
    match word {
        "active" => Some(Status::Active),
        "inactive" => Some(Status::Inactive),
        "suspended" => Some(Status::Suspended),
        _ => None,
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Active => "active",
        Status::Inactive => "inactive",
        Status::Suspended => "suspended",
    }
}

/// The refusal of a `role` that is not one of this dialect's words.
pub fn bad_role() -> ApiError {
    ApiError::field("role", "role must be one of admin, user, viewer")
}

/// The refusal of a `status` that is not one of this dialect's words.
pub fn bad_status() -> ApiError {
    ApiError::field(
        "status",
        "status must be one of active, inactive, suspended",
    )
}

fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `usr_42` for id 42.
pub fn public_id(id: UserId) -> String {
    format!("usr_{}", id.get())
}

/// The core id of `usr_<digits>`.
pub fn parse_id(raw: &str) -> Option<UserId> {
    let digits = raw.strip_prefix("usr_")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(UserId::new)
}

impl From<&User> for GenericUser {
    fn from(u: &User) -> Self {
        GenericUser {
            id: public_id(u.id),
            name: u.name.clone(),
            email: u.email.as_str().to_owned(),
            role: role_word(u.role),
            status: status_word(u.status),
            avatar: u.profile.avatar_url.clone(),
            created_at: iso(u.created_at),
            updated_at: iso(u.updated_at),
        }
    }
}

/// A string field: absent, `null`, or a string (anything else is refused).
fn string(field: &str, value: Text) -> Result<Patch<String>, ApiError> {
    match value {
        Patch::Absent => Ok(Patch::Absent),
        Patch::Null => Ok(Patch::Null),
        Patch::Value(Checked::Valid(s)) => Ok(Patch::Value(s)),
        Patch::Value(Checked::Invalid) => {
            Err(ApiError::field(field, format!("{field} must be a string")))
        }
    }
}

/// A string that may be left out but not cleared: `null` and blank are refused.
fn required(field: &str, value: Text) -> Result<Option<String>, ApiError> {
    match string(field, value)? {
        Patch::Absent => Ok(None),
        Patch::Value(s) if !s.trim().is_empty() => Ok(Some(s)),
        _ => Err(ApiError::field(field, format!("{field} must not be empty"))),
    }
}

fn one(e: FieldError) -> ApiError {
    CoreError::Validation(vec![e]).into()
}

fn email(value: Text) -> Result<Option<Email>, ApiError> {
    required("email", value)?
        .map(|e| Email::parse_field(&e, "email"))
        .transpose()
        .map_err(one)
}

/// `null` is the same as leaving the field out.
fn role(value: Text) -> Result<Option<Coarse<Role>>, ApiError> {
    match string("role", value)?.value() {
        None => Ok(None),
        Some(w) => role_write(&w).map(Some).ok_or_else(bad_role),
    }
}

fn status(value: Text) -> Result<Option<Status>, ApiError> {
    match string("status", value)?.value() {
        None => Ok(None),
        Some(w) => status_of(&w).map(Some).ok_or_else(bad_status),
    }
}

/// Any http(s) URL without spaces or control characters: stored as written, shown to clients,
/// never fetched by usergate. `null` removes the picture.
fn avatar(value: Text) -> Result<Patch<String>, ApiError> {
    let url = match string("avatar", value)? {
        Patch::Value(url) => url,
        other => return Ok(other),
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or_default();
    let ok = !rest.is_empty()
        && url.chars().count() <= 2048
        && !rest.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(Patch::Value(url))
    } else {
        Err(ApiError::field(
            "avatar",
            "avatar must be an http or https URL, or null",
        ))
    }
}

/// Passwords are set, never removed: `null` is ignored.
fn password(value: Text, policy: PasswordPolicy) -> Result<Option<Password>, ApiError> {
    string("password", value)?
        .value()
        .map(|p| policy.check("password", &p))
        .transpose()
        .map_err(one)
}

/// A create body as a core command, its fields checked in a fixed order.
pub fn new_user(body: CreateUser, policy: PasswordPolicy) -> Result<NewUser, ApiError> {
    let name =
        required("name", body.name)?.ok_or_else(|| ApiError::field("name", "name is required"))?;
    let email = email(body.email)?.ok_or_else(|| ApiError::field("email", "email is required"))?;
    Ok(NewUser {
        name: Some(name.trim().to_owned()),
        role: role(body.role)?.map_or(Role::User, |c| c.value),
        status: status(body.status)?.unwrap_or(Status::Active),
        password: password(body.password, policy)?,
        profile: Profile {
            avatar_url: avatar(body.avatar)?.value(),
            ..Profile::default()
        },
        ..NewUser::new(email)
    })
}

/// An update body as core changes, its fields checked in a fixed order.
pub fn changes(body: UpdateUser, policy: PasswordPolicy) -> Result<UserChanges, ApiError> {
    let email = email(body.email)?;
    let mut changes = UserChanges {
        name: required("name", body.name)?.map(|n| n.trim().to_owned()),
        email,
        role: role(body.role)?,
        status: status(body.status)?.map(|s| Coarse::exact(s, &[])),
        password: password(body.password, policy)?,
        ..UserChanges::default()
    };
    changes.profile.avatar_url = avatar(body.avatar)?;
    Ok(changes)
}

/// The core id a path segment names; anything but `usr_<digits>` is no user (404).
pub fn user_id(raw: &str) -> Result<UserId, ApiError> {
    parse_id(raw).ok_or_else(ApiError::not_found)
}

pub(crate) fn positive(raw: Option<&str>, field: &str, default: u64) -> Result<u64, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.unsigned_abs()),
        _ => Err(ApiError::field(
            field,
            format!("{field} must be a whole number from 1"),
        )),
    }
}

/// A page of a list, as asked: which page, how many a page.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    page: u64,
    limit: u64,
}

/// The list's parameters as a core query (creation order, the exact total), and its paging.
pub fn list_query(p: &ListParams) -> Result<(Query, Paging), ApiError> {
    let page = positive(p.page.as_deref(), "page", 1)?;
    let limit = positive(p.limit.as_deref(), "limit", DEFAULT_LIMIT)?.min(MAX_LIMIT);
    let mut all = Vec::new();
    if let Some(word) = p.role.as_deref() {
        all.push(Cond::RoleIn(
            role_class(word).ok_or_else(bad_role)?.to_vec(),
        ));
    }
    if let Some(word) = p.status.as_deref() {
        all.push(Cond::StatusIn(vec![
            status_of(word).ok_or_else(bad_status)?,
        ]));
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
    let query = Query {
        cond: (!all.is_empty()).then_some(Cond::All(all)),
        order: vec![(Field::CreatedAt, Direction::Asc)],
        page: Page {
            limit: u32::try_from(limit).unwrap_or(100),
            offset: (page - 1).saturating_mul(limit),
        },
        count: true,
    };
    Ok((query, Paging { page, limit }))
}

/// A page of users as this dialect lists them.
pub fn user_list(found: &Found<User>, paging: Paging) -> UserList {
    let total = found.total.unwrap_or(0);
    UserList {
        success: true,
        data: found.items.iter().map(GenericUser::from).collect(),
        pagination: Pagination {
            page: paging.page,
            limit: paging.limit,
            total,
            pages: total.div_ceil(paging.limit),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(json: &str) -> Result<UserChanges, ApiError> {
        let body = usergate_web::body::parse::<usergate_web::Object<_>>(json.as_bytes())
            .map(|o| o.0)
            .expect("a body");
        changes(body, PasswordPolicy::default())
    }

    #[test]
    fn ids_are_usr_and_digits_only() {
        assert_eq!(parse_id("usr_42").map(|i| i.get()), Some(42));
        for bad in [
            "42",
            "usr_",
            "usr_4a",
            "usr_-1",
            "USR_1",
            "usr_99999999999999999999",
        ] {
            assert!(parse_id(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn roles_read_and_write_coarsely() {
        assert_eq!(role_word(Role::Editor), "user");
        assert_eq!(role_word(Role::Viewer), "viewer");
        let user = role_write("user").expect("user");
        assert_eq!(user.resolve(Role::Privileged), Role::Privileged);
        assert_eq!(user.resolve(Role::Admin), Role::User);
        assert!(role_write("owner").is_none());
    }

    #[test]
    fn fields_are_checked_in_order_and_named() {
        // `email` comes before `name` in an update, whatever the body's order.
        let e = update(r#"{"name":5,"email":""}"#).expect_err("two problems");
        assert!(e.to_string().contains("email must not be empty"), "{e}");
        let e = update(r#"{"role":"boss"}"#).expect_err("role");
        assert!(
            e.to_string()
                .contains("role must be one of admin, user, viewer")
        );
        let e = update(r#"{"avatar":"ftp://x"}"#).expect_err("avatar");
        assert!(
            e.to_string()
                .contains("avatar must be an http or https URL")
        );
        let c = update(r#"{"avatar":null,"password":null,"role":null}"#).expect("ok");
        assert_eq!(c.profile.avatar_url, Patch::Null);
        assert!(c.password.is_none() && c.role.is_none());
    }
}
