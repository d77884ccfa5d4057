//! The error envelope: `{"success":false,"error":{"code","message","field"?}}`, with the
//! dialect's codes (`invalid_request`, `unauthorized`, `forbidden`, `not_found`,
//! `duplicate_email`, `conflict`, `rate_limited`, `payload_too_large`, `internal_error`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use usergate_core::{AuthFailure, Conflict, CoreError, Denied, FieldError, Problem};
use usergate_web::{BodyError, Envelope, ErrorReply, Oversized};

use crate::wire::READ_ONLY;
use utoipa::ToSchema;

/// The error object.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code.
    #[schema(example = "invalid_request")]
    pub code: &'static str,
    /// For people.
    #[schema(example = "limit must be a whole number from 1")]
    pub message: String,
    /// The one field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "limit")]
    pub field: Option<String>,
}

/// The error body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always false.
    pub success: bool,
    /// What went wrong.
    pub error: ErrorDetail,
}

/// An error of this dialect.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    retry_after: Option<u64>,
    cause: Option<String>,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
            cause: None,
        }
    }

    /// 400 `invalid_request` about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            field: Some(field.to_owned()),
            ..Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
        }
    }

    /// 400 `invalid_request` about the request as a whole.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 404 `not_found`.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "User not found")
    }
}

fn field_message(e: &FieldError) -> String {
    let f = e.field;
    match &e.problem {
        Problem::Required => format!("{f} is required"),
        Problem::NotAnEmail => format!("{f} is not a valid email address"),
        Problem::TooShort { min } => format!("{f} must be at least {min} characters"),
        Problem::TooLong { max } if f.contains("password") => {
            format!("{f} must be at most {max} bytes")
        }
        Problem::TooLong { max } => format!("{f} must be at most {max} characters"),
        Problem::NotAllowed { allowed } => format!("{f} must be one of {}", allowed.join(", ")),
        Problem::OutOfRange { min, max } => format!("{f} must be between {min} and {max}"),
        Problem::Malformed => format!("{f} has the wrong type or format"),
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        use StatusCode as S;
        match e {
            CoreError::Validation(fields) => {
                let message = fields
                    .iter()
                    .map(field_message)
                    .collect::<Vec<_>>()
                    .join("; ");
                match fields.as_slice() {
                    [one] => ApiError::field(one.field, message),
                    _ => ApiError::invalid(message),
                }
            }
            CoreError::NotFound => ApiError::not_found(),
            CoreError::GroupNotFound => ApiError::new(S::NOT_FOUND, "not_found", "Group not found"),
            CoreError::Conflict(Conflict::DuplicateEmail) => ApiError {
                field: Some("email".into()),
                ..ApiError::new(
                    S::CONFLICT,
                    "duplicate_email",
                    "A user with this email already exists",
                )
            },
            CoreError::Conflict(Conflict::LastAdmin) => ApiError::new(
                S::CONFLICT,
                "conflict",
                "The last active admin cannot be demoted, deactivated or deleted",
            ),
            CoreError::Conflict(_) => ApiError::new(S::CONFLICT, "conflict", "Conflict"),
            CoreError::Unauthenticated(AuthFailure::Missing) => ApiError::new(
                S::UNAUTHORIZED,
                "unauthorized",
                "An API key is required: send Authorization: Bearer <key>",
            ),
            CoreError::Unauthenticated(_) => ApiError::new(
                S::UNAUTHORIZED,
                "unauthorized",
                "The API key is invalid, expired or revoked",
            ),
            CoreError::Forbidden(Denied::OwnAccount) => ApiError::new(
                S::FORBIDDEN,
                "forbidden",
                "You cannot delete your own account",
            ),
            CoreError::Forbidden(_) => {
                ApiError::new(S::FORBIDDEN, "forbidden", "Only admins can manage users")
            }
            CoreError::RateLimited { retry_after } => {
                let secs = retry_after.as_secs().max(1);
                ApiError {
                    retry_after: Some(secs),
                    ..ApiError::new(
                        S::TOO_MANY_REQUESTS,
                        "rate_limited",
                        format!("Too many requests. Try again in {secs} seconds."),
                    )
                }
            }
            CoreError::CodeExpired => ApiError::invalid("The code has expired"),
            CoreError::MailUnavailable(_) => ApiError::new(
                S::SERVICE_UNAVAILABLE,
                "mail_unavailable",
                "No mail server is configured",
            ),
            CoreError::MailFailed(cause) | CoreError::Internal(cause) => ApiError {
                cause: Some(cause),
                ..ApiError::new(
                    S::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "An internal error occurred",
                )
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        ErrorReply {
            status: self.status,
            retry_after: self.retry_after,
            www_authenticate: (self.status == StatusCode::UNAUTHORIZED).then_some("Bearer"),
            cause: self.cause.as_deref(),
        }
        .json(&ErrorBody {
            success: false,
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                field: self.field.clone(),
            },
        })
    }
}

impl Envelope for ApiError {
    fn oversized(o: Oversized) -> Self {
        ApiError::new(o.status(), o.code(), o.sentence())
    }

    /// An unknown or read-only key is named in `field`; a body that is not JSON, or not an
    /// object, is `invalid_request` as a whole (never echoing what it held).
    fn unreadable_body(e: BodyError) -> Self {
        if let Some(key) = e.unknown_field() {
            return ApiError::field(key, format!("Unknown field: {key}"));
        }
        match e.path() {
            Some(key) if READ_ONLY.contains(&key) => {
                ApiError::field(key, format!("{key} is read-only"))
            }
            Some(".") => ApiError::invalid("The body must be a JSON object"),
            _ => ApiError::invalid(e.sentence().unwrap_or_default()),
        }
    }

    fn unreadable_query() -> Self {
        ApiError::invalid("The query string could not be read")
    }
}
