//! The authorization matrix, on PostgreSQL and SQLite: every mutating management endpoint of
//! every dialect, called by six callers: anonymous, a non-admin, an admin deactivated after
//! getting their credentials, an admin deleted after getting them, an admin whose token was
//! issued before a password change, and an active admin. Only the last succeeds; each refusal
//! carries the dialect's own code and envelope, and leaves the target as it was.
//!
//! Per dialect, the refusals (from the dialect specs):
//!
//! | caller | email-keyed | DreamFactory | Domo | generic | SCIM |
//! |---|---|---|---|---|---|
//! | anonymous | 401 | 400 (no session token) | 401 | 401 | 401 |
//! | non-admin | 403 | 403 (Access Forbidden) | 403 | 403 | 403 |
//! | deactivated, deleted, password changed | 401 | 403 (blacklisted) | 401 | 401 | 401 |
//!
//! The generic and SCIM dialects have no tokens: their API keys are credentials of their own,
//! not derived from the password, so a password change does not touch them (like the Domo
//! client's secret; `usergate api-keys revoke` ends a key). That caller is therefore absent for
//! them; a deactivated or deleted owner stops the key.
//!
//! Groups are in the matrix too (Domo's `/v1/groups`, SCIM's `/Groups`, role groups included):
//! the state compared before and after is the target user's as every dialect shows it, its
//! groups, and the names of every group.
//!
//! Self-service endpoints (DreamFactory's `/user/password` with an invitation or reset code, the
//! sessions, the token endpoints) are not management endpoints and are left out: their rules
//! are tested with each dialect. So is DreamFactory's `POST /system/{user,admin}/{id}`, which
//! creates nothing: it answers 400 to everyone, as DreamFactory does.

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Reply, TestApp, both_backends};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    EmailKeyed,
    DreamFactory,
    Domo,
    Generic,
    Scim,
}

use Dialect::{Domo, DreamFactory, EmailKeyed, Generic, Scim};

#[path = "authorization/endpoints.rs"]
mod endpoints;

use endpoints::{Target, endpoints};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    NonAdmin,
    Deactivated,
    Deleted,
    PasswordChanged,
    Admin,
}

/// A caller's credential in each dialect (`None`: sends none).
struct Caller {
    who: Who,
    ek: Option<String>,
    df: Option<String>,
    domo: Option<String>,
    generic: Option<String>,
    scim: Option<String>,
}

impl Caller {
    fn credential(&self, d: Dialect) -> Option<&str> {
        match d {
            EmailKeyed => self.ek.as_deref(),
            DreamFactory => self.df.as_deref(),
            Domo => self.domo.as_deref(),
            Generic => self.generic.as_deref(),
            Scim => self.scim.as_deref(),
        }
    }
}

async fn send(
    app: &TestApp,
    d: Dialect,
    credential: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    match (d, credential) {
        (_, None) => app.call(method, path, None, body).await,
        (DreamFactory, Some(t)) => app.df_call(t, method, path, body).await,
        (Domo, Some(t)) => app.domo_call(t, method, path, body).await,
        (EmailKeyed | Generic | Scim, Some(t)) => app.call(method, path, Some(t), body).await,
    }
}

