//! DreamFactory's invitations over real SMTP (a sink in the test process), on PostgreSQL and
//! SQLite: `send_invite=true` on create and on change, the mailed code, accepting it through
//! `/user/password` and `/system/admin/password`, and every failure leaving nothing behind.

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::smtp::{Mode, SmtpSink};
use usergate_tests::{Reply, TestApp, both_backends};

const NEW_PW: &str = "a brand new secret";

async fn df(app: &TestApp, t: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
    app.df_call(t, method, path, body).await
}

fn id_of(r: &Reply, i: usize) -> i64 {
    r.body["resource"][i]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("id {i}: {}", r.body))
}

fn message(r: &Reply) -> String {
    r.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn accept(app: &TestApp, path: &str, email: &str, code: &str, pw: &str) -> Reply {
    app.call(
        Method::POST,
        path,
        None,
        Some(json!({"email": email, "code": code, "new_password": pw})),
    )
    .await
}

async fn users_named(app: &TestApp, t: &str, email: &str) -> Value {
    let r = df(
        app,
        t,
        Method::GET,
        &format!("/api/v2/system/user?filter=email%3D{email}"),
        None,
    )
    .await;
    r.body["resource"].clone()
}

both_backends! {
    async fn an_invited_user_sets_a_password_with_the_mailed_code(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let t = app.df_admin_session().await;
        // The seed's invitation: no password, `send_invite=true`.
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?send_invite=true", Some(json!({"resource": [
            {"name": "Tomo Smith", "first_name": "Tomo", "last_name": "Smith",
             "email": "tomo@example.com", "phone": "555-0100"}
        ]}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let tomo = id_of(&r, 0);
        assert_eq!(r.body, json!({"resource": [{"id": tomo}]}));
        let r = df(&app, &t, Method::GET, &format!("/api/v2/system/user/{tomo}?fields=confirmed,is_active"), None).await;
        assert_eq!(r.body, json!({"confirmed": false, "is_active": true}));

        let mail = sink.last_to("tomo@example.com");
        assert_eq!(mail.from, "no-reply@usergate.test");
        assert_eq!(mail.header("Subject").as_deref(), Some("You are invited"));
        let code = mail.code();
        assert_eq!(code.len(), 32, "{code}");
        assert_eq!(
            mail.link("/invite/accept"),
            format!("http://usergate.test/invite/accept?email=tomo%40example%2Ecom&code={code}")
        );
        assert!(mail.data.contains("Hello Tomo Smith,"));

        // No password yet: no session.
        let r = app.call(Method::POST, "/api/v2/user/session", None,
            Some(json!({"email": "tomo@example.com", "password": NEW_PW}))).await;
        assert_eq!(r.status, 401);

        // DreamFactory's answers to bad requests; none of them uses the code up.
        let wrong = "A".repeat(32);
        let r = accept(&app, "/api/v2/user/password", "tomo@example.com", &wrong, NEW_PW).await;
        assert_eq!((r.status, message(&r).as_str()), (404, "The supplied email and/or confirmation code were not found in the system."));
        let r = accept(&app, "/api/v2/user/password", "someone@example.com", &code, NEW_PW).await;
        assert_eq!(r.status, 404, "the code is tomo's only");
        let r = accept(&app, "/api/v2/user/password", "tomo@example.com", "short", NEW_PW).await;
        assert_eq!((r.status, message(&r).as_str()), (400, "Invalid confirmation code format."));
        let r = accept(&app, "/api/v2/user/password", "tomo@example.com", "", NEW_PW).await;
        assert_eq!((r.status, message(&r).as_str()), (400, "Invalid confirmation code."));
        let r = app.call(Method::POST, "/api/v2/user/password", None, Some(json!({"code": code, "new_password": NEW_PW}))).await;
        assert_eq!((r.status, message(&r).as_str()), (400, "Missing required email for password reset confirmation."));
        let r = app.call(Method::POST, "/api/v2/user/password", None, Some(json!({"email": "tomo@example.com", "code": code}))).await;
        assert_eq!((r.status, message(&r).as_str()), (400, "Missing new password for reset."));
        let r = accept(&app, "/api/v2/user/password", "tomo@example.com", &code, "short").await;
        assert_eq!(r.status, 400);
        assert_eq!(message(&r), "Invalid data supplied. The new_password field must be at least 10 characters.");
        assert_eq!(r.body["error"]["context"]["new_password"][0], "The new_password field must be at least 10 characters.");
        let r = accept(&app, "/api/v2/system/admin/password", "tomo@example.com", &code, NEW_PW).await;
        assert_eq!((r.status, message(&r).as_str()), (401, "You are not authorized to reset/change password for the account tomo@example.com"));

        // Accepting, with `?login=true`: a working session comes back.
        let r = accept(&app, "/api/v2/user/password?login=true", "Tomo@Example.com", &code, NEW_PW).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["success"], true);
        let token = r.body["session_token"].as_str().expect("session_token").to_owned();
        assert_eq!(r.body.as_object().map(|o| o.len()), Some(2));
        let r = app.call(Method::GET, "/api/v2/user/session", Some(&token), None).await;
        assert_eq!((r.status, r.body["email"].clone()), (200, json!("tomo@example.com")));
        // Every dialect with a password login takes the new password.
        let r = app.call(Method::POST, "/api/v2/user/session", None,
            Some(json!({"email": "tomo@example.com", "password": NEW_PW}))).await;
        assert_eq!(r.status, 200);
        app.token("tomo@example.com", NEW_PW).await;
        let r = df(&app, &t, Method::GET, &format!("/api/v2/system/user/{tomo}?fields=confirmed"), None).await;
        assert_eq!(r.body, json!({"confirmed": true}));
        // Single use.
        let r = accept(&app, "/api/v2/user/password", "tomo@example.com", &code, "yet another secret").await;
        assert_eq!(r.status, 404);
        // Accepted: DreamFactory refuses a second invitation.
        let r = df(&app, &t, Method::PATCH, &format!("/api/v2/system/user/{tomo}?send_invite=true"), Some(json!({}))).await;
        assert_eq!((r.status, message(&r).as_str()), (400, "User with this identifier has already confirmed this account."));
        assert_eq!(sink.to("tomo@example.com").len(), 1);
        app.stop().await;
    }

    async fn a_resent_invitation_replaces_the_code_and_admins_accept_on_their_path(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let t = app.df_admin_session().await;
        let r = df(&app, &t, Method::POST, "/api/v2/system/admin?send_invite=true", Some(json!([
            {"email": "boss@example.com", "password": "ignored when inviting"}
        ]))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let boss = id_of(&r, 0);
        let first = sink.last_to("boss@example.com").code();
        // The password in the body was not set.
        let r = app.call(Method::POST, "/api/v2/system/admin/session", None,
            Some(json!({"email": "boss@example.com", "password": "ignored when inviting"}))).await;
        assert_eq!(r.status, 401);
        // Resent with a change: both happen; the new code replaces the old.
        let r = df(&app, &t, Method::PATCH, &format!("/api/v2/system/admin/{boss}?send_invite=true&fields=first_name"), Some(json!({"first_name": "Bo"}))).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"first_name": "Bo"})));
        assert_eq!(sink.to("boss@example.com").len(), 2);
        let second = sink.last_to("boss@example.com").code();
        assert_ne!(first, second);
        let r = accept(&app, "/api/v2/system/admin/password", "boss@example.com", &first, NEW_PW).await;
        assert_eq!(r.status, 404, "the first code died");
        // The wrong-kind path refuses to resend, and unknown ids say so; nothing is mailed.
        let r = df(&app, &t, Method::PATCH, &format!("/api/v2/system/user/{boss}?send_invite=true"), Some(json!({}))).await;
        assert_eq!((r.status, message(&r).as_str()), (403, "Not allowed to change an admin user."));
        let r = df(&app, &t, Method::PATCH, "/api/v2/system/user?ids=999999&send_invite=true", Some(json!({"resource": [{"phone": "1"}]}))).await;
        assert_eq!((r.status, message(&r).as_str()), (404, "Record with identifier '999999' not found."));
        assert_eq!(sink.to("boss@example.com").len(), 2);
        let r = accept(&app, "/api/v2/system/admin/password", "boss@example.com", &second, NEW_PW).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"success": true})));
        let r = app.call(Method::POST, "/api/v2/system/admin/session", None,
            Some(json!({"email": "boss@example.com", "password": NEW_PW}))).await;
        assert_eq!(r.status, 200);
        // The email-keyed dialect sees an admin.
        let et = app.admin_token().await;
        let r = app.call(Method::GET, "/api/users/boss@example.com", Some(&et), None).await;
        assert_eq!(r.body["type"], "Admin");
        app.stop().await;
    }

    async fn a_failed_invitation_mail_leaves_no_user_and_changes_nothing(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let t = app.df_admin_session().await;
        let et = app.admin_token().await;
        sink.set_mode(Mode::Refuse);
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?send_invite=true", Some(json!([{"email": "x@example.com"}]))).await;
        assert_eq!((r.status, message(&r).as_str()), (500, "Error processing user invite. The invitation email could not be sent."));
        assert!(!r.body.to_string().contains("554"), "the SMTP answer stays in the log");
        assert_eq!(users_named(&app, &t, "x@example.com").await, json!([]));
        assert_eq!(app.call(Method::GET, "/api/users/x@example.com", Some(&et), None).await.status, 404);
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?send_invite=true", Some(json!([{"email": "y@example.com"}, {"email": "z@example.com"}]))).await;
        assert_eq!((r.status, message(&r).as_str()), (500, "Not all users were created successfully. Check log for more details."));
        assert_eq!(users_named(&app, &t, "y@example.com").await, json!([]));
        assert_eq!(users_named(&app, &t, "z@example.com").await, json!([]));

        // A hung server: the request ends at the SMTP timeout, with the same answer.
        sink.set_mode(Mode::Stall);
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?send_invite=true", Some(json!([{"email": "x@example.com"}]))).await;
        assert_eq!(r.status, 500);
        assert_eq!(users_named(&app, &t, "x@example.com").await, json!([]));

        // The address is free: a working server makes the invitation go through.
        sink.set_mode(Mode::Accept);
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?send_invite=true", Some(json!([{"email": "x@example.com", "first_name": "Xa"}]))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let x = id_of(&r, 0);
        // A failed resend changes nothing: neither the record nor the live code.
        let code = sink.last_to("x@example.com").code();
        sink.set_mode(Mode::Refuse);
        let r = df(&app, &t, Method::PATCH, &format!("/api/v2/system/user/{x}?send_invite=true"), Some(json!({"first_name": "Changed"}))).await;
        assert_eq!(r.status, 500);
        let r = df(&app, &t, Method::GET, &format!("/api/v2/system/user/{x}?fields=first_name"), None).await;
        assert_eq!(r.body, json!({"first_name": "Xa"}));
        let r = accept(&app, "/api/v2/user/password", "x@example.com", &code, NEW_PW).await;
        assert_eq!(r.status, 200, "the earlier code still works: {}", r.body);
        app.stop().await;
    }

    async fn an_expired_code_is_refused(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &["--invite-ttl", "0s"]).await;
        let t = app.df_admin_session().await;
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?send_invite=true", Some(json!([{"email": "late@example.com"}]))).await;
        assert_eq!(r.status, 201);
        let code = sink.last_to("late@example.com").code();
        let r = accept(&app, "/api/v2/user/password", "late@example.com", &code, NEW_PW).await;
        assert_eq!((r.status, message(&r).as_str()), (400, "Confirmation code expired."));
        app.stop().await;
    }
}

