//! The core's ports over one connection, inside whatever transaction the caller runs: one
//! file per port (users, groups, tokens, codes, machine credentials, imports).

mod audit;
mod codes;
mod credentials;
mod groups;
mod imports;
mod tokens;
mod users;
mod webhooks;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use usergate_core::domain::{Email, LoginName, UserId};
use usergate_core::ports::{PrincipalRecord, RepoError};
use usergate_core::user::{Profile, User};

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::schema::users as table;

/// The repository over one connection.
pub struct Repo<'c>(pub &'c mut DbConnection);

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
    external_id: Option<String>,
    login_name: Option<String>,
    login_name_normalized: Option<String>,
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
            external_id: r.external_id,
            login_name: r
                .login_name
                .zip(r.login_name_normalized)
                .map(|(name, normalized)| LoginName::from_trusted(name, normalized)),
            attributes,
            credentials_version: r.credentials_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_login_at: r.last_login_at,
        })
    }
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
    table::id,
    table::role,
    table::status,
    table::credentials_version,
    table::deleted_at,
) = (
    table::id,
    table::role,
    table::status,
    table::credentials_version,
    table::deleted_at,
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
