//! SCIM's error envelope for every refusal: `{"schemas":[Error URN],"status":"404",
//! "scimType"?,"detail"}` (`status` a string), as `application/scim+json`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use usergate_core::{AuthFailure, Conflict, CoreError, Denied, FieldError, Problem};
use usergate_web::{BodyError, Envelope, ErrorReply, Oversized};
use utoipa::ToSchema;

/// The error message's schema.
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The media type of every answer.
pub const SCIM_JSON: &str = "application/scim+json";

/// The error body.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Always the Error URN.
    pub schemas: [&'static str; 1],
    /// The HTTP status, as a string.
    #[schema(example = "404")]
    pub status: String,
    /// RFC 7644's error keyword, for 400 and 409.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "invalidValue")]
    pub scim_type: Option<&'static str>,
    /// For people.
    #[schema(example = "Resource 42 not found")]
    pub detail: String,
}

/// An error of this dialect.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {detail}")]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
    retry_after: Option<u64>,
    cause: Option<String>,
    allow: Option<&'static str>,
}

impl ScimError {
    /// An error with this status and text.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type: None,
            detail: detail.into(),
            retry_after: None,
            cause: None,
            allow: None,
        }
    }

    /// 405, naming the methods the resource takes.
    pub fn not_allowed(allow: &'static str) -> Self {
        ScimError {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("This endpoint takes {allow} only"),
            )
        }
    }

    /// 400 with a `scimType`.
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        ScimError {
            scim_type: Some(scim_type),
            ..Self::new(StatusCode::BAD_REQUEST, detail)
        }
    }

    /// 400 `invalidValue`.
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::bad("invalidValue", detail)
    }

    /// 400 `invalidFilter`.
    pub fn filter(detail: impl Into<String>) -> Self {
        Self::bad("invalidFilter", detail)
    }

    /// 400 `invalidPath`.
    pub fn path(detail: impl Into<String>) -> Self {
        Self::bad("invalidPath", detail)
    }

    /// 400 `mutability`.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad("mutability", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 409 `uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        ScimError {
            scim_type: Some("uniqueness"),
            ..Self::new(StatusCode::CONFLICT, detail)
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Whether this is a filter's refusal (`invalidFilter`).
    pub fn is_filter(&self) -> bool {
        self.scim_type == Some("invalidFilter")
    }
}

fn field_message(e: &FieldError) -> String {
    let f = e.field;
    match &e.problem {
        Problem::Required => format!("{f} is required"),
        Problem::NotAnEmail => format!("{f} is not a valid email address"),
        Problem::TooShort { min } => format!("{f} must be at least {min} characters"),
        Problem::TooLong { max } if f == "password" => format!("{f} must be at most {max} bytes"),
        Problem::TooLong { max } if f == "members" => {
            format!("at most {max} members may change in one request")
        }
        Problem::TooLong { max } => format!("{f} must be at most {max} characters"),
        Problem::NotAllowed { allowed } => format!("{f} must be one of {}", allowed.join(", ")),
        Problem::OutOfRange { min, max } => format!("{f} must be between {min} and {max}"),
        Problem::Malformed => format!("{f} has the wrong type or format"),
    }
}

impl From<CoreError> for ScimError {
    fn from(e: CoreError) -> Self {
        use StatusCode as S;
        match e {
            CoreError::Validation(fields) => {
                let too_many = fields.iter().any(|f| f.field == "members");
                let detail = fields
                    .iter()
                    .map(field_message)
                    .collect::<Vec<_>>()
                    .join("; ");
                if too_many {
                    ScimError::bad("tooMany", detail)
                } else {
                    ScimError::invalid(detail)
                }
            }
            CoreError::NotFound => ScimError::not_found("User not found"),
            CoreError::GroupNotFound => ScimError::not_found("Group not found"),
            CoreError::Conflict(
                c @ (Conflict::DuplicateEmail
                | Conflict::DuplicateLoginName
                | Conflict::DuplicateExternalId
                | Conflict::DuplicateGroupName
                | Conflict::ReservedGroupName),
            ) => ScimError::uniqueness(capital(&c.to_string())),
            CoreError::Conflict(c) => ScimError::new(S::CONFLICT, capital(&c.to_string())),
            CoreError::Unauthenticated(AuthFailure::Missing) => ScimError::new(
                S::UNAUTHORIZED,
                "A bearer token is required: send Authorization: Bearer <API key>",
            ),
            CoreError::Unauthenticated(_) => ScimError::new(
                S::UNAUTHORIZED,
                "The token is invalid, expired, revoked or for another API",
            ),
            CoreError::Forbidden(Denied::OwnAccount) => {
                ScimError::new(S::FORBIDDEN, "You cannot delete your own account")
            }
            CoreError::Forbidden(_) => {
                ScimError::new(S::FORBIDDEN, "Only an active admin's key can provision")
            }
            CoreError::RateLimited { retry_after } => {
                let secs = retry_after.as_secs().max(1);
                ScimError {
                    retry_after: Some(secs),
                    ..ScimError::new(
                        S::TOO_MANY_REQUESTS,
                        format!("Too many requests. Try again in {secs} seconds."),
                    )
                }
            }
            CoreError::CodeExpired => ScimError::invalid("The code has expired"),
            CoreError::MailUnavailable(_) => {
                ScimError::new(S::SERVICE_UNAVAILABLE, "No mail server is configured")
            }
            CoreError::MailFailed(cause) | CoreError::Internal(cause) => ScimError {
                cause: Some(cause),
                ..ScimError::new(S::INTERNAL_SERVER_ERROR, "An internal error occurred")
            },
        }
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = ErrorReply {
            status: self.status,
            retry_after: self.retry_after,
            www_authenticate: (self.status == StatusCode::UNAUTHORIZED).then_some("Bearer"),
            cause: self.cause.as_deref(),
        }
        .json(&ErrorBody {
            schemas: [ERROR_URN],
            status: self.status.as_u16().to_string(),
            scim_type: self.scim_type,
            detail: self.detail.clone(),
        });
        let headers = res.headers_mut();
        headers.insert(
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::HeaderValue::from_static(SCIM_JSON),
        );
        if let Some(allow) = self.allow {
            headers.insert(
                actix_web::http::header::ALLOW,
                actix_web::http::header::HeaderValue::from_static(allow),
            );
        }
        res
    }
}

impl Envelope for ScimError {
    fn oversized(o: Oversized) -> Self {
        ScimError::new(o.status(), o.sentence())
    }

    fn unreadable_body(e: BodyError) -> Self {
        let detail = e
            .sentence()
            .unwrap_or_else(|| "The body is not a JSON object".into());
        ScimError::bad("invalidSyntax", detail)
    }

    fn unreadable_query() -> Self {
        ScimError::bad("invalidValue", "The query string could not be read")
    }
}
