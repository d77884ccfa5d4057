//! The groups port: `groups` and `group_members` rows.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use usergate_core::domain::UserId;
use usergate_core::group::{Group, GroupId, GroupName, GroupRef};
use usergate_core::ports::{GroupRepo, GroupUpdate, NewGroupRecord, RepoError};
use usergate_core::user::Page;

use super::Repo;
use crate::db::DbConnection;
use crate::error::Db;
use crate::schema::{group_members, groups, users};

/// A group row, in `groups::all_columns` order.
#[derive(Queryable)]
struct GroupRow {
    id: i64,
    name: String,
    name_normalized: String,
    active: bool,
    is_default: bool,
    creator_id: Option<i64>,
    external_id: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl GroupRow {
    fn group(self, member_count: u64) -> Group {
        Group {
            id: GroupId::new(self.id),
            name: GroupName::from_trusted(self.name, self.name_normalized),
            active: self.active,
            default: self.is_default,
            creator: self.creator_id.map(UserId::new),
            external_id: self.external_id,
            member_count,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = groups)]
struct NewRow<'a> {
    name: &'a str,
    name_normalized: &'a str,
    active: bool,
    is_default: bool,
    creator_id: Option<i64>,
    external_id: Option<&'a str>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(AsChangeset)]
#[diesel(table_name = groups)]
#[allow(clippy::option_option)] // keep (None) / clear (Some(None)) / set
struct Changes<'a> {
    name: Option<&'a str>,
    name_normalized: Option<&'a str>,
    active: Option<bool>,
    is_default: Option<bool>,
    external_id: Option<Option<&'a str>>,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = group_members)]
// SQLite's multi-row insert has no DEFAULT.
#[diesel(treat_none_as_default_value = false)]
struct Member {
    group_id: i64,
    user_id: i64,
}

/// Inserts memberships in one statement, skipping those that exist (diesel's batch insert is
/// per backend, not on the multi-backend connection).
fn insert_members(conn: &mut DbConnection, rows: &[Member]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    match conn {
        DbConnection::Pg(c) => diesel::insert_into(group_members::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(c),
        DbConnection::Sqlite(c) => diesel::insert_into(group_members::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(c),
    }
}

impl Repo<'_> {
    /// The groups of these rows with their member counts, in the rows' order.
    fn with_counts(&mut self, rows: Vec<GroupRow>) -> Result<Vec<Group>, RepoError> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let counts: HashMap<i64, i64> = group_members::table
            .filter(group_members::group_id.eq_any(&ids))
            .group_by(group_members::group_id)
            .select((group_members::group_id, count_star()))
            .load::<(i64, i64)>(self.0)
            .db()?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let n = counts.get(&r.id).copied().unwrap_or(0);
                r.group(u64::try_from(n).unwrap_or(0))
            })
            .collect())
    }

    fn one_group(&mut self, row: Option<GroupRow>) -> Result<Option<Group>, RepoError> {
        Ok(match row {
            Some(r) => self.with_counts(vec![r])?.pop(),
            None => None,
        })
    }
}

fn ids(users: &[UserId]) -> Vec<i64> {
    users.iter().map(|u| u.get()).collect()
}

