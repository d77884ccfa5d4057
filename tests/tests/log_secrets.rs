//! No password, hash, token, code or secret reaches a log line, at any level: this test
//! captures everything the server logs at TRACE through a full scenario over every dialect
//! (logins, creates with passwords, password changes, invitations, a reset, OAuth clients,
//! API keys, failed logins) and searches it for each secret it used or received.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use awc::http::Method;
use serde_json::json;
use usergate_tests::smtp::SmtpSink;
use usergate_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET, Reply, TestApp, both_backends};

/// Everything logged in this test process.
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .init();
        logs
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("logs").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Reply {
    Reply::read(
        app.req(Method::POST, path, None)
            .send_form(&fields)
            .await
            .expect("post"),
    )
    .await
}

both_backends! {
    async fn no_secret_reaches_the_logs(kind) {
        let logs = captured();
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let mut secrets: Vec<String> = vec![ADMIN_PASSWORD.into(), JWT_SECRET.into()];
        // Email-keyed: login, a user with a password, a password change, a failed login.
        let t = app.admin_token().await;
        secrets.push(t.clone());
        app.create_user(&t, "ek@example.com", "ek-secret-password-1").await;
        let r = app.call(Method::PATCH, "/api/users/ek@example.com", Some(&t), Some(json!({"newPassword": "ek-secret-password-2"}))).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(app.login("ek@example.com", "wrong-secret-password-3").await.status, 401);
        secrets.extend(["ek-secret-password-1", "ek-secret-password-2", "wrong-secret-password-3"].map(String::from));
        // DreamFactory: a session, a batch with a password, an invitation accepted with a login.
        let s = app.df_admin_session().await;
        secrets.push(s.clone());
        let r = app.df_call(&s, Method::POST, "/api/v2/system/user", Some(json!([{"email": "df@example.com", "password": "df-secret-password-4"}]))).await;
        assert_eq!(r.status, 201);
        let r = app.df_call(&s, Method::POST, "/api/v2/system/user?send_invite=true", Some(json!([{"email": "inv@example.com"}]))).await;
        assert_eq!(r.status, 201);
        let code = sink.last_to("inv@example.com").code();
        let r = app.call(Method::POST, "/api/v2/user/password?login=true", None, Some(json!({"email": "inv@example.com", "code": code, "new_password": "inv-secret-password-5"}))).await;
        assert_eq!(r.status, 200);
        secrets.extend([code, "df-secret-password-4".into(), "inv-secret-password-5".into()]);
        secrets.push(r.body["session_token"].as_str().expect("session").to_owned());
        // Domo: a client, its token (also a wrong secret), a create.
        let (client, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let dt = app.domo_token(&client, &secret).await;
        let r = app.req(Method::GET, "/domo/oauth/token?grant_type=client_credentials", None)
            .basic_auth(&client, "wrong-client-secret-6").send().await.expect("token");
        assert_eq!(r.status().as_u16(), 401);
        let r = app.domo_call(&dt, Method::POST, "/domo/v1/users", Some(json!({"name": "Do", "email": "do@example.com", "role": "Editor"}))).await;
        assert_eq!(r.status, 201);
        secrets.extend([secret, dt, "wrong-client-secret-6".into()]);
        // Generic: an API key, a user with a password.
        let key = app.api_key(ADMIN_EMAIL, None);
        let r = app.call(Method::POST, "/v1/users", Some(&key), Some(json!({"name": "Ge", "email": "ge@example.com", "password": "ge-secret-password-7"}))).await;
        assert_eq!(r.status, 201);
        secrets.extend([key.clone(), "ge-secret-password-7".into()]);
        // SCIM: a key, a user provisioned with a password, the password changed by PATCH and
        // PUT, a refused short one, and a key of another dialect refused.
        let sk = app.scim_key(ADMIN_EMAIL);
        let r = app.call(Method::POST, "/scim/v2/Users", Some(&sk), Some(json!({"userName": "scim@example.com", "password": "scim-secret-password-9"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_owned();
        let ops = json!({"Operations": [{"op": "replace", "path": "password", "value": "scim-secret-password-10"}]});
        assert_eq!(app.call(Method::PATCH, &format!("/scim/v2/Users/{id}"), Some(&sk), Some(ops)).await.status, 200);
        let put = json!({"userName": "scim@example.com", "password": "scim-secret-password-11"});
        assert_eq!(app.call(Method::PUT, &format!("/scim/v2/Users/{id}"), Some(&sk), Some(put)).await.status, 200);
        let short = json!({"Operations": [{"op": "add", "value": {"password": "scimshort"}}]});
        assert_eq!(app.call(Method::PATCH, &format!("/scim/v2/Users/{id}"), Some(&sk), Some(short)).await.status, 400);
        assert_eq!(app.call(Method::GET, "/scim/v2/Users", Some(&key), None).await.status, 401);
        secrets.extend([sk, "scim-secret-password-9".into(), "scim-secret-password-10".into(), "scim-secret-password-11".into(), "scimshort".into()]);
        // The pages: a reset mailed and used.
        assert_eq!(form(&app, "/password/forgot", &[("email", "ge@example.com")]).await.status, 200);
        let reset = sink.last_to("ge@example.com").code();
        let r = form(&app, "/password/reset", &[("email", "ge@example.com"), ("code", &reset), ("password", "reset-secret-password-8"), ("password_confirm", "reset-secret-password-8")]).await;
        assert_eq!(r.status, 200);
        secrets.extend([reset, "reset-secret-password-8".into()]);
        // The audit table holds none of them either (every event of the scenario, read back),
        // and so no webhook body does: a delivery's body is its event's `resource` and
        // `changes` (`usergate_core::webhooks::payload`).
        let events = usergate_tests::audit_events(app.db_url());
        app.stop().await;
        assert!(events.len() >= 15, "the scenario was audited: {events:?}");
        let table = format!("{events:?}");
        for secret in &secrets {
            assert!(!table.contains(secret.as_str()), "a secret reached the audit log: {secret}");
        }
        assert!(!table.contains("$argon2"), "a hash reached the audit log");

        let text = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
        assert!(text.contains("/api/v2/system/user"), "the logs were captured:\n{text}");
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret reached the logs: {secret}");
        }
        for marker in ["$argon2", "Authorization", "X-DreamFactory-Session-Token", "new_password", "newPassword"] {
            assert!(!text.contains(marker), "the logs mention {marker}");
        }
    }
}
