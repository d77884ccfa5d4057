//! The DreamFactory dialect over HTTP, on PostgreSQL and SQLite: sessions.

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Reply, TestApp, both_backends};

const ADMIN_SESSION: &str = "/api/v2/system/admin/session";
const USER_SESSION: &str = "/api/v2/user/session";
const PW: &str = "0123456789";

async fn login(app: &TestApp, path: &str, email: &str, password: &str) -> Reply {
    app.call(
        Method::POST,
        path,
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
}

async fn session_token(app: &TestApp, path: &str, email: &str, password: &str) -> String {
    let r = login(app, path, email, password).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["session_token"].as_str().expect("token").to_owned()
}

/// A request carrying the token in `X-DreamFactory-Session-Token`.
async fn with_header(app: &TestApp, method: Method, path: &str, token: &str) -> Reply {
    app.df_call(token, method, path, None).await
}

fn assert_error(r: &Reply, status: u16, message: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(
        r.body,
        json!({"error": {"code": status, "context": null, "message": message, "status_code": status}})
    );
}

fn is_df_date(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok())
}

both_backends! {
    async fn logins_answer_the_session_object_on_the_right_endpoint_only(kind) {
        let app = TestApp::spawn(kind).await;
        let r = login(&app, ADMIN_SESSION, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let keys: Vec<&str> = r.body.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, [
            "session_token", "session_id", "id", "name", "first_name", "last_name", "email",
            "is_sys_admin", "last_login_date", "host", "token_expiry_date", "is_root_admin",
        ], "DreamFactory's field order");
        assert_eq!(r.body["session_token"], r.body["session_id"]);
        assert_eq!(r.body["email"], ADMIN_EMAIL);
        assert_eq!(r.body["is_sys_admin"], true);
        assert_eq!(r.body["is_root_admin"], true);
        assert_eq!(r.body["first_name"], Value::Null);
        assert!(is_df_date(&r.body["last_login_date"]) && is_df_date(&r.body["token_expiry_date"]));
        let expiry = chrono::NaiveDateTime::parse_from_str(
            r.body["token_expiry_date"].as_str().expect("date"), "%Y-%m-%d %H:%M:%S").expect("date");
        let hours = (expiry - chrono::Utc::now().naive_utc()).num_minutes();
        assert!((1430..=1440).contains(&hours), "24 h token: {hours} min");

        // An admin may not log in as a user, and a user not as an admin: the same 401.
        assert_error(&login(&app, USER_SESSION, ADMIN_EMAIL, ADMIN_PASSWORD).await, 401, "Invalid credentials supplied.");
        let t = app.admin_token().await;
        app.create_user(&t, "plain@example.com", PW).await;
        let r = login(&app, USER_SESSION, "plain@example.com", PW).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["is_sys_admin"], false);
        assert!(r.body.get("is_root_admin").is_none());
        assert_error(&login(&app, ADMIN_SESSION, "plain@example.com", PW).await, 401, "Invalid credentials supplied.");
        assert_error(&login(&app, USER_SESSION, "plain@example.com", "wrong password").await, 401, "Invalid credentials supplied.");
        assert_error(&login(&app, USER_SESSION, "nobody@example.com", PW).await, 401, "Invalid credentials supplied.");
        let r = app.call(Method::POST, USER_SESSION, None, Some(json!({"password": PW}))).await;
        assert_error(&r, 400, "Login request is missing required email.");
        let r = app.call(Method::POST, USER_SESSION, None, Some(json!({"email": "plain@example.com"}))).await;
        assert_error(&r, 400, "Login request is missing required password.");
        app.stop().await;
    }

    async fn the_token_is_found_where_dreamfactory_clients_put_it(kind) {
        let app = TestApp::spawn(kind).await;
        let t = session_token(&app, ADMIN_SESSION, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let r = app.call(Method::GET, ADMIN_SESSION, Some(&t), None).await;
        assert_eq!((r.status, r.body["session_token"].as_str()), (200, Some(t.as_str())));
        let r = with_header(&app, Method::GET, ADMIN_SESSION, &t).await;
        assert_eq!(r.status, 200);
        let r = app.call(Method::GET, &format!("{ADMIN_SESSION}?session_token={t}&api_key=ignored"), None, None).await;
        assert_eq!(r.status, 200);
        // The admin app sends an empty Authorization header beside the session header.
        let res = app
            .req(Method::GET, USER_SESSION, None)
            .insert_header(("Authorization", ""))
            .insert_header(("X-DreamFactory-Session-Token", t.as_str()))
            .insert_header(("X-DreamFactory-API-Key", "the-apps-key"))
            .send()
            .await
            .expect("send");
        let r = Reply::read(res).await;
        assert_eq!(r.status, 200, "an admin's token describes its session at /user/session too");
        assert_eq!(r.body["is_sys_admin"], true);
        // No session.
        assert_error(&app.call(Method::GET, ADMIN_SESSION, None, None).await, 404, "No user session found.");
        assert_error(&app.call(Method::GET, USER_SESSION, None, None).await, 401, "There is no valid session for the current request.");
        // A user's token at the admin endpoint; a token of another dialect; garbage.
        let at = app.admin_token().await;
        app.create_user(&at, "plain@example.com", PW).await;
        let ut = session_token(&app, USER_SESSION, "plain@example.com", PW).await;
        assert_error(&app.call(Method::GET, ADMIN_SESSION, Some(&ut), None).await, 401, "You are not authorized to perform this action.");
        assert_eq!(app.call(Method::GET, USER_SESSION, Some(&ut), None).await.status, 200);
        let r = app.call(Method::GET, USER_SESSION, Some(&at), None).await;
        assert_error(&r, 401, "Invalid token: Token Signature could not be verified.");
        assert_eq!(app.call(Method::GET, USER_SESSION, Some("a.b.c"), None).await.status, 401);
        // And a DreamFactory token is no email-keyed token.
        assert_eq!(app.call(Method::GET, "/api/users", Some(&t), None).await.status, 401);
        app.stop().await;
    }

    async fn logout_and_refresh_revoke_the_old_token_only(kind) {
        let app = TestApp::spawn(kind).await;
        let t1 = session_token(&app, ADMIN_SESSION, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let t2 = session_token(&app, ADMIN_SESSION, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let r = app.call(Method::PUT, ADMIN_SESSION, Some(&t1), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let t3 = r.body["session_token"].as_str().expect("new token").to_owned();
        assert_ne!(t3, t1);
        const BLACKLISTED: &str = "The token has been blacklisted: Session terminated. Please re-login.";
        assert_error(&app.call(Method::GET, ADMIN_SESSION, Some(&t1), None).await, 403, BLACKLISTED);
        assert_error(&app.call(Method::PUT, ADMIN_SESSION, Some(&t1), None).await, 403, BLACKLISTED);
        assert_eq!(app.call(Method::GET, ADMIN_SESSION, Some(&t3), None).await.status, 200);
        assert_eq!(app.call(Method::GET, ADMIN_SESSION, Some(&t2), None).await.status, 200, "other sessions live on");
        let r = with_header(&app, Method::DELETE, ADMIN_SESSION, &t3).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"success": true})));
        assert_error(&app.call(Method::GET, ADMIN_SESSION, Some(&t3), None).await, 403, BLACKLISTED);
        assert_eq!(app.call(Method::GET, ADMIN_SESSION, Some(&t2), None).await.status, 200);
        // Logging out twice, or without a token, is still a success.
        assert_eq!(app.call(Method::DELETE, USER_SESSION, Some(&t3), None).await.status, 200);
        assert_eq!(app.call(Method::DELETE, USER_SESSION, None, None).await.status, 200);
        // A token whose user changed is blacklisted too (here: a password change through the
        // email-keyed dialect).
        let et = app.admin_token().await;
        let r = app.call(Method::PATCH, &format!("/api/users/{ADMIN_EMAIL}"), Some(&et),
            Some(json!({"newPassword": "another admin password"}))).await;
        assert_eq!(r.status, 204);
        assert_error(&app.call(Method::GET, ADMIN_SESSION, Some(&t2), None).await, 403, BLACKLISTED);
        app.stop().await;
    }

    async fn expired_tokens_refresh_within_the_window_only(kind) {
        let app = TestApp::spawn_with(kind, &["--dreamfactory-token-ttl", "1s"]).await;
        let t = session_token(&app, ADMIN_SESSION, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2100)).await;
        let r = app.call(Method::GET, ADMIN_SESSION, Some(&t), None).await;
        assert_error(&r, 401, "Token has expired: Session expired. Please refresh your token (if still within refresh window) or re-login.");
        let r = app.call(Method::PUT, ADMIN_SESSION, Some(&t), None).await;
        assert_eq!(r.status, 200, "within the 14-day window: {}", r.body);
        assert_ne!(r.body["session_token"].as_str(), Some(t.as_str()));
        app.stop().await;

        let app = TestApp::spawn_with(kind, &["--dreamfactory-token-ttl", "1s", "--dreamfactory-refresh-ttl", "0s"]).await;
        let t = session_token(&app, ADMIN_SESSION, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2100)).await;
        let r = app.call(Method::PUT, ADMIN_SESSION, Some(&t), None).await;
        assert_error(&r, 401, "Token refresh failed. Token has expired and can no longer be refreshed.");
        app.stop().await;
    }

    async fn limits_answer_in_dreamfactorys_envelope(kind) {
        let app = TestApp::spawn_with(kind, &["--login-throttle", "2/60s"]).await;
        for _ in 0..2 {
            assert_eq!(login(&app, ADMIN_SESSION, ADMIN_EMAIL, "wrong password").await.status, 401);
        }
        let r = login(&app, ADMIN_SESSION, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(r.status, 429);
        assert!(r.header("retry-after").is_some());
        assert_eq!(r.body["error"]["status_code"], 429);
        let big = json!({"email": ADMIN_EMAIL, "password": "x".repeat(300_000)});
        let r = app.call(Method::POST, USER_SESSION, None, Some(big)).await;
        assert_eq!(r.status, 413);
        assert_eq!(r.body["error"]["code"], 413);
        app.stop().await;
    }
}

