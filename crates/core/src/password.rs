//! Password hashing: argon2id with bounded concurrency, and a dummy hash so that unknown users
//! cost the same time as wrong passwords.

use std::sync::{Arc, Mutex, mpsc};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::domain::Password;
use crate::error::CoreError;
use crate::hashes::{self, HashFormat};

/// Hashes and verifies passwords. Implementations block: callers run them off the async
/// executor (core is only ever called from blocking threads).
pub trait PasswordHasher: Send + Sync {
    /// A PHC string for the password, with a fresh salt.
    fn hash(&self, password: &Password) -> Result<String, CoreError>;
    /// Whether `candidate` matches `phc`, which is our own argon2id or a hash an import kept in
    /// a format of [`crate::hashes`]; an unrecognised hash never matches.
    fn verify(&self, candidate: &str, phc: &str) -> bool;
    /// Whether a hash that just verified should be replaced by one of ours: another format
    /// (an import's), or argon2 with other costs.
    fn needs_rehash(&self, phc: &str) -> bool;
    /// A hash of a password that just verified against the user's stored hash. Unlike
    /// [`PasswordHasher::hash`], no policy applies: it already was the user's password.
    fn rehash(&self, verified: &str) -> Result<String, CoreError>;
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

/// argon2id on a pool of `max_concurrent` hashing threads of its own, so that a burst of
/// logins queues here instead of taking every blocking thread and all the memory.
///
/// The hashing threads run at a lower scheduling priority (nice 10 on Linux): they take every
/// core that is idle, and give way to request handling when it wants one, so that a login flood
/// cannot starve reads (with hashing on the request threads at normal priority, a read's p99
/// grew 3.4x under a saturating login load; `bench/load.sh`).
///
/// Each thread owns its argon2 working memory (19 MiB at the OWASP cost), allocated on its
/// first hash and reused for every later one: the argon2 crate's own
/// `hash_password`/`verify_password` allocate and free it on each call, which on glibc left a
/// freed copy in every thread's malloc arena (1.1 GB resident after a minute of logins on two
/// cores, measured with `bench/load.sh`). Hashes with a larger memory cost than ours (imported
/// from elsewhere) get memory of their own for that one call; imported hashes in other formats
/// ([`crate::hashes`]) are verified on the same threads.
pub struct Argon2Hasher {
    argon2: Argon2<'static>,
    pool: HashPool,
    dummy: String,
}

impl Argon2Hasher {
    /// A hasher with these costs and this many hashing threads (at least 1).
    pub fn new(cost: Argon2Cost, max_concurrent: usize) -> Result<Self, CoreError> {
        let params = Params::new(cost.m_kib, cost.t, cost.p, None)
            .map_err(|e| CoreError::Internal(format!("argon2 parameters: {e}")))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut seed = [0u8; 24];
        getrandom::fill(&mut seed).map_err(|e| CoreError::Internal(format!("getrandom: {e}")))?;
        // Made with the crate's own allocating path, so that an idle server keeps no hashing
        // memory (19 MiB of resident memory before the first login otherwise).
        let dummy = argon2::password_hash::PasswordHasher::hash_password(&argon2, &seed)
            .map_err(|e| CoreError::Internal(format!("argon2: {e}")))?
            .to_string();
        let pool = HashPool::new(max_concurrent.max(1), argon2.params().block_count())
            .map_err(|e| CoreError::Internal(format!("hashing threads: {e}")))?;
        Ok(Argon2Hasher {
            argon2,
            pool,
            dummy,
        })
    }

    fn hash_bytes(&self, password: &[u8]) -> Result<String, CoreError> {
        let fail = |e: &dyn std::fmt::Display| CoreError::Internal(format!("argon2: {e}"));
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| fail(&e))?;
        let out = self
            .pool
            .compute(
                self.argon2.clone(),
                password,
                salt.to_vec(),
                Params::DEFAULT_OUTPUT_LEN,
            )
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
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &Password) -> Result<String, CoreError> {
        self.hash_bytes(password.expose().as_bytes())
    }

