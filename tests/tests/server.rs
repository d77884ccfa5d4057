//! The server around the dialects: health, readiness, docs, request ids.

use awc::http::Method;
use usergate_store::testdb::TestDb;
use usergate_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, both_backends, call_at, client, serve_args,
};

both_backends! {
    async fn health_readiness_and_docs_are_served(kind) {
        let app = TestApp::spawn(kind).await;
        let r = app.call(Method::GET, "/healthz", None, None).await;
        assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
        let r = app.call(Method::GET, "/readyz", None, None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["database"], kind);
        assert!(r.header("x-request-id").is_some_and(|id| id.len() == 16));
        let r = app.call(Method::GET, "/docs/", None, None).await;
        assert_eq!(r.status, 200);
        assert!(r.body.as_str().is_some_and(|html| html.contains("swagger")));
        let r = app.call(Method::GET, "/docs/openapi/email-keyed.json", None, None).await;
        assert_eq!(r.status, 200);
        assert!(r.body["paths"]["/api/users/{email}"].is_object());
        app.stop().await;
    }

    async fn instances_starting_together_migrate_once_and_make_one_admin(kind) {
        let db = TestDb::empty(kind);
        let starts = (0..3).map(|_| usergate_server::start(serve_args(db.url(), &[]), false));
        let started = futures_util::future::join_all(starts).await;
        let running: Vec<_> = started
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| panic!("an instance failed to start: {e}")))
            .collect();
        let c = client();
        for instance in &running {
            let r = call_at(&c, instance.addr, Method::POST, "/api/auth/token", None,
                Some(serde_json::json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))).await;
            assert_eq!(r.status, 200);
            let token = r.body["accessToken"].as_str().expect("token").to_owned();
            let r = call_at(&c, instance.addr, Method::GET, "/api/users", Some(&token), None).await;
            assert_eq!(r.body.as_array().map(Vec::len), Some(1), "one admin: {}", r.body);
        }
        for instance in running {
            instance.stop().await;
        }
    }
}
