//! Domo's error JSON: `{"status","statusReason","message","path","toe"}`, and the OAuth
//! token endpoint's `{"error","error_description"}`.
//!
//! A [`DomoError`] renders its status and message; [`envelope`] (a middleware on the dialect's
//! scope) completes the body with the path as requested and the request id (`toe`), which an
//! error alone does not know.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use usergate_core::{AuthFailure, Conflict, CoreError, Denied, FieldError, Problem};
use usergate_web::{BodyError, Envelope, ErrorReply, Oversized, RequestId};
use utoipa::ToSchema;

/// The error body of the Users API.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The HTTP status.
    #[schema(example = 404)]
    pub status: u16,
    /// Its reason phrase.
    #[schema(example = "Not Found")]
    pub status_reason: String,
    /// What went wrong.
    #[schema(example = "User not found")]
    pub message: String,
    /// The path as requested.
    #[schema(example = "/domo/v1/users/42")]
    pub path: String,
    /// The request id (also in `X-Request-Id`).
    pub toe: String,
}

/// An error of the Users API.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {message}")]
pub struct DomoError {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
    /// For the log only.
    cause: Option<String>,
}

/// Marks a response as a Users API error, for [`envelope`].
#[derive(Debug, Clone)]
struct Failure {
    message: String,
}

impl DomoError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        DomoError {
            status,
            message: message.into(),
            retry_after: None,
            cause: None,
        }
    }

    /// 400 with this message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 `User not found`.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "User not found")
    }

    /// 401 for a missing or unusable token.
    pub fn unauthorized(failure: AuthFailure) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            match failure {
                AuthFailure::Missing => "Full authentication is required to access this resource",
                AuthFailure::Expired => "The access token has expired",
                _ => "The access token is invalid",
            },
        )
    }
}

