//! Machine credentials: Domo's OAuth clients and the generic dialect's API keys. Each is owned
//! by a user and acts as that user: the owner's current role and status decide on every
//! request, and an owner who is deleted or not active makes the credential fail as
//! unauthenticated. The secret is shown once and stored as a keyed digest
//! ([`crate::secret`]); revoking (or expiry) takes effect on the next request.

use std::net::IpAddr;

use chrono::NaiveDateTime;

use crate::access::{Actor, Principal, require_admin};
use crate::auth::{AuthService, current};
use crate::cache::{Entry, Key};
use crate::domain::{Status, UserId};
use crate::error::{AuthFailure, CoreError, CoreResult, Denied, Problem};
use crate::ports::{self, UserRepo};
use crate::secret::random_code;
use crate::user::UserKey;
use crate::users::{UserService, found};

/// What a machine credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// A Domo OAuth client (client id + secret, with scopes).
    OAuthClient,
    /// An API key of the generic dialect.
    ApiKey,
}

impl CredentialKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::OAuthClient => "oauth_client",
            CredentialKind::ApiKey => "api_key",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "oauth_client" => Some(CredentialKind::OAuthClient),
            "api_key" => Some(CredentialKind::ApiKey),
            _ => None,
        }
    }
}

/// A machine credential as it can be shown (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineCredential {
    /// The public identifier (a Domo client id; an API key's lookup id).
    pub id: String,
    /// What it is.
    pub kind: CredentialKind,
    /// Whose rights it carries.
    pub owner: UserId,
    /// A label for people.
    pub name: String,
    /// What it may be used for (OAuth scopes); empty for API keys.
    pub scopes: Vec<String>,
    /// When it was made.
    pub created_at: NaiveDateTime,
    /// When it stops working by itself, if ever.
    pub expires_at: Option<NaiveDateTime>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<NaiveDateTime>,
}

impl MachineCredential {
    /// Whether it can be used at `now`.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A machine credential as stored: with the digest of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRecord {
    /// The credential.
    pub credential: MachineCredential,
    /// HMAC-SHA-256 of the secret under the server key.
    pub secret_digest: String,
}

/// What to create.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// What it is.
    pub kind: CredentialKind,
    /// The owner, by id or email.
    pub owner: UserKey,
    /// A label (default: the kind and the owner's email).
    pub name: Option<String>,
    /// Scopes (lower-case words).
    pub scopes: Vec<String>,
    /// Lifetime, if it should expire.
    pub expires_in: Option<std::time::Duration>,
}

/// A credential just created: shown once, with its secret.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The credential.
    pub credential: MachineCredential,
    /// The secret, in clear: never stored, never shown again.
    pub secret: String,
}

/// A credential that authenticated, with its owner as the caller.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The credential.
    pub credential: MachineCredential,
    /// The scopes granted for this use (what was asked, or all of the credential's).
    pub scopes: Vec<String>,
    /// The owner, now.
    pub principal: Principal,
}

/// Length of generated secrets (letters and digits: 48 carry 285 bits).
const SECRET_LENGTH: usize = 48;

/// Length of an API key's lookup id.
const API_KEY_ID_LENGTH: usize = 16;

/// The recognisable start of every API key (secret scanners can look for it).
pub const API_KEY_PREFIX: &str = "ugk_";

/// An API key as its owner uses it: `ugk_<id>_<secret>`. The id finds the stored digest in
/// one indexed lookup; only the secret part is secret.
pub fn api_key(issued: &Issued) -> String {
    format!("{API_KEY_PREFIX}{}_{}", issued.credential.id, issued.secret)
}

/// The id and secret of an API key, if it has the shape of one.
pub fn parse_api_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(API_KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let alnum = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (id.len() == API_KEY_ID_LENGTH && alnum(id) && alnum(secret)).then_some((id, secret))
}

