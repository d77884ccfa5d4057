//! DreamFactory's error envelope: `{"error":{"code","context","message","status_code"}}`, keys
//! in that order, the message HTML-escaped as DreamFactory's PHP does (`htmlentities`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use usergate_core::throttle::retry_after_secs;
use usergate_core::{AuthFailure, Conflict, CoreError, Denied};
use usergate_web::ErrorReply;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The status code (or a DreamFactory code such as 1000 for batches).
    pub code: u16,
    /// `null`, or details (validation messages, batch results).
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Value>,
    /// The message, HTML-escaped.
    pub message: String,
    /// The status code.
    pub status_code: u16,
}

/// The message DreamFactory sends when a request carries no credential.
pub const NO_TOKEN: &str = "No session token (JWT) or API Key detected in request. Please send in \
X-DreamFactory-Session-Token and/or X-DreamFactory-API-Key request header. You can also use URL \
query parameters session_token and/or api_key.";
/// An expired token.
pub const EXPIRED: &str = "Token has expired: Session expired. Please refresh your token (if still \
within refresh window) or re-login.";
/// A revoked token (logout, refresh, or its user changed).
pub const BLACKLISTED: &str =
    "The token has been blacklisted: Session terminated. Please re-login.";
/// A malformed or forged token.
pub const INVALID: &str = "Invalid token: Token Signature could not be verified.";
/// Wrong email, password, kind of user, or an inactive user.
pub const BAD_CREDENTIALS: &str = "Invalid credentials supplied.";

/// An error answer of this dialect.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {message}")]
pub struct DfError {
    status: StatusCode,
    message: String,
    /// Boxed: errors travel in `Result`s and should stay small.
    context: Option<Box<serde_json::Value>>,
    retry_after: Option<u64>,
    /// For the log only (500s).
    cause: Option<String>,
}

impl DfError {
    /// An answer with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        DfError {
            status,
            message: message.into(),
            context: None,
            retry_after: None,
            cause: None,
        }
    }

    /// With details in `context` (validation messages by field).
    pub fn with_context(self, context: serde_json::Value) -> Self {
        DfError {
            context: Some(Box::new(context)),
            ..self
        }
    }

    /// The inner error object (`{"code","context","message","status_code"}`), as batch entries
    /// carry it.
    pub fn body(&self) -> ErrorBody {
        let code = self.status.as_u16();
        ErrorBody {
            code,
            context: self.context.as_deref().cloned(),
            message: html_escape(&self.message),
            status_code: code,
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// The answer to a token that did not verify or resolve.
    pub fn token(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::Missing => Self::bad_request(NO_TOKEN),
            AuthFailure::Expired => Self::unauthorized(EXPIRED),
            AuthFailure::Revoked => Self::new(StatusCode::FORBIDDEN, BLACKLISTED),
            AuthFailure::Invalid => Self::unauthorized(INVALID),
            AuthFailure::BadCredentials => Self::unauthorized(BAD_CREDENTIALS),
        }
    }
}

impl From<CoreError> for DfError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Unauthenticated(f) => DfError::token(f),
            CoreError::RateLimited { retry_after } => {
                let secs = retry_after_secs(retry_after);
                DfError {
                    retry_after: Some(secs),
                    ..DfError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        format!("Too many requests. Try again in {secs} seconds."),
                    )
                }
            }
            CoreError::Validation(_) => DfError::bad_request("Invalid data supplied."),
            CoreError::NotFound => DfError::new(StatusCode::NOT_FOUND, "Record not found."),
            CoreError::Conflict(Conflict::LastAdmin) => DfError::new(
                StatusCode::CONFLICT,
                "The last active admin cannot be demoted, deactivated or deleted.",
            ),
            CoreError::Conflict(Conflict::AlreadyAccepted) => DfError::bad_request(
                "User with this identifier has already confirmed this account.",
            ),
            CoreError::Conflict(_) => DfError::new(StatusCode::CONFLICT, "Conflict."),
            CoreError::Forbidden(Denied::OwnAccount) => {
                DfError::new(StatusCode::FORBIDDEN, "Cannot delete your account.")
            }
            CoreError::Forbidden(Denied::NotAdmin) => {
                DfError::new(StatusCode::FORBIDDEN, "Access Forbidden.")
            }
            CoreError::Forbidden(Denied::WrongKind | Denied::Scope) => {
                DfError::new(StatusCode::FORBIDDEN, "Not allowed for this kind of user.")
            }
            // DreamFactory's words for a missing mail service; the spec's status (nothing was
            // written, so the request can simply be retried once mail is configured).
            CoreError::MailUnavailable(_) => DfError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Error processing user invite. No email service configured for user invite.",
            ),
            CoreError::MailFailed(cause) => DfError {
                cause: Some(cause),
                ..DfError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Error processing user invite. The invitation email could not be sent.",
                )
            },
            CoreError::CodeExpired => DfError::bad_request("Confirmation code expired."),

            CoreError::Internal(cause) => DfError {
                cause: Some(cause),
                ..DfError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "An internal error occurred.",
                )
            },
        }
    }
}

/// PHP's `htmlentities($s, ENT_COMPAT)` for the characters that matter: `& " < >`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

impl ResponseError for DfError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        ErrorReply {
            retry_after: self.retry_after,
            cause: self.cause.as_deref(),
            ..ErrorReply::new(self.status)
        }
        .json(&ErrorEnvelope { error: self.body() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_escaped_like_php() {
        assert_eq!(
            html_escape(r#"Duplicate entry 'a@b.c' for "x" <y> & z"#),
            "Duplicate entry 'a@b.c' for &quot;x&quot; &lt;y&gt; &amp; z"
        );
    }

    #[test]
    fn internal_causes_stay_out_of_the_body() {
        let e = DfError::from(CoreError::Internal("secret cause".into()));
        let body = actix_web::body::to_bytes(e.error_response().into_body());
        let body = futures_executor(body);
        assert!(!body.contains("secret cause"));
        assert!(body.starts_with(r#"{"error":{"code":500,"context":null,"message":"#));
    }

    fn futures_executor<
        F: std::future::Future<Output = Result<actix_web::web::Bytes, E>>,
        E: std::fmt::Debug,
    >(
        f: F,
    ) -> String {
        let rt = actix_web::rt::System::new();
        let bytes = rt.block_on(f).expect("body");
        String::from_utf8(bytes.to_vec()).expect("utf8")
    }
}
