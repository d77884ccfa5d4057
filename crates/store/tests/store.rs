//! The store against real PostgreSQL and SQLite: uniqueness enforced by the database,
//! transactions, timestamps, settings shared by instances.

use std::sync::Arc;

use chrono::NaiveDate;
use usergate_core::domain::{Role, Status, UserId};
use usergate_core::ports::{self, NewUserRecord, SettingsStore, UserUpdate};
use usergate_core::query::{Direction, Field, Query};
use usergate_core::{CoreError, Email, Page, Profile, UserKey};
use usergate_store::Store;
use usergate_store::testdb::TestDb;

fn open(db: &TestDb) -> Store {
    Store::migrate(db.url()).expect("migrate");
    Store::open(db.url(), Some(8)).expect("open")
}

fn record(email: &str) -> NewUserRecord {
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
        attributes: serde_json::Map::new(),
        now: NaiveDate::from_ymd_opt(2026, 1, 2)
            .and_then(|d| d.and_hms_micro_opt(3, 4, 5, 123_456))
            .expect("date"),
        deleted_at: None,
    }
}

fn insert(store: &Store, email: &str) -> Result<usergate_core::User, CoreError> {
    let r = record(email);
    ports::write(store, |repo| Ok(repo.insert(&r)?))
}

/// A page of users in creation order (ties broken by id).
fn list(store: &Store, limit: u32, offset: u64) -> Vec<usergate_core::User> {
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

both!(round_trip_keeps_every_value, |db: TestDb| {
    let store = open(&db);
    let r = record("Round.Trip@Example.com");
    let u = insert(&store, "Round.Trip@Example.com").expect("insert");
    assert_eq!(u.email.as_str(), "Round.Trip@Example.com");
    assert_eq!(u.email.normalized(), "round.trip@example.com");
    assert_eq!(u.created_at, r.now, "microseconds kept exactly");
    assert_eq!(u.employee_number, Some(7));
    assert_eq!(u.credentials_version, 1);
    assert!(u.has_password);
    let again = ports::read(&store, |repo| Ok(repo.find(&UserKey::Id(u.id))?))
        .expect("find")
        .expect("some");
    assert_eq!(again, u);
});

both!(
    the_database_refuses_a_second_live_user_per_address,
    |db: TestDb| {
        let store = open(&db);
        insert(&store, "dup@example.com").expect("first");
        assert!(matches!(
            insert(&store, "DUP@Example.COM"),
            Err(CoreError::Conflict(usergate_core::Conflict::DuplicateEmail))
        ));
    }
);

both!(
    a_batch_insert_skips_taken_addresses_and_keeps_deleted_rows,
    |db: TestDb| {
        let store = open(&db);
        let taken = insert(&store, "taken@example.com").expect("first");
        let gone = NewUserRecord {
            deleted_at: Some(taken.created_at),
            ..record("Taken@Example.com")
        };
        let batch = [
            record("new@example.com"),
            record("TAKEN@example.com"),
            gone,
            record("twice@example.com"),
            record("Twice@Example.com"),
        ];
        let refs: Vec<&NewUserRecord> = batch.iter().collect();
        // The statement goes on past every conflict, inside a transaction that commits.
        let inserted = ports::write(&store, |repo| {
            let inserted = repo.insert_many(&refs)?;
            repo.insert(&record("after@example.com"))?;
            Ok(inserted)
        })
        .expect("insert many");
        assert_eq!(inserted, [true, false, true, true, false]);
        let twice = ports::read(&store, |repo| {
            Ok(repo.find(&UserKey::Email(
                Email::parse("twice@example.com").expect("e"),
            ))?)
        })
        .expect("find")
        .expect("some");
        assert_eq!(
            twice.email.as_str(),
            "twice@example.com",
            "the first record wins"
        );
        let all = ports::read(&store, |repo| Ok(repo.export_page(None, 100, true)?)).expect("all");
        let emails: Vec<(&str, bool)> = all
            .iter()
            .map(|e| (e.user.email.as_str(), e.deleted_at.is_some()))
            .collect();
        assert_eq!(
            emails,
            [
                ("taken@example.com", false),
                ("Taken@Example.com", true),
                ("new@example.com", false),
                ("twice@example.com", false),
                ("after@example.com", false),
            ]
        );
        assert!(all.iter().all(|e| e.password_hash.is_some()));
        let live = ports::read(&store, |repo| {
            Ok(repo.export_page(Some(all[2].user.id), 2, false)?)
        })
        .expect("page");
        assert_eq!(live.len(), 2);
        assert_eq!(live[0].user.email.as_str(), "twice@example.com");
        assert_eq!(live[1].user.email.as_str(), "after@example.com");
    }
);

both!(import_checkpoints_are_kept_per_run, |db: TestDb| {
    use usergate_core::import::{Checkpoint, Tally};
    let store = open(&db);
    let now = record("x@example.com").now;
    let first = Checkpoint {
        run: "run-a".into(),
        tally: Tally {
            records: 2000,
            created: 1990,
            updated: 0,
            skipped: 4,
            rejected: 6,
        },
        finished: false,
    };
    let done = Checkpoint {
        tally: Tally {
            records: 3000,
            ..first.tally
        },
        finished: true,
        ..first.clone()
    };
    ports::write(&store, |repo| Ok(repo.put_import_checkpoint(&first, now)?)).expect("put");
    let read =
        |run: &str| ports::read(&store, |repo| Ok(repo.import_checkpoint(run)?)).expect("read");
    assert_eq!(read("run-a"), Some(first));
    assert_eq!(read("run-b"), None);
    ports::write(&store, |repo| Ok(repo.put_import_checkpoint(&done, now)?)).expect("put");
    assert_eq!(read("run-a"), Some(done));
});

both!(
    twenty_concurrent_creates_of_one_address_make_one_user,
    |db: TestDb| {
        let store = Arc::new(open(&db));
        let barrier = Arc::new(std::sync::Barrier::new(20));
        let threads: Vec<_> = (0..20)
            .map(|i| {
                let (store, barrier) = (store.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let email = if i % 2 == 0 {
                        "race@example.com"
                    } else {
                        "RACE@example.com"
                    };
                    insert(&store, email)
                })
            })
            .collect();
        let results: Vec<_> = threads
            .into_iter()
            .map(|t| t.join().expect("join"))
            .collect();
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let dup = results
            .iter()
            .filter(|r| {
                matches!(
                    r,
                    Err(CoreError::Conflict(usergate_core::Conflict::DuplicateEmail))
                )
            })
            .count();
        assert_eq!((ok, dup), (1, 19), "{results:?}");
    }
);

