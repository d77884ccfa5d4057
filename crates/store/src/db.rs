//! Connections: one enum over PostgreSQL and SQLite, the backend chosen from the URL, a pool,
//! per-connection SQLite pragmas, transactions, and embedded migrations.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::StoreError;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// The key of the PostgreSQL advisory lock that serialises start-up work (migrations) across
/// instances, and of the transaction lock around admin-set changes.
const STARTUP_LOCK: i64 = 0x7573_6572_6761_7465; // "usergate"
const ADMIN_SET_LOCK: i64 = 0x7573_6572_6164_6d6e; // "useradmn"

pub use multi::DbConnection;

mod multi {
    // The derive generates undocumented public items.
    #![allow(missing_docs)]
    use diesel::{PgConnection, SqliteConnection};

    /// One connection to either backend; every query is written once against it.
    #[derive(diesel::MultiConnection)]
    pub enum DbConnection {
        /// PostgreSQL.
        Pg(PgConnection),
        /// SQLite.
        Sqlite(SqliteConnection),
    }
}

/// Which backend a URL selects, and what to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A `postgres://` or `postgresql://` URL, passed to libpq as is.
    Postgres(String),
    /// An SQLite file path.
    Sqlite(String),
}

impl Backend {
    /// Reads a `DATABASE_URL`: `postgres://...`/`postgresql://...`, `sqlite://path`,
    /// `sqlite:path`, or a plain file path.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() || path.contains("://") || path == ":memory:" {
            // An in-memory database would be a different one per pooled connection.
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        Ok(Backend::Sqlite(path.to_owned()))
    }

    /// Opens one connection, with the SQLite pragmas set.
    pub fn connect(&self) -> Result<DbConnection, StoreError> {
        match self {
            Backend::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Pg)
                .map_err(|e| StoreError::Connect(e.to_string())),
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)
                    .map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
                // busy_timeout first, so that the other pragmas wait for a busy database too.
                // mmap_size: reads up to 1 GiB of the file through a memory map instead of a
                // read() per page; a 1% search over 1,000,000 users went from 16 to 117
                // requests/s (64 connections), its time having gone to page copies and to the
                // locks around them. The mapped pages are the kernel's page cache (shared,
                // reclaimable), not the server's memory.
                let fail = |e: diesel::result::Error| StoreError::Connect(format!("{path}: {e}"));
                conn.batch_execute("PRAGMA busy_timeout = 5000;")
                    .map_err(fail)?;
                wal(&mut conn).map_err(fail)?;
                conn.batch_execute(
                    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA mmap_size = 1073741824;",
                )
                .map_err(fail)?;
                crate::query::register_lower(&mut conn)
                    .map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    /// A short name for logs (never the URL: it may hold a password).
    pub fn kind(&self) -> &'static str {
        match self {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) => "sqlite",
        }
    }
}

/// How long a connection that last finished its work without a storage error is trusted without
/// a check query when it is taken from the pool (HikariCP's `aliveBypassWindowMs`, same value).
/// A busy pool then sends no `SELECT 1` before each unit of work, which on PostgreSQL was two of
/// the five statements of an authenticated read; an idle one still checks what it hands out.
pub const ALIVE_BYPASS: Duration = Duration::from_millis(500);

/// A pooled connection, with what the pool knows about its health.
pub struct Pooled {
    conn: DbConnection,
    /// When it was last given back to the pool.
    returned: Instant,
    /// The pool's epoch when it was last known good; a storage failure on any connection starts
    /// a new epoch, so that every connection is checked before its next use.
    epoch: u64,
    pool_epoch: Arc<AtomicU64>,
}

