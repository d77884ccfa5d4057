//! Domo's own Python SDK, pydomo (pinned in `tests/python/requirements.txt`), driven against a
//! real usergate on PostgreSQL and SQLite. Users (`tests/python/pydomo_drive.py`): token,
//! create, get, list across more than one 500-user page, update, delete, and the deleted shape.
//! Groups (`tests/python/pydomo_groups.py`): `GroupClient` and every `groups_*` helper, with
//! more than 500 groups and more than 500 members. The virtual environment comes from
//! `scripts/test`.

use usergate_tests::{ADMIN_EMAIL, TestApp, both_backends, test_python};

/// Runs a pydomo script against the app with a fresh `user`-scoped client of the admin, and
/// returns the JSON line it prints.
async fn drive(app: &TestApp, script: &'static str) -> serde_json::Value {
    let python = test_python();
    let (id, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
    let host = format!("{}/domo", app.addr);
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
    serde_json::from_str(stdout.trim()).expect("summary line")
}

both_backends! {
    async fn pydomo_manages_users_through_usergate(kind) {
        let app = TestApp::spawn(kind).await;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/pydomo_drive.py");
        let seen = drive(&app, script).await;
        assert!(seen["listed"].as_u64().is_some_and(|n| n > 500), "{seen}");
        app.stop().await;
    }
}

both_backends! {
    async fn pydomo_manages_groups_through_usergate(kind) {
        let app = TestApp::spawn(kind).await;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/pydomo_groups.py");
        let seen = drive(&app, script).await;
        assert_eq!(seen["members"], 505, "{seen}");
        assert_eq!(seen["groups"], 506, "{seen}");
        app.stop().await;
    }
}
