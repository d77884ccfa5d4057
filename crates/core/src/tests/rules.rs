//! The design's rules, one test (or a few) each.

use std::sync::atomic::Ordering;

use super::*;
use crate::*;

#[test]
fn rule1_only_active_admins_manage_users() {
    let w = world();
    let bob = w.create("bob@example.com", Role::Editor);
    let lazy_admin = w.create("lazy@example.com", Role::Admin);
    let inactive_admin = Actor::user(
        Principal {
            status: Status::Inactive,
            ..*as_actor(&lazy_admin).principal().expect("a user")
        },
        origin(),
    );
    for actor in [as_actor(&bob), inactive_admin] {
        let forbidden = |r: CoreResult<()>| {
            assert!(
                matches!(r, Err(CoreError::Forbidden(Denied::NotAdmin))),
                "{r:?}"
            )
        };
        forbidden(
            w.core
                .users
                .create(&actor, new_user("x@example.com", Role::User))
                .map(drop),
        );
        forbidden(w.core.users.get(&actor, &key(&bob)).map(drop));
        forbidden(
            w.core
                .users
                .list(
                    &actor,
                    Page {
                        limit: 10,
                        offset: 0,
                    },
                )
                .map(drop),
        );
        forbidden(
            w.core
                .users
                .update(&actor, &key(&bob), &status(Status::Inactive))
                .map(drop),
        );
        forbidden(
            w.core
                .users
                .set_password(&actor, &key(&bob), &pw("another password")),
        );
        forbidden(w.core.users.delete(&actor, &key(&bob)));
    }
}

#[test]
fn rule2_only_active_users_authenticate() {
    let w = world();
    let bob = w.create("bob@example.com", Role::User);
    assert!(w.core.auth.login("bob@example.com", PW, &origin()).is_ok());
    w.core
        .users
        .update(&w.sys(), &key(&bob), &status(Status::Suspended))
        .expect("suspend");
    let err = w
        .core
        .auth
        .login("bob@example.com", PW, &origin())
        .expect_err("inactive");
    assert!(matches!(
        err,
        CoreError::Unauthenticated(AuthFailure::BadCredentials)
    ));
}

#[test]
fn rule2_tokens_die_on_every_credential_change() {
    let w = world();
    type Change = Box<dyn Fn(&World, &User)>;
    fn update(changes: UserChanges) -> Change {
        Box::new(move |w, u| {
            w.core
                .users
                .update(&w.sys(), &key(u), &changes)
                .map(drop)
                .expect("ok")
        })
    }
    let changes: Vec<(&str, Change)> = vec![
        ("deactivate", update(status(Status::Inactive))),
        ("suspend", update(status(Status::Suspended))),
        (
            "delete",
            Box::new(|w, u| w.core.users.delete(&w.sys(), &key(u)).expect("ok")),
        ),
        (
            "password",
            Box::new(|w, u| {
                w.core
                    .users
                    .set_password(&w.sys(), &key(u), &pw("a brand new password"))
                    .expect("ok")
            }),
        ),
        ("promote", update(role(Role::Admin))),
        ("demote", update(role(Role::Viewer))),
    ];
    for (i, (what, change)) in changes.iter().enumerate() {
        let u = w.create(&format!("u{i}@example.com"), Role::User);
        assert!(w.principal_alive(&u), "{what}: alive before");
        change(&w, &u);
        assert!(!w.principal_alive(&u), "{what}: dead after");
    }
}

#[test]
fn writing_back_what_a_dialect_reads_changes_nothing() {
    const NON_ADMIN: &[Role] = &[Role::Privileged, Role::Editor, Role::User, Role::Viewer];
    let w = world();
    let u = w.create("ed@example.com", Role::Editor);
    let coarse_user = UserChanges {
        role: Some(Coarse {
            value: Role::User,
            class: NON_ADMIN,
        }),
        ..UserChanges::default()
    };
    let after = w
        .core
        .users
        .update(&w.sys(), &key(&u), &coarse_user)
        .expect("update");
    assert_eq!(after.role, Role::Editor);
    assert!(w.principal_alive(&u), "no token killed");
}

