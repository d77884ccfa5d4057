//! What the store's tests share: a migrated store, a user record, a test on each backend.

#![allow(dead_code, unused_macros)] // each test file uses its own part

use chrono::NaiveDate;
use usergate_core::domain::{Role, Status};
use usergate_core::ports::{self, NewUserRecord};
use usergate_core::query::{Direction, Field, Query};
use usergate_core::{CoreError, Email, Page, Profile};
use usergate_store::Store;
use usergate_store::testdb::TestDb;

pub fn open(db: &TestDb) -> Store {
    Store::migrate(db.url()).expect("migrate");
    Store::open(db.url(), Some(8)).expect("open")
}

pub fn record(email: &str) -> NewUserRecord {
    let e = Email::parse(email).expect("email");
    NewUserRecord {
        email: e.as_str().to_owned(),
        email_normalized: e.normalized().to_owned(),
        name: e.local_part().to_owned(),
        profile: Profile::default(),
        role: Role::User,
        status: Status::Active,
        password_hash: Some("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into()),
        employee_number: Some(7),
        external_id: None,
        login_name: None,
        attributes: serde_json::Map::new(),
        now: NaiveDate::from_ymd_opt(2026, 1, 2)
            .and_then(|d| d.and_hms_micro_opt(3, 4, 5, 123_456))
            .expect("date"),
        deleted_at: None,
    }
}

pub fn insert(store: &Store, email: &str) -> Result<usergate_core::User, CoreError> {
    let r = record(email);
    ports::write(store, |repo| Ok(repo.insert(&r)?))
}

/// A page of users in creation order (ties broken by id).
pub fn list(store: &Store, limit: u32, offset: u64) -> Vec<usergate_core::User> {
    let q = Query {
        cond: None,
        order: vec![(Field::CreatedAt, Direction::Asc)],
        page: Page { limit, offset },
        count: false,
    };
    ports::read(store, |repo| Ok(repo.query(&q)?))
        .expect("list")
        .items
}

/// A test on each backend, with a migrated database (`of`) or one never migrated (`empty`).
macro_rules! both {
    ($name:ident, $body:expr) => {
        both!($name, of, $body);
    };
    ($name:ident, $make:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn postgres() {
                ($body)(TestDb::$make("postgres"));
            }
            #[test]
            fn sqlite() {
                ($body)(TestDb::$make("sqlite"));
            }
        }
    };
}

pub(crate) use both;

/// Ends every PostgreSQL connection to the test's database (an administrator's
/// `pg_terminate_backend`, a restarted server).
pub fn terminate_backends(db: &TestDb) {
    use diesel::prelude::*;
    let name = db.url().rsplit('/').next().expect("database name");
    let admin = format!("{}/postgres", usergate_store::testdb::pg_admin_url());
    let mut conn = diesel::PgConnection::establish(&admin).expect("admin connection");
    diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(&mut conn)
    .expect("terminate");
}
