//! The admin console over HTTP, on PostgreSQL and SQLite: who may sign in, sessions that die
//! with their admin's credentials, forged and cross-site changes refused (and changing
//! nothing), markup in every text field rendered inert, the security headers and the cookie's
//! attributes. (Headless Chromium drives the pages in `console_browser.rs`.)

use awc::http::Method;
use serde_json::json;
use usergate_tests::console::{Session, html, set_cookie, sign_in};
use usergate_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, audit_events, both_backends};

/// A form's fields, or a request's extra headers.
type Form<'a> = Vec<(&'a str, &'a str)>;

const PW: &str = "a console password 1";
const PAYLOAD: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";

async fn spawn(kind: &str) -> TestApp {
    TestApp::spawn_with(kind, &["--insecure-cookies"]).await
}

/// Changes a user through the email-keyed dialect.
async fn change(app: &TestApp, token: &str, email: &str, body: serde_json::Value) {
    let r = app
        .call(
            Method::PUT,
            &format!("/api/users/{email}"),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(r.status, 204, "change {email}: {}", r.body);
}

fn count(app: &TestApp, action: &str) -> usize {
    audit_events(app.db_url())
        .iter()
        .filter(|e| e.action == action)
        .count()
}

both_backends! {
    async fn only_active_admins_sign_in(kind) {
        let app = spawn(kind).await;
        let t = app.admin_token().await;
        app.create_user(&t, "plain@example.com", PW).await;
        for (email, password) in [("plain@example.com", PW), ("nobody@example.com", PW), (ADMIN_EMAIL, "wrong password 1")] {
            let (reply, session) = sign_in(&app, email, password).await;
            assert_eq!(reply.status, 401, "{email}");
            assert!(session.is_none(), "{email} got a session");
            assert!(html(&reply).contains("may not use the console"), "{email}");
        }
        // A page without a session sends the browser to the sign-in page.
        let r = Session { cookie: "not-a-token".into() }.get(&app, "/console/users").await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/console/login"));
        let admin = Session::of(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(admin.get(&app, "/console/users").await.status, 200);
        // A console session is no token of any dialect.
        let r = app.call(Method::GET, "/api/users", Some(&admin.cookie), None).await;
        assert_eq!(r.status, 401);
        app.stop().await;
    }

    async fn sessions_die_with_their_admins_credentials(kind) {
        let app = spawn(kind).await;
        let t = app.admin_token().await;
        for (email, change_body) in [
            ("deactivated@example.com", json!({"status": "Inactive"})),
            ("demoted@example.com", json!({"type": "User"})),
        ] {
            app.create_admin(&t, email, PW).await;
            let s = Session::of(&app, email, PW).await;
            assert_eq!(s.get(&app, "/console/users").await.status, 200, "{email}");
            change(&app, &t, email, change_body).await;
            let r = s.get(&app, "/console/users").await;
            assert_eq!(r.status, 303, "{email} still has a session");
            assert_eq!(r.header("location"), Some("/console/login"));
        }
        // A new password ends the session too.
        app.create_admin(&t, "repassword@example.com", PW).await;
        let s = Session::of(&app, "repassword@example.com", PW).await;
        let r = app
            .call(Method::PATCH, "/api/users/repassword@example.com", Some(&t), Some(json!({"newPassword": "another password 22"})))
            .await;
        assert!(r.status < 300, "{}", r.body);
        assert_eq!(s.get(&app, "/console/users").await.status, 303);
        // Deleted.
        app.create_admin(&t, "deleted@example.com", PW).await;
        let s = Session::of(&app, "deleted@example.com", PW).await;
        let r = app.call(Method::DELETE, "/api/users/deleted@example.com", Some(&t), None).await;
        assert!(r.status < 300, "{}", r.body);
        assert_eq!(s.get(&app, "/console/users").await.status, 303);
        app.stop().await;
    }

    async fn forged_changes_are_refused_and_change_nothing(kind) {
        let app = spawn(kind).await;
        let t = app.admin_token().await;
        app.create_admin(&t, "second@example.com", PW).await;
        let mine = Session::of(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let theirs = Session::of(&app, "second@example.com", PW).await;
        let token = mine.csrf(&app, "/console/groups").await;
        let other = theirs.csrf(&app, "/console/groups").await;
        assert_ne!(token, other);
        let before = count(&app, "group.create");
        let cases: [(&str, Form, Form); 5] = [
            ("no token", vec![("name", "Forged")], vec![]),
            ("another session's token", vec![("name", "Forged"), ("csrf", &other)], vec![]),
            ("a made-up token", vec![("name", "Forged"), ("csrf", "AAAA")], vec![]),
            ("another site's page", vec![("name", "Forged"), ("csrf", &token)], vec![("Origin", "http://evil.example")]),
            ("a cross-site fetch", vec![("name", "Forged"), ("csrf", &token)], vec![("Sec-Fetch-Site", "cross-site")]),
        ];
        for (what, form, headers) in &cases {
            let r = mine.post_with(&app, "/console/groups", form, headers).await;
            assert_eq!(r.status, 403, "{what}");
            assert!(html(&r).contains("This form has expired"), "{what}");
        }
        assert_eq!(count(&app, "group.create"), before, "a forged form changed something");
        assert!(!html(&mine.get(&app, "/console/groups").await).contains("Forged"));
        // The same form with this session's token works.
        let r = mine.post(&app, "/console/groups", &[("name", "Real"), ("csrf", &token)]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(count(&app, "group.create"), before + 1);
        let event = audit_events(app.db_url()).into_iter().rev().find(|e| e.action == "group.create").expect("event");
        assert_eq!(event.dialect, "console");
        assert_eq!(event.actor_email.as_deref(), Some(ADMIN_EMAIL));
        // Sign out: the cookie, replayed, is a session no more.
        let r = mine.post(&app, "/console/logout", &[("csrf", &token)]).await;
        assert_eq!(r.status, 303);
        assert!(set_cookie(&r).is_some_and(|c| c.starts_with("usergate_console=;")), "{:?}", set_cookie(&r));
        let r = mine.get(&app, "/console/users").await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/console/login"));
        let r = mine.post(&app, "/console/groups", &[("name", "After logout"), ("csrf", &token)]).await;
        assert_eq!(r.status, 303);
        assert_eq!(count(&app, "group.create"), before + 1);
        // The other session lives on.
        assert_eq!(theirs.get(&app, "/console/users").await.status, 200);
        app.stop().await;
    }

    async fn markup_in_every_text_field_renders_inert(kind) {
        let app = spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let r = app
            .call(Method::POST, "/v1/users", Some(&key), Some(json!({"email": "markup@example.com", "name": PAYLOAD})))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["data"]["id"].as_str().expect("id").trim_start_matches("usr_").to_owned();
        let admin = Session::of(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = admin.csrf(&app, "/console/groups").await;
        // Every free-text field of the user, through the console's own form.
        let mut form = vec![("csrf", token.as_str()), ("email", "markup@example.com"), ("role", "user"),
            ("alternate_email", ""), ("avatar_url", ""), ("employee_number", "")];
        for field in ["name", "first_name", "last_name", "title", "phone", "location", "timezone", "locale", "login_name", "external_id"] {
            form.push((field, PAYLOAD));
        }
        let r = admin.post(&app, &format!("/console/users/{id}"), &form).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = admin.post(&app, "/console/groups", &[("name", PAYLOAD), ("active", "on"), ("csrf", &token)]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let group = r.header("location").expect("location").split('?').next().expect("path").to_owned();
        let r = admin.post(&app, &format!("{group}/members"), &[("email", "markup@example.com"), ("csrf", &token)]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = admin.post(&app, "/console/credentials", &[("kind", "generic"), ("owner", ADMIN_EMAIL), ("name", PAYLOAD), ("csrf", &token)]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = admin.post(&app, "/console/webhooks", &[("url", "https://hooks.example.com/x"), ("description", PAYLOAD), ("type", "*"), ("csrf", &token)]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // A search for markup, an audit filter of markup: echoed, escaped.
        let search = format!("/console/users?q={}", "%3Cscript%3E");
        for path in [
            "/console/users".to_owned(), search, format!("/console/users/{id}"), "/console/groups".to_owned(),
            group.clone(), "/console/credentials".to_owned(), "/console/webhooks".to_owned(),
            "/console/audit".to_owned(), "/console/audit?actor=%3Cscript%3E".to_owned(),
        ] {
            let r = admin.get(&app, &path).await;
            assert_eq!(r.status, 200, "{path}");
            let page = html(&r);
            assert!(!page.contains("<script>") && !page.contains("<img"), "{path} prints markup");
            // askama writes `<` as `&#60;`: the text is there, as text.
            let shown = if path.contains("%3C") { "&#60;script&#62;" } else { "&#60;script&#62;alert(1)&#60;/script&#62;" };
            assert!(page.contains(shown), "{path} lost the text");
        }
        app.stop().await;
    }

    async fn headers_and_the_cookie_are_strict(kind) {
        // Without --insecure-cookies the cookie is Secure.
        let app = TestApp::spawn(kind).await;
        let (reply, _) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(reply.status, 303);
        let cookie = set_cookie(&reply).expect("a session cookie");
        for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/console"] {
            assert!(cookie.split("; ").any(|a| a == attribute), "{attribute} missing: {cookie}");
        }
        let login = app.call(Method::GET, "/console/login", None, None).await;
        let csp = login.header("content-security-policy").expect("CSP");
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
        assert!(!csp.contains("script-src"), "no script is allowed at all: {csp}");
        assert_eq!(login.header("cache-control"), Some("no-store"));
        assert_eq!(login.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(login.header("x-frame-options"), Some("DENY"));
        let css = app.call(Method::GET, "/console/console.css", None, None).await;
        assert_eq!(css.status, 200);
        assert!(css.header("content-type").is_some_and(|c| c.starts_with("text/css")));
        // Every page is HTML with no inline script or style.
        let page = html(&login);
        assert!(!page.contains("<script") && !page.contains("style=") && !page.contains("<style"));
        assert!(!page.contains("cookie-warning"), "127.0.0.1 keeps a Secure cookie");
        // Over plain HTTP to another host the browser would drop the cookie: the page says so.
        let res = usergate_tests::console::client()
            .get(app.url("/console/login"))
            .insert_header(("Host", "usergate.example:8080"))
            .send()
            .await
            .expect("login page");
        let far = usergate_tests::Reply::read(res).await;
        assert!(html(&far).contains("cookie-warning"), "no warning for plain HTTP to another host");
        app.stop().await;
        // Turned off, it is not there.
        let app = TestApp::spawn_with(kind, &["--console", "false"]).await;
        assert_eq!(app.call(Method::GET, "/console/login", None, None).await.status, 404);
        app.stop().await;
    }

    async fn sign_in_is_throttled_like_every_login(kind) {
        let app = TestApp::spawn_with(kind, &["--insecure-cookies", "--login-throttle", "3/60s"]).await;
        for _ in 0..3 {
            let (reply, _) = sign_in(&app, ADMIN_EMAIL, "wrong password 1").await;
            assert_eq!(reply.status, 401);
        }
        // The account waits now, even with the right password; the page says for how long.
        let (reply, session) = sign_in(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(reply.status, 429);
        assert!(session.is_none());
        assert!(html(&reply).contains("Too many failed attempts"), "{}", html(&reply));
        // Each refused sign-in is an auth.login failure through the console.
        let failures = audit_events(app.db_url())
            .into_iter()
            .filter(|e| e.action == "auth.login" && e.outcome == "failure" && e.dialect == "console")
            .count();
        assert_eq!(failures, 3);
        app.stop().await;
    }
}
