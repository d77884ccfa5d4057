//! The audit log over HTTP and the CLI, on PostgreSQL and SQLite: each dialect's create,
//! change and delete leaves exactly one event with the right channel, actor, credential,
//! target and diff; a refused change leaves one failure event and no success; a rolled-back
//! DreamFactory batch leaves no success; `GET /v1/audit-events` filters and pages by id; the
//! CLI's own changes are audited as `cli`, and `usergate audit list|export|prune` read and
//! prune the same table.

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::transfer::usergate_cli;
use usergate_tests::{ADMIN_EMAIL, Reply, TestApp, both_backends};

/// The events of one target, oldest first, through the generic dialect.
async fn events_of(app: &TestApp, key: &str, target_id: i64) -> Vec<Value> {
    let r = app
        .call(
            Method::GET,
            &format!("/v1/audit-events?target_type=user&target_id={target_id}"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut events = r.body["data"].as_array().expect("data").clone();
    events.reverse();
    events
}

/// `(action, outcome, dialect, actor type)` of each event.
fn summary(events: &[Value]) -> Vec<(String, String, String, String)> {
    events
        .iter()
        .map(|e| {
            let s = |v: &Value| v.as_str().unwrap_or("-").to_owned();
            (
                s(&e["action"]),
                s(&e["outcome"]),
                s(&e["dialect"]),
                s(&e["actor"]["type"]),
            )
        })
        .collect()
}

fn strings(rows: &[(&str, &str, &str, &str)]) -> Vec<(String, String, String, String)> {
    rows.iter()
        .map(|(a, b, c, d)| ((*a).into(), (*b).into(), (*c).into(), (*d).into()))
        .collect()
}

fn df_id(r: &Reply) -> i64 {
    r.body["resource"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{}", r.body))
}

both_backends! {
    async fn each_dialect_leaves_one_event_per_change_with_its_actor_and_diff(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let key_id = key.split('_').nth(1).expect("key id").to_owned();
        let df = app.df_admin_session().await;
        let (client, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let domo = app.domo_token(&client, &secret).await;
        let ek = app.admin_token().await;
        let scim = app.scim_key(ADMIN_EMAIL);
        let scim_id = scim.split('_').nth(1).expect("key id").to_owned();

        // Generic: create, a role change, a delete.
        let r = app.call(Method::POST, "/v1/users", Some(&key), Some(json!({"name": "Gen", "email": "gen@example.com", "password": "gen password 001"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let generic_id: i64 = r.body["data"]["id"].as_str().expect("id").trim_start_matches("usr_").parse().expect("n");
        let r = app.call(Method::PATCH, &format!("/v1/users/usr_{generic_id}"), Some(&key), Some(json!({"role": "admin", "name": "Gen Two"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(app.call(Method::DELETE, &format!("/v1/users/usr_{generic_id}"), Some(&key), None).await.status, 200);
        let events = events_of(&app, &key, generic_id).await;
        assert_eq!(summary(&events), strings(&[
            ("user.create", "success", "generic", "api_key"),
            ("user.role_change", "success", "generic", "api_key"),
            ("user.delete", "success", "generic", "api_key"),
        ]));
        for e in &events {
            assert_eq!(e["actor"]["credential_id"], json!(key_id), "{e}");
            assert_eq!(e["actor"]["email"], json!(ADMIN_EMAIL), "{e}");
            assert_eq!(e["target"]["email"], json!("gen@example.com"), "{e}");
            assert!(e["request_id"].is_string() && e["ip"] == json!("127.0.0.1"), "{e}");
        }
        assert_eq!(events[0]["changes"]["password"], json!("set"));
        assert_eq!(events[0]["changes"]["role"], json!({"to": "user"}));
        assert_eq!(events[1]["changes"], json!({
            "role": {"from": "user", "to": "admin"},
            "name": {"from": "Gen", "to": "Gen Two"},
        }));

        // DreamFactory: a create (a batch of one), a deactivation, a delete; a session's actor
        // is the user, its credential the session token's id.
        let r = app.df_call(&df, Method::POST, "/api/v2/system/user", Some(json!({"resource": [{"email": "df@example.com", "first_name": "Df"}]}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let d = df_id(&r);
        let r = app.df_call(&df, Method::PATCH, &format!("/api/v2/system/user/{d}"), Some(json!({"is_active": false}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(app.df_call(&df, Method::DELETE, &format!("/api/v2/system/user/{d}"), None).await.status, 200);
        let events = events_of(&app, &key, d).await;
        assert_eq!(summary(&events), strings(&[
            ("user.create", "success", "dreamfactory", "user"),
            ("user.deactivate", "success", "dreamfactory", "user"),
            ("user.delete", "success", "dreamfactory", "user"),
        ]));
        assert!(events[0]["actor"]["credential_id"].is_string(), "the session's id");
        assert_eq!(events[1]["changes"], json!({"status": {"from": "active", "to": "inactive"}}));

        // Domo: create, update, delete through an OAuth client.
        let r = app.domo_call(&domo, Method::POST, "/domo/v1/users", Some(json!({"name": "Do", "email": "do@example.com", "role": "Editor"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let dm = r.body["id"].as_i64().expect("id");
        let r = app.domo_call(&domo, Method::PUT, &format!("/domo/v1/users/{dm}"), Some(json!({"name": "Do Two", "email": "do@example.com", "role": "Editor"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(app.domo_call(&domo, Method::DELETE, &format!("/domo/v1/users/{dm}"), None).await.status, 204);
        let events = events_of(&app, &key, dm).await;
        assert_eq!(summary(&events), strings(&[
            ("user.create", "success", "domo", "oauth_client"),
            ("user.update", "success", "domo", "oauth_client"),
            ("user.delete", "success", "domo", "oauth_client"),
        ]));
        assert_eq!(events[1]["actor"]["credential_id"], json!(client));

        // Email-keyed: create, a password change, a delete.
        app.create_user(&ek, "ek@example.com", "ek password 0001").await;
        let r = app.call(Method::PATCH, "/api/users/ek@example.com", Some(&ek), Some(json!({"password": "ek password 0002"}))).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(app.call(Method::DELETE, "/api/users/ek@example.com", Some(&ek), None).await.status, 204);
        let r = app.call(Method::GET, "/v1/audit-events?action=user.create&limit=500", Some(&key), None).await;
        let ek_id: i64 = r.body["data"].as_array().expect("data").iter()
            .find(|e| e["target"]["email"] == json!("ek@example.com"))
            .and_then(|e| e["target"]["id"].as_str()).expect("ek's create").parse().expect("n");
        let events = events_of(&app, &key, ek_id).await;
        assert_eq!(summary(&events), strings(&[
            ("user.create", "success", "email_keyed", "user"),
            ("user.password_change", "success", "email_keyed", "user"),
            ("user.delete", "success", "email_keyed", "user"),
        ]));
        assert_eq!(events[1]["changes"], json!({"password": "changed"}));

        // SCIM: create, a PATCH deactivating, a delete.
        let r = app.call(Method::POST, "/scim/v2/Users", Some(&scim), Some(json!({"userName": "sc@example.com", "externalId": "x-1"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let sc: i64 = r.body["id"].as_str().expect("id").parse().expect("n");
        let ops = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}]});
        assert_eq!(app.call(Method::PATCH, &format!("/scim/v2/Users/{sc}"), Some(&scim), Some(ops)).await.status, 200);
        assert_eq!(app.call(Method::DELETE, &format!("/scim/v2/Users/{sc}"), Some(&scim), None).await.status, 204);
        let events = events_of(&app, &key, sc).await;
        assert_eq!(summary(&events), strings(&[
            ("user.create", "success", "scim", "api_key"),
            ("user.deactivate", "success", "scim", "api_key"),
            ("user.delete", "success", "scim", "api_key"),
        ]));
        assert_eq!(events[0]["actor"]["credential_id"], json!(scim_id));
        assert_eq!(events[0]["changes"]["external_id"], json!({"to": "x-1"}));
        app.stop().await;
    }

    async fn refused_changes_leave_failures_and_rolled_back_batches_no_success(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let df = app.df_admin_session().await;
        let taken = json!({"name": "T", "email": "taken@example.com"});
        assert_eq!(app.call(Method::POST, "/v1/users", Some(&key), Some(taken.clone())).await.status, 201);
        assert_eq!(app.call(Method::POST, "/v1/users", Some(&key), Some(taken)).await.status, 409);
        let r = app.call(Method::GET, "/v1/audit-events?outcome=failure", Some(&key), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let failures = r.body["data"].as_array().expect("data");
        assert_eq!(failures.len(), 1, "{}", r.body);
        assert_eq!(failures[0]["action"], "user.create");
        assert_eq!(failures[0]["error_code"], "conflict:duplicate_email");
        assert_eq!(failures[0]["target"]["email"], "taken@example.com");

        // A non-admin's change is refused and audited as theirs.
        let ek = app.admin_token().await;
        app.create_user(&ek, "plain@example.com", "plain password 01").await;
        let plain = app.token("plain@example.com", "plain password 01").await;
        let r = app.call(Method::DELETE, "/api/users/taken@example.com", Some(&plain), None).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = app.call(Method::GET, "/v1/audit-events?outcome=failure&action=user.delete", Some(&key), None).await;
        let refused = &r.body["data"][0];
        assert_eq!(refused["error_code"], "forbidden:not_admin", "{}", r.body);
        assert_eq!(refused["actor"]["email"], "plain@example.com");

        // A rolled-back batch: no success event for any of its records.
        let before = usergate_tests::audit_events(app.db_url()).len();
        let r = app.df_call(&df, Method::POST, "/api/v2/system/user?rollback=true", Some(json!({"resource": [
            {"email": "rb1@example.com"}, {"email": "taken@example.com"}, {"email": "rb3@example.com"}
        ]}))).await;
        assert!(r.status >= 400, "{}", r.body);
        let after = usergate_tests::audit_events(app.db_url());
        let new: Vec<_> = after.iter().skip(before).collect();
        assert!(new.iter().all(|e| e.outcome == "failure"), "{new:?}");
        assert_eq!(new.len(), 1, "the record that failed: {new:?}");

        // Logins are events; a failed one is anonymous, naming the address tried.
        assert_eq!(app.login("plain@example.com", "not the password").await.status, 401);
        let r = app.call(Method::GET, "/v1/audit-events?action=auth.login&limit=2", Some(&key), None).await;
        let logins = r.body["data"].as_array().expect("data");
        assert_eq!(logins[0]["outcome"], "failure");
        assert_eq!(logins[0]["actor"]["type"], "anonymous");
        assert_eq!(logins[0]["target"]["email"], "plain@example.com");
        assert_eq!(logins[1]["outcome"], "success");
        assert!(r.body["next_before"].is_i64(), "a full page has a next one: {}", r.body);

        // Bad parameters are 400 naming the field; a non-admin may not read the log.
        for (q, field) in [("limit=501", "limit"), ("since=yesterday", "since"), ("before=x", "before")] {
            let r = app.call(Method::GET, &format!("/v1/audit-events?{q}"), Some(&key), None).await;
            assert_eq!((r.status, r.body["error"]["field"].as_str()), (400, Some(field)), "{q}: {}", r.body);
        }
        let owner_key = app.api_key("plain@example.com", None);
        assert_eq!(app.call(Method::GET, "/v1/audit-events", Some(&owner_key), None).await.status, 403);
        app.stop().await;
    }

    async fn the_cli_is_audited_and_reads_exports_and_prunes_the_log(kind) {
        let app = TestApp::spawn(kind).await;
        let url = app.db_url().to_owned();
        // A key made by the operator is a `cli` event with the key's id, never its secret.
        let key = app.api_key(ADMIN_EMAIL, None);
        let key_id = key.split('_').nth(1).expect("id").to_owned();
        let out = usergate_cli()
            .args(["audit", "list", "--database-url", &url, "--action", "api_key.create", "--json"])
            .output()
            .expect("audit list");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
        assert_eq!(lines.len(), 1, "{text}");
        assert_eq!(lines[0]["dialect"], "cli");
        assert_eq!(lines[0]["actor"]["type"], "cli");
        assert_eq!(lines[0]["target"], json!({"type": "api_key", "id": key_id, "email": null}));
        assert!(!text.contains(key.as_str()));
        // The text form is one line an operator reads.
        let out = usergate_cli()
            .args(["audit", "list", "--database-url", &url, "--limit", "1"])
            .output()
            .expect("audit list");
        let line = String::from_utf8_lossy(&out.stdout);
        assert!(line.contains("api_key.create") && line.contains("by cli"), "{line}");
        // Export: every event, oldest first, as JSON Lines.
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("audit.jsonl");
        let out = usergate_cli()
            .args(["audit", "export", "--database-url", &url, "--output"])
            .arg(&file)
            .output()
            .expect("export");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let exported = std::fs::read_to_string(&file).expect("read");
        let ids: Vec<i64> = exported.lines().map(|l| serde_json::from_str::<Value>(l).expect("json")["id"].as_i64().expect("id")).collect();
        assert!(ids.len() >= 2 && ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert_eq!(ids.len(), usergate_tests::audit_events(&url).len());
        // Prune: nothing is old enough at 400 days; a retention of one second takes them all
        // and leaves the prune's own event.
        let prune = |older: &str| {
            let out = usergate_cli()
                .args(["audit", "prune", "--database-url", &url, "--older-than", older])
                .output()
                .expect("prune");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        assert_eq!(prune("400d"), "pruned 0 events");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(prune("1s"), format!("pruned {} events", ids.len()));
        let left = usergate_tests::audit_events(&url);
        assert_eq!(left.len(), 1, "{left:?}");
        assert_eq!(left[0].action, "audit.prune");

        // An import: each user it creates is a `user.create` of the `import` channel, and the
        // run is one `import.run` with its counts.
        let csv = usergate_tests::transfer::write(dir.path(), "people.csv", "email,name\nimp1@example.com,One\nimp2@example.com,Two\n");
        usergate_tests::transfer::import(&url, &[usergate_tests::transfer::path_str(&csv)]).expect("import");
        let events = usergate_tests::audit_events(&url);
        let imported: Vec<_> = events.iter().filter(|e| e.dialect == "import").collect();
        let actions: Vec<&str> = imported.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["user.create", "user.create", "import.run"], "{imported:?}");
        assert_eq!(imported[2].changes["created"], json!(2));
        assert!(imported.iter().all(|e| e.actor_type == "cli"));

        // Groups: a SCIM group created with a member, then one added, then the group deleted.
        let scim = app.scim_key(ADMIN_EMAIL);
        let user = usergate_tests::transfer::user(&url, "imp1@example.com").id.get().to_string();
        let other = usergate_tests::transfer::user(&url, "imp2@example.com").id.get().to_string();
        let r = app.call(Method::POST, "/scim/v2/Groups", Some(&scim), Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops", "members": [{"value": user}]
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let group = r.body["id"].as_str().expect("id").to_owned();
        let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": other}]}]});
        let r = app.call(Method::PATCH, &format!("/scim/v2/Groups/{group}"), Some(&scim), Some(add)).await;
        assert!(r.status == 200 || r.status == 204, "{}", r.body);
        assert_eq!(app.call(Method::DELETE, &format!("/scim/v2/Groups/{group}"), Some(&scim), None).await.status, 204);
        let events = usergate_tests::audit_events(&url);
        let on_group: Vec<_> = events.iter().filter(|e| e.target_type.as_deref() == Some("group")).collect();
        let actions: Vec<&str> = on_group.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["group.create", "group.member_add", "group.delete"], "{on_group:?}");
        assert_eq!(on_group[0].changes["members"], json!({"added": [user.parse::<i64>().expect("n")]}));
        assert_eq!(on_group[1].changes["members"], json!({"added": [other.parse::<i64>().expect("n")]}));
        app.stop().await;
    }
}
