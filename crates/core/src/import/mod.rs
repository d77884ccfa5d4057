//! Importing users from another system, and exporting them.
//!
//! An import is a stream of records, written in batches: each batch is one transaction, which
//! also records how far the import got (its checkpoint), so that running the same import again
//! after an interruption starts after the last committed batch and creates nothing twice. A
//! record keeps the password hash its source stored (a format of [`crate::hashes`]); the
//! user's first login re-hashes it to argon2id. A record that cannot be imported is rejected
//! with its place in the file, field and reason, and the others go on. Core's own file format
//! (CSV or JSON Lines, one column per field) is read and written by [`format`].
//!
//! Exports read users in id order, a page at a time; the password hash leaves core here and
//! nowhere else, and only to the operator (an actor of kind [`crate::ActorKind::System`]).

mod format;

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, RandomState};

use chrono::NaiveDateTime;

use crate::access::{Actor, ActorKind, AdminGrant, require_admin};
use crate::audit::{self, Action, Event, Target};
use crate::domain::{Coarse, Email, UserId};
use crate::error::{Conflict, CoreError, CoreResult, Denied, FieldError};
use crate::group::GroupId;
use crate::groups::join_named;
use crate::hashes;
use crate::patch::Patch;
use crate::ports::{self, Inserted, NewUserRecord, Repos};
use crate::user::{NewUser, ProfileChanges, User, UserChanges, UserKey};
use crate::users::{Prepared, UserService, created_event, no_guard, update_in};

pub use crate::ports::{Checkpoint, Exported, Tally};
pub use format::{COLUMNS, Cell, Row, columns};

/// Where a record is in its file, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// The line the record starts on (1-based).
    pub line: u64,
    /// Which record of the file it is (1-based): in a one-line JSON listing, every record is
    /// on line 1.
    pub record: u64,
}

/// One user read from an import file.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    /// Where the record is in its file, for the report.
    pub at: Position,
    /// The user; its `password` is ignored (an import carries hashes, never passwords).
    pub user: NewUser,
    /// The hash the source system stored, as it stored it.
    pub password_hash: Option<String>,
    /// When the source created the user (now, if it does not say).
    pub created_at: Option<NaiveDateTime>,
    /// When the source deleted the user: it is imported deleted (an export with
    /// `--include-deleted`), invisible everywhere as any deleted user.
    pub deleted_at: Option<NaiveDateTime>,
    /// The groups the user joins (each created, active and not default, if no group has its
    /// name); a deleted user joins none.
    pub groups: Vec<crate::group::GroupName>,
}

/// The field a conflict is about.
fn conflict_field(c: Conflict) -> &'static str {
    match c {
        Conflict::DuplicateLoginName => "login_name",
        Conflict::DuplicateExternalId => "external_id",
        _ => "email",
    }
}

/// A time as import files write it: RFC 3339, or `YYYY-MM-DD HH:MM:SS` with an optional
/// fraction, `T` or a space between date and time, and an optional offset (`+00`, `+0000`,
/// `+00:00`: PostgreSQL's text form of a `timestamptz`); converted to UTC, and taken as UTC
/// without an offset.
pub fn parse_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let utc = chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"]
                .iter()
                .find_map(|f| chrono::DateTime::parse_from_str(s, f).ok())
        })
        .map(|t| t.naive_utc())
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        })?;
    Some(crate::ports::truncate_to_micros(utc))
}

/// What happens to a record whose email a live user already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Keep the existing user; the record counts as skipped.
    Skip,
    /// Change the existing user to the record's values (a new hash, role or status kills its
    /// tokens, as any such change does).
    Update,
    /// Reject the record (reported; the import goes on and exits with rejections).
    Fail,
}

/// A record that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Where it is in its file.
    pub at: Position,
    /// Its email as written, when it has one.
    pub email: Option<String>,
    /// The offending field.
    pub field: String,
    /// Why.
    pub reason: String,
}

impl Rejection {
    /// One rejection per field of a validation error, or one for the whole record.
    pub fn from_error(at: Position, email: Option<&str>, error: &CoreError) -> Vec<Rejection> {
        let one = |field: &str, reason: String| Rejection {
            at,
            email: email.map(str::to_owned),
            field: field.to_owned(),
            reason,
        };
        match error {
            CoreError::Validation(fields) => fields
                .iter()
                .map(|FieldError { field, problem }| one(field, problem.to_string()))
                .collect(),
            CoreError::Conflict(c) => vec![one(conflict_field(*c), c.to_string())],
            other => vec![one("record", other.to_string())],
        }
    }
}

