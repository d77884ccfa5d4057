//! Durability of the real binary on PostgreSQL and SQLite: a write load runs while the server is
//! killed with `SIGKILL`; after a restart on the same database every acknowledged write is there
//! (creates, and the last acknowledged rename of each user). Writes in flight at the kill may
//! or may not have happened; nothing acknowledged may be lost. (SQLite runs in WAL mode with
//! `synchronous = NORMAL`: durable across a crash of the process, which this is.)

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use awc::Client;
use serde_json::{Value, json};
use usergate_store::testdb::TestDb;

mod common;

const ADMIN: &str = "admin@durable.test";
const PASSWORD: &str = "durable password 01";

/// Starts `usergate serve` on `url`; its address. Its logs are drained by a thread.
fn serve(url: &str) -> (Child, String) {
    let mut child = common::usergate()
        .args(["serve", "--listen", "127.0.0.1:0", "--shutdown-drain", "0s"])
        .args(["--database-url", url, "--admin-email", ADMIN])
        .args(["--admin-password", PASSWORD, "--workers", "2"])
        .args(["--jwt-secret", "durable-secret-durable-secret-0123456789"])
        .args([
            "--anon-rate-limit",
            "100000/60s",
            "--login-throttle",
            "100000/60s",
        ])
        .env("USERGATE_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn usergate");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = common::listening_addr(&mut lines, &mut Vec::new());
    // One log line per request: keep the pipe drained.
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    (child, addr)
}

async fn session(client: &Client, addr: &str) -> String {
    let mut r = client
        .post(format!("http://{addr}/api/v2/system/admin/session"))
        .send_json(&json!({"email": ADMIN, "password": PASSWORD}))
        .await
        .expect("login");
    let body: Value = r.json().await.expect("json");
    body["session_token"].as_str().expect("session").to_owned()
}

/// What the load saw acknowledged for one user: its id, the last acknowledged name, and a
/// rename in flight when the server died (either name is then acceptable).
#[derive(Debug, Default, Clone)]
struct Acked {
    id: i64,
    name: String,
    in_flight: Option<String>,
}

type Ledger = Rc<RefCell<HashMap<String, Acked>>>;

/// Creates and renames users until the server stops answering.
async fn writer(client: Client, addr: String, token: String, worker: usize, ledger: Ledger) {
    for i in 0.. {
        let email = format!("w{worker}-{i}@durable.test");
        let name = format!("Created {worker}-{i}");
        let res = client
            .post(format!("http://{addr}/api/v2/system/user"))
            .insert_header(("X-DreamFactory-Session-Token", token.as_str()))
            .send_json(&json!({"resource": [{"email": email, "name": name}]}))
            .await;
        let Ok(mut res) = res else { return };
        let Ok(body) = res.json::<Value>().await else {
            return;
        };
        assert_eq!(res.status().as_u16(), 201, "{body}");
        let id = body["resource"][0]["id"].as_i64().expect("id");
        ledger.borrow_mut().insert(
            email.clone(),
            Acked {
                id,
                name,
                in_flight: None,
            },
        );
        let renamed = format!("Renamed {worker}-{i}");
        if let Some(a) = ledger.borrow_mut().get_mut(&email) {
            a.in_flight = Some(renamed.clone());
        }
        let res = client
            .patch(format!("http://{addr}/api/v2/system/user/{id}"))
            .insert_header(("X-DreamFactory-Session-Token", token.as_str()))
            .send_json(&json!({"name": renamed}))
            .await;
        let Ok(mut res) = res else { return };
        if res.body().await.is_err() {
            return;
        }
        assert_eq!(res.status().as_u16(), 200);
        if let Some(a) = ledger.borrow_mut().get_mut(&email) {
            a.name = renamed;
            a.in_flight = None;
        }
    }
}

async fn killed_under_load_loses_no_acknowledged_write(kind: &str) {
    let db = TestDb::of(kind);
    let (mut child, addr) = serve(db.url());
    let client = Client::builder().timeout(Duration::from_secs(30)).finish();
    let token = session(&client, &addr).await;
    let ledger: Ledger = Rc::default();
    let writers = (0..8).map(|w| {
        writer(
            client.clone(),
            addr.clone(),
            token.clone(),
            w,
            ledger.clone(),
        )
    });
    let killer = {
        let ledger = ledger.clone();
        async move {
            let started = Instant::now();
            while ledger.borrow().len() < 300 && started.elapsed() < Duration::from_secs(20) {
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped")
        }
    };
    let (_, status) =
        futures_util::future::join(futures_util::future::join_all(writers), killer).await;
    assert!(!status.success(), "killed, not exited");
    let acked = ledger.borrow().clone();
    assert!(
        acked.len() >= 50,
        "too little load to mean anything: {}",
        acked.len()
    );

    let (mut child, addr) = serve(db.url());
    let token = session(&client, &addr).await;
    for (email, a) in &acked {
        let mut r = client
            .get(format!("http://{addr}/api/v2/system/user/{}", a.id))
            .insert_header(("X-DreamFactory-Session-Token", token.as_str()))
            .send()
            .await
            .expect("read");
        let body: Value = r.json().await.expect("json");
        assert_eq!(
            r.status().as_u16(),
            200,
            "{email} was acknowledged and is gone: {body}"
        );
        assert_eq!(body["email"], json!(email));
        let name = body["name"].as_str().unwrap_or_default();
        assert!(
            name == a.name || a.in_flight.as_deref() == Some(name),
            "{email}: acknowledged {a:?}, found {name}"
        );
    }
    child.kill().expect("stop");
    child.wait().expect("reaped");
}

#[actix_web::test]
async fn postgres_killed_under_load_loses_no_acknowledged_write() {
    killed_under_load_loses_no_acknowledged_write("postgres").await;
}

#[actix_web::test]
async fn sqlite_killed_under_load_loses_no_acknowledged_write() {
    killed_under_load_loses_no_acknowledged_write("sqlite").await;
}