fn field_name(field: &str) -> String {
    // Core names some fields in snake case; Domo's are camelCase.
    let mut out = String::new();
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn field_message(e: &FieldError) -> String {
    let f = field_name(e.field);
    match &e.problem {
        Problem::Required => format!("{f} is required"),
        Problem::NotAnEmail => format!("{f} is not a valid email address"),
        Problem::NotAllowed { allowed } => format!("{f} must be one of {}", allowed.join(", ")),
        Problem::OutOfRange { min, max } => format!("{f} must be between {min} and {max}"),
        Problem::TooShort { min } => format!("{f} must be at least {min} characters"),
        Problem::TooLong { max } => format!("{f} must be at most {max} characters"),
        Problem::Malformed => format!("{f} has the wrong type or format"),
    }
}

impl From<CoreError> for DomoError {
    fn from(e: CoreError) -> Self {
        let status = |s, m: &str| DomoError::new(s, m);
        match e {
            CoreError::Validation(fields) => DomoError::bad_request(
                fields
                    .iter()
                    .map(field_message)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            CoreError::NotFound => DomoError::not_found(),
            CoreError::GroupNotFound => status(StatusCode::NOT_FOUND, "Group not found"),
            CoreError::Conflict(Conflict::DuplicateEmail) => status(
                StatusCode::CONFLICT,
                "A user with this email already exists",
            ),
            CoreError::Conflict(Conflict::LastAdmin) => status(
                StatusCode::CONFLICT,
                "The last active admin cannot be demoted, deactivated or deleted",
            ),
            CoreError::Conflict(Conflict::DuplicateGroupName) => status(
                StatusCode::CONFLICT,
                "A group with this name already exists",
            ),
            CoreError::Conflict(Conflict::ReservedGroupName) => status(
                StatusCode::CONFLICT,
                "A group may not take a role's name (admin, privileged, editor, user, viewer)",
            ),
            CoreError::Conflict(Conflict::GroupHasMembers) => {
                status(StatusCode::CONFLICT, "Group has members")
            }
            CoreError::Conflict(Conflict::InactiveGroup) => {
                status(StatusCode::CONFLICT, "Group is inactive")
            }
            CoreError::Conflict(_) => status(StatusCode::CONFLICT, "Conflict"),
            CoreError::Unauthenticated(f) => DomoError::unauthorized(f),
            CoreError::Forbidden(Denied::NotAdmin) => {
                status(StatusCode::FORBIDDEN, "Only admins can manage users")
            }
            CoreError::Forbidden(Denied::OwnAccount) => {
                status(StatusCode::FORBIDDEN, "You cannot delete your own account")
            }
            CoreError::Forbidden(Denied::Scope) => status(
                StatusCode::FORBIDDEN,
                "Forbidden: the access token is missing the user scope",
            ),
            CoreError::Forbidden(Denied::WrongKind) => status(StatusCode::FORBIDDEN, "Forbidden"),
            CoreError::RateLimited { retry_after } => {
                let secs = retry_after.as_secs().max(1);
                DomoError {
                    retry_after: Some(secs),
                    ..status(
                        StatusCode::TOO_MANY_REQUESTS,
                        &format!("Too many requests. Try again in {secs} seconds."),
                    )
                }
            }
            CoreError::MailUnavailable(_) => status(
                StatusCode::SERVICE_UNAVAILABLE,
                "Invitations need a mail server and none is configured; nothing was created",
            ),
            CoreError::MailFailed(cause) => DomoError {
                cause: Some(cause),
                ..status(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The invitation email could not be sent; nothing was created",
                )
            },
            CoreError::CodeExpired => status(StatusCode::BAD_REQUEST, "The code has expired"),
            CoreError::Internal(cause) => DomoError {
                cause: Some(cause),
                ..status(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "An internal error occurred",
                )
            },
        }
    }
}

impl ResponseError for DomoError {
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
        .json(&body(self.status, &self.message, "", ""));
        res.extensions_mut().insert(Failure {
            message: self.message.clone(),
        });
        res
    }
}

fn body(status: StatusCode, message: &str, path: &str, toe: &str) -> ErrorBody {
    ErrorBody {
        status: status.as_u16(),
        status_reason: status.canonical_reason().unwrap_or("Error").to_owned(),
        message: message.to_owned(),
        path: path.to_owned(),
        toe: toe.to_owned(),
    }
}

impl Envelope for DomoError {
    fn oversized(o: Oversized) -> Self {
        DomoError::new(o.status(), o.sentence())
    }

    /// A body that is not a JSON object, in Domo's words; otherwise where the JSON went wrong,
    /// never what it held.
    fn unreadable_body(e: BodyError) -> Self {
        if e.is_wrong_shape() {
            return DomoError::bad_request("The body must be a JSON object");
        }
        DomoError::bad_request(e.sentence().unwrap_or_default())
    }

    fn unreadable_query() -> Self {
        DomoError::bad_request("The query string could not be read")
    }
}

/// Completes every Users API error with the path as requested and the request id.
pub async fn envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(failure) = res.response().extensions().get::<Failure>().cloned() else {
        return Ok(res.map_into_left_body());
    };
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(old.status());
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.append_header((name.clone(), value.clone()));
        }
    }
    let full = body(
        old.status(),
        &failure.message,
        req.path(),
        &RequestId::of(&req),
    );
    Ok(ServiceResponse::new(req, new.json(full)).map_into_right_body())
}

/// The token endpoint's OAuth error body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// `unauthorized`, `invalid_request`, `unsupported_grant_type`, `invalid_scope` ...
    #[schema(example = "unauthorized")]
    pub error: String,
    /// For people.
    #[schema(example = "Bad credentials")]
    pub error_description: String,
}

/// An error of the token endpoint.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {error}")]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    retry_after: Option<u64>,
    cause: Option<String>,
}

impl OAuthError {
    /// An error with this status, OAuth code and description.
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            retry_after: None,
            cause: None,
        }
    }
}

impl From<CoreError> for OAuthError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Unauthenticated(_) => {
                OAuthError::new(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials")
            }
            CoreError::Forbidden(Denied::Scope) => OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The client was not granted every scope asked for",
            ),
            CoreError::RateLimited { retry_after } => {
                let secs = retry_after.as_secs().max(1);
                OAuthError {
                    retry_after: Some(secs),
                    ..OAuthError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "too_many_requests",
                        format!("Too many failed attempts. Try again in {secs} seconds."),
                    )
                }
            }
            other => OAuthError {
                cause: Some(other.to_string()),
                ..OAuthError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "An internal error occurred",
                )
            },
        }
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = ErrorReply {
            status: self.status,
            retry_after: self.retry_after,
            www_authenticate: (self.status == StatusCode::UNAUTHORIZED)
                .then_some("Basic realm=\"usergate\""),
            cause: self.cause.as_deref(),
        }
        .json(&OAuthErrorBody {
            error: self.error.to_owned(),
            error_description: self.description.clone(),
        });
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        res
    }
}
