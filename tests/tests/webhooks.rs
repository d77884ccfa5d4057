//! Webhooks end to end, on PostgreSQL and SQLite, loopback only: a receiver in Python verifies
//! every delivery's signature with the Standard Webhooks reference package (independent of the
//! server's Rust crate); events arrive in order, once per `webhook-id`, after the receiver was
//! down for a while; a server killed with SIGKILL after the commit delivers after its restart;
//! two instances deliver each event once; after the last retry the endpoint is disabled, and
//! that is audited; an internal destination is refused unless allowed.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::transfer::usergate_cli;
use usergate_tests::{
    ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SECRET, TestApp, both_backends, test_python,
};

/// The Python receiver on `port`, verifying with `secret`.
struct Receiver {
    child: Child,
    port: u16,
}

impl Receiver {
    fn start(port: u16, secret: &str) -> Receiver {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/webhook_receiver.py");
        let mut child = Command::new(test_python())
            .args([script, &port.to_string(), secret])
            .stdout(Stdio::piped())
            .spawn()
            .expect("receiver");
        let mut line = String::new();
        let out = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line).expect("ready");
        assert_eq!(line.trim(), "ready");
        Receiver { child, port }
    }

    async fn received(&self) -> Vec<Value> {
        let r = usergate_tests::client()
            .get(format!("http://127.0.0.1:{}/received", self.port))
            .send()
            .await;
        let mut r = r.expect("receiver answers");
        let body: Value = r.json().await.expect("json");
        body.as_array().cloned().unwrap_or_default()
    }

    /// Waits until `n` valid deliveries arrived (or panics after `secs`).
    async fn wait_for(&self, n: usize, secs: u64) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let got = self.received().await;
            if got.iter().filter(|g| g.get("invalid").is_none()).count() >= n {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(secs),
                "only {} of {n} arrived: {got:#?}",
                got.len()
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Creates an endpoint through `/v1/webhooks`; `(id, secret)`.
async fn endpoint(app: &TestApp, key: &str, port: u16, types: Value) -> (String, String) {
    let r = app.call(Method::POST, "/v1/webhooks", Some(key), Some(json!({
        "url": format!("http://127.0.0.1:{port}/hook"), "event_types": types, "description": "test receiver"
    }))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let secret = r.body["data"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    (
        r.body["data"]["id"].as_str().expect("id").to_owned(),
        secret,
    )
}

async fn create(app: &TestApp, key: &str, email: &str) -> String {
    let r = app
        .call(
            Method::POST,
            "/v1/users",
            Some(key),
            Some(json!({"name": "W", "email": email})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["data"]["id"].as_str().expect("id").to_owned()
}

/// Valid deliveries, deduplicated by `webhook-id` as a receiver does; checks they came in
/// `webhook-id` order and that no signature failed.
fn deduplicated(got: &[Value]) -> Vec<Value> {
    assert!(
        got.iter().all(|g| g.get("invalid").is_none()),
        "a signature did not verify: {got:#?}"
    );
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let mut last = 0i64;
    for g in got {
        let id = g["id"].as_str().expect("id");
        let n: i64 = id.trim_start_matches("evt_").parse().expect("evt_ number");
        if seen.insert(n) {
            assert!(n > last, "out of order: {id} after evt_{last}");
            last = n;
            out.push(g.clone());
        }
    }
    out
}

const FAST_RETRIES: [&str; 3] = [
    "--webhook-allow-private",
    "--webhook-retry-schedule",
    "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s",
];

both_backends! {
    async fn events_arrive_signed_in_order_once_after_the_receiver_was_down(kind) {
        let app = TestApp::spawn_with(kind, &FAST_RETRIES).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let port = free_port();
        let (hook, secret) = endpoint(&app, &key, port, json!(["user.created", "user.role_changed", "user.deleted"])).await;
        // The receiver is down: the first event fails and holds the rest back.
        let a = create(&app, &key, "a@example.com").await;
        let b = create(&app, &key, "b@example.com").await;
        let r = app.call(Method::PATCH, &format!("/v1/users/{a}"), Some(&key), Some(json!({"role": "admin"}))).await;
        assert_eq!(r.status, 200);
        let r = app.call(Method::PATCH, &format!("/v1/users/{b}"), Some(&key), Some(json!({"name": "not subscribed"}))).await;
        assert_eq!(r.status, 200);
        assert_eq!(app.call(Method::DELETE, &format!("/v1/users/{b}"), Some(&key), None).await.status, 200);
        actix_web::rt::time::sleep(Duration::from_millis(2500)).await;
        let r = app.call(Method::GET, &format!("/v1/webhooks/{hook}/attempts"), Some(&key), None).await;
        let attempts = r.body["data"].as_array().expect("attempts").clone();
        assert!(!attempts.is_empty() && attempts.iter().all(|t| t["succeeded"] == json!(false)), "{attempts:#?}");
        assert!(attempts[0]["error"].is_string());
        // Up again: everything arrives, in order, each verified.
        let receiver = Receiver::start(port, &secret);
        let got = deduplicated(&receiver.wait_for(4, 30).await);
        let types: Vec<&str> = got.iter().map(|g| g["type"].as_str().unwrap_or("-")).collect();
        assert_eq!(types, ["user.created", "user.created", "user.role_changed", "user.deleted"]);
        assert_eq!(got[0]["body"]["data"]["email"], "a@example.com");
        assert_eq!(got[2]["body"]["changes"], json!({"role": {"from": "user", "to": "admin"}}));
        assert_eq!(got[3]["body"]["data"]["email"], "b@example.com");
        // Nothing else comes.
        actix_web::rt::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(deduplicated(&receiver.received().await).len(), 4);
        app.stop().await;
    }

    async fn two_instances_deliver_each_event_once(kind) {
        let app = TestApp::spawn_with(kind, &FAST_RETRIES).await;
        let other = app.another_instance_with(&FAST_RETRIES).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let port = free_port();
        let (_, secret) = endpoint(&app, &key, port, json!(["user.created"])).await;
        let receiver = Receiver::start(port, &secret);
        for i in 0..20 {
            create(&app, &key, &format!("u{i}@example.com")).await;
        }
        let got = receiver.wait_for(20, 30).await;
        actix_web::rt::time::sleep(Duration::from_millis(800)).await;
        let got_now = receiver.received().await;
        assert_eq!(got_now.len(), got.len(), "nothing more came");
        assert_eq!(deduplicated(&got_now).len(), got_now.len(), "no event was sent twice: {got_now:#?}");
        assert_eq!(got_now.len(), 20);
        other.stop().await;
        app.stop().await;
    }

    async fn the_last_failed_retry_disables_the_endpoint_and_internal_targets_are_refused(kind) {
        let app = TestApp::spawn_with(kind, &["--webhook-retry-schedule", "1s"]).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        // Without --webhook-allow-private a loopback destination is refused, and after the one
        // retry the endpoint is disabled by the server, which the audit log says.
        let (hook, _) = endpoint(&app, &key, free_port(), json!(["*"])).await;
        create(&app, &key, "x@example.com").await;
        let started = Instant::now();
        let disabled = loop {
            let r = app.call(Method::GET, &format!("/v1/webhooks/{hook}"), Some(&key), None).await;
            if r.body["data"]["enabled"] == json!(false) {
                break r.body["data"].clone();
            }
            assert!(started.elapsed() < Duration::from_secs(20), "not disabled: {}", r.body);
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        };
        assert!(disabled["disabled_reason"].as_str().is_some_and(|r| r.contains("internal address")), "{disabled}");
        let r = app.call(Method::GET, &format!("/v1/webhooks/{hook}/attempts"), Some(&key), None).await;
        assert_eq!(r.body["data"].as_array().map(Vec::len), Some(2), "{}", r.body);
        let id = hook.trim_start_matches("whk_");
        let r = app.call(Method::GET, &format!("/v1/audit-events?target_type=webhook&target_id={id}&action=webhook.update"), Some(&key), None).await;
        let e = &r.body["data"][0];
        assert_eq!((e["actor"]["type"].as_str(), e["dialect"].as_str()), (Some("system"), Some("system")), "{}", r.body);
        assert_eq!(e["changes"]["enabled"], json!({"from": true, "to": false}));
        // The secret is never shown again, nor in the audit log.
        let r = app.call(Method::GET, "/v1/webhooks", Some(&key), None).await;
        assert!(r.body["data"][0].get("secret").is_none(), "{}", r.body);
        assert!(!format!("{:?}", usergate_tests::audit_events(app.db_url())).contains("whsec_"));
        // Bad input is refused naming the field.
        for (body, field) in [
            (json!({"url": "ftp://x.example", "event_types": ["*"]}), "url"),
            (json!({"url": "https://x.example", "event_types": ["user.exploded"]}), "event_types"),
            (json!({"url": "https://x.example", "event_types": []}), "event_types"),
        ] {
            let r = app.call(Method::POST, "/v1/webhooks", Some(&key), Some(body)).await;
            assert_eq!((r.status, r.body["error"]["field"].as_str()), (400, Some(field)), "{}", r.body);
        }
        app.stop().await;
    }
}

/// `usergate serve` as its own process on `db`, listening on `port`.
fn serve(db: &str, port: u16) -> Child {
    let listen = format!("127.0.0.1:{port}");
    usergate_cli()
        .args([
            "serve",
            "--database-url",
            db,
            "--listen",
            &listen,
            "--admin-email",
            ADMIN_EMAIL,
        ])
        .args([
            "--admin-password",
            ADMIN_PASSWORD,
            "--jwt-secret",
            JWT_SECRET,
            "--shutdown-drain",
            "0s",
        ])
        .args(FAST_RETRIES)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve")
}

async fn wait_ready(port: u16) {
    let started = Instant::now();
    loop {
        let r = usergate_tests::client()
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await;
        if r.is_ok_and(|r| r.status().as_u16() == 200) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

both_backends! {
    async fn a_server_killed_after_the_commit_delivers_after_its_restart(kind) {
        let db = usergate_store::testdb::TestDb::of(kind);
        let port = free_port();
        let mut server = serve(db.url(), port);
        wait_ready(port).await;
        let key = {
            let core = usergate_server::commands::operator_core_at(db.url(), usergate_core::PasswordPolicy::default()).expect("core");
            let issued = core.users.create_credential(
                &usergate_core::Actor::system(usergate_core::Channel::Cli),
                usergate_core::machine::NewCredential {
                    kind: usergate_core::machine::CredentialKind::ApiKey,
                    owner: usergate_core::UserKey::Email(usergate_core::Email::parse(ADMIN_EMAIL).expect("email")),
                    name: None, scopes: vec![], expires_in: None,
                },
            ).expect("key");
            usergate_core::machine::api_key(&issued)
        };
        let hook_port = free_port();
        let call = |method: Method, path: &str, body: Value| {
            let req = usergate_tests::client()
                .request(method, format!("http://127.0.0.1:{port}{path}"))
                .bearer_auth(&key);
            async move { let mut r = req.send_json(&body).await.expect("call"); (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null)) }
        };
        let (status, body) = call(Method::POST, "/v1/webhooks", json!({"url": format!("http://127.0.0.1:{hook_port}/"), "event_types": ["user.created"]})).await;
        assert_eq!(status, 201, "{body}");
        let secret = body["data"]["secret"].as_str().expect("secret").to_owned();
        // The change commits; the receiver is down, so the event is still waiting when the
        // server dies without a chance to clean up.
        let (status, body) = call(Method::POST, "/v1/users", json!({"name": "K", "email": "killed@example.com"})).await;
        assert_eq!(status, 201, "{body}");
        server.kill().expect("SIGKILL");
        server.wait().expect("reaped");
        let receiver = Receiver::start(hook_port, &secret);
        let mut again = serve(db.url(), port);
        wait_ready(port).await;
        let got = deduplicated(&receiver.wait_for(1, 60).await);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["body"]["data"]["email"], "killed@example.com");
        again.kill().expect("kill");
        again.wait().expect("reaped");
    }
}
