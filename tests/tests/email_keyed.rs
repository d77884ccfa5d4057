//! The email-keyed `/api` dialect over HTTP, on PostgreSQL and SQLite: every endpoint, every
//! status code of `shared/dialects/email-keyed.md`, and every rule it carries.

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, both_backends};

const PW: &str = "0123456789";

fn is_iso_second(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    s.len() == 20
        && s.ends_with('Z')
        && chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ").is_ok()
}

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app
        .call(Method::GET, "/api/users?limit=500", Some(token), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body.as_array().expect("array").clone()
}

both_backends! {
    async fn token_endpoint_answers_as_specified(kind) {
        let app = TestApp::spawn(kind).await;
        let r = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["tokenType"], "Bearer");
        assert_eq!(r.body["expiresIn"], 3600);
        assert_eq!(r.body.as_object().expect("object").len(), 3);
        // The email is matched case-insensitively.
        assert_eq!(app.login("ADMIN@usergate.TEST", ADMIN_PASSWORD).await.status, 200);
        // Wrong password and unknown user: one status, one body.
        let wrong = app.login(ADMIN_EMAIL, "wrong password").await;
        let unknown = app.login("nobody@example.com", "wrong password").await;
        assert_eq!(wrong.status, 401);
        assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
        // Validation.
        let r = app.call(Method::POST, "/api/auth/token", None, Some(json!({}))).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["message"], "Validation Error");
        assert_eq!(
            r.body["errors"],
            json!(["'Email' must not be empty.", "'Password' must not be empty."])
        );
        let r = app.login("not-an-email", "x").await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["errors"], json!(["'Email' is not a valid email address."]));
        app.stop().await;
    }

    async fn create_answers_201_with_location_and_no_body(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        let r = app
            .call(Method::POST, "/api/users", Some(&t), Some(json!({"email": "Tomo@Example.com", "password": PW})))
            .await;
        assert_eq!(r.status, 201);
        assert_eq!(r.body, Value::Null);
        assert_eq!(r.header("location"), Some("/api/users/Tomo@Example.com"));
        let r = app.call(Method::GET, "/api/users/tomo@example.com", Some(&t), None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["email"], "Tomo@Example.com");
        assert_eq!(r.body["type"], "User");
        assert_eq!(r.body["status"], "Active");
        assert!(is_iso_second(&r.body["createdAt"]) && is_iso_second(&r.body["updatedAt"]));
        assert_eq!(r.body.as_object().expect("object").len(), 5);
        // The new user can log in.
        app.token("tomo@example.com", PW).await;
        // Same address, other case: 409.
        let r = app
            .call(Method::POST, "/api/users", Some(&t), Some(json!({"email": "TOMO@example.COM", "password": PW})))
            .await;
        assert_eq!(r.status, 409);
        assert!(r.body["message"].as_str().is_some());
        app.stop().await;
    }

    async fn bad_input_gets_400_and_changes_nothing(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        let before = list(&app, &t).await;
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"email": "a@example.com", "password": "123456789"}),
             vec!["The length of 'Password' must be at least 10 characters."]),
            (json!({"email": "nope", "password": PW}), vec!["'Email' is not a valid email address."]),
            (json!({"password": PW}), vec!["'Email' must not be empty."]),
            (json!({"email": "b@example.com", "password": "x".repeat(1025)}),
             vec!["The length of 'Password' must be 1024 bytes or fewer."]),
            (json!({"email": "c@example.com", "password": 1234567890}),
             vec!["A JSON value has the wrong type (line 1, column 46)."]),
        ];
        for (body, errors) in cases {
            let r = app.call(Method::POST, "/api/users", Some(&t), Some(body.clone())).await;
            assert_eq!(r.status, 400, "{body}");
            assert_eq!(r.body["message"], "Validation Error");
            assert_eq!(r.body["errors"], json!(errors), "{body}");
            assert!(!r.body.to_string().contains("1234567890"), "no value echoed");
        }
        // Malformed JSON.
        let mut res = app
            .req(Method::POST, "/api/users", Some(&t))
            .insert_header(("content-type", "application/json"))
            .send_body(r#"{"email": "d@example.com", "password""#)
            .await
            .expect("send");
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["message"], "Validation Error");
        // Wrong content type.
        let mut res = app
            .req(Method::POST, "/api/users", Some(&t))
            .insert_header(("content-type", "text/plain"))
            .send_body(r#"{"email":"e@example.com","password":"0123456789"}"#)
            .await
            .expect("send");
        assert_eq!(res.status(), 400);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["errors"][0], "The request body must be sent as Content-Type: application/json.");
        // Unknown enum values.
        app.create_user(&t, "f@example.com", PW).await;
        for body in [json!({"type": "Boss"}), json!({"status": "Deleted"}), json!({"type": 1})] {
            let r = app.call(Method::PUT, "/api/users/f@example.com", Some(&t), Some(body.clone())).await;
            assert_eq!(r.status, 400, "{body}");
        }
        let r = app.call(Method::PUT, "/api/users/f@example.com", Some(&t), Some(json!({"type": "Boss"}))).await;
        assert_eq!(r.body["errors"], json!(["'Type' must be one of: User, Admin."]));
        let r = app.call(Method::PUT, "/api/users/f@example.com", Some(&t), Some(json!({}))).await;
        assert_eq!(r.status, 400);
        // 9-character new password.
        let r = app
            .call(Method::PATCH, "/api/users/f@example.com", Some(&t), Some(json!({"newPassword": "123456789"})))
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["errors"], json!(["The length of 'New Password' must be at least 10 characters."]));
        let after = list(&app, &t).await;
        assert_eq!(after.len(), before.len() + 1, "only f@ was created");
        let f = app.call(Method::GET, "/api/users/f@example.com", Some(&t), None).await;
        assert_eq!((f.body["type"].clone(), f.body["status"].clone()), (json!("User"), json!("Active")));
        app.token("f@example.com", PW).await;
        app.stop().await;
    }

    async fn oversized_bodies_get_413_and_change_nothing(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        let big = json!({"email": "big@example.com", "password": PW, "pad": "x".repeat(1 << 20)});
        let r = app.call(Method::POST, "/api/users", Some(&t), Some(big)).await;
        assert_eq!(r.status, 413);
        assert!(r.body["message"].as_str().expect("message").contains("262144"));
        // Without a declared length (chunked), the cap holds while reading.
        let chunk = actix_web::web::Bytes::from(format!(
            r#"{{"email":"chunked@example.com","password":"{PW}","pad":"{}"}}"#,
            "x".repeat(300_000)
        ));
        let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(chunk)]);
        let res = app
            .req(Method::POST, "/api/users", Some(&t))
            .insert_header(("content-type", "application/json"))
            .send_stream(stream)
            .await
            .expect("send");
        let r = usergate_tests::Reply::read(res).await;
        assert_eq!(r.status, 413, "{}", r.body);
        // The token endpoint too.
        let big_login = json!({"email": ADMIN_EMAIL, "password": "x".repeat(300_000)});
        let r = app.call(Method::POST, "/api/auth/token", None, Some(big_login)).await;
        assert_eq!(r.status, 413);
        let r = app.call(Method::GET, "/api/users/big@example.com", Some(&t), None).await;
        assert_eq!(r.status, 404);
        let r = app.call(Method::GET, "/api/users/chunked@example.com", Some(&t), None).await;
        assert_eq!(r.status, 404);
        app.stop().await;
    }

    async fn reads_are_case_insensitive_percent_decoded_and_paged(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        app.create_user(&t, "o'neil+tag@Example.com", PW).await;
        for path in [
            "/api/users/o'neil+tag@example.com",
            "/api/users/O%27NEIL%2BTAG%40EXAMPLE.COM",
            "/api/users/o%27neil%2btag@example.com",
        ] {
            let r = app.call(Method::GET, path, Some(&t), None).await;
            assert_eq!(r.status, 200, "{path}");
            assert_eq!(r.body["email"], "o'neil+tag@Example.com");
        }
        assert_eq!(app.call(Method::GET, "/api/users/nobody@example.com", Some(&t), None).await.status, 404);
        for method in [Method::GET, Method::DELETE] {
            let r = app.call(method, "/api/users/not-an-email", Some(&t), None).await;
            assert_eq!(r.status, 400);
            assert_eq!(r.body["errors"], json!(["'Email' is not a valid email address."]));
        }
        for i in 0..4 {
            app.create_user(&t, &format!("p{i}@example.com"), PW).await;
        }
        let all = list(&app, &t).await;
        assert_eq!(all.len(), 6);
        assert_eq!(all[0]["email"], ADMIN_EMAIL, "creation order");
        let r = app.call(Method::GET, "/api/users?limit=2&offset=2", Some(&t), None).await;
        let emails: Vec<&str> = r.body.as_array().expect("array").iter().map(|u| u["email"].as_str().expect("email")).collect();
        assert_eq!(emails, ["p0@example.com", "p1@example.com"]);
        let r = app.call(Method::GET, "/api/users?offset=100", Some(&t), None).await;
        assert_eq!(r.body, json!([]));
        for q in ["limit=0", "limit=501", "limit=abc", "offset=-1", "limit=-5"] {
            let r = app.call(Method::GET, &format!("/api/users?{q}"), Some(&t), None).await;
            assert_eq!(r.status, 400, "{q}");
            assert_eq!(r.body["message"], "Validation Error");
        }
        let r = app.call(Method::GET, "/api/users?limit=501", Some(&t), None).await;
        assert_eq!(r.body["errors"], json!(["'Limit' must be between 1 and 500."]));
        assert_eq!(app.call(Method::GET, "/api/users?limit=500", Some(&t), None).await.status, 200);
        app.stop().await;
    }

    async fn only_admins_manage_users(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        app.create_user(&t, "plain@example.com", PW).await;
        let plain = app.token("plain@example.com", PW).await;
        let calls: Vec<(Method, &str, Option<Value>)> = vec![
            (Method::POST, "/api/users", Some(json!({"email": "x@example.com", "password": PW}))),
            (Method::GET, "/api/users", None),
            (Method::GET, "/api/users/plain@example.com", None),
            (Method::PUT, "/api/users/plain@example.com", Some(json!({"type": "Admin"}))),
            (Method::PATCH, "/api/users/plain@example.com", Some(json!({"newPassword": "abcdefghijk"}))),
            (Method::DELETE, "/api/users/admin@usergate.test", None),
        ];
        for (method, path, body) in calls {
            let r = app.call(method.clone(), path, Some(&plain), body.clone()).await;
            assert_eq!(r.status, 403, "{method} {path} as a non-admin");
            assert!(r.body["message"].as_str().is_some());
            let r = app.call(method.clone(), path, None, body.clone()).await;
            assert_eq!(r.status, 401, "{method} {path} without a token");
            assert_eq!(r.header("www-authenticate"), Some("Bearer"));
            let r = app.call(method.clone(), path, Some("not.a.token"), body).await;
            assert_eq!(r.status, 401, "{method} {path} with a bad token");
            assert_eq!(r.header("www-authenticate"), Some("Bearer error=\"invalid_token\""));
        }
        // Nothing changed: the non-admin is still a plain active user with the old password.
        let r = app.call(Method::GET, "/api/users/plain@example.com", Some(&t), None).await;
        assert_eq!((r.body["type"].clone(), r.body["status"].clone()), (json!("User"), json!("Active")));
        app.token("plain@example.com", PW).await;
        app.stop().await;
    }

    async fn update_maps_type_and_status(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        app.create_user(&t, "u@example.com", PW).await;
        let put = |body: Value| app.call(Method::PUT, "/api/users/U@example.com", Some(&t), Some(body));
        assert_eq!(put(json!({"type": "Admin", "status": "Inactive"})).await.status, 204);
        let r = app.call(Method::GET, "/api/users/u@example.com", Some(&t), None).await;
        assert_eq!((r.body["type"].clone(), r.body["status"].clone()), (json!("Admin"), json!("Inactive")));
        assert_eq!(app.login("u@example.com", PW).await.status, 401, "inactive users get no token");
        assert_eq!(put(json!({"status": "active"})).await.status, 204, "values are case-insensitive");
        assert_eq!(put(json!({"type": "user"})).await.status, 204);
        let r = app.call(Method::GET, "/api/users/u@example.com", Some(&t), None).await;
        assert_eq!((r.body["type"].clone(), r.body["status"].clone()), (json!("User"), json!("Active")));
        app.token("u@example.com", PW).await;
        let r = app.call(Method::PUT, "/api/users/none@example.com", Some(&t), Some(json!({"type": "Admin"}))).await;
        assert_eq!(r.status, 404);
        app.stop().await;
    }

    async fn password_change_works_and_refuses_the_same_password(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        app.create_user(&t, "pw@example.com", PW).await;
        let patch = |body: Value| app.call(Method::PATCH, "/api/users/pw@example.com", Some(&t), Some(body));
        let r = patch(json!({"newPassword": PW})).await;
        assert_eq!(r.status, 409);
        assert_eq!(r.body["message"], "The new password must differ from the current one.");
        assert_eq!(patch(json!({"newPassword": "a whole new password"})).await.status, 204);
        assert_eq!(app.login("pw@example.com", PW).await.status, 401);
        app.token("pw@example.com", "a whole new password").await;
        // `password` is accepted too.
        assert_eq!(patch(json!({"password": "yet another password"})).await.status, 204);
        app.token("pw@example.com", "yet another password").await;
        let r = app.call(Method::PATCH, "/api/users/none@example.com", Some(&t), Some(json!({"newPassword": "0123456789x"}))).await;
        assert_eq!(r.status, 404);
        app.stop().await;
    }

    async fn delete_is_soft_final_and_frees_the_email(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        app.create_user(&t, "gone@example.com", PW).await;
        let first = app.call(Method::GET, "/api/users/gone@example.com", Some(&t), None).await;
        let r = app.call(Method::DELETE, "/api/users/GONE@example.com", Some(&t), None).await;
        assert_eq!(r.status, 204);
        assert_eq!(r.body, Value::Null);
        // Invisible, cannot log in, cannot be restored or deleted again.
        assert_eq!(app.call(Method::GET, "/api/users/gone@example.com", Some(&t), None).await.status, 404);
        assert!(list(&app, &t).await.iter().all(|u| u["email"] != "gone@example.com"));
        assert_eq!(app.login("gone@example.com", PW).await.status, 401);
        let r = app.call(Method::PUT, "/api/users/gone@example.com", Some(&t), Some(json!({"status": "Active"}))).await;
        assert_eq!(r.status, 404);
        let r = app.call(Method::PATCH, "/api/users/gone@example.com", Some(&t), Some(json!({"newPassword": "0123456789ab"}))).await;
        assert_eq!(r.status, 404);
        assert_eq!(app.call(Method::DELETE, "/api/users/gone@example.com", Some(&t), None).await.status, 404);
        // The address can be registered again: a new user.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        app.create_user(&t, "gone@example.com", "a new life 12345").await;
        let again = app.call(Method::GET, "/api/users/gone@example.com", Some(&t), None).await;
        assert_ne!(again.body["createdAt"], first.body["createdAt"]);
        assert_eq!(app.login("gone@example.com", PW).await.status, 401, "the old password is not the new user's");
        app.token("gone@example.com", "a new life 12345").await;
        // One's own account: 403.
        let r = app.call(Method::DELETE, &format!("/api/users/{ADMIN_EMAIL}"), Some(&t), None).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.body["message"], "You cannot delete your own account.");
        app.stop().await;
    }

    async fn the_last_active_admin_cannot_be_demoted_or_deactivated(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        for body in [json!({"type": "User"}), json!({"status": "Inactive"}), json!({"type": "User", "status": "Inactive"})] {
            let r = app.call(Method::PUT, &format!("/api/users/{ADMIN_EMAIL}"), Some(&t), Some(body.clone())).await;
            assert_eq!(r.status, 409, "{body}");
            assert_eq!(r.body["message"], "The last active admin cannot be demoted, deactivated or deleted.");
        }
        // Writing back what it reads is no change and allowed.
        let r = app.call(Method::PUT, &format!("/api/users/{ADMIN_EMAIL}"), Some(&t), Some(json!({"type": "Admin", "status": "Active"}))).await;
        assert_eq!(r.status, 204);
        // The token is still alive: no change killed it.
        assert_eq!(app.call(Method::GET, "/api/users", Some(&t), None).await.status, 200);
        app.stop().await;
    }

    async fn the_seeds_recommended_practice_works(kind) {
        // Create a second admin, promote, then deactivate the default admin, which can then no
        // longer get a token.
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        app.create_admin(&t, "second@example.com", "second admin pw").await;
        let t2 = app.token("second@example.com", "second admin pw").await;
        let r = app.call(Method::PUT, &format!("/api/users/{ADMIN_EMAIL}"), Some(&t2), Some(json!({"status": "Inactive"}))).await;
        assert_eq!(r.status, 204);
        assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status, 401);
        assert_eq!(app.call(Method::GET, "/api/users", Some(&t), None).await.status, 401, "its old token died");
        // And now the second admin is the last one.
        let r = app.call(Method::PUT, "/api/users/second@example.com", Some(&t2), Some(json!({"type": "User"}))).await;
        assert_eq!(r.status, 409);
        app.stop().await;
    }

    async fn tokens_die_at_once_on_every_credential_change(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        type Change = (&'static str, Method, Option<Value>);
        let changes: Vec<Change> = vec![
            ("deactivate", Method::PUT, Some(json!({"status": "Inactive"}))),
            ("demote", Method::PUT, Some(json!({"type": "User"}))),
            ("password", Method::PATCH, Some(json!({"newPassword": "changed password 1"}))),
            ("delete", Method::DELETE, None),
        ];
        for (i, (what, method, body)) in changes.into_iter().enumerate() {
            let email = format!("victim{i}@example.com");
            app.create_admin(&t, &email, PW).await;
            let victim = app.token(&email, PW).await;
            assert_eq!(app.call(Method::GET, "/api/users", Some(&victim), None).await.status, 200, "{what}: alive");
            let r = app.call(method, &format!("/api/users/{email}"), Some(&t), body).await;
            assert_eq!(r.status, 204, "{what}: {}", r.body);
            let r = app.call(Method::GET, "/api/users", Some(&victim), None).await;
            assert_eq!(r.status, 401, "{what}: the old token is dead");
            assert_eq!(r.header("www-authenticate"), Some("Bearer error=\"invalid_token\""));
        }
        // Promotion kills tokens too (a role change), and re-login gives a working admin token.
        app.create_user(&t, "rising@example.com", PW).await;
        let before = app.token("rising@example.com", PW).await;
        let r = app.call(Method::PUT, "/api/users/rising@example.com", Some(&t), Some(json!({"type": "Admin"}))).await;
        assert_eq!(r.status, 204);
        assert_eq!(app.call(Method::GET, "/api/users", Some(&before), None).await.status, 401);
        let after = app.token("rising@example.com", PW).await;
        assert_eq!(app.call(Method::GET, "/api/users", Some(&after), None).await.status, 200);
        app.stop().await;
    }

    async fn twenty_concurrent_creates_of_one_email_give_one_201(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        let calls = (0..20).map(|i| {
            let email = if i % 2 == 0 { "race@example.com" } else { "RACE@Example.com" };
            app.call(Method::POST, "/api/users", Some(&t), Some(json!({"email": email, "password": PW})))
        });
        let replies = futures_util::future::join_all(calls).await;
        let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [vec![201], vec![409; 19]].concat(), "{replies:?}");
        assert_eq!(list(&app, &t).await.len(), 2);
        app.stop().await;
    }

    async fn anonymous_requests_are_rate_limited_per_address(kind) {
        let app = TestApp::spawn_with(kind, &["--anon-rate-limit", "3/60s"]).await;
        let t = app.admin_token().await;
        for _ in 0..3 {
            assert_eq!(app.call(Method::GET, "/api/users", None, None).await.status, 401);
        }
        let r = app.call(Method::GET, "/api/users", Some("bad.token.here"), None).await;
        assert_eq!(r.status, 429, "a bad token counts as anonymous");
        let retry: u64 = r.header("retry-after").expect("Retry-After").parse().expect("seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        assert!(r.body["message"].as_str().is_some());
        // A valid token is not limited, and the token endpoint has its own throttle.
        for _ in 0..5 {
            assert_eq!(app.call(Method::GET, "/api/users", Some(&t), None).await.status, 200);
        }
        app.token(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        app.stop().await;
    }

    async fn the_login_throttle_stops_password_guessing(kind) {
        let app = TestApp::spawn_with(kind, &["--login-throttle", "3/60s"]).await;
        let t = app.admin_token().await;
        app.create_user(&t, "target@example.com", PW).await;
        for _ in 0..3 {
            assert_eq!(app.login("target@example.com", "guess 123456").await.status, 401);
        }
        let r = app.login("Target@example.com", PW).await;
        assert_eq!(r.status, 429, "even the right password waits");
        assert!(r.header("retry-after").is_some());
        // Other accounts are not affected by this account's throttle.
        assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status, 200);
        app.stop().await;
    }

    async fn expired_tokens_and_other_audiences_are_refused(kind) {
        let app = TestApp::spawn_with(kind, &["--email-keyed-token-ttl", "1s"]).await;
        let r = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(r.body["expiresIn"], 1);
        let t = r.body["accessToken"].as_str().expect("token").to_owned();
        // A token of the same key for another dialect's audience.
        let tokens = usergate_web::TokenService::new(usergate_tests::JWT_SECRET.as_bytes()).expect("tokens");
        let other = tokens
            .issue("usergate:generic", usergate_core::UserId::new(1), 1, std::time::Duration::from_secs(60))
            .expect("issue");
        assert_eq!(app.call(Method::GET, "/api/users", Some(&other.token), None).await.status, 401);
        let own = tokens
            .issue("usergate:email-keyed", usergate_core::UserId::new(1), 1, std::time::Duration::from_secs(60))
            .expect("issue");
        assert_eq!(app.call(Method::GET, "/api/users", Some(&own.token), None).await.status, 200);
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2100)).await;
        let r = app.call(Method::GET, "/api/users", Some(&t), None).await;
        assert_eq!(r.status, 401, "expired");
        app.stop().await;
    }

    async fn revocation_reaches_every_instance_at_once_without_the_cache(kind) {
        // With the credential cache, another instance learns within one poll of its watcher
        // (credential_cache.rs); without it, at once.
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        app.create_admin(&t, "shared@example.com", PW).await;
        let b = app.another_instance_with(&["--credential-cache", "false"]).await;
        let client = usergate_tests::client();
        // A token from instance A works on instance B (one key, kept in the database)...
        let victim = app.token("shared@example.com", PW).await;
        let on_b = usergate_tests::call_at(&client, b.addr, Method::GET, "/api/users", Some(&victim), None).await;
        assert_eq!(on_b.status, 200);
        // ...and dies on B the moment A deactivates its user.
        let r = app.call(Method::PUT, "/api/users/shared@example.com", Some(&t), Some(json!({"status": "Inactive"}))).await;
        assert_eq!(r.status, 204);
        let on_b = usergate_tests::call_at(&client, b.addr, Method::GET, "/api/users", Some(&victim), None).await;
        assert_eq!(on_b.status, 401);
        b.stop().await;
        app.stop().await;
    }

    async fn two_admins_deleting_or_demoting_each_other_at_once_leave_one(kind) {
        // The last-admin guard under a race: without serialisation both would see "another
        // admin is left" and both succeed.
        let app = TestApp::spawn(kind).await;
        for round in 0..3 {
            let root = app.admin_token().await;
            let (a, b) = (format!("a{round}@example.com"), format!("b{round}@example.com"));
            app.create_admin(&root, &a, PW).await;
            app.create_admin(&root, &b, PW).await;
            let ta = app.token(&a, PW).await;
            let tb = app.token(&b, PW).await;
            // Take the root admin out of the count so that a and b are the only two.
            let r = app.call(Method::PUT, &format!("/api/users/{ADMIN_EMAIL}"), Some(&ta), Some(json!({"status": "Inactive"}))).await;
            assert_eq!(r.status, 204);
            let (path_a, path_b) = (format!("/api/users/{a}"), format!("/api/users/{b}"));
            let (ra, rb) = if round % 2 == 0 {
                futures_util::future::join(
                    app.call(Method::DELETE, &path_b, Some(&ta), None),
                    app.call(Method::DELETE, &path_a, Some(&tb), None),
                )
                .await
            } else {
                futures_util::future::join(
                    app.call(Method::PUT, &path_b, Some(&ta), Some(json!({"type": "User"}))),
                    app.call(Method::PUT, &path_a, Some(&tb), Some(json!({"type": "User"}))),
                )
                .await
            };
            let mut statuses = [ra.status, rb.status];
            statuses.sort_unstable();
            assert!(
                statuses == [204, 401] || statuses == [204, 409],
                "round {round}: {statuses:?} ({} / {})", ra.body, rb.body
            );
            // Exactly one of the two is still an admin who can log in: bring root back with it.
            let survivor = if ra.status == 204 { &a } else { &b };
            let ts = app.token(survivor, PW).await;
            let r = app.call(Method::PUT, &format!("/api/users/{ADMIN_EMAIL}"), Some(&ts), Some(json!({"status": "Active"}))).await;
            assert_eq!(r.status, 204);
            // Leave only root as an admin for the next round.
            let root = app.admin_token().await;
            let r = app.call(Method::DELETE, &format!("/api/users/{survivor}"), Some(&root), None).await;
            assert_eq!(r.status, 204);
        }
        app.stop().await;
    }

    async fn unknown_routes_and_methods_are_not_served(kind) {
        let app = TestApp::spawn(kind).await;
        let t = app.admin_token().await;
        assert_eq!(app.call(Method::GET, "/api/nothing", Some(&t), None).await.status, 404);
        assert_eq!(app.call(Method::POST, "/api/users/x@example.com", Some(&t), Some(json!({}))).await.status, 405);
        app.stop().await;
    }
}
