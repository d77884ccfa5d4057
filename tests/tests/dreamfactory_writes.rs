//! DreamFactory's writes over HTTP, on PostgreSQL and SQLite: create (always a batch), change
//! and delete in all three forms, batch modes, the kind rules, and what the other dialects see.

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::{Reply, TestApp, both_backends};

const PW: &str = "0123456789ab";

async fn session(app: &TestApp) -> String {
    app.df_admin_session().await
}

async fn df(app: &TestApp, t: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
    app.df_call(t, method, path, body).await
}

fn id_of(r: &Reply, i: usize) -> i64 {
    r.body["resource"][i]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("id {i}: {}", r.body))
}

both_backends! {
    async fn the_seed_creates_and_every_dialect_sees_the_users(kind) {
        let app = TestApp::spawn(kind).await;
        let t = session(&app).await;
        let r = df(&app, &t, Method::POST, "/api/v2/system/user", Some(json!({"resource": [
            {"name": "Tomo Smith", "first_name": "Tomo", "last_name": "Smith",
             "email": "tomo@example.com", "password": PW, "phone": "555-0100"}
        ]}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let tomo = id_of(&r, 0);
        assert_eq!(r.body, json!({"resource": [{"id": tomo}]}));
        // A bare array works too; `fields=*` returns whole records.
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?fields=*", Some(json!([
            {"email": "ann@example.com", "first_name": "Ann", "is_active": false}
        ]))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["resource"][0]["name"], "Ann", "name derived from the first name");
        assert_eq!(r.body["resource"][0]["is_active"], false);
        assert_eq!(r.body["resource"][0]["confirmed"], false, "no password");
        // A bare object is refused.
        let r = df(&app, &t, Method::POST, "/api/v2/system/user", Some(json!({"email": "x@example.com"}))).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"]["message"],
            "No record(s) detected in request. Please make sure record(s) are wrapped in a 'resource' tag. Example: {&quot;resource&quot;:[{&quot;record&quot;:1},{&quot;record&quot;:2}]}");
        // An admin through /system/admin.
        let r = df(&app, &t, Method::POST, "/api/v2/system/admin", Some(json!({"resource": [
            {"email": "boss@example.com", "password": PW, "is_sys_admin": false}]}))).await;
        assert_eq!(r.status, 201);
        // The email-keyed dialect sees both, with their types; Tomo can log in everywhere.
        let et = app.admin_token().await;
        let r = app.call(Method::GET, "/api/users/tomo@example.com", Some(&et), None).await;
        assert_eq!((r.body["type"].clone(), r.body["status"].clone()), (json!("User"), json!("Active")));
        let r = app.call(Method::GET, "/api/users/boss@example.com", Some(&et), None).await;
        assert_eq!(r.body["type"], "Admin");
        let r = app.call(Method::GET, "/api/users/ann@example.com", Some(&et), None).await;
        assert_eq!(r.body["status"], "Inactive");
        app.token("tomo@example.com", PW).await;
        let r = app.call(Method::POST, "/api/v2/user/session", None,
            Some(json!({"email": "tomo@example.com", "password": PW}))).await;
        assert_eq!(r.status, 200);
        // And the reverse: an email-keyed admin is a /system/admin record.
        app.create_admin(&et, "ek-admin@example.com", PW).await;
        let r = df(&app, &t, Method::GET, "/api/v2/system/admin?filter=email%3Dek-admin@example.com", None).await;
        assert_eq!(r.body["resource"].as_array().map(Vec::len), Some(1));
        app.stop().await;
    }

    async fn batch_modes_with_a_failing_record_in_the_middle(kind) {
        let app = TestApp::spawn(kind).await;
        let t = session(&app).await;
        let records = |n: &str| json!({"resource": [
            {"email": format!("{n}-1@example.com")},
            {"first_name": "No Email"},
            {"email": format!("{n}-3@example.com")},
        ]});
        let exists = |email: String| {
            let app = &app;
            let t = t.clone();
            async move {
                let r = df(app, &t, Method::GET, &format!("/api/v2/system/user?filter=email%3D{email}"), None).await;
                r.body["resource"].as_array().map(Vec::len) == Some(1)
            }
        };
        let invalid = json!({"code": 400, "context": {"email": ["The email field is required."]},
            "message": "Invalid data supplied. The email field is required.", "status_code": 400});
        // Default: stop at the first failure; earlier records stay.
        let r = df(&app, &t, Method::POST, "/api/v2/system/user", Some(records("stop"))).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"]["code"], 1000);
        assert_eq!(r.body["error"]["status_code"], 400);
        assert_eq!(r.body["error"]["message"], "Batch Error: Not all requested records could be created.");
        assert_eq!(r.body["error"]["context"]["error"], json!([1]));
        let resource = r.body["error"]["context"]["resource"].as_array().expect("resource").clone();
        assert_eq!(resource.len(), 2);
        assert!(resource[0]["id"].is_i64());
        assert_eq!(resource[1], invalid);
        assert!(exists("stop-1@example.com".into()).await);
        assert!(!exists("stop-3@example.com".into()).await);
        // continue=true: all processed.
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?continue=true", Some(records("cont"))).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"]["context"]["resource"].as_array().map(Vec::len), Some(3));
        assert!(exists("cont-1@example.com".into()).await && exists("cont-3@example.com".into()).await);
        // rollback=true: nothing stays.
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?rollback=true&continue=true", Some(records("back"))).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"]["message"],
            "Batch Error: Not all requested records could be created. All changes rolled back.");
        assert_eq!(r.body["error"]["context"]["resource"].as_array().map(Vec::len), Some(2));
        assert!(!exists("back-1@example.com".into()).await);
        // A taken email is that record's 409.
        let r = df(&app, &t, Method::POST, "/api/v2/system/user", Some(json!([{"email": "STOP-1@example.com"}]))).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"]["context"]["resource"][0]["code"], 409);
        assert_eq!(r.body["error"]["context"]["resource"][0]["message"],
            "Duplicate entry 'STOP-1@example.com' for key 'user_email_unique'");
        // A short password, in Laravel's words.
        let r = df(&app, &t, Method::POST, "/api/v2/system/user", Some(json!([{"email": "p@example.com", "password": "short"}]))).await;
        assert_eq!(r.body["error"]["context"]["resource"][0]["context"],
            json!({"password": ["The password field must be at least 10 characters."]}));
        app.stop().await;
    }

    async fn updates_by_id_by_ids_and_by_records(kind) {
        let app = TestApp::spawn(kind).await;
        let t = session(&app).await;
        let r = df(&app, &t, Method::POST, "/api/v2/system/user", Some(json!([
            {"email": "a@example.com", "first_name": "A", "phone": "111", "password": PW},
            {"email": "b@example.com", "first_name": "B"},
        ]))).await;
        let (a, b) = (id_of(&r, 0), id_of(&r, 1));
        let ut = {
            let r = app.call(Method::POST, "/api/v2/user/session", None,
                Some(json!({"email": "a@example.com", "password": PW}))).await;
            r.body["session_token"].as_str().expect("token").to_owned()
        };
        // By id, partial; null clears; unknown and read-only keys are ignored.
        let r = df(&app, &t, Method::PATCH, &format!("/api/v2/system/user/{a}"), Some(json!({
            "last_name": "Alpha", "phone": null, "confirmed": true, "created_date": "x",
            "lookup_by_user_id": [], "is_sys_admin": true}))).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"id": a})));
        let r = df(&app, &t, Method::GET, &format!("/api/v2/system/user/{a}?fields=first_name,last_name,phone"), None).await;
        assert_eq!(r.body, json!({"first_name": "A", "last_name": "Alpha", "phone": null}));
        assert_eq!(app.call(Method::GET, "/api/v2/user/session", Some(&ut), None).await.status, 200, "no token killed");
        // PUT is PATCH; a new password and is_active=false kill the user's tokens.
        let r = df(&app, &t, Method::PUT, &format!("/api/v2/system/user/{a}?fields=*"), Some(json!({"password": "a brand new one"}))).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["email"], "a@example.com");
        assert_eq!(app.call(Method::GET, "/api/v2/user/session", Some(&ut), None).await.status, 403);
        let r = app.call(Method::POST, "/api/v2/user/session", None,
            Some(json!({"email": "a@example.com", "password": "a brand new one"}))).await;
        assert_eq!(r.status, 200);
        // ?ids= with one record applied to each.
        let r = df(&app, &t, Method::PATCH, &format!("/api/v2/system/user?ids={a},{b}"),
            Some(json!({"resource": [{"phone": "999"}]}))).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"resource": [{"id": a}, {"id": b}]})));
        let r = df(&app, &t, Method::GET, &format!("/api/v2/system/user?ids={a},{b}&fields=phone"), None).await;
        assert_eq!(r.body, json!({"resource": [{"phone": "999"}, {"phone": "999"}]}));
        // Records with their ids; one without: its own 400.
        let r = df(&app, &t, Method::PATCH, "/api/v2/system/user?continue=1",
            Some(json!({"resource": [{"id": a, "is_active": false}, {"last_name": "no id"}]}))).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"]["message"], "Batch Error: Not all requested records could be updated.");
        assert_eq!(r.body["error"]["context"]["resource"][0], json!({"id": a}));
        assert_eq!(r.body["error"]["context"]["resource"][1]["code"], 400);
        let et = app.admin_token().await;
        let r = app.call(Method::GET, "/api/users/a@example.com", Some(&et), None).await;
        assert_eq!(r.body["status"], "Inactive");
        // The admin app's update: PUT the whole record it read back (ids, dates, relations,
        // `confirmed`...), with `send_invite=false` as it always sends. Nothing changes but what
        // it edits, and no token dies.
        let b_token = {
            let r = df(&app, &t, Method::PATCH, &format!("/api/v2/system/user/{b}"), Some(json!({"password": PW}))).await;
            assert_eq!(r.status, 200);
            let r = app.call(Method::POST, "/api/v2/user/session", None,
                Some(json!({"email": "b@example.com", "password": PW}))).await;
            r.body["session_token"].as_str().expect("token").to_owned()
        };
        let read = df(&app, &t, Method::GET, &format!("/api/v2/system/user/{b}?fields=*&related=lookup_by_user_id,user_to_app_to_role_by_user_id"), None).await;
        let mut record = read.body.clone();
        record["last_name"] = json!("Bravo");
        let r = df(&app, &t, Method::PUT, &format!("/api/v2/system/user/{b}?send_invite=false"), Some(record)).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"id": b})));
        let after = df(&app, &t, Method::GET, &format!("/api/v2/system/user/{b}?fields=*"), None).await;
        for (k, v) in after.body.as_object().expect("record") {
            if k == "last_name" {
                assert_eq!(v, "Bravo");
            } else if k != "last_modified_date" {
                assert_eq!(v, &read.body[k], "{k} unchanged");
            }
        }
        assert_eq!(app.call(Method::GET, "/api/v2/user/session", Some(&b_token), None).await.status, 200);
        // Unknown ids: 404 by id.
        let r = df(&app, &t, Method::PATCH, "/api/v2/system/user/999999", Some(json!({"phone": "1"}))).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.body["error"]["message"], "Record with identifier '999999' not found.");
        app.stop().await;
    }

    async fn the_kind_rules_and_deletes(kind) {
        let app = TestApp::spawn(kind).await;
        let t = session(&app).await;
        let r = df(&app, &t, Method::POST, "/api/v2/system/user", Some(json!([{"email": "u1@example.com"}, {"email": "u2@example.com"}, {"email": "u3@example.com"}]))).await;
        let (u1, u2, u3) = (id_of(&r, 0), id_of(&r, 1), id_of(&r, 2));
        let r = df(&app, &t, Method::POST, "/api/v2/system/admin", Some(json!([{"email": "adm@example.com", "password": PW}]))).await;
        let adm = id_of(&r, 0);
        let msg = |r: &Reply| r.body["error"]["message"].as_str().unwrap_or_default().to_owned();
        let r = df(&app, &t, Method::PATCH, &format!("/api/v2/system/user/{adm}"), Some(json!({"phone": "1"}))).await;
        assert_eq!((r.status, msg(&r)), (403, "Not allowed to change an admin user.".into()));
        let r = df(&app, &t, Method::DELETE, &format!("/api/v2/system/user/{adm}"), None).await;
        assert_eq!((r.status, msg(&r)), (403, "Not allowed to delete an admin user.".into()));
        let r = df(&app, &t, Method::PATCH, &format!("/api/v2/system/admin/{u1}"), Some(json!({"phone": "1"}))).await;
        assert_eq!((r.status, msg(&r)), (400, "Cannot update a non-admin user.".into()));
        let r = df(&app, &t, Method::DELETE, &format!("/api/v2/system/admin/{u1}"), None).await;
        assert_eq!((r.status, msg(&r)), (400, "Cannot delete a non-admin user.".into()));
        let r = df(&app, &t, Method::POST, &format!("/api/v2/system/user/{u1}"), Some(json!({}))).await;
        assert_eq!((r.status, msg(&r)), (400, "Create record by identifier not currently supported.".into()));
        // Deletes: by id, ?ids=, body records, nothing.
        let r = df(&app, &t, Method::DELETE, &format!("/api/v2/system/user/{u1}"), None).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"id": u1})));
        let r = df(&app, &t, Method::GET, &format!("/api/v2/system/user/{u1}"), None).await;
        assert_eq!(r.status, 404);
        let et = app.admin_token().await;
        assert_eq!(app.call(Method::GET, "/api/users/u1@example.com", Some(&et), None).await.status, 404);
        let r = df(&app, &t, Method::DELETE, &format!("/api/v2/system/user?ids={u2}"), None).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"resource": [{"id": u2}]})));
        let r = df(&app, &t, Method::DELETE, "/api/v2/system/user", Some(json!({"resource": [{"id": u3}]}))).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"resource": [{"id": u3}]})));
        let r = df(&app, &t, Method::DELETE, "/api/v2/system/user", None).await;
        assert_eq!((r.status, msg(&r)), (400, "No filter or records given for delete request.".into()));
        // A deleted id in a batch: the batch error.
        let r = df(&app, &t, Method::DELETE, &format!("/api/v2/system/user?ids={u1}"), None).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"]["message"], "Batch Error: Not all requested records could be deleted.");
        assert_eq!(r.body["error"]["context"]["resource"][0]["message"],
            format!("Record with identifier '{u1}' not found."));
        // Oneself: 403.
        let me = df(&app, &t, Method::GET, "/api/v2/system/admin?filter=email%3Dadmin@usergate.test", None).await;
        let me = me.body["resource"][0]["id"].as_i64().expect("my id");
        let r = df(&app, &t, Method::DELETE, &format!("/api/v2/system/admin/{me}"), None).await;
        assert_eq!((r.status, msg(&r)), (403, "Cannot delete your account.".into()));
        // Another admin can be deleted; then the email is free again.
        let r = df(&app, &t, Method::DELETE, &format!("/api/v2/system/admin/{adm}"), None).await;
        assert_eq!(r.status, 200);
        let r = df(&app, &t, Method::POST, "/api/v2/system/admin", Some(json!([{"email": "adm@example.com"}]))).await;
        assert_eq!(r.status, 201);
        app.stop().await;
    }

    async fn writes_need_an_admin(kind) {
        let app = TestApp::spawn(kind).await;
        let et = app.admin_token().await;
        app.create_user(&et, "plain@example.com", PW).await;
        let r = app.call(Method::POST, "/api/v2/user/session", None,
            Some(json!({"email": "plain@example.com", "password": PW}))).await;
        let ut = r.body["session_token"].as_str().expect("token").to_owned();
        let r = df(&app, &ut, Method::POST, "/api/v2/system/user", Some(json!([{"email": "x@example.com"}]))).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.body["error"]["message"],
            "Access Forbidden. POST access to component 'user' of service 'system' is not allowed by this user's role.");
        let r = app.call(Method::DELETE, "/api/v2/system/user/1", None, None).await;
        assert_eq!(r.status, 400);
        // Invitations without mail: 503 before anything is written.
        let at = session(&app).await;
        let r = df(&app, &at, Method::POST, "/api/v2/system/user?send_invite=true", Some(json!([{"email": "x@example.com"}]))).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.body["error"]["status_code"], 503);
        let t = session(&app).await;
        let r = df(&app, &t, Method::GET, "/api/v2/system/user?filter=email%3Dx@example.com", None).await;
        assert_eq!(r.body["resource"], json!([]), "nothing was created");
        app.stop().await;
    }
}