#[test]
fn rule3_soft_delete_is_invisible_final_and_frees_the_email() {
    let w = world();
    let u = w.create("gone@example.com", Role::User);
    w.core.users.delete(&w.sys(), &key(&u)).expect("delete");
    assert!(matches!(
        w.core.users.get(&w.sys(), &key(&u)),
        Err(CoreError::NotFound)
    ));
    let email_key = UserKey::Email(Email::parse("GONE@example.com").expect("email"));
    assert!(matches!(
        w.core.users.get(&w.sys(), &email_key),
        Err(CoreError::NotFound)
    ));
    let all = w
        .core
        .users
        .list(
            &w.sys(),
            Page {
                limit: 100,
                offset: 0,
            },
        )
        .expect("list");
    assert!(all.iter().all(|x| x.id != u.id));
    assert!(
        w.core
            .auth
            .login("gone@example.com", PW, &origin())
            .is_err()
    );
    // Unrestorable: no operation finds the old row again.
    assert!(matches!(
        w.core
            .users
            .update(&w.sys(), &key(&u), &status(Status::Active)),
        Err(CoreError::NotFound)
    ));
    assert!(matches!(
        w.core.users.delete(&w.sys(), &key(&u)),
        Err(CoreError::NotFound)
    ));
    let again = w.create("gone@example.com", Role::User);
    assert_ne!(again.id, u.id);
}

#[test]
fn rule4_the_last_active_admin_who_can_log_in_stays() {
    let w = world();
    let root = key(&w.admin);
    let last = |r: CoreResult<()>| {
        assert!(
            matches!(r, Err(CoreError::Conflict(Conflict::LastAdmin))),
            "{r:?}"
        )
    };
    last(
        w.core
            .users
            .update(&w.sys(), &root, &role(Role::User))
            .map(drop),
    );
    last(
        w.core
            .users
            .update(&w.sys(), &root, &status(Status::Inactive))
            .map(drop),
    );
    last(w.core.users.delete(&w.sys(), &root));
    // An admin without a password (invited) does not count.
    let invited = NewUser {
        role: Role::Admin,
        ..NewUser::new(Email::parse("invited@example.com").expect("email"))
    };
    w.core.users.create(&w.sys(), invited).expect("invited");
    last(w.core.users.delete(&w.sys(), &root));
    // The seed's recommended practice: a second admin, then retire the first.
    let second = w.create("second@example.com", Role::User);
    w.core
        .users
        .update(&as_actor(&w.admin), &key(&second), &role(Role::Admin))
        .expect("promote");
    w.core
        .users
        .update(&w.sys(), &root, &status(Status::Inactive))
        .expect("deactivate the first admin");
    assert!(
        w.core
            .auth
            .login("root@example.com", PW, &origin())
            .is_err()
    );
    assert!(
        w.core
            .auth
            .login("second@example.com", PW, &origin())
            .is_ok()
    );
}

#[test]
fn rule5_same_password_is_a_conflict() {
    let w = world();
    let u = w.create("p@example.com", Role::User);
    let r = w.core.users.set_password(&w.sys(), &key(&u), &pw(PW));
    assert!(matches!(
        r,
        Err(CoreError::Conflict(Conflict::SamePassword))
    ));
}

#[test]
fn rule6_no_hash_leaves_core() {
    let w = world();
    let u = w.create("s@example.com", Role::User);
    let hash = w.store.hash_of(u.id).expect("hash stored");
    assert!(hash.starts_with("$argon2id$"));
    let shown = format!("{u:?} {:?}", w.core.users.get(&w.sys(), &key(&u)));
    assert!(!shown.contains(&hash) && !shown.contains("argon2") && !shown.contains(PW));
}

#[test]
fn rule7_unknown_user_and_wrong_password_are_one_answer_and_one_hash() {
    let w = world();
    w.create("known@example.com", Role::User);
    let before = w.hasher.verifies.load(Ordering::SeqCst);
    let unknown = w.core.auth.login("nobody@example.com", PW, &origin());
    let after_unknown = w.hasher.verifies.load(Ordering::SeqCst);
    let wrong = w
        .core
        .auth
        .login("known@example.com", "wrong password!", &origin());
    let after_wrong = w.hasher.verifies.load(Ordering::SeqCst);
    assert_eq!(after_unknown - before, 1);
    assert_eq!(after_wrong - after_unknown, 1);
    assert_eq!(format!("{unknown:?}"), format!("{wrong:?}"));
}

#[test]
fn rule8_each_mutation_is_one_transaction_and_a_failed_one_changes_nothing() {
    let w = world();
    let u = w.create("t@example.com", Role::User);
    let rows = w.store.row_count();
    let writes = w.store.writes.load(Ordering::SeqCst);
    let dup = w
        .core
        .users
        .create(&w.sys(), new_user("T@EXAMPLE.COM", Role::User));
    assert!(matches!(
        dup,
        Err(CoreError::Conflict(Conflict::DuplicateEmail))
    ));
    assert_eq!(w.store.row_count(), rows);
    w.core
        .users
        .update(&w.sys(), &key(&u), &status(Status::Inactive))
        .expect("update");
    w.core.users.delete(&w.sys(), &key(&u)).expect("delete");
    // The refused create leaves its failure event, in a transaction of its own.
    assert_eq!(w.store.writes.load(Ordering::SeqCst) - writes, 4);
    // An email change onto a taken address fails whole: the name given with it is not kept.
    let a = w.create("a@example.com", Role::User);
    w.create("b@example.com", Role::User);
    let both = UserChanges {
        email: Some(Email::parse("b@example.com").expect("email")),
        name: Some("New Name".into()),
        ..UserChanges::default()
    };
    assert!(w.core.users.update(&w.sys(), &key(&a), &both).is_err());
    assert_eq!(w.core.users.get(&w.sys(), &key(&a)).expect("get").name, "a");
}