impl UserService {
    /// Creates a machine credential for an existing user. Admins (or the operator's CLI) only.
    /// An OAuth client's id is a random UUID-shaped value (what Domo client ids look like); an
    /// API key's is 16 letters and digits (see [`api_key`]).
    pub fn create_credential(&self, actor: &Actor, new: NewCredential) -> CoreResult<Issued> {
        require_admin(actor)?;
        for s in &new.scopes {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(CoreError::invalid("scope", Problem::Malformed));
            }
        }
        let id = match new.kind {
            CredentialKind::OAuthClient => uuid_like()?,
            CredentialKind::ApiKey => random_code(API_KEY_ID_LENGTH)?,
        };
        let secret = random_code(SECRET_LENGTH)?;
        let digest = self.digest.digest(&secret);
        let now = self.clock.now();
        let expires_at = new.expires_in.map(|d| crate::invites::expiry(now, d));
        let credential = ports::write(&*self.store, |repo| {
            let owner = found(repo.find(&new.owner)?)?;
            let credential = MachineCredential {
                id: id.clone(),
                kind: new.kind,
                owner: owner.id,
                name: new
                    .name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| format!("{} of {}", new.kind.as_str(), owner.email)),
                scopes: new.scopes.clone(),
                created_at: now,
                expires_at,
                revoked_at: None,
            };
            repo.insert_credential(&CredentialRecord {
                credential: credential.clone(),
                secret_digest: digest.clone(),
            })?;
            Ok(credential)
        })?;
        Ok(Issued { credential, secret })
    }

    /// Every machine credential of a kind, revoked ones included, oldest first. Admins only.
    pub fn list_credentials(
        &self,
        actor: &Actor,
        kind: CredentialKind,
    ) -> CoreResult<Vec<MachineCredential>> {
        require_admin(actor)?;
        ports::read(&*self.store, |repo| Ok(repo.list_credentials(kind)?))
    }

    /// Revokes a credential: it fails from the next request on. Admins only; an unknown id is
    /// `NotFound`; revoking twice is not an error.
    pub fn revoke_credential(&self, actor: &Actor, id: &str) -> CoreResult<MachineCredential> {
        require_admin(actor)?;
        let now = self.clock.now();
        ports::write(&*self.store, |repo| {
            repo.find_credential(id)?.ok_or(CoreError::NotFound)?;
            repo.revoke_credential(id, now)?;
            Ok(repo
                .find_credential(id)?
                .ok_or(CoreError::NotFound)?
                .credential)
        })
    }
}

impl AuthService {
    /// Checks a credential's id and secret (Domo's token endpoint, an API key). Unknown ids,
    /// wrong secrets, revoked or expired credentials, and owners who are deleted or not active
    /// all get the same error after the same work; failures count against the throttles like
    /// failed logins. `requested` scopes must all be the credential's
    /// ([`Denied::Scope`] otherwise); `None` grants all of them.
    pub fn authenticate_credential(
        &self,
        kind: CredentialKind,
        id: &str,
        secret: &str,
        requested: Option<&[String]>,
        from: Option<IpAddr>,
    ) -> CoreResult<Authenticated> {
        let now_i = self.clock.instant();
        let account = format!("{}:{id}", kind.as_str());
        self.throttled(&account, from, now_i)?;
        let digest = self.digest.digest(secret);
        let now = self.clock.now();
        let ticket = self.cache.ticket();
        let found = ports::read(&*self.store, |repo| {
            let Some(record) = repo.find_credential(id)? else {
                return Ok(None);
            };
            let owner = repo.principal(record.credential.owner)?;
            Ok(Some((record, owner)))
        })?;
        let ok = found.and_then(|(record, owner)| {
            let secret_ok = constant_time_eq(&record.secret_digest, &digest);
            let owner = owner.filter(|o| !o.deleted && o.status == Status::Active)?;
            (secret_ok && record.credential.kind == kind && record.credential.is_live(now))
                .then_some((record.credential, owner))
        });
        let Some((credential, owner)) = ok else {
            self.failed(&account, from, now_i);
            return Err(CoreError::Unauthenticated(AuthFailure::BadCredentials));
        };
        self.succeeded(&account);
        let scopes = match requested {
            None => credential.scopes.clone(),
            Some(asked) => {
                if asked.iter().any(|s| !credential.scopes.contains(s)) {
                    return Err(CoreError::Forbidden(Denied::Scope));
                }
                asked.to_vec()
            }
        };
        let authenticated = Authenticated {
            credential,
            scopes,
            principal: Principal {
                id: owner.id,
                role: owner.role,
                status: owner.status,
                credentials_version: owner.credentials_version,
            },
        };
        if kind == CredentialKind::ApiKey && requested.is_none() {
            let key = Key::Api {
                id: id.to_owned(),
                digest,
            };
            let entry = Entry::ApiKey(Box::new(authenticated.clone()));
            self.cache.put(ticket, key, entry);
        }
        Ok(authenticated)
    }

