//! The auth service: password login with its throttle, the anonymous request limit, and the
//! resolution of every credential a dialect reads ([`Credential`]) to the caller's current
//! principal, through the cache of resolved credentials ([`crate::cache`]).

mod credential;

use std::net::IpAddr;
use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::access::{Actor, Principal};
use crate::audit::{self, Action, Event, Origin, Target};
use crate::cache::AuthCache;
use crate::domain::{Role, Status, normalize_email};
use crate::error::{AuthFailure, CoreError, CoreResult};
use crate::password::PasswordHasher;
use crate::ports::{self, Clock, UserStore, UserUpdate};
use crate::secret::SecretDigest;
use crate::throttle::Rate;
use crate::throttle::shared::{Shared, Throttle};
use crate::user::{User, UserKey};

pub use credential::{Authenticated, Credential};

/// The limits of the auth service, all settings.
#[derive(Clone)]
pub struct AuthLimits {
    /// Requests without a valid credential, per client address.
    pub anonymous: Rate,
    /// Failed logins per account.
    pub login_per_account: Rate,
    /// Failed logins per client address.
    pub login_per_address: Rate,
    /// Where the limits are kept when several instances share them (none: in this process).
    pub shared: Option<Shared>,
}

impl std::fmt::Debug for AuthLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLimits")
            .field("anonymous", &self.anonymous)
            .field("login_per_account", &self.login_per_account)
            .field("login_per_address", &self.login_per_address)
            .field("shared", &self.shared.as_ref().map(|s| s.instances))
            .finish()
    }
}

impl Default for AuthLimits {
    fn default() -> Self {
        use std::time::Duration;
        AuthLimits {
            anonymous: Rate::new(10, Duration::from_secs(60)),
            login_per_account: Rate::new(5, Duration::from_secs(300)),
            login_per_address: Rate::new(20, Duration::from_secs(300)),
            shared: None,
        }
    }
}

/// Authenticates users.
#[derive(Clone)]
pub struct AuthService {
    pub(crate) store: Arc<dyn UserStore>,
    hasher: Arc<dyn PasswordHasher>,
    pub(crate) clock: Arc<dyn Clock>,
    limits: Arc<Limiters>,
    pub(crate) digest: SecretDigest,
    pub(crate) cache: Arc<AuthCache>,
    /// The store without the cache's wrapper, for the one write that changes no credential
    /// (recording a login): a login must not make every other caller's next request read.
    logins: Arc<dyn UserStore>,
}

struct Limiters {
    anonymous: Throttle<IpAddr>,
    account: Throttle<String>,
    address: Throttle<IpAddr>,
}

impl AuthService {
    /// A service over these ports.
    pub fn new(
        store: Arc<dyn UserStore>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        limits: AuthLimits,
        digest: SecretDigest,
        cache: Arc<AuthCache>,
        logins: Arc<dyn UserStore>,
    ) -> Self {
        AuthService {
            store,
            hasher,
            clock,
            digest,
            cache,
            logins,
            limits: Arc::new(Limiters {
                anonymous: Throttle::new(
                    "anonymous",
                    limits.anonymous,
                    limits.shared.as_ref(),
                    false,
                ),
                account: Throttle::new(
                    "login_account",
                    limits.login_per_account,
                    limits.shared.as_ref(),
                    true,
                ),
                address: Throttle::new(
                    "login_address",
                    limits.login_per_address,
                    limits.shared.as_ref(),
                    true,
                ),
            }),
        }
    }

    /// Checks an email and password. Unknown users, wrong passwords, users without a password
    /// and users who are not active all get the same error after the same work (one argon2
    /// verification). Failures count against the account and the address; too many are
    /// answered `RateLimited` before any password is checked.
    /// Each attempt that gets as far as a password check is an `auth.login` event.
    pub fn login(&self, email: &str, password: &str, origin: &Origin) -> CoreResult<User> {
        self.login_where(email, password, origin, |_| true)
    }

