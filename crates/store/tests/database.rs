//! The databases themselves, on real PostgreSQL and SQLite: migrations, `schema.rs` against
//! the migrated tables, settings shared by instances, the exact live-user counter, and a pool
//! that survives its connections being killed.

mod common;
use common::{both, insert, list, open, record, terminate_backends};

use usergate_core::ports::{self, SettingsStore, UserUpdate};
use usergate_core::query::Query;
use usergate_core::{CoreError, Page};
use usergate_store::Store;
use usergate_store::testdb::TestDb;

both!(settings_agree_across_instances, |db: TestDb| {
    let a = open(&db);
    let b = Store::open(db.url(), Some(2)).expect("second instance");
    let first = a.get_or_init("jwt", "from-a").expect("a");
    let second = b.get_or_init("jwt", "from-b").expect("b");
    assert_eq!(first, "from-a");
    assert_eq!(second, "from-a");
});

both!(migrations_are_idempotent, empty, |db: TestDb| {
    let applied = Store::migrate(db.url()).expect("first");
    assert_eq!(applied.len(), 11);
    assert!(Store::migrate(db.url()).expect("second").is_empty());
    assert!(Store::open(db.url(), None).expect("open").ping().is_ok());
});

/// `(table, [(column, nullable)])` as `schema.rs` declares them.
fn declared_schema() -> Vec<(String, Vec<(String, bool)>)> {
    let text = include_str!("../src/schema.rs");
    let mut tables = Vec::new();
    for block in text.split("diesel::table! {").skip(1) {
        // The table's braces end at the first unindented `}`.
        let block = block.split("\n}").next().unwrap_or_default();
        let header = block.lines().find(|l| l.contains('(')).expect("table line");
        let table = header.split_whitespace().next().expect("name").to_owned();
        let columns = block
            .lines()
            .filter_map(|l| l.trim().split_once(" -> "))
            .map(|(name, ty)| (name.to_owned(), ty.starts_with("Nullable<")))
            .collect();
        tables.push((table, columns));
    }
    tables
}

/// The same, read from a migrated database.
fn actual_columns(db: &TestDb, table: &str) -> Vec<(String, bool)> {
    use diesel::prelude::*;
    use diesel::sql_types::{Bool, Text};
    #[derive(QueryableByName)]
    struct Col {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Bool)]
        nullable: bool,
    }
    let rows: Vec<Col> = match db.kind() {
        "postgres" => {
            let mut c = diesel::PgConnection::establish(db.url()).expect("pg");
            diesel::sql_query(
                "SELECT column_name AS name, is_nullable = 'YES' AS nullable \
                 FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
            )
            .bind::<Text, _>(table)
            .load(&mut c)
            .expect("columns")
        }
        _ => {
            let mut c = diesel::SqliteConnection::establish(db.url()).expect("sqlite");
            // SQLite reports an INTEGER PRIMARY KEY as nullable; it never is.
            diesel::sql_query(
                "SELECT name, (\"notnull\" = 0 AND pk = 0) AS nullable \
                 FROM pragma_table_info(?) ORDER BY cid",
            )
            .bind::<Text, _>(table)
            .load(&mut c)
            .expect("columns")
        }
    };
    rows.into_iter().map(|c| (c.name, c.nullable)).collect()
}

both!(schema_rs_matches_the_migrated_database, |db: TestDb| {
    Store::migrate(db.url()).expect("migrate");
    let declared = declared_schema();
    let shape: Vec<(&str, usize)> = declared
        .iter()
        .map(|(t, c)| (t.as_str(), c.len()))
        .collect();
    assert_eq!(
        shape,
        [
            ("users", 26),
            ("groups", 9),
            ("group_members", 2),
            ("settings", 2),
            ("revoked_tokens", 2),
            ("user_codes", 4),
            ("machine_credentials", 9),
            ("import_runs", 8),
            ("audit_events", 20),
            ("webhook_endpoints", 12),
            ("webhook_deliveries", 7),
            ("webhook_attempts", 9),
        ],
        "schema.rs was read"
    );
    for (table, declared) in declared {
        assert_eq!(
            actual_columns(&db, &table),
            declared,
            "schema.rs and the {} migrations disagree on table {table}",
            db.kind()
        );
    }
});

