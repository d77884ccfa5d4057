//! Point reads on the HTTP workers (`usergate_web::point_read`): always on SQLite, and on
//! PostgreSQL with `--pg-reads-on-workers true`. A user written through one dialect is read
//! through every dialect's GET at once, and a deleted one is gone from all of them at once:
//! the workers' own connections see what the pool wrote.

use awc::http::Method;
use serde_json::json;
use usergate_tests::{ADMIN_EMAIL, TestApp, both_backends};

async fn check(app: &TestApp) {
    let root = app.admin_token().await;
    let key = app.api_key(ADMIN_EMAIL, None);
    let df = app.df_admin_session().await;
    for i in 0..3 {
        let email = format!("worker{i}@example.com");
        app.create_user(&root, &email, "worker password 01").await;
        let r = app
            .call(
                Method::GET,
                &format!("/api/users/{email}"),
                Some(&root),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "email-keyed: {}", r.body);
        let r = app
            .call(
                Method::GET,
                &format!("/v1/users?search={email}"),
                Some(&key),
                None,
            )
            .await;
        let id = r.body["data"][0]["id"].as_str().expect("id").to_owned();
        let r = app
            .call(Method::GET, &format!("/v1/users/{id}"), Some(&key), None)
            .await;
        assert_eq!(
            (r.status, r.body["data"]["email"].as_str()),
            (200, Some(email.as_str())),
            "{}",
            r.body
        );
        let n = id.trim_start_matches("usr_");
        let res = app
            .req(Method::GET, &format!("/api/v2/system/user/{n}"), None)
            .insert_header(("X-DreamFactory-Session-Token", df.clone()))
            .send()
            .await
            .expect("DreamFactory get");
        assert_eq!(res.status().as_u16(), 200);
        let r = app
            .call(
                Method::DELETE,
                &format!("/api/users/{email}"),
                Some(&root),
                None,
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let r = app
            .call(Method::GET, &format!("/v1/users/{id}"), Some(&key), None)
            .await;
        assert_eq!(r.status, 404, "deleted, at once: {}", r.body);
        let r = app
            .call(
                Method::GET,
                &format!("/api/users/{email}"),
                Some(&root),
                None,
            )
            .await;
        assert_eq!(r.status, 404, "deleted, at once: {}", r.body);
    }
    let r = app
        .call(
            Method::POST,
            "/v1/users",
            Some(&key),
            Some(json!({"email": "last@example.com", "name": "Last"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

both_backends! {
    async fn every_get_sees_every_write_at_once(kind) {
        let app = TestApp::spawn_with(kind, &["--pg-reads-on-workers", "true"]).await;
        check(&app).await;
        app.stop().await;
    }
}
