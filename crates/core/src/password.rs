//! Password hashing: argon2id with bounded concurrency, and a dummy hash so that unknown users
//! cost the same time as wrong passwords.

use std::sync::{Condvar, Mutex};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::Password;
use crate::error::CoreError;

/// Hashes and verifies passwords. Implementations block: callers run them off the async
/// executor (core is only ever called from blocking threads).
pub trait PasswordHasher: Send + Sync {
    /// A PHC string for the password, with a fresh salt.
    fn hash(&self, password: &Password) -> Result<String, CoreError>;
    /// Whether `candidate` matches `phc`; an unparseable hash never matches.
    fn verify(&self, candidate: &str, phc: &str) -> bool;
    /// Burns the time one verification takes, for an unknown user or a user without password.
    fn verify_dummy(&self, candidate: &str);
}

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Cost {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Argon2Cost {
    /// The OWASP minimum: m=19456 KiB, t=2, p=1.
    pub const OWASP: Argon2Cost = Argon2Cost {
        m_kib: 19_456,
        t: 2,
        p: 1,
    };
}

/// argon2id, at most `max_concurrent` hashes at a time, so that a burst of logins queues here
/// instead of taking every blocking thread and all the memory.
pub struct Argon2Hasher {
    argon2: Argon2<'static>,
    permits: Semaphore,
    dummy: String,
}

impl Argon2Hasher {
    /// A hasher with these costs and this concurrency bound (at least 1).
    pub fn new(cost: Argon2Cost, max_concurrent: usize) -> Result<Self, CoreError> {
        let params = Params::new(cost.m_kib, cost.t, cost.p, None)
            .map_err(|e| CoreError::Internal(format!("argon2 parameters: {e}")))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut seed = [0u8; 24];
        getrandom::fill(&mut seed).map_err(|e| CoreError::Internal(format!("getrandom: {e}")))?;
        let dummy = argon2
            .hash_password(&seed)
            .map_err(|e| CoreError::Internal(format!("argon2: {e}")))?
            .to_string();
        Ok(Argon2Hasher {
            argon2,
            permits: Semaphore::new(max_concurrent.max(1)),
            dummy,
        })
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &Password) -> Result<String, CoreError> {
        let _permit = self.permits.acquire();
        self.argon2
            .hash_password(password.expose().as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| CoreError::Internal(format!("argon2: {e}")))
    }

    fn verify(&self, candidate: &str, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let _permit = self.permits.acquire();
        self.argon2
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok()
    }

    fn verify_dummy(&self, candidate: &str) {
        let dummy = self.dummy.clone();
        let _ = self.verify(candidate, &dummy);
    }
}

/// A counting semaphore for blocking threads.
struct Semaphore {
    free: Mutex<usize>,
    freed: Condvar,
}

struct Permit<'a>(&'a Semaphore);

impl Semaphore {
    fn new(n: usize) -> Self {
        Semaphore {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    }

    fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|p| p.into_inner());
        *free += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PasswordPolicy;

    fn cheap() -> Argon2Hasher {
        Argon2Hasher::new(
            Argon2Cost {
                m_kib: 64,
                t: 1,
                p: 1,
            },
            2,
        )
        .expect("hasher")
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let h = cheap();
        let pw = PasswordPolicy::default()
            .check("password", "correct horse")
            .expect("ok");
        let a = h.hash(&pw).expect("hash");
        let b = h.hash(&pw).expect("hash");
        assert!(a.starts_with("$argon2id$v=19$"));
        assert_ne!(a, b, "fresh salt each time");
        assert!(h.verify("correct horse", &a));
        assert!(!h.verify("correct horsE", &a));
        assert!(!h.verify("correct horse", "not a phc string"));
    }

    #[test]
    fn owasp_cost_is_accepted() {
        assert!(Argon2Hasher::new(Argon2Cost::OWASP, 1).is_ok());
    }

    #[test]
    fn semaphore_bounds_concurrency() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let sem = Arc::new(Semaphore::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (sem, inside, peak) = (sem.clone(), inside.clone(), peak.clone());
                std::thread::spawn(move || {
                    let _p = sem.acquire();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().expect("join");
        }
        assert!(peak.load(Ordering::SeqCst) <= 2);
    }
}
