//! Long random secrets (invitation and reset codes, and later client secrets and API keys) and
//! the keyed hash that stores them.
//!
//! Such secrets carry far more entropy than a password, so a slow hash would only cost time:
//! they are stored as HMAC-SHA-256 under a server key (generated once and kept in the settings
//! table, so every instance agrees). A stolen table alone cannot be used to check guesses, and a
//! lookup by digest is one indexed equality.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::CoreError;

/// The alphabet of generated codes: letters and digits, safe in URLs and easy to copy.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Hashes secrets under the server's key.
#[derive(Clone)]
pub struct SecretDigest {
    key: Vec<u8>,
}

impl std::fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretDigest(..)")
    }
}

impl SecretDigest {
    /// A digest under this key (at least 32 bytes of randomness).
    pub fn new(key: &[u8]) -> Self {
        SecretDigest { key: key.to_vec() }
    }

    /// The lower-case hex HMAC-SHA-256 of `secret`.
    pub fn digest(&self, secret: &str) -> String {
        // HMAC accepts keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(secret.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

/// A random code of `len` letters and digits (5.95 bits each: 32 characters carry 190 bits).
pub fn random_code(len: usize) -> Result<String, CoreError> {
    // Rejection sampling keeps every character equally likely.
    let limit = u8::MAX - (u8::MAX % ALPHABET.len() as u8);
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf)
            .map_err(|e| CoreError::Internal(format!("no randomness: {e}")))?;
        for b in buf {
            if b < limit && out.len() < len {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

/// A random key for [`SecretDigest`], hex-encoded for the settings table.
pub fn generate_key() -> Result<String, CoreError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| CoreError::Internal(format!("no randomness: {e}")))?;
    Ok(hex(&key))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_keyed_and_stable() {
        let a = SecretDigest::new(b"0123456789abcdef0123456789abcdef");
        let b = SecretDigest::new(b"fedcba9876543210fedcba9876543210");
        assert_eq!(a.digest("code"), a.digest("code"));
        assert_ne!(a.digest("code"), b.digest("code"));
        assert_ne!(a.digest("code"), a.digest("code2"));
        assert_eq!(a.digest("code").len(), 64);
    }

    #[test]
    fn codes_are_alphanumeric_and_distinct() {
        let a = random_code(32).expect("code");
        let b = random_code(32).expect("code");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
