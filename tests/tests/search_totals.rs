//! Exact totals that are counted once and kept while the data does not change (core's cache,
//! `crates/core/src/cache.rs`), on PostgreSQL and SQLite: a kept total must follow every change,
//! whoever makes it.
//!
//! A search is counted, then paged (the kept total). Then users matching it are created,
//! renamed out of it and deleted through other dialects of the same instance (the next answer
//! is exact at once), through a second instance, and by a statement run straight on the
//! database, as an operator in `psql` or `sqlite3` would (the first instance's watcher sees
//! those within a poll; the test waits at most 5 s and prints how long it took).

use std::time::{Duration, Instant};

use awc::http::Method;
use serde_json::json;
use usergate_tests::{ADMIN_EMAIL, TestApp, both_backends, call_at, client};

/// The search's `pagination.total` and the page's length, from the generic dialect at `addr`.
async fn search(addr: std::net::SocketAddr, key: &str, page: u32) -> (u64, usize) {
    let r = call_at(
        &client(),
        addr,
        Method::GET,
        &format!("/v1/users?search=needle&limit=2&page={page}"),
        Some(key),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let total = r.body["pagination"]["total"].as_u64().expect("total");
    (total, r.body["data"].as_array().expect("data").len())
}

/// Waits (at most 5 s) until the search's total is `want`; returns how long it took.
async fn total_soon(addr: std::net::SocketAddr, key: &str, want: u64) -> Duration {
    let start = Instant::now();
    loop {
        let (total, _) = search(addr, key, 1).await;
        if total == want {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the total stayed {total}, not {want}, for 5 s"
        );
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Runs one statement on the database, outside usergate.
fn outside(app: &TestApp, kind: &str, sql: &str) {
    use diesel::prelude::*;
    let changed = if kind == "postgres" {
        let mut c = diesel::PgConnection::establish(app.db_url()).expect("connection");
        diesel::sql_query(sql).execute(&mut c)
    } else {
        let mut c = diesel::SqliteConnection::establish(app.db_url()).expect("connection");
        diesel::sql_query(sql).execute(&mut c)
    }
    .expect(sql);
    assert_eq!(changed, 1, "{sql}");
}

both_backends! {
    async fn a_kept_total_follows_every_change(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let root = app.admin_token().await;
        let df = app.df_admin_session().await;
        for i in 0..5 {
            let r = app
                .call(
                    Method::POST,
                    "/v1/users",
                    Some(&key),
                    Some(json!({"email": format!("needle{i}@example.com"), "name": format!("Needle {i}")})),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        app.create_user(&root, "plain@example.com", "plain password 01").await;
        assert_eq!(search(app.addr, &key, 1).await, (5, 2), "counted");
        assert_eq!(search(app.addr, &key, 3).await, (5, 1), "kept, and the page is read");

        // Changes through other dialects of this instance: exact at the next answer.
        let res = app
            .req(Method::POST, "/api/v2/system/user", None)
            .insert_header(("X-DreamFactory-Session-Token", df.clone()))
            .send_json(&json!({"resource": [{"email": "hay@example.com", "name": "Needle in hay"}]}))
            .await
            .expect("create");
        let r = usergate_tests::Reply::read(res).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let hay = r.body["resource"][0]["id"].as_i64().expect("id");
        assert_eq!(search(app.addr, &key, 1).await.0, 6, "a DreamFactory create");
        let r = app
            .req(Method::PATCH, &format!("/api/v2/system/user/{hay}"), None)
            .insert_header(("X-DreamFactory-Session-Token", df.clone()))
            .send_json(&json!({"name": "Hay"}))
            .await
            .expect("rename");
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(search(app.addr, &key, 1).await.0, 5, "a DreamFactory rename out of the search");
        let r = app.call(Method::DELETE, "/api/users/needle0@example.com", Some(&root), None).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(search(app.addr, &key, 1).await.0, 4, "an email-keyed delete");

        // Another instance's create, and a statement run outside usergate.
        let b = app.another_instance().await;
        let r = call_at(
            &client(),
            b.addr,
            Method::POST,
            "/v1/users",
            Some(&key),
            Some(json!({"email": "needle9@example.com", "name": "Needle 9"})),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let took = total_soon(app.addr, &key, 5).await;
        eprintln!("{kind}: a create on another instance reached the kept total in {took:?}");
        outside(
            &app,
            kind,
            "UPDATE users SET name = 'Needle outside' WHERE email_normalized = 'plain@example.com'",
        );
        let took = total_soon(app.addr, &key, 6).await;
        eprintln!("{kind}: a rename outside usergate reached the kept total in {took:?}");
        assert_eq!(search(b.addr, &key, 3).await, (6, 2), "the other instance agrees");
        b.stop().await;
        app.stop().await;
    }
}
