//! The watcher: a thread that sees changes other processes make to the database, for core's
//! cache of resolved credentials ([`usergate_core::cache`]).
//!
//! - PostgreSQL: one connection outside the pool `LISTEN`s on `usergate_auth`, which the
//!   triggers of migration 000007 notify when a user's role, status, credentials version or
//!   deletion changes, a token is revoked, or a machine credential changes (whoever writes: an
//!   instance, the CLI, someone in `psql`).
//! - SQLite: one connection reads `PRAGMA data_version`, which changes when any other
//!   connection (another process, or this one's pool) commits.
//!
//! Core's cache also keeps the totals of counted queries, which any change to users or
//! memberships makes wrong. SQLite's `data_version` already sees every commit. On PostgreSQL
//! the same connection reads `pg_current_snapshot()` at each poll: it changes when a writing
//! transaction starts and again when it ends, anywhere on the server, and is the same between
//! two polls only if nothing was written at all. (A `NOTIFY` from a trigger on every user
//! write would be more precise, but PostgreSQL serializes the commits of notifying
//! transactions under one lock: every write would lose group commit.)
//!
//! diesel's notifications do not wait on the socket, so both poll every [`INTERVAL`]: a change
//! made elsewhere empties the cache within about 10 ms (the process's own writes empty it at
//! once, in core). The cache answers only while the watcher is connected: a lost connection
//! disables it (every request reads the database) until the watcher is back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use usergate_core::AuthCache;

use crate::db::{Backend, DbConnection};
use crate::error::StoreError;

/// How often the watcher looks.
pub const INTERVAL: Duration = Duration::from_millis(10);

/// How long it waits before connecting again after losing the database.
const RETRY: Duration = Duration::from_secs(1);

#[derive(QueryableByName)]
struct Snapshot {
    #[diesel(sql_type = diesel::sql_types::Text)]
    snapshot: String,
}

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

/// The running watcher. [`Watcher::stop`] ends it and waits for its thread, so that no
/// statement of it is under way when the process exits (libpq's TLS state is torn down at exit,
/// under any connection still in use on another thread: a crash). Dropped without `stop`, the
/// thread ends on its own once the cache is gone.
#[derive(Debug)]
pub struct Watcher {
    stopping: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Watcher {
    /// Ends the watcher and waits for its thread (at most one poll and one statement).
    pub fn stop(self) {
        self.stopping.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// Starts the watcher thread. It holds the cache weakly and ends once the cache is dropped
/// (the server that used it stopped), or when stopped.
pub fn spawn(backend: Backend, cache: &Arc<AuthCache>) -> std::io::Result<Watcher> {
    let cache = Arc::downgrade(cache);
    let stopping = Arc::new(AtomicBool::new(false));
    let stop = stopping.clone();
    let thread = std::thread::Builder::new()
        .name("usergate-watch".into())
        .spawn(move || {
            while let Err(e) = watch(&backend, &cache, &stop) {
                let Some(cache) = cache.upgrade() else { return };
                cache.disable();
                tracing::warn!(
                    error = %e,
                    "lost the database change feed; credentials are read from the database until it is back"
                );
                drop(cache);
                for _ in 0..RETRY.as_millis() / INTERVAL.as_millis() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(INTERVAL);
                }
            }
        })?;
    Ok(Watcher { stopping, thread })
}

/// Watches until the connection fails (`Err`) or the cache is dropped (`Ok`); the cache
/// answers meanwhile.
fn watch(backend: &Backend, cache: &Weak<AuthCache>, stop: &AtomicBool) -> Result<(), StoreError> {
    let mut conn = backend.connect()?;
    let mut seen = 0;
    let mut snapshot = String::new();
    match &mut conn {
        DbConnection::Pg(c) => {
            diesel::sql_query("LISTEN usergate_auth").execute(c)?;
            snapshot = current_snapshot(c)?;
        }
        DbConnection::Sqlite(c) => seen = data_version(c)?,
    }
    match cache.upgrade() {
        Some(cache) => cache.enable(),
        None => return Ok(()),
    }
    loop {
        std::thread::sleep(INTERVAL);
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        // (credentials changed, data changed)
        let changed = match &mut conn {
            DbConnection::Pg(c) => {
                let mut credentials = false;
                for notification in c.notifications_iter() {
                    notification?;
                    credentials = true;
                }
                let now = current_snapshot(c)?;
                (
                    credentials,
                    std::mem::replace(&mut snapshot, now) != snapshot,
                )
            }
            DbConnection::Sqlite(c) => {
                let now = data_version(c)?;
                let changed = std::mem::replace(&mut seen, now) != now;
                (changed, changed)
            }
        };
        let Some(cache) = cache.upgrade() else {
            return Ok(());
        };
        match changed {
            (true, _) => cache.invalidate(),
            (false, true) => cache.invalidate_totals(),
            (false, false) => {}
        }
    }
}

fn current_snapshot(conn: &mut diesel::PgConnection) -> QueryResult<String> {
    diesel::sql_query("SELECT pg_current_snapshot()::text AS snapshot")
        .get_result::<Snapshot>(conn)
        .map(|s| s.snapshot)
}

fn data_version(conn: &mut diesel::SqliteConnection) -> QueryResult<i64> {
    diesel::sql_query("PRAGMA data_version")
        .get_result::<DataVersion>(conn)
        .map(|v| v.data_version)
}
