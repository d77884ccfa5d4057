//! The password hash formats usergate stores: its own argon2id, and the formats an import
//! brings from other systems, kept as their source stored them until the user's first login
//! re-hashes the password to argon2id.
//!
//! Each format is parsed and checked by its own crate (`argon2`, `bcrypt`, `pbkdf2`,
//! `scrypt`); Django's `pbkdf2_sha256$` form is split here and derived with `pbkdf2`.
//! A hash whose cost is beyond `Limits` is refused at import: one login against it would
//! tie up a hashing thread (or gigabytes of memory) for as long as its source chose.

use argon2::password_hash::phc::{Output, PasswordHash};
use base64::Engine as _;

/// A recognised password hash format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashFormat {
    /// `$argon2id$` or `$argon2i$` (PHC string); usergate's own hashes are argon2id.
    Argon2,
    /// `$2a$`, `$2b$`, `$2y$` (DreamFactory, Laravel, many PHP and Node systems).
    Bcrypt,
    /// `$pbkdf2-sha256$` or `$pbkdf2-sha512$` (PHC string).
    Pbkdf2,
    /// Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`.
    DjangoPbkdf2,
    /// `$scrypt$` (PHC string).
    Scrypt,
}

impl HashFormat {
    /// The format's name, as reports and docs spell it.
    pub fn name(self) -> &'static str {
        match self {
            HashFormat::Argon2 => "argon2",
            HashFormat::Bcrypt => "bcrypt",
            HashFormat::Pbkdf2 => "pbkdf2",
            HashFormat::DjangoPbkdf2 => "django-pbkdf2",
            HashFormat::Scrypt => "scrypt",
        }
    }
}

/// Why a stored hash is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashRefused {
    /// Not one of the recognised formats.
    #[error(
        "not a recognised password hash (bcrypt $2a$/$2b$/$2y$, $argon2id$, $argon2i$, $pbkdf2-sha256$, $pbkdf2-sha512$, pbkdf2_sha256$, $scrypt$)"
    )]
    Unknown,
    /// It starts as a recognised format does, but is not a whole hash of it (cut short,
    /// a parameter or a part missing, not its base64).
    #[error("malformed {0} hash: it starts like one but is not a complete one")]
    Malformed(&'static str),
    /// A recognised format whose cost is above what usergate verifies.
    #[error("{0} cost above what usergate verifies ({1})")]
    TooCostly(&'static str, &'static str),
}

/// The highest costs usergate verifies, per format.
struct Limits;

impl Limits {
    /// argon2 and scrypt memory: 256 MiB (libsodium's "moderate" argon2id).
    const MEMORY_KIB: u64 = 256 * 1024;
    /// argon2 passes.
    const ARGON2_T: u32 = 16;
    /// bcrypt's log2 rounds (PHP and Node default to 10-12).
    const BCRYPT_COST: u32 = 16;
    /// PBKDF2 iterations (Django 5.2 uses 1,000,000).
    const PBKDF2_ITERATIONS: u32 = 10_000_000;
}

/// The format a hash's prefix names, if any.
fn format_of(hash: &str) -> Option<HashFormat> {
    const PREFIXES: [(&str, HashFormat); 9] = [
        ("pbkdf2_sha256$", HashFormat::DjangoPbkdf2),
        ("$2a$", HashFormat::Bcrypt),
        ("$2b$", HashFormat::Bcrypt),
        ("$2y$", HashFormat::Bcrypt),
        ("$argon2id$", HashFormat::Argon2),
        ("$argon2i$", HashFormat::Argon2),
        ("$pbkdf2-sha256$", HashFormat::Pbkdf2),
        ("$pbkdf2-sha512$", HashFormat::Pbkdf2),
        ("$scrypt$", HashFormat::Scrypt),
    ];
    PREFIXES
        .into_iter()
        .find(|(prefix, _)| hash.starts_with(prefix))
        .map(|(_, format)| format)
}

/// The format of a stored hash, checked the way its verification will read it.
pub fn recognise(hash: &str) -> Result<HashFormat, HashRefused> {
    let format = format_of(hash).ok_or(HashRefused::Unknown)?;
    let malformed = HashRefused::Malformed(format.name());
    match format {
        HashFormat::DjangoPbkdf2 => {
            let rest = hash.strip_prefix("pbkdf2_sha256$").unwrap_or_default();
            django(rest)?;
        }
        HashFormat::Bcrypt => {
            let parts: bcrypt::HashParts = hash.parse().map_err(|_| malformed)?;
            if parts.get_cost() > Limits::BCRYPT_COST {
                return Err(HashRefused::TooCostly("bcrypt", "at most 16"));
            }
        }
        HashFormat::Argon2 | HashFormat::Pbkdf2 | HashFormat::Scrypt => {
            let phc = PasswordHash::new(hash).map_err(|_| malformed.clone())?;
            if phc.salt.is_none() || phc.hash.is_none() {
                return Err(malformed);
            }
            phc_costs(format, &phc).map_err(|e| match e {
                HashRefused::Unknown => malformed,
                other => other,
            })?;
        }
    }
    Ok(format)
}

