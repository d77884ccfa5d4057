//! Every change the console's pages offer, over HTTP on PostgreSQL and SQLite: each does what
//! it says, through core, and a refused one says why and changes nothing.

use awc::http::Method;
use serde_json::json;
use usergate_tests::console::{Session, html};
use usergate_tests::smtp::SmtpSink;
use usergate_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, both_backends, transfer};

const PW: &str = "a console password 1";

/// The id in a `Location: /console/<what>/<id>?done=...`.
fn id_of(location: Option<&str>) -> String {
    let path = location
        .expect("a Location")
        .split('?')
        .next()
        .expect("path");
    path.rsplit('/').next().expect("id").to_owned()
}

/// The edit form of `email`'s page as it stands, with `changes` over it.
fn edit_form<'a>(
    token: &'a str,
    email: &'a str,
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("csrf", token),
        ("email", email),
        ("name", "Pat Doe"),
        ("role", "user"),
    ];
    for field in [
        "first_name",
        "last_name",
        "title",
        "phone",
        "alternate_email",
        "location",
        "timezone",
        "locale",
        "avatar_url",
        "employee_number",
        "login_name",
        "external_id",
    ] {
        form.push((field, ""));
    }
    for (k, v) in changes {
        form.retain(|(f, _)| f != k);
        form.push((k, v));
    }
    form
}