    /// What [`AuthService::authenticate_credential`] answered for this API key and secret (no
    /// scopes asked) since the database last changed, if the cache knows and the key has not
    /// expired since (see [`crate::cache`]). The throttles apply as on the full check. No
    /// database I/O: async code may call it.
    pub fn authenticate_api_key_cached(
        &self,
        id: &str,
        secret: &str,
        from: Option<IpAddr>,
    ) -> Option<CoreResult<Authenticated>> {
        let key = Key::Api {
            id: id.to_owned(),
            digest: self.digest.digest(secret),
        };
        let Entry::ApiKey(authenticated) = self.cache.get(&key)? else {
            return None;
        };
        if !authenticated.credential.is_live(self.clock.now()) {
            return None;
        }
        let account = format!("{}:{id}", CredentialKind::ApiKey.as_str());
        if let Err(e) = self.throttled(&account, from, self.clock.instant()) {
            return Some(Err(e));
        }
        Some(Ok(*authenticated))
    }

    /// Resolves a token issued to a machine credential: the credential must still be live and
    /// its owner unchanged since (the same rules as [`AuthService::resolve`]).
    pub fn resolve_credential(
        &self,
        credential: &str,
        user: UserId,
        credentials_version: i64,
    ) -> CoreResult<Principal> {
        let now = self.clock.now();
        let ticket = self.cache.ticket();
        let (live, owner) = ports::read(&*self.store, |repo| {
            Ok((
                live_credential(repo, credential, user, now)?,
                repo.principal(user)?,
            ))
        })?;
        let Some(expires_at) = live else {
            return Err(CoreError::Unauthenticated(AuthFailure::Revoked));
        };
        let principal = current(owner, credentials_version)?;
        let key = Key::Client {
            client: credential.to_owned(),
            user,
            version: credentials_version,
        };
        let entry = Entry::Credential {
            principal,
            expires_at,
        };
        self.cache.put(ticket, key, entry);
        Ok(principal)
    }

    /// What [`AuthService::resolve_credential`] answered for the same token since the
    /// database last changed, if the cache knows and the credential has not expired since
    /// (see [`crate::cache`]). No I/O: async code may call it.
    pub fn resolve_credential_cached(
        &self,
        credential: &str,
        user: UserId,
        credentials_version: i64,
    ) -> Option<Principal> {
        let key = Key::Client {
            client: credential.to_owned(),
            user,
            version: credentials_version,
        };
        match self.cache.get(&key)? {
            Entry::Credential {
                principal,
                expires_at,
            } if expires_at.is_none_or(|e| e > self.clock.now()) => Some(principal),
            _ => None,
        }
    }

    /// Whether a granted scope list includes `needed` (the Users API needs `user`).
    pub fn require_scope(&self, granted: &[String], needed: &str) -> CoreResult<()> {
        if granted.iter().any(|s| s == needed) {
            Ok(())
        } else {
            Err(CoreError::Forbidden(Denied::Scope))
        }
    }
}

/// `Some(expiry)` when the credential is live and owned by `owner`.
fn live_credential(
    repo: &mut dyn UserRepo,
    id: &str,
    owner: UserId,
    now: NaiveDateTime,
) -> CoreResult<Option<Option<NaiveDateTime>>> {
    Ok(repo
        .find_credential(id)?
        .filter(|r| r.credential.owner == owner && r.credential.is_live(now))
        .map(|r| r.credential.expires_at))
}

/// Equality that takes the same time wherever the strings differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// 32 random hex digits in the 8-4-4-4-12 form of a UUID (version 4 bits set).
fn uuid_like() -> CoreResult<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| CoreError::Internal(format!("no randomness: {e}")))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}