/// The costs of a PHC string, within [`Limits`] (`Unknown`: its parameters do not parse).
fn phc_costs(format: HashFormat, phc: &PasswordHash) -> Result<(), HashRefused> {
    match format {
        HashFormat::Argon2 => {
            let params = argon2::Params::try_from(phc).map_err(|_| HashRefused::Unknown)?;
            if phc
                .version
                .is_some_and(|v| argon2::Version::try_from(v).is_err())
            {
                return Err(HashRefused::Unknown);
            }
            if u64::from(params.m_cost()) > Limits::MEMORY_KIB || params.t_cost() > Limits::ARGON2_T
            {
                return Err(HashRefused::TooCostly("argon2", "m <= 262144, t <= 16"));
            }
        }
        HashFormat::Pbkdf2 => {
            let params = pbkdf2::Params::try_from(phc).map_err(|_| HashRefused::Unknown)?;
            if params.rounds() > Limits::PBKDF2_ITERATIONS {
                return Err(HashRefused::TooCostly(
                    "pbkdf2",
                    "at most 10000000 iterations",
                ));
            }
        }
        HashFormat::Scrypt => {
            let params = scrypt::Params::try_from(phc).map_err(|_| HashRefused::Unknown)?;
            // scrypt's memory is 128 * r * 2^ln bytes.
            let kib = (128 * u64::from(params.r())) << params.log_n() >> 10;
            if kib > Limits::MEMORY_KIB || params.p() > 16 {
                return Err(HashRefused::TooCostly(
                    "scrypt",
                    "128 * r * 2^ln <= 256 MiB, p <= 16",
                ));
            }
        }
        HashFormat::Bcrypt | HashFormat::DjangoPbkdf2 => {}
    }
    Ok(())
}

/// Django's hash after its `pbkdf2_sha256$` prefix: iterations, salt and derived key.
fn django(rest: &str) -> Result<(u32, &str, Vec<u8>), HashRefused> {
    let mut parts = rest.split('$');
    let (Some(iterations), Some(salt), Some(key), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HashRefused::Malformed("django-pbkdf2"));
    };
    let iterations: u32 = iterations
        .parse()
        .map_err(|_| HashRefused::Malformed("django-pbkdf2"))?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|_| HashRefused::Malformed("django-pbkdf2"))?;
    if iterations == 0 || salt.is_empty() || key.is_empty() || key.len() > Output::MAX_LENGTH {
        return Err(HashRefused::Malformed("django-pbkdf2"));
    }
    if iterations > Limits::PBKDF2_ITERATIONS {
        return Err(HashRefused::TooCostly(
            "pbkdf2",
            "at most 10000000 iterations",
        ));
    }
    Ok((iterations, salt, key))
}

