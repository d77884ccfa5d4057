//! Request and response bodies, one typed struct each, read by serde and documented by the same
//! struct. Fields are read leniently ([`Checked`]): the conversions in [`crate::convert`]
//! check them in a fixed order and name the first that is wrong. Unknown and read-only keys are
//! refused by serde, naming the key.

use serde::{Deserialize, Deserializer, Serialize};
use usergate_core::Patch;
use usergate_web::wire::Checked;
use utoipa::ToSchema;

/// A text field as sent: absent, `null`, a string, or another JSON type.
pub type Text = Patch<Checked<String>>;

/// A role as this dialect names it.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
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
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusWord {
    /// May log in.
    Active,
    /// May not log in.
    Inactive,
    /// May not log in.
    Suspended,
}

/// The keys a client reads but may not write: refused by name.
pub const READ_ONLY: [&str; 3] = ["id", "created_at", "updated_at"];

/// A key a client reads but may not write ([`READ_ONLY`]): refused when a body has it (the
/// error's path names it).
#[derive(Debug, Default)]
pub struct ReadOnly;

impl<'de> Deserialize<'de> for ReadOnly {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("read-only"))
    }
}

/// The fields of a create (`name` and `email` required; any other field is refused).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Grace Hopper", "email": "grace@example.com", "role": "user", "password": "correct horse battery staple"}))]
pub struct CreateUser {
    /// Display name (not blank).
    #[serde(default)]
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
        example = "Grace Hopper"
    )]
    pub name: Text,
    /// Login address (unique among users that are not deleted).
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Email, example = "grace@example.com")]
    pub email: Text,
    /// Default `user` (also for `null`).
    #[serde(default)]
    #[schema(value_type = Option<RoleWord>, nullable)]
    pub role: Text,
    /// Without one the user exists but cannot log in until one is set. At least 10
    /// characters (the server's setting), at most 1024 bytes (UTF-8).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password, min_length = 10, nullable)]
    pub password: Text,
    /// Default `active` (also for `null`).
    #[serde(default)]
    #[schema(value_type = Option<StatusWord>, nullable)]
    pub status: Text,
    /// Picture URL (http or https), or null.
    #[serde(default)]
    #[schema(
        value_type = Option<String>,
        pattern = r"^https?://[^\s\u0000-\u001f\u007f-\u009f]+$",
        max_length = 2048,
        nullable,
        example = "https://example.com/grace.png"
    )]
    pub avatar: Text,
    /// Read-only: refused.
    #[serde(default)]
    #[schema(ignore)]
    pub id: ReadOnly,
    /// Read-only: refused.
    #[serde(default)]
    #[schema(ignore)]
    pub created_at: ReadOnly,
    /// Read-only: refused.
    #[serde(default)]
    #[schema(ignore)]
    pub updated_at: ReadOnly,
}

/// The fields of an update: any of them (any other field is refused).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Grace B. Hopper", "role": "admin", "avatar": "https://img.example.com/grace.png"}))]
pub struct UpdateUser {
    /// Display name (not blank).
    #[serde(default)]
    #[schema(
        value_type = Option<String>,
        min_length = 1,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
        nullable = false
    )]
    pub name: Text,
    /// Login address.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Email, nullable = false)]
    pub email: Text,
    /// `user` leaves a user who reads as `user` as they are; `null` changes nothing.
    #[serde(default)]
    #[schema(value_type = Option<RoleWord>, nullable)]
    pub role: Text,
    /// The new status; `null` changes nothing.
    #[serde(default)]
    #[schema(value_type = Option<StatusWord>, nullable)]
    pub status: Text,
    /// Picture URL, or null to remove it.
    #[serde(default)]
    #[schema(
        value_type = Option<String>,
        pattern = r"^https?://[^\s\u0000-\u001f\u007f-\u009f]+$",
        max_length = 2048,
        nullable
    )]
    pub avatar: Text,
    /// A new password (at least 10 characters, at most 1024 bytes): every session and token
    /// of the user dies.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password, min_length = 10, nullable)]
    pub password: Text,
    /// Read-only: refused.
    #[serde(default)]
    #[schema(ignore)]
    pub id: ReadOnly,
    /// Read-only: refused.
    #[serde(default)]
    #[schema(ignore)]
    pub created_at: ReadOnly,
    /// Read-only: refused.
    #[serde(default)]
    #[schema(ignore)]
    pub updated_at: ReadOnly,
}

/// The list's query parameters.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    /// 1 or more (default 1).
    pub page: Option<String>,
    /// 1 to 100 (default 20; more is taken as 100).
    pub limit: Option<String>,
    /// `admin`, `user` or `viewer`.
    pub role: Option<String>,
    /// `active`, `inactive` or `suspended`.
    pub status: Option<String>,
    /// A case-insensitive substring of the name or the email.
    pub search: Option<String>,
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

/// `pagination`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pagination {
    /// This page (from 1).
    pub page: u64,
    /// Page size used.
    pub limit: u64,
    /// Users matching, over all pages.
    pub total: u64,
    /// `ceil(total / limit)`.
    pub pages: u64,
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// Always true.
    pub success: bool,
    /// The users of this page.
    pub data: Vec<GenericUser>,
    /// Where this page is.
    pub pagination: Pagination,
}

/// One user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserReply {
    /// Always true.
    pub success: bool,
    /// The user.
    pub data: GenericUser,
    /// What happened (writes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'static str>,
}

/// A delete's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    /// Always true.
    pub success: bool,
    /// `User deleted successfully`.
    pub message: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(json: &str) -> Result<UpdateUser, usergate_web::BodyError> {
        usergate_web::body::parse::<usergate_web::Object<_>>(json.as_bytes()).map(|o| o.0)
    }

    #[test]
    fn unknown_and_read_only_keys_are_refused_by_name() {
        let e = update(r#"{"nmae":"x"}"#).expect_err("typo");
        assert_eq!(e.unknown_field(), Some("nmae"));
        let e = update(r#"{"name":"x","created_at":"2026-01-01"}"#).expect_err("read-only");
        assert_eq!(e.path(), Some("created_at"));
        assert!(update("[]").expect_err("array").is_wrong_shape());
    }

    #[test]
    fn fields_of_the_wrong_type_are_kept_for_the_conversion_to_name() {
        let u = update(r#"{"name":5,"email":null}"#).expect("lenient");
        assert_eq!(u.name, Patch::Value(Checked::Invalid));
        assert_eq!(u.email, Patch::Null);
        assert_eq!(u.role, Patch::Absent);
    }
}