both_backends! {
    async fn every_user_change_does_what_it_says(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &["--insecure-cookies"]).await;
        let admin = Session::of(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = admin.csrf(&app, "/console/users/new").await;
        let url = app.db_url().to_owned();
        // Create with a password.
        let r = admin.post(&app, "/console/users/new", &[("csrf", &token), ("email", "pat@example.com"), ("name", "Pat Doe"), ("role", "user"), ("method", "password"), ("password", PW)]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let id = id_of(r.header("location"));
        let page = format!("/console/users/{id}");
        app.token("pat@example.com", PW).await;
        // A duplicate address is refused on the form, which keeps what was typed.
        let r = admin.post(&app, "/console/users/new", &[("csrf", &token), ("email", "PAT@example.com"), ("name", "Second"), ("role", "user"), ("method", "password"), ("password", PW)]).await;
        assert_eq!(r.status, 409);
        assert!(html(&r).contains("already exists") && html(&r).contains("value=\"Second\""));
        // Edit: fields, role; a bad employee number changes nothing.
        let r = admin.post(&app, &page, &edit_form(&token, "pat@example.com", &[("title", "Engineer"), ("employee_number", "12x")])).await;
        assert_eq!(r.status, 400);
        assert!(html(&r).contains("employee number"), "{}", html(&r));
        assert_eq!(transfer::user(&url, "pat@example.com").profile.title, None);
        let r = admin.post(&app, &page, &edit_form(&token, "pat@example.com", &[("title", "Engineer"), ("employee_number", "42"), ("role", "editor")])).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let u = transfer::user(&url, "pat@example.com");
        assert_eq!((u.profile.title.as_deref(), u.employee_number, u.role.as_str()), (Some("Engineer"), Some(42), "editor"));
        // Another user's address is a conflict.
        let r = admin.post(&app, &page, &edit_form(&token, ADMIN_EMAIL, &[])).await;
        assert_eq!(r.status, 409);
        assert_eq!(transfer::user(&url, "pat@example.com").name, "Pat Doe");
        // Status, then an unknown one.
        let r = admin.post(&app, &format!("{page}/status"), &[("csrf", &token), ("status", "suspended")]).await;
        assert_eq!(r.status, 303);
        assert_eq!(transfer::user(&url, "pat@example.com").status.as_str(), "suspended");
        let r = admin.post(&app, &format!("{page}/status"), &[("csrf", &token), ("status", "gone")]).await;
        assert_eq!(r.status, 400);
        let r = admin.post(&app, &format!("{page}/status"), &[("csrf", &token), ("status", "active")]).await;
        assert_eq!(r.status, 303);
        // A password: two that differ change nothing; then set, and the old one stops working.
        let r = admin.post(&app, &format!("{page}/password"), &[("csrf", &token), ("password", "new password 123"), ("password_confirm", "new password 124")]).await;
        assert_eq!(r.status, 400);
        app.token("pat@example.com", PW).await;
        let r = admin.post(&app, &format!("{page}/password"), &[("csrf", &token), ("password", "new password 123"), ("password_confirm", "new password 123")]).await;
        assert_eq!(r.status, 303);
        assert_eq!(app.login("pat@example.com", PW).await.status, 401);
        app.token("pat@example.com", "new password 123").await;
        // A reset link goes out by mail.
        let r = admin.post(&app, &format!("{page}/reset"), &[("csrf", &token)]).await;
        assert_eq!(r.status, 303);
        assert!(sink.last_to("pat@example.com").link("/password/reset").contains("code="));
        // An invitation for a user who set a password is refused.
        let r = admin.post(&app, &format!("{page}/invite"), &[("csrf", &token)]).await;
        assert_eq!(r.status, 409);
        // The last admin cannot be demoted from the console either.
        let admin_page = format!("/console/users/{}", transfer::user(&url, ADMIN_EMAIL).id.get());
        let r = admin.post(&app, &admin_page, &edit_form(&token, ADMIN_EMAIL, &[("name", "admin"), ("role", "user")])).await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(transfer::user(&url, ADMIN_EMAIL).role.as_str(), "admin");
        // Delete: the wrong address changes nothing; the right one deletes.
        let r = admin.post(&app, &format!("{page}/delete"), &[("csrf", &token), ("confirm", "someone@example.com")]).await;
        assert_eq!(r.status, 400);
        assert!(html(&r).contains("email address exactly"));
        app.token("pat@example.com", "new password 123").await;
        let r = admin.post(&app, &format!("{page}/delete"), &[("csrf", &token), ("confirm", "PAT@example.com")]).await;
        assert_eq!(r.status, 303);
        assert_eq!(app.login("pat@example.com", "new password 123").await.status, 401);
        assert_eq!(admin.get(&app, &page).await.status, 404);
        app.stop().await;
    }

    async fn groups_credentials_and_webhooks_change_as_asked(kind) {
        let app = TestApp::spawn_with(kind, &["--insecure-cookies"]).await;
        let t = app.admin_token().await;
        app.create_user(&t, "member@example.com", PW).await;
        let admin = Session::of(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = admin.csrf(&app, "/console/groups").await;
        // A group: create, add a member, rename, filter the users page by it.
        let r = admin.post(&app, "/console/groups", &[("csrf", &token), ("name", "Ops"), ("active", "on")]).await;
        assert_eq!(r.status, 303);
        let group = format!("/console/groups/{}", id_of(r.header("location")));
        let r = admin.post(&app, &format!("{group}/members"), &[("csrf", &token), ("email", "member@example.com")]).await;
        assert_eq!(r.status, 303);
        let r = admin.post(&app, &format!("{group}/members"), &[("csrf", &token), ("email", "nobody@example.com")]).await;
        assert_eq!(r.status, 404);
        let r = admin.post(&app, &group, &[("csrf", &token), ("name", "Operations"), ("active", "on"), ("default", "on")]).await;
        assert_eq!(r.status, 303);
        let page = html(&admin.get(&app, &group).await);
        assert!(page.contains("Operations") && page.contains("member@example.com"));
        let gid = group.rsplit('/').next().expect("id");
        let filtered = html(&admin.get(&app, &format!("/console/users?group={gid}")).await);
        assert!(filtered.contains("member@example.com") && !filtered.contains(ADMIN_EMAIL), "the group filter");
        // A group with members is deleted only when asked to.
        let r = admin.post(&app, &format!("{group}/delete"), &[("csrf", &token)]).await;
        assert_eq!(r.status, 409);
        let member = transfer::user(app.db_url(), "member@example.com").id.get().to_string();
        let r = admin.post(&app, &format!("{group}/members/remove"), &[("csrf", &token), ("user", &member)]).await;
        assert_eq!(r.status, 303);
        let r = admin.post(&app, &format!("{group}/delete"), &[("csrf", &token)]).await;
        assert_eq!(r.status, 303);
        assert_eq!(admin.get(&app, &group).await.status, 404);
        // Credentials: an OAuth client needs a scope; a key is shown once and revoked.
        let r = admin.post(&app, "/console/credentials", &[("csrf", &token), ("kind", "oauth"), ("owner", ADMIN_EMAIL)]).await;
        assert_eq!(r.status, 400);
        let r = admin.post(&app, "/console/credentials", &[("csrf", &token), ("kind", "oauth"), ("owner", ADMIN_EMAIL), ("scope", "user"), ("scope", "audit")]).await;
        assert_eq!(r.status, 200);
        assert!(html(&r).contains("Client secret"));
        let r = admin.post(&app, "/console/credentials", &[("csrf", &token), ("kind", "generic"), ("owner", ADMIN_EMAIL), ("expires_days", "30")]).await;
        assert_eq!(r.status, 200);
        let page = html(&r);
        let start = page.find("ugk_").expect("the key");
        let key: String = page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        assert_eq!(app.call(Method::GET, "/v1/users", Some(&key), None).await.status, 200);
        let (id, _) = usergate_core::machine::parse_api_key(&key).expect("a key");
        assert!(!html(&admin.get(&app, "/console/credentials").await).contains(&key), "the key is shown once");
        let r = admin.post(&app, &format!("/console/credentials/{id}/revoke"), &[("csrf", &token)]).await;
        assert_eq!(r.status, 303);
        assert_eq!(app.call(Method::GET, "/v1/users", Some(&key), None).await.status, 401);
        // Webhooks: a bad URL is refused; edit, disable, delete.
        let r = admin.post(&app, "/console/webhooks", &[("csrf", &token), ("url", "ftp://x"), ("type", "*")]).await;
        assert_eq!(r.status, 400);
        let r = admin.post(&app, "/console/webhooks", &[("csrf", &token), ("url", "https://hooks.example.com/a"), ("type", "user.created"), ("type", "user.deleted")]).await;
        assert_eq!(r.status, 200);
        assert!(html(&r).contains("whsec_"));
        let hooks = app.call(Method::GET, "/v1/webhooks", Some(&app.api_key(ADMIN_EMAIL, None)), None).await;
        let hook = hooks.body["data"][0]["id"].as_str().expect("id").trim_start_matches("whk_").to_owned();
        assert_eq!(hooks.body["data"][0]["event_types"], json!(["user.created", "user.deleted"]));
        let r = admin.post(&app, &format!("/console/webhooks/{hook}"), &[("csrf", &token), ("url", "https://hooks.example.com/b"), ("type", "*")]).await;
        assert_eq!(r.status, 303);
        let page = html(&admin.get(&app, &format!("/console/webhooks/{hook}")).await);
        assert!(page.contains("hooks.example.com/b") && page.contains("disabled"), "edited and disabled (the box was not ticked)");
        let r = admin.post(&app, &format!("/console/webhooks/{hook}/delete"), &[("csrf", &token)]).await;
        assert_eq!(r.status, 303);
        assert_eq!(admin.get(&app, &format!("/console/webhooks/{hook}")).await.status, 404);
        // The audit page filters.
        let audit = html(&admin.get(&app, "/console/audit?action=webhook.delete").await);
        assert!(audit.contains("webhook.delete") && !audit.contains("group.create"));
        assert_eq!(admin.get(&app, "/console/audit?since=yesterday").await.status, 400);
        app.stop().await;
    }

    async fn sessions_slide_with_use_and_still_end(kind) {
        let app = TestApp::spawn_with(kind, &["--insecure-cookies", "--console-idle-timeout", "3s", "--console-session-lifetime", "7s"]).await;
        let mut s = Session::of(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        // Used every second, the session outlives its idle timeout (each page renews the cookie).
        for _ in 0..5 {
            actix_web::rt::time::sleep(std::time::Duration::from_secs(1)).await;
            let r = s.get(&app, "/console/users").await;
            assert_eq!(r.status, 200);
            s = s.renewed(&r);
        }
        // Left alone longer than the idle timeout, it ends.
        actix_web::rt::time::sleep(std::time::Duration::from_secs(4)).await;
        assert_eq!(s.get(&app, "/console/users").await.status, 303);
        // Used every second, it still ends at its lifetime.
        let mut s = Session::of(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let started = std::time::Instant::now();
        let mut last = 200;
        while started.elapsed() < std::time::Duration::from_secs(9) {
            actix_web::rt::time::sleep(std::time::Duration::from_secs(1)).await;
            let r = s.get(&app, "/console/users").await;
            last = r.status;
            if last != 200 {
                break;
            }
            s = s.renewed(&r);
        }
        assert_eq!(last, 303, "the session outlived its lifetime");
        assert!(started.elapsed() >= std::time::Duration::from_secs(6), "it ended early");
        app.stop().await;
    }

    async fn uploads_are_bounded_and_need_the_token(kind) {
        let app = TestApp::spawn_with(kind, &["--insecure-cookies", "--console-upload-limit", "1KiB"]).await;
        let admin = Session::of(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = admin.csrf(&app, "/console/import").await;
        let upload = |csrf: &str, file: &str| {
            let mut body = String::new();
            for (name, value) in [("csrf", csrf), ("format", "csv"), ("on_conflict", "fail"), ("role", "user")] {
                body.push_str(&format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
            }
            body.push_str(&format!("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"u.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--XyZ--\r\n"));
            body
        };
        let send = |body: String| {
            usergate_tests::console::client()
                .post(app.url("/console/import"))
                .insert_header(("Cookie", format!("usergate_console={}", admin.cookie)))
                .insert_header(("Content-Type", "multipart/form-data; boundary=XyZ"))
                .send_body(body)
        };
        let small = "email,name\nup@example.com,Up\n";
        // Without the session's token: refused before the file is read.
        let r = usergate_tests::Reply::read(send(upload("forged", small)).await.expect("post")).await;
        assert_eq!(r.status, 403);
        // Over the limit: refused, with the limit named.
        let big = format!("email,name\n{}", "x@example.com,X\n".repeat(100));
        let r = usergate_tests::Reply::read(send(upload(&token, &big)).await.expect("post")).await;
        assert_eq!(r.status, 400);
        assert!(html(&r).contains("upload limit"), "{}", html(&r));
        // Within it: a dry run, then nothing is written until the import.
        let r = usergate_tests::Reply::read(send(upload(&token, small)).await.expect("post")).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let job = r.header("location").expect("job").to_owned();
        let mut page = String::new();
        for _ in 0..100 {
            page = html(&admin.get(&app, &job).await);
            if page.contains("<strong>checked</strong>") {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(page.contains("Would be imported"), "{page}");
        assert_eq!(app.login("up@example.com", PW).await.status, 401);
        let r = admin.post(&app, &format!("{job}/run"), &[("csrf", &token)]).await;
        assert_eq!(r.status, 303);
        for _ in 0..100 {
            page = html(&admin.get(&app, &job).await);
            if page.contains("<strong>finished</strong>") {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(page.contains("<strong>finished</strong>"), "{page}");
        assert_eq!(transfer::user(app.db_url(), "up@example.com").name, "Up");
        // Another admin cannot see this admin's job.
        let t = app.admin_token().await;
        app.create_admin(&t, "other.admin@example.com", PW).await;
        let other = Session::of(&app, "other.admin@example.com", PW).await;
        assert_eq!(other.get(&app, &job).await.status, 404);
        app.stop().await;
    }
}
