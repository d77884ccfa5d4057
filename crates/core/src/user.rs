//! The core user and the commands that create and change one.

use chrono::NaiveDateTime;
use serde_json::{Map, Value};

use crate::domain::{Coarse, Email, LoginName, Password, Role, Status, UserId};
use crate::patch::Patch;

/// Optional profile fields: the union of what the dialects carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Phone number, as written.
    pub phone: Option<String>,
    /// A second address (not unique, not used to log in).
    pub alternate_email: Option<String>,
    /// Free-form location.
    pub location: Option<String>,
    /// IANA time zone name, as written.
    pub timezone: Option<String>,
    /// Locale tag, as written.
    pub locale: Option<String>,
    /// Picture URL.
    pub avatar_url: Option<String>,
}

impl Profile {
    /// Each field by name, with its value.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 9] {
        [
            ("first_name", self.first_name.as_deref()),
            ("last_name", self.last_name.as_deref()),
            ("title", self.title.as_deref()),
            ("phone", self.phone.as_deref()),
            ("alternate_email", self.alternate_email.as_deref()),
            ("location", self.location.as_deref()),
            ("timezone", self.timezone.as_deref()),
            ("locale", self.locale.as_deref()),
            ("avatar_url", self.avatar_url.as_deref()),
        ]
    }
}

/// A user as every reader sees it. It never carries the password hash: that stays in core.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Assigned by the store.
    pub id: UserId,
    /// The login address.
    pub email: Email,
    /// Display name, never empty.
    pub name: String,
    /// Optional profile fields.
    pub profile: Profile,
    /// What the user may do.
    pub role: Role,
    /// Whether the user may authenticate.
    pub status: Status,
    /// Whether a password is set (invited users have none until they accept).
    pub has_password: bool,
    /// Domo's employee number.
    pub employee_number: Option<i64>,
    /// The id an identity provider knows the user by (case-exact, unique among live users).
    pub external_id: Option<String>,
    /// A login name that is not an address (SCIM `userName`), unique among live users.
    pub login_name: Option<LoginName>,
    /// Dialect fields that have no column, so that nothing a client wrote is lost.
    pub attributes: Map<String, Value>,
    /// Bumped by every change that must kill the user's tokens.
    pub credentials_version: i64,
    /// Creation time (UTC, microseconds).
    pub created_at: NaiveDateTime,
    /// Last change (UTC, microseconds).
    pub updated_at: NaiveDateTime,
    /// Last successful password login.
    pub last_login_at: Option<NaiveDateTime>,
}

impl User {
    /// Whether this user counts as an admin who can log in (rule 4).
    pub fn is_login_capable_admin(&self) -> bool {
        self.role == Role::Admin && self.status == Status::Active && self.has_password
    }
}

/// How a user is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserKey {
    /// By id.
    Id(UserId),
    /// By email, compared case-insensitively.
    Email(Email),
    /// By login name, compared case-insensitively.
    LoginName(LoginName),
    /// By external id, compared exactly.
    ExternalId(String),
}

/// A command to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The login address.
    pub email: Email,
    /// Display name; derived when absent (first + last, else the email's local part).
    pub name: Option<String>,
    /// Optional profile fields.
    pub profile: Profile,
    /// Role (defaults to `user` in every dialect that does not say).
    pub role: Role,
    /// Status (defaults to `active`).
    pub status: Status,
    /// The initial password; `None` for an invited user.
    pub password: Option<Password>,
    /// Domo's employee number.
    pub employee_number: Option<i64>,
    /// The identity provider's id.
    pub external_id: Option<String>,
    /// A login name that is not an address.
    pub login_name: Option<LoginName>,
    /// Dialect fields with no column.
    pub attributes: Map<String, Value>,
}

impl NewUser {
    /// An active `user` with this address and nothing else.
    pub fn new(email: Email) -> Self {
        NewUser {
            email,
            name: None,
            profile: Profile::default(),
            role: Role::User,
            status: Status::Active,
            password: None,
            employee_number: None,
            external_id: None,
            login_name: None,
            attributes: Map::new(),
        }
    }

