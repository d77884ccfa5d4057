//! The core's `UserRepo` port over one connection, inside whatever transaction the caller runs.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use usergate_core::domain::{Email, Role, Status, UserId};
use usergate_core::import::{Checkpoint, Exported, Tally};
use usergate_core::machine::{CredentialKind, CredentialRecord, MachineCredential};
use usergate_core::ports::{
    CodePurpose, CodeRecord, Credentials, NewUserRecord, PrincipalRecord, RepoError, UserRepo,
    UserUpdate,
};
use usergate_core::query::{Found, Query};
use usergate_core::user::{Profile, User, UserKey};

use crate::db::{self, DbConnection};
use crate::error::{Db, StoreError};
use crate::query;
use crate::schema::{import_runs, machine_credentials, revoked_tokens, user_codes, users};

/// A user row, in `users::all_columns` order.
#[derive(Queryable)]
struct UserRow {
    id: i64,
    email: String,
    email_normalized: String,
    name: String,
    first_name: Option<String>,
    last_name: Option<String>,
    title: Option<String>,
    phone: Option<String>,
    alternate_email: Option<String>,
    location: Option<String>,
    timezone: Option<String>,
    locale: Option<String>,
    avatar_url: Option<String>,
    role: String,
    status: String,
    password_hash: Option<String>,
    employee_number: Option<i64>,
    credentials_version: i64,
    attributes: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    last_login_at: Option<NaiveDateTime>,
    /// Lookups filter on it in SQL; exports read it.
    deleted_at: Option<NaiveDateTime>,
}

impl TryFrom<UserRow> for User {
    type Error = RepoError;

