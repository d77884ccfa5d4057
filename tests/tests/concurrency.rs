//! Concurrency, on PostgreSQL and SQLite: races that the store's constraints and transactions
//! must settle, whatever the dialect each racer speaks.
//!
//! - 50 creates of one address, at once, spread over the four dialects: exactly one user, every
//!   other request a conflict in its dialect's own words, nothing half-written.
//! - Demotions, deactivations and deletions of every admin at once, through three dialects, many
//!   rounds: never zero active admins (rule 4), whatever the interleaving.
//!
//! Durability under `SIGKILL` is tested on the real binary in `crates/server/tests/durability.rs`.

use awc::http::Method;
use futures_util::future::join_all;
use serde_json::{Value, json};
use usergate_core::{Actor, Page, Role, Status};
use usergate_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Reply, TestApp, both_backends};

/// Every live user, read through core as the operator's CLI would.
fn everyone(app: &TestApp) -> Vec<usergate_core::User> {
    let core = usergate_server::commands::operator_core_at(
        app.db_url(),
        usergate_core::PasswordPolicy::default(),
    )
    .expect("operator core");
    core.users
        .list(
            &Actor::system(usergate_core::Channel::Cli),
            Page {
                limit: 10_000,
                offset: 0,
            },
        )
        .expect("list")
}

/// The addresses of the active admins.
fn active_admins(app: &TestApp) -> Vec<String> {
    everyone(app)
        .into_iter()
        .filter(|u| u.role == Role::Admin && u.status == Status::Active)
        .map(|u| u.email.as_str().to_owned())
        .collect()
}

enum Cred {
    Bearer(String),
    Domo(String),
}

fn is_conflict(dialect: &str, r: &Reply) -> bool {
    match dialect {
        // DreamFactory reports the failed record inside its batch error.
        "dreamfactory" => {
            r.status == 400 && r.body["error"]["context"]["resource"][0]["code"] == 409
        }
        "generic" => r.status == 409 && r.body["error"]["code"] == "duplicate_email",
        _ => r.status == 409,
    }
}

both_backends! {
    async fn fifty_creates_of_one_address_make_one_user(kind) {
        let app = TestApp::spawn(kind).await;
        let et = app.admin_token().await;
        let df = app.df_admin_session().await;
        let (client, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let domo = app.domo_token(&client, &secret).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        for round in 0..3 {
            let email = format!("race{round}@example.com");
            // The same address as each dialect's clients might write it.
            let spelled = [email.clone(), email.to_uppercase(), format!("Race{round}@Example.COM")];
            let requests = (0..50).map(|i| {
                let e = spelled[i % spelled.len()].clone();
                let (app, et, df, domo, key) = (&app, &et, &df, &domo, &key);
                async move {
                    match i % 4 {
                        0 => ("email-keyed", app.call(Method::POST, "/api/users", Some(et), Some(json!({"email": e, "password": "race password 01"}))).await),
                        1 => ("dreamfactory", app.df_call(df, Method::POST, "/api/v2/system/user", Some(json!({"resource": [{"email": e, "name": "Racer"}]}))).await),
                        2 => ("domo", app.domo_call(domo, Method::POST, "/domo/v1/users", Some(json!({"email": e, "name": "Racer", "role": "Participant"}))).await),
                        _ => ("generic", app.call(Method::POST, "/v1/users", Some(key), Some(json!({"email": e, "name": "Racer"}))).await),
                    }
                }
            });
            let replies = join_all(requests).await;
            let created = replies.iter().filter(|(_, r)| r.status == 201 || (r.status == 200 && r.body["resource"][0]["id"].is_i64())).count();
            assert_eq!(created, 1, "round {round}: {:?}", replies.iter().map(|(d, r)| (d, r.status)).collect::<Vec<_>>());
            for (dialect, r) in &replies {
                let ok = (200..300).contains(&r.status);
                assert!(ok || is_conflict(dialect, r), "round {round}: {dialect} answered {} {}", r.status, r.body);
            }
            let matching: Vec<_> = everyone(&app).into_iter().filter(|u| u.email.as_str().eq_ignore_ascii_case(&email)).collect();
            assert_eq!(matching.len(), 1, "round {round}: {matching:?}");
        }
        app.stop().await;
    }

    async fn racing_demotions_never_leave_zero_active_admins(kind) {
        let app = TestApp::spawn(kind).await;
        let pw = "racing password 1";
        let password_of = |email: &str| if email == ADMIN_EMAIL { ADMIN_PASSWORD } else { pw };
        for round in 0..5 {
            // Whoever is left makes four more admins.
            let left = active_admins(&app);
            let creator = app.token(&left[0], password_of(&left[0])).await;
            for n in 0..4 {
                app.create_admin(&creator, &format!("admin{round}-{n}@example.com"), pw).await;
            }
            // Every active admin demotes, deactivates, suspends or deletes the next one, each
            // with their own credential, all at once, through four dialects: every caller is
            // also a target.
            let admins = active_admins(&app);
            let mut racers = Vec::new();
            for (i, email) in admins.iter().enumerate() {
                let target = &admins[(i + 1) % admins.len()];
                let id = everyone(&app).into_iter().find(|u| u.email.as_str() == target).map(|u| u.id.get()).expect("target");
                let (method, path, body, credential) = match i % 5 {
                    0 => (Method::PUT, format!("/api/users/{target}"), Some(json!({"type": "User"})), Cred::Bearer(app.token(email, password_of(email)).await)),
                    1 => (Method::PATCH, format!("/v1/users/usr_{id}"), Some(json!({"status": "suspended"})), Cred::Bearer(app.api_key(email, None))),
                    2 => {
                        let (client, secret) = app.domo_client(email, &["user"]);
                        (Method::PUT, format!("/domo/v1/users/{id}"), Some(json!({"role": "Editor"})), Cred::Domo(app.domo_token(&client, &secret).await))
                    }
                    3 => (Method::DELETE, format!("/v1/users/usr_{id}"), None, Cred::Bearer(app.api_key(email, None))),
                    _ => (Method::PUT, format!("/api/users/{target}"), Some(json!({"status": "Inactive"})), Cred::Bearer(app.token(email, password_of(email)).await)),
                };
                racers.push((target.clone(), method, path, body, credential));
            }
            let requests = racers.into_iter().map(|(target, method, path, body, credential)| {
                let app = &app;
                async move {
                    let r = match &credential {
                        Cred::Bearer(t) => app.call(method, &path, Some(t), body).await,
                        Cred::Domo(t) => app.domo_call(t, method, &path, body).await,
                    };
                    (target, r.status, r.body)
                }
            });
            let replies: Vec<(String, u16, Value)> = join_all(requests).await;
            for (target, status, body) in &replies {
                // Done; refused because the caller lost their rights first (401/403); or
                // refused to keep an admin (409).
                assert!(matches!(status, 200 | 204 | 401 | 403 | 409), "round {round}: {target}: {status} {body}");
            }
            let left = active_admins(&app);
            assert!(!left.is_empty(), "round {round}: no active admin left: {replies:?}");
        }
        app.stop().await;
    }
}
