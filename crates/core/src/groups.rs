//! The group service: groups and their members, admins only, one transaction per operation.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::access::{Actor, AdminGrant, require_admin};
use crate::audit::{self, Action, Event, Target};
use crate::domain::{UserId, external_id};
use crate::error::{CoreError, CoreResult, Problem};
use chrono::NaiveDateTime;

use crate::group::{
    Group, GroupChanges, GroupDelete, GroupId, GroupName, GroupRef, Members, NewGroup,
};
use crate::patch::Patch;
use crate::ports::{self, Clock, GroupRepo, GroupUpdate, NewGroupRecord, UserStore};
use crate::user::Page;

/// The most member changes one command may carry (a whole set, removals and additions
/// together): an identity provider sends members in batches far smaller than this.
pub const MAX_MEMBER_CHANGES: usize = 1000;

/// Creates, reads, changes and deletes groups and their members.
#[derive(Clone)]
pub struct GroupService {
    pub(crate) store: Arc<dyn UserStore>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl GroupService {
    /// A service over these ports.
    pub fn new(store: Arc<dyn UserStore>, clock: Arc<dyn Clock>) -> Self {
        GroupService { store, clock }
    }

    /// Creates a group with its first members. Admins only; the name must be free.
    pub fn create(&self, actor: &Actor, new: NewGroup) -> CoreResult<Group> {
        let target = Target {
            kind: "group",
            id: None,
            email: None,
        };
        let result = self.create_unaudited(actor, new);
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::GroupCreate,
            target,
            result,
        )
    }

