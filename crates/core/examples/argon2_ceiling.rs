//! The login ceiling of this machine: how many argon2id verifications per second usergate's
//! own hasher reaches (the parameters `serve` uses), with as many threads as its hashing pool.
//!
//!   cargo run --release -p usergate-core --example argon2_ceiling -- [THREADS] [SECONDS]
//!   cargo run --release -p usergate-core --example argon2_ceiling -- hash PASSWORD
//!
//! THREADS defaults to the number of cores (the pool's default size), SECONDS to 5. Prints
//! `verifications/s: N` (what `bench/load.sh` divides login rates by). `hash` prints the PHC
//! string of PASSWORD instead (the benchmarks seed users with it).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use usergate_core::{Argon2Cost, Argon2Hasher, PasswordHasher, PasswordPolicy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if args.first().map(String::as_str) == Some("hash") {
        let password = args.get(1).ok_or("usage: hash PASSWORD")?;
        let hasher = Argon2Hasher::new(Argon2Cost::OWASP, 1)?;
        let checked = PasswordPolicy::default()
            .check("password", password)
            .map_err(|e| format!("{e:?}"))?;
        println!("{}", hasher.hash(&checked)?);
        return Ok(());
    }
    let threads: usize = args.first().map_or(Ok(cores), |a| a.parse())?;
    let seconds: u64 = args.get(1).map_or(Ok(5), |a| a.parse())?;
    let hasher = Arc::new(Argon2Hasher::new(Argon2Cost::OWASP, threads)?);
    let password = PasswordPolicy::default()
        .check("password", "ceiling password 01")
        .map_err(|e| format!("{e:?}"))?;
    let phc = Arc::new(hasher.hash(&password)?);
    let done = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (hasher, phc, done, count) =
                (hasher.clone(), phc.clone(), done.clone(), count.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    assert!(hasher.verify("ceiling password 01", &phc));
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    done.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().map_err(|_| "a worker panicked")?;
    }
    let rate = count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    println!("threads: {threads}");
    println!("verifications/s: {rate:.1}");
    Ok(())
}
