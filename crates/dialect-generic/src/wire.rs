//! The user object, the role and status words, and strict parsing of create and update bodies
//! (unknown and read-only fields are refused, naming the field).

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{Map, Value};
use usergate_core::{
    Coarse, CoreError, Email, FieldError, NewUser, PasswordPolicy, Profile, Role, Status, User,
    UserChanges,
};
use utoipa::ToSchema;

use crate::error::ApiError;

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

/// A user as this dialect shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenericUser {
    /// `usr_` and the number.
    #[schema(example = "usr_42")]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Login address.
    pub email: String,
    /// `admin`, `user` or `viewer`.
    #[schema(example = "user")]
    pub role: &'static str,
    /// `active`, `inactive` or `suspended`.
    #[schema(example = "active")]
    pub status: &'static str,
    /// Picture URL, or null.
    pub avatar: Option<String>,
    /// ISO 8601, UTC.
    #[schema(example = "2026-11-25T10:00:00Z")]
    pub created_at: String,
    /// ISO 8601, UTC.
    #[schema(example = "2026-11-25T10:00:00Z")]
    pub updated_at: String,
}

fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `usr_42` for id 42.
pub fn public_id(id: usergate_core::UserId) -> String {
    format!("usr_{}", id.get())
}

/// The core id of `usr_<digits>`.
pub fn parse_id(raw: &str) -> Option<usergate_core::UserId> {
    let digits = raw.strip_prefix("usr_")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(usergate_core::UserId::new)
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

/// A role as this dialect names it.
#[derive(Debug, Clone, Copy, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleWord {
    /// Manages users.
    Admin,
    /// Core's privileged, editor and user.
    User,
    /// Read-only.
    Viewer,
}

/// A status as this dialect names it.
#[derive(Debug, Clone, Copy, serde::Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusWord {
    /// May log in.
    Active,
    /// May not log in.
    Inactive,
    /// May not log in.
    Suspended,
}

// The two bodies below only describe what `new_user` and `changes` accept (for the OpenAPI
// document); the parsing itself is by hand, so that an unknown field can be named.

/// The fields of a create (`name` and `email` required; any other field is refused).
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(example = json!({"name": "Grace Hopper", "email": "grace@example.com", "role": "user", "password": "correct horse battery staple"}))]
pub struct CreateUser {
    /// Display name (not blank).
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
        example = "Grace Hopper"
    )]
    name: String,
    /// Login address (unique among users that are not deleted).
    #[schema(format = Email, example = "grace@example.com")]
    email: String,
    /// Default `user` (also for `null`).
    #[schema(nullable)]
    role: Option<RoleWord>,
    /// Without one the user exists but cannot log in until one is set. At least 10
    /// characters (the server's setting), at most 1024 bytes (UTF-8).
    #[schema(format = Password, min_length = 10, nullable)]
    password: Option<String>,
    /// Default `active` (also for `null`).
    #[schema(nullable)]
    status: Option<StatusWord>,
    /// Picture URL (http or https), or null.
    #[schema(
        pattern = r"^https?://[^\s\u0000-\u001f\u007f-\u009f]+$",
        max_length = 2048,
        nullable,
        example = "https://example.com/grace.png"
    )]
    avatar: Option<String>,
}

/// The fields of an update: any of them (any other field is refused).
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
#[schema(example = json!({"name": "Grace B. Hopper", "role": "admin", "avatar": "https://img.example.com/grace.png"}))]
pub struct UpdateUser {
    /// Display name (not blank).
    #[schema(
        min_length = 1,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
        nullable = false
    )]
    name: Option<String>,
    /// Login address.
    #[schema(format = Email, nullable = false)]
    email: Option<String>,
    /// `user` leaves a user who reads as `user` as they are; `null` changes nothing.
    #[schema(nullable)]
    role: Option<RoleWord>,
    /// The new status; `null` changes nothing.
    #[schema(nullable)]
    status: Option<StatusWord>,
    /// Picture URL, or null to remove it.
    #[schema(
        pattern = r"^https?://[^\s\u0000-\u001f\u007f-\u009f]+$",
        max_length = 2048,
        nullable
    )]
    avatar: Option<String>,
    /// A new password (at least 10 characters, at most 1024 bytes): every session and token
    /// of the user dies.
    #[schema(format = Password, min_length = 10, nullable)]
    password: Option<String>,
}

const WRITABLE: [&str; 6] = ["name", "email", "role", "status", "avatar", "password"];
const READ_ONLY: [&str; 3] = ["id", "created_at", "updated_at"];

