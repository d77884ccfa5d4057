//! Every credential a dialect reads, resolved to the caller as they are now: user tokens,
//! tokens issued to machine credentials, API keys, and a password for one request. Machine
//! credentials (Domo's OAuth clients, API keys) act as their owner: the owner's current role and
//! status decide on every request, and an owner who is deleted or not active makes the
//! credential fail as unauthenticated; revoking (or expiry) takes effect on the next request.
//!
//! Each resolution fills the cache of resolved credentials ([`crate::cache`]), which
//! [`AuthService::authenticate_cached`] reads without I/O.

use std::net::IpAddr;

use chrono::NaiveDateTime;

use crate::access::{Principal, current};
use crate::audit::Origin;
use crate::cache::{Entry, Key};
use crate::domain::{KeyDialect, Status, UserId};
use crate::error::{AuthFailure, CoreError, CoreResult, Denied};
use crate::ports::{self, CredentialKind, CredentialRepo, MachineCredential};

use super::AuthService;

/// A credential as a dialect read it from a request, not yet checked against the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user's token whose signature, audience and expiry were checked: whose it is, the
    /// credentials version it carries, and its id where it can be revoked on its own.
    Token {
        /// The user.
        user: UserId,
        /// The credentials version the token carries.
        version: i64,
        /// The token's id, where single tokens can be revoked (DreamFactory's logout).
        jti: Option<String>,
    },
    /// A token issued to a machine credential (a Domo OAuth client) on behalf of its owner,
    /// with the scopes it was granted and the scope the request needs.
    ClientToken {
        /// The machine credential.
        client: String,
        /// Its owner.
        user: UserId,
        /// The owner's credentials version when the token was issued.
        version: i64,
        /// The granted scopes.
        scopes: Vec<String>,
        /// The scope the request needs.
        needs: &'static str,
    },
    /// An API key: its id and its secret, presented to a dialect (a key works only in the
    /// dialect it was made for).
    ApiKey {
        /// The lookup id.
        id: String,
        /// The secret part.
        secret: String,
        /// The dialect it was presented to.
        dialect: KeyDialect,
    },
    /// An email and a password for this one request (DreamFactory's HTTP Basic).
    Password {
        /// The account.
        email: String,
        /// The password.
        password: String,
    },
}

/// A machine credential that authenticated, with its owner as the caller.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The credential.
    pub credential: MachineCredential,
    /// The scopes granted for this use (what was asked, or all of the credential's).
    pub scopes: Vec<String>,
    /// The owner, now.
    pub principal: Principal,
}

impl AuthService {
    /// Resolves a credential to the caller as they are now: a user token whose user changed
    /// (deactivated, deleted, new role or password) or that was revoked is `Revoked`; a
    /// machine credential must still be live and its owner active; a password is checked as a
    /// login is (throttled, one answer for every failure).
    pub fn authenticate(&self, credential: &Credential, origin: &Origin) -> CoreResult<Principal> {
        let from = origin.ip;
        match credential {
            Credential::Token { user, version, jti } => {
                self.resolve_token(*user, *version, jti.as_deref())
            }
            Credential::ClientToken {
                client,
                user,
                version,
                scopes,
                needs,
            } => {
                let principal = self.resolve_client_token(client, *user, *version)?;
                require_scope(scopes, needs)?;
                Ok(principal)
            }
            Credential::ApiKey {
                id,
                secret,
                dialect,
            } => {
                let result = self
                    .authenticate_machine(CredentialKind::ApiKey, id, secret, None, from)
                    .and_then(|found| {
                        // A key made for another dialect is no key here (the cache, keyed by
                        // the key's own dialect, never answers for it either).
                        if KeyDialect::of(&found.credential.scopes) == *dialect {
                            Ok(found.principal)
                        } else {
                            Err(CoreError::Unauthenticated(AuthFailure::BadCredentials))
                        }
                    });
                super::count_attempt(dialect.as_str(), "api_key", &result);
                result
            }
            Credential::Password { email, password } => {
                let user = self.login(email, password, origin)?;
                Ok(Principal {
                    id: user.id,
                    role: user.role,
                    status: user.status,
                    credentials_version: user.credentials_version,
                })
            }
        }
    }

    /// What [`AuthService::authenticate`] answered for the same credential since the database
    /// last changed, if the cache knows; `None` when it does not (or never can: a password).
    /// The throttles apply to an API key as on the full check. No I/O: async code may call it.
    pub fn authenticate_cached(
        &self,
        credential: &Credential,
        from: Option<IpAddr>,
    ) -> Option<CoreResult<Principal>> {
        let now = self.clock.now();
        match credential {
            Credential::Token { user, version, jti } => self
                .cache
                .get(&token_key(*user, *version, jti.as_deref()))?
                .at(now)
                .map(Ok),
            Credential::ClientToken {
                client,
                user,
                version,
                scopes,
                needs,
            } => {
                let principal = self
                    .cache
                    .get(&client_key(client, *user, *version))?
                    .at(now)?;
                // Without the scope, the full check answers (and refuses).
                require_scope(scopes, needs).ok()?;
                Some(Ok(principal))
            }
            Credential::ApiKey {
                id,
                secret,
                dialect,
            } => {
                let principal = self
                    .cache
                    .get(&self.api_key(id, secret, *dialect))?
                    .at(now)?;
                let account = account(CredentialKind::ApiKey, id);
                let result = self
                    .throttled(&account, from, self.clock.instant())
                    .map(|()| principal);
                super::count_attempt(dialect.as_str(), "api_key", &result);
                Some(result)
            }
            Credential::Password { .. } => None,
        }
    }

