//! Unit tests of the rules in the design's "Rules" list, over the in-memory store.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::memory::MemoryStore;
use crate::ports::Clock;
use crate::throttle::Rate;
use crate::*;

/// A cheap argon2 that counts the work it does.
struct CountingHasher {
    inner: Argon2Hasher,
    verifies: AtomicUsize,
}

impl PasswordHasher for CountingHasher {
    fn hash(&self, p: &Password) -> CoreResult<String> {
        self.inner.hash(p)
    }
    fn verify(&self, candidate: &str, phc: &str) -> bool {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(candidate, phc)
    }
    fn verify_dummy(&self, candidate: &str) {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify_dummy(candidate);
    }
    fn needs_rehash(&self, phc: &str) -> bool {
        self.inner.needs_rehash(phc)
    }
    fn rehash(&self, verified: &str) -> CoreResult<String> {
        self.inner.rehash(verified)
    }
}

struct FixedClock(Instant);

impl Clock for FixedClock {
    fn now(&self) -> NaiveDateTime {
        SystemClock.now()
    }
    fn instant(&self) -> Instant {
        self.0
    }
}

struct World {
    core: Core,
    store: Arc<MemoryStore>,
    hasher: Arc<CountingHasher>,
    admin: User,
}

const PW: &str = "correct horse battery";

fn world() -> World {
    world_with(None)
}

fn world_with(mail: Option<MailSettings>) -> World {
    let store = Arc::new(MemoryStore::default());
    let hasher = Arc::new(CountingHasher {
        inner: Argon2Hasher::new(
            Argon2Cost {
                m_kib: 64,
                t: 1,
                p: 1,
            },
            4,
        )
        .expect("hasher"),
        verifies: AtomicUsize::new(0),
    });
    let limits = AuthLimits {
        anonymous: Rate::new(3, Duration::from_secs(60)),
        login_per_account: Rate::new(3, Duration::from_secs(60)),
        login_per_address: Rate::new(100, Duration::from_secs(60)),
    };
    let core = Core::new(
        store.clone(),
        hasher.clone(),
        Arc::new(FixedClock(Instant::now())),
        PasswordPolicy::default(),
        limits,
        SecretDigest::new(&[9u8; 32]),
        mail,
    );
    let admin = core
        .users
        .bootstrap_admin(new_user("root@example.com", Role::Admin))
        .expect("bootstrap")
        .expect("first admin");
    World {
        core,
        store,
        hasher,
        admin,
    }
}

fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        role,
        password: Some(PasswordPolicy::default().check("password", PW).expect("pw")),
        ..NewUser::new(Email::parse(email).expect("email"))
    }
}

fn as_actor(user: &User) -> Actor {
    Actor::User(Principal {
        id: user.id,
        role: user.role,
        status: user.status,
        credentials_version: user.credentials_version,
    })
}

fn key(u: &User) -> UserKey {
    UserKey::Id(u.id)
}

fn role(value: Role) -> UserChanges {
    UserChanges {
        role: Some(Coarse::exact(value, &[])),
        ..UserChanges::default()
    }
}

fn status(value: Status) -> UserChanges {
    UserChanges {
        status: Some(Coarse::exact(value, &[])),
        ..UserChanges::default()
    }
}

fn pw(s: &str) -> Password {
    PasswordPolicy::default().check("password", s).expect("pw")
}

impl World {
    fn sys(&self) -> Actor {
        Actor::System
    }
    fn create(&self, email: &str, role: Role) -> User {
        self.core
            .users
            .create(&as_actor(&self.admin), new_user(email, role))
            .expect("create")
    }
    fn principal_alive(&self, u: &User) -> bool {
        self.core
            .auth
            .resolve(u.id, u.credentials_version, None)
            .is_ok()
    }
}