/// One import in progress.
pub struct Import<'a> {
    users: &'a UserService,
    grant: AdminGrant,
    actor: Actor,
    on_conflict: OnConflict,
    dry_run: bool,
    /// A dry run rolls each batch back, so the store cannot tell a later record that an earlier
    /// one has its email: these digests of the emails seen so far do (8 bytes a record).
    seen: Option<(RandomState, HashSet<u64>)>,
    checkpoint: Checkpoint,
}

impl<'a> Import<'a> {
    /// Starts (or, when `run` was interrupted before, resumes) an import. Admins only.
    /// `dry_run` writes nothing: each batch is checked in a transaction that is rolled back.
    pub fn start(
        users: &'a UserService,
        actor: &Actor,
        run: &str,
        on_conflict: OnConflict,
        dry_run: bool,
    ) -> CoreResult<Import<'a>> {
        let grant = require_admin(actor)?;
        let stored = if dry_run {
            None
        } else {
            ports::read(&*users.store, |repo| Ok(repo.import_checkpoint(run)?))?
        };
        Ok(Import {
            users,
            grant,
            actor: actor.clone(),
            on_conflict,
            dry_run,
            seen: dry_run.then(|| (RandomState::new(), HashSet::new())),
            checkpoint: stored.unwrap_or(Checkpoint {
                run: run.to_owned(),
                tally: Tally::default(),
                finished: false,
            }),
        })
    }

    /// Where this import stands: records already done by an earlier, interrupted run of it
    /// (the caller skips that many), and whether it already finished.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// Imports one batch of records, read in order (`Err`: a record the reader could not make
    /// sense of) in one transaction. On an error nothing of the batch is written and the import
    /// stops; its earlier batches stay, and running it again resumes after them.
    pub fn batch(
        &mut self,
        items: Vec<Result<ImportRecord, Vec<Rejection>>>,
    ) -> CoreResult<(Tally, Vec<Rejection>)> {
        let now = self.users.clock.now();
        let mut tally = Tally {
            records: items.len() as u64,
            ..Tally::default()
        };
        let mut rejections = Vec::new();
        let mut records = Vec::with_capacity(items.len());
        for item in items {
            match item.and_then(|r| self.record(r, now)) {
                Ok(r) => records.push(r),
                Err(rejected) => {
                    tally.rejected += 1;
                    rejections.extend(rejected);
                }
            }
        }
        let mut outcome = None;
        let result = self.users.store.write(&mut |repo| {
            let rows: Vec<&NewUserRecord> = records.iter().map(|(_, r)| r).collect();
            let inserted = repo.insert_many(&rows)?;
            // The new live users join the default groups and their own, in the batch's
            // transaction.
            let joining: Vec<(UserId, &ImportRecord)> = records
                .iter()
                .zip(&inserted)
                .filter_map(|((record, _), done)| match done {
                    Inserted::Live(id) => Some((*id, record)),
                    Inserted::Deleted | Inserted::Skipped => None,
                })
                .collect();
            if !joining.is_empty() {
                let ids: Vec<UserId> = joining.iter().map(|(id, _)| *id).collect();
                repo.join_default_groups(&ids)?;
            }
            let mut known = BTreeMap::new();
            for (id, record) in &joining {
                join_named(repo, *id, &record.groups, &mut known, now)?;
            }
            let created: Vec<Event> = records
                .iter()
                .zip(&inserted)
                .filter_map(|((_, row), done)| match done {
                    Inserted::Live(id) => Some(created_event(&inserted_user(*id, row))),
                    Inserted::Deleted | Inserted::Skipped => None,
                })
                .collect();
            audit::record_many(repo, &self.actor, created, now)?;
            let mut done = tally;
            let mut rejected = Vec::new();
            for ((record, row), fresh) in records.iter().zip(&inserted) {
                let earlier = self.seen.as_ref().is_some_and(|(state, seen)| {
                    row.deleted_at.is_none()
                        && seen.contains(&state.hash_one(&row.email_normalized))
                });
                if *fresh != Inserted::Skipped && !earlier {
                    done.created += 1;
                    continue;
                }
                // Skipped by the store, but no live user has the address: another user has
                // the record's login name or external id. That is no user of this record's to
                // skip or update: the record is rejected, naming the field.
                if !earlier
                    && repo
                        .find(&UserKey::Email(record.user.email.clone()))?
                        .is_none()
                {
                    let conflict = match &record.user.login_name {
                        Some(n) if repo.find(&UserKey::LoginName(n.clone()))?.is_some() => {
                            Conflict::DuplicateLoginName
                        }
                        _ => Conflict::DuplicateExternalId,
                    };
                    done.rejected += 1;
                    rejected.push(Rejection {
                        at: record.at,
                        email: Some(row.email.clone()),
                        field: conflict_field(conflict).into(),
                        reason: conflict.to_string(),
                    });
                    continue;
                }
                match self.on_conflict {
                    OnConflict::Skip => done.skipped += 1,
                    OnConflict::Fail => {
                        done.rejected += 1;
                        rejected.push(Rejection {
                            at: record.at,
                            email: Some(row.email.clone()),
                            field: "email".into(),
                            reason: Conflict::DuplicateEmail.to_string(),
                        });
                    }
                    // In a dry run an earlier record of the file is not in the store: updating
                    // it is what the import would do.
                    OnConflict::Update if earlier => done.updated += 1,
                    OnConflict::Update => match self.update(repo, record, row, &mut known, now) {
                        Ok(()) => done.updated += 1,
                        Err(e @ CoreError::Internal(_)) => return Err(e),
                        Err(e) => {
                            done.rejected += 1;
                            rejected.extend(Rejection::from_error(record.at, Some(&row.email), &e));
                        }
                    },
                }
            }
            let mut checkpoint = self.checkpoint.clone();
            checkpoint.tally.add(&done);
            if !self.dry_run {
                repo.put_import_checkpoint(&checkpoint, now)?;
            }
            outcome = Some((checkpoint, done, rejected));
            if self.dry_run {
                return Err(CoreError::Internal("dry run: rolled back".into()));
            }
            Ok(())
        });
        let Some((checkpoint, done, rejected)) = outcome else {
            return Err(result
                .err()
                .unwrap_or_else(|| CoreError::Internal("import batch returned nothing".into())));
        };
        if !self.dry_run {
            result?;
        }
        if let Some((state, seen)) = &mut self.seen {
            for (_, row) in records.iter().filter(|(_, r)| r.deleted_at.is_none()) {
                seen.insert(state.hash_one(&row.email_normalized));
            }
        }
        self.checkpoint = checkpoint;
        rejections.extend(rejected);
        rejections.sort_by_key(|r| r.at);
        Ok((done, rejections))
    }

    /// Marks the import finished (a later run of it has nothing to do) and returns its tally,
    /// with the run's one `import.run` event.
    pub fn finish(mut self) -> CoreResult<Tally> {
        self.checkpoint.finished = true;
        if !self.dry_run {
            let now = self.users.clock.now();
            let t = &self.checkpoint.tally;
            let changes = serde_json::json!({
                "run": self.checkpoint.run,
                "records": t.records,
                "created": t.created,
                "updated": t.updated,
                "skipped": t.skipped,
                "rejected": t.rejected,
            });
            let event = Event::new(Action::ImportRun, Target::none())
                .changes(changes.as_object().cloned().unwrap_or_default());
            ports::write(&*self.users.store, |repo| {
                repo.put_import_checkpoint(&self.checkpoint, now)?;
                audit::record(repo, &self.actor, event.clone(), now)
            })?;
        }
        Ok(self.checkpoint.tally)
    }

    /// The row for a record, or why it cannot be imported.
    fn record(
        &self,
        r: ImportRecord,
        now: NaiveDateTime,
    ) -> Result<(ImportRecord, NewUserRecord), Vec<Rejection>> {
        let email = r.user.email.as_str().to_owned();
        let reject = |e: &CoreError| Rejection::from_error(r.at, Some(&email), e);
        if let Some(hash) = &r.password_hash
            && let Err(refused) = hashes::recognise(hash)
        {
            return Err(vec![Rejection {
                at: r.at,
                email: Some(email),
                field: "password_hash".into(),
                reason: refused.to_string(),
            }]);
        }
        let mut row = self
            .users
            .record(NewUser {
                password: None,
                ..r.user.clone()
            })
            .map_err(|e| reject(&e))?;
        row.password_hash.clone_from(&r.password_hash);
        row.now = r.created_at.unwrap_or(now);
        row.deleted_at = r.deleted_at;
        Ok((r, row))
    }

    /// Changes the live user with the record's email to the record's values.
    fn update(
        &self,
        repo: &mut dyn Repos,
        record: &ImportRecord,
        row: &NewUserRecord,
        known: &mut BTreeMap<String, GroupId>,
        now: NaiveDateTime,
    ) -> CoreResult<()> {
        // The batch is one transaction that goes on past a rejected record, and PostgreSQL
        // ends a transaction at a unique violation: a login name or external id another live
        // user has is refused here, before any write.
        let taken = |user: Option<crate::user::User>| {
            user.is_some_and(|u| u.email.normalized() != row.email_normalized)
        };
        if let Some(n) = &row.login_name
            && taken(repo.find(&UserKey::LoginName(n.clone()))?)
        {
            return Err(CoreError::Conflict(Conflict::DuplicateLoginName));
        }
        if let Some(x) = &row.external_id
            && taken(repo.find(&UserKey::ExternalId(x.clone()))?)
        {
            return Err(CoreError::Conflict(Conflict::DuplicateExternalId));
        }
        // The same hash again is no password change (it would kill the user's tokens).
        let current = repo.credentials(&row.email_normalized)?;
        let hash = row
            .password_hash
            .clone()
            .filter(|h| current.as_ref().and_then(|c| c.password_hash.as_ref()) != Some(h));
        let changes = UserChanges {
            name: record.user.name.clone().map(|_| row.name.clone()),
            // An empty class: the record's value exactly.
            role: Some(Coarse::exact(row.role, &[])),
            status: Some(Coarse::exact(row.status, &[])),
            profile: ProfileChanges::setting(&row.profile),
            attributes: row.attributes.clone(),
            employee_number: Patch::set_if(row.employee_number),
            external_id: Patch::set_if(row.external_id.clone()),
            login_name: Patch::set_if(row.login_name.clone()),
            ..UserChanges::default()
        };
        let key = UserKey::Email(record.user.email.clone());
        let prepared = Prepared { changes, hash };
        let user = update_in(
            repo,
            self.grant,
            &self.actor,
            None,
            &key,
            &prepared,
            &no_guard,
            now,
        )?;
        join_named(repo, user.id, &record.groups, known, now)
    }
}

