//! The imports port: `import_runs` rows, and export pages of `users`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use usergate_core::domain::UserId;
use usergate_core::ports::{Checkpoint, Exported, GroupRepo, ImportRepo, RepoError, Tally};
use usergate_core::user::User;

use super::{Repo, UserRow};
use crate::error::Db;
use crate::schema::{import_runs, users};

/// An import's checkpoint row.
#[derive(Queryable, Insertable)]
#[diesel(table_name = import_runs)]
struct ImportRun {
    run: String,
    records: i64,
    created: i64,
    updated: i64,
    skipped: i64,
    rejected: i64,
    finished_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
}

impl ImportRepo for Repo<'_> {
    fn import_checkpoint(&mut self, run: &str) -> Result<Option<Checkpoint>, RepoError> {
        let row: Option<ImportRun> = import_runs::table.find(run).first(self.0).optional().db()?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(row.map(|r| Checkpoint {
            run: r.run,
            tally: Tally {
                records: count(r.records),
                created: count(r.created),
                updated: count(r.updated),
                skipped: count(r.skipped),
                rejected: count(r.rejected),
            },
            finished: r.finished_at.is_some(),
        }))
    }

    fn put_import_checkpoint(
        &mut self,
        c: &Checkpoint,
        now: NaiveDateTime,
    ) -> Result<(), RepoError> {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let row = ImportRun {
            run: c.run.clone(),
            records: count(c.tally.records),
            created: count(c.tally.created),
            updated: count(c.tally.updated),
            skipped: count(c.tally.skipped),
            rejected: count(c.tally.rejected),
            finished_at: c.finished.then_some(now),
            updated_at: now,
        };
        diesel::delete(import_runs::table.find(&c.run))
            .execute(self.0)
            .db()?;
        diesel::insert_into(import_runs::table)
            .values(&row)
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn export_page(
        &mut self,
        after: Option<UserId>,
        limit: u32,
        include_deleted: bool,
    ) -> Result<Vec<Exported>, RepoError> {
        let mut query = users::table
            .filter(users::id.gt(after.map_or(0, UserId::get)))
            .order(users::id)
            .limit(i64::from(limit))
            .into_boxed();
        if !include_deleted {
            query = query.filter(users::deleted_at.is_null());
        }
        let rows: Vec<UserRow> = query.load(self.0).db()?;
        let ids: Vec<UserId> = rows.iter().map(|r| UserId::new(r.id)).collect();
        let mut groups: HashMap<UserId, Vec<String>> = HashMap::new();
        for (user, group) in self.groups_of(&ids)? {
            groups.entry(user).or_default().push(group.name);
        }
        rows.into_iter()
            .map(|r| {
                let (password_hash, deleted_at) = (r.password_hash.clone(), r.deleted_at);
                let user: User = r.try_into()?;
                Ok(Exported {
                    groups: groups.remove(&user.id).unwrap_or_default(),
                    user,
                    password_hash,
                    deleted_at,
                })
            })
            .collect()
    }
}
