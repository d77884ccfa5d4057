//! Request and response bodies, field for field as DreamFactory sends and reads them, one typed
//! struct each, read by serde and documented by the same struct. Writes read as leniently as
//! DreamFactory does: a record's fields never fail it ([`Text`], [`Flag`], [`RecordId`]),
//! unknown and read-only keys are ignored, a list is `{"resource":[...]}` or a bare array, and
//! a record that is not an object is that record's own error ([`Record`]).

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use usergate_core::Patch;
use usergate_web::Object;
use utoipa::ToSchema;

use crate::convert::query::to_bool;

/// Text as DreamFactory's clients send it: a string, or a number (its decimal text). Any other
/// JSON type is ignored, as DreamFactory ignores a value it cannot store in a text column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Text(match Value::deserialize(d)? {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }))
    }
}

/// One of DreamFactory's booleans in a body: `true`, `1`, `"true"`, `"1"`, `"yes"` ... (`""`
/// and other JSON types say nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Flag(match Value::deserialize(d)? {
            Value::Bool(b) => Some(b),
            Value::Number(n) => Some(n.as_f64() != Some(0.0)),
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(to_bool(Some(&s))),
            _ => None,
        }))
    }
}

/// A record's `id`: a number, or a string of digits (anything else names no record).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordId(pub Option<i64>);

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(RecordId(match Value::deserialize(d)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }))
    }
}

/// One record of a write: an object read into `T`, or anything else (that record's error).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Record<T> {
    /// A JSON object.
    Object(Object<T>),
    /// Any other JSON value.
    Other(IgnoredAny),
}

impl<T> Record<T> {
    /// The record, if it is an object.
    pub fn into_object(self) -> Option<T> {
        match self {
            Record::Object(Object(r)) => Some(r),
            Record::Other(_) => None,
        }
    }
}

/// The shapes a list of records comes in.
#[derive(Deserialize)]
#[serde(untagged)]
enum Listing<T> {
    Bare(Vec<Record<T>>),
    Wrapped { resource: Vec<Record<T>> },
    None(IgnoredAny),
}

impl<T> Listing<T> {
    fn records(self) -> Vec<Record<T>> {
        match self {
            Listing::Bare(list) | Listing::Wrapped { resource: list } => list,
            Listing::None(_) => Vec::new(),
        }
    }
}

/// A record to create.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewRecord {
    /// Login address (unique among users that are not deleted).
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Email, example = "tomo@example.com")]
    pub email: Patch<Text>,
    /// At least 10 characters (the server's setting); ignored with `send_invite=true`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password, min_length = 10, nullable)]
    pub password: Patch<Text>,
    /// Display name (default: first and last name, else the email's local part).
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = "^[^\\u0000]*$")]
    pub name: Patch<Text>,
    /// Given name.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = "^[^\\u0000]*$")]
    pub first_name: Patch<Text>,
    /// Family name.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = "^[^\\u0000]*$")]
    pub last_name: Patch<Text>,
    /// Phone.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = "^[^\\u0000]*$")]
    pub phone: Patch<Text>,
    /// Default true.
    #[serde(default)]
    #[schema(value_type = Option<bool>, nullable)]
    pub is_active: Patch<Flag>,
    /// Default: the email (kept as written, returned as written).
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable)]
    pub username: Patch<Value>,
    /// Kept as written, returned as written.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable)]
    pub security_question: Patch<Value>,
    /// Kept as written, returned as written.
    #[serde(default)]
    #[schema(value_type = Option<i64>, nullable)]
    pub default_app_id: Patch<Value>,
}

/// A change to a record: any of the fields (with `id` when the record names its user).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[schema(example = json!({"first_name": "Tomo", "last_name": "Kato", "name": "Tomo Kato", "is_active": true}))]
pub struct RecordChange {
    /// The user (records without `?ids=`).
    #[serde(default)]
    #[schema(value_type = Option<i64>, nullable = false)]
    pub id: Option<RecordId>,
    /// Login address.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Email, nullable = false)]
    pub email: Patch<Text>,
    /// A new password (at least 10 characters).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password, min_length = 10, nullable)]
    pub password: Patch<Text>,
    /// Display name.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = "^[^\\u0000]*$")]
    pub name: Patch<Text>,
    /// Given name.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = "^[^\\u0000]*$")]
    pub first_name: Patch<Text>,
    /// Family name.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = "^[^\\u0000]*$")]
    pub last_name: Patch<Text>,
    /// Phone.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = "^[^\\u0000]*$")]
    pub phone: Patch<Text>,
    /// Whether the user may log in.
    #[serde(default)]
    #[schema(value_type = Option<bool>, nullable)]
    pub is_active: Patch<Flag>,
    /// `null` or `""`: the email again.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable)]
    pub username: Patch<Value>,
    /// Kept as written, returned as written.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable)]
    pub security_question: Patch<Value>,
    /// Kept as written, returned as written.
    #[serde(default)]
    #[schema(value_type = Option<i64>, nullable)]
    pub default_app_id: Patch<Value>,
}