/// The body as an object whose keys are all writable.
fn object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    let map = body
        .as_object()
        .ok_or_else(|| ApiError::invalid("The body must be a JSON object"))?;
    for key in map.keys() {
        if READ_ONLY.contains(&key.as_str()) {
            return Err(ApiError::field(key, format!("{key} is read-only")));
        }
        if !WRITABLE.contains(&key.as_str()) {
            return Err(ApiError::field(key, format!("Unknown field: {key}")));
        }
    }
    Ok(map)
}

/// A string field: absent, `null`, or a string (anything else is refused).
fn string<'a>(map: &'a Map<String, Value>, key: &str) -> Result<Option<Option<&'a str>>, ApiError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.as_str()))),
        Some(_) => Err(ApiError::field(key, format!("{key} must be a string"))),
    }
}

fn required<'a>(map: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ApiError> {
    match string(map, key)? {
        None => Ok(None),
        Some(Some(s)) if !s.trim().is_empty() => Ok(Some(s)),
        Some(_) => Err(ApiError::field(key, format!("{key} must not be empty"))),
    }
}

fn one(e: FieldError) -> ApiError {
    CoreError::Validation(vec![e]).into()
}

fn role(map: &Map<String, Value>) -> Result<Option<Coarse<Role>>, ApiError> {
    // `null` is the same as leaving the field out.
    match string(map, "role")?.flatten() {
        None => Ok(None),
        Some(w) => role_write(w)
            .map(Some)
            .ok_or_else(|| ApiError::field("role", "role must be one of admin, user, viewer")),
    }
}

fn status(map: &Map<String, Value>) -> Result<Option<Status>, ApiError> {
    match string(map, "status")?.flatten() {
        None => Ok(None),
        Some(w) => status_of(w).map(Some).ok_or_else(bad_status),
    }
}

fn bad_status() -> ApiError {
    ApiError::field(
        "status",
        "status must be one of active, inactive, suspended",
    )
}

#[allow(clippy::option_option)]
fn avatar(map: &Map<String, Value>) -> Result<Option<Option<String>>, ApiError> {
    match string(map, "avatar")? {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(url)) => {
            // Any http(s) URL without spaces or control characters: stored as written, shown
            // to clients, never fetched by usergate.
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"))
                .unwrap_or_default();
            let ok = !rest.is_empty()
                && url.chars().count() <= 2048
                && !rest.chars().any(|c| c.is_whitespace() || c.is_control());
            if ok {
                Ok(Some(Some(url.to_owned())))
            } else {
                Err(ApiError::field(
                    "avatar",
                    "avatar must be an http or https URL, or null",
                ))
            }
        }
    }
}

fn password(
    map: &Map<String, Value>,
    policy: PasswordPolicy,
) -> Result<Option<usergate_core::Password>, ApiError> {
    match string(map, "password")? {
        None | Some(None) => Ok(None),
        Some(Some(p)) => policy.check("password", p).map(Some).map_err(one),
    }
}

/// A create body as a core command.
pub fn new_user(body: &Value, policy: PasswordPolicy) -> Result<NewUser, ApiError> {
    let map = object(body)?;
    let name = required(map, "name")?.ok_or_else(|| ApiError::field("name", "name is required"))?;
    let email =
        required(map, "email")?.ok_or_else(|| ApiError::field("email", "email is required"))?;
    let email = Email::parse_field(email, "email").map_err(one)?;
    Ok(NewUser {
        name: Some(name.trim().to_owned()),
        role: role(map)?.map_or(Role::User, |c| c.value),
        status: status(map)?.unwrap_or(Status::Active),
        password: password(map, policy)?,
        profile: Profile {
            avatar_url: avatar(map)?.flatten(),
            ..Profile::default()
        },
        ..NewUser::new(email)
    })
}

/// An update body as core changes.
pub fn changes(body: &Value, policy: PasswordPolicy) -> Result<UserChanges, ApiError> {
    let map = object(body)?;
    let email = required(map, "email")?
        .map(|e| Email::parse_field(e, "email"))
        .transpose()
        .map_err(one)?;
    let mut changes = UserChanges {
        name: required(map, "name")?.map(|n| n.trim().to_owned()),
        email,
        role: role(map)?,
        status: status(map)?.map(|s| Coarse::exact(s, &[])),
        password: password(map, policy)?,
        ..UserChanges::default()
    };
    changes.profile.avatar_url = avatar(map)?;
    Ok(changes)
}

/// Checks that a parse error names its field (for tests).
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn unknown_and_read_only_fields_are_refused_by_name() {
        let policy = PasswordPolicy::default();
        let err = changes(&json!({"nmae": "x"}), policy).expect_err("typo");
        assert!(err.to_string().contains("Unknown field: nmae"));
        let err = changes(&json!({"id": "usr_1"}), policy).expect_err("read-only");
        assert!(err.to_string().contains("id is read-only"));
    }
}
