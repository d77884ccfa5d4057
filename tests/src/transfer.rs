//! Driving `usergate import` and `usergate export`: in this process (through the CLI's own
//! parsing) or as the binary, and reading back what they wrote.

use std::path::{Path, PathBuf};

use clap::Parser;
use usergate_core::ports;
use usergate_server::config::Command;
use usergate_server::transfer::{self, ImportSummary};
use usergate_server::{Cli, StartError};
use usergate_store::Store;

/// Runs `usergate import <args>` in this process.
pub fn import(url: &str, args: &[&str]) -> Result<ImportSummary, StartError> {
    let mut argv = vec!["usergate", "import", "--database-url", url];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv).map(|c| c.command) {
        Ok(Command::Import(a)) => transfer::import(&a),
        other => panic!("bad import flags: {other:?}"),
    }
}

/// Runs `usergate export <args> --output <dir>/<name>` in this process; returns the file.
pub fn export(url: &str, dir: &Path, name: &str, args: &[&str]) -> String {
    let out = dir.join(name);
    let out_s = out.to_str().expect("path");
    let mut argv = vec![
        "usergate",
        "export",
        "--database-url",
        url,
        "--output",
        out_s,
    ];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv).map(|c| c.command) {
        Ok(Command::Export(a)) => {
            transfer::export(&a).expect("export");
        }
        other => panic!("bad export flags: {other:?}"),
    }
    std::fs::read_to_string(&out).expect("exported file")
}

/// Writes `text` to the file `name` in `dir`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// A path as the text a command line takes.
pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The stored hash and credentials version of a live user.
pub fn stored(url: &str, email: &str) -> (Option<String>, i64) {
    let store = Store::open(url, Some(1)).expect("store");
    let c = ports::read(&store, |repo| Ok(repo.credentials(&email.to_lowercase())?))
        .expect("read")
        .unwrap_or_else(|| panic!("no user {email}"));
    (c.password_hash, c.credentials_version)
}

/// A live user.
pub fn user(url: &str, email: &str) -> usergate_core::User {
    let store = Store::open(url, Some(1)).expect("store");
    let key = usergate_core::UserKey::Email(usergate_core::Email::parse(email).expect("email"));
    ports::read(&store, |repo| Ok(repo.find(&key)?))
        .expect("read")
        .unwrap_or_else(|| panic!("no user {email}"))
}

/// Live users in the store.
pub fn live_count(url: &str) -> usize {
    let store = Store::open(url, Some(1)).expect("store");
    let mut n = 0;
    let mut after = None;
    loop {
        let page =
            ports::read(&store, |repo| Ok(repo.export_page(after, 1000, false)?)).expect("page");
        let Some(last) = page.last() else { return n };
        after = Some(last.user.id);
        n += page.len();
    }
}

/// `usergate import` as its own process, with its output discarded.
pub fn usergate_process(url: &str, args: &[&str]) -> std::process::Child {
    usergate_command(url, args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn usergate")
}

/// `usergate import` as its own process: the binary beside this test's, built by the same
/// `cargo nextest run --workspace`.
pub fn usergate_command(url: &str, args: &[&str]) -> std::process::Command {
    let mut command = usergate_cli();
    command.args(["import", "--database-url", url]).args(args);
    command
}

/// The `usergate` binary beside this test's, as a command with no arguments yet.
pub fn usergate_cli() -> std::process::Command {
    let exe = std::env::current_exe().expect("exe");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("usergate"))
        .filter(|b| b.exists())
        .unwrap_or_else(|| {
            panic!(
                "no usergate binary beside {}: cargo build -p usergate-server",
                exe.display()
            )
        });
    std::process::Command::new(bin)
}
