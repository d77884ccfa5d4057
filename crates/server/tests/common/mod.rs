//! What the tests of the real binary share.

use std::io::{BufReader, Lines};
use std::process::{ChildStderr, Command};
use std::time::{Duration, Instant};

/// The `usergate` binary, without the operator's `USERGATE_*` or `DATABASE_URL` settings.
pub fn usergate() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_usergate"));
    for (k, _) in std::env::vars() {
        if k.starts_with("USERGATE_") || k == "DATABASE_URL" {
            c.env_remove(k);
        }
    }
    c
}

/// Reads `serve`'s JSON log lines (each kept in `seen`) until it says where it listens; that
/// address.
pub fn listening_addr(lines: &mut Lines<BufReader<ChildStderr>>, seen: &mut Vec<String>) -> String {
    let started = Instant::now();
    loop {
        let line = lines.next().expect("serve exited early").expect("line");
        let json: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
        seen.push(line);
        if json["message"] == "usergate is listening" {
            return json["addr"].as_str().expect("addr").to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no listening line"
        );
    }
}