impl Pooled {
    /// Marks every connection of the pool for a check before its next use: this one's work
    /// failed in storage (a dropped socket, a restarted server), and the others may have died
    /// with it.
    pub fn distrust(&mut self) {
        self.pool_epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// Whether the connection answers a check query now.
    pub fn alive(&mut self) -> bool {
        self.conn.ping().is_ok()
    }

    fn trusted(&self) -> bool {
        self.epoch == self.pool_epoch.load(Ordering::SeqCst)
            && self.returned.elapsed() < ALIVE_BYPASS
    }
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// Makes pooled connections by backend, so that a bad URL says what is wrong (diesel's own
/// multi-connection `establish` only says "invalid connection url").
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    epoch: Arc<AtomicU64>,
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = StoreError;

    fn connect(&self) -> Result<Pooled, StoreError> {
        // Read first: a connection made during a new epoch's start is checked once more.
        let epoch = self.epoch.load(Ordering::SeqCst);
        Ok(Pooled {
            conn: self.backend.connect()?,
            returned: Instant::now(),
            epoch,
            pool_epoch: Arc::clone(&self.epoch),
        })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), StoreError> {
        if conn.trusted() {
            return Ok(());
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        conn.conn.ping().map_err(StoreError::Query)?;
        conn.epoch = epoch;
        Ok(())
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.returned = Instant::now();
        // A connection given back inside a transaction (a panic mid-work) is dropped.
        conn.conn.is_broken()
    }
}

/// A pool of connections to one database.
pub type Pool = r2d2::Pool<Manager>;

/// Builds the pool, which keeps `min_idle` connections open while idle (opening them on its own
/// thread). SQLite gets fewer connections: it has one writer anyway. Connections are checked
/// when taken unless they proved themselves within [`ALIVE_BYPASS`].
pub fn pool(backend: &Backend, max_size: Option<u32>, min_idle: u32) -> Result<Pool, StoreError> {
    let default = match backend {
        Backend::Postgres(_) => 16,
        Backend::Sqlite(_) => 8,
    };
    r2d2::Pool::builder()
        .max_size(max_size.unwrap_or(default))
        .min_idle(Some(min_idle))
        .connection_timeout(Duration::from_secs(10))
        .build(Manager {
            backend: backend.clone(),
            epoch: Arc::new(AtomicU64::new(0)),
        })
        .map_err(|e| StoreError::Connect(e.to_string()))
}

/// Applies pending migrations, under an advisory lock on PostgreSQL so that several instances
/// starting at once migrate exactly once. Returns the names applied.
pub fn migrate(backend: &Backend) -> Result<Vec<String>, StoreError> {
    let err = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Migration(e.to_string());
    match backend.connect()? {
        DbConnection::Pg(mut conn) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({STARTUP_LOCK})"))
                .execute(&mut conn)?;
            let applied = conn
                .run_pending_migrations(PG_MIGRATIONS)
                .map(|v| v.iter().map(ToString::to_string).collect())
                .map_err(err);
            diesel::sql_query(format!("SELECT pg_advisory_unlock({STARTUP_LOCK})"))
                .execute(&mut conn)?;
            applied
        }
        DbConnection::Sqlite(mut conn) => {
            // One process at a time: the whole run is one IMMEDIATE transaction (diesel runs
            // each migration in a savepoint inside it), so a second process waits, then finds
            // nothing pending.
            AnsiTransactionManager::begin_transaction_sql(&mut conn, "BEGIN IMMEDIATE")?;
            let applied = conn
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(ToString::to_string).collect())
                .map_err(err);
            match applied {
                Ok(_) => AnsiTransactionManager::commit_transaction(&mut conn)?,
                Err(_) => AnsiTransactionManager::rollback_transaction(&mut conn)?,
            }
            applied
        }
    }
}

/// Puts an SQLite file in WAL mode (kept by the file: a no-op once done). Switching a new file
/// takes an exclusive lock, and when connections opened together escalate at once SQLite
/// answers "database is locked" without waiting (its deadlock avoidance skips the busy
/// handler): instances starting together on a new file would fail. Tried again for as long as
/// the busy timeout.
fn wal(conn: &mut SqliteConnection) -> QueryResult<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match conn.batch_execute("PRAGMA journal_mode = WAL;") {
            Err(e) if e.to_string().contains("database is locked") && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            other => return other,
        }
    }
}