    fn verify(&self, candidate: &str, phc: &str) -> bool {
        match hashes::recognise(phc) {
            Ok(HashFormat::Argon2) => {}
            Ok(format) => {
                let hash = phc.to_owned();
                let password = Wiped(candidate.as_bytes().to_vec());
                return self
                    .pool
                    .run(move |_| hashes::verify_other(format, &password.0, &hash))
                    .unwrap_or(false);
            }
            Err(_) => return false,
        }
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
        let Ok(out) = self.pool.compute(
            argon2,
            candidate.as_bytes(),
            salt.as_ref().to_vec(),
            expected.len(),
        ) else {
            return false;
        };
        // `Output`'s equality is constant-time.
        Output::new(&out).is_ok_and(|computed| &computed == expected)
    }

    fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return true;
        };
        let ours = self.argon2.params();
        parsed.algorithm != Algorithm::Argon2id.ident()
            || parsed.version != Some(Version::V0x13.into())
            || Params::try_from(&parsed).map_or(true, |p| {
                (p.m_cost(), p.t_cost(), p.p_cost())
                    != (ours.m_cost(), ours.t_cost(), ours.p_cost())
            })
    }

    fn rehash(&self, verified: &str) -> Result<String, CoreError> {
        self.hash_bytes(verified.as_bytes())
    }

    fn verify_dummy(&self, candidate: &str) {
        let _ = self.verify(candidate, &self.dummy);
    }
}

/// A password copy that can cross to a hashing thread (the caller's borrow cannot), overwritten
/// when dropped.
struct Wiped(Vec<u8>);

impl Drop for Wiped {
    fn drop(&mut self) {
        self.0.fill(0);
        std::hint::black_box(&self.0);
    }
}

/// Work for a hashing thread, given the thread's argon2 memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The hashing threads: a queue and `n` threads that take from it, each with its own memory.
struct HashPool {
    jobs: mpsc::Sender<Job>,
    blocks: usize,
}

impl HashPool {
    fn new(n: usize, blocks: usize) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..n {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("usergate-hash-{i}"))
                .spawn(move || {
                    lower_priority();
                    let mut memory: Vec<Block> = Vec::new();
                    loop {
                        // The hasher was dropped: the queue is closed.
                        let Ok(job) = queue.lock().unwrap_or_else(|p| p.into_inner()).recv() else {
                            return;
                        };
                        job(&mut memory);
                    }
                })?;
        }
        Ok(HashPool { jobs, blocks })
    }

    /// Runs `work` on a hashing thread and blocks the caller until it is done; `None` when
    /// every hashing thread is gone (they only end with the pool).
    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Option<T> {
        let (reply, answer) = mpsc::sync_channel(1);
        let waiting = metrics::gauge!("usergate_password_hash_waiting");
        waiting.increment(1.0);
        let job: Job = Box::new(move |memory| {
            waiting.decrement(1.0);
            let started = std::time::Instant::now();
            let out = work(memory);
            metrics::histogram!("usergate_password_hash_seconds").record(started.elapsed());
            let _ = reply.send(out);
        });
        self.jobs.send(job).ok()?;
        answer.recv().ok()
    }

    /// Computes one argon2 hash on a hashing thread, in that thread's memory.
    fn compute(
        &self,
        argon2: Argon2<'static>,
        password: &[u8],
        salt: Vec<u8>,
        out_len: usize,
    ) -> Result<Vec<u8>, argon2::Error> {
        let password = Wiped(password.to_vec());
        let blocks = self.blocks;
        self.run(move |memory| {
            if memory.len() < blocks {
                memory.resize(blocks, Block::default());
            }
            run(argon2, &password.0, &salt, out_len, memory)
        })
        .unwrap_or(Err(argon2::Error::AlgorithmInvalid))
    }
}

/// Runs `argon2` in the thread's memory (or, for a larger cost than ours, memory of its own).
fn run(
    argon2: Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out_len: usize,
    memory: &mut [Block],
) -> Result<Vec<u8>, argon2::Error> {
    let mut out = vec![0u8; out_len];
    let needed = argon2.params().block_count();
    if needed > memory.len() {
        argon2.hash_password_into_with_memory(
            password,
            salt,
            &mut out,
            vec![Block::default(); needed],
        )?;
    } else {
        argon2.hash_password_into_with_memory(password, salt, &mut out, &mut memory[..needed])?;
    }
    Ok(out)
}

