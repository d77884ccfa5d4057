//! CORS for browser apps on another origin, on PostgreSQL and SQLite: with
//! `--cors-allow-origin`, a page served from another loopback origin calls every dialect from
//! headless Chromium (the browser's own preflights, with `Authorization` and DreamFactory's
//! session header) and reads the answers; a page of an origin not allowed cannot; without the
//! flag no CORS header is ever sent.

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::{ADMIN_EMAIL, TestApp, both_backends, test_python};

/// A port for a page's origin, on 127.0.0.2: the test's page binds it only after the server
/// started with it in its flags, and on 127.0.0.1 another test's listener or connection could
/// take it meanwhile.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.2:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs the page at `page_port` through `plan`; the statuses it could read, or "blocked".
async fn from_page(app: &TestApp, page_port: u16, plan: &Value) -> Value {
    let python = test_python();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/browser_cors.py");
    let args = [
        script.to_owned(),
        page_port.to_string(),
        app.url(""),
        plan.to_string(),
    ];
    let out = actix_web::web::block(move || std::process::Command::new(python).args(args).output())
        .await
        .expect("blocking task")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "browser:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("one JSON line")
}

both_backends! {
    async fn a_page_on_an_allowed_origin_calls_every_dialect(kind) {
        let allowed = free_port();
        let other = std::iter::repeat_with(free_port).find(|p| *p != allowed).expect("another port");
        let origin = format!("http://127.0.0.2:{allowed}");
        let app = TestApp::spawn_with(kind, &["--cors-allow-origin", &origin]).await;
        let (client, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let bearer = |t: String| json!({"Authorization": format!("Bearer {t}")});
        let plan = json!([
            {"name": "email-keyed", "method": "GET", "path": "/api/users", "headers": bearer(app.admin_token().await)},
            {"name": "dreamfactory", "method": "GET", "path": "/api/v2/system/user",
             "headers": {"X-DreamFactory-Session-Token": app.df_admin_session().await}},
            {"name": "domo", "method": "GET", "path": "/domo/v1/users", "headers": bearer(app.domo_token(&client, &secret).await)},
            {"name": "generic", "method": "POST", "path": "/v1/users", "headers": {
                "Authorization": format!("Bearer {}", app.api_key(ADMIN_EMAIL, None)), "Content-Type": "application/json"},
             "body": {"email": "from.browser@example.com", "name": "From A Browser"}},
            {"name": "scim", "method": "GET", "path": "/scim/v2/Users", "headers": bearer(app.scim_key(ADMIN_EMAIL))},
            {"name": "refused", "method": "GET", "path": "/api/users", "headers": bearer("not a token".into())},
        ]);
        let seen = from_page(&app, allowed, &plan).await;
        for (name, status) in [("email-keyed", 200), ("dreamfactory", 200), ("domo", 200), ("generic", 201), ("scim", 200), ("refused", 401)] {
            assert_eq!(seen[name]["status"], status, "{name}: {seen}");
            assert!(seen[name]["requestId"].is_string(), "exposed headers are readable: {seen}");
        }
        // Another origin's page reads nothing, and its write never happens.
        let plan = json!([
            {"name": "generic", "method": "POST", "path": "/v1/users", "headers": {
                "Authorization": format!("Bearer {}", app.api_key(ADMIN_EMAIL, None)), "Content-Type": "application/json"},
             "body": {"email": "from.elsewhere@example.com", "name": "Elsewhere"}},
        ]);
        let seen = from_page(&app, other, &plan).await;
        assert_eq!(seen["generic"], "blocked", "{seen}");
        let key = app.api_key(ADMIN_EMAIL, None);
        let r = app.call(Method::GET, "/v1/users?search=from.", Some(&key), None).await;
        let emails: Vec<&Value> = r.body["data"].as_array().expect("users").iter().map(|u| &u["email"]).collect();
        assert_eq!(emails, [&json!("from.browser@example.com")]);
        // The preflight as the browser sends it, read by hand.
        let r = app.req(Method::OPTIONS, "/api/v2/system/user", None)
            .insert_header(("Origin", origin.as_str()))
            .insert_header(("Access-Control-Request-Method", "PATCH"))
            .insert_header(("Access-Control-Request-Headers", "x-dreamfactory-session-token,content-type"))
            .send().await.expect("preflight");
        assert_eq!(r.status(), 200);
        let header = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
        assert_eq!(header("access-control-allow-origin"), origin);
        assert!(header("access-control-allow-headers").contains("x-dreamfactory-session-token"));
        assert!(header("access-control-allow-methods").contains("patch"));
        assert_eq!(header("access-control-allow-credentials"), "", "no credentials mode unless asked");
        // By hand: another origin's request gets no CORS header (its page cannot read the
        // answer; a browser sends nothing that needs a preflight); no Origin (no browser) is
        // served as always.
        let token = app.admin_token().await;
        let r = app.req(Method::GET, "/api/users", Some(&token))
            .insert_header(("Origin", format!("http://127.0.0.2:{other}")))
            .send().await.expect("get");
        assert!(r.headers().get("access-control-allow-origin").is_none());
        let r = app.req(Method::OPTIONS, "/api/users", None)
            .insert_header(("Origin", format!("http://127.0.0.2:{other}")))
            .insert_header(("Access-Control-Request-Method", "POST"))
            .send().await.expect("preflight");
        assert!(r.headers().get("access-control-allow-origin").is_none(), "{:?}", r.headers());
        let r = app.call(Method::GET, "/api/users", Some(&token), None).await;
        assert_eq!(r.status, 200);
        app.stop().await;
    }

    async fn without_the_flag_no_cors_header_is_sent(kind) {
        let app = TestApp::spawn(kind).await;
        let r = app.req(Method::OPTIONS, "/api/users", None)
            .insert_header(("Origin", "http://127.0.0.1:9"))
            .insert_header(("Access-Control-Request-Method", "GET"))
            .send().await.expect("preflight");
        assert!(r.headers().get("access-control-allow-origin").is_none());
        let token = app.admin_token().await;
        let r = app.req(Method::GET, "/api/users", Some(&token))
            .insert_header(("Origin", "http://127.0.0.1:9"))
            .send().await.expect("get");
        assert_eq!(r.status(), 200, "a request with an Origin is served as before");
        assert!(r.headers().get("access-control-allow-origin").is_none());
        app.stop().await;
    }
}
