//! The groups port and the identity columns on real PostgreSQL and SQLite: what the unique
//! indexes refuse, members and their counts, default groups.

mod common;

use common::{both, insert, open, record};

use chrono::NaiveDate;
use usergate_core::domain::UserId;
use usergate_core::group::GroupRef;
use usergate_core::ports::{
    self, GroupUpdate, Inserted, NewGroupRecord, NewUserRecord, RepoError, UserUpdate,
};
use usergate_core::user::Page;
use usergate_core::{LoginName, Patch, UserKey};
use usergate_store::Store;
use usergate_store::testdb::TestDb;

fn now() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 4)
        .and_then(|d| d.and_hms_micro_opt(5, 6, 7, 8))
        .expect("date")
}

fn group(name: &str, default: bool) -> NewGroupRecord {
    NewGroupRecord {
        name: name.to_owned(),
        name_normalized: name.to_lowercase(),
        active: true,
        default,
        creator: None,
        external_id: Some(format!("ext-{name}")),
        now: now(),
    }
}

fn write<T>(
    store: &Store,
    f: impl FnMut(&mut dyn ports::Repos) -> Result<T, RepoError>,
) -> Result<T, RepoError> {
    let mut f = f;
    let mut out = None;
    let mut failed = None;
    let _ = ports::write(store, |repo| match f(repo) {
        Ok(v) => {
            out = Some(v);
            Ok(())
        }
        Err(e) => {
            let text = format!("{e:?}");
            failed = Some(e);
            Err(usergate_core::CoreError::Internal(text))
        }
    });
    match (out, failed) {
        (Some(v), _) => Ok(v),
        (None, Some(e)) => Err(e),
        (None, None) => Err(RepoError::Failure("nothing".into())),
    }
}

const ALL: Page = Page {
    limit: 1000,
    offset: 0,
};

both!(
    login_names_and_external_ids_are_unique_among_live_users,
    |db: TestDb| {
        let store = open(&db);
        let with = |email: &str, login: &str, external: &str| NewUserRecord {
            login_name: Some(LoginName::parse(login).expect("login")),
            external_id: Some(external.to_owned()),
            ..record(email)
        };
        let ann = write(&store, |repo| {
            repo.insert(&with("ann@example.com", "Ann", "X1"))
        })
        .expect("ann");
        assert_eq!(ann.login_name.as_ref().map(LoginName::as_str), Some("Ann"));
        assert_eq!(ann.external_id.as_deref(), Some("X1"));
        let clash = write(&store, |repo| {
            repo.insert(&with("b@example.com", "ANN", "X2"))
        });
        assert!(
            matches!(clash, Err(RepoError::DuplicateLoginName)),
            "{clash:?}"
        );
        let clash = write(&store, |repo| {
            repo.insert(&with("b@example.com", "bee", "X1"))
        });
        assert!(
            matches!(clash, Err(RepoError::DuplicateExternalId)),
            "{clash:?}"
        );
        let clash = write(&store, |repo| {
            repo.insert(&with("ANN@example.com", "bee", "X2"))
        });
        assert!(matches!(clash, Err(RepoError::DuplicateEmail)), "{clash:?}");
        // Case-exact external ids; lookups by either.
        write(&store, |repo| {
            repo.insert(&with("c@example.com", "cy", "x1"))
        })
        .expect("x1");
        let found = write(&store, |repo| {
            repo.find(&UserKey::LoginName(LoginName::parse("ANN").expect("l")))
        })
        .expect("find");
        assert_eq!(found.map(|u| u.id), Some(ann.id));
        let found =
            write(&store, |repo| repo.find(&UserKey::ExternalId("X1".into()))).expect("find");
        assert_eq!(found.map(|u| u.id), Some(ann.id));
        // Clearing frees them; a batch insert skips a taken one.
        let clear = UserUpdate {
            login_name: Patch::Null,
            external_id: Patch::Null,
            ..UserUpdate::default()
        };
        let cleared = write(&store, |repo| repo.update(ann.id, &clear)).expect("clear");
        assert_eq!((cleared.login_name, cleared.external_id), (None, None));
        let batch = [
            with("d@example.com", "ann", "X1"),
            with("e@example.com", "cy", "X9"),
        ];
        let refs: Vec<&NewUserRecord> = batch.iter().collect();
        let inserted = write(&store, |repo| repo.insert_many(&refs)).expect("many");
        assert!(matches!(inserted[0], Inserted::Live(_)));
        assert_eq!(inserted[1], Inserted::Skipped);
    }
);