#[test]
fn rule1_only_active_admins_manage_users() {
    let w = world();
    let bob = w.create("bob@example.com", Role::Editor);
    let lazy_admin = w.create("lazy@example.com", Role::Admin);
    let inactive_admin = Actor::User(Principal {
        status: Status::Inactive,
        ..match as_actor(&lazy_admin) {
            Actor::User(p) => p,
            Actor::System => unreachable!(),
        }
    });
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
    assert!(w.core.auth.login("bob@example.com", PW, None).is_ok());
    w.core
        .users
        .update(&w.sys(), &key(&bob), &status(Status::Suspended))
        .expect("suspend");
    let err = w
        .core
        .auth
        .login("bob@example.com", PW, None)
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
    let changes: Vec<(&str, Change)> = vec![
        (
            "deactivate",
            Box::new(|w, u| {
                w.core
                    .users
                    .update(&w.sys(), &key(u), &status(Status::Inactive))
                    .map(drop)
                    .expect("ok")
            }),
        ),
        (
            "suspend",
            Box::new(|w, u| {
                w.core
                    .users
                    .update(&w.sys(), &key(u), &status(Status::Suspended))
                    .map(drop)
                    .expect("ok")
            }),
        ),
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
        (
            "promote",
            Box::new(|w, u| {
                w.core
                    .users
                    .update(&w.sys(), &key(u), &role(Role::Admin))
                    .map(drop)
                    .expect("ok")
            }),
        ),
        (
            "demote",
            Box::new(|w, u| {
                w.core
                    .users
                    .update(&w.sys(), &key(u), &role(Role::Viewer))
                    .map(drop)
                    .expect("ok")
            }),
        ),
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
    assert!(w.core.auth.login("gone@example.com", PW, None).is_err());
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
    assert!(w.core.auth.login("root@example.com", PW, None).is_err());
    assert!(w.core.auth.login("second@example.com", PW, None).is_ok());
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
    let unknown = w.core.auth.login("nobody@example.com", PW, None);
    let after_unknown = w.hasher.verifies.load(Ordering::SeqCst);
    let wrong = w
        .core
        .auth
        .login("known@example.com", "wrong password!", None);
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
    assert_eq!(w.store.writes.load(Ordering::SeqCst) - writes, 3);
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
            w.core.auth.login("g@example.com", "bad guess 123", None),
            Err(CoreError::Unauthenticated(_))
        ));
    }
    let verifies = w.hasher.verifies.load(Ordering::SeqCst);
    assert!(matches!(
        w.core.auth.login("G@example.com", PW, None),
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
        .login_where("plain@example.com", PW, None, admins_only);
    let wrong_pw = w
        .core
        .auth
        .login_where("root@example.com", "nope nope", None, admins_only);
    assert_eq!(format!("{wrong_kind:?}"), format!("{wrong_pw:?}"));
    assert!(
        w.core
            .auth
            .login_where("root@example.com", PW, None, admins_only)
            .is_ok()
    );
    let me = w
        .core
        .auth
        .login("plain@example.com", PW, None)
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
            first_name: Some(Some("Pat".into())),
            phone: Some(Some("555".into())),
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
            phone: Some(None),
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
            .login("p@example.com", "a fresh password", None)
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
    let logged = w.core.auth.login("l@example.com", PW, None).expect("login");
    assert!(logged.last_login_at.is_some());
    assert_eq!(logged.credentials_version, u.credentials_version);
    assert_eq!(logged.updated_at, u.updated_at);
}

/// A mailer that keeps what it is asked to send, or fails when told to.
#[derive(Default)]
struct Outbox {
    sent: std::sync::Mutex<Vec<Mail>>,
    fail: std::sync::atomic::AtomicBool,
}

impl Mailer for Outbox {
    fn send(&self, mail: &Mail) -> Result<(), MailError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(MailError("connection refused".into()));
        }
        self.sent.lock().expect("lock").push(mail.clone());
        Ok(())
    }
}

impl Outbox {
    fn last_code(&self) -> String {
        match self.sent.lock().expect("lock").last() {
            Some(Mail::Invitation(m) | Mail::PasswordReset(m)) => m.code.clone(),
            None => panic!("no mail sent"),
        }
    }
}