/// `{"resource":[...]}` of records to create (a bare array is read too).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(from = "Listing<NewRecord>")]
#[schema(example = json!({"resource": [{"email": "tomo@example.com", "first_name": "Tomo", "last_name": "Kato", "name": "Tomo Kato", "password": "correct horse battery staple"}]}))]
pub struct NewRecords {
    /// At least one.
    #[schema(value_type = Vec<NewRecord>, min_items = 1)]
    pub resource: Vec<Record<NewRecord>>,
}

impl From<Listing<NewRecord>> for NewRecords {
    fn from(l: Listing<NewRecord>) -> Self {
        NewRecords {
            resource: l.records(),
        }
    }
}

/// `{"resource":[...]}` of changes (a bare array is read too).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(from = "Listing<RecordChange>")]
#[schema(example = json!({"resource": [{"id": 2, "name": "Tomo K.", "phone": "+81 3 5555 0100"}]}))]
pub struct RecordChanges {
    /// At least one.
    #[schema(value_type = Vec<RecordChange>, min_items = 1)]
    pub resource: Vec<Record<RecordChange>>,
}

impl From<Listing<RecordChange>> for RecordChanges {
    fn from(l: Listing<RecordChange>) -> Self {
        RecordChanges {
            resource: l.records(),
        }
    }
}

/// A record a delete names.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct RecordRef {
    /// The user.
    #[serde(default)]
    #[schema(value_type = i64)]
    pub id: Option<RecordId>,
}

/// `{"resource":[{"id":N},...]}` of records to delete (a bare array is read too).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(from = "Listing<RecordRef>")]
#[schema(example = json!({"resource": [{"id": 2}, {"id": 3}]}))]
pub struct RecordRefs {
    /// At least one.
    #[schema(value_type = Vec<RecordRef>, min_items = 1)]
    pub resource: Vec<Record<RecordRef>>,
}

impl From<Listing<RecordRef>> for RecordRefs {
    fn from(l: Listing<RecordRef>) -> Self {
        RecordRefs {
            resource: l.records(),
        }
    }
}

/// The query parameters of a read, raw.
#[derive(Debug, Default, Deserialize)]
pub struct ReadParams {
    /// `fields`.
    pub fields: Option<String>,
    /// `related`.
    pub related: Option<String>,
    /// `ids`.
    pub ids: Option<String>,
    /// `filter`.
    pub filter: Option<String>,
    /// `limit`.
    pub limit: Option<String>,
    /// `offset` (alias `skip`).
    #[serde(alias = "skip")]
    pub offset: Option<String>,
    /// `order` (aliases `sort`, `order_by`).
    #[serde(alias = "sort", alias = "order_by")]
    pub order: Option<String>,
    /// `include_count`.
    pub include_count: Option<String>,
    /// `continue`.
    #[serde(rename = "continue")]
    pub continue_: Option<String>,
}

/// The query parameters of a write, raw.
#[derive(Debug, Default, Deserialize)]
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

/// `POST .../session`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "admin@usergate.local", "password": "correct horse battery staple"}))]
pub struct LoginRequest {
    /// The user's email.
    #[schema(
        example = "admin@usergate.local",
        required = true,
        nullable = false,
        min_length = 1
    )]
    pub email: Option<String>,
    /// The password.
    #[schema(format = Password, required = true, nullable = false, min_length = 1)]
    pub password: Option<String>,
    /// Accepted and ignored ("forever" sessions are not offered).
    pub remember_me: Option<Value>,
}

