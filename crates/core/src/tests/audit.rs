//! The audit log: one event per change, in the change's transaction; one failure event per
//! refused change; none for a rolled-back batch; never a secret.

use serde_json::json;

use super::*;
use crate::audit::Action;
use crate::ports::AuditEvent;

fn events_of(w: &World, action: Action) -> Vec<AuditEvent> {
    w.store
        .events()
        .into_iter()
        .filter(|e| e.action == action.as_str())
        .collect()
}

#[test]
fn a_role_change_is_one_event_with_its_diff_actor_and_origin() {
    let w = world();
    let bob = w.create("bob@example.com", Role::User);
    let before = w.store.events().len();
    w.core
        .users
        .update(&as_actor(&w.admin), &key(&bob), &role(Role::Admin))
        .expect("update");
    let new: Vec<AuditEvent> = w.store.events().into_iter().skip(before).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let e = &new[0];
    assert_eq!(e.action, "user.role_change");
    assert_eq!(e.outcome, "success");
    assert_eq!(e.dialect, "generic");
    assert_eq!(e.actor_type, "user");
    assert_eq!(e.actor_id.as_deref(), Some(&*w.admin.id.to_string()));
    assert_eq!(e.actor_email.as_deref(), Some("root@example.com"));
    assert_eq!(e.target_type.as_deref(), Some("user"));
    assert_eq!(e.target_id.as_deref(), Some(&*bob.id.to_string()));
    assert_eq!(e.target_email.as_deref(), Some("bob@example.com"));
    assert_eq!(e.request_id.as_deref(), Some("req-1"));
    assert_eq!(e.user_agent.as_deref(), Some("test"));
    assert_eq!(e.changes, json!({"role": {"from": "user", "to": "admin"}}));
}

#[test]
fn a_refused_change_leaves_one_failure_event_and_no_success() {
    let w = world();
    let bob = w.create("bob@example.com", Role::User);
    let before = w.store.events().len();
    let r = w
        .core
        .users
        .update(&as_actor(&bob), &key(&w.admin), &role(Role::User));
    assert!(matches!(r, Err(CoreError::Forbidden(Denied::NotAdmin))));
    let dup = w
        .core
        .users
        .create(&as_actor(&w.admin), new_user("BOB@example.com", Role::User));
    assert!(dup.is_err());
    let new: Vec<AuditEvent> = w.store.events().into_iter().skip(before).collect();
    assert_eq!(new.len(), 2, "{new:?}");
    assert!(new.iter().all(|e| e.outcome == "failure"));
    assert_eq!(new[0].error_code.as_deref(), Some("forbidden:not_admin"));
    assert_eq!(new[0].action, "user.update");
    assert_eq!(
        new[1].error_code.as_deref(),
        Some("conflict:duplicate_email")
    );
    assert_eq!(new[1].target_email.as_deref(), Some("BOB@example.com"));
}

#[test]
fn a_rolled_back_batch_leaves_no_success_event_and_its_failing_record_one_failure() {
    let w = world();
    w.create("taken@example.com", Role::User);
    let before = w.store.events().len();
    let items = vec![
        Ok(new_user("a@example.com", Role::User)),
        Ok(new_user("taken@example.com", Role::User)),
        Ok(new_user("c@example.com", Role::User)),
    ];
    let batch = w
        .core
        .users
        .create_batch(&as_actor(&w.admin), items, BatchMode::Rollback)
        .expect("batch");
    assert!(batch.rolled_back);
    let new: Vec<AuditEvent> = w.store.events().into_iter().skip(before).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0].outcome, "failure");
    assert_eq!(new[0].target_email.as_deref(), Some("taken@example.com"));
}

#[test]
fn passwords_are_changed_never_written_and_attributes_by_name() {
    let w = world();
    let bob = w.create("bob@example.com", Role::User);
    w.core
        .users
        .set_password(&w.sys(), &key(&bob), &pw("another secret here"))
        .expect("set");
    let mut changes = UserChanges {
        password: Some(pw("yet another secret")),
        ..UserChanges::default()
    };
    changes
        .attributes
        .insert("token_hint".into(), json!("s3cr3t-value"));
    w.core
        .users
        .update(&as_actor(&w.admin), &key(&bob), &changes)
        .expect("update");
    let all = format!("{:?}", w.store.events());
    for secret in [
        PW,
        "another secret here",
        "yet another secret",
        "s3cr3t-value",
    ] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
    assert!(!all.contains("$argon2"), "a hash in {all}");
    let changed = events_of(&w, Action::UserPasswordChange);
    assert_eq!(changed.len(), 2);
    assert_eq!(changed[0].actor_type, "cli");
    assert_eq!(
        changed[1].changes,
        json!({"password": "changed", "attributes": ["token_hint"]})
    );
}

