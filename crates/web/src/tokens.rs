//! The one token service of every dialect: HS256 JWTs with the user's credentials version and
//! a per-dialect audience. Whether the token's user may still act is core's question
//! ([`usergate_core::AuthService::authenticate`]); this module only proves the token is ours, for
//! this audience, and current.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use usergate_core::{AuthFailure, CoreError, UserId};

/// The shortest signing secret accepted from configuration.
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims of every usergate token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id, as a decimal string.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issue time, seconds since the epoch.
    pub iat: u64,
    /// A unique id for this token (single-token revocation).
    pub jti: String,
    /// The user's credentials version when the token was issued.
    pub ver: i64,
    /// `usergate:<dialect>`.
    pub aud: String,
    /// The user id as a number (DreamFactory's clients read it).
    #[serde(default)]
    pub user_id: i64,
    /// Never expires: always false (DreamFactory's "forever" sessions are not offered).
    #[serde(default)]
    pub forever: bool,
    /// The machine credential the token was issued to (Domo's OAuth client), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Granted scopes, space-separated (OAuth), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// What a token issued to a machine credential carries besides the user.
#[derive(Debug, Clone)]
pub struct ClientGrant<'a> {
    /// The credential's id.
    pub client_id: &'a str,
    /// The granted scopes.
    pub scopes: &'a [String],
    /// How much earlier than the server's own limit the `exp` claim says the token ends (Domo's
    /// clients refresh at `exp`, with no margin of their own).
    pub early: Duration,
}

/// A token just issued.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
}

/// A token that verified: ours, for this audience, not expired, not from the future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The user it was issued to.
    pub user: UserId,
    /// The credentials version it carries.
    pub credentials_version: i64,
    /// All its claims.
    pub claims: Claims,
}

impl VerifiedToken {
    /// Whole seconds until it expires (0 once it has).
    pub fn seconds_left(&self) -> u64 {
        self.claims.exp.saturating_sub(now_secs())
    }
}

/// Why a signing secret was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenSetupError {
    /// Configured secrets must be long enough to resist guessing.
    #[error("the JWT secret must be at least {MIN_SECRET_BYTES} bytes")]
    SecretTooShort,
    /// The random source failed.
    #[error("cannot generate a secret: {0}")]
    Random(String),
}

/// Issues and verifies tokens with one HS256 key.
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The same secret, keying [`TokenService::tag`] (HMAC-SHA256 with a purpose label, so a
    /// tag can never be mistaken for a token's signature).
    mac: Vec<u8>,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenService(<key redacted>)")
    }
}

