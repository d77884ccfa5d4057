//! Throw-away databases for tests: a fresh PostgreSQL database or SQLite file per test, dropped
//! afterwards. PostgreSQL must be reachable; when it is not, the test fails with a message
//! saying so (it never skips).

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::PgConnection;
use diesel::prelude::*;

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

impl TestDb {
    /// A fresh, empty PostgreSQL database. Panics with instructions when PostgreSQL is down.
    pub fn postgres() -> Self {
        let admin = pg_admin_url();
        let mut conn = PgConnection::establish(&format!("{admin}/postgres")).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {admin} ({e}). The tests need a real PostgreSQL: \
                 start it (pg_ctlcluster <version> main start) or point USERGATE_TEST_PG_URL at one."
            )
        });
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "usergate_test_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        TestDb {
            url: format!("{admin}/{name}"),
            kind: "postgres",
            pg_name: Some(name),
            _dir: None,
        }
    }

    /// A fresh SQLite file in a temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
        let path = dir.path().join("usergate.db");
        TestDb {
            url: path.to_string_lossy().into_owned(),
            kind: "sqlite",
            pg_name: None,
            _dir: Some(dir),
        }
    }

    /// The backend named `postgres` or `sqlite`.
    pub fn of(kind: &str) -> Self {
        match kind {
            "postgres" => Self::postgres(),
            "sqlite" => Self::sqlite(),
            other => panic!("unknown backend {other}"),
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
