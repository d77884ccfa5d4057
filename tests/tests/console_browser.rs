//! Headless Chromium drives every page of the admin console, on PostgreSQL and SQLite
//! (`python/browser_console.py`): sign in, find one user among 10,000, edit, deactivate,
//! groups, an invitation caught by the SMTP receiver and accepted, an API key made in the
//! console and used against `/v1/users`, a webhook and its test message, the audit log, an
//! import with its dry run, sign out, and a second admin's session ending when another
//! dialect deactivates them. Screenshots of every page land in
//! `target/console-screenshots/<backend>/`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use awc::http::Method;
use usergate_tests::console::Session;
use usergate_tests::smtp::SmtpSink;
use usergate_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, audit_events, both_backends, test_python, transfer,
};

/// The admin whose session ends while the browser holds it.
const SECOND: &str = "second.admin@example.com";
const SECOND_PASSWORD: &str = "second admin password 1";

/// Users seeded before the browser starts.
const SEEDED: usize = 10_000;

/// Writes `SEEDED` users (and the one the browser looks for) and imports them.
fn seed(url: &str, dir: &std::path::Path) {
    let mut csv = String::from("email,name\n");
    for i in 0..SEEDED {
        csv.push_str(&format!("person{i:05}@seed.test,Person {i:05}\n"));
    }
    csv.push_str("needle@seed.test,Needle Haystack\n");
    let file = transfer::write(dir, "seed.csv", &csv);
    let summary = transfer::import(url, &[transfer::path_str(&file)]).expect("seed import");
    assert_eq!(summary.tally.created as usize, SEEDED + 1);
}

/// Whether `email`'s creation is the admin's, through the console.
fn by_console_create(events: &[usergate_core::audit::AuditEvent], email: &str) -> bool {
    events.iter().any(|e| {
        e.action == "user.create"
            && e.dialect == "console"
            && e.target_email.as_deref() == Some(email)
            && e.actor_email.as_deref() == Some(ADMIN_EMAIL)
    })
}

both_backends! {
    async fn an_admin_drives_every_page_in_headless_chromium(kind) {
        let python = test_python();
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &["--insecure-cookies"]).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, d) = (app.db_url().to_owned(), dir.path().to_owned());
        actix_web::web::block(move || seed(&url, &d)).await.expect("seed");
        let upload = transfer::write(dir.path(), "upload.csv", "email,name\nuploaded1@example.com,Uploaded One\nuploaded2@example.com,Uploaded Two\nnot-an-address,Bad\n");
        let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots").join(kind);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/browser_console.py");
        let mut child = Command::new(python)
            .args([script, &format!("http://{}", app.addr), ADMIN_EMAIL, ADMIN_PASSWORD, shots.to_str().expect("path")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python runs");
        let mut stdin = child.stdin.take().expect("stdin");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let stdout = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let (mut said, mut transcript) = (std::collections::HashMap::new(), Vec::new());
        loop {
            let rx = rx.clone();
            let line = actix_web::web::block(move || rx.lock().expect("lock").recv().ok()).await.expect("block");
            let Some(line) = line else { break };
            transcript.push(line.clone());
            let answer = if let Some(ask) = line.strip_prefix("ASK ") {
                match ask.split_once(' ').unwrap_or((ask, "")) {
                    ("invite", address) => {
                        let link = sink.last_to(address).link("/invite/accept");
                        link.replace("http://usergate.test", &format!("http://{}", app.addr))
                    }
                    ("key", key) => {
                        let r = app.call(Method::GET, "/v1/users?search=needle", Some(key), None).await;
                        assert_eq!(r.status, 200, "the console's key: {}", r.body);
                        assert_eq!(r.body["pagination"]["total"], 1);
                        "ok".to_owned()
                    }
                    ("import-file", _) => transfer::path_str(&upload).to_owned(),
                    ("second-admin", _) => {
                        let t = app.admin_token().await;
                        app.create_admin(&t, SECOND, SECOND_PASSWORD).await;
                        format!("{SECOND} {SECOND_PASSWORD}")
                    }
                    ("deactivate", email) => {
                        // Through the email-keyed dialect, while the browser holds a session.
                        let t = app.admin_token().await;
                        let r = app
                            .call(Method::PUT, &format!("/api/users/{email}"), Some(&t), Some(serde_json::json!({"status": "Inactive"})))
                            .await;
                        assert_eq!(r.status, 204, "{}", r.body);
                        "ok".to_owned()
                    }
                    other => panic!("unknown question {other:?}"),
                }
            } else {
                if let Some((name, value)) = line.strip_prefix("SAY ").and_then(|s| s.split_once(' ')) {
                    said.insert(name.to_owned(), value.to_owned());
                }
                continue;
            };
            writeln!(stdin, "{answer}").expect("answer the browser");
        }
        let out = actix_web::web::block(move || child.wait_with_output()).await.expect("block").expect("wait");
        assert!(out.status.success(), "browser:\n{}\n{}", transcript.join("\n"), String::from_utf8_lossy(&out.stderr));
        assert!(transcript.iter().any(|l| l == "console: every step passed"));
        // The invitee accepted on the accept page: the password works.
        app.token("invitee@example.com", "invitee-password-1").await;
        // The upload's two good records are users now, imported by the admin in the console.
        for email in ["uploaded1@example.com", "uploaded2@example.com"] {
            assert_eq!(transfer::user(app.db_url(), email).name.split(' ').next(), Some("Uploaded"));
            assert!(by_console_create(&audit_events(app.db_url()), email), "{email}: no console user.create");
        }
        // The signed-out cookie, replayed, opens nothing.
        let old = Session { cookie: said.get("cookie").expect("the cookie").clone() };
        let r = old.get(&app, "/console/users").await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/console/login"));
        // Every change the browser made is in the audit log, by the admin, through the console.
        let events = audit_events(app.db_url());
        let needle = said.get("needle").expect("the user's id");
        let by_console: Vec<_> = events.iter().filter(|e| e.dialect == "console" && e.actor_type != "anonymous").collect();
        for (action, target) in [("user.update", Some(needle.as_str())), ("user.deactivate", Some(needle)), ("user.activate", Some(needle)),
            ("group.create", None), ("group.member_add", None), ("user.create", None), ("api_key.create", None), ("webhook.create", None),
            ("import.run", None)] {
            assert!(by_console.iter().any(|e| e.action == action && e.outcome == "success"
                && e.actor_email.as_deref() == Some(ADMIN_EMAIL)
                && target.is_none_or(|t| e.target_id.as_deref() == Some(t))), "no console {action} event");
        }
        app.stop().await;
    }
}