    /// [`AuthService::login`] for the users `accept` admits (DreamFactory's admin and user session
    /// endpoints each admit one kind): any other user gets the same answer as a wrong password,
    /// after the same work, and the failure counts against the throttle.
    pub fn login_where(
        &self,
        email: &str,
        password: &str,
        origin: &Origin,
        accept: impl Fn(Role) -> bool,
    ) -> CoreResult<User> {
        let result = self.login_checked(email, password, origin, accept);
        count_attempt(origin.channel.as_str(), "password", &result);
        result
    }

    fn login_checked(
        &self,
        email: &str,
        password: &str,
        origin: &Origin,
        accept: impl Fn(Role) -> bool,
    ) -> CoreResult<User> {
        let from = origin.ip;
        let account = normalize_email(email);
        let now = self.clock.instant();
        self.throttled(&account, from, now)?;
        let creds = ports::read(&*self.store, |repo| Ok(repo.credentials(&account)?))?;
        let verified = match creds.as_ref().and_then(|c| c.password_hash.as_deref()) {
            Some(hash) => self.hasher.verify(password, hash),
            None => {
                self.hasher.verify_dummy(password);
                false
            }
        };
        let creds = creds.filter(|c| verified && c.status == Status::Active && accept(c.role));
        let Some(creds) = creds else {
            self.failed(&account, from, now);
            let refused = CoreError::Unauthenticated(AuthFailure::BadCredentials);
            // The address tried, only when it is one: people type passwords into the wrong
            // field, and the log must never keep one.
            let target = Target {
                email: crate::domain::Email::parse(email)
                    .ok()
                    .map(|e| e.as_str().to_owned()),
                ..Target::none_user()
            };
            let actor = Actor::anonymous(origin.clone());
            let event = Event::new(Action::AuthLogin, target);
            audit::record_failure(&*self.logins, &actor, event, &refused, self.clock.now());
            return Err(refused);
        };
        self.succeeded(&account);
        // A hash kept from an import (or made with older costs) is replaced by one of ours now
        // that the password is known. Not a password change: no token dies.
        let rehashed = match creds.password_hash.as_deref() {
            Some(hash) if self.hasher.needs_rehash(hash) => Some(self.hasher.rehash(password)?),
            _ => None,
        };
        let at = self.clock.now();
        // Only `last_login_at` (and a re-hash of the same password) changes: no credential, so
        // the cache is kept.
        ports::write(&*self.logins, |repo| {
            let user = repo
                .find(&UserKey::Id(creds.id))?
                .ok_or(CoreError::Unauthenticated(AuthFailure::BadCredentials))?;
            if user.credentials_version != creds.credentials_version {
                // Changed between the check and now (password or status): the check is stale.
                return Err(CoreError::Unauthenticated(AuthFailure::BadCredentials));
            }
            let update = UserUpdate {
                last_login_at: Some(at),
                password_hash: rehashed.clone(),
                ..UserUpdate::default()
            };
            let user = repo.update(user.id, &update)?;
            let actor = Actor::user(
                Principal {
                    id: user.id,
                    role: user.role,
                    status: user.status,
                    credentials_version: user.credentials_version,
                },
                origin.clone(),
            );
            let event = Event::new(Action::AuthLogin, Target::user(&user));
            audit::record(repo, &actor, event, at)?;
            Ok(user)
        })
    }