fn mail_world(ttl: Duration) -> (World, Arc<Outbox>) {
    let outbox = Arc::new(Outbox::default());
    let w = world_with(Some(MailSettings {
        mailer: outbox.clone(),
        invite_ttl: ttl,
        reset_ttl: ttl,
    }));
    (w, outbox)
}

fn invitee(email: &str) -> NewUser {
    NewUser {
        // A password given with an invitation is ignored.
        password: Some(PasswordPolicy::default().check("password", PW).expect("pw")),
        ..NewUser::new(Email::parse(email).expect("email"))
    }
}

fn new_password(p: &str) -> Password {
    PasswordPolicy::default().check("password", p).expect("pw")
}

#[test]
fn an_invited_user_has_no_password_until_they_redeem_the_mailed_code() {
    let (w, outbox) = mail_world(Duration::from_secs(3600));
    let admin = as_actor(&w.admin);
    let batch = w
        .core
        .users
        .invite_batch(
            &admin,
            vec![Ok(invitee("new@example.com"))],
            BatchMode::Stop,
        )
        .expect("invite");
    let user = batch.results[0].as_ref().expect("invited").clone();
    assert!(!user.has_password);
    // The given password was not kept: nobody can log in before accepting.
    assert!(w.core.auth.login("new@example.com", PW, None).is_err());
    let code = outbox.last_code();
    assert_eq!(code.len(), invites::CODE_LENGTH);
    match &outbox.sent.lock().expect("lock")[0] {
        Mail::Invitation(m) => assert_eq!(m.to.as_str(), "new@example.com"),
        other => panic!("unexpected {other:?}"),
    }

    // Someone else's address with this code: unknown.
    let err = w
        .core
        .users
        .redeem_code(
            "root@example.com",
            &code,
            &new_password("a brand new secret"),
            |_| true,
        )
        .expect_err("wrong email");
    assert!(matches!(err, CoreError::NotFound));

    let accepted = w
        .core
        .users
        .redeem_code(
            " NEW@example.com ",
            &code,
            &new_password("a brand new secret"),
            |_| true,
        )
        .expect("accept");
    assert!(accepted.has_password);
    assert!(accepted.credentials_version > user.credentials_version);
    w.core
        .auth
        .login("new@example.com", "a brand new secret", None)
        .expect("login");
    // Single use.
    let again = w
        .core
        .users
        .redeem_code(
            "new@example.com",
            &code,
            &new_password("another new secret"),
            |_| true,
        )
        .expect_err("used");
    assert!(matches!(again, CoreError::NotFound));
}

#[test]
fn invitations_without_mail_are_refused_before_anything_is_written() {
    let w = world();
    let before = w.store.row_count();
    let err = w
        .core
        .users
        .invite_batch(
            &as_actor(&w.admin),
            vec![Ok(invitee("x@example.com"))],
            BatchMode::Stop,
        )
        .expect_err("no mail");
    assert!(matches!(err, CoreError::MailUnavailable(_)));
    assert_eq!(w.store.row_count(), before);
}

#[test]
fn a_failed_invitation_mail_removes_the_user_outright() {
    let (w, outbox) = mail_world(Duration::from_secs(3600));
    outbox.fail.store(true, Ordering::SeqCst);
    let before = w.store.row_count();
    let batch = w
        .core
        .users
        .invite_batch(
            &as_actor(&w.admin),
            vec![Ok(invitee("x@example.com"))],
            BatchMode::Stop,
        )
        .expect("batch");
    assert!(matches!(batch.results[0], Err(CoreError::MailFailed(_))));
    assert_eq!(
        w.store.row_count(),
        before,
        "no row left behind, not even a deleted one"
    );
    // The address is free, and a working mail server makes the invitation go through.
    outbox.fail.store(false, Ordering::SeqCst);
    let batch = w
        .core
        .users
        .invite_batch(
            &as_actor(&w.admin),
            vec![Ok(invitee("x@example.com"))],
            BatchMode::Stop,
        )
        .expect("batch");
    assert!(batch.results[0].is_ok());
}

