//! The store against real PostgreSQL and SQLite: uniqueness enforced by the database,
//! transactions, timestamps, codes, tokens, machine credentials, import checkpoints.

mod common;
use common::{both, insert, list, open, record};

use std::sync::Arc;

use usergate_core::domain::{Role, UserId};
use usergate_core::ports::{self, Inserted, NewUserRecord, UserUpdate};
use usergate_core::{CoreError, Email, UserKey};
use usergate_store::testdb::TestDb;

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
        let done: Vec<bool> = inserted.iter().map(|i| *i != Inserted::Skipped).collect();
        assert_eq!(done, [true, false, true, true, false]);
        assert!(matches!(inserted[0], Inserted::Live(_)));
        assert_eq!(inserted[2], Inserted::Deleted);
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

/// A lookup by id is prepared once per connection and then taken from diesel's statement cache:
/// SQLite parsing the same SQL again on every request was in the profile of a GET.
#[test]
fn a_lookup_by_id_is_prepared_once() {
    use diesel::connection::InstrumentationEvent;
    use std::sync::{Arc, Mutex};
    use usergate_core::ports::UserRepo;
    for kind in ["sqlite", "postgres"] {
        let db = usergate_store::testdb::TestDb::of(kind);
        let mut conn = usergate_store::Backend::from_url(db.url())
            .expect("url")
            .connect()
            .expect("connect");
        let cached = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = cached.clone();
        let probe = move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                seen.lock().expect("lock").push(sql.to_owned());
            }
        };
        diesel::connection::Connection::set_instrumentation(&mut conn, probe);
        let mut repo = usergate_store::Repo(&mut conn);
        for id in 1..5 {
            repo.find(&usergate_core::UserKey::Id(usergate_core::UserId::new(id)))
                .expect("find");
        }
        let cached = cached.lock().expect("lock").clone();
        assert_eq!(cached.len(), 1, "{kind}: {cached:?}");
    }
}