/// The user a row became when it was inserted live with this id.
fn inserted_user(id: UserId, row: &NewUserRecord) -> User {
    User {
        id,
        email: Email::from_trusted(row.email.clone(), row.email_normalized.clone()),
        name: row.name.clone(),
        profile: row.profile.clone(),
        role: row.role,
        status: row.status,
        has_password: row.password_hash.is_some(),
        employee_number: row.employee_number,
        external_id: row.external_id.clone(),
        login_name: row.login_name.clone(),
        attributes: row.attributes.clone(),
        credentials_version: 0,
        created_at: row.now,
        updated_at: row.now,
        last_login_at: None,
    }
}

impl UserService {
    /// Up to `limit` users with an id above `after`, in id order: live ones, and deleted ones
    /// with `include_deleted`. Password hashes only with `with_hashes`, and only for the
    /// operator: they leave core nowhere else.
    pub fn export_page(
        &self,
        actor: &Actor,
        after: Option<UserId>,
        limit: u32,
        include_deleted: bool,
        with_hashes: bool,
    ) -> CoreResult<Vec<Exported>> {
        require_admin(actor)?;
        if with_hashes && actor.kind != ActorKind::System {
            return Err(CoreError::Forbidden(Denied::NotAdmin));
        }
        let mut page = ports::read(&*self.store, |repo| {
            Ok(repo.export_page(after, limit, include_deleted)?)
        })?;
        if !with_hashes {
            for e in &mut page {
                e.password_hash = None;
            }
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_are_read_in_the_forms_exports_write_them() {
        let t = |s: &str| parse_time(s).map(|t| t.to_string());
        let at = Some("2021-03-04 10:00:00".to_owned());
        for s in [
            "2021-03-04T10:00:00Z",
            "2021-03-04T11:00:00+01:00",
            "2021-03-04 10:00:00",
            "2021-03-04T10:00:00",
            "2021-03-04 10:00:00+00",
            "2021-03-04 12:00:00+0200",
            "2021-03-04 05:00:00-05:00",
            " 2021-03-04 10:00:00.000000Z ",
        ] {
            assert_eq!(t(s), at, "{s}");
        }
        assert_eq!(
            t("2021-03-04 10:00:00.1234567"),
            Some("2021-03-04 10:00:00.123456".to_owned()),
            "microseconds, as both stores keep"
        );
        for s in [
            "",
            "yesterday",
            "2021-03-04",
            "2021-13-04 10:00:00",
            "10:00:00",
        ] {
            assert_eq!(t(s), None, "{s:?}");
        }
    }
}