#[test]
fn rule9_no_one_deletes_their_own_account() {
    let w = world();
    w.create("other-admin@example.com", Role::Admin);
    let r = w.core.users.delete(&as_actor(&w.admin), &key(&w.admin));
    assert!(matches!(r, Err(CoreError::Forbidden(Denied::OwnAccount))));
}

#[test]
fn login_throttle_stops_guessing_even_with_the_right_password() {
    let w = world();
    w.create("g@example.com", Role::User);
    for _ in 0..3 {
        assert!(matches!(
            w.core
                .auth
                .login("g@example.com", "bad guess 123", &origin()),
            Err(CoreError::Unauthenticated(_))
        ));
    }
    let verifies = w.hasher.verifies.load(Ordering::SeqCst);
    assert!(matches!(
        w.core.auth.login("G@example.com", PW, &origin()),
        Err(CoreError::RateLimited { .. })
    ));
    assert_eq!(
        w.hasher.verifies.load(Ordering::SeqCst),
        verifies,
        "no hash while throttled"
    );
}

#[test]
fn anonymous_requests_are_limited_per_address() {
    let w = world();
    let a = Some("10.0.0.1".parse().expect("ip"));
    let b = Some("10.0.0.2".parse().expect("ip"));
    for _ in 0..3 {
        w.core.auth.anonymous_request(a).expect("under limit");
    }
    assert!(matches!(
        w.core.auth.anonymous_request(a),
        Err(CoreError::RateLimited { .. })
    ));
    assert!(w.core.auth.anonymous_request(b).is_ok());
}

#[test]
fn names_are_derived_once() {
    let mut n = NewUser::new(Email::parse("tomo.s@example.com").expect("email"));
    assert_eq!(n.derived_name(), "tomo.s");
    n.profile.first_name = Some("Tomo".into());
    n.profile.last_name = Some(" Smith ".into());
    assert_eq!(n.derived_name(), "Tomo Smith");
    n.name = Some("  ".into());
    assert_eq!(n.derived_name(), "Tomo Smith");
    n.name = Some("T. S.".into());
    assert_eq!(n.derived_name(), "T. S.");
}

#[test]
fn login_where_refuses_other_kinds_like_a_wrong_password() {
    let w = world();
    w.create("plain@example.com", Role::User);
    let admins_only = |r: Role| r == Role::Admin;
    let wrong_kind = w
        .core
        .auth
        .login_where("plain@example.com", PW, &origin(), admins_only);
    let wrong_pw = w
        .core
        .auth
        .login_where("root@example.com", "nope nope", &origin(), admins_only);
    assert_eq!(format!("{wrong_kind:?}"), format!("{wrong_pw:?}"));
    assert!(
        w.core
            .auth
            .login_where("root@example.com", PW, &origin(), admins_only)
            .is_ok()
    );
    let me = w
        .core
        .auth
        .login("plain@example.com", PW, &origin())
        .expect("login");
    let p = Principal {
        id: me.id,
        role: me.role,
        status: me.status,
        credentials_version: me.credentials_version,
    };
    assert_eq!(w.core.auth.current_user(&p).expect("me").email, me.email);
}

#[test]
fn a_revoked_token_dies_alone() {
    let w = world();
    let u = w.create("r@example.com", Role::User);
    let auth = &w.core.auth;
    let later = SystemClock.now() + chrono::Duration::hours(1);
    assert!(
        auth.resolve(u.id, u.credentials_version, Some("one"))
            .is_ok()
    );
    auth.revoke_token("one", later).expect("revoke");
    auth.revoke_token("one", later)
        .expect("revoking twice is fine");
    assert!(matches!(
        auth.resolve(u.id, u.credentials_version, Some("one")),
        Err(CoreError::Unauthenticated(AuthFailure::Revoked))
    ));
    assert!(
        auth.resolve(u.id, u.credentials_version, Some("two"))
            .is_ok()
    );
    assert!(auth.resolve(u.id, u.credentials_version, None).is_ok());
    // Revocations of tokens that have expired anyway are forgotten.
    let past = SystemClock.now() - chrono::Duration::hours(1);
    auth.revoke_token("old", past).expect("revoke");
    auth.revoke_token("three", later).expect("revoke");
    assert!(
        auth.resolve(u.id, u.credentials_version, Some("old"))
            .is_ok()
    );
    assert!(
        auth.resolve(u.id, u.credentials_version, Some("one"))
            .is_err()
    );
}