impl GroupRepo for Repo<'_> {
    fn insert_group(&mut self, g: &NewGroupRecord) -> Result<Group, RepoError> {
        let row: GroupRow = diesel::insert_into(groups::table)
            .values(&NewRow {
                name: &g.name,
                name_normalized: &g.name_normalized,
                active: g.active,
                is_default: g.default,
                creator_id: g.creator.map(UserId::get),
                external_id: g.external_id.as_deref(),
                created_at: g.now,
                updated_at: g.now,
            })
            .returning(groups::all_columns)
            .get_result(self.0)
            .db()?;
        Ok(row.group(0))
    }

    fn find_group(&mut self, id: GroupId) -> Result<Option<Group>, RepoError> {
        let row = groups::table
            .find(id.get())
            .first::<GroupRow>(self.0)
            .optional()
            .db()?;
        self.one_group(row)
    }

    fn find_group_by_name(&mut self, normalized: &str) -> Result<Option<Group>, RepoError> {
        let row = groups::table
            .filter(groups::name_normalized.eq(normalized))
            .first::<GroupRow>(self.0)
            .optional()
            .db()?;
        self.one_group(row)
    }

    fn groups(&mut self, page: Page) -> Result<Vec<Group>, RepoError> {
        let rows: Vec<GroupRow> = groups::table
            .order(groups::id)
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .load(self.0)
            .db()?;
        self.with_counts(rows)
    }

    fn count_groups(&mut self) -> Result<u64, RepoError> {
        let n: i64 = groups::table.count().get_result(self.0).db()?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn update_group(&mut self, id: GroupId, u: &GroupUpdate) -> Result<Group, RepoError> {
        let changes = Changes {
            name: u.name.as_ref().map(|(n, _)| n.as_str()),
            name_normalized: u.name.as_ref().map(|(_, n)| n.as_str()),
            active: u.active,
            is_default: u.default,
            external_id: super::users::text(&u.external_id),
            updated_at: u.updated_at,
        };
        diesel::update(groups::table.find(id.get()))
            .set(changes)
            .execute(self.0)
            .db()?;
        self.find_group(id)?
            .ok_or_else(|| RepoError::Failure(format!("group {id} vanished in its update")))
    }

    fn delete_group(&mut self, id: GroupId) -> Result<(), RepoError> {
        // The memberships go with it (`ON DELETE CASCADE`, foreign keys on in SQLite too).
        diesel::delete(groups::table.find(id.get()))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn missing_users(&mut self, users: &[UserId]) -> Result<Vec<UserId>, RepoError> {
        let wanted: BTreeSet<i64> = ids(users).into_iter().collect();
        let wanted: Vec<i64> = wanted.into_iter().collect();
        let live: BTreeSet<i64> = users::table
            .filter(users::id.eq_any(&wanted))
            .filter(users::deleted_at.is_null())
            .select(users::id)
            .load::<i64>(self.0)
            .db()?
            .into_iter()
            .collect();
        let mut seen = BTreeSet::new();
        Ok(users
            .iter()
            .copied()
            .filter(|u| seen.insert(*u) && !live.contains(&u.get()))
            .collect())
    }

    fn add_members(&mut self, group: GroupId, users: &[UserId]) -> Result<(), RepoError> {
        let rows: Vec<Member> = users
            .iter()
            .map(|u| Member {
                group_id: group.get(),
                user_id: u.get(),
            })
            .collect();
        insert_members(self.0, &rows).db()?;
        Ok(())
    }

    fn remove_members(&mut self, group: GroupId, users: &[UserId]) -> Result<(), RepoError> {
        diesel::delete(
            group_members::table
                .filter(group_members::group_id.eq(group.get()))
                .filter(group_members::user_id.eq_any(ids(users))),
        )
        .execute(self.0)
        .db()?;
        Ok(())
    }

    fn clear_members(&mut self, group: GroupId) -> Result<(), RepoError> {
        diesel::delete(group_members::table.filter(group_members::group_id.eq(group.get())))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn member_ids(&mut self, group: GroupId, page: Page) -> Result<Vec<UserId>, RepoError> {
        let members: Vec<i64> = group_members::table
            .filter(group_members::group_id.eq(group.get()))
            .order(group_members::user_id)
            .select(group_members::user_id)
            .limit(i64::from(page.limit))
            .offset(i64::try_from(page.offset).unwrap_or(i64::MAX))
            .load(self.0)
            .db()?;
        Ok(members.into_iter().map(UserId::new).collect())
    }

    fn groups_of(&mut self, users: &[UserId]) -> Result<Vec<(UserId, GroupRef)>, RepoError> {
        let rows: Vec<(i64, i64, String)> = group_members::table
            .inner_join(groups::table)
            .filter(group_members::user_id.eq_any(ids(users)))
            .order((groups::id, group_members::user_id))
            .select((group_members::user_id, groups::id, groups::name))
            .load(self.0)
            .db()?;
        Ok(rows
            .into_iter()
            .map(|(user, id, name)| {
                let group = GroupRef {
                    id: GroupId::new(id),
                    name,
                };
                (UserId::new(user), group)
            })
            .collect())
    }

    fn leave_groups(&mut self, user: UserId) -> Result<(), RepoError> {
        diesel::delete(group_members::table.filter(group_members::user_id.eq(user.get())))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn join_default_groups(&mut self, users: &[UserId]) -> Result<(), RepoError> {
        if let [user] = users {
            // One user (every create but an import's): one statement, no read first.
            let join = groups::table
                .filter(groups::active.eq(true))
                .filter(groups::is_default.eq(true))
                .select((
                    groups::id,
                    user.get().into_sql::<diesel::sql_types::BigInt>(),
                ));
            let columns = (group_members::group_id, group_members::user_id);
            match &mut *self.0 {
                DbConnection::Pg(c) => diesel::insert_into(group_members::table)
                    .values(join)
                    .into_columns(columns)
                    .on_conflict_do_nothing()
                    .execute(c),
                DbConnection::Sqlite(c) => diesel::insert_into(group_members::table)
                    .values(join)
                    .into_columns(columns)
                    .on_conflict_do_nothing()
                    .execute(c),
            }
            .db()?;
            return Ok(());
        }
        let defaults: Vec<i64> = groups::table
            .filter(groups::active.eq(true))
            .filter(groups::is_default.eq(true))
            .select(groups::id)
            .load(self.0)
            .db()?;
        let rows: Vec<Member> = defaults
            .iter()
            .flat_map(|g| {
                users.iter().map(move |u| Member {
                    group_id: *g,
                    user_id: u.get(),
                })
            })
            .collect();
        // Bounded by the bind limits of both backends: an import batch is at most a few
        // thousand users, and few groups are default.
        for chunk in rows.chunks(10_000) {
            insert_members(self.0, chunk).db()?;
        }
        Ok(())
    }
}
