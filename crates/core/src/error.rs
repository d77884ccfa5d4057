//! The one error type of the core layer, with typed reasons so that each dialect can pick its
//! own status code and wording without deciding anything itself.

use std::time::Duration;

/// Everything a core operation can fail with.
///
/// No storage or HTTP type appears here. `Internal` carries a cause for the log only: dialects
/// answer it with a fixed message and never put the cause in a response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CoreError {
    /// The input broke a rule of the domain types (one entry per offending field).
    #[error("invalid input: {0:?}")]
    Validation(Vec<FieldError>),
    /// No such user (or the user is soft-deleted, which is the same thing to every reader).
    #[error("not found")]
    NotFound,
    /// No such group.
    #[error("group not found")]
    GroupNotFound,
    /// The request is well-formed but contradicts the current state.
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// The caller could not be identified.
    #[error("unauthenticated: {0:?}")]
    Unauthenticated(AuthFailure),
    /// The caller is known but may not do this.
    #[error("forbidden: {0:?}")]
    Forbidden(Denied),
    /// Too many requests from this address or for this account; try again after the delay.
    #[error("rate limited for {retry_after:?}")]
    RateLimited {
        /// How long until a new attempt can succeed.
        retry_after: Duration,
    },
    /// Mail delivery is not configured (invitations, password reset); nothing was written.
    #[error("mail unavailable: {0}")]
    MailUnavailable(String),
    /// Sending a mail failed; what the request wrote for it was undone. The text is for the log
    /// (it never holds a code).
    #[error("mail delivery failed: {0}")]
    MailFailed(String),
    /// A one-time code (invitation, password reset) was right but has expired.
    #[error("code expired")]
    CodeExpired,
    /// A fault of the server or its storage. The text is for the log, never for a response.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// A validation error on one field.
    pub fn invalid(field: &'static str, problem: Problem) -> Self {
        CoreError::Validation(vec![FieldError { field, problem }])
    }
}

/// Why a conflict was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// A user that is not deleted already has this email (compared case-insensitively).
    #[error("a user with this email already exists")]
    DuplicateEmail,
    /// The change would leave no active admin who can log in.
    #[error("the change would leave no active admin who can log in")]
    LastAdmin,
    /// The new password equals the current one.
    #[error("the new password equals the current one")]
    SamePassword,
    /// An invitation was asked for a user who already set a password.
    #[error("the user already set a password")]
    AlreadyAccepted,
    /// A live user already has this login name (compared case-insensitively).
    #[error("a user with this login name already exists")]
    DuplicateLoginName,
    /// A live user already has this external id.
    #[error("a user with this external id already exists")]
    DuplicateExternalId,
    /// A group already has this name (compared case-insensitively).
    #[error("a group with this name already exists")]
    DuplicateGroupName,
    /// The name is a role's: the roles are shown as groups of their names.
    #[error("a group may not take a role's name")]
    ReservedGroupName,
    /// The group still has members.
    #[error("the group has members")]
    GroupHasMembers,
    /// An inactive group takes no new members.
    #[error("the group is inactive")]
    InactiveGroup,
}

/// Why a caller is not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// No credential was presented.
    Missing,
    /// The credential is malformed, forged, for another audience, or from the future.
    Invalid,
    /// The credential was valid but has expired.
    Expired,
    /// The credential was valid but its user changed since (deactivated, deleted, new role or
    /// password) or it was revoked on its own.
    Revoked,
    /// Unknown user, wrong password, or a user who may not log in: deliberately one answer.
    BadCredentials,
}

/// Why an authenticated caller is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// Only an active admin may do this.
    NotAdmin,
    /// The credential was not granted the scope this needs.
    Scope,
    /// No one deletes their own account through a management API.
    OwnAccount,
    /// The user is not of the kind the endpoint manages (DreamFactory's `/system/user` and
    /// `/system/admin`).
    WrongKind,
}

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The core name of the field (`email`, `password`, `role`, `status`, `name`, `limit` ...).
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: Problem,
}

/// What is wrong with a field. Never carries the rejected value (it may be a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Missing or empty.
    Required,
    /// Not a valid email address.
    NotAnEmail,
    /// Shorter than `min` characters.
    TooShort {
        /// The minimum length in characters.
        min: usize,
    },
    /// Longer than `max` (bytes for passwords, characters elsewhere).
    TooLong {
        /// The maximum length.
        max: usize,
    },
    /// Not one of the accepted values.
    NotAllowed {
        /// The accepted values, as the dialect names them.
        allowed: Vec<String>,
    },
    /// A number outside `min..=max`.
    OutOfRange {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// Not the expected type or format.
    Malformed,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Required => f.write_str("required"),
            Problem::NotAnEmail => f.write_str("not a valid email address"),
            Problem::TooShort { min } => write!(f, "shorter than {min} characters"),
            Problem::TooLong { max } => write!(f, "longer than {max}"),
            Problem::NotAllowed { allowed } => write!(f, "not one of: {}", allowed.join(", ")),
            Problem::OutOfRange { min, max } => write!(f, "not between {min} and {max}"),
            Problem::Malformed => f.write_str("malformed"),
        }
    }
}

/// The result type of core operations.
pub type CoreResult<T> = Result<T, CoreError>;
