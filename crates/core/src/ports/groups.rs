//! The groups port: rows of `groups` and `group_members`, read and written inside a unit of
//! work. Members are live users: core removes a user's memberships when it deletes the user.

use chrono::NaiveDateTime;

use crate::domain::UserId;
use crate::group::{Group, GroupId, GroupRef};
use crate::patch::Patch;
use crate::user::Page;

use super::RepoError;

/// A group row as it is written on creation.
#[derive(Debug, Clone)]
pub struct NewGroupRecord {
    /// As written (trimmed).
    pub name: String,
    /// Lower-cased, unique among groups.
    pub name_normalized: String,
    /// Takes new members.
    pub active: bool,
    /// New users join it (while active).
    pub default: bool,
    /// Who made it.
    pub creator: Option<UserId>,
    /// The identity provider's id.
    pub external_id: Option<String>,
    /// Creation time.
    pub now: NaiveDateTime,
}

/// A change to one group row; `None` (and [`Patch::Absent`]) leaves a column alone.
#[derive(Debug, Clone)]
pub struct GroupUpdate {
    /// New name (as written, normalised).
    pub name: Option<(String, String)>,
    /// New active flag.
    pub active: Option<bool>,
    /// New default flag.
    pub default: Option<bool>,
    /// Set or clear the external id.
    pub external_id: Patch<String>,
    /// The time of the change (members included).
    pub updated_at: NaiveDateTime,
}

/// Groups inside one transaction.
pub trait GroupRepo {
    /// Inserts a group; a name another group has is [`RepoError::DuplicateGroupName`].
    fn insert_group(&mut self, group: &NewGroupRecord) -> Result<Group, RepoError>;
    /// A group by id.
    fn find_group(&mut self, id: GroupId) -> Result<Option<Group>, RepoError>;
    /// A group by normalised name.
    fn find_group_by_name(&mut self, normalized: &str) -> Result<Option<Group>, RepoError>;
    /// Groups in id order, one page.
    fn groups(&mut self, page: Page) -> Result<Vec<Group>, RepoError>;
    /// How many groups exist.
    fn count_groups(&mut self) -> Result<u64, RepoError>;
    /// Applies a change and returns the group as it is now.
    fn update_group(&mut self, id: GroupId, update: &GroupUpdate) -> Result<Group, RepoError>;
    /// Deletes a group and its memberships outright.
    fn delete_group(&mut self, id: GroupId) -> Result<(), RepoError>;
    /// Which of these ids are not live users (in their order, each once).
    fn missing_users(&mut self, users: &[UserId]) -> Result<Vec<UserId>, RepoError>;
    /// Makes these live users members (members already are no error).
    fn add_members(&mut self, group: GroupId, users: &[UserId]) -> Result<(), RepoError>;
    /// Takes these users out (non-members are no error).
    fn remove_members(&mut self, group: GroupId, users: &[UserId]) -> Result<(), RepoError>;
    /// Takes every member out.
    fn clear_members(&mut self, group: GroupId) -> Result<(), RepoError>;
    /// A group's members in ascending id order, one page.
    fn member_ids(&mut self, group: GroupId, page: Page) -> Result<Vec<UserId>, RepoError>;
    /// The groups of each of these users, in group id order: `(user, group)` pairs.
    fn groups_of(&mut self, users: &[UserId]) -> Result<Vec<(UserId, GroupRef)>, RepoError>;
    /// Takes a user out of every group (the user is being deleted).
    fn leave_groups(&mut self, user: UserId) -> Result<(), RepoError>;
    /// Makes new users members of every active default group.
    fn join_default_groups(&mut self, users: &[UserId]) -> Result<(), RepoError>;
}
