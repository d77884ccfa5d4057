//! A cache of resolved credentials, so that an authenticated request whose credential was
//! checked recently costs no database read and no trip to a blocking thread.
//!
//! Correctness comes before hits. The cache answers only while it is *enabled*, and it is
//! enabled only while something watches the database for changes made elsewhere (the store's
//! watcher: PostgreSQL `LISTEN`, SQLite `data_version`); a watcher that loses the database
//! disables it, so the cache fails closed. Every write made through this process empties it
//! before the write's caller gets its answer (see `Invalidating`), and a change seen by the
//! watcher empties it too: a deactivated, deleted, demoted or re-passworded user, a revoked
//! token and a revoked machine credential stop working at once here, and within one poll of
//! the watcher (about 10 ms) on other instances sharing the database.
//!
//! A read that began before an invalidation never fills the cache afterwards: each fill carries
//! the generation it was read under (`AuthCache::ticket`), and every invalidation starts a new
//! one.
//!
//! The same watcher keeps a second, smaller map exact: the **totals** of counted queries (a
//! search's exact `total`), keyed by the query's condition. Counting 10,000 matches of a broad
//! search costs tens of milliseconds however small the page; paging through the same search, or
//! asking again, costs only the page while no user or membership changed. Totals follow every
//! change to the data, not only changes to credentials: this process's writes empty them with
//! the credentials, and the watcher empties them on any commit elsewhere (`invalidate_totals`).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDateTime;

use crate::access::Principal;
use crate::domain::UserId;
use crate::error::CoreError;
use crate::ports::{UserStore, Work};
use crate::query::Cond;

/// At most this many credentials are kept; a full cache is emptied and refilled.
pub const CAPACITY: usize = 10_000;

/// At most this many totals are kept, likewise.
pub const TOTALS_CAPACITY: usize = 1_000;

/// What a credential was resolved from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// A user's token: the user, the credentials version it carries, its id where it can be
    /// revoked on its own.
    Token {
        user: UserId,
        version: i64,
        jti: Option<String>,
    },
    /// A token issued to a machine credential on behalf of its owner.
    Client {
        client: String,
        user: UserId,
        version: i64,
    },
    /// An API key: its id, the keyed digest of its secret, and the dialect it was made for.
    Api {
        id: String,
        digest: String,
        dialect: crate::domain::KeyDialect,
    },
}

/// What it resolved to: the caller, until `expires_at` when the credential ends by itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// The caller.
    pub(crate) principal: Principal,
    /// When the credential stops working by itself (a machine credential's expiry).
    pub(crate) expires_at: Option<NaiveDateTime>,
}

impl Entry {
    /// A credential that does not expire by itself (user tokens carry their own expiry).
    pub(crate) fn lasting(principal: Principal) -> Self {
        Entry {
            principal,
            expires_at: None,
        }
    }

    /// The caller, if the credential is still live at `now`.
    pub(crate) fn at(self, now: NaiveDateTime) -> Option<Principal> {
        self.expires_at
            .is_none_or(|e| e > now)
            .then_some(self.principal)
    }
}

/// The cache (one per process, shared by every dialect): resolved credentials, and the totals
/// of counted queries.
#[derive(Debug, Default)]
pub struct AuthCache {
    state: Mutex<Generations<Key, Entry>>,
    totals: Mutex<Generations<Cond, u64>>,
}

/// A map that is filled only by reads begun in its current generation.
#[derive(Debug)]
struct Generations<K, V> {
    enabled: bool,
    generation: u64,
    entries: HashMap<K, V>,
}