    fn try_from(r: UserRow) -> Result<Self, RepoError> {
        let corrupt =
            |what: &str| RepoError::from(StoreError::Corrupt(format!("user {}: {what}", r.id)));
        let attributes = match serde_json::from_str(&r.attributes) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err(corrupt("attributes is not a JSON object")),
        };
        Ok(User {
            id: UserId::new(r.id),
            email: Email::from_trusted(r.email, r.email_normalized),
            name: r.name,
            profile: Profile {
                first_name: r.first_name,
                last_name: r.last_name,
                title: r.title,
                phone: r.phone,
                alternate_email: r.alternate_email,
                location: r.location,
                timezone: r.timezone,
                locale: r.locale,
                avatar_url: r.avatar_url,
            },
            role: r.role.parse().map_err(|_| corrupt("role"))?,
            status: r.status.parse().map_err(|_| corrupt("status"))?,
            has_password: r.password_hash.is_some(),
            employee_number: r.employee_number,
            attributes,
            credentials_version: r.credentials_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_login_at: r.last_login_at,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
// Absent values are NULL, not DEFAULT: SQLite's multi-row insert (imports) has no DEFAULT.
#[diesel(treat_none_as_default_value = false)]
struct NewRow<'a> {
    email: &'a str,
    email_normalized: &'a str,
    name: &'a str,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    title: Option<&'a str>,
    phone: Option<&'a str>,
    alternate_email: Option<&'a str>,
    location: Option<&'a str>,
    timezone: Option<&'a str>,
    locale: Option<&'a str>,
    avatar_url: Option<&'a str>,
    role: &'a str,
    status: &'a str,
    password_hash: Option<&'a str>,
    employee_number: Option<i64>,
    credentials_version: i64,
    attributes: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    deleted_at: Option<NaiveDateTime>,
}

impl<'a> NewRow<'a> {
    fn of(u: &'a NewUserRecord) -> Self {
        let p = &u.profile;
        NewRow {
            email: &u.email,
            email_normalized: &u.email_normalized,
            name: &u.name,
            first_name: p.first_name.as_deref(),
            last_name: p.last_name.as_deref(),
            title: p.title.as_deref(),
            phone: p.phone.as_deref(),
            alternate_email: p.alternate_email.as_deref(),
            location: p.location.as_deref(),
            timezone: p.timezone.as_deref(),
            locale: p.locale.as_deref(),
            avatar_url: p.avatar_url.as_deref(),
            role: u.role.as_str(),
            status: u.status.as_str(),
            password_hash: u.password_hash.as_deref(),
            employee_number: u.employee_number,
            credentials_version: 1,
            attributes: serde_json::Value::Object(u.attributes.clone()).to_string(),
            created_at: u.now,
            updated_at: u.now,
            deleted_at: u.deleted_at,
        }
    }
}

/// Inserts rows in one statement (diesel's batch insert is per backend, not on the
/// multi-backend connection).
fn insert_rows(conn: &mut DbConnection, rows: &[NewRow<'_>]) -> QueryResult<usize> {
    match conn {
        DbConnection::Pg(c) => diesel::insert_into(users::table).values(rows).execute(c),
        DbConnection::Sqlite(c) => diesel::insert_into(users::table).values(rows).execute(c),
    }
}

/// Inserts rows in one statement, skipping each whose address a live user (or an earlier row)
/// has; returns the normalised addresses inserted.
fn insert_rows_or_skip(conn: &mut DbConnection, rows: &[NewRow<'_>]) -> QueryResult<Vec<String>> {
    match conn {
        DbConnection::Pg(c) => diesel::insert_into(users::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(users::email_normalized)
            .get_results(c),
        DbConnection::Sqlite(c) => diesel::insert_into(users::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(users::email_normalized)
            .get_results(c),
    }
}

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

#[derive(AsChangeset)]
#[diesel(table_name = users)]
#[allow(clippy::option_option)] // keep (None) / clear (Some(None)) / set
struct Changes<'a> {
    email: Option<&'a str>,
    first_name: Option<Option<&'a str>>,
    last_name: Option<Option<&'a str>>,
    title: Option<Option<&'a str>>,
    phone: Option<Option<&'a str>>,
    alternate_email: Option<Option<&'a str>>,
    location: Option<Option<&'a str>>,
    timezone: Option<Option<&'a str>>,
    locale: Option<Option<&'a str>>,
    avatar_url: Option<Option<&'a str>>,
    attributes: Option<String>,
    employee_number: Option<Option<i64>>,
    email_normalized: Option<&'a str>,
    name: Option<&'a str>,
    role: Option<&'a str>,
    status: Option<&'a str>,
    password_hash: Option<&'a str>,
    deleted_at: Option<NaiveDateTime>,
    last_login_at: Option<NaiveDateTime>,
    updated_at: Option<NaiveDateTime>,
}

type Credential = (i64, Option<String>, String, String, i64);

/// The repository over one connection.
pub struct Repo<'c>(pub &'c mut DbConnection);

impl Repo<'_> {
    fn live() -> users::BoxedQuery<'static, <DbConnection as Connection>::Backend> {
        users::table
            .filter(users::deleted_at.is_null())
            .into_boxed()
    }

    fn credentials_where(
        &mut self,
        query: users::BoxedQuery<'_, <DbConnection as Connection>::Backend>,
    ) -> Result<Option<Credentials>, RepoError> {
        let row: Option<Credential> = query
            .select((
                users::id,
                users::password_hash,
                users::role,
                users::status,
                users::credentials_version,
            ))
            .first(self.0)
            .optional()
            .db()?;
        row.map(|(id, password_hash, role, status, credentials_version)| {
            Ok(Credentials {
                id: UserId::new(id),
                password_hash,
                role: parse(&role)?,
                status: parse(&status)?,
                credentials_version,
            })
        })
        .transpose()
    }
}

/// A keep / clear / set change as the changeset borrows it.
#[allow(clippy::option_option)]
fn opt(c: &Option<Option<String>>) -> Option<Option<&str>> {
    c.as_ref().map(|v| v.as_deref())
}

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, RepoError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown stored value {s:?}")).into())
}

fn to_users(rows: Vec<UserRow>) -> Result<Vec<User>, RepoError> {
    rows.into_iter().map(User::try_from).collect()
}

/// The columns a principal is read from.
const PRINCIPAL_COLUMNS: (
    users::id,
    users::role,
    users::status,
    users::credentials_version,
    users::deleted_at,
) = (
    users::id,
    users::role,
    users::status,
    users::credentials_version,
    users::deleted_at,
);

#[derive(Queryable)]
struct PrincipalRow {
    id: i64,
    role: String,
    status: String,
    credentials_version: i64,
    deleted_at: Option<NaiveDateTime>,
}

impl PrincipalRow {
    fn record(self) -> Result<PrincipalRecord, RepoError> {
        Ok(PrincipalRecord {
            id: UserId::new(self.id),
            role: parse(&self.role)?,
            status: parse(&self.status)?,
            credentials_version: self.credentials_version,
            deleted: self.deleted_at.is_some(),
        })
    }
}

impl UserRepo for Repo<'_> {
    fn insert(&mut self, u: &NewUserRecord) -> Result<User, RepoError> {
        let row = NewRow::of(u);
        let inserted: UserRow = diesel::insert_into(users::table)
            .values(&row)
            .returning(users::all_columns)
            .get_result(self.0)
            .db()?;
        inserted.try_into()
    }