/// The session object: what login, `GET` and refresh answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// The JWT to send as `X-DreamFactory-Session-Token` or `Authorization: Bearer`.
    pub session_token: String,
    /// The same token (DreamFactory sends both).
    pub session_id: String,
    /// The user's id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Given name, or null.
    pub first_name: Option<String>,
    /// Family name, or null.
    pub last_name: Option<String>,
    /// Email.
    pub email: String,
    /// Whether the user is an admin.
    pub is_sys_admin: bool,
    /// `YYYY-MM-DD HH:MM:SS` UTC, or null.
    #[schema(example = "2026-11-25 18:30:00")]
    pub last_login_date: Option<String>,
    /// The server's name.
    pub host: String,
    /// When the token expires, `YYYY-MM-DD HH:MM:SS` UTC.
    #[schema(example = "2026-11-26 18:30:00")]
    pub token_expiry_date: String,
    /// `true` for admins (the admin app reads it); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_root_admin: Option<bool>,
}

/// `{"success": true}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Success {
    /// Always true.
    pub success: bool,
}

/// The body: the invited user's email, the code from the mail, the new password.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "tomo@example.com", "code": "Q2xkZ3V5b2Z0aGVyZWFyZ2FyZGVuMDE", "new_password": "another horse battery staple"}))]
pub struct PasswordByCode {
    /// The account's email.
    #[schema(example = "tomo@example.com", format = Email, required = true, nullable = false)]
    pub email: Option<String>,
    /// The 32-character code from the invitation mail.
    #[schema(
        required = true,
        nullable = false,
        min_length = 32,
        max_length = 32,
        pattern = "^[A-Za-z0-9]{32}$"
    )]
    pub code: Option<String>,
    /// The new password (the password policy applies: at least 10 characters).
    #[schema(format = Password, required = true, nullable = false, min_length = 10)]
    pub new_password: Option<String>,
}

/// `{"success":true}`, with a session token under `?login=true`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordChanged {
    /// Always true.
    pub success: bool,
    /// A new session's token (`?login=true` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
}

/// The query of setting a password: `login`.
#[derive(Debug, Deserialize)]
pub struct PasswordParams {
    /// Log the user in afterwards.
    pub login: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: serde::de::DeserializeOwned>(json: &str) -> T {
        usergate_web::body::parse(json.as_bytes()).expect("never fails on valid JSON")
    }

    #[test]
    fn lists_are_wrapped_or_bare_and_anything_else_is_none() {
        let wrapped: NewRecords = parse(r#"{"resource":[{"email":"a@b.c"}],"extra":1}"#);
        assert_eq!(wrapped.resource.len(), 1);
        let bare: NewRecords = parse(r#"[{"email":"a@b.c"},5,["x"]]"#);
        assert_eq!(bare.resource.len(), 3);
        let objects: Vec<bool> = bare
            .resource
            .into_iter()
            .map(|r| r.into_object().is_some())
            .collect();
        assert_eq!(objects, [true, false, false], "an array is no record");
        for none in [
            r#"{"resource":"x"}"#,
            "{}",
            r#""x""#,
            "null",
            r#"{"email":"a@b.c"}"#,
        ] {
            assert!(parse::<NewRecords>(none).resource.is_empty(), "{none}");
        }
    }

    #[test]
    fn fields_read_as_dreamfactory_reads_them() {
        let r: RecordChange = parse(
            r#"{"id":"7","email":"","phone":123,"first_name":null,"name":true,"is_active":"yes","username":""}"#,
        );
        assert_eq!(r.id, Some(RecordId(Some(7))));
        assert_eq!(r.email, Patch::Value(Text(Some(String::new()))));
        assert_eq!(r.phone, Patch::Value(Text(Some("123".into()))));
        assert_eq!(r.first_name, Patch::Null);
        assert_eq!(r.name, Patch::Value(Text(None)), "a boolean is no text");
        assert_eq!(r.is_active, Patch::Value(Flag(Some(true))));
        assert_eq!(r.username, Patch::Value(Value::from("")));
        let f = |json: &str| parse::<RecordChange>(&format!(r#"{{"is_active":{json}}}"#)).is_active;
        assert_eq!(f("0"), Patch::Value(Flag(Some(false))));
        assert_eq!(f(r#""""#), Patch::Value(Flag(None)));
        assert_eq!(f("[]"), Patch::Value(Flag(None)));
    }
}
