//! Domain types that cannot hold invalid values: ids, emails, passwords, roles and statuses.

use std::fmt;
use std::str::FromStr;

use validator::ValidateEmail;

use crate::error::{CoreError, FieldError, Problem};

/// A user's id, assigned by the store and never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(i64);

impl UserId {
    /// Wraps an id read from the store or from a verified token.
    pub const fn new(id: i64) -> Self {
        UserId(id)
    }

    /// The number behind the id.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The longest address accepted (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;

/// A syntactically valid email address, trimmed, kept as the client wrote it, with the
/// lower-cased form that carries uniqueness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    original: String,
    normalized: String,
}

impl Email {
    /// Parses an address; the error names the field `email`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field(raw, "email")
    }

    /// Parses an address for a field of another name (such as `alternate_email`).
    pub fn parse_field(raw: &str, field: &'static str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let problem = if trimmed.is_empty() {
            Some(Problem::Required)
        } else if trimmed.len() > EMAIL_MAX_LEN {
            Some(Problem::TooLong { max: EMAIL_MAX_LEN })
        } else if !trimmed.validate_email() {
            Some(Problem::NotAnEmail)
        } else {
            None
        };
        match problem {
            Some(problem) => Err(FieldError { field, problem }),
            None => Ok(Email {
                original: trimmed.to_owned(),
                normalized: normalize_email(trimmed),
            }),
        }
    }

    /// The address as the client wrote it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The lower-cased address used for uniqueness and lookup.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// The part before the last `@`.
    pub fn local_part(&self) -> &str {
        self.original
            .rsplit_once('@')
            .map_or(self.original.as_str(), |(local, _)| local)
    }

    /// Rebuilds an address the store read back (already validated when written).
    pub fn from_trusted(original: String, normalized: String) -> Self {
        Email {
            original,
            normalized,
        }
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// The form used for case-insensitive comparison: trimmed and Unicode-lower-cased in Rust, so
/// both backends compare the same bytes (SQLite's `lower()` only folds ASCII).
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// The longest login name and external id accepted, in characters.
pub const NAME_MAX_LEN: usize = 255;

/// A login name that is not an address (SCIM `userName`): trimmed, 1-255 characters, with the
/// lower-cased form that carries uniqueness among live users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginName {
    original: String,
    normalized: String,
}

impl LoginName {
    /// Parses a login name; the error names the field `login_name`. An address is refused: it
    /// is the user's email, and one string never names two users.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let problem = if trimmed.is_empty() {
            Some(Problem::Required)
        } else if trimmed.chars().count() > NAME_MAX_LEN {
            Some(Problem::TooLong { max: NAME_MAX_LEN })
        } else if trimmed.contains('\0') || trimmed.validate_email() {
            Some(Problem::Malformed)
        } else {
            None
        };
        match problem {
            Some(problem) => Err(FieldError {
                field: "login_name",
                problem,
            }),
            None => Ok(LoginName {
                original: trimmed.to_owned(),
                normalized: trimmed.to_lowercase(),
            }),
        }
    }

    /// The name as the client wrote it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The lower-cased name used for uniqueness and lookup.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// Rebuilds a name the store read back (already validated when written).
    pub fn from_trusted(original: String, normalized: String) -> Self {
        LoginName {
            original,
            normalized,
        }
    }
}

/// The id an identity provider knows a user or a group by: kept exactly as sent (compared
/// case-exactly), 1-255 characters.
pub fn external_id(raw: &str) -> Result<String, FieldError> {
    let problem = if raw.is_empty() {
        Some(Problem::Required)
    } else if raw.chars().count() > NAME_MAX_LEN {
        Some(Problem::TooLong { max: NAME_MAX_LEN })
    } else if raw.contains('\0') {
        Some(Problem::Malformed)
    } else {
        None
    };
    match problem {
        Some(problem) => Err(FieldError {
            field: "external_id",
            problem,
        }),
        None => Ok(raw.to_owned()),
    }
}

/// The dialect an API key is for: kept as its scope (`scim`); a key with no dialect scope
/// (every key made before keys had one) is the generic dialect's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyDialect {
    /// The generic `/v1/users` dialect.
    Generic,
    /// SCIM 2.0 at `/scim/v2`.
    Scim,
}

impl KeyDialect {
    /// Every dialect, by name.
    pub const ALL: [KeyDialect; 2] = [KeyDialect::Generic, KeyDialect::Scim];

    /// The name (`generic`, `scim`), which is also the key's scope.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyDialect::Generic => "generic",
            KeyDialect::Scim => "scim",
        }
    }

    /// The dialect of a key with these scopes.
    pub fn of(scopes: &[String]) -> KeyDialect {
        if scopes.iter().any(|s| s == KeyDialect::Scim.as_str()) {
            KeyDialect::Scim
        } else {
            KeyDialect::Generic
        }
    }
}

/// The roles, from most to least power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages users.
    Admin,
    /// Domo's Privileged.
    Privileged,
    /// Domo's Editor.
    Editor,
    /// The ordinary user.
    User,
    /// Read-only (Domo's Social, generic `viewer`).
    Viewer,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Privileged,
        Role::Editor,
        Role::User,
        Role::Viewer,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Privileged => "privileged",
            Role::Editor => "editor",
            Role::User => "user",
            Role::Viewer => "viewer",
        }
    }
}

impl FromStr for Role {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| CoreError::Internal(format!("unknown stored role {s:?}")))
    }
}

/// Whether a user may authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// May log in and use credentials.
    Active,
    /// Switched off by an admin.
    Inactive,
    /// Switched off, as a sanction (same effect as inactive).
    Suspended,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 3] = [Status::Active, Status::Inactive, Status::Suspended];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
            Status::Suspended => "suspended",
        }
    }
}