/// Begins a read-write transaction. SQLite's begins `IMMEDIATE` (it takes the write lock at
/// once, so a transaction that reads then writes waits for the busy timeout instead of failing
/// on a stale snapshot).
pub fn begin_write(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction(c),
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
    }
}

/// Ends the transaction [`begin_write`] began: commits it if `ok`, rolls it back otherwise.
pub fn end_write(conn: &mut DbConnection, ok: bool) -> QueryResult<()> {
    if ok {
        DbConnection::commit_transaction(conn)
    } else {
        DbConnection::rollback_transaction(conn)
    }
}

/// Takes the transaction-scoped lock that serialises changes to the set of admins
/// (PostgreSQL; SQLite write transactions are serial already).
pub fn lock_admin_set(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({ADMIN_SET_LOCK})")).execute(c)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_backends() {
        assert_eq!(
            Backend::from_url("postgres://u@h/db").expect("pg"),
            Backend::Postgres("postgres://u@h/db".into())
        );
        assert!(matches!(
            Backend::from_url("postgresql://h/db"),
            Ok(Backend::Postgres(_))
        ));
        for (url, path) in [
            ("usergate.db", "usergate.db"),
            ("sqlite://data/u.db", "data/u.db"),
            ("sqlite:u.db", "u.db"),
            ("/var/lib/usergate/u.db", "/var/lib/usergate/u.db"),
        ] {
            assert_eq!(
                Backend::from_url(url).expect(url),
                Backend::Sqlite(path.into())
            );
        }
        for bad in ["mysql://h/db", "", ":memory:", "sqlite://"] {
            assert!(Backend::from_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sqlite_connections_get_their_pragmas() {
        #[derive(QueryableByName)]
        struct V {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            v: i64,
        }
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("p.db").to_string_lossy().into_owned();
        let DbConnection::Sqlite(mut conn) = Backend::Sqlite(path).connect().expect("connect")
        else {
            panic!("not SQLite")
        };
        let mut pragma = |name: &str, column: &str| {
            diesel::sql_query(format!("SELECT {column} AS v FROM pragma_{name}"))
                .get_result::<V>(&mut conn)
                .map(|r| r.v)
                .expect(name)
        };
        assert_eq!(pragma("busy_timeout", "timeout"), 5000);
        assert_eq!(pragma("foreign_keys", "foreign_keys"), 1);
        assert_eq!(pragma("synchronous", "synchronous"), 1, "NORMAL");
        #[derive(QueryableByName)]
        struct Mmap {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            mmap_size: i64,
        }
        let mmap = diesel::sql_query("PRAGMA mmap_size")
            .get_result::<Mmap>(&mut conn)
            .expect("mmap_size");
        assert_eq!(mmap.mmap_size, 1 << 30);
    }

    /// Instances starting together on a new SQLite file all connect: switching the file to WAL
    /// takes an exclusive lock, and two connections escalating at once get SQLITE_BUSY without
    /// waiting (SQLite's deadlock avoidance bypasses the busy handler).
    #[test]
    fn connections_opened_together_on_a_new_sqlite_file_all_succeed() {
        for round in 0..30 {
            let dir = tempfile::tempdir().expect("dir");
            let path = dir.path().join("new.db").to_string_lossy().into_owned();
            let barrier = Arc::new(std::sync::Barrier::new(8));
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        Backend::Sqlite(path).connect().map(drop)
                    })
                })
                .collect();
            for t in threads {
                if let Err(e) = t.join().expect("thread") {
                    panic!("round {round}: {e}");
                }
            }
        }
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let names = |dir: &str| {
            let mut v: Vec<String> = std::fs::read_dir(format!(
                "{}/../../migrations/{dir}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .expect("migrations dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
            v.sort();
            v
        };
        assert_eq!(names("postgres"), names("sqlite"));
        assert!(!names("postgres").is_empty());
    }
}
