//! Limits shared by several instances: a policy's budget kept in a store every instance reads
//! (Redis), with the in-process window as the fallback while that store is away. A credential
//! policy falls back to its limit divided by the number of instances (so that the fleet stays
//! near the limit: never open), every other policy to its full limit.

use std::fmt::Display;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Rate, SlidingWindow};

/// The shared store is not answering (an error, a timeout, or its breaker is open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unavailable;

/// A store of limits several instances share. Keys are the throttled thing as text (an
/// address, an account); implementations must not keep them in clear.
pub trait SharedLimiter: Send + Sync {
    /// Spends one unit of `key`'s budget under `policy`: `None` when allowed, `Some(wait)`
    /// when over it (nothing is spent then).
    fn hit(
        &self,
        policy: &'static str,
        rate: Rate,
        key: &str,
    ) -> Result<Option<Duration>, Unavailable>;
    /// Whether `key` is over its budget now, without spending: how long until it is not.
    fn peek(
        &self,
        policy: &'static str,
        rate: Rate,
        key: &str,
    ) -> Result<Option<Duration>, Unavailable>;
    /// Forgets `key`'s spending.
    fn clear(&self, policy: &'static str, key: &str) -> Result<(), Unavailable>;

    /// [`SharedLimiter::peek`] for several keys at once (a store answers them in one round
    /// trip where it can), in their order.
    fn peek_all(
        &self,
        checks: &[(&'static str, Rate, String)],
    ) -> Result<Vec<Option<Duration>>, Unavailable> {
        checks
            .iter()
            .map(|(policy, rate, key)| self.peek(policy, *rate, key))
            .collect()
    }
}

/// How a shared limiter is used: the store, and how many instances share it.
#[derive(Clone)]
pub struct Shared {
    /// The store.
    pub limiter: Arc<dyn SharedLimiter>,
    /// How many instances share the limits (the fallback of credential policies divides by it).
    pub instances: u32,
}

/// One policy: the in-process window, or the shared store with its fallback.
pub(crate) struct Throttle<K> {
    policy: &'static str,
    rate: Rate,
    local: SlidingWindow<K>,
    shared: Option<(Arc<dyn SharedLimiter>, SlidingWindow<K>)>,
}

impl<K: Hash + Eq + Clone + Display> Throttle<K> {
    /// A policy; with `shared`, kept there, falling back to `rate` divided by the instances
    /// when `credential`, to `rate` otherwise.
    pub(crate) fn new(
        policy: &'static str,
        rate: Rate,
        shared: Option<&Shared>,
        credential: bool,
    ) -> Self {
        let shared = shared.map(|s| {
            let count = if credential {
                (rate.count / s.instances.max(1)).max(1)
            } else {
                rate.count
            };
            (
                s.limiter.clone(),
                SlidingWindow::new(Rate::new(count, rate.window)),
            )
        });
        Throttle {
            policy,
            rate,
            local: SlidingWindow::new(rate),
            shared,
        }
    }

    /// Whether the limits live in a shared store (then each call may do I/O).
    pub(crate) fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// How long `key` must wait before its next attempt, if it must.
    pub(crate) fn blocked_for(&self, key: &K, now: Instant) -> Option<Duration> {
        let (wait, backend) = match &self.shared {
            None => (self.local.blocked_for(key, now), "memory"),
            Some((store, fallback)) => match store.peek(self.policy, self.rate, &key.to_string()) {
                Ok(wait) => (wait, "redis"),
                Err(Unavailable) => (fallback.blocked_for(key, now), "fallback"),
            },
        };
        count(self.policy, wait.is_none(), backend);
        wait
    }

    /// What [`Throttle::blocked_for`] answers for `key` here and for `other_key` under
    /// `other`, with one round trip to the shared store when both policies live there.
    pub(crate) fn blocked_for_both<L: Hash + Eq + Clone + Display>(
        &self,
        key: &K,
        other: &Throttle<L>,
        other_key: &L,
        now: Instant,
    ) -> (Option<Duration>, Option<Duration>) {
        let (Some((store, fallback)), Some((_, other_fallback))) = (&self.shared, &other.shared)
        else {
            return (
                self.blocked_for(key, now),
                other.blocked_for(other_key, now),
            );
        };
        let checks = [
            (self.policy, self.rate, key.to_string()),
            (other.policy, other.rate, other_key.to_string()),
        ];
        let (waits, backend) = match store.peek_all(&checks) {
            Ok(w) if w.len() == 2 => ((w[0], w[1]), "redis"),
            _ => (
                (
                    fallback.blocked_for(key, now),
                    other_fallback.blocked_for(other_key, now),
                ),
                "fallback",
            ),
        };
        count(self.policy, waits.0.is_none(), backend);
        count(other.policy, waits.1.is_none(), backend);
        waits
    }

    /// Spends one unit of `key`'s budget; the wait when over it.
    pub(crate) fn hit(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let (result, backend) = match &self.shared {
            None => (self.local.hit(key, now), "memory"),
            Some((store, fallback)) => match store.hit(self.policy, self.rate, &key.to_string()) {
                Ok(None) => (Ok(()), "redis"),
                Ok(Some(wait)) => (Err(wait), "redis"),
                Err(Unavailable) => (fallback.hit(key, now), "fallback"),
            },
        };
        count(self.policy, result.is_ok(), backend);
        result
    }

    /// Forgets `key`'s spending (a successful login).
    pub(crate) fn clear(&self, key: &K) {
        match &self.shared {
            None => self.local.clear(key),
            Some((store, fallback)) => {
                fallback.clear(key);
                let _ = store.clear(self.policy, &key.to_string());
            }
        }
    }
}

/// Counts one decision (`usergate_ratelimit_decisions_total`).
fn count(policy: &'static str, allowed: bool, backend: &'static str) {
    let decision = if allowed { "allow" } else { "deny" };
    metrics::counter!(
        "usergate_ratelimit_decisions_total",
        "policy" => policy,
        "decision" => decision,
        "backend" => backend
    )
    .increment(1);
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A store that is up or down on demand, counting like a window.
    struct Flaky {
        up: Mutex<bool>,
        window: SlidingWindow<String>,
    }

    impl Flaky {
        fn check(&self) -> Result<(), Unavailable> {
            if *self.up.lock().expect("lock") {
                Ok(())
            } else {
                Err(Unavailable)
            }
        }
    }

    impl SharedLimiter for Flaky {
        fn hit(
            &self,
            _: &'static str,
            _: Rate,
            key: &str,
        ) -> Result<Option<Duration>, Unavailable> {
            self.check()?;
            Ok(self.window.hit(&key.to_owned(), Instant::now()).err())
        }
        fn peek(
            &self,
            _: &'static str,
            _: Rate,
            key: &str,
        ) -> Result<Option<Duration>, Unavailable> {
            self.check()?;
            Ok(self.window.blocked_for(&key.to_owned(), Instant::now()))
        }
        fn clear(&self, _: &'static str, key: &str) -> Result<(), Unavailable> {
            self.window.clear(&key.to_owned());
            Ok(())
        }
    }

    #[test]
    fn a_credential_policy_falls_back_to_its_share_and_never_opens() {
        let rate = Rate::new(10, Duration::from_secs(60));
        let store = Arc::new(Flaky {
            up: Mutex::new(true),
            window: SlidingWindow::new(rate),
        });
        let shared = Shared {
            limiter: store.clone(),
            instances: 4,
        };
        let t: Throttle<String> = Throttle::new("login_account", rate, Some(&shared), true);
        let key = "a@example.com".to_owned();
        let now = Instant::now();
        for _ in 0..10 {
            assert!(t.hit(&key, now).is_ok());
        }
        assert!(
            t.blocked_for(&key, now).is_some(),
            "the shared budget is spent"
        );
        *store.up.lock().expect("lock") = false;
        // Down: a fresh local budget of 10 / 4 = 2.
        let other = "b@example.com".to_owned();
        assert!(t.hit(&other, now).is_ok());
        assert!(t.hit(&other, now).is_ok());
        assert!(
            t.hit(&other, now).is_err(),
            "the fallback holds a quarter of the limit"
        );
        let anon: Throttle<String> = Throttle::new("anonymous", rate, Some(&shared), false);
        for _ in 0..10 {
            assert!(
                anon.hit(&other, now).is_ok(),
                "other policies keep their full limit"
            );
        }
        assert!(anon.hit(&other, now).is_err());
    }
}