#[test]
fn a_new_invitation_replaces_the_old_code_and_expired_codes_say_so() {
    let (w, outbox) = mail_world(Duration::from_secs(3600));
    let admin = as_actor(&w.admin);
    let user = w
        .core
        .users
        .invite_batch(&admin, vec![Ok(invitee("y@example.com"))], BatchMode::Stop)
        .expect("invite")
        .results
        .remove(0)
        .expect("user");
    let first = outbox.last_code();
    w.core
        .users
        .reinvite(&admin, user.id, &|_| Ok(()))
        .expect("reinvite");
    let second = outbox.last_code();
    assert_ne!(first, second);
    let pw = new_password("a brand new secret");
    assert!(matches!(
        w.core
            .users
            .redeem_code("y@example.com", &first, &pw, |_| true),
        Err(CoreError::NotFound)
    ));
    // The code of a user the endpoint does not admit is refused, and stays usable.
    assert!(matches!(
        w.core
            .users
            .redeem_code("y@example.com", &second, &pw, |r| r == Role::Admin),
        Err(CoreError::Forbidden(Denied::WrongKind))
    ));
    w.core
        .users
        .redeem_code("y@example.com", &second, &pw, |_| true)
        .expect("accept");
    // Accepted: no second invitation.
    assert!(matches!(
        w.core.users.reinvite(&admin, user.id, &|_| Ok(())),
        Err(CoreError::Conflict(Conflict::AlreadyAccepted))
    ));
    // Only an admin resends.
    let other = w.create("plain@example.com", Role::User);
    assert!(matches!(
        w.core
            .users
            .reinvite(&as_actor(&other), user.id, &|_| Ok(())),
        Err(CoreError::Forbidden(_))
    ));

    let (w, outbox) = mail_world(Duration::ZERO);
    w.core
        .users
        .invite_batch(
            &as_actor(&w.admin),
            vec![Ok(invitee("z@example.com"))],
            BatchMode::Stop,
        )
        .expect("invite");
    let hashes_before = w.hasher.verifies.load(Ordering::SeqCst);
    assert!(matches!(
        w.core
            .users
            .redeem_code("z@example.com", &outbox.last_code(), &pw, |_| true),
        Err(CoreError::CodeExpired)
    ));
    assert_eq!(w.hasher.verifies.load(Ordering::SeqCst), hashes_before);
}

fn client_for(w: &World, owner: &User, scopes: &[&str]) -> machine::Issued {
    w.core
        .users
        .create_credential(
            &w.sys(),
            machine::NewCredential {
                kind: machine::CredentialKind::OAuthClient,
                owner: key(owner),
                name: None,
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                expires_in: None,
            },
        )
        .expect("client")
}