    fn insert_many(&mut self, many: &[&NewUserRecord]) -> Result<Vec<bool>, RepoError> {
        let (deleted, live): (Vec<NewRow<'_>>, Vec<NewRow<'_>>) = many
            .iter()
            .map(|u| NewRow::of(u))
            .partition(|r| r.deleted_at.is_some());
        if !deleted.is_empty() {
            insert_rows(self.0, &deleted).db()?;
        }
        // Each live address the statement inserted, once: the first record with it.
        let mut inserted: std::collections::HashSet<String> = if live.is_empty() {
            Default::default()
        } else {
            insert_rows_or_skip(self.0, &live)
                .db()?
                .into_iter()
                .collect()
        };
        Ok(many
            .iter()
            .map(|u| u.deleted_at.is_some() || inserted.remove(&u.email_normalized))
            .collect())
    }

    fn find(&mut self, key: &UserKey) -> Result<Option<User>, RepoError> {
        // Not boxed: a query of a fixed shape is prepared once per connection and cached
        // (diesel caches statements whose SQL is known from their type).
        let live = users::table.filter(users::deleted_at.is_null());
        let row: Option<UserRow> = match key {
            UserKey::Id(id) => live.filter(users::id.eq(id.get())).first(self.0),
            UserKey::Email(e) => live
                .filter(users::email_normalized.eq(e.normalized()))
                .first(self.0),
        }
        .optional()
        .db()?;
        row.map(User::try_from).transpose()
    }

    fn query(&mut self, q: &Query) -> Result<Found<User>, RepoError> {
        let engine = query::Engine::of(self.0);
        let rows: Vec<UserRow> = query::ordered(query::matching(q, engine), &q.order)
            .limit(i64::from(q.page.limit))
            .offset(i64::try_from(q.page.offset).unwrap_or(i64::MAX))
            .load(self.0)
            .db()?;
        let total = match (q.count, &q.cond) {
            (false, _) => None,
            // Every live user: the counter the triggers of migration 000006 keep exact.
            (true, None) => {
                let row: LiveCount = diesel::sql_query("SELECT n FROM live_user_count")
                    .get_result(self.0)
                    .db()?;
                Some(row.n)
            }
            // A statement of its own on purpose: with a window count (`count(*) OVER ()`) on
            // the page's statement, PostgreSQL keeps the page's plan (walk the order's index
            // until 20 rows match) and walks all of it to count: 1.3 s instead of 7 ms + 70 ms
            // for a 1% search over 1,000,000 users.
            (true, Some(_)) => Some(query::matching(q, engine).count().get_result(self.0).db()?),
        };
        Ok(Found {
            items: to_users(rows)?,
            total: total.map(|n: i64| u64::try_from(n).unwrap_or(0)),
        })
    }

    fn update(&mut self, id: UserId, u: &UserUpdate) -> Result<User, RepoError> {
        let pc = &u.profile;
        let changes = Changes {
            email: u.email.as_ref().map(|(e, _)| e.as_str()),
            first_name: opt(&pc.first_name),
            last_name: opt(&pc.last_name),
            title: opt(&pc.title),
            phone: opt(&pc.phone),
            alternate_email: opt(&pc.alternate_email),
            location: opt(&pc.location),
            timezone: opt(&pc.timezone),
            locale: opt(&pc.locale),
            avatar_url: opt(&pc.avatar_url),
            attributes: u
                .attributes
                .as_ref()
                .map(|a| serde_json::Value::Object(a.clone()).to_string()),
            employee_number: u.employee_number,
            email_normalized: u.email.as_ref().map(|(_, n)| n.as_str()),
            name: u.name.as_deref(),
            role: u.role.map(Role::as_str),
            status: u.status.map(Status::as_str),
            password_hash: u.password_hash.as_deref(),
            deleted_at: u.deleted_at,
            last_login_at: u.last_login_at,
            updated_at: u.updated_at,
        };
        let target = users::table
            .filter(users::id.eq(id.get()))
            .filter(users::deleted_at.is_null());
        let n = if u.bump_credentials {
            diesel::update(target)
                .set((
                    changes,
                    users::credentials_version.eq(users::credentials_version + 1),
                ))
                .execute(self.0)
                .db()?
        } else {
            diesel::update(target).set(changes).execute(self.0).db()?
        };
        if n != 1 {
            return Err(
                StoreError::Corrupt(format!("update of user {id} touched {n} rows")).into(),
            );
        }
        let row: UserRow = users::table.find(id.get()).first(self.0).db()?;
        row.try_into()
    }

