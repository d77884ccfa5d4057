//! The generic `/v1/users` dialect over HTTP, on PostgreSQL and SQLite: every endpoint and
//! error code, API keys, pagination edges, literal search, and what the other dialects see.

use std::time::Duration;

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Reply, TestApp, both_backends};

const PW: &str = "a good password 1";

async fn v1(app: &TestApp, key: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
    app.call(method, path, Some(key), body).await
}

fn error(r: &Reply) -> (u16, String, Option<String>) {
    assert_eq!(r.body["success"], false, "{}", r.body);
    (
        r.status,
        r.body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        r.body["error"]["field"].as_str().map(str::to_owned),
    )
}

fn field_error(status: u16, code: &str, field: &str) -> (u16, String, Option<String>) {
    (status, code.to_owned(), Some(field.to_owned()))
}

fn plain_error(status: u16, code: &str) -> (u16, String, Option<String>) {
    (status, code.to_owned(), None)
}

async fn create(app: &TestApp, key: &str, body: Value) -> String {
    let r = v1(app, key, Method::POST, "/v1/users", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["data"]["id"].as_str().expect("id").to_owned()
}

both_backends! {
    async fn every_endpoint_and_the_user_object(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let r = v1(&app, &key, Method::POST, "/v1/users", Some(json!({"name": "Ann Lee", "email": "Ann@Example.com"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["data"]["id"].as_str().expect("id").to_owned();
        assert!(id.starts_with("usr_"));
        assert_eq!(r.header("location"), Some(format!("/v1/users/{id}").as_str()));
        assert_eq!((&r.body["success"], &r.body["message"]), (&json!(true), &json!("User created successfully")));
        let data = &r.body["data"];
        let keys: Vec<&str> = data.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "name", "email", "role", "status", "avatar", "created_at", "updated_at"]);
        assert_eq!((&data["role"], &data["status"], &data["avatar"], &data["email"]), (&json!("user"), &json!("active"), &Value::Null, &json!("Ann@Example.com")));
        let created = data["created_at"].as_str().expect("created_at");
        assert!(chrono::NaiveDateTime::parse_from_str(created, "%Y-%m-%dT%H:%M:%SZ").is_ok(), "{created}");
        let r = v1(&app, &key, Method::GET, &format!("/v1/users/{id}"), None).await;
        assert_eq!((r.status, &r.body["data"]), (200, data));
        assert!(r.body.get("message").is_none());
        // PATCH is partial.
        let r = v1(&app, &key, Method::PATCH, &format!("/v1/users/{id}"), Some(json!({"name": "Ann B. Lee", "avatar": "https://img.example.com/ann.png", "role": "viewer"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["message"], "User updated successfully");
        assert_eq!((&r.body["data"]["name"], &r.body["data"]["email"], &r.body["data"]["avatar"], &r.body["data"]["role"]),
            (&json!("Ann B. Lee"), &json!("Ann@Example.com"), &json!("https://img.example.com/ann.png"), &json!("viewer")));
        let r = v1(&app, &key, Method::PATCH, &format!("/v1/users/{id}"), Some(json!({"avatar": null}))).await;
        assert_eq!(r.body["data"]["avatar"], Value::Null);
        // DELETE is soft: 404 everywhere afterwards, and the address is free.
        let r = v1(&app, &key, Method::DELETE, &format!("/v1/users/{id}"), None).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"success": true, "message": "User deleted successfully"})));
        for method in [Method::GET, Method::DELETE] {
            let r = v1(&app, &key, method, &format!("/v1/users/{id}"), None).await;
            assert_eq!(error(&r), plain_error(404, "not_found"));
        }
        let r = v1(&app, &key, Method::PATCH, &format!("/v1/users/{id}"), Some(json!({"name": "x"}))).await;
        assert_eq!(error(&r), plain_error(404, "not_found"));
        create(&app, &key, json!({"name": "Ann again", "email": "ann@example.com"})).await;
        for bad in ["42", "usr_", "usr_x1", "usr_999999"] {
            let r = v1(&app, &key, Method::GET, &format!("/v1/users/{bad}"), None).await;
            assert_eq!(error(&r), plain_error(404, "not_found"), "{bad}");
        }
        app.stop().await;
    }

    async fn bad_bodies_name_their_field_and_change_nothing(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let cases = [
            (json!({"email": "a@example.com"}), "name"),
            (json!({"name": "A"}), "email"),
            (json!({"name": "", "email": "a@example.com"}), "name"),
            (json!({"name": "A", "email": "nope"}), "email"),
            (json!({"name": "A", "email": "a@example.com", "role": "owner"}), "role"),
            (json!({"name": "A", "email": "a@example.com", "status": "gone"}), "status"),
            (json!({"name": "A", "email": "a@example.com", "avatar": "javascript:alert(1)"}), "avatar"),
            (json!({"name": "A", "email": "a@example.com", "password": "short"}), "password"),
            (json!({"name": "A", "email": "a@example.com", "nmae": "typo"}), "nmae"),
            (json!({"name": "A", "email": "a@example.com", "id": "usr_1"}), "id"),
            (json!({"name": "A", "email": "a@example.com", "created_at": "2020-01-01T00:00:00Z"}), "created_at"),
            (json!({"name": 5, "email": "a@example.com"}), "name"),
        ];
        for (body, field) in cases {
            let r = v1(&app, &key, Method::POST, "/v1/users", Some(body.clone())).await;
            assert_eq!(error(&r), field_error(400, "invalid_request", field), "{body}");
        }
        let r = v1(&app, &key, Method::POST, "/v1/users", Some(json!(["no"]))).await;
        assert_eq!(error(&r), plain_error(400, "invalid_request"));
        let r = v1(&app, &key, Method::GET, "/v1/users", None).await;
        assert_eq!(r.body["pagination"]["total"], 1, "nothing was created");
        let id = create(&app, &key, json!({"name": "B", "email": "b@example.com", "role": "admin", "status": "active", "password": PW})).await;
        let r = v1(&app, &key, Method::POST, "/v1/users", Some(json!({"name": "B2", "email": "B@EXAMPLE.COM"}))).await;
        assert_eq!(error(&r), field_error(409, "duplicate_email", "email"));
        for (body, field) in [(json!({"updated_at": "x"}), "updated_at"), (json!({"email": null}), "email"), (json!({"role": "root"}), "role"), (json!({"emial": "x"}), "emial")] {
            let r = v1(&app, &key, Method::PATCH, &format!("/v1/users/{id}"), Some(body.clone())).await;
            assert_eq!(error(&r), field_error(400, "invalid_request", field), "{body}");
        }
        let r = v1(&app, &key, Method::PATCH, &format!("/v1/users/{id}"), Some(json!({"email": ADMIN_EMAIL}))).await;
        assert_eq!(error(&r), field_error(409, "duplicate_email", "email"));
        app.stop().await;
    }

    async fn api_keys_act_as_their_owner_now(kind) {
        let app = TestApp::spawn(kind).await;
        let et = app.admin_token().await;
        app.create_admin(&et, "ops@example.com", PW).await;
        let key = app.api_key("ops@example.com", None);
        assert_eq!(v1(&app, &key, Method::GET, "/v1/users", None).await.status, 200);
        // Missing, malformed, unknown: 401 with WWW-Authenticate.
        let r = app.call(Method::GET, "/v1/users", None, None).await;
        assert_eq!(error(&r), plain_error(401, "unauthorized"));
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        for bad in ["nonsense", "ugk_0123456789abcdef_wrongsecret", &format!("{key}x"), &et] {
            let r = v1(&app, bad, Method::GET, "/v1/users", None).await;
            assert_eq!(error(&r), plain_error(401, "unauthorized"), "{bad}");
        }
        // An expired key.
        let expired = app.api_key("ops@example.com", Some(Duration::ZERO));
        assert_eq!(v1(&app, &expired, Method::GET, "/v1/users", None).await.status, 401);
        // The owner demoted: 403 from the next request; promoted again: 200.
        let r = app.call(Method::PUT, "/api/users/ops@example.com", Some(&et), Some(json!({"type": "User"}))).await;
        assert_eq!(r.status, 204);
        let r = v1(&app, &key, Method::GET, "/v1/users", None).await;
        assert_eq!(error(&r), plain_error(403, "forbidden"));
        app.call(Method::PUT, "/api/users/ops@example.com", Some(&et), Some(json!({"type": "Admin"}))).await;
        assert_eq!(v1(&app, &key, Method::GET, "/v1/users", None).await.status, 200);
        // The owner deactivated: 401.
        app.call(Method::PUT, "/api/users/ops@example.com", Some(&et), Some(json!({"status": "Inactive"}))).await;
        assert_eq!(v1(&app, &key, Method::GET, "/v1/users", None).await.status, 401);
        // Revoked: 401.
        let admin_key = app.api_key(ADMIN_EMAIL, None);
        let id = &admin_key[4..20];
        let core = usergate_server::commands::operator_core_at(app.db_url(), usergate_core::PasswordPolicy::default()).expect("core");
        core.users.revoke_credential(&usergate_core::Actor::system(usergate_core::Channel::Cli), id).expect("revoke");
        assert_eq!(v1(&app, &admin_key, Method::GET, "/v1/users", None).await.status, 401);
        app.stop().await;
    }

    async fn pagination_edges_and_totals_while_users_are_deleted(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let mut ids = Vec::new();
        for i in 0..24 {
            ids.push(create(&app, &key, json!({"name": format!("P{i:02}"), "email": format!("p{i:02}@example.com")})).await);
        }
        let page = |q: &str| {
            let q = q.to_owned();
            let app = &app;
            let key = &key;
            async move { v1(app, key, Method::GET, &format!("/v1/users?{q}"), None).await }
        };
        let names = |r: &Reply| -> Vec<String> { r.body["data"].as_array().expect("data").iter().map(|u| u["name"].as_str().unwrap_or_default().to_owned()).collect() };
        let r = page("").await;
        assert_eq!(r.body["pagination"], json!({"page": 1, "limit": 20, "total": 25, "pages": 2}));
        assert_eq!(names(&r)[0], "admin", "creation order");
        let r = page("page=2").await;
        assert_eq!(names(&r), ["P19", "P20", "P21", "P22", "P23"]);
        let r = page("limit=101").await;
        assert_eq!(r.body["pagination"], json!({"page": 1, "limit": 100, "total": 25, "pages": 1}));
        let r = page("page=9&limit=10").await;
        assert_eq!((r.status, r.body["data"].clone(), r.body["pagination"].clone()), (200, json!([]), json!({"page": 9, "limit": 10, "total": 25, "pages": 3})));
        for (q, field) in [("page=0", "page"), ("page=-1", "page"), ("page=x", "page"), ("limit=0", "limit"), ("limit=-5", "limit"), ("role=owner", "role"), ("status=gone", "status")] {
            assert_eq!(error(&page(q).await), field_error(400, "invalid_request", field), "{q}");
        }
        // Deletes between pages: totals and pages follow.
        for id in &ids[..6] {
            assert_eq!(v1(&app, &key, Method::DELETE, &format!("/v1/users/{id}"), None).await.status, 200);
        }
        let r = page("limit=10&page=2").await;
        assert_eq!(r.body["pagination"], json!({"page": 2, "limit": 10, "total": 19, "pages": 2}));
        assert_eq!(names(&r)[0], "P15");
        let r = page("limit=19").await;
        assert_eq!(r.body["pagination"]["pages"], 1);
        app.stop().await;
    }

    async fn filters_and_a_literal_case_insensitive_search(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        for (name, email) in [
            ("100% Pure", "pure@example.com"),
            ("under_score", "us@example.com"),
            ("Ωmega Ünïcode", "omega@example.com"),
            ("Straße", "strasse@example.com"),
            ("Plain", "looks_like_100%@example.com"),
            ("Backslash \\ Name", "bs@example.com"),
        ] {
            create(&app, &key, json!({"name": name, "email": email})).await;
        }
        let search = |term: &str| {
            let path = format!("/v1/users?search={}", percent(term));
            let app = &app;
            let key = &key;
            async move {
                let r = v1(app, key, Method::GET, &path, None).await;
                assert_eq!(r.status, 200, "{}", r.body);
                let mut n: Vec<String> = r.body["data"].as_array().expect("data").iter().map(|u| u["name"].as_str().unwrap_or_default().to_owned()).collect();
                n.sort();
                assert_eq!(r.body["pagination"]["total"], n.len());
                n
            }
        };
        assert_eq!(search("%").await, ["100% Pure", "Plain"]);
        assert_eq!(search("_").await, ["Plain", "under_score"]);
        assert_eq!(search("0%").await, ["100% Pure", "Plain"]);
        assert_eq!(search("ÜNÏ").await, ["Ωmega Ünïcode"]);
        assert_eq!(search("ωMEGA").await, ["Ωmega Ünïcode"]);
        assert_eq!(search("STRAßE").await, ["Straße"]);
        assert_eq!(search("\\").await, ["Backslash \\ Name"]);
        assert_eq!(search("EXAMPLE.COM").await.len(), 6);
        assert_eq!(search("zzz").await, Vec::<String>::new());
        // role=user matches privileged, editor and user; status is exact.
        let (cid, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let t = app.domo_token(&cid, &secret).await;
        for (name, role) in [("Ed", "Editor"), ("Pri", "Privileged"), ("Vi", "Social")] {
            let r = app.domo_call(&t, Method::POST, "/domo/v1/users", Some(json!({"name": name, "email": format!("{name}@domo.example"), "role": role}))).await;
            assert_eq!(r.status, 201);
        }
        let r = v1(&app, &key, Method::GET, "/v1/users?role=user&search=domo.example", None).await;
        let roles: Vec<&str> = r.body["data"].as_array().expect("data").iter().map(|u| u["role"].as_str().unwrap_or_default()).collect();
        assert_eq!(roles, ["user", "user"]);
        let r = v1(&app, &key, Method::GET, "/v1/users?role=viewer", None).await;
        assert_eq!(r.body["pagination"]["total"], 1);
        let r = v1(&app, &key, Method::GET, "/v1/users?role=admin", None).await;
        assert_eq!(r.body["data"][0]["email"], ADMIN_EMAIL);
        let id = create(&app, &key, json!({"name": "Sus", "email": "sus@example.com", "status": "suspended"})).await;
        let r = v1(&app, &key, Method::GET, "/v1/users?status=suspended", None).await;
        assert_eq!((r.body["pagination"]["total"].clone(), r.body["data"][0]["id"].clone()), (json!(1), json!(id)));
        // Writing `user` back to a Domo editor keeps the editor.
        let r = v1(&app, &key, Method::GET, "/v1/users?search=Ed%40domo", None).await;
        let ed = r.body["data"][0]["id"].as_str().expect("ed").to_owned();
        v1(&app, &key, Method::PATCH, &format!("/v1/users/{ed}"), Some(json!({"role": "user"}))).await;
        let r = app.domo_call(&t, Method::GET, &format!("/domo/v1/users/{}", &ed[4..]), None).await;
        assert_eq!(r.body["role"], "Editor");
        app.stop().await;
    }

    async fn other_dialects_and_passwords(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let et = app.admin_token().await;
        // Created here with a password: logs in through email-keyed.
        let id = create(&app, &key, json!({"name": "Lo Gin", "email": "login@example.com", "password": PW})).await;
        let t = app.token("login@example.com", PW).await;
        // A password change here kills that token.
        let r = v1(&app, &key, Method::PATCH, &format!("/v1/users/{id}"), Some(json!({"password": "another password 2"}))).await;
        assert_eq!(r.status, 200);
        let r = app.call(Method::GET, "/api/users", Some(&t), None).await;
        assert_eq!(r.status, 401, "the old token died");
        app.token("login@example.com", "another password 2").await;
        // Created without one: exists, cannot log in.
        create(&app, &key, json!({"name": "No Pass", "email": "nopass@example.com"})).await;
        assert_eq!(app.login("nopass@example.com", "").await.status, 400);
        assert_eq!(app.login("nopass@example.com", "any password 123").await.status, 401);
        // Deleted through the email-keyed dialect: 404 here.
        let r = app.call(Method::DELETE, "/api/users/login@example.com", Some(&et), None).await;
        assert_eq!(r.status, 204);
        let r = v1(&app, &key, Method::GET, &format!("/v1/users/{id}"), None).await;
        assert_eq!(error(&r), plain_error(404, "not_found"));
        // Self-delete and the last admin.
        let r = v1(&app, &key, Method::DELETE, "/v1/users/usr_1", None).await;
        assert_eq!(error(&r), plain_error(403, "forbidden"));
        let r = v1(&app, &key, Method::PATCH, "/v1/users/usr_1", Some(json!({"role": "user"}))).await;
        assert_eq!(error(&r), plain_error(409, "conflict"));
        let _ = ADMIN_PASSWORD;
        app.stop().await;
    }

    async fn oversized_and_malformed_bodies(kind) {
        let app = TestApp::spawn_with(kind, &["--max-body", "1KiB"]).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let r = v1(&app, &key, Method::POST, "/v1/users", Some(json!({"name": "x".repeat(2000), "email": "b@example.com"}))).await;
        assert_eq!(error(&r), plain_error(413, "payload_too_large"));
        let r = app.req(Method::POST, "/v1/users", Some(&key))
            .insert_header(("Content-Type", "application/json"))
            .send_body("{broken").await.expect("send");
        let r = Reply::read(r).await;
        assert_eq!(error(&r), plain_error(400, "invalid_request"));
        assert!(!r.body.to_string().contains("broken"));
        app.stop().await;
    }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