    /// Refuses (`RateLimited`) while the account or the address has too many recent failures.
    pub(crate) fn throttled(
        &self,
        account: &str,
        from: Option<IpAddr>,
        now: std::time::Instant,
    ) -> CoreResult<()> {
        let account = account.to_owned();
        let (by_account, by_address) = match from {
            Some(ip) => {
                let (a, b) =
                    self.limits
                        .account
                        .blocked_for_both(&account, &self.limits.address, &ip, now);
                (a, b)
            }
            None => (self.limits.account.blocked_for(&account, now), None),
        };
        match [by_account, by_address].into_iter().flatten().max() {
            Some(retry_after) => Err(CoreError::RateLimited { retry_after }),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt against the account and the address.
    pub(crate) fn failed(&self, account: &str, from: Option<IpAddr>, now: std::time::Instant) {
        let _ = self.limits.account.hit(&account.to_owned(), now);
        if let Some(ip) = from {
            let _ = self.limits.address.hit(&ip, now);
        }
    }

    /// Forgets an account's failures after a success.
    pub(crate) fn succeeded(&self, account: &str) {
        self.limits.account.clear(&account.to_owned());
    }

    /// The cache of resolved credentials, for the store's watcher to enable and empty.
    pub fn cache(&self) -> &Arc<AuthCache> {
        &self.cache
    }

    /// The caller's own record (a session's "who am I"), whatever its role.
    pub fn current_user(&self, principal: &Principal) -> CoreResult<User> {
        ports::read(&*self.store, |repo| {
            repo.find(&UserKey::Id(principal.id))?
                .ok_or(CoreError::Unauthenticated(AuthFailure::Revoked))
        })
    }

    /// Revokes one token until it expires (logout; the old token of a refresh). Only the token
    /// dies: the user's other tokens live on.
    pub fn revoke_token(&self, jti: &str, expires_at: NaiveDateTime) -> CoreResult<()> {
        let now = self.clock.now();
        ports::write(&*self.store, |repo| {
            Ok(repo.revoke_token(jti, expires_at, now)?)
        })
    }

    /// Whether a user just identified another way (a redeemed one-time code) may be given a
    /// session: only active users authenticate.
    pub fn may_log_in(&self, user: &User) -> CoreResult<()> {
        if user.status == Status::Active {
            Ok(())
        } else {
            Err(CoreError::Unauthenticated(AuthFailure::BadCredentials))
        }
    }

    /// Counts a password-reset request against its address's anonymous limit and against the
    /// account's failed-login window (so one address cannot flood one mailbox); `RateLimited`
    /// past either. Unknown addresses count the same as known ones.
    pub fn reset_request(&self, email: &str, from: Option<IpAddr>) -> CoreResult<()> {
        self.anonymous_request(from)?;
        let account = format!("reset:{}", normalize_email(email));
        let now = self.clock.instant();
        self.throttled(&account, None, now)?;
        self.failed(&account, None, now);
        Ok(())
    }

    /// Counts a request that carried no valid credential against its address's limit.
    pub fn anonymous_request(&self, from: Option<IpAddr>) -> CoreResult<()> {
        let Some(ip) = from else { return Ok(()) };
        self.limits
            .anonymous
            .hit(&ip, self.clock.instant())
            .map_err(|retry_after| CoreError::RateLimited { retry_after })
    }

    /// Whether the limits live in a shared store: then the calls that count against them
    /// (`anonymous_request`, `reset_request`, `authenticate_cached` for an API key) may wait on
    /// the network (at most its timeout), and async callers run them on the blocking pool.
    pub fn limits_are_shared(&self) -> bool {
        self.limits.anonymous.is_shared()
    }
}

/// Counts one credential check (`usergate_auth_attempts_total`): its dialect, its method
/// (`password`, `client_credentials`, `api_key`), and what came of it.
pub(crate) fn count_attempt<T>(
    dialect: &'static str,
    method: &'static str,
    result: &CoreResult<T>,
) {
    let (outcome, reason) = match result {
        Ok(_) => ("success", "ok"),
        Err(CoreError::Unauthenticated(AuthFailure::BadCredentials)) => {
            ("failure", "bad_credentials")
        }
        Err(CoreError::Unauthenticated(_)) => ("failure", "revoked_or_invalid"),
        Err(CoreError::RateLimited { .. }) => ("failure", "rate_limited"),
        Err(CoreError::Forbidden(_)) => ("failure", "forbidden"),
        Err(_) => ("failure", "error"),
    };
    metrics::counter!(
        "usergate_auth_attempts_total",
        "dialect" => dialect,
        "method" => method,
        "outcome" => outcome,
        "reason" => reason
    )
    .increment(1);
}
