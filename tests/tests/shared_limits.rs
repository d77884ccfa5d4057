//! Rate limits shared through Redis, on PostgreSQL and SQLite: two instances on one database
//! and one Redis hold one login limit between them; with Redis stopped mid-test no request
//! answers 500 and logins stay limited (each instance at its share of the limit); with Redis
//! back, the limit is shared again. Each test runs a redis-server of its own on a free port,
//! so that it can stop it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use awc::http::Method;
use serde_json::json;
use usergate_tests::{ADMIN_EMAIL, TestApp, both_backends, call_at, client};

/// A redis-server on `port`, nothing saved.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start(port: u16) -> Redis {
        let bin =
            std::env::var("USERGATE_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&bin)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{bin} did not start ({e}): run scripts/test, which installs Redis")
            });
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis { child, port }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A wrong-password login through the email-keyed dialect at `addr`: its status.
async fn wrong_login(addr: std::net::SocketAddr, email: &str) -> u16 {
    let body = json!({"email": email, "password": "not the password at all"});
    call_at(
        &client(),
        addr,
        Method::POST,
        "/api/auth/token",
        None,
        Some(body),
    )
    .await
    .status
}

both_backends! {
    async fn two_instances_share_one_login_limit_and_survive_a_redis_outage(kind) {
        let mut redis = Redis::start(free_port());
        let url = redis.url();
        let flags = ["--redis-url", url.as_str(), "--login-throttle", "4/60s", "--instances-hint", "2"];
        let app = TestApp::spawn_with(kind, &flags).await;
        let other = app.another_instance_with(&flags).await;
        let token = app.admin_token().await;
        app.create_user(&token, "victim@example.com", "the right password 1").await;
        app.create_user(&token, "second@example.com", "the right password 2").await;
        let (a, b) = (app.addr, other.addr);

        // Shared: four failures in all, alternating instances, and the fifth is refused by
        // both (each alone would have allowed four).
        for i in 0..4 {
            let at = if i % 2 == 0 { a } else { b };
            assert_eq!(wrong_login(at, "victim@example.com").await, 401, "failure {i}");
        }
        assert_eq!(wrong_login(a, "victim@example.com").await, 429);
        assert_eq!(wrong_login(b, "victim@example.com").await, 429);
        let keys = Command::new("redis-cli").args(["-p", &redis.port.to_string(), "--scan", "--pattern", "ug:rl:*"]).output();
        if let Ok(out) = keys {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(!text.is_empty() && !text.contains("victim"), "hashed keys only: {text}");
        }

        // Redis goes away: nothing answers 500, reads go on, and each instance holds its share
        // of the login limit (4 / 2 = 2 failures).
        redis.stop();
        let key = app.api_key(ADMIN_EMAIL, None);
        for _ in 0..5 {
            let r = app.call(Method::GET, "/v1/users", Some(&key), None).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        assert_eq!(wrong_login(a, "second@example.com").await, 401);
        assert_eq!(wrong_login(a, "second@example.com").await, 401);
        assert_eq!(wrong_login(a, "second@example.com").await, 429, "this instance's share is spent");
        let r = app.call(Method::GET, "/api/users", Some("not-a-token"), None).await;
        assert_eq!(r.status, 401, "an anonymous request is still answered: {}", r.body);
        // The other instance has its own share: the right password works there.
        let right = json!({"email": "second@example.com", "password": "the right password 2"});
        let r = call_at(&client(), b, Method::POST, "/api/auth/token", None, Some(right)).await;
        assert_eq!(r.status, 200, "{}", r.body);

        // Redis is back (empty): after the breaker's pause the limit is shared again.
        let _redis = Redis::start(redis.port);
        actix_web::rt::time::sleep(Duration::from_millis(5500)).await;
        // The first call may find a pooled connection that died with the old server.
        let _ = wrong_login(b, "third@example.com").await;
        let started = Instant::now();
        let mut shared = false;
        while started.elapsed() < Duration::from_secs(20) {
            let fresh = format!("t{}@example.com", started.elapsed().as_millis());
            let mut statuses = Vec::new();
            for i in 0..5 {
                statuses.push(wrong_login(if i % 2 == 0 { a } else { b }, &fresh).await);
            }
            if statuses == [401, 401, 401, 401, 429] {
                shared = true;
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        }
        assert!(shared, "the limit was not shared again after Redis came back");
        other.stop().await;
        app.stop().await;
    }
}
