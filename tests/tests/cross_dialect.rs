//! The cross-dialect matrix, on PostgreSQL and SQLite: a user created through each dialect is
//! read, updated, role-changed, deactivated, given a password and deleted through each *other*
//! dialect, for every operation that dialect supports (the table "What each dialect can do to a
//! user" in the architecture). After every step the user is read back through all five dialects
//! and each view is checked against the core state the step should have left, through the
//! mappings of the architecture: DreamFactory's `/system/user` vs `/system/admin` and
//! `is_active`, Domo's role names and ids, the generic dialect's coarse role and status, the
//! email-keyed `type` and `status`, SCIM's `userName`, `active` and role group. A deleted user
//! is 404 everywhere, except Domo's `GET`, which answers its `deleted: true` shape.

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::{ADMIN_EMAIL, Reply, TestApp, both_backends};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    DreamFactory,
    Domo,
    Generic,
    EmailKeyed,
    Scim,
}

use Dialect::{Domo, DreamFactory, EmailKeyed, Generic, Scim};

const ALL: [Dialect; 5] = [DreamFactory, Domo, Generic, EmailKeyed, Scim];

/// The core state a user should be in.
#[derive(Clone, Debug)]
struct Expect {
    id: i64,
    email: String,
    name: String,
    role: &'static str,
    status: &'static str,
}

/// One credential per dialect, each the bootstrap admin's.
struct Callers<'a> {
    app: &'a TestApp,
    df: String,
    domo: String,
    generic: String,
    ek: String,
    scim: String,
}

