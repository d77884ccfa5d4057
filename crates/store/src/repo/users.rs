//! The users port: `users` rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use usergate_core::domain::{LoginName, Role, Status, UserId};
use usergate_core::patch::Patch;
use usergate_core::ports::{
    CodeRepo, Credentials, Inserted, NewUserRecord, PrincipalRecord, RepoError, UserRepo,
    UserUpdate,
};
use usergate_core::query::{Found, Query};
use usergate_core::user::{User, UserKey};

use super::{PRINCIPAL_COLUMNS, PrincipalRow, Repo, UserRow, parse, to_users};
use crate::db::{self, DbConnection};
use crate::error::{Db, StoreError};
use crate::query;
use crate::schema::{machine_credentials, users};

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
    external_id: Option<&'a str>,
    login_name: Option<&'a str>,
    login_name_normalized: Option<&'a str>,
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
            external_id: u.external_id.as_deref(),
            login_name: u.login_name.as_ref().map(LoginName::as_str),
            login_name_normalized: u.login_name.as_ref().map(LoginName::normalized),
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

/// Inserts rows in one statement, skipping each whose address, login name or external id a
/// live user (or an earlier row) has; returns the ids and normalised addresses inserted.
fn insert_rows_or_skip(
    conn: &mut DbConnection,
    rows: &[NewRow<'_>],
) -> QueryResult<Vec<(i64, String)>> {
    let returned = (users::id, users::email_normalized);
    match conn {
        DbConnection::Pg(c) => diesel::insert_into(users::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(returned)
            .get_results(c),
        DbConnection::Sqlite(c) => diesel::insert_into(users::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(returned)
            .get_results(c),
    }
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
    external_id: Option<Option<&'a str>>,
    login_name: Option<Option<&'a str>>,
    login_name_normalized: Option<Option<&'a str>>,
}

type Credential = (i64, Option<String>, String, String, i64);

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

/// A keep / clear / set change as diesel's changeset takes it (`None` keeps the column).
#[allow(clippy::option_option)]
fn column<T>(change: Patch<T>) -> Option<Option<T>> {
    match change {
        Patch::Absent => None,
        Patch::Null => Some(None),
        Patch::Value(v) => Some(Some(v)),
    }
}

pub(super) fn text(change: &Patch<String>) -> Option<Option<&str>> {
    column(change.as_ref().map(String::as_str))
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

    fn insert_many(&mut self, many: &[&NewUserRecord]) -> Result<Vec<Inserted>, RepoError> {
        let (deleted, live): (Vec<NewRow<'_>>, Vec<NewRow<'_>>) = many
            .iter()
            .map(|u| NewRow::of(u))
            .partition(|r| r.deleted_at.is_some());
        if !deleted.is_empty() {
            insert_rows(self.0, &deleted).db()?;
        }
        // Each live address the statement inserted, once: the first record with it.
        let mut inserted: std::collections::HashMap<String, i64> = if live.is_empty() {
            Default::default()
        } else {
            insert_rows_or_skip(self.0, &live)
                .db()?
                .into_iter()
                .map(|(id, email)| (email, id))
                .collect()
        };
        Ok(many
            .iter()
            .map(
                |u| match (u.deleted_at, inserted.remove(&u.email_normalized)) {
                    (Some(_), _) => Inserted::Deleted,
                    (None, Some(id)) => Inserted::Live(UserId::new(id)),
                    (None, None) => Inserted::Skipped,
                },
            )
            .collect())
    }

    fn find(&mut self, key: &UserKey) -> Result<Option<User>, RepoError> {
        // Not boxed: a query of a fixed shape is prepared once per connection and cached
        // (diesel caches statements whose SQL is known from their type). No `LIMIT` (each key is
        // unique among live users): SQLite plans a bound `LIMIT ?` by its value and so prepares
        // the statement again whenever it is bound, which diesel does on every execution.
        let live = users::table.filter(users::deleted_at.is_null());
        let row: Option<UserRow> = match key {
            UserKey::Id(id) => live.filter(users::id.eq(id.get())).get_result(self.0),
            UserKey::Email(e) => live
                .filter(users::email_normalized.eq(e.normalized()))
                .get_result(self.0),
            UserKey::LoginName(n) => live
                .filter(users::login_name_normalized.eq(n.normalized()))
                .get_result(self.0),
            UserKey::ExternalId(x) => live.filter(users::external_id.eq(x)).get_result(self.0),
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
        // A page that is not full, and not past the end, ends the matches: its offset and length
        // are the total, with no count (one user's search, a small group).
        let ended = rows.len() < usize::try_from(q.page.limit).unwrap_or(usize::MAX)
            && (!rows.is_empty() || q.page.offset == 0);
        let total = match (q.count, &q.cond) {
            (false, _) => None,
            (true, _) if ended => Some(
                i64::try_from(q.page.offset)
                    .unwrap_or(i64::MAX)
                    .saturating_add(i64::try_from(rows.len()).unwrap_or(0)),
            ),
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
            first_name: text(&pc.first_name),
            last_name: text(&pc.last_name),
            title: text(&pc.title),
            phone: text(&pc.phone),
            alternate_email: text(&pc.alternate_email),
            location: text(&pc.location),
            timezone: text(&pc.timezone),
            locale: text(&pc.locale),
            avatar_url: text(&pc.avatar_url),
            attributes: u
                .attributes
                .as_ref()
                .map(|a| serde_json::Value::Object(a.clone()).to_string()),
            employee_number: column(u.employee_number),
            email_normalized: u.email.as_ref().map(|(_, n)| n.as_str()),
            name: u.name.as_deref(),
            role: u.role.map(Role::as_str),
            status: u.status.map(Status::as_str),
            password_hash: u.password_hash.as_deref(),
            deleted_at: u.deleted_at,
            last_login_at: u.last_login_at,
            updated_at: u.updated_at,
            external_id: text(&u.external_id),
            login_name: column(u.login_name.as_ref().map(LoginName::as_str)),
            login_name_normalized: column(u.login_name.as_ref().map(LoginName::normalized)),
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

    fn any_admin(&mut self) -> Result<bool, RepoError> {
        let n: i64 = Self::live()
            .filter(users::role.eq(Role::Admin.as_str()))
            .count()
            .get_result(self.0)
            .db()?;
        Ok(n > 0)
    }
}

/// The row of `live_user_count`.
#[derive(diesel::QueryableByName)]
struct LiveCount {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
