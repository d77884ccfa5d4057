//! `usergate import` with files as they come: bad records in the middle reported with their
//! place, an import killed and resumed, the exit code (and a clean exit), and the memory of a
//! big import, on real PostgreSQL and SQLite.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use usergate_store::Store;
use usergate_store::testdb::TestDb;
use usergate_tests::transfer::{
    import, live_count, path_str, usergate_command, usergate_process, write,
};
use usergate_tests::{TestApp, both_backends};

both_backends! {
    async fn bad_records_in_the_middle_are_reported_and_the_rest_imported(kind) {
        let dir = tempfile::tempdir().expect("dir");
        let app = TestApp::spawn(kind).await;
        let csv = write(dir.path(), "m.csv", "\
email,name,role,password_hash
one@example.com,One,user,
two@example.com,Two,user
three@example.com,Three,owner,
four@example.com,Four,user,$1$md5crypt$notsupported
five@example.com,\"Five, V\",user,
");
        let done = import(app.db_url(), &[path_str(&csv)]).expect("import");
        assert_eq!((done.tally.records, done.tally.created, done.tally.rejected), (5, 2, 3));
        let report = std::fs::read_to_string(&done.report).expect("report");
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines[0], "line,record,email,field,reason");
        assert!(lines[1].starts_with("3,2,,record,3 fields where the header has 4"), "{report}");
        assert!(lines[2].starts_with("4,3,three@example.com,role,\"not one of:"), "{report}");
        assert!(lines[3].starts_with("5,4,four@example.com,password_hash,\"not a recognised password hash"), "{report}");
        let jsonl = write(dir.path(), "m.jsonl", "\
{\"email\": \"six@example.com\"}

{\"email\": \"seven@example.com\", \"name\": \n{\"email\": \"eight@example.com\", \"colour\": \"blue\"}
[1, 2]
{\"email\": \"nine@example.com\", \"status\": \"suspended\"}
");
        let done = import(app.db_url(), &[path_str(&jsonl)]).expect("import");
        assert_eq!((done.tally.created, done.tally.rejected), (2, 3));
        let report = std::fs::read_to_string(&done.report).expect("report");
        assert!(report.contains("\n3,2,,record,not JSON"), "{report}");
        assert!(report.contains("\n4,3,eight@example.com,colour,unknown field"), "{report}");
        assert!(report.contains("\n5,4,,record,not a JSON object"), "{report}");
        // A JSON listing with a bad record reports the line the record starts on.
        let df = write(dir.path(), "df.json", "{\"resource\": [\n  {\"email\": \"ten@example.com\"},\n  {\"email\": \"not-an-address\",\n   \"name\": \"X\"},\n  {\"email\": \"eleven@example.com\"}\n]}\n");
        let done = import(app.db_url(), &["--format", "dreamfactory", path_str(&df)]).expect("import");
        assert_eq!((done.tally.created, done.tally.rejected), (2, 1));
        let report = std::fs::read_to_string(&done.report).expect("report");
        assert!(report.contains("\n3,2,not-an-address,email,not a valid email address"), "{report}");
        // On one line, the record's index tells which record it is.
        let one_line = write(dir.path(), "one.json", r#"[{"name": "F", "email": "fourteen@example.com", "role": "Social"}, {"name": "N", "email": "nope", "role": "Social"}]"#);
        let done = import(app.db_url(), &["--format", "domo", path_str(&one_line)]).expect("import");
        assert_eq!((done.tally.created, done.tally.rejected), (1, 1));
        let report = std::fs::read_to_string(&done.report).expect("report");
        assert!(report.contains("\n1,2,nope,email,not a valid email address"), "{report}");
        // A listing that is not valid JSON stops before anything is written.
        let broken = write(dir.path(), "broken.json", "[{\"email\": \"twelve@example.com\"}, {\"email\": ");
        let before = live_count(app.db_url());
        let err = import(app.db_url(), &["--format", "domo", path_str(&broken)]).expect_err("broken");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        assert_eq!(live_count(app.db_url()), before);
        // A dry run checks everything and writes nothing.
        let more = write(dir.path(), "more.csv", "email\nthirteen@example.com\none@example.com\n");
        let dry = import(app.db_url(), &["--dry-run", path_str(&more)]).expect("dry");
        assert_eq!((dry.tally.created, dry.tally.rejected), (1, 1));
        assert_eq!(live_count(app.db_url()), before);
        let real = import(app.db_url(), &[path_str(&more)]).expect("real");
        assert_eq!(real.tally, dry.tally, "a dry run predicts the import");
    }

    async fn an_import_killed_midway_resumes_without_duplicates(kind) {
        let dir = tempfile::tempdir().expect("dir");
        let db = TestDb::of(kind);
        Store::migrate(db.url()).expect("migrate");
        let rows = 30_000;
        let file = big_csv(dir.path(), rows);
        let args = ["--batch-size", "200", path_str(&file)];
        let mut child = usergate_process(db.url(), &args);
        // Kill it once some batches are committed and before the last.
        let started = Instant::now();
        loop {
            let n = live_count(db.url());
            if n > 0 {
                assert!(n < rows, "the import finished before it could be interrupted");
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "no batch committed");
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().expect("kill");
        child.wait().expect("wait");
        let partial = live_count(db.url());
        assert!(partial > 0 && partial < rows && partial.is_multiple_of(200), "whole batches only: {partial}");
        let done = import(db.url(), &args).expect("resume");
        assert_eq!(live_count(db.url()), rows);
        assert_eq!((done.tally.records, done.tally.created, done.tally.rejected), (rows as u64, rows as u64, 0));
        let again = import(db.url(), &args).expect("again");
        assert_eq!(again.tally, done.tally, "a finished import does nothing");
        assert_eq!(live_count(db.url()), rows);
    }

    async fn the_exit_code_says_whether_anything_was_rejected(kind) {
        let dir = tempfile::tempdir().expect("dir");
        let db = TestDb::of(kind);
        let run = |file: &Path| {
            let out = usergate_command(db.url(), &[path_str(file)]).output().expect("run");
            (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(),
             String::from_utf8_lossy(&out.stderr).into_owned())
        };
        let good = write(dir.path(), "good.csv", "email\na@example.com\n");
        let (code, stdout, _) = run(&good);
        assert_eq!(code, Some(0), "{stdout}");
        assert!(stdout.contains("1 record: 1 created, 0 updated, 0 skipped, 0 rejected"), "{stdout}");
        assert!(!stdout.contains("rejected records are listed"), "nothing rejected, no report: {stdout}");
        assert!(!dir.path().join("good.csv.rejected.csv").exists(), "no report file when nothing was rejected");
        let bad = write(dir.path(), "bad.csv", "email\nb@example.com\nnot-an-address\n");
        let (code, stdout, _) = run(&bad);
        assert_eq!(code, Some(2), "{stdout}");
        assert!(stdout.contains("bad.csv.rejected.csv"), "the summary names the report: {stdout}");
        let broken = write(dir.path(), "broken.csv", "emial\nc@example.com\n");
        let (code, _, stderr) = run(&broken);
        assert_eq!(code, Some(1));
        assert!(stderr.contains("unknown column \"emial\""), "{stderr}");
        assert_eq!(live_count(db.url()), 2);
    }

    async fn a_command_that_fails_at_once_exits_cleanly_every_time(kind) {
        // A one-shot command exits the moment it is done: no connection may be half-open on
        // another thread then (the exit tears down libpq's TLS state under it: a segfault, about
        // one run in six on PostgreSQL when the pool refilled itself in the background).
        let dir = tempfile::tempdir().expect("dir");
        let db = TestDb::of(kind);
        let broken = write(dir.path(), "broken.csv", "emial\nc@example.com\n");
        for run in 0..20 {
            let out = usergate_command(db.url(), &[path_str(&broken)]).output().expect("run");
            assert_eq!(out.status.code(), Some(1), "run {run}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }

    async fn a_hundred_thousand_rows_import_in_bounded_memory(kind) {
        let dir = tempfile::tempdir().expect("dir");
        let db = TestDb::of(kind);
        Store::migrate(db.url()).expect("migrate");
        let rows = 100_000;
        let file = big_csv(dir.path(), rows);
        let started = Instant::now();
        let mut child = usergate_process(db.url(), &[path_str(&file)]);
        let pid = child.id();
        let mut peak_kib = 0u64;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            if let Some(kib) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                let kib: u64 = kib.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0);
                peak_kib = peak_kib.max(kib);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "{status}");
        let secs = started.elapsed().as_secs_f64();
        eprintln!("{kind}: imported {rows} rows in {secs:.1} s, peak RSS {} MB (debug build)", peak_kib / 1024);
        assert_eq!(live_count(db.url()), rows);
        assert!(peak_kib > 0, "memory was measured");
        assert!(peak_kib < 200 * 1024, "peak RSS {} MB", peak_kib / 1024);
    }
}

/// A CSV of `rows` users with every column a real export has.
fn big_csv(dir: &Path, rows: usize) -> PathBuf {
    use std::io::Write as _;
    let path = dir.join("big.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    writeln!(
        out,
        "email,name,first_name,last_name,title,phone,role,status,created_at"
    )
    .expect("w");
    for i in 0..rows {
        writeln!(
            out,
            "user{i:07}@bulk.example.com,User {i},First{i},Last{i},Engineer,+1 555 {i:07},user,active,2020-01-01T00:00:00Z"
        )
        .expect("w");
    }
    out.flush().expect("flush");
    path
}