    /// A user token's caller (see [`Credential::Token`]).
    fn resolve_token(&self, id: UserId, version: i64, jti: Option<&str>) -> CoreResult<Principal> {
        let ticket = self.cache.ticket();
        let found = ports::read(&*self.store, |repo| match jti {
            Some(jti) => Ok(repo.token_principal(id, jti)?),
            None => Ok(repo.principal(id)?.map(|r| (r, false))),
        })?;
        let principal = current(
            found.filter(|(_, revoked)| !revoked).map(|(r, _)| r),
            version,
        )?;
        self.cache.put(
            ticket,
            token_key(id, version, jti),
            Entry::lasting(principal),
        );
        Ok(principal)
    }

    /// A token issued to a machine credential: the credential must still be live and its
    /// owner unchanged since (the same rules as a user token).
    fn resolve_client_token(
        &self,
        client: &str,
        user: UserId,
        version: i64,
    ) -> CoreResult<Principal> {
        let now = self.clock.now();
        let ticket = self.cache.ticket();
        let (live, owner) = ports::read(&*self.store, |repo| {
            Ok((
                live_credential(repo, client, user, now)?,
                repo.principal(user)?,
            ))
        })?;
        let Some(credential) = live else {
            return Err(CoreError::Unauthenticated(AuthFailure::Revoked));
        };
        let principal = current(owner, version)?;
        let entry = Entry {
            principal,
            expires_at: credential.expires_at,
        };
        self.cache
            .put(ticket, client_key(client, user, version), entry);
        Ok(principal)
    }

    /// Checks a machine credential's id and secret (Domo's token endpoint, an API key).
    /// Unknown ids, wrong secrets, revoked or expired credentials, and owners who are deleted or
    /// not active all get the same error after the same work; failures count against the
    /// throttles like failed logins. `requested` scopes must all be the credential's
    /// ([`Denied::Scope`] otherwise); `None` grants all of them.
    pub fn authenticate_machine(
        &self,
        kind: CredentialKind,
        id: &str,
        secret: &str,
        requested: Option<&[String]>,
        from: Option<IpAddr>,
    ) -> CoreResult<Authenticated> {
        let result = self.check_machine(kind, id, secret, requested, from);
        if kind == CredentialKind::OAuthClient {
            super::count_attempt("domo", "client_credentials", &result);
        }
        result
    }

    fn check_machine(
        &self,
        kind: CredentialKind,
        id: &str,
        secret: &str,
        requested: Option<&[String]>,
        from: Option<IpAddr>,
    ) -> CoreResult<Authenticated> {
        let now_i = self.clock.instant();
        let account = account(kind, id);
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
        let principal = Principal {
            id: owner.id,
            role: owner.role,
            status: owner.status,
            credentials_version: owner.credentials_version,
        };
        if kind == CredentialKind::ApiKey && requested.is_none() {
            let entry = Entry {
                principal,
                expires_at: credential.expires_at,
            };
            self.cache.put(
                ticket,
                Key::Api {
                    id: id.to_owned(),
                    digest,
                    dialect: KeyDialect::of(&credential.scopes),
                },
                entry,
            );
        }
        Ok(Authenticated {
            credential,
            scopes,
            principal,
        })
    }

    fn api_key(&self, id: &str, secret: &str, dialect: KeyDialect) -> Key {
        Key::Api {
            id: id.to_owned(),
            digest: self.digest.digest(secret),
            dialect,
        }
    }
}

/// Whether a granted scope list includes `needed` ([`Denied::Scope`] otherwise).
fn require_scope(granted: &[String], needed: &str) -> CoreResult<()> {
    if granted.iter().any(|s| s == needed) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(Denied::Scope))
    }
}

/// The throttle's account of a machine credential.
fn account(kind: CredentialKind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

fn token_key(user: UserId, version: i64, jti: Option<&str>) -> Key {
    Key::Token {
        user,
        version,
        jti: jti.map(str::to_owned),
    }
}

fn client_key(client: &str, user: UserId, version: i64) -> Key {
    Key::Client {
        client: client.to_owned(),
        user,
        version,
    }
}

/// The credential, when it is live and owned by `owner`.
fn live_credential(
    repo: &mut dyn CredentialRepo,
    id: &str,
    owner: UserId,
    now: NaiveDateTime,
) -> CoreResult<Option<MachineCredential>> {
    Ok(repo
        .find_credential(id)?
        .map(|r| r.credential)
        .filter(|c| c.owner == owner && c.is_live(now)))
}

/// Equality that takes the same time wherever the strings differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
