//! The `usergate` binary as an operator runs it: commands, output, exit codes, signals.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

mod common;
use common::usergate;

#[test]
fn openapi_prints_the_committed_documents() {
    for dialect in ["email-keyed", "dreamfactory"] {
        let out = usergate().args(["openapi", dialect]).output().expect("run");
        assert!(out.status.success());
        let committed = std::fs::read_to_string(format!(
            "{}/../../openapi/{dialect}.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("committed document");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim_end(),
            committed.trim_end(),
            "{dialect}"
        );
    }
}

#[test]
fn migrate_then_admin_create_prints_credentials_once() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("u.db");
    let db = db.to_str().expect("path");
    let out = usergate()
        .args(["migrate", "--database-url", db])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied: "));
    let out = usergate()
        .args(["migrate"])
        .env("DATABASE_URL", db)
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "migrations: up to date"
    );

    let out = usergate()
        .args(["admin", "create", "--email", "ops@example.com"])
        .env("USERGATE_DATABASE_URL", db)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("id: "), "{stdout}");
    assert_eq!(lines[1], "email: ops@example.com");
    let password = lines[2]
        .strip_prefix("password: ")
        .expect("generated password");
    assert!(password.len() >= 20);
    assert!(!String::from_utf8_lossy(&out.stderr).contains(password));

    let out = usergate()
        .args(["admin", "create", "--email", "OPS@example.com", "--json"])
        .args(["--database-url", db])
        .env("USERGATE_NEW_ADMIN_PASSWORD", "given password 1")
        .output()
        .expect("run");
    assert!(!out.status.success(), "the address is taken");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("usergate: "));
    let out = usergate()
        .args(["admin", "create", "--email", "two@example.com", "--json"])
        .args(["--database-url", db])
        .env("USERGATE_NEW_ADMIN_PASSWORD", "given password 1")
        .output()
        .expect("run");
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["email"], "two@example.com");
    assert!(json["id"].is_i64());
    assert!(
        json.get("password").is_none(),
        "a given password is not echoed"
    );
}

#[test]
fn bad_settings_fail_with_a_message() {
    let out = usergate()
        .args(["migrate", "--database-url", "mysql://localhost/db"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported database URL"), "{err}");
    let out = usergate()
        .args(["serve", "--anon-rate-limit", "lots"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("10/60s"));
}

#[test]
fn serve_bootstraps_an_admin_logs_json_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("u.db");
    let mut child = usergate()
        .args(["serve", "--listen", "127.0.0.1:0", "--shutdown-drain", "0s"])
        .args(["--database-url", db.to_str().expect("path")])
        .env("USERGATE_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut logs = Vec::new();
    let mut lines = BufReader::new(stderr).lines();
    let addr = common::listening_addr(&mut lines, &mut logs);
    assert!(addr.starts_with("127.0.0.1:"));
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    logs.extend(lines.map_while(Result::ok));
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "graceful exit after SIGTERM");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("the generated password is printed");
    assert!(stdout.contains("email: admin@usergate.local"));
    let all_logs = logs.join("\n");
    assert!(
        !all_logs.contains(password),
        "the password never reaches the logs"
    );
    assert!(all_logs.contains("created the first admin"));
    assert!(all_logs.contains("\"stopped\"") || all_logs.contains("stopped"));
}