impl Callers<'_> {
    async fn call(&self, d: Dialect, method: Method, path: &str, body: Option<Value>) -> Reply {
        match d {
            DreamFactory => self.app.df_call(&self.df, method, path, body).await,
            Domo => self.app.domo_call(&self.domo, method, path, body).await,
            Generic => self.app.call(method, path, Some(&self.generic), body).await,
            EmailKeyed => self.app.call(method, path, Some(&self.ek), body).await,
            Scim => self.app.call(method, path, Some(&self.scim), body).await,
        }
    }

    /// The user's path in a dialect (DreamFactory's depends on the role).
    fn path(d: Dialect, u: &Expect) -> String {
        match d {
            DreamFactory if u.role == "admin" => format!("/api/v2/system/admin/{}", u.id),
            DreamFactory => format!("/api/v2/system/user/{}", u.id),
            Domo => format!("/domo/v1/users/{}", u.id),
            Generic => format!("/v1/users/usr_{}", u.id),
            EmailKeyed => format!("/api/users/{}", u.email),
            Scim => format!("/scim/v2/Users/{}", u.id),
        }
    }

    /// Creates a user through `d`; its starting state.
    async fn create(&self, d: Dialect, email: &str) -> Expect {
        let name = format!("Made By {d:?}");
        let (id, name) = match d {
            DreamFactory => {
                let r = self
                    .call(
                        d,
                        Method::POST,
                        "/api/v2/system/user",
                        Some(json!({"resource": [
                        {"email": email, "name": name, "password": "first password 01"}]})),
                    )
                    .await;
                assert_eq!(r.status, 201, "{d:?} create: {}", r.body);
                (r.body["resource"][0]["id"].as_i64().expect("id"), name)
            }
            Domo => {
                let r = self
                    .call(
                        d,
                        Method::POST,
                        "/domo/v1/users",
                        Some(json!(
                        {"email": email, "name": name, "role": "Participant"})),
                    )
                    .await;
                assert_eq!(r.status, 201, "{d:?} create: {}", r.body);
                (r.body["id"].as_i64().expect("id"), name)
            }
            Generic => {
                let r = self
                    .call(
                        d,
                        Method::POST,
                        "/v1/users",
                        Some(json!(
                        {"email": email, "name": name, "password": "first password 01"})),
                    )
                    .await;
                assert_eq!(r.status, 201, "{d:?} create: {}", r.body);
                let id = r.body["data"]["id"].as_str().expect("id");
                (
                    id.trim_start_matches("usr_").parse().expect("numeric id"),
                    name,
                )
            }
            EmailKeyed => {
                let r = self
                    .call(
                        d,
                        Method::POST,
                        "/api/users",
                        Some(json!(
                        {"email": email, "password": "first password 01"})),
                    )
                    .await;
                assert_eq!(r.status, 201, "{d:?} create: {}", r.body);
                // The email-keyed dialect shows no id: find it through DreamFactory's filter.
                let filter = format!("email='{email}'");
                let r = self
                    .call(
                        DreamFactory,
                        Method::GET,
                        &format!("/api/v2/system/user?filter={}", urlencode(&filter)),
                        None,
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
                let id = r.body["resource"][0]["id"]
                    .as_i64()
                    .expect("found by email");
                // A name derived from the address's local part.
                (id, email.split('@').next().unwrap_or_default().to_owned())
            }
            Scim => {
                let r = self
                    .call(
                        d,
                        Method::POST,
                        "/scim/v2/Users",
                        Some(json!(
                        {"userName": email, "displayName": name, "password": "first password 01"})),
                    )
                    .await;
                assert_eq!(r.status, 201, "{d:?} create: {}", r.body);
                let id = r.body["id"].as_str().expect("id");
                (id.parse().expect("numeric id"), name)
            }
        };
        Expect {
            id,
            email: email.to_owned(),
            name,
            role: "user",
            status: "active",
        }
    }

    /// Reads the user through every dialect and checks each view against `u`.
    async fn observe(&self, u: &Expect, step: &str) {
        for d in ALL {
            let r = self.call(d, Method::GET, &Self::path(d, u), None).await;
            let at = format!("{step}: {d:?} view of {}: {}", u.email, r.body);
            assert_eq!(r.status, 200, "{at}");
            let b = &r.body;
            match d {
                DreamFactory => {
                    assert_eq!(
                        (b["id"].as_i64(), &b["email"], &b["name"]),
                        (Some(u.id), &json!(u.email), &json!(u.name)),
                        "{at}"
                    );
                    assert_eq!(b["is_active"], json!(u.status == "active"), "{at}");
                    // Listed under the other endpoint: no.
                    let other = if u.role == "admin" { "user" } else { "admin" };
                    let r = self
                        .call(
                            d,
                            Method::GET,
                            &format!("/api/v2/system/{other}/{}", u.id),
                            None,
                        )
                        .await;
                    assert_eq!(r.status, 404, "{at}: also under /system/{other}");
                }
                Domo => {
                    let (role, id) = match u.role {
                        "admin" => ("Admin", 1),
                        "privileged" => ("Privileged", 2),
                        "editor" => ("Editor", 3),
                        "user" => ("Participant", 4),
                        _ => ("Social", 5),
                    };
                    assert_eq!(
                        (b["id"].as_i64(), &b["email"], &b["name"]),
                        (Some(u.id), &json!(u.email), &json!(u.name)),
                        "{at}"
                    );
                    assert_eq!(
                        (&b["role"], &b["roleId"]),
                        (&json!(role), &json!(id)),
                        "{at}"
                    );
                }
                Generic => {
                    let role = match u.role {
                        "admin" => "admin",
                        "viewer" => "viewer",
                        _ => "user",
                    };
                    let data = &b["data"];
                    assert_eq!(
                        (&data["id"], &data["email"], &data["name"]),
                        (
                            &json!(format!("usr_{}", u.id)),
                            &json!(u.email),
                            &json!(u.name)
                        ),
                        "{at}"
                    );
                    assert_eq!(
                        (&data["role"], &data["status"]),
                        (&json!(role), &json!(u.status)),
                        "{at}"
                    );
                }
                Scim => {
                    assert_eq!(
                        (&b["id"], &b["userName"], &b["displayName"]),
                        (&json!(u.id.to_string()), &json!(u.email), &json!(u.name)),
                        "{at}"
                    );
                    // The role group comes first among the user's groups.
                    assert_eq!(
                        (&b["active"], &b["groups"][0]["value"]),
                        (&json!(u.status == "active"), &json!(u.role)),
                        "{at}"
                    );
                }
                EmailKeyed => {
                    let kind = if u.role == "admin" { "Admin" } else { "User" };
                    let status = if u.status == "active" {
                        "Active"
                    } else {
                        "Inactive"
                    };
                    assert_eq!(
                        (&b["email"], &b["type"], &b["status"]),
                        (&json!(u.email), &json!(kind), &json!(status)),
                        "{at}"
                    );
                }
            }
        }
    }

    /// Checks that `u` is deleted for every dialect.
    async fn observe_deleted(&self, u: &Expect, step: &str) {
        for d in ALL {
            let r = self.call(d, Method::GET, &Self::path(d, u), None).await;
            let at = format!("{step}: {d:?} view of deleted {}: {}", u.email, r.body);
            if d == Domo {
                assert_eq!(
                    (r.status, &r.body),
                    (200, &json!({"id": u.id, "name": u.name, "deleted": true})),
                    "{at}"
                );
            } else {
                assert_eq!(r.status, 404, "{at}");
            }
        }
        for endpoint in ["user", "admin"] {
            let r = self
                .call(
                    DreamFactory,
                    Method::GET,
                    &format!("/api/v2/system/{endpoint}/{}", u.id),
                    None,
                )
                .await;
            assert_eq!(r.status, 404, "{step}: /system/{endpoint}");
        }
        let r = self.app.login(&u.email, "second password 02").await;
        assert_eq!(r.status, 401, "{step}: a deleted user logs in: {}", r.body);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Updates name and email through `d` (DreamFactory, Domo, generic).
async fn update_profile(c: &Callers<'_>, d: Dialect, u: &mut Expect) {
    let email = format!("renamed.{}", u.email);
    let name = format!("Renamed By {d:?}");
    let body = json!({"name": name, "email": email});
    let r = match d {
        DreamFactory | Generic => {
            c.call(d, Method::PATCH, &Callers::path(d, u), Some(body))
                .await
        }
        Domo => {
            c.call(d, Method::PUT, &Callers::path(d, u), Some(body))
                .await
        }
        Scim => {
            let ops = json!({"Operations": [
                {"op": "replace", "path": "displayName", "value": name},
                {"op": "replace", "path": "userName", "value": email},
            ]});
            c.call(d, Method::PATCH, &Callers::path(d, u), Some(ops))
                .await
        }
        EmailKeyed => unreachable!("the email-keyed dialect changes no profile"),
    };
    assert_eq!(r.status, 200, "{d:?} update {}: {}", u.email, r.body);
    let old = Callers::path(EmailKeyed, u);
    u.email = email;
    u.name = name;
    c.observe(u, &format!("after {d:?} renamed it")).await;
    let r = c.call(EmailKeyed, Method::GET, &old, None).await;
    assert_eq!(r.status, 404, "the old address still finds the user");
}

/// Role changes through `d` (Domo, generic, email-keyed), ending on a non-admin role.
async fn change_roles(c: &Callers<'_>, d: Dialect, u: &mut Expect) {
    let steps: &[(Value, &'static str)] = match d {
        Domo => &[
            (json!({"role": "Editor"}), "editor"),
            (json!({"roleId": 1}), "admin"),
            (json!({"role": "Social"}), "viewer"),
            (json!({"role": "Privileged"}), "privileged"),
        ],
        Generic => &[
            (json!({"role": "admin"}), "admin"),
            (json!({"role": "viewer"}), "viewer"),
            (json!({"role": "user"}), "user"),
        ],
        EmailKeyed => &[
            (json!({"type": "Admin"}), "admin"),
            (json!({"type": "User"}), "user"),
        ],
        // The user's `roles`, then the role groups (`null`: the group's members).
        Scim => &[
            (
                json!({"Operations": [{"op": "replace", "path": "roles", "value": [{"value": "Editor"}]}]}),
                "editor",
            ),
            (json!(null), "admin"),
            (
                json!({"Operations": [{"op": "remove", "path": "roles"}]}),
                "user",
            ),
            (
                json!({"Operations": [{"op": "add", "value": {"roles": [{"value": "viewer", "primary": true}]}}]}),
                "viewer",
            ),
        ],
        DreamFactory => unreachable!("DreamFactory fixes the role by endpoint"),
    };
    for (body, role) in steps {
        let path = Callers::path(d, u);
        let r = match d {
            Domo | EmailKeyed => c.call(d, Method::PUT, &path, Some(body.clone())).await,
            Scim if body.is_null() => {
                let add = json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": u.id.to_string()}]}]});
                c.call(
                    d,
                    Method::PATCH,
                    &format!("/scim/v2/Groups/{role}"),
                    Some(add),
                )
                .await
            }
            _ => c.call(d, Method::PATCH, &path, Some(body.clone())).await,
        };
        assert!(
            matches!(r.status, 200 | 204),
            "{d:?} role {body}: {} {}",
            r.status,
            r.body
        );
        u.role = role;
        c.observe(u, &format!("after {d:?} set {body}")).await;
    }
}

/// Deactivates and reactivates through `d` (DreamFactory, generic, email-keyed); an inactive
/// user cannot log in.
async fn deactivate(c: &Callers<'_>, d: Dialect, u: &mut Expect, password: Option<&str>) {
    let steps: &[(Value, &'static str)] = match d {
        DreamFactory => &[
            (json!({"is_active": false}), "inactive"),
            (json!({"is_active": true}), "active"),
        ],
        Generic => &[
            (json!({"status": "suspended"}), "suspended"),
            (json!({"status": "inactive"}), "inactive"),
            (json!({"status": "active"}), "active"),
        ],
        EmailKeyed => &[
            (json!({"status": "Inactive"}), "inactive"),
            (json!({"status": "Active"}), "active"),
        ],
        Scim => &[
            (
                json!({"Operations": [{"op": "replace", "path": "active", "value": "False"}]}),
                "inactive",
            ),
            (
                json!({"Operations": [{"op": "replace", "value": {"active": true}}]}),
                "active",
            ),
        ],
        Domo => unreachable!("Domo shows no status"),
    };
    for (body, status) in steps {
        let path = Callers::path(d, u);
        let r = match d {
            EmailKeyed => c.call(d, Method::PUT, &path, Some(body.clone())).await,
            _ => c.call(d, Method::PATCH, &path, Some(body.clone())).await,
        };
        assert!(
            matches!(r.status, 200 | 204),
            "{d:?} status {body}: {} {}",
            r.status,
            r.body
        );
        u.status = status;
        c.observe(u, &format!("after {d:?} set {body}")).await;
        if let Some(password) = password {
            let login = c.app.login(&u.email, password).await;
            let expected = if *status == "active" { 200 } else { 401 };
            assert_eq!(
                login.status, expected,
                "{d:?}: log in while {status}: {}",
                login.body
            );
        }
    }
}

/// Sets a password through `d` (DreamFactory, generic, email-keyed); the user logs in with it
/// through both password dialects, and not with the old one.
async fn set_password(c: &Callers<'_>, d: Dialect, u: &Expect) {
    let new = "second password 02";
    let path = Callers::path(d, u);
    let r = match d {
        DreamFactory | Generic => {
            c.call(d, Method::PATCH, &path, Some(json!({"password": new})))
                .await
        }
        EmailKeyed => {
            c.call(d, Method::PATCH, &path, Some(json!({"newPassword": new})))
                .await
        }
        Scim => {
            let ops = json!({"Operations": [{"op": "replace", "path": "password", "value": new}]});
            c.call(d, Method::PATCH, &path, Some(ops)).await
        }
        Domo => unreachable!("Domo sets no password"),
    };
    assert!(
        matches!(r.status, 200 | 204),
        "{d:?} password: {} {}",
        r.status,
        r.body
    );
    assert_eq!(
        c.app.login(&u.email, new).await.status,
        200,
        "{d:?}: email-keyed login with the new password"
    );
    assert_eq!(
        c.app.login(&u.email, "first password 01").await.status,
        401,
        "{d:?}: the old password still works"
    );
    let r = c
        .app
        .call(
            Method::POST,
            "/api/v2/user/session",
            None,
            Some(json!({"email": u.email, "password": new})),
        )
        .await;
    assert_eq!(
        r.status, 200,
        "{d:?}: DreamFactory login with the new password: {}",
        r.body
    );
    c.observe(u, &format!("after {d:?} set a password")).await;
}

async fn delete(c: &Callers<'_>, d: Dialect, u: &Expect) {
    let r = c.call(d, Method::DELETE, &Callers::path(d, u), None).await;
    assert!(
        matches!(r.status, 200 | 204),
        "{d:?} delete: {} {}",
        r.status,
        r.body
    );
    c.observe_deleted(u, &format!("after {d:?} deleted it"))
        .await;
    // The address is free again, for every dialect.
    let again = c.create(EmailKeyed, &u.email).await;
    assert_ne!(again.id, u.id, "a new user, never the old row");
}

both_backends! {
    async fn every_dialect_manages_users_of_every_other(kind) {
        let app = TestApp::spawn(kind).await;
        let (client, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let callers = Callers {
            app: &app,
            df: app.df_admin_session().await,
            domo: app.domo_token(&client, &secret).await,
            generic: app.api_key(ADMIN_EMAIL, None),
            ek: app.admin_token().await,
            scim: app.scim_key(ADMIN_EMAIL),
        };
        let c = &callers;
        for creator in ALL {
            for other in ALL.into_iter().filter(|d| *d != creator) {
                let email = format!("{creator:?}-{other:?}@matrix.example").to_lowercase();
                let mut u = c.create(creator, &email).await;
                c.observe(&u, &format!("{creator:?} created it")).await;
                if other != EmailKeyed {
                    update_profile(c, other, &mut u).await;
                }
                if other != DreamFactory {
                    change_roles(c, other, &mut u).await;
                }
                // Domo's users may have no password (it creates none): set one through a
                // password dialect so that status changes can be checked by logging in.
                let password = if creator == Domo { None } else { Some("first password 01") };
                if other != Domo {
                    if let Some(p) = password {
                        assert_eq!(app.login(&u.email, p).await.status, 200, "{creator:?} user logs in");
                    }
                    deactivate(c, other, &mut u, password).await;
                    set_password(c, other, &u).await;
                }
                delete(c, other, &u).await;
            }
        }
        app.stop().await;
    }
}