/// Whether `candidate` matches a hash in a format other than argon2 (which the hasher's own
/// threads verify with their memory). Blocks for as long as the hash's cost says.
pub(crate) fn verify_other(format: HashFormat, candidate: &[u8], hash: &str) -> bool {
    use pbkdf2::password_hash::PasswordVerifier as _;
    match format {
        HashFormat::Bcrypt => bcrypt::verify(candidate, hash).unwrap_or(false),
        HashFormat::Pbkdf2 => PasswordHash::new(hash).is_ok_and(|phc| {
            pbkdf2::Pbkdf2::default()
                .verify_password(candidate, &phc)
                .is_ok()
        }),
        HashFormat::Scrypt => PasswordHash::new(hash).is_ok_and(|phc| {
            scrypt::Scrypt::default()
                .verify_password(candidate, &phc)
                .is_ok()
        }),
        HashFormat::DjangoPbkdf2 => {
            let Some(Ok((iterations, salt, expected))) =
                hash.strip_prefix("pbkdf2_sha256$").map(django)
            else {
                return false;
            };
            let mut computed = vec![0u8; expected.len()];
            pbkdf2::pbkdf2_hmac::<pbkdf2::sha2::Sha256>(
                candidate,
                salt.as_bytes(),
                iterations,
                &mut computed,
            );
            // `Output`'s equality is constant-time.
            matches!(
                (Output::new(&computed), Output::new(&expected)),
                (Ok(a), Ok(b)) if a == b
            )
        }
        // Verified by the hasher's threads, in their memory.
        HashFormat::Argon2 => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcrypt_in_each_prefix_is_recognised_and_verifies() {
        let pw = b"correct horse";
        let parts = bcrypt::hash_with_result(pw, 4).expect("bcrypt");
        for version in [
            bcrypt::Version::TwoA,
            bcrypt::Version::TwoB,
            bcrypt::Version::TwoY,
        ] {
            let hash = parts.format_for_version(version);
            assert_eq!(recognise(&hash), Ok(HashFormat::Bcrypt), "{hash}");
            assert!(verify_other(HashFormat::Bcrypt, pw, &hash), "{hash}");
            assert!(
                !verify_other(HashFormat::Bcrypt, b"correct horsE", &hash),
                "{hash}"
            );
        }
    }

    /// Hashes made by other implementations: OpenSSL through Python's `hashlib` (PBKDF2,
    /// scrypt), and crypt_blowfish's own test vector (bcrypt).
    #[test]
    fn hashes_from_other_implementations_verify() {
        for (hash, password, format) in [
            (
                "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
                "U*U",
                HashFormat::Bcrypt,
            ),
            (
                "pbkdf2_sha256$100000$seasalt$BNZ6eyaNc8qFTJPjrAq99hSYb73EgAdytAtdBg2Sdcc=",
                "l\u{e8}tmein",
                HashFormat::DjangoPbkdf2,
            ),
            (
                "$pbkdf2-sha256$i=1000,l=32$c2FsdHNhbHRzYWx0c2FsdA$BBs+1+PaslLtBPULUr8/lQicvVuHiEPMz0i8MjLCbzM",
                "correct horse",
                HashFormat::Pbkdf2,
            ),
            (
                "$pbkdf2-sha512$i=1000,l=64$c2FsdHNhbHRzYWx0c2FsdA$EHLBej+uEvxlmr0QnHnceg1vM6h1wbwSP5XErh3SmizNDWZsIi28RPGARe0EssjGRoiACzxgHjNvqwJY1zxKig",
                "correct horse",
                HashFormat::Pbkdf2,
            ),
            (
                "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$A9lBa6RTbfBovWqamVIqXKovIl4Vk6OZyVojLJmYmSI",
                "correct horse",
                HashFormat::Scrypt,
            ),
        ] {
            assert_eq!(recognise(hash), Ok(format), "{hash}");
            assert!(verify_other(format, password.as_bytes(), hash), "{hash}");
            assert!(!verify_other(format, b"wrong", hash), "{hash}");
        }
    }

    #[test]
    fn unknown_malformed_and_costly_hashes_are_refused() {
        for hash in [
            "",
            "plaintext",
            "5f4dcc3b5aa765d61d8327deb882cf99",
            "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
            "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$argon2d$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$8Jx2w8n4D8Ww6k8vZ8VnYQ",
            "pbkdf2_sha1$1000$salt$aGFzaA==",
            "{SSHA}aGFzaGhhc2hoYXNo",
        ] {
            assert_eq!(recognise(hash), Err(HashRefused::Unknown), "{hash:?}");
        }
        // Cut short, as a hash copied with `...` is: named by the format it starts as.
        for (hash, format) in [
            ("$2b$04$short", "bcrypt"),
            ("$2b$12$R9h/cIPz0gi.URNNX3kh2O...", "bcrypt"),
            ("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ", "argon2"),
            (
                "$argon2id$v=19$m=x,t=1,p=1$c2FsdHNhbHQ$8Jx2w8n4D8Ww6k8vZ8VnYQ",
                "argon2",
            ),
            ("$scrypt$ln=10...", "scrypt"),
            ("pbkdf2_sha256$x$salt$aGFzaA==", "django-pbkdf2"),
            ("pbkdf2_sha256$1000$salt$not base64!", "django-pbkdf2"),
            ("pbkdf2_sha256$870000$...", "django-pbkdf2"),
        ] {
            assert_eq!(
                recognise(hash),
                Err(HashRefused::Malformed(format)),
                "{hash:?}"
            );
        }
        let costly_bcrypt = bcrypt::hash(b"x", 4)
            .expect("bcrypt")
            .replacen("$04$", "$17$", 1);
        for hash in [
            costly_bcrypt.as_str(),
            "$argon2id$v=19$m=1048576,t=2,p=1$c2FsdHNhbHQ$8Jx2w8n4D8Ww6k8vZ8VnYQ",
            "$scrypt$ln=22,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
            "pbkdf2_sha256$20000000$salt$aGFzaA==",
        ] {
            assert!(
                matches!(recognise(hash), Err(HashRefused::TooCostly(..))),
                "{hash:?}"
            );
        }
    }
}
