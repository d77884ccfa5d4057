//! Input limits, on PostgreSQL and SQLite, for every dialect: bodies over the cap (declared and
//! chunked), headers over 32 KiB, request targets over 8 KiB, JSON nested 10,000 deep, invalid
//! UTF-8 in the body and in a path segment, and DreamFactory filters of 100 kB and nested 1,000
//! levels deep. Each gets a 4xx in the dialect's own envelope, the server keeps serving, and
//! nothing is written. (How fast each refusal is belongs in the benchmarks, not here.)

use awc::http::Method;
use awc::http::header::CONTENT_TYPE;
use futures_util::stream;
use serde_json::Value;
use usergate_tests::{ADMIN_EMAIL, Reply, TestApp, both_backends};

#[derive(Clone, Copy, Debug)]
enum Dialect {
    EmailKeyed,
    DreamFactory,
    Domo,
    Generic,
}

use Dialect::{Domo, DreamFactory, EmailKeyed, Generic};

struct Target {
    dialect: Dialect,
    /// The credential header.
    auth: (&'static str, String),
    /// A collection that takes a JSON `POST`.
    create: &'static str,
    /// A member path, to which a long or broken segment is appended.
    member: &'static str,
}

/// Checks the dialect's error envelope for `status`.
fn assert_envelope(d: Dialect, r: &Reply, status: u16, at: &str) {
    assert_eq!(r.status, status, "{at}: {}", r.body);
    let ok = match d {
        EmailKeyed => r.body["message"].is_string(),
        DreamFactory => r.body["error"]["code"] == status && r.body["error"]["message"].is_string(),
        Domo => r.body["status"] == status && r.body["toe"].is_string(),
        Generic => r.body["success"] == false && r.body["error"]["code"].is_string(),
    };
    assert!(ok, "{at}: not {d:?}'s envelope: {}", r.body);
}

async fn send(
    app: &TestApp,
    t: &Target,
    method: Method,
    path: &str,
    extra: Option<(&str, String)>,
    body: Option<Vec<u8>>,
) -> Reply {
    let mut req = app.req(method, path, None).insert_header(t.auth.clone());
    if let Some(h) = extra {
        req = req.insert_header(h);
    }
    let res = match body {
        Some(b) => {
            req.insert_header((CONTENT_TYPE, "application/json"))
                .send_body(b)
                .await
        }
        None => req.send().await,
    };
    Reply::read(res.unwrap_or_else(|e| panic!("{}...: {e}", &path[..path.len().min(80)]))).await
}

/// Sends `GET target` over a plain socket (the HTTP client refuses targets over 64 KiB) and
/// reads the status code.
fn raw_status(app: &TestApp, target: &str, auth: &(&str, String)) -> u16 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(app.addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: usergate\r\n{}: {}\r\nConnection: close\r\n\r\n",
        auth.0, auth.1
    );
    s.write_all(request.as_bytes()).expect("write");
    let mut head = [0u8; 12];
    s.read_exact(&mut head).expect("a status line");
    let line = String::from_utf8_lossy(&head);
    line.get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not a status line: {line}"))
}

async fn user_count(app: &TestApp, key: &str) -> Value {
    let r = app
        .call(Method::GET, "/v1/users?limit=1", Some(key), None)
        .await;
    r.body["pagination"]["total"].clone()
}

