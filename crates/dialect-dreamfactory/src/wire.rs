//! Request and response bodies of the session endpoints, field for field as DreamFactory sends
//! them (its admin app and SDKs read these names).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST .../session`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The user's email.
    #[schema(example = "admin@usergate.local")]
    pub email: Option<String>,
    /// The password.
    #[schema(format = Password)]
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