impl<K, V> Default for Generations<K, V> {
    fn default() -> Self {
        Generations {
            enabled: false,
            generation: 0,
            entries: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Generations<K, V> {
    /// Empty, in a new generation: no read from before may fill it.
    fn restart(&mut self, enabled: bool) {
        self.enabled = enabled;
        self.generation += 1;
        self.entries.clear();
    }

    fn ticket(&self) -> Option<u64> {
        self.enabled.then_some(self.generation)
    }

    /// The value, and the metric's label: hit, miss, or bypass (disabled).
    fn get(&self, key: &K) -> (Option<V>, &'static str) {
        if !self.enabled {
            return (None, "bypass");
        }
        let found = self.entries.get(key).cloned();
        let result = if found.is_some() { "hit" } else { "miss" };
        (found, result)
    }

    fn put(&mut self, ticket: Option<u64>, key: K, value: V, capacity: usize) {
        if !self.enabled || ticket != Some(self.generation) {
            return;
        }
        if self.entries.len() >= capacity {
            self.entries.clear();
        }
        self.entries.insert(key, value);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AuthCache {
    /// A disabled, empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn restart(&self, enabled: bool) {
        lock(&self.state).restart(enabled);
        lock(&self.totals).restart(enabled);
    }

    /// Starts answering (the watcher is listening), from empty.
    pub fn enable(&self) {
        self.restart(true);
    }

    /// Stops answering and forgets everything (the watcher lost the database).
    pub fn disable(&self) {
        self.restart(false);
    }

    /// Forgets everything: the database changed.
    pub fn invalidate(&self) {
        let enabled = lock(&self.state).enabled;
        self.restart(enabled);
    }

    /// Forgets the totals only: users or memberships changed, no credential did (the watcher
    /// tells, on PostgreSQL, where credential changes have a channel of their own).
    pub fn invalidate_totals(&self) {
        let mut totals = lock(&self.totals);
        let enabled = totals.enabled;
        totals.restart(enabled);
    }

    /// Whether the cache answers now.
    pub fn is_enabled(&self) -> bool {
        lock(&self.state).enabled
    }

    /// How many credentials it holds.
    pub fn len(&self) -> usize {
        lock(&self.state).entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The generation a database read starts under, if the cache answers at all.
    pub(crate) fn ticket(&self) -> Option<u64> {
        lock(&self.state).ticket()
    }

    pub(crate) fn get(&self, key: &Key) -> Option<Entry> {
        let (found, result) = lock(&self.state).get(key);
        metrics::counter!("usergate_credential_cache_requests_total", "result" => result)
            .increment(1);
        found
    }

    /// Keeps what a read under `ticket` found, unless the database changed since.
    pub(crate) fn put(&self, ticket: Option<u64>, key: Key, entry: Entry) {
        lock(&self.state).put(ticket, key, entry, CAPACITY);
    }

    /// The generation a count starts under, if totals are kept at all.
    pub(crate) fn totals_ticket(&self) -> Option<u64> {
        lock(&self.totals).ticket()
    }

    /// The number of live users matching `cond`, if counted since the data last changed.
    pub(crate) fn total(&self, cond: &Cond) -> Option<u64> {
        let (found, result) = lock(&self.totals).get(cond);
        metrics::counter!("usergate_total_cache_requests_total", "result" => result).increment(1);
        found
    }

    /// Keeps a count made under `ticket`, unless the data changed since.
    pub(crate) fn put_total(&self, ticket: Option<u64>, cond: Cond, total: u64) {
        lock(&self.totals).put(ticket, cond, total, TOTALS_CAPACITY);
    }
}

/// The store as core's services see it: every write through it empties the cache once it is
/// over (committed or not), before its caller goes on.
pub(crate) struct Invalidating {
    pub(crate) inner: Arc<dyn UserStore>,
    pub(crate) cache: Arc<AuthCache>,
}

impl UserStore for Invalidating {
    fn write(&self, work: Work<'_>) -> Result<(), CoreError> {
        let result = self.inner.write(work);
        self.cache.invalidate();
        result
    }

    fn read(&self, work: Work<'_>) -> Result<(), CoreError> {
        self.inner.read(work)
    }

    fn reads_in_place(&self) -> bool {
        self.inner.reads_in_place()
    }

    fn read_in_place(&self, work: Work<'_>) -> Result<(), CoreError> {
        self.inner.read_in_place(work)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Status};

    fn principal(id: i64) -> Principal {
        Principal {
            id: UserId::new(id),
            role: Role::Admin,
            status: Status::Active,
            credentials_version: 1,
        }
    }

    fn key(id: i64) -> Key {
        Key::Token {
            user: UserId::new(id),
            version: 1,
            jti: None,
        }
    }

    fn cached(cache: &AuthCache, id: i64) -> bool {
        cache.get(&key(id)).is_some()
    }

    #[test]
    fn a_disabled_cache_neither_answers_nor_fills() {
        let cache = AuthCache::new();
        assert_eq!(cache.ticket(), None);
        cache.put(cache.ticket(), key(1), Entry::lasting(principal(1)));
        assert!(!cached(&cache, 1));
        cache.enable();
        cache.put(cache.ticket(), key(1), Entry::lasting(principal(1)));
        assert!(cached(&cache, 1));
        cache.disable();
        assert!(!cached(&cache, 1), "disabling forgets");
        cache.enable();
        assert!(!cached(&cache, 1), "and enabling starts empty");
    }

    #[test]
    fn a_read_from_before_an_invalidation_is_not_kept() {
        let cache = AuthCache::new();
        cache.enable();
        let before = cache.ticket();
        cache.invalidate(); // a write committed while the read ran
        cache.put(before, key(1), Entry::lasting(principal(1)));
        assert!(!cached(&cache, 1));
        cache.put(cache.ticket(), key(1), Entry::lasting(principal(1)));
        assert!(cached(&cache, 1));
        cache.invalidate();
        assert!(!cached(&cache, 1) && cache.is_empty());
    }

    #[test]
    fn totals_follow_data_changes_and_credentials_survive_them() {
        let cache = AuthCache::new();
        let cond = Cond::Search("tag".into());
        cache.put_total(cache.totals_ticket(), cond.clone(), 7);
        assert_eq!(cache.total(&cond), None, "disabled: nothing kept");
        cache.enable();
        let before = cache.totals_ticket();
        cache.invalidate_totals(); // a commit elsewhere while the count ran
        cache.put_total(before, cond.clone(), 7);
        assert_eq!(cache.total(&cond), None);
        cache.put(cache.ticket(), key(1), Entry::lasting(principal(1)));
        cache.put_total(cache.totals_ticket(), cond.clone(), 7);
        assert_eq!(cache.total(&cond), Some(7));
        assert_eq!(cache.total(&Cond::Search("other".into())), None);
        cache.invalidate_totals();
        assert_eq!(cache.total(&cond), None);
        assert!(cached(&cache, 1), "a data change alone keeps credentials");
        cache.put_total(cache.totals_ticket(), cond.clone(), 8);
        cache.invalidate(); // a write through this process
        assert_eq!(cache.total(&cond), None);
        assert!(!cached(&cache, 1));
        cache.put_total(cache.totals_ticket(), cond.clone(), 8);
        cache.disable();
        assert_eq!(cache.total(&cond), None);
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = AuthCache::new();
        cache.enable();
        for id in 0..i64::try_from(CAPACITY).expect("capacity") {
            cache.put(cache.ticket(), key(id), Entry::lasting(principal(id)));
        }
        assert_eq!(cache.len(), CAPACITY);
        cache.put(cache.ticket(), key(-1), Entry::lasting(principal(-1)));
        assert_eq!(cache.len(), 1);
        assert!(cached(&cache, -1));
    }
}