both!(
    soft_deleted_users_free_their_address_and_stay_as_rows,
    |db: TestDb| {
        let store = open(&db);
        let u = insert(&store, "gone@example.com").expect("insert");
        let at = u.created_at;
        ports::write(&store, |repo| {
            Ok(repo.update(
                u.id,
                &UserUpdate {
                    deleted_at: Some(at),
                    bump_credentials: true,
                    ..UserUpdate::default()
                },
            )?)
        })
        .expect("delete");
        let p = ports::read(&store, |repo| Ok(repo.principal(u.id)?))
            .expect("principal")
            .expect("row kept");
        assert!(p.deleted);
        assert_eq!(p.credentials_version, 2);
        let found = ports::read(&store, |repo| Ok(repo.find(&UserKey::Id(u.id))?)).expect("find");
        assert!(found.is_none());
        let again = insert(&store, "gone@example.com").expect("address free again");
        assert_ne!(again.id, u.id);
    }
);

both!(a_failed_unit_of_work_leaves_nothing, |db: TestDb| {
    let store = open(&db);
    let r = record("half@example.com");
    let result: Result<(), CoreError> = ports::write(&store, |repo| {
        repo.insert(&r)?;
        Err(CoreError::Internal("fails after the insert".into()))
    });
    assert!(result.is_err());
    let all = list(&store, 10, 0);
    assert!(all.is_empty(), "the insert was rolled back");
    // The connection went back to the pool healthy.
    insert(&store, "half@example.com").expect("insert after rollback");
});

both!(lists_are_in_creation_order_and_page, |db: TestDb| {
    let store = open(&db);
    for i in 0..5 {
        insert(&store, &format!("u{i}@example.com")).expect("insert");
    }
    let page = list(&store, 2, 1);
    let emails: Vec<_> = page.iter().map(|u| u.email.as_str().to_owned()).collect();
    assert_eq!(emails, ["u1@example.com", "u2@example.com"]);
});

both!(admins_who_can_log_in_are_counted, |db: TestDb| {
    let store = open(&db);
    let mut admin = record("a@example.com");
    admin.role = Role::Admin;
    let mut invited = record("i@example.com");
    invited.role = Role::Admin;
    invited.password_hash = None;
    ports::write(&store, |repo| {
        repo.insert(&admin)?;
        repo.insert(&invited)?;
        repo.lock_admin_set()?;
        Ok(())
    })
    .expect("insert");
    let (n, any) = ports::read(&store, |repo| {
        Ok((repo.count_login_capable_admins()?, repo.any_admin()?))
    })
    .expect("count");
    assert_eq!((n, any), (1, true));
    assert!(
        ports::read(&store, |repo| Ok(repo.principal(UserId::new(999_999))?))
            .expect("read")
            .is_none()
    );
});