impl FromStr for Status {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| CoreError::Internal(format!("unknown stored status {s:?}")))
    }
}

/// A value a dialect writes that stands for a class of core values (generic `user`, email-keyed
/// `User`, `Inactive`): it sets exactly `value`, unless the current value already belongs to
/// `class` (what the dialect reads back as this same word), in which case nothing changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coarse<T: 'static> {
    /// What is written when the current value is outside the class.
    pub value: T,
    /// The core values the dialect reads as this same word.
    pub class: &'static [T],
}

impl<T: Copy + PartialEq> Coarse<T> {
    /// An exact value (a class of one).
    pub const fn exact(value: T, class: &'static [T]) -> Self {
        Coarse { value, class }
    }

    /// The value the user ends up with, given the current one.
    pub fn resolve(&self, current: T) -> T {
        if self.class.contains(&current) {
            current
        } else {
            self.value
        }
    }
}

/// The longest password accepted, in bytes (argon2 is fine with more; this bounds the work).
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// A password that meets the policy it was checked against. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The password policy: at least `min_chars` Unicode scalar values, at most 1024 bytes.
#[derive(Debug, Clone, Copy)]
pub struct PasswordPolicy {
    min_chars: usize,
}

impl PasswordPolicy {
    /// The default minimum length.
    pub const DEFAULT_MIN_CHARS: usize = 10;

    /// A policy with this minimum (at least 1).
    pub fn new(min_chars: usize) -> Self {
        PasswordPolicy {
            min_chars: min_chars.max(1),
        }
    }

    /// The minimum length in characters.
    pub fn min_chars(&self) -> usize {
        self.min_chars
    }

    /// Checks a candidate for the field `field`.
    pub fn check(&self, field: &'static str, candidate: &str) -> Result<Password, FieldError> {
        let problem = if candidate.is_empty() {
            Some(Problem::Required)
        } else if candidate.len() > PASSWORD_MAX_BYTES {
            Some(Problem::TooLong {
                max: PASSWORD_MAX_BYTES,
            })
        } else if candidate.chars().count() < self.min_chars {
            Some(Problem::TooShort {
                min: self.min_chars,
            })
        } else {
            None
        };
        match problem {
            Some(problem) => Err(FieldError { field, problem }),
            None => Ok(Password(candidate.to_owned())),
        }
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy::new(Self::DEFAULT_MIN_CHARS)
    }
}

/// `now + ttl`, saturating (a configured lifetime cannot overflow the calendar).
pub(crate) fn expiry(
    now: chrono::NaiveDateTime,
    ttl: std::time::Duration,
) -> chrono::NaiveDateTime {
    chrono::TimeDelta::from_std(ttl)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(chrono::NaiveDateTime::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_kept_and_normalised() {
        let e = Email::parse("  Tomo.Smith@Example.COM ").expect("valid");
        assert_eq!(e.as_str(), "Tomo.Smith@Example.COM");
        assert_eq!(e.normalized(), "tomo.smith@example.com");
        assert_eq!(e.local_part(), "Tomo.Smith");
    }

    #[test]
    fn email_normalisation_folds_non_ascii() {
        // HTML5 syntax (validator): ASCII local part, internationalised domain.
        let e = Email::parse("Elodie@BÜCHER.example").expect("valid");
        assert_eq!(e.normalized(), "elodie@bücher.example");
    }

    #[test]
    fn bad_emails_are_refused_with_a_reason() {
        for (raw, problem) in [
            ("", Problem::Required),
            ("   ", Problem::Required),
            ("not-an-email", Problem::NotAnEmail),
            ("a@", Problem::NotAnEmail),
            ("@b.com", Problem::NotAnEmail),
        ] {
            let err = Email::parse(raw).expect_err(raw);
            assert_eq!(err.problem, problem, "{raw}");
            assert_eq!(err.field, "email");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            Email::parse(&long).expect_err("long").problem,
            Problem::TooLong { max: 254 }
        );
    }

    #[test]
    fn password_policy_counts_scalar_values_and_caps_bytes() {
        let p = PasswordPolicy::default();
        assert!(p.check("password", "123456789").is_err());
        assert!(p.check("password", "1234567890").is_ok());
        // Ten scalar values, more than ten bytes.
        assert!(p.check("password", "ééééééééé").is_err());
        assert!(p.check("password", "éééééééééé").is_ok());
        let long = "x".repeat(PASSWORD_MAX_BYTES + 1);
        assert_eq!(
            p.check("password", &long).expect_err("long").problem,
            Problem::TooLong { max: 1024 }
        );
        assert_eq!(
            p.check("password", "").expect_err("empty").problem,
            Problem::Required
        );
        assert!(
            PasswordPolicy::new(12)
                .check("password", "12345678901")
                .is_err()
        );
    }

    #[test]
    fn password_debug_is_redacted() {
        let p = PasswordPolicy::default()
            .check("password", "correct horse battery")
            .expect("ok");
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn coarse_values_keep_members_of_their_class() {
        const NON_ADMIN: &[Role] = &[Role::Privileged, Role::Editor, Role::User, Role::Viewer];
        let user = Coarse {
            value: Role::User,
            class: NON_ADMIN,
        };
        assert_eq!(user.resolve(Role::Editor), Role::Editor);
        assert_eq!(user.resolve(Role::Admin), Role::User);
        let admin = Coarse::exact(Role::Admin, &[Role::Admin]);
        assert_eq!(admin.resolve(Role::Viewer), Role::Admin);
    }

    #[test]
    fn roles_and_statuses_round_trip_their_stored_names() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().expect("role"), r);
        }
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().expect("status"), s);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
