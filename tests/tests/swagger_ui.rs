//! Swagger UI in a real browser, on PostgreSQL and SQLite: headless Chromium opens `/docs/`,
//! switches between the five dialects' documents with the definition list, authorizes with
//! each dialect's credential through the document's own security scheme, and runs one "Try it
//! out" request per dialect, which must answer 200 (tests/python/browser_swagger.py).

use serde_json::json;
use usergate_tests::{ADMIN_EMAIL, TestApp, both_backends, test_python};

both_backends! {
    async fn swagger_ui_in_headless_chromium_tries_out_each_dialect(kind) {
        let python = test_python();
        let app = TestApp::spawn(kind).await;
        let (client, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let plan = json!([
            {"name": "email-keyed", "title": "usergate: email-keyed", "scheme": "bearer",
             "credential": app.admin_token().await, "tag": "users", "operation": "list_users"},
            {"name": "dreamfactory", "title": "usergate: DreamFactory", "scheme": "session_token",
             "credential": app.df_admin_session().await, "tag": "users", "operation": "list_users"},
            {"name": "domo", "title": "usergate: Domo", "scheme": "bearer",
             "credential": app.domo_token(&client, &secret).await, "tag": "users", "operation": "list"},
            {"name": "generic", "title": "usergate: generic", "scheme": "api_key",
             "credential": app.api_key(ADMIN_EMAIL, None), "tag": "users", "operation": "list"},
            {"name": "scim", "title": "usergate: SCIM", "scheme": "bearer",
             "credential": app.scim_key(ADMIN_EMAIL), "tag": "users", "operation": "list"},
        ]);
        let base = format!("http://{}", app.addr);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/browser_swagger.py");
        let out = actix_web::web::block(move || {
            std::process::Command::new(python).args([script, &base, &plan.to_string()]).output()
        })
        .await
        .expect("blocking task")
        .expect("python runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "browser:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        for name in ["email-keyed", "dreamfactory", "domo", "generic", "scim"] {
            assert!(stdout.contains(&format!("{name}: 200")), "{stdout}");
        }
        app.stop().await;
    }
}