#[test]
fn logins_are_events_failed_ones_anonymous() {
    let w = world();
    w.core
        .auth
        .login("root@example.com", PW, &origin())
        .expect("login");
    let _ = w.core.auth.login("root@example.com", "wrong", &origin());
    let _ = w.core.auth.login("nobody@example.com", "wrong", &origin());
    // A password typed into the address field is no address: it is not kept.
    let _ = w
        .core
        .auth
        .login("correct horse battery staple", "x", &origin());
    let logins = events_of(&w, Action::AuthLogin);
    let outcomes: Vec<(&str, &str, Option<&str>)> = logins
        .iter()
        .map(|e| {
            (
                e.outcome.as_str(),
                e.actor_type.as_str(),
                e.target_email.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("success", "user", Some("root@example.com")),
            ("failure", "anonymous", Some("root@example.com")),
            ("failure", "anonymous", Some("nobody@example.com")),
            ("failure", "anonymous", None),
        ]
    );
    assert!(!format!("{logins:?}").contains("correct horse battery staple"));
}

#[test]
fn a_noop_update_is_no_event_and_a_delete_is_one() {
    let w = world();
    let bob = w.create("bob@example.com", Role::User);
    let before = w.store.events().len();
    w.core
        .users
        .update(&as_actor(&w.admin), &key(&bob), &role(Role::User))
        .expect("noop");
    assert_eq!(w.store.events().len(), before);
    w.core
        .users
        .delete(&as_actor(&w.admin), &key(&bob))
        .expect("delete");
    let deleted = events_of(&w, Action::UserDelete);
    assert_eq!(deleted.len(), 1);
    assert_eq!(
        deleted[0].resource.as_ref().map(|r| &r["email"]),
        Some(&json!("bob@example.com"))
    );
}

#[test]
fn the_log_reads_newest_first_with_filters_and_prunes_by_age() {
    use crate::audit::AuditQuery;
    use crate::ports::{AuditFilter, Cursor};
    let w = world();
    for i in 0..3 {
        w.create(&format!("u{i}@example.com"), Role::User);
    }
    let q = |filter: AuditFilter, cursor, limit| AuditQuery {
        filter,
        cursor,
        limit,
    };
    let admin = as_actor(&w.admin);
    let creates = AuditFilter {
        action: Some("user.create".into()),
        ..AuditFilter::default()
    };
    let page = w
        .core
        .audit
        .list(&admin, &q(creates.clone(), Cursor::Before(None), 2))
        .expect("list");
    let emails: Vec<_> = page.iter().map(|e| e.target_email.clone()).collect();
    assert_eq!(
        emails,
        [Some("u2@example.com".into()), Some("u1@example.com".into())]
    );
    let rest = w
        .core
        .audit
        .list(&admin, &q(creates, Cursor::Before(Some(page[1].id)), 10))
        .expect("list");
    assert_eq!(rest.len(), 2, "u0 and the bootstrap admin");
    let bob = w.create("bob@example.com", Role::User);
    assert!(matches!(
        w.core.audit.list(
            &as_actor(&bob),
            &q(AuditFilter::default(), Cursor::Before(None), 1)
        ),
        Err(CoreError::Forbidden(Denied::NotAdmin))
    ));
    assert!(
        w.core
            .audit
            .list(
                &admin,
                &q(AuditFilter::default(), Cursor::Before(None), 501)
            )
            .is_err()
    );
    // Everything is "now" on the fixed clock: a zero retention prunes all of it, and the
    // prune is an event of its own.
    let n = w
        .core
        .audit
        .prune(&w.sys(), std::time::Duration::ZERO)
        .expect("prune");
    assert!(n >= 5, "{n}");
    let left = w.store.events();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].action, "audit.prune");
}