both!(revoked_tokens_are_kept_until_they_expire, |db: TestDb| {
    let store = open(&db);
    let now = chrono::Utc::now().naive_utc();
    let hour = chrono::Duration::hours(1);
    let revoked =
        |jti: &str| ports::read(&store, |repo| Ok(repo.is_token_revoked(jti)?)).expect("read");
    let revoke = |jti: &str, exp| {
        ports::write(&store, |repo| Ok(repo.revoke_token(jti, exp, now)?)).expect("revoke")
    };
    revoke("a", now + hour);
    revoke("a", now + hour);
    revoke("stale", now - hour);
    assert!(revoked("a") && revoked("stale") && !revoked("b"));
    revoke("b", now + hour);
    assert!(revoked("a") && revoked("b"));
    assert!(!revoked("stale"), "pruned once its token expired");
    // The one-statement read of a request's caller agrees with the two separate reads.
    let user = insert(&store, "holder@example.com").expect("insert");
    let with_token = |id: UserId, jti: &str| {
        ports::read(&store, |repo| Ok(repo.token_principal(id, jti)?)).expect("read")
    };
    let principal = ports::read(&store, |repo| Ok(repo.principal(user.id)?))
        .expect("read")
        .expect("principal");
    assert_eq!(with_token(user.id, "a"), Some((principal, true)));
    assert_eq!(with_token(user.id, "c"), Some((principal, false)));
    assert_eq!(with_token(UserId::new(999_999), "a"), None);
});

both!(
    codes_replace_each_other_and_go_with_a_purged_user,
    |db: TestDb| {
        use usergate_core::ports::{CodePurpose, CodeRecord};
        let store = open(&db);
        let now = usergate_core::ports::truncate_to_micros(chrono::Utc::now().naive_utc());
        let day = chrono::Duration::days(1);
        let two_days = chrono::Duration::days(2);
        let user = ports::write(&store, |repo| Ok(repo.insert(&record("c@example.com"))?))
            .expect("insert");
        let code = |digest: &str, purpose, expires_at| CodeRecord {
            digest: digest.into(),
            user_id: user.id,
            purpose,
            expires_at,
        };
        let put = |c: CodeRecord, forget_before| {
            ports::write(&store, |repo| Ok(repo.put_code(&c, forget_before)?)).expect("put")
        };
        let find = |d: &str| ports::read(&store, |repo| Ok(repo.find_code(d)?)).expect("find");
        put(
            code("old", CodePurpose::Invitation, now - day),
            now - two_days,
        );
        put(
            code("reset", CodePurpose::PasswordReset, now + day),
            now - two_days,
        );
        assert_eq!(
            find("old").map(|c| c.purpose),
            Some(CodePurpose::Invitation)
        );
        // A new invitation replaces the old one, not the reset code.
        put(
            code("new", CodePurpose::Invitation, now + day),
            now - two_days,
        );
        assert!(find("old").is_none());
        assert_eq!(
            find("new"),
            Some(code("new", CodePurpose::Invitation, now + day))
        );
        assert!(find("reset").is_some());
        // Codes long expired are forgotten by the next write.
        put(
            code("new", CodePurpose::Invitation, now + day),
            now + two_days,
        );
        assert!(find("reset").is_none());
        ports::write(&store, |repo| Ok(repo.purge(user.id)?)).expect("purge");
        assert!(find("new").is_none());
        assert!(
            ports::read(&store, |repo| Ok(repo.principal(user.id)?))
                .expect("read")
                .is_none(),
            "the row is gone, not soft-deleted"
        );
    }
);

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
    assert_eq!(applied.len(), 8);
    assert!(Store::migrate(db.url()).expect("second").is_empty());
    assert!(Store::open(db.url(), None).expect("open").ping().is_ok());
});

/// `(table, [(column, nullable)])` as `schema.rs` declares them.
fn declared_schema() -> Vec<(String, Vec<(String, bool)>)> {
    let text = include_str!("../src/schema.rs");
    let mut tables = Vec::new();
    for block in text.split("diesel::table! {").skip(1) {
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
            ("users", 23),
            ("settings", 2),
            ("revoked_tokens", 2),
            ("user_codes", 4),
            ("machine_credentials", 9),
            ("import_runs", 8),
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
    let name = db
        .url()
        .rsplit('/')
        .next()
        .expect("database name")
        .to_owned();
    let kill_all = || {
        use diesel::prelude::*;
        let admin = format!("{}/postgres", usergate_store::testdb::pg_admin_url());
        let mut conn = diesel::PgConnection::establish(&admin).expect("admin connection");
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .execute(&mut conn)
        .expect("terminate");
    };
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