    fn create_unaudited(&self, actor: &Actor, new: NewGroup) -> CoreResult<Group> {
        let grant = require_admin(actor)?;
        check_member_changes(new.members.len())?;
        if let Some(x) = &new.external_id {
            external_id(x).map_err(|e| CoreError::Validation(vec![e]))?;
        }
        let record = NewGroupRecord {
            name: new.name.as_str().to_owned(),
            name_normalized: new.name.normalized().to_owned(),
            active: new.active,
            default: new.default,
            creator: grant.user,
            external_id: new.external_id.clone(),
            now: self.clock.now(),
        };
        ports::write(&*self.store, |repo| {
            let mut group = repo.insert_group(&record)?;
            let mut changes: serde_json::Map<String, Value> = group_fields(&group)
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, json!({ "to": v })))
                .collect();
            if !new.members.is_empty() {
                live_users(repo, &new.members)?;
                repo.add_members(group.id, &new.members)?;
                group = existing(repo, group.id)?;
                changes.insert("members".into(), json!({ "added": ids(&new.members) }));
            }
            let event = Event::new(Action::GroupCreate, group_target(&group))
                .changes(changes)
                .resource(group_resource(&group));
            audit::record(repo, actor, event, record.now)?;
            Ok(group)
        })
    }

    /// A group. Admins only.
    pub fn get(&self, actor: &Actor, id: GroupId) -> CoreResult<Group> {
        require_admin(actor)?;
        ports::read(&*self.store, |repo| existing(repo, id))
    }

    /// Groups in id order, one page, with how many there are in all. Admins only.
    pub fn list(&self, actor: &Actor, page: Page) -> CoreResult<(Vec<Group>, u64)> {
        require_admin(actor)?;
        ports::read(&*self.store, |repo| {
            Ok((repo.groups(page)?, repo.count_groups()?))
        })
    }

    /// A group's members in ascending id order, one page. Admins only.
    pub fn members(&self, actor: &Actor, id: GroupId, page: Page) -> CoreResult<Vec<UserId>> {
        require_admin(actor)?;
        ports::read(&*self.store, |repo| {
            existing(repo, id)?;
            Ok(repo.member_ids(id, page)?)
        })
    }

    /// The groups of each of these users, in group id order (users in no group are absent).
    /// Admins only.
    pub fn groups_of(
        &self,
        actor: &Actor,
        users: &[UserId],
    ) -> CoreResult<BTreeMap<UserId, Vec<GroupRef>>> {
        require_admin(actor)?;
        if users.is_empty() {
            return Ok(BTreeMap::new());
        }
        let pairs = ports::read(&*self.store, |repo| Ok(repo.groups_of(users)?))?;
        let mut by_user: BTreeMap<UserId, Vec<GroupRef>> = BTreeMap::new();
        for (user, group) in pairs {
            by_user.entry(user).or_default().push(group);
        }
        Ok(by_user)
    }

    /// Changes a group and its members, all or nothing. Admins only. A new name must be free;
    /// an inactive group (after the change) takes no new members; every member named must be
    /// a live user.
    pub fn update(&self, actor: &Actor, id: GroupId, changes: &GroupChanges) -> CoreResult<Group> {
        let result = self.update_unaudited(actor, id, changes);
        let target = Target::other("group", id.get());
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::GroupUpdate,
            target,
            result,
        )
    }

    fn update_unaudited(
        &self,
        actor: &Actor,
        id: GroupId,
        changes: &GroupChanges,
    ) -> CoreResult<Group> {
        let grant = require_admin(actor)?;
        if let Patch::Value(x) = &changes.external_id {
            external_id(x).map_err(|e| CoreError::Validation(vec![e]))?;
        }
        let m = &changes.members;
        check_member_changes(m.set.as_ref().map_or(0, Vec::len) + m.remove.len() + m.add.len())?;
        let now = self.clock.now();
        ports::write(&*self.store, |repo| {
            let group = existing(repo, id)?;
            let update = GroupUpdate {
                name: changes
                    .name
                    .as_ref()
                    .filter(|n| n.as_str() != group.name.as_str())
                    .map(|n| (n.as_str().to_owned(), n.normalized().to_owned())),
                active: changes.active.filter(|a| *a != group.active),
                default: changes.default.filter(|d| *d != group.default),
                external_id: changes
                    .external_id
                    .clone()
                    .against(group.external_id.as_ref()),
                updated_at: now,
            };
            let active = update.active.unwrap_or(group.active);
            let touched = apply_members(repo, grant, id, active, m)?;
            let fields_changed = update.name.is_some()
                || update.active.is_some()
                || update.default.is_some()
                || !update.external_id.is_absent();
            if !fields_changed && !touched {
                return Ok(group);
            }
            let after = repo.update_group(id, &update)?;
            let mut diff = serde_json::Map::new();
            for ((name, from), (_, to)) in
                group_fields(&group).into_iter().zip(group_fields(&after))
            {
                if from != to {
                    diff.insert(name, json!({"from": from, "to": to}));
                }
            }
            let action = if fields_changed || m.set.is_some() {
                Action::GroupUpdate
            } else if m.remove.is_empty() {
                Action::GroupMemberAdd
            } else if m.add.is_empty() {
                Action::GroupMemberRemove
            } else {
                Action::GroupUpdate
            };
            if touched {
                let mut members = serde_json::Map::new();
                if let Some(set) = &m.set {
                    members.insert("set".into(), ids(set));
                }
                if !m.add.is_empty() {
                    members.insert("added".into(), ids(&m.add));
                }
                if !m.remove.is_empty() {
                    members.insert("removed".into(), ids(&m.remove));
                }
                diff.insert("members".into(), members.into());
            }
            let event = Event::new(action, group_target(&after))
                .changes(diff)
                .resource(group_resource(&after));
            audit::record(repo, actor, event, now)?;
            Ok(after)
        })
    }

    /// Puts one user into a group (a member already is no error). Admins only; the group must
    /// be active, the user live.
    pub fn add_member(&self, actor: &Actor, id: GroupId, user: UserId) -> CoreResult<()> {
        let changes = GroupChanges {
            members: Members {
                add: vec![user],
                ..Members::default()
            },
            ..GroupChanges::default()
        };
        self.update(actor, id, &changes).map(drop)
    }

    /// Takes one user out of a group (a non-member is no error). Admins only.
    pub fn remove_member(&self, actor: &Actor, id: GroupId, user: UserId) -> CoreResult<()> {
        let changes = GroupChanges {
            members: Members {
                remove: vec![user],
                ..Members::default()
            },
            ..GroupChanges::default()
        };
        self.update(actor, id, &changes).map(drop)
    }

    /// Deletes a group outright. Admins only. [`GroupDelete::OnlyEmpty`] refuses a group with
    /// members.
    pub fn delete(&self, actor: &Actor, id: GroupId, mode: GroupDelete) -> CoreResult<()> {
        let result = (|| {
            require_admin(actor)?;
            let now = self.clock.now();
            ports::write(&*self.store, |repo| {
                let group = existing(repo, id)?;
                if mode == GroupDelete::OnlyEmpty && group.member_count > 0 {
                    return Err(CoreError::Conflict(crate::error::Conflict::GroupHasMembers));
                }
                repo.delete_group(id)?;
                let event = Event::new(Action::GroupDelete, group_target(&group))
                    .resource(group_resource(&group));
                audit::record(repo, actor, event, now)
            })
        })();
        let target = Target::other("group", id.get());
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::GroupDelete,
            target,
            result,
        )
    }
}