impl TokenService {
    /// A service signing with `secret` (at least [`MIN_SECRET_BYTES`]).
    pub fn new(secret: &[u8]) -> Result<Self, TokenSetupError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(TokenSetupError::SecretTooShort);
        }
        Ok(TokenService {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            mac: secret.to_vec(),
        })
    }

    /// A new random secret, base64url-encoded, to be stored so every instance shares it.
    pub fn generate_secret() -> Result<String, TokenSetupError> {
        random_token(48)
    }

    /// Issues a token for `user` to `audience`, valid for `ttl`.
    pub fn issue(
        &self,
        audience: &str,
        user: UserId,
        credentials_version: i64,
        ttl: Duration,
    ) -> Result<IssuedToken, CoreError> {
        self.issue_with(audience, user, credentials_version, ttl, None)
    }

    /// [`TokenService::issue`], for a machine credential when `client` is given.
    pub fn issue_with(
        &self,
        audience: &str,
        user: UserId,
        credentials_version: i64,
        ttl: Duration,
        client: Option<ClientGrant<'_>>,
    ) -> Result<IssuedToken, CoreError> {
        let now = now_secs();
        let early = client.as_ref().map_or(0, |c| c.early.as_secs());
        let claims = Claims {
            sub: user.get().to_string(),
            exp: (now + ttl.as_secs()).saturating_sub(early).max(now),
            iat: now,
            jti: random_token(16).map_err(|e| CoreError::Internal(e.to_string()))?,
            ver: credentials_version,
            aud: audience.to_owned(),
            user_id: user.get(),
            forever: false,
            client_id: client.as_ref().map(|c| c.client_id.to_owned()),
            scope: client.as_ref().map(|c| c.scopes.join(" ")),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| CoreError::Internal(format!("signing a token: {e}")))?;
        Ok(IssuedToken { token, claims })
    }

    /// The token `verified` again, with the same id, issue time and credentials version, valid
    /// for `ttl` more but never past `iat + lifetime` (a session that slides with use and still
    /// ends: its id is the one logout revokes, whichever of its copies is presented later).
    pub fn renew(
        &self,
        verified: &VerifiedToken,
        ttl: Duration,
        lifetime: Duration,
    ) -> Result<IssuedToken, CoreError> {
        let claims = Claims {
            exp: (now_secs() + ttl.as_secs())
                .min(verified.claims.iat.saturating_add(lifetime.as_secs())),
            ..verified.claims.clone()
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| CoreError::Internal(format!("signing a token: {e}")))?;
        Ok(IssuedToken { token, claims })
    }

    /// A keyed tag of `value` for `purpose` (HMAC-SHA256, base64url): what only this server can
    /// compute, such as the console's CSRF token of a session.
    pub fn tag(&self, purpose: &str, value: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, value).finalize().into_bytes())
    }

    /// Whether `tag` is [`TokenService::tag`] of `value` for `purpose` (compared in constant
    /// time).
    pub fn check_tag(&self, purpose: &str, value: &str, tag: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(tag)
            .is_ok_and(|t| self.mac(purpose, value).verify_slice(&t).is_ok())
    }

    fn mac(&self, purpose: &str, value: &str) -> Hmac<Sha256> {
        // HMAC takes a key of any length: the error cannot happen.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        mac
    }

    /// Verifies a token for `audience`: HS256 only, signature, audience, `exp` with no leeway,
    /// and no `iat` in the future. Expired is told apart from everything else (invalid).
    pub fn verify(&self, audience: &str, token: &str) -> Result<VerifiedToken, AuthFailure> {
        self.check(audience, token, Some(Duration::ZERO))
    }

    /// [`TokenService::verify`] for a refresh: a token that expired less than `window` ago is
    /// accepted too (DreamFactory's refresh of expired sessions).
    pub fn verify_refreshable(
        &self,
        audience: &str,
        token: &str,
        window: Duration,
    ) -> Result<VerifiedToken, AuthFailure> {
        self.check(audience, token, Some(window))
    }

    /// Signature, algorithm, audience and `iat`, then `exp` plus `grace` against now.
    fn check(
        &self,
        audience: &str,
        token: &str,
        grace: Option<Duration>,
    ) -> Result<VerifiedToken, AuthFailure> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // Expiry is checked below, so that a refresh can allow a grace period.
        validation.validate_exp = false;
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "aud"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| AuthFailure::Invalid)?;
        let claims = data.claims;
        let now = now_secs();
        if claims.iat > now {
            return Err(AuthFailure::Invalid);
        }
        let grace = grace.map_or(0, |g| g.as_secs());
        if claims.exp.saturating_add(grace) < now {
            return Err(AuthFailure::Expired);
        }
        let user = claims
            .sub
            .parse::<i64>()
            .map(UserId::new)
            .map_err(|_| AuthFailure::Invalid)?;
        Ok(VerifiedToken {
            user,
            credentials_version: claims.ver,
            claims,
        })
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `n` random bytes from the OS, base64url without padding.
pub fn random_token(n: usize) -> Result<String, TokenSetupError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| TokenSetupError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUD: &str = "usergate:test";

    fn service() -> TokenService {
        TokenService::new(&[7u8; 32]).expect("service")
    }

    fn forge(claims: &Claims, header: Header, key: &[u8]) -> String {
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(key)).expect("encode")
    }

    fn claims() -> Claims {
        let now = now_secs();
        Claims {
            sub: "42".into(),
            exp: now + 60,
            iat: now,
            jti: "j".into(),
            ver: 3,
            aud: AUD.into(),
            user_id: 42,
            forever: false,
            client_id: None,
            scope: None,
        }
    }

    #[test]
    fn issued_tokens_verify_for_their_audience_only() {
        let s = service();
        let t = s
            .issue(AUD, UserId::new(42), 3, Duration::from_secs(60))
            .expect("issue");
        let v = s.verify(AUD, &t.token).expect("verify");
        assert_eq!(v.user, UserId::new(42));
        assert_eq!(v.credentials_version, 3);
        assert_eq!(
            s.verify("usergate:other", &t.token),
            Err(AuthFailure::Invalid)
        );
    }

    #[test]
    fn renewed_tokens_keep_their_id_and_end_with_their_session() {
        let s = service();
        let t = s
            .issue(AUD, UserId::new(42), 3, Duration::from_secs(60))
            .expect("issue");
        let v = s.verify(AUD, &t.token).expect("verify");
        let r = s
            .renew(&v, Duration::from_secs(600), Duration::from_secs(120))
            .expect("renew");
        assert_eq!(r.claims.jti, t.claims.jti);
        assert_eq!(r.claims.iat, t.claims.iat);
        assert_eq!(r.claims.exp, t.claims.iat + 120);
        assert!(s.verify(AUD, &r.token).is_ok());
    }

    #[test]
    fn tags_are_bound_to_their_purpose_and_value() {
        let s = service();
        let tag = s.tag("csrf", "session-1");
        assert!(s.check_tag("csrf", "session-1", &tag));
        assert!(!s.check_tag("csrf", "session-2", &tag));
        assert!(!s.check_tag("other", "session-1", &tag));
        assert!(!s.check_tag("csrf", "session-1", "not base64!"));
        assert!(!s.check_tag("csrf", "session-1", ""));
        let other = TokenService::new(&[8u8; 32]).expect("service");
        assert!(!other.check_tag("csrf", "session-1", &tag));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenService::new(b"short").is_err());
        assert!(TokenService::generate_secret().expect("gen").len() >= 64);
    }

    #[test]
    fn attacks_are_refused() {
        let s = service();
        let good = claims();
        // Another key.
        let other = forge(&good, Header::new(Algorithm::HS256), &[8u8; 32]);
        assert_eq!(s.verify(AUD, &other), Err(AuthFailure::Invalid));
        // Another HMAC algorithm with our key.
        let hs512 = forge(&good, Header::new(Algorithm::HS512), &[7u8; 32]);
        assert_eq!(s.verify(AUD, &hs512), Err(AuthFailure::Invalid));
        // alg: none.
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&good).expect("json"));
        let none = format!(
            "{}.{body}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
        );
        assert_eq!(s.verify(AUD, &none), Err(AuthFailure::Invalid));
        // Tampered payload, original signature.
        let real = forge(&good, Header::new(Algorithm::HS256), &[7u8; 32]);
        let parts: Vec<&str> = real.split('.').collect();
        let evil = Claims {
            sub: "1".into(),
            ..good.clone()
        };
        let evil_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&evil).expect("json"));
        let tampered = format!("{}.{evil_body}.{}", parts[0], parts[2]);
        assert_eq!(s.verify(AUD, &tampered), Err(AuthFailure::Invalid));
        // Expired, by one second, no leeway.
        let expired = Claims {
            exp: now_secs() - 1,
            iat: now_secs() - 100,
            ..good.clone()
        };
        let t = forge(&expired, Header::new(Algorithm::HS256), &[7u8; 32]);
        assert_eq!(s.verify(AUD, &t), Err(AuthFailure::Expired));
        // Issued in the future.
        let future = Claims {
            iat: now_secs() + 30,
            ..good.clone()
        };
        let t = forge(&future, Header::new(Algorithm::HS256), &[7u8; 32]);
        assert_eq!(s.verify(AUD, &t), Err(AuthFailure::Invalid));
        // Garbage.
        assert_eq!(s.verify(AUD, "not.a.jwt"), Err(AuthFailure::Invalid));
        // A refresh accepts a recently expired token, not an old one, and not a forged one.
        let window = Duration::from_secs(3600);
        let recent = Claims {
            exp: now_secs() - 60,
            iat: now_secs() - 120,
            ..good.clone()
        };
        let t = forge(&recent, Header::new(Algorithm::HS256), &[7u8; 32]);
        assert!(s.verify_refreshable(AUD, &t, window).is_ok());
        let old = Claims {
            exp: now_secs() - 3601,
            iat: now_secs() - 7200,
            ..good.clone()
        };
        let t = forge(&old, Header::new(Algorithm::HS256), &[7u8; 32]);
        assert_eq!(
            s.verify_refreshable(AUD, &t, window),
            Err(AuthFailure::Expired)
        );
        assert_eq!(
            s.verify_refreshable(AUD, &other, window),
            Err(AuthFailure::Invalid)
        );
    }
}