#[test]
fn updates_set_and_clear_profile_fields_attributes_and_passwords() {
    let w = world();
    let u = w.create("p@example.com", Role::User);
    let mut attrs = serde_json::Map::new();
    attrs.insert("username".into(), serde_json::json!("pat"));
    let changes = UserChanges {
        profile: ProfileChanges {
            first_name: Patch::Value("Pat".into()),
            phone: Patch::Value("555".into()),
            ..ProfileChanges::default()
        },
        attributes: attrs,
        ..UserChanges::default()
    };
    let after = w
        .core
        .users
        .update(&w.sys(), &key(&u), &changes)
        .expect("update");
    assert_eq!(after.profile.first_name.as_deref(), Some("Pat"));
    assert_eq!(after.attributes["username"], "pat");
    assert_eq!(
        after.credentials_version, u.credentials_version,
        "no token killed"
    );
    let mut clear = serde_json::Map::new();
    clear.insert("username".into(), serde_json::Value::Null);
    let changes = UserChanges {
        profile: ProfileChanges {
            phone: Patch::Null,
            ..ProfileChanges::default()
        },
        attributes: clear,
        password: Some(pw("a fresh password")),
        ..UserChanges::default()
    };
    let after = w
        .core
        .users
        .update(&w.sys(), &key(&u), &changes)
        .expect("update");
    assert_eq!(after.profile.phone, None);
    assert_eq!(after.profile.first_name.as_deref(), Some("Pat"), "kept");
    assert!(!after.attributes.contains_key("username"));
    assert!(!w.principal_alive(&u), "a password change kills tokens");
    assert!(
        w.core
            .auth
            .login("p@example.com", "a fresh password", &origin())
            .is_ok()
    );
}

#[test]
fn batches_stop_continue_or_roll_back() {
    let w = world();
    let items = || {
        vec![
            Ok(new_user("b1@example.com", Role::User)),
            Ok(new_user("root@example.com", Role::User)), // taken
            Ok(new_user("b3@example.com", Role::User)),
        ]
    };
    let count = |w: &World| w.store.row_count();
    let before = count(&w);
    let stop = w
        .core
        .users
        .create_batch(&w.sys(), items(), BatchMode::Stop)
        .expect("batch");
    assert_eq!(stop.results.len(), 2, "stopped after the failure");
    assert!(stop.results[0].is_ok() && stop.results[1].is_err() && !stop.rolled_back);
    assert_eq!(count(&w), before + 1, "the first stays");

    let w = world();
    let before = count(&w);
    let cont = w
        .core
        .users
        .create_batch(&w.sys(), items(), BatchMode::Continue)
        .expect("batch");
    assert_eq!(cont.results.len(), 3);
    assert_eq!(count(&w), before + 2);

    let w = world();
    let before = count(&w);
    let back = w
        .core
        .users
        .create_batch(&w.sys(), items(), BatchMode::Rollback)
        .expect("batch");
    assert!(back.rolled_back);
    assert_eq!(back.results.len(), 2);
    assert_eq!(count(&w), before, "nothing kept");

    // A guard refuses targets of the wrong kind inside the transaction.
    let w = world();
    let u = w.create("g@example.com", Role::User);
    let admins_only = |t: &User| {
        if t.role == Role::Admin {
            Ok(())
        } else {
            Err(CoreError::Forbidden(Denied::WrongKind))
        }
    };
    let r = w
        .core
        .users
        .delete_batch(&w.sys(), vec![Ok(key(&u))], &admins_only, BatchMode::Stop)
        .expect("batch");
    assert!(matches!(
        r.results[0],
        Err(CoreError::Forbidden(Denied::WrongKind))
    ));
    assert!(w.core.users.get(&w.sys(), &key(&u)).is_ok());
    // Non-admins cannot run batches at all.
    let plain = as_actor(&u);
    assert!(matches!(
        w.core
            .users
            .create_batch(&plain, items(), BatchMode::Continue),
        Err(CoreError::Forbidden(Denied::NotAdmin))
    ));
}

#[test]
fn login_records_the_time_and_keeps_tokens() {
    let w = world();
    let u = w.create("l@example.com", Role::User);
    let logged = w
        .core
        .auth
        .login("l@example.com", PW, &origin())
        .expect("login");
    assert!(logged.last_login_at.is_some());
    assert_eq!(logged.credentials_version, u.credentials_version);
    assert_eq!(logged.updated_at, u.updated_at);
}