/// Gives the calling thread a lower scheduling priority (nice 10; per thread on Linux). Best
/// effort: elsewhere, or where it is refused, the thread keeps its priority.
#[allow(unsafe_code)]
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority takes no pointers; on Linux, `who = 0` is the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PasswordPolicy;

    fn cheap() -> Argon2Hasher {
        cheap_with(2)
    }

    /// A hasher with a tiny cost and `threads` hashing threads.
    fn cheap_with(threads: usize) -> Argon2Hasher {
        Argon2Hasher::new(
            Argon2Cost {
                m_kib: 64,
                t: 1,
                p: 1,
            },
            threads,
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
        ] {
            let params = Params::new(m, t, p, None).expect("params");
            let theirs = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"correct horse")
                .expect("hash")
                .to_string();
            assert!(h.verify("correct horse", &theirs), "{theirs}");
            assert!(!h.verify("correct horsE", &theirs), "{theirs}");
        }
        // argon2d is not for passwords: no system we import from stores it.
        let argon2d = Argon2::new(Algorithm::Argon2d, Version::V0x13, Params::default())
            .hash_password(b"correct horse")
            .expect("hash")
            .to_string();
        assert!(!h.verify("correct horse", &argon2d));
    }

    #[test]
    fn other_formats_and_costs_ask_for_a_rehash_to_ours() {
        use argon2::password_hash::PasswordHasher as _;
        let h = cheap();
        let pw = PasswordPolicy::default()
            .check("password", "correct horse")
            .expect("ok");
        let ours = h.hash(&pw).expect("hash");
        assert!(!h.needs_rehash(&ours));
        let bcrypt = bcrypt::hash("correct horse", 4).expect("bcrypt");
        assert!(h.verify("correct horse", &bcrypt));
        assert!(!h.verify("correct horsE", &bcrypt));
        assert!(h.needs_rehash(&bcrypt));
        let owasp = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(19_456, 2, 1, None).expect("params"),
        )
        .hash_password(b"correct horse")
        .expect("hash")
        .to_string();
        assert!(h.needs_rehash(&owasp), "other costs than ours");
        let new = h.rehash("correct horse").expect("rehash");
        assert!(!h.needs_rehash(&new));
        assert!(h.verify("correct horse", &new));
    }

    #[test]
    fn many_callers_share_the_hashing_threads() {
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
                        assert!(!h.verify("correct horsE", &phc));
                    }
                });
            }
        });
    }

    /// The threads of this process whose name starts with `prefix`, with their nice values.
    #[cfg(target_os = "linux")]
    fn threads_named(prefix: &str) -> Vec<i64> {
        let mut found = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").expect("tasks") {
            let dir = task.expect("task").path();
            let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
            if !comm.trim().starts_with(prefix) {
                continue;
            }
            // Field 19 of stat is the nice value; the name (field 2) may hold spaces, so
            // count from the closing parenthesis.
            let stat = std::fs::read_to_string(dir.join("stat")).expect("stat");
            let after = &stat[stat.rfind(')').expect("name") + 2..];
            let nice = after
                .split(' ')
                .nth(16)
                .expect("nice")
                .parse()
                .expect("number");
            found.push(nice);
        }
        found
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn hashing_threads_are_as_many_as_asked_and_yield_to_requests() {
        // Counts the process's hashing threads: it needs a process of its own, as nextest
        // (scripts/test) gives each test.
        let before = threads_named("usergate-hash").len();
        let h = cheap_with(3);
        let pw = PasswordPolicy::default()
            .check("password", "correct horse")
            .expect("ok");
        assert!(h.verify("correct horse", &h.hash(&pw).expect("hash")));
        // A thread names itself and lowers its priority when it first runs: on a busy machine
        // the ones that took no job yet may not have.
        let mut nice = threads_named("usergate-hash");
        for _ in 0..500 {
            if nice.len() == before + 3 && nice.iter().all(|n| *n == 10) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            nice = threads_named("usergate-hash");
        }
        assert_eq!(nice.len(), before + 3);
        assert!(nice.iter().all(|n| *n == 10), "{nice:?}");
        drop(h);
        // The threads end with the hasher.
        for _ in 0..100 {
            if threads_named("usergate-hash").len() == before {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("hashing threads outlived their hasher");
    }

    #[test]
    fn owasp_cost_is_accepted() {
        assert!(Argon2Hasher::new(Argon2Cost::OWASP, 1).is_ok());
    }
}