both!(
    the_unfiltered_total_stays_exact_through_every_write,
    |db: TestDb| {
        use usergate_core::query::Cond;
        let store = open(&db);
        // The counter's total (no condition) against a real count (a condition that always holds).
        let totals = || {
            let q = |cond| Query {
                cond,
                order: Vec::new(),
                page: Page {
                    limit: 1,
                    offset: 0,
                },
                count: true,
            };
            let counted = ports::read(&store, |repo| Ok(repo.query(&q(None))?)).expect("query");
            let real = ports::read(&store, |repo| Ok(repo.query(&q(Some(Cond::All(vec![]))))?))
                .expect("query");
            (counted.total, real.total)
        };
        let users: Vec<_> = (0..4)
            .map(|i| {
                ports::write(&store, |repo| {
                    Ok(repo.insert(&record(&format!("t{i}@example.com")))?)
                })
                .expect("insert")
            })
            .collect();
        assert_eq!(totals(), (Some(4), Some(4)));
        let update = |id, u: UserUpdate| {
            ports::write(&store, |repo| Ok(repo.update(id, &u).map(drop)?)).expect("update");
        };
        // A rename changes nothing; a soft delete counts once.
        update(
            users[0].id,
            UserUpdate {
                name: Some("Renamed".into()),
                ..UserUpdate::default()
            },
        );
        assert_eq!(totals(), (Some(4), Some(4)));
        let at = chrono::Utc::now().naive_utc();
        update(
            users[1].id,
            UserUpdate {
                deleted_at: Some(at),
                ..UserUpdate::default()
            },
        );
        assert_eq!(totals(), (Some(3), Some(3)));
        // A purged user (its invitation could not be sent) is gone outright; so is a purged
        // user who was already deleted, without counting twice.
        ports::write(&store, |repo| Ok(repo.purge(users[2].id)?)).expect("purge");
        ports::write(&store, |repo| Ok(repo.purge(users[1].id)?)).expect("purge");
        assert_eq!(totals(), (Some(2), Some(2)));
        // A failed transaction leaves the counter as it was.
        let failed: Result<(), CoreError> = ports::write(&store, |repo| {
            repo.insert(&record("t9@example.com"))?;
            Err(CoreError::Internal("roll back".into()))
        });
        assert!(failed.is_err());
        assert_eq!(totals(), (Some(2), Some(2)));
    }
);

/// Connections used within the last half second are handed out without a check query
/// (`db::ALIVE_BYPASS`). When the server drops them all (a restart, an administrator's
/// `pg_terminate_backend`), the next read and the next write still succeed: the dead connection
/// is found, every pooled connection is checked again, and the unit of work runs once more on a
/// good one (a write only when it failed at `BEGIN`, before anything was written).
#[test]
fn dead_connections_are_replaced_without_failing_the_next_request() {
    let db = TestDb::postgres();
    let store = open(&db);
    let kill_all = || terminate_backends(&db);
    // Several connections in the pool, all just used.
    std::thread::scope(|s| {
        for i in 0..4 {
            let store = &store;
            s.spawn(move || insert(store, &format!("warm{i}@example.com")).expect("insert"));
        }
    });
    kill_all();
    assert_eq!(
        list(&store, 10, 0).len(),
        4,
        "a read after the connections died"
    );
    kill_all();
    insert(&store, "after@example.com").expect("a write after the connections died");
    assert_eq!(list(&store, 10, 0).len(), 5);
}

/// Point reads in place (`ports::in_place`: an HTTP worker's own connection, on PostgreSQL with
/// `--pg-reads-on-workers`) survive the server dropping that connection: the read runs once
/// more on a new one. They read what the pool wrote, at once.
#[test]
fn reads_in_place_see_every_write_and_survive_a_dropped_connection() {
    let db = TestDb::postgres();
    let store = open(&db).pg_reads_in_place(true);
    let find = |email: &str| {
        let key = usergate_core::UserKey::Email(usergate_core::Email::parse(email).expect("email"));
        ports::in_place(|| ports::read(&store, |repo| Ok(repo.find(&key)?)))
    };
    let user = insert(&store, "first@example.com").expect("insert");
    assert_eq!(
        find("first@example.com").expect("read").map(|u| u.id),
        Some(user.id)
    );
    terminate_backends(&db);
    let second = insert(&store, "second@example.com").expect("a write after the kill");
    assert_eq!(
        find("second@example.com")
            .expect("a read in place after the kill")
            .map(|u| u.id),
        Some(second.id)
    );
}
