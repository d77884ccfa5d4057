//! Request and response bodies, as the original service's clients send and read them. Fields
//! are optional strings so that a missing or empty value gets this dialect's own validation
//! message; unknown fields are ignored, as the original (.NET) service did.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/auth/token`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "admin@usergate.local", "password": "correct horse battery staple"}))]
pub struct TokenRequest {
    /// The user's email.
    #[schema(example = "admin@usergate.local", format = Email, required = true, nullable = false)]
    pub email: Option<String>,
    /// The user's password.
    #[schema(example = "correct horse battery staple", format = Password, required = true, min_length = 1, nullable = false)]
    pub password: Option<String>,
}

/// The token answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// The JWT to send as `Authorization: Bearer <accessToken>`.
    pub access_token: String,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: u64,
}

/// `POST /api/users`: a new active user of type `User`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "tomo@example.com", "password": "correct horse battery staple"}))]
pub struct CreateUserRequest {
    /// A valid address, unique among users that are not deleted (case-insensitively).
    #[schema(example = "tomo@example.com", format = Email, required = true, nullable = false)]
    pub email: Option<String>,
    /// At least 10 characters.
    #[schema(example = "correct horse battery staple", format = Password, required = true, min_length = 10, nullable = false)]
    pub password: Option<String>,
}

/// `PUT /api/users/{email}`: either field, or both.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"type": "Admin", "status": "Active"}))]
pub struct UpdateUserRequest {
    /// `User` or `Admin` (case-insensitive).
    #[serde(rename = "type")]
    #[schema(value_type = Option<UserType>, nullable = false)]
    pub user_type: Option<String>,
    /// `Active` or `Inactive` (case-insensitive).
    #[schema(value_type = Option<UserStatus>, nullable = false)]
    pub status: Option<String>,
}

/// `PATCH /api/users/{email}`: the new password (`password` is accepted as an alias).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"newPassword": "another horse battery staple"}))]
pub struct ChangePasswordRequest {
    /// At least 10 characters, different from the current password.
    #[serde(alias = "password")]
    #[schema(format = Password, required = true, min_length = 10, nullable = false)]
    pub new_password: Option<String>,
}

/// A user as admins read it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserResponse {
    /// The address as it was written.
    pub email: String,
    /// `Admin` for admins, `User` for every other role.
    #[serde(rename = "type")]
    pub user_type: UserType,
    /// `Active`, or `Inactive` for inactive and suspended users.
    pub status: UserStatus,
    /// ISO 8601 UTC, to the second.
    #[schema(example = "2026-11-25T18:30:00Z")]
    pub created_at: String,
    /// ISO 8601 UTC, to the second.
    #[schema(example = "2026-11-25T18:30:00Z")]
    pub updated_at: String,
}

/// The user types of this dialect.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
pub enum UserType {
    /// Any role but admin.
    User,
    /// An admin.
    Admin,
}

/// The statuses of this dialect.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
pub enum UserStatus {
    /// May log in.
    Active,
    /// Inactive or suspended.
    Inactive,
}

/// `GET /api/users` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// 1 to 500, default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    /// 0 or more, default 0.
    #[param(value_type = Option<u64>, minimum = 0)]
    pub offset: Option<String>,
}

/// Every error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// `Validation Error` for 400s, otherwise what went wrong.
    pub message: String,
    /// One message per invalid field (400 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
}
