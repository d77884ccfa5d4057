//! Password hashing: argon2id with bounded concurrency, and a dummy hash so that unknown users
//! cost the same time as wrong passwords.

use std::sync::{Condvar, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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
///
/// Each of the `max_concurrent` slots owns its argon2 working memory (19 MiB at the OWASP
/// cost), allocated on first use and reused for every later hash: the argon2 crate's own
/// `hash_password`/`verify_password` allocate and free it on each call, which on glibc left a
/// freed copy in every thread's malloc arena (1.1 GB resident after a minute of logins on two
/// cores, measured with `bench/load.sh`). Hashes with a larger memory cost than ours (imported
/// from elsewhere) get memory of their own for that one call.
pub struct Argon2Hasher {
    argon2: Argon2<'static>,
    blocks: usize,
    slots: Slots,
    dummy: String,
}

impl Argon2Hasher {
    /// A hasher with these costs and this concurrency bound (at least 1).
    pub fn new(cost: Argon2Cost, max_concurrent: usize) -> Result<Self, CoreError> {
        let params = Params::new(cost.m_kib, cost.t, cost.p, None)
            .map_err(|e| CoreError::Internal(format!("argon2 parameters: {e}")))?;
        let blocks = params.block_count();
        let mut hasher = Argon2Hasher {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            blocks,
            slots: Slots::new(max_concurrent.max(1)),
            dummy: String::new(),
        };
        let mut seed = [0u8; 24];
        getrandom::fill(&mut seed).map_err(|e| CoreError::Internal(format!("getrandom: {e}")))?;
        // Made with the crate's own allocating path, so that an idle server keeps no slot
        // memory (19 MiB of resident memory before the first login otherwise).
        hasher.dummy = argon2::password_hash::PasswordHasher::hash_password(&hasher.argon2, &seed)
            .map_err(|e| CoreError::Internal(format!("argon2: {e}")))?
            .to_string();
        Ok(hasher)
    }

    fn hash_bytes(&self, password: &[u8]) -> Result<String, CoreError> {
        let fail = |e: &dyn std::fmt::Display| CoreError::Internal(format!("argon2: {e}"));
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| fail(&e))?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.compute(&self.argon2, password, &salt, &mut out)
            .map_err(|e| fail(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(self.argon2.params()).map_err(|e| fail(&e))?,
            salt: Some(Salt::new(&salt).map_err(|e| fail(&e))?),
            hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
        };
        Ok(phc.to_string())
    }

    /// Runs `argon2` in a slot's memory (or, for a larger cost than ours, memory of its own).
    fn compute(
        &self,
        argon2: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> Result<(), argon2::Error> {
        let needed = argon2.params().block_count();
        let mut slot = self.slots.acquire();
        if needed > self.blocks {
            return argon2.hash_password_into_with_memory(
                password,
                salt,
                out,
                vec![Block::default(); needed],
            );
        }
        if slot.memory.len() < needed {
            slot.memory.resize(self.blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut slot.memory[..needed])
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &Password) -> Result<String, CoreError> {
        self.hash_bytes(password.expose().as_bytes())
    }

    fn verify(&self, candidate: &str, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
            return false;
        };
        let Ok(version) = parsed.version.map_or(Ok(Version::V0x13), Version::try_from) else {
            return false;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        let argon2 = Argon2::new(algorithm, version, params);
        let mut out = vec![0u8; expected.len()];
        if self
            .compute(&argon2, candidate.as_bytes(), salt.as_ref(), &mut out)
            .is_err()
        {
            return false;
        }
        // `Output`'s equality is constant-time.
        Output::new(&out).is_ok_and(|computed| &computed == expected)
    }

    fn verify_dummy(&self, candidate: &str) {
        let _ = self.verify(candidate, &self.dummy);
    }
}

/// A counting semaphore for blocking threads whose permits carry argon2 working memory.
struct Slots {
    state: Mutex<SlotState>,
    freed: Condvar,
}

struct SlotState {
    free: usize,
    memory: Vec<Vec<Block>>,
}

/// A held slot: its memory goes back to the pool when dropped.
struct Slot<'a> {
    slots: &'a Slots,
    memory: Vec<Block>,
}

impl Slots {
    fn new(n: usize) -> Self {
        Slots {
            state: Mutex::new(SlotState {
                free: n,
                memory: Vec::new(),
            }),
            freed: Condvar::new(),
        }
    }

    fn acquire(&self) -> Slot<'_> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while state.free == 0 {
            state = self.freed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state.free -= 1;
        let memory = state.memory.pop().unwrap_or_default();
        Slot {
            slots: self,
            memory,
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut state = self.slots.state.lock().unwrap_or_else(|p| p.into_inner());
        state.free += 1;
        if !self.memory.is_empty() {
            state.memory.push(std::mem::take(&mut self.memory));
        }
        self.slots.freed.notify_one();
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
    fn hashes_agree_with_the_argon2_crate_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let h = cheap();
        let pw = PasswordPolicy::default()
            .check("password", "correct horse")
            .expect("ok");
        let ours = h.hash(&pw).expect("hash");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        let crate_argon2 = Argon2::default();
        assert!(
            crate_argon2
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            crate_argon2
                .verify_password(b"correct horsE", &parsed)
                .is_err()
        );
        // Theirs, with other costs (larger memory than ours, argon2i, more lanes), verify here.
        for (algorithm, m, t, p) in [
            (Algorithm::Argon2id, 19_456, 2, 1),
            (Algorithm::Argon2i, 128, 3, 2),
            (Algorithm::Argon2d, 64, 1, 1),
        ] {
            let params = Params::new(m, t, p, None).expect("params");
            let theirs = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"correct horse")
                .expect("hash")
                .to_string();
            assert!(h.verify("correct horse", &theirs), "{theirs}");
            assert!(!h.verify("correct horsE", &theirs), "{theirs}");
        }
    }

    #[test]
    fn slots_keep_their_memory_and_no_more() {
        let h = cheap();
        let pw = PasswordPolicy::default()
            .check("password", "correct horse")
            .expect("ok");
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..4 {
                        let phc = h.hash(&pw).expect("hash");
                        assert!(h.verify("correct horse", &phc));
                    }
                });
            }
        });
        let state = h.slots.state.lock().expect("lock");
        assert_eq!(state.free, 2);
        assert!(state.memory.len() <= 2, "{} buffers", state.memory.len());
        assert!(state.memory.iter().all(|m| m.len() == h.blocks));
    }

    #[test]
    fn owasp_cost_is_accepted() {
        assert!(Argon2Hasher::new(Argon2Cost::OWASP, 1).is_ok());
    }

    #[test]
    fn semaphore_bounds_concurrency() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let sem = Arc::new(Slots::new(2));
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
