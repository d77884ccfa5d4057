//! The cache of recently checked credentials (`crates/core/src/cache.rs`), on PostgreSQL and
//! SQLite: it must never let a stopped credential through.
//!
//! One admin owns one credential of each kind (an email-keyed token, a DreamFactory session, a
//! Domo access token, a generic API key); each is used once first, so that it is cached. Then:
//! - a change through the same instance stops each at once (the next request);
//! - a change through another instance, a DreamFactory logout there, and a key revoked with
//!   the operator's CLI stop them on the first instance as soon as its watcher sees the
//!   database change (a PostgreSQL notification or SQLite's `data_version`, polled every
//!   10 ms); the test waits at most 5 s for it and prints how long it took;
//! - on PostgreSQL, a watcher whose connection is killed turns the cache off (fail closed): a
//!   change it cannot hear about still stops the credential at once.

use std::time::{Duration, Instant};

use awc::http::Method;
use serde_json::json;
use usergate_core::Actor;
use usergate_server::Running;
use usergate_tests::{ADMIN_EMAIL, Reply, TestApp, both_backends, call_at, client};

const PW: &str = "owner password 0001";
const OWNER: &str = "owner@example.com";

/// One credential of each kind, owned by [`OWNER`].
struct Credentials {
    email_keyed: String,
    dreamfactory: String,
    domo: String,
    api_key: String,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    EmailKeyed,
    DreamFactory,
    Domo,
    ApiKey,
}

const KINDS: [Kind; 4] = [
    Kind::EmailKeyed,
    Kind::DreamFactory,
    Kind::Domo,
    Kind::ApiKey,
];

async fn setup(app: &TestApp) -> (Credentials, String) {
    let root = app.admin_token().await;
    app.create_admin(&root, OWNER, PW).await;
    let (id, secret) = app.domo_client(OWNER, &["user"]);
    let creds = Credentials {
        email_keyed: app.token(OWNER, PW).await,
        dreamfactory: app.df_admin_session_of(OWNER, PW).await,
        domo: app.domo_token(&id, &secret).await,
        api_key: app.api_key(OWNER, None),
    };
    (creds, root)
}

/// A read of the user list with one credential, at `addr`.
async fn read_with(addr: std::net::SocketAddr, creds: &Credentials, kind: Kind) -> Reply {
    let c = client();
    let (header, value, path) = match kind {
        Kind::EmailKeyed => (
            "Authorization",
            format!("Bearer {}", creds.email_keyed),
            "/api/users",
        ),
        Kind::DreamFactory => (
            "X-DreamFactory-Session-Token",
            creds.dreamfactory.clone(),
            "/api/v2/system/user?limit=1",
        ),
        Kind::Domo => (
            "Authorization",
            format!("bearer {}", creds.domo),
            "/domo/v1/users?limit=1",
        ),
        Kind::ApiKey => (
            "Authorization",
            format!("Bearer {}", creds.api_key),
            "/v1/users?limit=1",
        ),
    };
    let res = c
        .request(Method::GET, format!("http://{addr}{path}"))
        .insert_header((header, value))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    Reply::read(res).await
}

/// Whether a credential was refused as stopped (each dialect's own code for it).
fn refused(r: &Reply) -> bool {
    matches!(r.status, 401 | 403)
}

async fn all_work(addr: std::net::SocketAddr, creds: &Credentials) {
    for kind in KINDS {
        let r = read_with(addr, creds, kind).await;
        assert_eq!(r.status, 200, "{kind:?} before the change: {}", r.body);
    }
}

