//! usergate's own pages over HTTP, on PostgreSQL and SQLite: accepting an invitation from the
//! mailed link, the forgot-password request and the reset link, and headless Chromium filling
//! in the accept page like a person.

use awc::http::Method;
use serde_json::json;
use usergate_tests::smtp::SmtpSink;
use usergate_tests::{ADMIN_EMAIL, Reply, TestApp, both_backends, test_python};

const NEW_PW: &str = "chosen by a person 1";

/// The path and query of a mailed link (the test server's public URL is `http://usergate.test`).
fn local(link: &str) -> String {
    link.strip_prefix("http://usergate.test")
        .unwrap_or_else(|| panic!("not our link: {link}"))
        .to_owned()
}

async fn get(app: &TestApp, path: &str) -> Reply {
    app.call(Method::GET, path, None, None).await
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Reply {
    let res = app
        .req(Method::POST, path, None)
        .send_form(&form)
        .await
        .expect("post");
    Reply::read(res).await
}

fn html(r: &Reply) -> String {
    r.body
        .as_str()
        .unwrap_or_else(|| panic!("not HTML: {}", r.body))
        .to_owned()
}

async fn invite(app: &TestApp, sink: &SmtpSink, email: &str) -> String {
    let t = app.df_admin_session().await;
    let r = app
        .df_call(
            &t,
            Method::POST,
            "/api/v2/system/user?send_invite=true",
            Some(json!([{"email": email, "first_name": "Pat"}])),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    local(&sink.last_to(email).link("/invite/accept"))
}

both_backends! {
    async fn the_accept_page_sets_the_password_once(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let link = invite(&app, &sink, "pat@example.com").await;
        let r = get(&app, &link).await;
        assert_eq!(r.status, 200);
        let page = html(&r);
        assert!(page.contains("<h1>Accept your invitation</h1>") && page.contains("Hello Pat"), "{page}");
        assert!(page.contains("name=\"viewport\"") && !page.contains("<script"));
        for (h, v) in [("referrer-policy", "no-referrer"), ("cache-control", "no-store"), ("x-frame-options", "DENY")] {
            assert_eq!(r.header(h), Some(v), "{h}");
        }
        assert!(r.header("content-security-policy").is_some_and(|c| c.contains("default-src 'none'")));
        let code = link.split("code=").nth(1).expect("code").to_owned();
        let form = |pw: &'static str, again: &'static str| vec![("email", "pat@example.com".to_owned()), ("code", code.clone()), ("password", pw.to_owned()), ("password_confirm", again.to_owned())];
        let send = |f: Vec<(&'static str, String)>| {
            let app = &app;
            async move {
                let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
                post_form(app, "/invite/accept", &pairs).await
            }
        };
        // Mistakes re-show the form with a message; nothing is used up.
        let r = send(form(NEW_PW, "something else 12")).await;
        assert_eq!(r.status, 400);
        assert!(html(&r).contains("The two passwords are not the same."));
        let r = send(form("short", "short")).await;
        assert_eq!(r.status, 400);
        assert!(html(&r).contains("at least 10 characters"));
        let r = send(form(NEW_PW, NEW_PW)).await;
        assert_eq!(r.status, 200);
        assert!(html(&r).contains("<h1>Your password is set</h1>"));
        // Every dialect with a password login takes it.
        app.token("pat@example.com", NEW_PW).await;
        let r = app.call(Method::POST, "/api/v2/user/session", None, Some(json!({"email": "pat@example.com", "password": NEW_PW}))).await;
        assert_eq!(r.status, 200);
        // Used: the link and the form say so.
        let r = get(&app, &link).await;
        assert_eq!(r.status, 404);
        assert!(html(&r).contains("This link is not valid"));
        assert_eq!(send(form("another one 12345", "another one 12345")).await.status, 404);
        assert_eq!(get(&app, "/invite/accept").await.status, 404);
        let r = app.req(Method::POST, "/invite/accept", None).insert_header(("Content-Type", "application/x-www-form-urlencoded")).send_body("nonsense").await.expect("post");
        assert_eq!(Reply::read(r).await.status, 400);
        app.stop().await;
    }

    async fn expired_invitations_say_so(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &["--invite-ttl", "0s"]).await;
        let link = invite(&app, &sink, "late@example.com").await;
        let r = get(&app, &link).await;
        assert_eq!(r.status, 410);
        assert!(html(&r).contains("This invitation has expired"));
        app.stop().await;
    }

    async fn a_domo_invitation_is_accepted_on_the_page(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let (id, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let t = app.domo_token(&id, &secret).await;
        let r = app.domo_call(&t, Method::POST, "/domo/v1/users?sendInvite=true", Some(json!({"name": "Dee Omo", "email": "dee@example.com", "role": "Editor"}))).await;
        assert_eq!(r.status, 201);
        let link = local(&sink.last_to("dee@example.com").link("/invite/accept"));
        let code = link.split("code=").nth(1).expect("code").to_owned();
        let r = post_form(&app, "/invite/accept", &[("email", "dee@example.com"), ("code", &code), ("password", NEW_PW), ("password_confirm", NEW_PW)]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        app.token("dee@example.com", NEW_PW).await;
        app.stop().await;
    }

    async fn forgot_password_answers_alike_and_the_reset_link_works_once(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let et = app.admin_token().await;
        app.create_user(&et, "fred@example.com", "fred password 01").await;
        let old_token = app.token("fred@example.com", "fred password 01").await;
        let r = get(&app, "/password/forgot").await;
        assert_eq!(r.status, 200);
        assert!(html(&r).contains("action=\"/password/forgot\""));
        // Known and unknown addresses: the same status and page (but for the address echoed).
        let known = post_form(&app, "/password/forgot", &[("email", "fred@example.com")]).await;
        let unknown = post_form(&app, "/password/forgot", &[("email", "nobody@example.com")]).await;
        assert_eq!((known.status, unknown.status), (200, 200));
        assert_eq!(html(&known).replace("fred@example.com", "X"), html(&unknown).replace("nobody@example.com", "X"));
        let mail = sink.last_to("fred@example.com");
        assert_eq!(mail.header("Subject").as_deref(), Some("Reset your password"));
        let link = local(&mail.link("/password/reset"));
        assert!(sink.to("nobody@example.com").is_empty());
        let r = get(&app, &link).await;
        assert_eq!(r.status, 200);
        assert!(html(&r).contains("Choose a new password"));
        let code = link.split("code=").nth(1).expect("code").to_owned();
        let r = post_form(&app, "/password/reset", &[("email", "fred@example.com"), ("code", &code), ("password", NEW_PW), ("password_confirm", NEW_PW)]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        // The reset kills the tokens issued before it; the new password works.
        assert_eq!(app.call(Method::GET, "/api/users", Some(&old_token), None).await.status, 401);
        assert_eq!(app.login("fred@example.com", "fred password 01").await.status, 401);
        app.token("fred@example.com", NEW_PW).await;
        // Single use.
        let r = get(&app, &link).await;
        assert_eq!(r.status, 404);
        assert!(html(&r).contains("/password/forgot"), "offers a new link");
        app.stop().await;
    }

    async fn without_mail_the_pages_say_it_is_off(kind) {
        let app = TestApp::spawn(kind).await;
        assert_eq!(get(&app, "/password/forgot").await.status, 503);
        let r = post_form(&app, "/password/forgot", &[("email", "a@example.com")]).await;
        assert_eq!(r.status, 503);
        assert!(html(&r).contains("not available"));
        app.stop().await;
    }

    async fn a_person_accepts_in_headless_chromium(kind) {
        let python = test_python();
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let link = invite(&app, &sink, "browser@example.com").await;
        let url = format!("http://{}{link}", app.addr);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/browser_accept.py");
        let out = actix_web::web::block(move || {
            std::process::Command::new(python).args([script, &url, NEW_PW]).output()
        })
        .await
        .expect("blocking task")
        .expect("python runs");
        assert!(out.status.success(), "browser:\n{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        app.token("browser@example.com", NEW_PW).await;
        app.stop().await;
    }
}
