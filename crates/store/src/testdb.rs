//! Throw-away databases for tests: a fresh PostgreSQL database or SQLite file per test, dropped
//! afterwards. PostgreSQL must be reachable; when it is not, the test fails with a message
//! saying so (it never skips).
//!
//! A migrated database is a copy of a template that was migrated once (crates.io's practice):
//! `CREATE DATABASE ... TEMPLATE` on PostgreSQL, a file copy on SQLite. The template is named
//! after a digest of `migrations/`, built by the first test process that needs it (the others
//! wait for it: an advisory lock on PostgreSQL, an atomic rename on SQLite), and kept for later
//! runs like a build cache; a template of other migrations is removed when a new one is built.
//! [`TestDb::empty`] gives a database that has never been migrated, for the tests of start-up
//! and migrations themselves.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use diesel::PgConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::{self, Backend};

/// The server tests create their databases on (`USERGATE_TEST_PG_URL`, default
/// `postgres://postgres@127.0.0.1:5432`).
pub fn pg_admin_url() -> String {
    std::env::var("USERGATE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// A database that exists for one test.
pub struct TestDb {
    url: String,
    kind: &'static str,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The key of the session advisory lock under which one test process builds the PostgreSQL
/// template while the others wait.
const TEMPLATE_LOCK: i64 = 0x7573_6572_746d_706c; // "usertmpl"

/// What a name needs to be unique among the databases of concurrent test processes.
fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A digest of every file under `migrations/`: a template is valid for exactly these.
fn migrations_digest() -> u64 {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.push(path);
            }
        }
    }
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"));
    let mut files = Vec::new();
    walk(root, &mut files);
    files.sort();
    // The same toolchain hashes the same bytes the same way, which is all a cache name needs.
    let mut hasher = std::hash::DefaultHasher::new();
    for file in files {
        file.strip_prefix(root).unwrap_or(&file).hash(&mut hasher);
        std::fs::read(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()))
            .hash(&mut hasher);
    }
    hasher.finish()
}

fn template_name() -> String {
    format!("usergate_template_{:016x}", migrations_digest())
}

fn pg_admin() -> PgConnection {
    let admin = pg_admin_url();
    PgConnection::establish(&format!("{admin}/postgres")).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is not reachable at {admin} ({e}). The tests need a real PostgreSQL: \
             start it (pg_ctlcluster <version> main start) or point USERGATE_TEST_PG_URL at one."
        )
    })
}

fn pg_exists(conn: &mut PgConnection, name: &str) -> bool {
    !diesel::sql_query("SELECT datname FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .load::<DatName>(conn)
        .unwrap_or_else(|e| panic!("cannot list databases: {e}"))
        .is_empty()
}

/// Runs `sql` again while PostgreSQL says the database is still in use: a session that just
/// disconnected can take a moment to end on the server.
fn pg_retry_busy(conn: &mut PgConnection, sql: &str) {
    for attempt in 0.. {
        match diesel::sql_query(sql).execute(conn) {
            Ok(_) => return,
            Err(e) if attempt < 100 && e.to_string().contains("being accessed by other users") => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("{sql}: {e}"),
        }
    }
}

/// The migrated PostgreSQL template, built once per set of migrations.
fn pg_template() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let name = template_name();
        let mut conn = pg_admin();
        conn.batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
            .unwrap_or_else(|e| panic!("template lock: {e}"));
        if !pg_exists(&mut conn, &name) {
            let building = format!("{name}_building");
            pg_retry_busy(&mut conn, &format!("DROP DATABASE IF EXISTS {building}"));
            pg_retry_busy(&mut conn, &format!("CREATE DATABASE {building}"));
            db::migrate(&Backend::Postgres(format!("{}/{building}", pg_admin_url())))
                .unwrap_or_else(|e| panic!("migrating the template: {e}"));
            pg_retry_busy(
                &mut conn,
                &format!("ALTER DATABASE {building} RENAME TO {name}"),
            );
            // Templates of other migrations are of no use any more (one still being copied by
            // another run is left alone).
            let stale: Vec<String> = diesel::sql_query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'usergate\\_template\\_%' AND datname <> $1",
            )
            .bind::<diesel::sql_types::Text, _>(&name)
            .load::<DatName>(&mut conn)
            .map(|rows| rows.into_iter().map(|r| r.datname).collect())
            .unwrap_or_default();
            for old in stale {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {old}"))
                    .execute(&mut conn);
            }
        }
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
            .unwrap_or_else(|e| panic!("template unlock: {e}"));
        name
    })
}

