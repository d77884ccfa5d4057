//! The groups port of the in-memory store.

use std::collections::BTreeSet;

use crate::domain::UserId;
use crate::group::{Group, GroupId, GroupName, GroupRef};
use crate::ports::{GroupRepo, GroupUpdate, NewGroupRecord, RepoError};
use crate::user::Page;

use super::Tx;

/// A group with its members.
#[derive(Clone)]
pub(super) struct GroupRow {
    pub(super) id: GroupId,
    pub(super) name: GroupName,
    active: bool,
    default: bool,
    pub(super) creator: Option<UserId>,
    external_id: Option<String>,
    pub(super) members: BTreeSet<UserId>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

impl GroupRow {
    fn group(&self) -> Group {
        Group {
            id: self.id,
            name: self.name.clone(),
            active: self.active,
            default: self.default,
            creator: self.creator,
            external_id: self.external_id.clone(),
            member_count: self.members.len() as u64,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

impl Tx<'_> {
    fn group_row(&mut self, id: GroupId) -> Result<&mut GroupRow, RepoError> {
        self.groups
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or_else(|| RepoError::Failure(format!("no group {id}")))
    }

    fn is_live(&self, user: UserId) -> bool {
        self.rows.iter().any(|r| r.user.id == user && !r.deleted)
    }
}

fn page<T>(items: impl Iterator<Item = T>, page: Page) -> Vec<T> {
    items
        .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
        .take(page.limit as usize)
        .collect()
}

impl GroupRepo for Tx<'_> {
    fn insert_group(&mut self, new: &NewGroupRecord) -> Result<Group, RepoError> {
        if self
            .groups
            .iter()
            .any(|g| g.name.normalized() == new.name_normalized)
        {
            return Err(RepoError::DuplicateGroupName);
        }
        let id = GroupId::new(self.groups.iter().map(|g| g.id.get()).max().unwrap_or(0) + 1);
        let row = GroupRow {
            id,
            name: GroupName::from_trusted(new.name.clone(), new.name_normalized.clone()),
            active: new.active,
            default: new.default,
            creator: new.creator,
            external_id: new.external_id.clone(),
            members: BTreeSet::new(),
            created_at: new.now,
            updated_at: new.now,
        };
        let group = row.group();
        self.groups.push(row);
        Ok(group)
    }

    fn find_group(&mut self, id: GroupId) -> Result<Option<Group>, RepoError> {
        Ok(self.groups.iter().find(|g| g.id == id).map(GroupRow::group))
    }

    fn find_group_by_name(&mut self, normalized: &str) -> Result<Option<Group>, RepoError> {
        Ok(self
            .groups
            .iter()
            .find(|g| g.name.normalized() == normalized)
            .map(GroupRow::group))
    }

    fn groups(&mut self, p: Page) -> Result<Vec<Group>, RepoError> {
        let mut all: Vec<&GroupRow> = self.groups.iter().collect();
        all.sort_by_key(|g| g.id);
        Ok(page(all.into_iter().map(GroupRow::group), p))
    }

    fn count_groups(&mut self) -> Result<u64, RepoError> {
        Ok(self.groups.len() as u64)
    }

    fn update_group(&mut self, id: GroupId, u: &GroupUpdate) -> Result<Group, RepoError> {
        if let Some((_, norm)) = &u.name
            && self
                .groups
                .iter()
                .any(|g| g.id != id && g.name.normalized() == norm)
        {
            return Err(RepoError::DuplicateGroupName);
        }
        let row = self.group_row(id)?;
        if let Some((name, norm)) = &u.name {
            row.name = GroupName::from_trusted(name.clone(), norm.clone());
        }
        if let Some(active) = u.active {
            row.active = active;
        }
        if let Some(default) = u.default {
            row.default = default;
        }
        row.external_id = u.external_id.clone().apply(row.external_id.take());
        row.updated_at = u.updated_at;
        Ok(row.group())
    }

    fn delete_group(&mut self, id: GroupId) -> Result<(), RepoError> {
        self.groups.retain(|g| g.id != id);
        Ok(())
    }

    fn missing_users(&mut self, users: &[UserId]) -> Result<Vec<UserId>, RepoError> {
        let mut seen = BTreeSet::new();
        Ok(users
            .iter()
            .copied()
            .filter(|u| seen.insert(*u) && !self.is_live(*u))
            .collect())
    }

    fn add_members(&mut self, group: GroupId, users: &[UserId]) -> Result<(), RepoError> {
        let live: Vec<UserId> = users.iter().copied().filter(|u| self.is_live(*u)).collect();
        self.group_row(group)?.members.extend(live);
        Ok(())
    }

    fn remove_members(&mut self, group: GroupId, users: &[UserId]) -> Result<(), RepoError> {
        let row = self.group_row(group)?;
        for u in users {
            row.members.remove(u);
        }
        Ok(())
    }

    fn clear_members(&mut self, group: GroupId) -> Result<(), RepoError> {
        self.group_row(group)?.members.clear();
        Ok(())
    }

    fn member_ids(&mut self, group: GroupId, p: Page) -> Result<Vec<UserId>, RepoError> {
        let row = self.group_row(group)?;
        Ok(page(row.members.iter().copied(), p))
    }

    fn groups_of(&mut self, users: &[UserId]) -> Result<Vec<(UserId, GroupRef)>, RepoError> {
        let mut out = Vec::new();
        let mut all: Vec<&GroupRow> = self.groups.iter().collect();
        all.sort_by_key(|g| g.id);
        for g in all {
            for u in users.iter().filter(|u| g.members.contains(u)) {
                let group = GroupRef {
                    id: g.id,
                    name: g.name.as_str().to_owned(),
                };
                out.push((*u, group));
            }
        }
        Ok(out)
    }

    fn leave_groups(&mut self, user: UserId) -> Result<(), RepoError> {
        for g in self.groups.iter_mut() {
            g.members.remove(&user);
        }
        Ok(())
    }

    fn join_default_groups(&mut self, users: &[UserId]) -> Result<(), RepoError> {
        for g in self.groups.iter_mut().filter(|g| g.active && g.default) {
            g.members.extend(users.iter().copied());
        }
        Ok(())
    }
}