#[test]
fn a_machine_credential_acts_as_its_owner_until_revoked() {
    use machine::CredentialKind::{ApiKey, OAuthClient};
    let w = world();
    let owner = w.create("robot@example.com", Role::Admin);
    let issued = client_for(&w, &owner, &["data", "user"]);
    let id = issued.credential.id.clone();
    assert_eq!(id.len(), 36);
    assert_eq!(issued.secret.len(), 48);
    let auth = |secret: &str, scopes: Option<&[String]>| {
        w.core
            .auth
            .authenticate_credential(OAuthClient, &id, secret, scopes, None)
    };
    let ok = auth(&issued.secret, None).expect("authenticates");
    assert_eq!(ok.principal.id, owner.id);
    assert_eq!(ok.scopes, ["data", "user"]);
    let user_only = ["user".to_owned()];
    assert_eq!(
        auth(&issued.secret, Some(&user_only)).expect("user").scopes,
        ["user"]
    );
    let audit = ["audit".to_owned()];
    assert!(matches!(
        auth(&issued.secret, Some(&audit)),
        Err(CoreError::Forbidden(Denied::Scope))
    ));
    assert!(matches!(
        auth("wrong", None),
        Err(CoreError::Unauthenticated(AuthFailure::BadCredentials))
    ));
    // The same id asked as another kind of credential does not authenticate.
    assert!(
        w.core
            .auth
            .authenticate_credential(ApiKey, &id, &issued.secret, None, None)
            .is_err()
    );
    let p = ok.principal;
    w.core
        .auth
        .resolve_credential(&id, p.id, p.credentials_version)
        .expect("live");
    // The owner's role change kills what was issued; a new authentication carries the new role.
    w.core
        .users
        .update(&as_actor(&w.admin), &key(&owner), &role(Role::User))
        .expect("demote");
    assert!(
        w.core
            .auth
            .resolve_credential(&id, p.id, p.credentials_version)
            .is_err()
    );
    let again = auth(&issued.secret, None).expect("still a credential");
    assert_eq!(again.principal.role, Role::User);
    // Revoked: neither a new token nor the old one.
    let revoked = w
        .core
        .users
        .revoke_credential(&w.sys(), &id)
        .expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert!(auth(&issued.secret, None).is_err());
    let q = again.principal;
    assert!(
        w.core
            .auth
            .resolve_credential(&id, q.id, q.credentials_version)
            .is_err()
    );
    assert_eq!(
        w.core
            .users
            .list_credentials(&w.sys(), OAuthClient)
            .expect("list")
            .len(),
        1
    );
    assert!(matches!(
        w.core.users.revoke_credential(&w.sys(), "nope"),
        Err(CoreError::NotFound)
    ));
}

#[test]
fn an_inactive_owner_makes_the_credential_fail() {
    let w = world();
    let owner = w.create("robot@example.com", Role::Admin);
    let issued = client_for(&w, &owner, &["user"]);
    w.core
        .users
        .update(&as_actor(&w.admin), &key(&owner), &status(Status::Inactive))
        .expect("deactivate");
    assert!(matches!(
        w.core.auth.authenticate_credential(
            machine::CredentialKind::OAuthClient,
            &issued.credential.id,
            &issued.secret,
            None,
            None
        ),
        Err(CoreError::Unauthenticated(AuthFailure::BadCredentials))
    ));
    // Only admins (or the operator) create credentials; the owner must exist.
    let user = w.create("plain@example.com", Role::User);
    let new = machine::NewCredential {
        kind: machine::CredentialKind::ApiKey,
        owner: key(&owner),
        name: Some("k".into()),
        scopes: vec![],
        expires_in: None,
    };
    assert!(matches!(
        w.core
            .users
            .create_credential(&as_actor(&user), new.clone()),
        Err(CoreError::Forbidden(Denied::NotAdmin))
    ));
    let ghost = machine::NewCredential {
        owner: UserKey::Id(UserId::new(999_999)),
        ..new
    };
    assert!(matches!(
        w.core.users.create_credential(&w.sys(), ghost),
        Err(CoreError::NotFound)
    ));
}

#[test]
fn api_keys_have_a_recognisable_shape_and_expire() {
    use machine::{CredentialKind::ApiKey, NewCredential, api_key, parse_api_key};
    let w = world();
    let make = |expires_in| {
        w.core
            .users
            .create_credential(
                &w.sys(),
                NewCredential {
                    kind: ApiKey,
                    owner: key(&w.admin),
                    name: Some("ci".into()),
                    scopes: vec![],
                    expires_in,
                },
            )
            .expect("key")
    };
    let issued = make(None);
    let key_text = api_key(&issued);
    assert!(key_text.starts_with("ugk_"));
    let (id, secret) = parse_api_key(&key_text).expect("parses");
    assert_eq!(
        (id, secret),
        (issued.credential.id.as_str(), issued.secret.as_str())
    );
    w.core
        .auth
        .authenticate_credential(ApiKey, id, secret, None, None)
        .expect("valid");
    for bad in [
        "",
        "ugk_",
        "ugk_short_secret",
        "xyz_0123456789abcdef_s",
        "ugk_0123456789abcdef_",
    ] {
        assert!(parse_api_key(bad).is_none(), "{bad}");
    }
    // An expired key fails like an unknown one.
    let expired = make(Some(Duration::ZERO));
    assert!(matches!(
        w.core.auth.authenticate_credential(
            ApiKey,
            &expired.credential.id,
            &expired.secret,
            None,
            None
        ),
        Err(CoreError::Unauthenticated(AuthFailure::BadCredentials))
    ));
}