#[derive(QueryableByName)]
struct DatName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
}

/// The migrated SQLite template file, built once per set of migrations.
fn sqlite_template() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir();
        let name = format!("{}.sqlite", template_name());
        let path = dir.join(&name);
        if path.exists() {
            return path;
        }
        // Built under a name of its own and renamed into place: a process that finds the
        // template finds it whole. Processes that build at once each rename an equal file.
        let building = dir.join(format!("{name}.{}.building", unique_suffix()));
        let url = building.to_string_lossy().into_owned();
        db::migrate(&Backend::Sqlite(url.clone()))
            .unwrap_or_else(|e| panic!("migrating the template: {e}"));
        // One file with everything in it: no write-ahead log to copy beside it.
        let mut conn = diesel::SqliteConnection::establish(&url)
            .unwrap_or_else(|e| panic!("template {url}: {e}"));
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .unwrap_or_else(|e| panic!("template {url}: {e}"));
        drop(conn);
        std::fs::rename(&building, &path)
            .unwrap_or_else(|e| panic!("template {}: {e}", path.display()));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let file = entry.file_name().to_string_lossy().into_owned();
                if file.starts_with("usergate_template_")
                    && file.ends_with(".sqlite")
                    && file != name
                {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        path
    })
}

impl TestDb {
    /// A fresh, migrated PostgreSQL database. Panics with instructions when PostgreSQL is down.
    pub fn postgres() -> Self {
        let template = pg_template();
        Self::pg_created(&format!("TEMPLATE {template}"))
    }

    /// A fresh, migrated SQLite file in a temporary directory.
    pub fn sqlite() -> Self {
        let db = Self::sqlite_empty();
        std::fs::copy(sqlite_template(), &db.url)
            .unwrap_or_else(|e| panic!("copying the template to {}: {e}", db.url));
        db
    }

    /// A fresh, migrated database of the backend named `postgres` or `sqlite`.
    pub fn of(kind: &str) -> Self {
        match kind {
            "postgres" => Self::postgres(),
            "sqlite" => Self::sqlite(),
            other => panic!("unknown backend {other}"),
        }
    }

    /// A database of the backend named `postgres` or `sqlite` that was never migrated (tests of
    /// start-up and of the migrations).
    pub fn empty(kind: &str) -> Self {
        match kind {
            "postgres" => Self::pg_created(""),
            "sqlite" => Self::sqlite_empty(),
            other => panic!("unknown backend {other}"),
        }
    }

    fn pg_created(options: &str) -> Self {
        let mut conn = pg_admin();
        let name = format!("usergate_test_{}", unique_suffix());
        diesel::sql_query(format!("CREATE DATABASE {name} {options}"))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        TestDb {
            url: format!("{}/{name}", pg_admin_url()),
            kind: "postgres",
            pg_name: Some(name),
            _dir: None,
        }
    }

    fn sqlite_empty() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let path = dir.path().join("usergate.db");
        TestDb {
            url: path.to_string_lossy().into_owned(),
            kind: "sqlite",
            pg_name: None,
            _dir: Some(dir),
        }
    }

    /// The URL to give usergate.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `postgres` or `sqlite`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name
            && let Ok(mut conn) = PgConnection::establish(&format!("{}/postgres", pg_admin_url()))
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}
