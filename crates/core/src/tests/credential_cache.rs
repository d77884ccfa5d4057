//! The cache of resolved credentials.

use super::*;
use crate::*;

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
        .login("other@example.com", PW, &origin())
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