both_backends! {
    async fn the_admin_apps_endpoints_answer(kind) {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/dreamfactory-admin-app");
        let app = TestApp::spawn_with(kind, &["--dreamfactory-admin-app", fixture]).await;
        // Read before login, without credentials.
        let r = app.call(Method::GET, "/api/v2/system/environment", None, None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["platform"]["license"], "OPEN SOURCE");
        assert_eq!(r.body["platform"]["root_admin_exists"], true);
        for list in ["adldap", "oauth", "saml"] {
            assert!(r.body["authentication"][list].is_array(), "{list}");
        }
        assert_eq!(r.body["authentication"]["login_attribute"], "email");
        assert_eq!(r.header("content-type"), Some("application/json"));
        // The rest need a session.
        assert_eq!(app.call(Method::GET, "/api/v2/system/lookup", None, None).await.status, 400);
        let t = session_token(&app, ADMIN_SESSION, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let empty = json!({"resource": [], "meta": {"count": 0}});
        for path in ["/api/v2/system/lookup", "/api/v2/system/app", "/api/v2/system/role", "/api/v2/system/service"] {
            let r = with_header(&app, Method::GET, path, &t).await;
            assert_eq!((r.status, r.body.clone()), (200, empty.clone()), "{path}");
        }
        let r = with_header(&app, Method::GET, "/api/v2/system", &t).await;
        assert_eq!(r.body, json!({"resource": [{"name": "user"}, {"name": "admin"}]}));
        // A non-admin: lookups still answer (never 403), the others do not.
        let et = app.admin_token().await;
        app.create_user(&et, "plain@example.com", PW).await;
        let ut = session_token(&app, USER_SESSION, "plain@example.com", PW).await;
        assert_eq!(with_header(&app, Method::GET, "/api/v2/system/lookup", &ut).await.status, 200);
        let r = with_header(&app, Method::GET, "/api/v2/system/role", &ut).await;
        assert_error(&r, 403, "Access Forbidden. GET access to component 'role' of service 'system' is not allowed by this user's role.");
        // The operator's copy of the app, same origin, nothing outside its directory.
        let r = app.call(Method::GET, "/dreamfactory/dist/", None, None).await;
        assert_eq!(r.status, 200);
        assert!(r.body.as_str().is_some_and(|html| html.contains("df-admin-app-fixture")));
        let r = app.call(Method::GET, "/dreamfactory/dist/index.html", None, None).await;
        assert_eq!(r.status, 200);
        for escape in ["/dreamfactory/dist/../../Cargo.toml", "/dreamfactory/dist/%2e%2e/%2e%2e/Cargo.toml"] {
            assert_eq!(app.call(Method::GET, escape, None, None).await.status, 404, "{escape}");
        }
        app.stop().await;
        // Off by default.
        let app = TestApp::spawn(kind).await;
        assert_eq!(app.call(Method::GET, "/dreamfactory/dist/", None, None).await.status, 404);
        app.stop().await;
    }
}
