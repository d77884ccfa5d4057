//! Core errors (and request-parsing errors) in this dialect's envelope:
//! 400 `{"message":"Validation Error","errors":[...]}`, otherwise `{"message":"..."}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use usergate_core::throttle::retry_after_secs;
use usergate_core::{AuthFailure, Conflict, CoreError, Denied, FieldError, Problem};
use usergate_web::{BodyError, Envelope, ErrorReply, Oversized};

use crate::wire::ErrorBody;

/// Everything a request of this dialect can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A core error.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The body is not JSON, or not the JSON expected (the message says where, never what).
    #[error("bad request body: {0}")]
    Body(String),
    /// The request is over a size limit (body, request target, headers).
    #[error("{}", .0.sentence())]
    Oversized(Oversized),
}

impl ApiError {
    fn body(&self) -> ErrorBody {
        match self {
            ApiError::Core(CoreError::Validation(fields)) => ErrorBody {
                message: "Validation Error".into(),
                errors: Some(fields.iter().map(field_message).collect()),
            },
            ApiError::Body(msg) => ErrorBody {
                message: "Validation Error".into(),
                errors: Some(vec![msg.clone()]),
            },
            ApiError::Oversized(o) => message(format!("{}.", o.sentence())),
            ApiError::Core(e) => message(core_message(e)),
        }
    }
}

fn message(text: impl Into<String>) -> ErrorBody {
    ErrorBody {
        message: text.into(),
        errors: None,
    }
}

fn core_message(e: &CoreError) -> String {
    match e {
        CoreError::NotFound => "User not found.".into(),
        CoreError::GroupNotFound => "Group not found.".into(),
        CoreError::Conflict(Conflict::DuplicateEmail) => {
            "A user with this email already exists.".into()
        }
        CoreError::Conflict(Conflict::LastAdmin) => {
            "The last active admin cannot be demoted, deactivated or deleted.".into()
        }
        CoreError::Conflict(Conflict::SamePassword) => {
            "The new password must differ from the current one.".into()
        }
        CoreError::Unauthenticated(AuthFailure::BadCredentials) => {
            "Invalid email or password.".into()
        }
        CoreError::Unauthenticated(AuthFailure::Missing) => {
            "Authentication required: send Authorization: Bearer <token>.".into()
        }
        CoreError::Unauthenticated(_) => "The access token is invalid or has expired.".into(),
        CoreError::Forbidden(Denied::NotAdmin) => "Only active admins can manage users.".into(),
        CoreError::Forbidden(Denied::OwnAccount) => "You cannot delete your own account.".into(),
        // Email-keyed addresses every user: no endpoint here is limited to one kind.
        CoreError::Forbidden(Denied::WrongKind | Denied::Scope) => {
            "Not allowed for this user.".into()
        }
        CoreError::RateLimited { retry_after } => format!(
            "Too many requests. Try again in {} seconds.",
            retry_after_secs(*retry_after)
        ),
        CoreError::MailUnavailable(_) => "Mail delivery is not available.".into(),
        CoreError::MailFailed(_) => "The email could not be sent.".into(),
        CoreError::CodeExpired => "The code has expired.".into(),
        CoreError::Conflict(Conflict::AlreadyAccepted) => {
            "The user has already accepted the invitation.".into()
        }
        CoreError::Conflict(_) => "Conflict.".into(),
        CoreError::Validation(_) | CoreError::Internal(_) => "An unexpected error occurred.".into(),
    }
}

/// FluentValidation-style messages, as the original service wrote them.
fn field_message(e: &FieldError) -> String {
    let name = display_name(e.field);
    match &e.problem {
        Problem::Required => format!("'{name}' must not be empty."),
        Problem::NotAnEmail => format!("'{name}' is not a valid email address."),
        Problem::TooShort { min } => {
            format!("The length of '{name}' must be at least {min} characters.")
        }
        Problem::TooLong { max } if e.field.to_ascii_lowercase().contains("password") => {
            format!("The length of '{name}' must be {max} bytes or fewer.")
        }
        Problem::TooLong { max } => {
            format!("The length of '{name}' must be {max} characters or fewer.")
        }
        Problem::NotAllowed { allowed } => {
            format!("'{name}' must be one of: {}.", allowed.join(", "))
        }
        Problem::OutOfRange { min, max } => {
            format!("'{name}' must be between {min} and {max}.")
        }
        Problem::Malformed => format!("'{name}' is not in the correct format."),
    }
}

/// `newPassword` -> `New Password`, `email` -> `Email`.
fn display_name(field: &str) -> String {
    let mut out = String::with_capacity(field.len() + 4);
    for (i, c) in field.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else if c.is_uppercase() {
            out.push(' ');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Body(_) => StatusCode::BAD_REQUEST,
            ApiError::Oversized(o) => o.status(),
            ApiError::Core(e) => match e {
                CoreError::Validation(_) => StatusCode::BAD_REQUEST,
                CoreError::NotFound | CoreError::GroupNotFound => StatusCode::NOT_FOUND,
                CoreError::Conflict(_) => StatusCode::CONFLICT,
                CoreError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
                CoreError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                CoreError::MailUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                CoreError::MailFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
                CoreError::CodeExpired => StatusCode::BAD_REQUEST,
                CoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (www_authenticate, retry_after, cause) = match self {
            ApiError::Core(CoreError::Unauthenticated(failure)) => (
                Some(match failure {
                    AuthFailure::Missing | AuthFailure::BadCredentials => "Bearer",
                    _ => "Bearer error=\"invalid_token\"",
                }),
                None,
                None,
            ),
            ApiError::Core(CoreError::RateLimited { retry_after }) => {
                (None, Some(retry_after_secs(*retry_after)), None)
            }
            ApiError::Core(CoreError::Internal(cause) | CoreError::MailFailed(cause)) => {
                (None, None, Some(cause.as_str()))
            }
            _ => (None, None, None),
        };
        ErrorReply {
            status: self.status_code(),
            retry_after,
            www_authenticate,
            cause,
        }
        .json(&self.body())
    }
}

impl Envelope for ApiError {
    fn oversized(o: Oversized) -> Self {
        ApiError::Oversized(o)
    }

    /// Where the body went wrong, never what it held.
    fn unreadable_body(e: BodyError) -> Self {
        ApiError::Body(match e {
            BodyError::ContentType => {
                "The request body must be sent as Content-Type: application/json.".into()
            }
            BodyError::Empty => "The request body must not be empty.".into(),
            BodyError::WrongType { line, column, .. } => {
                format!("A JSON value has the wrong type (line {line}, column {column}).")
            }
            BodyError::Malformed { line, column } => {
                format!("The request body is not valid JSON (line {line}, column {column}).")
            }
            BodyError::TooLarge | BodyError::Unreadable => {
                "The request body could not be read.".into()
            }
        })
    }

    fn unreadable_query() -> Self {
        ApiError::Body("The query string could not be read.".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_split_camel_case() {
        assert_eq!(display_name("newPassword"), "New Password");
        assert_eq!(display_name("email"), "Email");
    }

    #[test]
    fn messages_never_carry_causes() {
        let e = ApiError::Core(CoreError::Internal("password=hunter2 in query".into()));
        let body = serde_json::to_string(&e.body()).expect("json");
        assert!(!body.contains("hunter2"));
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