both!(groups_keep_members_counts_and_names, |db: TestDb| {
    let store = open(&db);
    let ann = insert(&store, "ann@example.com").expect("ann").id;
    let bob = insert(&store, "bob@example.com").expect("bob").id;
    let sales = write(&store, |repo| repo.insert_group(&group("Sales", false))).expect("sales");
    assert_eq!(sales.member_count, 0);
    assert_eq!(sales.external_id.as_deref(), Some("ext-Sales"));
    let clash = write(&store, |repo| repo.insert_group(&group("SALES", false)));
    assert!(
        matches!(clash, Err(RepoError::DuplicateGroupName)),
        "{clash:?}"
    );
    let ops = write(&store, |repo| repo.insert_group(&group("Ops", false))).expect("ops");
    write(&store, |repo| {
        repo.add_members(sales.id, &[bob, ann])?;
        repo.add_members(sales.id, &[ann])?;
        repo.add_members(ops.id, &[ann])
    })
    .expect("members");
    let read = write(&store, |repo| {
        Ok((
            repo.find_group(sales.id)?,
            repo.member_ids(sales.id, ALL)?,
            repo.member_ids(
                sales.id,
                Page {
                    limit: 1,
                    offset: 1,
                },
            )?,
            repo.groups_of(&[ann, bob])?,
            repo.groups(Page {
                limit: 1,
                offset: 1,
            })?,
            repo.count_groups()?,
            repo.missing_users(&[ann, UserId::new(999), ann])?,
        ))
    })
    .expect("read");
    let (found, members, second, of, page, count, missing) = read;
    assert_eq!(found.map(|g| g.member_count), Some(2));
    assert_eq!(members, [ann, bob]);
    assert_eq!(second, [bob]);
    let sales_ref = |u| {
        (
            u,
            GroupRef {
                id: sales.id,
                name: "Sales".into(),
            },
        )
    };
    let ops_ref = (
        ann,
        GroupRef {
            id: ops.id,
            name: "Ops".into(),
        },
    );
    assert_eq!(of, [sales_ref(ann), sales_ref(bob), ops_ref]);
    assert_eq!(page.iter().map(|g| g.id).collect::<Vec<_>>(), [ops.id]);
    assert_eq!(count, 2);
    assert_eq!(missing, [UserId::new(999)]);
    // A rename to its own name in another case, and cleared external id.
    let update = GroupUpdate {
        name: Some(("SALES".into(), "sales".into())),
        active: Some(false),
        default: None,
        external_id: Patch::Null,
        updated_at: now(),
    };
    let renamed = write(&store, |repo| repo.update_group(sales.id, &update)).expect("rename");
    assert_eq!(renamed.name.as_str(), "SALES");
    assert!(!renamed.active && renamed.external_id.is_none());
    assert_eq!(renamed.member_count, 2);
    // A deleted user leaves; a deleted group takes its memberships with it.
    write(&store, |repo| {
        repo.remove_members(sales.id, &[bob])?;
        repo.add_members(ops.id, &[bob])?;
        repo.leave_groups(ann)?;
        repo.delete_group(ops.id)
    })
    .expect("leave");
    let after = write(&store, |repo| {
        Ok((
            repo.member_ids(sales.id, ALL)?,
            repo.find_group(ops.id)?,
            repo.groups_of(&[ann, bob])?,
        ))
    })
    .expect("after");
    assert_eq!(after.0, []);
    assert!(after.1.is_none());
    assert_eq!(after.2, [], "bob's membership went with the group");
    // The name of a deleted group is free.
    write(&store, |repo| repo.insert_group(&group("ops", false))).expect("free");
});

both!(new_users_join_active_default_groups, |db: TestDb| {
    let store = open(&db);
    let everyone = write(&store, |repo| repo.insert_group(&group("Everyone", true))).expect("g");
    let off = write(&store, |repo| {
        let g = repo.insert_group(&group("Off", true))?;
        let update = GroupUpdate {
            name: None,
            active: Some(false),
            default: None,
            external_id: Patch::Absent,
            updated_at: now(),
        };
        repo.update_group(g.id, &update)
    })
    .expect("off");
    let ann = insert(&store, "ann@example.com").expect("ann").id;
    let bob = insert(&store, "bob@example.com").expect("bob").id;
    write(&store, |repo| repo.join_default_groups(&[ann, bob])).expect("join");
    write(&store, |repo| repo.join_default_groups(&[ann])).expect("again: no error");
    let read = write(&store, |repo| {
        Ok((
            repo.member_ids(everyone.id, ALL)?,
            repo.member_ids(off.id, ALL)?,
        ))
    })
    .expect("read");
    assert_eq!(read, (vec![ann, bob], vec![]));
});