    fn credentials(&mut self, email_normalized: &str) -> Result<Option<Credentials>, RepoError> {
        self.credentials_where(
            Self::live().filter(users::email_normalized.eq(email_normalized.to_owned())),
        )
    }

    fn credentials_by_id(&mut self, id: UserId) -> Result<Option<Credentials>, RepoError> {
        self.credentials_where(Self::live().filter(users::id.eq(id.get())))
    }

    fn principal(&mut self, id: UserId) -> Result<Option<PrincipalRecord>, RepoError> {
        let row: Option<PrincipalRow> = users::table
            .find(id.get())
            .select(PRINCIPAL_COLUMNS)
            .first(self.0)
            .optional()
            .db()?;
        row.map(PrincipalRow::record).transpose()
    }

    fn token_principal(
        &mut self,
        id: UserId,
        jti: &str,
    ) -> Result<Option<(PrincipalRecord, bool)>, RepoError> {
        // One statement for what a request with a revocable token needs on every call.
        let row: Option<(PrincipalRow, bool)> = users::table
            .find(id.get())
            .select((
                PRINCIPAL_COLUMNS,
                diesel::dsl::exists(revoked_tokens::table.find(jti.to_owned())),
            ))
            .first(self.0)
            .optional()
            .db()?;
        row.map(|(p, revoked)| Ok((p.record()?, revoked)))
            .transpose()
    }

    fn count_login_capable_admins(&mut self) -> Result<i64, RepoError> {
        Self::live()
            .filter(users::role.eq(Role::Admin.as_str()))
            .filter(users::status.eq(Status::Active.as_str()))
            .filter(users::password_hash.is_not_null())
            .count()
            .get_result(self.0)
            .db()
    }

    fn lock_admin_set(&mut self) -> Result<(), RepoError> {
        db::lock_admin_set(self.0).db()
    }

