//! The tokens port: single tokens revoked before their expiry (a logout, a refresh).

use chrono::NaiveDateTime;

use crate::domain::UserId;

use super::{PrincipalRecord, RepoError};

/// Revoked tokens inside one transaction.
pub trait TokenRepo {
    /// Revokes one token (by its `jti`) until `expires_at`, and forgets revocations of tokens
    /// that expired before `now`. Revoking twice is not an error.
    fn revoke_token(
        &mut self,
        jti: &str,
        expires_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<(), RepoError>;
    /// Whether a token was revoked.
    fn is_token_revoked(&mut self, jti: &str) -> Result<bool, RepoError>;
    /// The principal fields of any user by id, deleted or not, and whether the token `jti` was
    /// revoked. A store answers both in one statement: every request with a revocable token
    /// asks.
    fn token_principal(
        &mut self,
        id: UserId,
        jti: &str,
    ) -> Result<Option<(PrincipalRecord, bool)>, RepoError>;
}
