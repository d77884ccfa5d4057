//! Request and response bodies of the session endpoints, field for field as DreamFactory sends
//! them (its admin app and SDKs read these names).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    pub remember_me: Option<serde_json::Value>,
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

// The write bodies, for the OpenAPI document (the handlers read JSON by hand, as DreamFactory
// does, ignoring unknown and read-only keys).

/// A record to create.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct NewRecord {
    /// Login address (unique among users that are not deleted).
    #[schema(format = Email, example = "tomo@example.com")]
    email: String,
    /// At least 10 characters (the server's setting); ignored with `send_invite=true`.
    #[schema(format = Password, min_length = 10, nullable)]
    password: Option<String>,
    /// Display name (default: first and last name, else the email's local part).
    #[schema(nullable, pattern = "^[^\\u0000]*$")]
    name: Option<String>,
    /// Given name.
    #[schema(nullable, pattern = "^[^\\u0000]*$")]
    first_name: Option<String>,
    /// Family name.
    #[schema(nullable, pattern = "^[^\\u0000]*$")]
    last_name: Option<String>,
    /// Phone.
    #[schema(nullable, pattern = "^[^\\u0000]*$")]
    phone: Option<String>,
    /// Default true.
    #[schema(nullable)]
    is_active: Option<bool>,
}

/// A change to a record: any of the fields (with `id` when the record names its user).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"first_name": "Tomo", "last_name": "Kato", "name": "Tomo Kato", "is_active": true}))]
pub struct RecordChange {
    /// The user (records without `?ids=`).
    #[schema(nullable = false)]
    id: Option<i64>,
    /// Login address.
    #[schema(format = Email, nullable = false)]
    email: Option<String>,
    /// A new password (at least 10 characters).
    #[schema(format = Password, min_length = 10, nullable)]
    password: Option<String>,
    /// Display name.
    #[schema(nullable, pattern = "^[^\\u0000]*$")]
    name: Option<String>,
    /// Given name.
    #[schema(nullable, pattern = "^[^\\u0000]*$")]
    first_name: Option<String>,
    /// Family name.
    #[schema(nullable, pattern = "^[^\\u0000]*$")]
    last_name: Option<String>,
    /// Phone.
    #[schema(nullable, pattern = "^[^\\u0000]*$")]
    phone: Option<String>,
    /// Whether the user may log in.
    #[schema(nullable)]
    is_active: Option<bool>,
}

/// `{"resource":[...]}` of records to create.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"resource": [{"email": "tomo@example.com", "first_name": "Tomo", "last_name": "Kato", "name": "Tomo Kato", "password": "correct horse battery staple"}]}))]
pub struct NewRecords {
    /// At least one.
    #[schema(min_items = 1)]
    resource: Vec<NewRecord>,
}

/// `{"resource":[...]}` of changes.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"resource": [{"id": 2, "name": "Tomo K.", "phone": "+81 3 5555 0100"}]}))]
pub struct RecordChanges {
    /// At least one.
    #[schema(min_items = 1)]
    resource: Vec<RecordChange>,
}
