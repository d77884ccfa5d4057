//! SCIM with real clients and across dialects, on PostgreSQL and SQLite: scim2-tester's whole
//! conformance run (`scim2 ... test`, pinned in `tests/python/requirements.txt`) must pass
//! every check; a user provisioned by SCIM logs in through the email-keyed and DreamFactory
//! dialects and dies everywhere at once when SCIM deactivates it; a group pushed by SCIM is
//! read and changed through pydomo, and each side sees the other's changes.

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::{ADMIN_EMAIL, Reply, TestApp, both_backends, test_python};

async fn scim(app: &TestApp, key: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
    app.call(method, &format!("/scim/v2{path}"), Some(key), body)
        .await
}

async fn execute(program: std::path::PathBuf, args: Vec<String>) -> (bool, String) {
    let out =
        actix_web::web::block(move || std::process::Command::new(program).args(args).output())
            .await
            .expect("blocking task")
            .expect("the program runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

both_backends! {
    async fn scim2_tester_passes_every_check(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.scim_key(ADMIN_EMAIL);
        let scim2 = test_python().with_file_name("scim2");
        let args = vec![
            "--url".to_owned(),
            app.url("/scim/v2"),
            "-h".to_owned(),
            format!("Authorization: Bearer {key}"),
            "test".to_owned(),
        ];
        let (ok, report) = execute(scim2, args).await;
        // The CLI fails on any status but SUCCESS (SKIPPED included).
        assert!(ok, "scim2-tester failed:\n{report}");
        let checks = report.lines().filter(|l| l.starts_with("SUCCESS ")).count();
        let others: Vec<&str> = report
            .lines()
            .filter(|l| l.split(' ').next().is_some_and(|w| w.len() > 3 && w.chars().all(|c| c.is_ascii_uppercase())))
            .filter(|l| !l.starts_with("SUCCESS "))
            .collect();
        assert!(others.is_empty(), "{others:?}");
        assert!(checks >= 100, "only {checks} checks ran:\n{report}");
        app.stop().await;
    }

    async fn a_scim_user_lives_and_dies_in_every_dialect(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.scim_key(ADMIN_EMAIL);
        let pw = "provisioned password 1";
        let r = scim(&app, &key, Method::POST, "/Users", Some(json!({
            "userName": "prov", "emails": [{"value": "prov@example.com", "primary": true}],
            "password": pw, "active": true,
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_owned();
        // Logs in by its address through two dialects that have passwords.
        let token = app.token("prov@example.com", pw).await;
        let df = app
            .call(Method::POST, "/api/v2/user/session", None, Some(json!({"email": "prov@example.com", "password": pw})))
            .await;
        assert_eq!(df.status, 200, "{}", df.body);
        let session = df.body["session_token"].as_str().expect("session").to_owned();
        // Known but no admin: 403, not 401.
        assert_eq!(app.call(Method::GET, "/api/users", Some(&token), None).await.status, 403);
        assert_eq!(app.df_call(&session, Method::GET, "/api/v2/user/session", None).await.status, 200);
        // Deactivated through SCIM: both die at once.
        let r = scim(&app, &key, Method::PATCH, &format!("/Users/{id}"), Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"active": false}}],
        }))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(app.call(Method::GET, "/api/users", Some(&token), None).await.status, 401);
        // DreamFactory's answer to a token of a user who changed: 403, blacklisted.
        let r = app.df_call(&session, Method::GET, "/api/v2/user/session", None).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(app.login("prov@example.com", pw).await.status, 401);
        app.stop().await;
    }

    async fn a_pushed_group_is_domos_group_and_back(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.scim_key(ADMIN_EMAIL);
        let mut ids = Vec::new();
        for name in ["ann", "bob"] {
            let r = scim(&app, &key, Method::POST, "/Users", Some(json!({"userName": format!("{name}@example.com")}))).await;
            ids.push(r.body["id"].as_str().expect("id").to_owned());
        }
        let r = scim(&app, &key, Method::POST, "/Groups", Some(json!({
            "displayName": "Pushed", "externalId": "okta-00g1", "members": [{"value": ids[0]}],
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let gid = r.body["id"].as_str().expect("id").to_owned();
        let (client, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/pydomo_scim_group.py").to_owned();
        let args = vec![script, format!("{}/domo", app.addr), client, secret, gid.clone(), ids[0].clone(), ids[1].clone()];
        let (ok, out) = execute(test_python(), args).await;
        assert!(ok, "pydomo failed:\n{out}");
        let seen: Value = serde_json::from_str(out.trim()).expect("one JSON line");
        assert_eq!(seen["seen"]["name"], "Pushed");
        assert_eq!(seen["seen"]["memberCount"], 1);
        // What pydomo changed, SCIM reads; what pydomo made, SCIM lists.
        let r = scim(&app, &key, Method::GET, &format!("/Groups/{gid}"), None).await;
        assert_eq!(r.body["displayName"], "Pushed (Domo)");
        assert_eq!(r.body["externalId"], "okta-00g1");
        assert_eq!(r.body["members"].as_array().map(|m| m.iter().map(|x| x["value"].clone()).collect::<Vec<_>>()), Some(vec![json!(ids[1])]));
        let made = seen["made"].to_string();
        let r = scim(&app, &key, Method::GET, "/Groups?filter=displayName%20eq%20%22made%20in%20domo%22", None).await;
        assert_eq!(r.body["Resources"][0]["id"], json!(made), "{}", r.body);
        assert_eq!(r.body["Resources"][0]["members"][0]["value"], json!(ids[0]));
        app.stop().await;
    }
}