both_backends! {
    async fn oversized_and_malformed_requests_get_clean_refusals(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let (client, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let targets = [
            Target { dialect: EmailKeyed, auth: ("Authorization", format!("Bearer {}", app.admin_token().await)), create: "/api/users", member: "/api/users/" },
            Target { dialect: DreamFactory, auth: ("X-DreamFactory-Session-Token", app.df_admin_session().await), create: "/api/v2/system/user", member: "/api/v2/system/user/" },
            Target { dialect: Domo, auth: ("Authorization", format!("bearer {}", app.domo_token(&client, &secret).await)), create: "/domo/v1/users", member: "/domo/v1/users/" },
            Target { dialect: Generic, auth: ("Authorization", format!("Bearer {key}")), create: "/v1/users", member: "/v1/users/" },
        ];
        let before = user_count(&app, &key).await;
        let cap = 256 * 1024;
        for t in &targets {
            let d = t.dialect;
            // A declared body over the cap.
            let big = format!("{{\"email\":\"a@example.com\",\"name\":\"{}\"}}", "x".repeat(cap));
            let r = send(&app, t, Method::POST, t.create, None, Some(big.clone().into_bytes())).await;
            assert_envelope(d, &r, 413, &format!("{d:?} declared body"));
            // The same body chunked (no length): capped while read.
            let chunks = big.into_bytes().chunks(16 * 1024).map(|c| Ok::<_, std::io::Error>(actix_web::web::Bytes::copy_from_slice(c))).collect::<Vec<_>>();
            let res = app.req(Method::POST, t.create, None).insert_header(t.auth.clone())
                .insert_header((CONTENT_TYPE, "application/json")).send_stream(stream::iter(chunks)).await;
            let r = Reply::read(res.expect("chunked")).await;
            assert_envelope(d, &r, 413, &format!("{d:?} chunked body"));
            // Headers over 32 KiB.
            let r = send(&app, t, Method::GET, t.create, Some(("X-Padding", "p".repeat(40 * 1024))), None).await;
            assert_envelope(d, &r, 431, &format!("{d:?} headers"));
            // A path segment over 8 KiB, and one under it.
            let r = send(&app, t, Method::GET, &format!("{}{}", t.member, "9".repeat(10 * 1024)), None, None).await;
            assert_envelope(d, &r, 414, &format!("{d:?} long path"));
            let r = send(&app, t, Method::GET, &format!("{}{}", t.member, "9".repeat(4 * 1024)), None, None).await;
            assert!(matches!(r.status, 400 | 404), "{d:?} 4 KiB segment: {} {}", r.status, r.body);
            // Invalid UTF-8, percent-encoded in a path segment.
            let r = send(&app, t, Method::GET, &format!("{}%ff%fe%C0%AF", t.member), None, None).await;
            assert!(matches!(r.status, 400 | 404), "{d:?} bad UTF-8 segment: {} {}", r.status, r.body);
            // JSON nested 10,000 deep; invalid UTF-8 in a JSON string.
            let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
            let r = send(&app, t, Method::POST, t.create, None, Some(deep.into_bytes())).await;
            assert_envelope(d, &r, 400, &format!("{d:?} deep JSON"));
            let mut bad = br#"{"email":"x@example.com","name":"#.to_vec();
            bad.extend_from_slice(b"\"\xff\xfe\"}");
            let r = send(&app, t, Method::POST, t.create, None, Some(bad)).await;
            assert_envelope(d, &r, 400, &format!("{d:?} invalid UTF-8 body"));
        }
        // DreamFactory filters: 60 kB (over the request-target limit), 100 kB (over what the
        // HTTP layer takes as a request target: refused before any dialect, with an empty
        // 400), and 1,000 levels deep.
        let df = &targets[1];
        let long = format!("/api/v2/system/user?filter=name%3D%27{}%27", "x".repeat(60_000));
        let r = send(&app, df, Method::GET, &long, None, None).await;
        assert_envelope(DreamFactory, &r, 414, "60 kB filter");
        let long = format!("/api/v2/system/user?filter=name%3D%27{}%27", "x".repeat(100_000));
        assert_eq!(raw_status(&app, &long, &df.auth), 400, "100 kB filter");
        let deep = format!("/api/v2/system/user?filter={}id%3D1{}", "(".repeat(1000), ")".repeat(1000));
        let r = send(&app, df, Method::GET, &deep, None, None).await;
        assert_envelope(DreamFactory, &r, 400, "filter 1,000 deep");
        let deep = format!("/api/v2/system/user?filter={}", "not%20".repeat(1000) + "id%3D1");
        let r = send(&app, df, Method::GET, &deep, None, None).await;
        assert_envelope(DreamFactory, &r, 400, "1,000 NOTs");
        // Still serving, and nothing was written.
        assert_eq!(app.call(Method::GET, "/healthz", None, None).await.status, 200);
        assert_eq!(user_count(&app, &key).await, before);
        app.stop().await;
    }
}
