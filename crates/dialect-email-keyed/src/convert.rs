//! Wire values to core commands and back. The lossy mappings of this dialect live here:
//! `User` stands for every role but admin, `Inactive` for inactive and suspended.

use chrono::NaiveDateTime;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use usergate_core::{Coarse, CoreError, Email, FieldError, Page, Problem, Role, Status, User};

use crate::wire::{ListQuery, UserResponse, UserStatus, UserType};

/// The core roles this dialect reads as `User`.
const NON_ADMIN: &[Role] = &[Role::Privileged, Role::Editor, Role::User, Role::Viewer];
/// The core statuses this dialect reads as `Inactive`.
const NOT_ACTIVE: &[Status] = &[Status::Inactive, Status::Suspended];

/// Characters escaped in a path segment (besides non-ASCII, always escaped).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The list limits of this dialect.
pub const LIMIT_DEFAULT: u32 = 50;
/// The largest page.
pub const LIMIT_MAX: u32 = 500;

impl From<&User> for UserResponse {
    fn from(u: &User) -> Self {
        UserResponse {
            email: u.email.as_str().to_owned(),
            user_type: if u.role == Role::Admin {
                UserType::Admin
            } else {
                UserType::User
            },
            status: if u.status == Status::Active {
                UserStatus::Active
            } else {
                UserStatus::Inactive
            },
            created_at: timestamp(u.created_at),
            updated_at: timestamp(u.updated_at),
        }
    }
}

/// ISO 8601 UTC with `Z`, to the second.
pub fn timestamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `Location` of a user: `/api/users/{email}`, the address percent-encoded as a path segment.
pub fn location(email: &Email) -> String {
    format!(
        "/api/users/{}",
        utf8_percent_encode(email.as_str(), SEGMENT)
    )
}

/// `User` / `Admin`, any case. `User` keeps a non-admin's finer role.
pub fn role_change(raw: &str) -> Result<Coarse<Role>, FieldError> {
    if raw.eq_ignore_ascii_case("admin") {
        Ok(Coarse::exact(Role::Admin, &[Role::Admin]))
    } else if raw.eq_ignore_ascii_case("user") {
        Ok(Coarse {
            value: Role::User,
            class: NON_ADMIN,
        })
    } else {
        Err(not_allowed("type", &["User", "Admin"]))
    }
}

/// `Active` / `Inactive`, any case. `Inactive` keeps a suspended user suspended.
pub fn status_change(raw: &str) -> Result<Coarse<Status>, FieldError> {
    if raw.eq_ignore_ascii_case("active") {
        Ok(Coarse::exact(Status::Active, &[Status::Active]))
    } else if raw.eq_ignore_ascii_case("inactive") {
        Ok(Coarse {
            value: Status::Inactive,
            class: NOT_ACTIVE,
        })
    } else {
        Err(not_allowed("status", &["Active", "Inactive"]))
    }
}

fn not_allowed(field: &'static str, allowed: &[&str]) -> FieldError {
    FieldError {
        field,
        problem: Problem::NotAllowed {
            allowed: allowed.iter().map(|s| (*s).to_owned()).collect(),
        },
    }
}

/// A present, non-empty string field.
pub fn required<'v>(field: &'static str, value: Option<&'v str>) -> Result<&'v str, FieldError> {
    value.filter(|v| !v.is_empty()).ok_or(FieldError {
        field,
        problem: Problem::Required,
    })
}

/// `limit` (1..=500, default 50) and `offset` (0.., default 0).
pub fn page(q: &ListQuery) -> Result<Page, CoreError> {
    let mut errors = Vec::new();
    let limit = match q.limit.as_deref().map(str::parse::<i64>) {
        None => LIMIT_DEFAULT,
        Some(Ok(n)) if (1..=i64::from(LIMIT_MAX)).contains(&n) => n as u32,
        Some(_) => {
            errors.push(FieldError {
                field: "limit",
                problem: Problem::OutOfRange {
                    min: 1,
                    max: i64::from(LIMIT_MAX),
                },
            });
            0
        }
    };
    let offset = match q.offset.as_deref().map(str::parse::<u64>) {
        None => 0,
        Some(Ok(n)) if i64::try_from(n).is_ok() => n,
        Some(_) => {
            errors.push(FieldError {
                field: "offset",
                problem: Problem::OutOfRange {
                    min: 0,
                    max: i64::MAX,
                },
            });
            0
        }
    };
    if errors.is_empty() {
        Ok(Page { limit, offset })
    } else {
        Err(CoreError::Validation(errors))
    }
}

/// Both values, or one validation error naming every field that failed.
pub fn both<A, B>(a: Result<A, FieldError>, b: Result<B, FieldError>) -> Result<(A, B), CoreError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(CoreError::Validation(
            a.err().into_iter().chain(b.err()).collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_escape_what_a_path_segment_cannot_hold() {
        let e = Email::parse("a+b/c?d@example.com").expect("email");
        assert_eq!(location(&e), "/api/users/a+b%2Fc%3Fd@example.com");
    }

    #[test]
    fn types_and_statuses_are_case_insensitive_and_closed() {
        assert_eq!(
            role_change("ADMIN").expect("admin").resolve(Role::User),
            Role::Admin
        );
        assert_eq!(
            role_change("user").expect("user").resolve(Role::Editor),
            Role::Editor
        );
        assert_eq!(
            role_change("User").expect("user").resolve(Role::Admin),
            Role::User
        );
        assert!(role_change("Boss").is_err());
        assert_eq!(
            status_change("inactive")
                .expect("s")
                .resolve(Status::Suspended),
            Status::Suspended
        );
        assert!(status_change("Deleted").is_err());
    }

    #[test]
    fn pages_are_bounded() {
        let q = |l: Option<&str>, o: Option<&str>| ListQuery {
            limit: l.map(Into::into),
            offset: o.map(Into::into),
        };
        assert_eq!(
            page(&q(None, None)).expect("default"),
            Page {
                limit: 50,
                offset: 0
            }
        );
        assert!(page(&q(Some("0"), None)).is_err());
        assert!(page(&q(Some("501"), None)).is_err());
        assert!(page(&q(Some("abc"), None)).is_err());
        assert!(page(&q(None, Some("-1"))).is_err());
        assert_eq!(page(&q(Some("500"), Some("3"))).expect("max").limit, 500);
    }
}
