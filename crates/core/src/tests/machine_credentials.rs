//! Machine credentials: OAuth clients and API keys acting as their owners.

use std::time::Duration;

use super::*;
use crate::*;

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
            .authenticate_machine(OAuthClient, &id, secret, scopes, None)
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
            .authenticate_machine(ApiKey, &id, &issued.secret, None, None)
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
        w.core.auth.authenticate_machine(
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
        .authenticate_machine(ApiKey, id, secret, None, None)
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
        w.core.auth.authenticate_machine(
            ApiKey,
            &expired.credential.id,
            &expired.secret,
            None,
            None
        ),
        Err(CoreError::Unauthenticated(AuthFailure::BadCredentials))
    ));
}