/// What a refusal must look like: the status and a check of the envelope.
fn assert_refused(d: Dialect, who: Who, r: &Reply, at: &str) {
    let (status, what) = match (d, who) {
        (DreamFactory, Who::Anonymous) => (400, "No session token"),
        (DreamFactory, Who::NonAdmin) => (403, "Access Forbidden"),
        (DreamFactory, _) => (403, "blacklisted"),
        (_, Who::NonAdmin) => (403, ""),
        _ => (401, ""),
    };
    assert_eq!(r.status, status, "{at}: {}", r.body);
    match d {
        EmailKeyed => {
            assert!(r.body["message"].is_string(), "{at}: {}", r.body);
            if status == 401 {
                let challenge = r.header("www-authenticate").unwrap_or_default();
                assert!(challenge.starts_with("Bearer"), "{at}: {challenge}");
            }
        }
        DreamFactory => {
            let message = r.body["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(what), "{at}: {}", r.body);
            assert_eq!(r.body["error"]["code"], status, "{at}");
        }
        Domo => {
            assert_eq!(r.body["status"], status, "{at}: {}", r.body);
            assert!(r.body["toe"].is_string(), "{at}: {}", r.body);
        }
        Scim => {
            assert_eq!(
                r.body["status"],
                json!(status.to_string()),
                "{at}: {}",
                r.body
            );
            assert_eq!(
                r.body["schemas"],
                json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
                "{at}"
            );
        }
        Generic => {
            let code = if status == 401 {
                "unauthorized"
            } else {
                "forbidden"
            };
            assert_eq!(
                (&r.body["success"], &r.body["error"]["code"]),
                (&json!(false), &json!(code)),
                "{at}: {}",
                r.body
            );
        }
    }
}

/// Credentials of `email` (password `password`, an admin unless `plain`) in every dialect.
async fn caller(app: &TestApp, who: Who, email: &str, password: &str, admin: bool) -> Caller {
    let session_path = if admin {
        "/api/v2/system/admin/session"
    } else {
        "/api/v2/user/session"
    };
    let r = app
        .call(
            Method::POST,
            session_path,
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    let df = r.body["session_token"]
        .as_str()
        .unwrap_or_else(|| panic!("session of {email}: {}", r.body))
        .to_owned();
    let (client, secret) = app.domo_client(email, &["user"]);
    Caller {
        who,
        ek: Some(app.token(email, password).await),
        df: Some(df),
        domo: Some(app.domo_token(&client, &secret).await),
        generic: (who != Who::PasswordChanged).then(|| app.api_key(email, None)),
        scim: (who != Who::PasswordChanged).then(|| app.scim_key(email)),
    }
}

/// The target's state as an admin sees it (DreamFactory's record carries every field and
/// `last_modified_date`; SCIM's, the role and the groups), and every group's name; `None`
/// when no live user has the address nor a group its name.
async fn snapshot(app: &TestApp, et: &str, gk: &str, email: &str) -> Option<Value> {
    let sk = app.scim_key(ADMIN_EMAIL);
    let groups = app
        .call(
            Method::GET,
            "/scim/v2/Groups?excludedAttributes=members&count=1000",
            Some(&sk),
            None,
        )
        .await;
    let names: Vec<Value> = groups.body["Resources"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["displayName"].clone())
        .collect();
    let r = app
        .call(Method::GET, &format!("/api/users/{email}"), Some(et), None)
        .await;
    if r.status == 404 {
        return names
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.ends_with(email)))
            .then(|| json!({"groups": names}));
    }
    assert_eq!(r.status, 200, "{}", r.body);
    let list = app
        .call(
            Method::GET,
            &format!("/v1/users?search={email}"),
            Some(gk),
            None,
        )
        .await;
    // Whether the target's password still works (a refused password change must not apply).
    let login = app.login(email, "caller password 01").await.status;
    let id = list.body["data"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches("usr_")
        .to_owned();
    let scim = app
        .call(
            Method::GET,
            &format!("/scim/v2/Users/{id}"),
            Some(&sk),
            None,
        )
        .await;
    Some(
        json!({"ek": r.body, "generic": list.body["data"], "login": login, "scim": scim.body, "groups": names}),
    )
}

both_backends! {
    async fn only_an_active_admin_may_mutate(kind) {
        let app = TestApp::spawn(kind).await;
        let et = app.admin_token().await;
        let gk = app.api_key(ADMIN_EMAIL, None);
        let pw = "caller password 01";
        app.create_user(&et, "plain@authz.test", pw).await;
        for email in ["deactivated@authz.test", "deleted@authz.test", "pwchanged@authz.test"] {
            app.create_admin(&et, email, pw).await;
        }
        let callers = vec![
            Caller { who: Who::Anonymous, ek: None, df: None, domo: None, generic: None, scim: None },
            caller(&app, Who::NonAdmin, "plain@authz.test", pw, false).await,
            caller(&app, Who::Deactivated, "deactivated@authz.test", pw, true).await,
            caller(&app, Who::Deleted, "deleted@authz.test", pw, true).await,
            caller(&app, Who::PasswordChanged, "pwchanged@authz.test", pw, true).await,
            caller(&app, Who::Admin, ADMIN_EMAIL, ADMIN_PASSWORD, true).await,
        ];
        // Now the changes that must stop the credentials above.
        let r = app.call(Method::PUT, "/api/users/deactivated@authz.test", Some(&et), Some(json!({"status": "Inactive"}))).await;
        assert_eq!(r.status, 204);
        let r = app.call(Method::DELETE, "/api/users/deleted@authz.test", Some(&et), None).await;
        assert_eq!(r.status, 204);
        let r = app.call(Method::PATCH, "/api/users/pwchanged@authz.test", Some(&et), Some(json!({"newPassword": "a new password 02"}))).await;
        assert_eq!(r.status, 204);

        for (n, endpoint) in endpoints().iter().enumerate() {
            let email = format!("target{n}@authz.test");
            let id = if endpoint.creates {
                0
            } else {
                if endpoint.admin_target {
                    app.create_admin(&et, &email, pw).await;
                } else {
                    app.create_user(&et, &email, pw).await;
                }
                let r = app.call(Method::GET, &format!("/v1/users?search={email}"), Some(&gk), None).await;
                let id = r.body["data"][0]["id"].as_str().expect("target id");
                id.trim_start_matches("usr_").parse().expect("numeric id")
            };
            let sk = app.scim_key(ADMIN_EMAIL);
            let mut groups = Vec::new();
            for (name, members) in [(format!("full {email}"), json!([{"value": id.to_string()}])), (format!("empty {email}"), json!([]))] {
                let members = if id == 0 { json!([]) } else { members };
                let r = app.call(Method::POST, "/scim/v2/Groups", Some(&sk), Some(json!({"displayName": name, "members": members}))).await;
                assert_eq!(r.status, 201, "{}", r.body);
                groups.push(r.body["id"].as_str().expect("group id").parse::<i64>().expect("number"));
            }
            let target = Target { id, email: email.clone(), full: groups[0], empty: groups[1] };
            let before = snapshot(&app, &et, &gk, &email).await;
            for caller in &callers {
                let d = endpoint.dialect;
                if (d == Generic || d == Scim) && caller.who == Who::PasswordChanged {
                    continue;
                }
                let (method, path, body) = (endpoint.request)(&target);
                let r = send(&app, d, caller.credential(d), method, &path, body).await;
                let at = format!("{d:?} {} as {:?}", endpoint.name, caller.who);
                if caller.who == Who::Admin {
                    assert!((200..300).contains(&r.status), "{at}: {} {}", r.status, r.body);
                    assert_ne!(snapshot(&app, &et, &gk, &email).await, before, "{at}: nothing changed");
                } else {
                    assert_refused(d, caller.who, &r, &at);
                    assert_eq!(snapshot(&app, &et, &gk, &email).await, before, "{at}: the target changed");
                }
            }
        }
        app.stop().await;
    }
}