/// Waits (at most 5 s) until the credential is refused at `addr`; returns how long it took.
async fn refused_soon(addr: std::net::SocketAddr, creds: &Credentials, kind: Kind) -> Duration {
    let start = Instant::now();
    loop {
        let r = read_with(addr, creds, kind).await;
        if refused(&r) {
            return start.elapsed();
        }
        assert_eq!(r.status, 200, "{kind:?}: {}", r.body);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{kind:?} still works 5 s after the change"
        );
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn owner_id(app: &TestApp, root: &str) -> String {
    let r = app
        .call(
            Method::GET,
            &format!("/api/users/{OWNER}"),
            Some(root),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let key = app.api_key(ADMIN_EMAIL, None);
    let r = app
        .call(Method::GET, "/v1/users?search=owner@", Some(&key), None)
        .await;
    r.body["data"][0]["id"].as_str().expect("id").to_owned()
}

async fn suspend_at(addr: std::net::SocketAddr, key: &str, id: &str, status: &str) {
    let r = call_at(
        &client(),
        addr,
        Method::PATCH,
        &format!("/v1/users/{id}"),
        Some(key),
        Some(json!({ "status": status })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

both_backends! {
    async fn a_change_through_the_same_instance_stops_every_credential_at_once(kind) {
        let app = TestApp::spawn(kind).await;
        let (creds, root) = setup(&app).await;
        let id = owner_id(&app, &root).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        all_work(app.addr, &creds).await;
        all_work(app.addr, &creds).await; // now from the cache
        suspend_at(app.addr, &key, &id, "suspended").await;
        for kind in KINDS {
            let r = read_with(app.addr, &creds, kind).await;
            assert!(refused(&r), "{kind:?} right after the suspension: {} {}", r.status, r.body);
        }
        // Active again: the API key (a credential of its own) works again; tokens issued
        // before the suspension stay dead.
        suspend_at(app.addr, &key, &id, "active").await;
        assert_eq!(read_with(app.addr, &creds, Kind::ApiKey).await.status, 200);
        for kind in [Kind::EmailKeyed, Kind::DreamFactory, Kind::Domo] {
            assert!(refused(&read_with(app.addr, &creds, kind).await), "{kind:?}");
        }
        app.stop().await;
    }

    async fn changes_made_elsewhere_reach_the_cache(kind) {
        let app = TestApp::spawn(kind).await;
        let (creds, root) = setup(&app).await;
        let id = owner_id(&app, &root).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        let b: Running = app.another_instance().await;
        all_work(app.addr, &creds).await;
        all_work(app.addr, &creds).await;
        // A DreamFactory logout on the other instance revokes that one session.
        let res = client()
            .request(Method::DELETE, format!("http://{}/api/v2/system/admin/session", b.addr))
            .insert_header(("X-DreamFactory-Session-Token", creds.dreamfactory.clone()))
            .send()
            .await
            .expect("logout");
        let r = Reply::read(res).await;
        assert_eq!(r.status, 200, "logout: {}", r.body);
        let took = refused_soon(app.addr, &creds, Kind::DreamFactory).await;
        eprintln!("{kind}: a logout on another instance reached the cache in {took:?}");
        assert_eq!(read_with(app.addr, &creds, Kind::EmailKeyed).await.status, 200, "only that session");
        // The operator's CLI revokes the API key.
        let key_id = creds.api_key.split('_').nth(1).expect("key id").to_owned();
        let operator = usergate_server::commands::operator_core_at(
            app.db_url(),
            usergate_core::PasswordPolicy::default(),
        )
        .expect("operator core");
        operator.users.revoke_credential(&Actor::system(usergate_core::Channel::Cli), &key_id).expect("revoke");
        let took = refused_soon(app.addr, &creds, Kind::ApiKey).await;
        eprintln!("{kind}: a key revoked with the CLI reached the cache in {took:?}");
        // A suspension through the other instance stops the rest.
        suspend_at(b.addr, &key, &id, "suspended").await;
        for kind_ in [Kind::EmailKeyed, Kind::Domo] {
            let took = refused_soon(app.addr, &creds, kind_).await;
            eprintln!("{kind}: a suspension on another instance stopped {kind_:?} in {took:?}");
        }
        b.stop().await;
        app.stop().await;
    }
}

/// A watcher that loses its connection turns the cache off: a change it cannot hear about
/// (made while it is away) still stops a cached credential at once.
#[actix_web::test]
async fn a_watcher_without_its_connection_turns_the_cache_off() {
    use diesel::prelude::*;
    let app = TestApp::spawn("postgres").await;
    let (creds, root) = setup(&app).await;
    let id = owner_id(&app, &root).await;
    all_work(app.addr, &creds).await;
    all_work(app.addr, &creds).await;
    let name = app.db_url().rsplit('/').next().expect("name").to_owned();
    let admin = format!("{}/postgres", usergate_store::testdb::pg_admin_url());
    let mut conn = diesel::PgConnection::establish(&admin).expect("admin connection");
    let killed = diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND query IN ('LISTEN usergate_auth', \
         'SELECT pg_current_snapshot()::text AS snapshot')"
    ))
    .execute(&mut conn)
    .expect("terminate");
    assert!(killed >= 1, "the watcher's connection was found");
    // The watcher notices within one poll; its next connection comes a second later.
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    // Suspend the owner without telling anyone: the trigger is off for this one transaction.
    use diesel::connection::SimpleConnection;
    let mut db = diesel::PgConnection::establish(app.db_url()).expect("connection");
    db.batch_execute(&format!(
        "BEGIN; ALTER TABLE users DISABLE TRIGGER users_auth_changed; \
         UPDATE users SET status = 'suspended', credentials_version = credentials_version + 1 \
         WHERE id = {}; ALTER TABLE users ENABLE TRIGGER users_auth_changed; COMMIT;",
        id.trim_start_matches("usr_")
    ))
    .expect("silent suspension");
    for kind in KINDS {
        let r = read_with(app.addr, &creds, kind).await;
        assert!(
            refused(&r),
            "{kind:?} with the watcher away: {} {}",
            r.status,
            r.body
        );
    }
    app.stop().await;
}