    /// The display name the user gets: the given one if not blank, else first + last, else the
    /// email's local part.
    pub fn derived_name(&self) -> String {
        if let Some(name) = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            return name.to_owned();
        }
        let parts: Vec<&str> = [&self.profile.first_name, &self.profile.last_name]
            .into_iter()
            .filter_map(|p| p.as_deref().map(str::trim).filter(|p| !p.is_empty()))
            .collect();
        if parts.is_empty() {
            self.email.local_part().to_owned()
        } else {
            parts.join(" ")
        }
    }
}

/// A command to change a user. Every field left `None` stays as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// A new login address (uniqueness is kept by the store).
    pub email: Option<Email>,
    /// A new display name (blank is refused).
    pub name: Option<String>,
    /// A new role, possibly coarse (see [`Coarse`]).
    pub role: Option<Coarse<Role>>,
    /// A new status, possibly coarse.
    pub status: Option<Coarse<Status>>,
    /// Profile fields to keep, clear or set.
    pub profile: ProfileChanges,
    /// Dialect attributes to set; a JSON `null` removes one.
    pub attributes: Map<String, Value>,
    /// Domo's employee number: keep, clear or set.
    pub employee_number: Patch<i64>,
    /// The identity provider's id: keep, clear or set.
    pub external_id: Patch<String>,
    /// The login name: keep, clear or set.
    pub login_name: Patch<LoginName>,
    /// A new password (kills the user's tokens).
    pub password: Option<Password>,
}

/// Changes to the optional profile fields, each kept, cleared or set (see [`Patch`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileChanges {
    /// Given name.
    pub first_name: Patch<String>,
    /// Family name.
    pub last_name: Patch<String>,
    /// Job title.
    pub title: Patch<String>,
    /// Phone.
    pub phone: Patch<String>,
    /// Second address.
    pub alternate_email: Patch<String>,
    /// Location.
    pub location: Patch<String>,
    /// Time zone.
    pub timezone: Patch<String>,
    /// Locale.
    pub locale: Patch<String>,
    /// Picture URL.
    pub avatar_url: Patch<String>,
}

impl ProfileChanges {
    /// Each field by name, with its change.
    pub fn fields(&self) -> [(&'static str, Patch<&str>); 9] {
        fn of(c: &Patch<String>) -> Patch<&str> {
            c.as_ref().map(String::as_str)
        }
        [
            ("first_name", of(&self.first_name)),
            ("last_name", of(&self.last_name)),
            ("title", of(&self.title)),
            ("phone", of(&self.phone)),
            ("alternate_email", of(&self.alternate_email)),
            ("location", of(&self.location)),
            ("timezone", of(&self.timezone)),
            ("locale", of(&self.locale)),
            ("avatar_url", of(&self.avatar_url)),
        ]
    }

    /// Sets each field `profile` has; keeps the others.
    pub fn setting(profile: &Profile) -> ProfileChanges {
        let set = |v: &Option<String>| Patch::set_if(v.clone());
        ProfileChanges {
            first_name: set(&profile.first_name),
            last_name: set(&profile.last_name),
            title: set(&profile.title),
            phone: set(&profile.phone),
            alternate_email: set(&profile.alternate_email),
            location: set(&profile.location),
            timezone: set(&profile.timezone),
            locale: set(&profile.locale),
            avatar_url: set(&profile.avatar_url),
        }
    }

    /// The changes that differ from `current`.
    pub fn against(&self, current: &Profile) -> ProfileChanges {
        fn diff(change: &Patch<String>, now: &Option<String>) -> Patch<String> {
            change.clone().against(now.as_ref())
        }
        ProfileChanges {
            first_name: diff(&self.first_name, &current.first_name),
            last_name: diff(&self.last_name, &current.last_name),
            title: diff(&self.title, &current.title),
            phone: diff(&self.phone, &current.phone),
            alternate_email: diff(&self.alternate_email, &current.alternate_email),
            location: diff(&self.location, &current.location),
            timezone: diff(&self.timezone, &current.timezone),
            locale: diff(&self.locale, &current.locale),
            avatar_url: diff(&self.avatar_url, &current.avatar_url),
        }
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        *self == ProfileChanges::default()
    }
}

/// One page of results (the order is the query's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// At most this many users.
    pub limit: u32,
    /// Skip this many first.
    pub offset: u64,
}
