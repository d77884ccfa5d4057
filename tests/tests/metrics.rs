//! Prometheus metrics on `--metrics-listen`, on PostgreSQL and SQLite: after a scenario over
//! every dialect, the request counters equal the requests made, per dialect, method, route
//! template and status; the auth, audit and cache counters agree with what happened; no label
//! holds an address or an id; the public listener has no `/metrics`.

use std::collections::BTreeMap;

use awc::http::Method;
use serde_json::json;
use usergate_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, both_backends};

/// `name{labels}` → value, from the exposition text.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The value of the sample whose name is `name` and whose labels include every one of `labels`.
fn value(all: &BTreeMap<String, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    all.iter()
        .filter(|(k, _)| {
            k.split_once('{').map_or(k.as_str(), |(n, _)| n) == name
                && labels
                    .iter()
                    .all(|(l, v)| k.contains(&format!("{l}=\"{v}\"")))
        })
        .map(|(_, v)| *v)
        .sum()
}

both_backends! {
    async fn a_scrape_counts_what_the_scenario_did(kind) {
        let app = TestApp::spawn_with(kind, &["--metrics-listen", "127.0.0.1:0"]).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        for _ in 0..3 {
            assert_eq!(app.call(Method::GET, "/v1/users", Some(&key), None).await.status, 200);
        }
        for i in 0..2 {
            let r = app.call(Method::POST, "/v1/users", Some(&key), Some(json!({"name": "M", "email": format!("m{i}@example.com")}))).await;
            assert_eq!(r.status, 201);
        }
        assert_eq!(app.call(Method::GET, "/v1/users/usr_424242", Some(&key), None).await.status, 404);
        assert_eq!(app.call(Method::GET, "/no/such/path", None, None).await.status, 404);
        let df = app.df_admin_session().await;
        assert_eq!(app.df_call(&df, Method::GET, "/api/v2/system/user", None).await.status, 200);
        let token = app.admin_token().await;
        assert_eq!(app.call(Method::GET, "/api/users", Some(&token), None).await.status, 200);
        assert_eq!(app.login(ADMIN_EMAIL, "wrong password here").await.status, 401);
        let scim = app.scim_key(ADMIN_EMAIL);
        assert_eq!(app.call(Method::GET, "/scim/v2/Users", Some(&scim), None).await.status, 200);
        // The public listener does not serve metrics.
        assert_eq!(app.call(Method::GET, "/metrics", None, None).await.status, 404);

        let addr = app.metrics_addr.expect("metrics listener");
        let mut res = usergate_tests::client().get(format!("http://{addr}/metrics")).send().await.expect("scrape");
        assert_eq!(res.status().as_u16(), 200);
        let text = String::from_utf8(res.body().await.expect("body").to_vec()).expect("utf-8");
        let all = samples(&text);
        let requests = |labels: &[(&str, &str)]| value(&all, "http_requests_total", labels);
        assert_eq!(requests(&[("dialect", "generic"), ("method", "GET"), ("route", "/v1/users"), ("status", "200")]), 3.0, "{text}");
        assert_eq!(requests(&[("dialect", "generic"), ("method", "POST"), ("route", "/v1/users"), ("status", "201")]), 2.0);
        assert_eq!(requests(&[("dialect", "generic"), ("route", "/v1/users/{user_id}"), ("status", "404")]), 1.0);
        assert_eq!(requests(&[("dialect", "server"), ("route", "unmatched"), ("status", "404")]), 2.0, "the unknown path and /metrics");
        assert_eq!(requests(&[("dialect", "dreamfactory"), ("method", "GET"), ("route", "/api/v2/system/user"), ("status", "200")]), 1.0);
        assert_eq!(requests(&[("dialect", "dreamfactory"), ("method", "POST"), ("status", "200")]), 1.0, "the session");
        assert_eq!(requests(&[("dialect", "email_keyed"), ("method", "GET"), ("route", "/api/users"), ("status", "200")]), 1.0);
        assert_eq!(requests(&[("dialect", "email_keyed"), ("method", "POST"), ("route", "/api/auth/token")]), 2.0, "one login, one refused");
        assert_eq!(requests(&[("dialect", "scim"), ("method", "GET"), ("route", "/scim/v2/Users"), ("status", "200")]), 1.0);
        assert_eq!(requests(&[]), 14.0, "every request was counted once: {text}");
        assert_eq!(value(&all, "http_request_duration_seconds_count", &[("dialect", "generic"), ("route", "/v1/users"), ("method", "GET")]), 3.0);
        // Logins by password: the DreamFactory session, the email-keyed token, one refused.
        let auth = |labels: &[(&str, &str)]| value(&all, "usergate_auth_attempts_total", labels);
        assert_eq!(auth(&[("method", "password"), ("outcome", "success")]), 2.0, "{text}");
        assert_eq!(auth(&[("method", "password"), ("outcome", "failure"), ("reason", "bad_credentials")]), 1.0);
        assert_eq!(auth(&[("dialect", "generic"), ("method", "api_key"), ("outcome", "success")]), 6.0);
        assert_eq!(value(&all, "usergate_audit_events_total", &[("action", "user.create"), ("outcome", "success")]), 2.0);
        assert!(value(&all, "usergate_credential_cache_requests_total", &[]) >= 6.0);
        assert!(value(&all, "usergate_password_hash_seconds_count", &[]) >= 3.0);
        assert!(value(&all, "usergate_db_pool_connections", &[("state", "idle")]) >= 0.0);
        assert_eq!(value(&all, "usergate_webhook_backlog", &[]), 0.0);
        assert_eq!(value(&all, "usergate_build_info", &[]), 1.0);
        assert!(text.contains("# TYPE http_requests_total counter"));
        // No address, id or secret in any label.
        for leak in ["@", "usr_424242", "/no/such/path", ADMIN_PASSWORD] {
            assert!(!text.contains(leak), "{leak} in the metrics:\n{text}");
        }
        app.stop().await;
    }
}