#[test]
fn a_reset_code_goes_only_to_active_users_and_sets_the_password() {
    let (w, outbox) = mail_world(Duration::from_secs(3600));
    let user = w.create("forgetful@example.com", Role::User);
    let inactive = w.create("gone@example.com", Role::User);
    w.core
        .users
        .update(
            &as_actor(&w.admin),
            &key(&inactive),
            &status(Status::Inactive),
        )
        .expect("deactivate");
    for email in ["nobody@example.com", "gone@example.com", "not an address"] {
        w.core
            .users
            .request_password_reset(email)
            .expect("same answer");
    }
    assert!(
        outbox.sent.lock().expect("lock").is_empty(),
        "no mail for unknown or inactive"
    );
    w.core
        .users
        .request_password_reset("FORGETFUL@example.com")
        .expect("mailed");
    let code = match outbox.sent.lock().expect("lock").last() {
        Some(Mail::PasswordReset(m)) => m.code.clone(),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(
        w.core
            .users
            .peek_code("forgetful@example.com", &code)
            .expect("valid")
            .id,
        user.id
    );
    let pw = new_password("a brand new secret");
    let after = w
        .core
        .users
        .redeem_code("forgetful@example.com", &code, &pw, |_| true)
        .expect("reset");
    assert!(
        after.credentials_version > user.credentials_version,
        "tokens die"
    );
    w.core
        .auth
        .login("forgetful@example.com", "a brand new secret", None)
        .expect("login");
    assert!(matches!(
        w.core.users.peek_code("forgetful@example.com", &code),
        Err(CoreError::NotFound)
    ));
    // The throttle: three requests per account per window in this world.
    let ip = Some(std::net::IpAddr::from([10, 0, 0, 1]));
    let limited = (0..5)
        .map(|_| w.core.auth.reset_request("x@example.com", None))
        .filter(Result::is_err)
        .count();
    assert!(limited >= 1, "the account window limits reset requests");
    assert!(w.core.auth.reset_request("y@example.com", ip).is_ok());
}

#[test]
fn the_credential_cache_forgets_on_writes_and_keeps_across_logins() {
    let w = world();
    let cache = w.core.auth.cache().clone();
    cache.enable();
    let u = w.create("cached@example.com", Role::User);
    let other = w.create("other@example.com", Role::User);
    let cached = || {
        w.core
            .auth
            .resolve_cached(u.id, u.credentials_version, Some("jti-1"))
    };
    assert_eq!(cached(), None, "nothing before the first check");
    let p = w
        .core
        .auth
        .resolve(u.id, u.credentials_version, Some("jti-1"))
        .expect("resolve");
    assert_eq!(cached(), Some(p));
    assert_eq!(
        w.core
            .auth
            .resolve_cached(u.id, u.credentials_version, Some("jti-2")),
        None,
        "another token of the same user is checked on its own"
    );
    // Someone logging in changes no credential: the cache stays.
    w.core
        .auth
        .login("other@example.com", PW, None)
        .expect("login");
    assert_eq!(cached(), Some(p));
    // Any other write empties it (here: a change to another user).
    w.core
        .users
        .update(&w.sys(), &key(&other), &status(Status::Inactive))
        .expect("update");
    assert_eq!(cached(), None);
    // A revoked token is never answered from the cache.
    w.core
        .auth
        .resolve(u.id, u.credentials_version, Some("jti-1"))
        .expect("resolve");
    let exp = chrono::Utc::now().naive_utc() + chrono::Duration::hours(1);
    w.core.auth.revoke_token("jti-1", exp).expect("revoke");
    assert_eq!(cached(), None);
    assert!(
        w.core
            .auth
            .resolve(u.id, u.credentials_version, Some("jti-1"))
            .is_err()
    );
}