/// A request as DreamFactory's admin web app sends it: the session in its header, an empty
/// `Authorization`, the (ignored) API key, and no body at all.
async fn app_request(app: &TestApp, t: &str, method: Method, path: &str) -> Reply {
    let res = app
        .req(method, path, None)
        .insert_header(("X-DreamFactory-Session-Token", t))
        .insert_header((
            "X-DreamFactory-API-Key",
            "6498a8ad1beb9d84d63035c5d1120c007fad6de706734db9689f8996707e0f7d",
        ))
        .insert_header(("Authorization", ""))
        .insert_header(("Content-Type", "application/json"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    Reply::read(res).await
}

both_backends! {
    async fn the_admin_apps_send_invite_and_its_create_errors_work(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let t = app.df_admin_session().await;
        for (resource, email) in [("user", "inv@example.com"), ("admin", "adm@example.com")] {
            let r = df(&app, &t, Method::POST, &format!("/api/v2/system/{resource}?send_invite=true"),
                Some(json!({"resource": [{"email": email, "first_name": "In"}]}))).await;
            assert_eq!(r.status, 201, "{}", r.body);
            let id = id_of(&r, 0);
            let first = sink.last_to(email).code();
            // "Send Invite" on the user's page: PATCH by id with no body resends the invitation.
            let r = app_request(&app, &t, Method::PATCH, &format!("/api/v2/system/{resource}/{id}")).await;
            assert_eq!((r.status, r.body.clone()), (200, json!({"id": id})));
            assert_eq!(sink.to(email).len(), 2, "a second mail");
            let second = sink.last_to(email).code();
            assert_ne!(first, second);
            let path = if resource == "admin" { "/api/v2/system/admin/password" } else { "/api/v2/user/password" };
            assert_eq!(accept(&app, path, email, &first, NEW_PW).await.status, 404, "the first code died");
            // Nothing else changed.
            let r = df(&app, &t, Method::GET, &format!("/api/v2/system/{resource}/{id}?fields=first_name,confirmed"), None).await;
            assert_eq!(r.body, json!({"first_name": "In", "confirmed": false}));
            assert_eq!(accept(&app, path, email, &second, NEW_PW).await.status, 200);
            // Accepted: a second "Send Invite" is refused in DreamFactory's words, and mails nothing.
            let r = app_request(&app, &t, Method::PATCH, &format!("/api/v2/system/{resource}/{id}")).await;
            assert_eq!((r.status, message(&r).as_str()), (400, "User with this identifier has already confirmed this account."));
            assert_eq!(sink.to(email).len(), 2);
        }
        // A create whose invitation cannot be sent answers DreamFactory's batch error, whose
        // first record names the failure (what the app shows), with today's 500.
        sink.set_mode(Mode::Refuse);
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?send_invite=true",
            Some(json!({"resource": [{"email": "nomail@example.com"}]}))).await;
        assert_eq!(r.status, 500);
        assert_eq!(r.body["error"]["context"]["error"], json!([0]));
        assert_eq!(r.body["error"]["context"]["resource"][0]["message"],
            "Error processing user invite. The invitation email could not be sent.");
        assert!(!r.body.to_string().contains("554"), "the SMTP answer stays in the log");
        assert_eq!(users_named(&app, &t, "nomail@example.com").await, json!([]));
        // A taken address: the same shape, the app's own pattern in the message.
        sink.set_mode(Mode::Accept);
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?send_invite=true",
            Some(json!({"resource": [{"email": "INV@example.com"}]}))).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"]["context"]["resource"][0]["message"],
            "Duplicate entry 'INV@example.com' for key 'user_email_unique'");
        app.stop().await;

        // Without a mail server: "Send Invite" is 503 and changes nothing; an invited create is
        // 503 with the reason in the first record.
        let app = TestApp::spawn(kind).await;
        let t = app.df_admin_session().await;
        let r = df(&app, &t, Method::POST, "/api/v2/system/user",
            Some(json!({"resource": [{"email": "plain@example.com"}]}))).await;
        let id = id_of(&r, 0);
        let r = app_request(&app, &t, Method::PATCH, &format!("/api/v2/system/user/{id}")).await;
        assert_eq!((r.status, message(&r).as_str()),
            (503, "Error processing user invite. No email service configured for user invite."));
        let r = df(&app, &t, Method::POST, "/api/v2/system/user?send_invite=true",
            Some(json!({"resource": [{"email": "a@example.com"}, {"email": "b@example.com"}]}))).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.body["error"]["context"]["error"], json!([0, 1]));
        assert_eq!(r.body["error"]["context"]["resource"][1]["message"],
            "Error processing user invite. No email service configured for user invite.");
        assert_eq!(users_named(&app, &t, "a@example.com").await, json!([]));
        app.stop().await;
    }
}
