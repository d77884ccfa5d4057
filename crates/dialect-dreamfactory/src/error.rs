//! DreamFactory's error envelope: `{"error":{"code","context","message","status_code"}}`, keys
//! in that order, the message HTML-escaped as DreamFactory's PHP does (`htmlentities`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Map, Value, json};
use usergate_core::throttle::retry_after_secs;
use usergate_core::{AuthFailure, Conflict, CoreError, Denied, FieldError, Problem};
use usergate_web::{BodyError, Envelope, ErrorReply, Oversized};
use utoipa::ToSchema;

use crate::convert::Kind;

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

    /// The inner error object as a batch entry carries it; its cause, if any, is logged here,
    /// once (a batch entry is never rendered as a response of its own).
    pub fn entry(&self) -> serde_json::Value {
        if let Some(cause) = &self.cause {
            tracing::error!(%cause, status = self.status.as_u16(), "a record failed");
        }
        serde_json::to_value(self.body()).unwrap_or(serde_json::Value::Null)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message, as written (not yet escaped).
    pub fn message(&self) -> &str {
        &self.message
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
            CoreError::NotFound | CoreError::GroupNotFound => {
                DfError::new(StatusCode::NOT_FOUND, "Record not found.")
            }
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

/// Core's refusal of a caller who is not an admin, in DreamFactory's words for `verb` on the
/// endpoint's component; any other error as usual.
pub fn denied(kind: Kind, verb: &str, e: CoreError) -> DfError {
    denied_component(kind.component(), verb, e)
}

/// [`denied`] for a component by name (the admin app's listings).
pub fn denied_component(component: &str, verb: &str, e: CoreError) -> DfError {
    match e {
        CoreError::Forbidden(Denied::NotAdmin) => DfError::new(
            StatusCode::FORBIDDEN,
            format!(
                "Access Forbidden. {verb} access to component '{component}' of service 'system' is not allowed by this user's role."
            ),
        ),
        other => other.into(),
    }
}

/// `Record with identifier '<id>' not found.`
pub fn not_found(id: impl std::fmt::Display) -> DfError {
    DfError::new(
        StatusCode::NOT_FOUND,
        format!("Record with identifier '{id}' not found."),
    )
}

/// Laravel's words for a field problem.
fn laravel(e: &FieldError) -> String {
    let f = e.field;
    match &e.problem {
        Problem::Required => format!("The {f} field is required."),
        Problem::NotAnEmail => format!("The {f} field must be a valid email address."),
        Problem::TooShort { min } => format!("The {f} field must be at least {min} characters."),
        Problem::TooLong { max } => {
            format!("The {f} field must not be greater than {max} characters.")
        }
        _ => format!("The {f} field is invalid."),
    }
}

/// What a failed record says, in DreamFactory's words (`op`: `create`, `change` or `delete`;
/// `email`: what the record asked for, quoted by a duplicate's message).
pub fn record_error(kind: Kind, op: &str, e: CoreError, email: Option<&str>) -> DfError {
    match e {
        CoreError::Validation(fields) => {
            let messages: Vec<String> = fields.iter().map(laravel).collect();
            let mut context = Map::new();
            for (f, m) in fields.iter().zip(&messages) {
                if let Some(list) = context
                    .entry(f.field)
                    .or_insert_with(|| Value::Array(vec![]))
                    .as_array_mut()
                {
                    list.push(Value::from(m.clone()));
                }
            }
            DfError::bad_request(format!("Invalid data supplied. {}", messages.join(" ")))
                .with_context(Value::Object(context))
        }
        CoreError::Conflict(Conflict::DuplicateEmail) => DfError::new(
            StatusCode::CONFLICT,
            format!(
                "Duplicate entry '{}' for key 'user_email_unique'",
                email.unwrap_or_default()
            ),
        ),
        CoreError::Forbidden(Denied::WrongKind) => match kind {
            Kind::User => DfError::new(
                StatusCode::FORBIDDEN,
                format!("Not allowed to {op} an admin user."),
            ),
            Kind::Admin => DfError::bad_request(format!(
                "Cannot {} a non-admin user.",
                if op == "change" { "update" } else { op }
            )),
        },
        other => other.into(),
    }
}

/// DreamFactory's batch error: one entry per record processed (its result, or its error
/// object), the indexes of the failed ones, and `message` for the whole.
pub fn batch_error(
    status: StatusCode,
    message: &str,
    failed: Vec<usize>,
    resource: Vec<Value>,
) -> HttpResponse {
    HttpResponse::build(status).json(ErrorEnvelope {
        error: ErrorBody {
            code: 1000,
            context: Some(json!({"error": failed, "resource": resource})),
            message: html_escape(message),
            status_code: status.as_u16(),
        },
    })
}

impl Envelope for DfError {
    fn oversized(o: Oversized) -> Self {
        DfError::new(o.status(), format!("{}.", o.sentence()))
    }

    /// Where the body went wrong, never what it held.
    fn unreadable_body(e: BodyError) -> Self {
        let (line, column) = match e {
            BodyError::Malformed { line, column } | BodyError::WrongType { line, column, .. } => {
                (line, column)
            }
            BodyError::Empty => (1, 0),
            BodyError::TooLarge | BodyError::ContentType | BodyError::Unreadable => {
                return DfError::bad_request(
                    "Invalid data supplied. The request body could not be read.",
                );
            }
        };
        DfError::bad_request(format!(
            "Invalid data supplied. The request body is not valid JSON (line {line}, column {column})."
        ))
    }

    fn unreadable_query() -> Self {
        DfError::bad_request("Invalid data supplied. The query string could not be read.")
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
