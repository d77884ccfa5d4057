//! Domo's own Python SDK, pydomo (pinned in `tests/python/requirements.txt`), driven against a
//! real usergate on PostgreSQL and SQLite: token, create, get, list across more than one
//! 500-user page, update, delete, and the deleted shape. The script is
//! `tests/python/pydomo_drive.py`; the virtual environment comes from `scripts/test`.

use usergate_tests::{ADMIN_EMAIL, TestApp, both_backends, test_python};

both_backends! {
    async fn pydomo_manages_users_through_usergate(kind) {
        let python = test_python();
        let app = TestApp::spawn(kind).await;
        let (id, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let host = format!("{}/domo", app.addr);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/pydomo_drive.py");
        let out = actix_web::web::block(move || {
            std::process::Command::new(python)
                .args([script, &host, &id, &secret])
                .output()
        })
        .await
        .expect("blocking task")
        .expect("python runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "pydomo failed:\n{stdout}\n{stderr}");
        let seen: serde_json::Value = serde_json::from_str(stdout.trim()).expect("summary line");
        assert!(seen["listed"].as_u64().is_some_and(|n| n > 500), "{seen}");
        app.stop().await;
    }
}