    fn revoke_token(
        &mut self,
        jti: &str,
        expires_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<(), RepoError> {
        diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now)))
            .execute(self.0)
            .db()?;
        let revoked = revoked_tokens::table
            .find(jti)
            .count()
            .get_result::<i64>(self.0)
            .db()?;
        if revoked == 0 {
            diesel::insert_into(revoked_tokens::table)
                .values((
                    revoked_tokens::jti.eq(jti),
                    revoked_tokens::expires_at.eq(expires_at),
                ))
                .execute(self.0)
                .db()?;
        }
        Ok(())
    }

    fn put_code(
        &mut self,
        code: &CodeRecord,
        forget_before: NaiveDateTime,
    ) -> Result<(), RepoError> {
        diesel::delete(user_codes::table.filter(user_codes::expires_at.lt(forget_before)))
            .execute(self.0)
            .db()?;
        diesel::delete(
            user_codes::table
                .filter(user_codes::user_id.eq(code.user_id.get()))
                .filter(user_codes::purpose.eq(code.purpose.as_str())),
        )
        .execute(self.0)
        .db()?;
        diesel::insert_into(user_codes::table)
            .values((
                user_codes::digest.eq(&code.digest),
                user_codes::user_id.eq(code.user_id.get()),
                user_codes::purpose.eq(code.purpose.as_str()),
                user_codes::expires_at.eq(code.expires_at),
            ))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn find_code(&mut self, digest: &str) -> Result<Option<CodeRecord>, RepoError> {
        let row: Option<(String, i64, String, NaiveDateTime)> = user_codes::table
            .find(digest)
            .select((
                user_codes::digest,
                user_codes::user_id,
                user_codes::purpose,
                user_codes::expires_at,
            ))
            .first(self.0)
            .optional()
            .db()?;
        row.map(|(digest, user_id, purpose, expires_at)| {
            let purpose = CodePurpose::parse(&purpose)
                .ok_or_else(|| RepoError::Failure(format!("unknown code purpose {purpose:?}")))?;
            Ok(CodeRecord {
                digest,
                user_id: UserId::new(user_id),
                purpose,
                expires_at,
            })
        })
        .transpose()
    }

    fn delete_codes(&mut self, user: UserId) -> Result<(), RepoError> {
        diesel::delete(user_codes::table.filter(user_codes::user_id.eq(user.get())))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn find_including_deleted(&mut self, id: UserId) -> Result<Option<(User, bool)>, RepoError> {
        let row: Option<UserRow> = users::table
            .filter(users::id.eq(id.get()))
            .first(self.0)
            .optional()
            .db()?;
        row.map(|r| {
            let deleted = r.deleted_at.is_some();
            Ok((User::try_from(r)?, deleted))
        })
        .transpose()
    }

    fn insert_credential(&mut self, record: &CredentialRecord) -> Result<(), RepoError> {
        let c = &record.credential;
        diesel::insert_into(machine_credentials::table)
            .values((
                machine_credentials::id.eq(&c.id),
                machine_credentials::kind.eq(c.kind.as_str()),
                machine_credentials::secret_digest.eq(&record.secret_digest),
                machine_credentials::owner_id.eq(c.owner.get()),
                machine_credentials::name.eq(&c.name),
                machine_credentials::scopes.eq(c.scopes.join(" ")),
                machine_credentials::created_at.eq(c.created_at),
                machine_credentials::expires_at.eq(c.expires_at),
                machine_credentials::revoked_at.eq(c.revoked_at),
            ))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn find_credential(&mut self, id: &str) -> Result<Option<CredentialRecord>, RepoError> {
        let row: Option<CredentialRow> = machine_credentials::table
            .find(id)
            .first(self.0)
            .optional()
            .db()?;
        row.map(CredentialRow::into_record).transpose()
    }

    fn list_credentials(
        &mut self,
        kind: CredentialKind,
    ) -> Result<Vec<MachineCredential>, RepoError> {
        let rows: Vec<CredentialRow> = machine_credentials::table
            .filter(machine_credentials::kind.eq(kind.as_str()))
            .order((machine_credentials::created_at, machine_credentials::id))
            .load(self.0)
            .db()?;
        rows.into_iter()
            .map(|r| r.into_record().map(|r| r.credential))
            .collect()
    }

    fn revoke_credential(&mut self, id: &str, now: NaiveDateTime) -> Result<(), RepoError> {
        diesel::update(
            machine_credentials::table
                .find(id)
                .filter(machine_credentials::revoked_at.is_null()),
        )
        .set(machine_credentials::revoked_at.eq(Some(now)))
        .execute(self.0)
        .db()?;
        Ok(())
    }

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
        rows.into_iter()
            .map(|r| {
                let (password_hash, deleted_at) = (r.password_hash.clone(), r.deleted_at);
                Ok(Exported {
                    user: r.try_into()?,
                    password_hash,
                    deleted_at,
                })
            })
            .collect()
    }

    fn purge(&mut self, user: UserId) -> Result<(), RepoError> {
        diesel::delete(
            machine_credentials::table.filter(machine_credentials::owner_id.eq(user.get())),
        )
        .execute(self.0)
        .db()?;
        self.delete_codes(user)?;
        diesel::delete(users::table.find(user.get()))
            .execute(self.0)
            .db()?;
        Ok(())
    }

    fn is_token_revoked(&mut self, jti: &str) -> Result<bool, RepoError> {
        let n: i64 = revoked_tokens::table
            .find(jti)
            .count()
            .get_result(self.0)
            .db()?;
        Ok(n > 0)
    }

    fn any_admin(&mut self) -> Result<bool, RepoError> {
        let n: i64 = Self::live()
            .filter(users::role.eq(Role::Admin.as_str()))
            .count()
            .get_result(self.0)
            .db()?;
        Ok(n > 0)
    }
}

/// A `machine_credentials` row.
#[derive(Queryable)]
struct CredentialRow {
    id: String,
    kind: String,
    secret_digest: String,
    owner_id: i64,
    name: String,
    scopes: String,
    created_at: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

impl CredentialRow {
    fn into_record(self) -> Result<CredentialRecord, RepoError> {
        let kind = CredentialKind::parse(&self.kind).ok_or_else(|| {
            RepoError::from(StoreError::Corrupt(format!(
                "unknown credential kind {:?}",
                self.kind
            )))
        })?;
        Ok(CredentialRecord {
            credential: MachineCredential {
                id: self.id,
                kind,
                owner: UserId::new(self.owner_id),
                name: self.name,
                scopes: self.scopes.split_whitespace().map(str::to_owned).collect(),
                created_at: self.created_at,
                expires_at: self.expires_at,
                revoked_at: self.revoked_at,
            },
            secret_digest: self.secret_digest,
        })
    }
}

/// The row of `live_user_count`.
#[derive(diesel::QueryableByName)]
struct LiveCount {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
