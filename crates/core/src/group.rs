//! Groups of users: what Domo serves at `/v1/groups` and SCIM as its plain groups. A group
//! grants nothing (roles stay on the user); it has a name unique among groups, flags, the user
//! who made it, the id an identity provider knows it by, and live users as members.

use std::fmt;

use chrono::NaiveDateTime;

use crate::domain::{NAME_MAX_LEN, Role, UserId};
use crate::error::{Conflict, CoreError, FieldError, Problem};
use crate::patch::Patch;

/// A group's id, assigned by the store and never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(i64);

impl GroupId {
    /// Wraps an id read from the store or from a request.
    pub const fn new(id: i64) -> Self {
        GroupId(id)
    }

    /// The number behind the id.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A group's name: trimmed, 1-255 characters, unique among groups case-insensitively, and not
/// a role's name in any case (SCIM shows the roles as groups of those names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName {
    original: String,
    normalized: String,
}

impl GroupName {
    /// Parses a name. Blank, too long or with a NUL is a validation error of the field
    /// `name`; a role's name is [`Conflict::ReservedGroupName`].
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let trimmed = raw.trim();
        let problem = if trimmed.is_empty() {
            Some(Problem::Required)
        } else if trimmed.chars().count() > NAME_MAX_LEN {
            Some(Problem::TooLong { max: NAME_MAX_LEN })
        } else if trimmed.contains('\0') {
            Some(Problem::Malformed)
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(CoreError::Validation(vec![FieldError {
                field: "name",
                problem,
            }]));
        }
        let normalized = trimmed.to_lowercase();
        if Role::ALL.iter().any(|r| r.as_str() == normalized) {
            return Err(CoreError::Conflict(Conflict::ReservedGroupName));
        }
        Ok(GroupName {
            original: trimmed.to_owned(),
            normalized,
        })
    }

    /// The name as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The lower-cased name that carries uniqueness.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// Rebuilds a name the store read back.
    pub fn from_trusted(original: String, normalized: String) -> Self {
        GroupName {
            original,
            normalized,
        }
    }
}

/// A group as every reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Assigned by the store.
    pub id: GroupId,
    /// Unique among groups, case-insensitively.
    pub name: GroupName,
    /// An inactive group takes no new members.
    pub active: bool,
    /// Every user created while the group is active and default joins it.
    pub default: bool,
    /// The user who made it (none when made by the operator or an import).
    pub creator: Option<UserId>,
    /// The id an identity provider knows it by, case-exact.
    pub external_id: Option<String>,
    /// How many live users are members.
    pub member_count: u64,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change of the group or its members.
    pub updated_at: NaiveDateTime,
}

/// A command to create a group.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// The name.
    pub name: GroupName,
    /// Defaults to `true` in every dialect.
    pub active: bool,
    /// Defaults to `false`.
    pub default: bool,
    /// The id an identity provider knows it by.
    pub external_id: Option<String>,
    /// Its first members (live users; an unknown one refuses the whole command).
    pub members: Vec<UserId>,
}

impl NewGroup {
    /// An active, non-default group of this name with no members.
    pub fn new(name: GroupName) -> Self {
        NewGroup {
            name,
            active: true,
            default: false,
            external_id: None,
            members: Vec::new(),
        }
    }
}

/// A command to change a group. `None` (and [`Patch::Absent`]) keeps a value.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    /// A new name.
    pub name: Option<GroupName>,
    /// A new active flag.
    pub active: Option<bool>,
    /// A new default flag.
    pub default: Option<bool>,
    /// Keep, clear or set the external id.
    pub external_id: Patch<String>,
    /// What to do with the members.
    pub members: Members,
}

/// A change of a group's members, applied in this order: the whole set, then removals, then
/// additions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Members {
    /// Replace every member by these (`None`: keep the members).
    pub set: Option<Vec<UserId>>,
    /// Users to take out (not being a member is no error).
    pub remove: Vec<UserId>,
    /// Users to put in (being a member already is no error).
    pub add: Vec<UserId>,
}

impl Members {
    /// Whether the members stay as they are.
    pub fn is_empty(&self) -> bool {
        self.set.is_none() && self.remove.is_empty() && self.add.is_empty()
    }
}

/// How a group with members is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupDelete {
    /// Refused while the group has members (Domo).
    OnlyEmpty,
    /// The memberships go with the group (SCIM: an identity provider deletes what it pushed).
    WithMembers,
}

/// A group's name with its id, as a user's list of groups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    /// The group.
    pub id: GroupId,
    /// Its name.
    pub name: String,
}