/// A group as an event names it.
fn group_target(g: &Group) -> Target {
    Target::other("group", g.id.get())
}

/// The allow-listed fields of a group.
fn group_fields(g: &Group) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    out.insert("name".into(), json!(g.name.as_str()));
    out.insert("active".into(), json!(g.active));
    out.insert("default".into(), json!(g.default));
    out.insert("external_id".into(), json!(g.external_id));
    out
}

/// A group in the neutral shape of events and webhooks.
fn group_resource(g: &Group) -> Value {
    let mut out = group_fields(g);
    out.insert("id".into(), json!(g.id.get()));
    out.insert("member_count".into(), json!(g.member_count));
    Value::Object(out)
}

/// User ids as a JSON array of numbers.
fn ids(users: &[UserId]) -> Value {
    users.iter().map(|u| u.get()).collect()
}

/// Makes a user a member of each named group, creating the groups no group's name matches
/// (active, not default, made by no user). `known` keeps the ids found so far, so that a batch
/// of users looks each name up once. An import restores memberships as its file has them,
/// inactive groups included.
pub(crate) fn join_named(
    repo: &mut dyn GroupRepo,
    user: UserId,
    names: &[GroupName],
    known: &mut BTreeMap<String, GroupId>,
    now: NaiveDateTime,
) -> CoreResult<()> {
    for name in names {
        let id = match known.get(name.normalized()) {
            Some(id) => *id,
            None => {
                let group = match repo.find_group_by_name(name.normalized())? {
                    Some(g) => g,
                    None => repo.insert_group(&NewGroupRecord {
                        name: name.as_str().to_owned(),
                        name_normalized: name.normalized().to_owned(),
                        active: true,
                        default: false,
                        creator: None,
                        external_id: None,
                        now,
                    })?,
                };
                known.insert(name.normalized().to_owned(), group.id);
                group.id
            }
        };
        repo.add_members(id, &[user])?;
    }
    Ok(())
}

/// Applies a member change inside the group's transaction; whether the members changed.
fn apply_members(
    repo: &mut dyn GroupRepo,
    _admin: AdminGrant,
    id: GroupId,
    active: bool,
    m: &Members,
) -> CoreResult<bool> {
    if m.is_empty() {
        return Ok(false);
    }
    let mut joining: Vec<UserId> = m.set.iter().flatten().chain(&m.add).copied().collect();
    joining.sort_unstable();
    joining.dedup();
    if !joining.is_empty() {
        if !active {
            return Err(CoreError::Conflict(crate::error::Conflict::InactiveGroup));
        }
        live_users(repo, &joining)?;
    }
    if let Some(set) = &m.set {
        repo.clear_members(id)?;
        repo.add_members(id, set)?;
    }
    if !m.remove.is_empty() {
        repo.remove_members(id, &m.remove)?;
    }
    if !m.add.is_empty() {
        repo.add_members(id, &m.add)?;
    }
    Ok(true)
}

/// Refuses a command that names a user who is not live (unknown or deleted).
fn live_users(repo: &mut dyn GroupRepo, users: &[UserId]) -> CoreResult<()> {
    if repo.missing_users(users)?.is_empty() {
        Ok(())
    } else {
        Err(CoreError::NotFound)
    }
}

/// Refuses more than [`MAX_MEMBER_CHANGES`] member changes in one command (a validation
/// error of `members`); dialects that turn member changes into other commands (SCIM's role
/// groups) hold them to the same bound.
pub fn check_member_changes(n: usize) -> CoreResult<()> {
    if n > MAX_MEMBER_CHANGES {
        return Err(CoreError::invalid(
            "members",
            Problem::TooLong {
                max: MAX_MEMBER_CHANGES,
            },
        ));
    }
    Ok(())
}

fn existing(repo: &mut dyn GroupRepo, id: GroupId) -> CoreResult<Group> {
    repo.find_group(id)?.ok_or(CoreError::GroupNotFound)
}
