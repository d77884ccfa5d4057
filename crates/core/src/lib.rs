//! usergate's core: the domain types, the rules, and the use cases every dialect calls.
//!
//! Nothing here knows about HTTP or SQL. Dialects translate their wire formats into the
//! commands of [`UserService`] and [`AuthService`]; the store crate implements the
//! [`ports`]. Core is synchronous: its callers run it on a blocking thread, which also keeps
//! argon2 off the async executor.
//!
//! Architecture invariants:
//! - every rule (who may do what, soft delete, the last-admin guard, the password policy, token
//!   invalidation) is decided here, once;
//! - every mutation is one store transaction; a failed call changes nothing;
//! - no value that leaves core carries a password or a hash.

// Domain types (depend on nothing but each other).
pub mod domain;
pub mod error;
pub mod group;
pub mod origin;
pub mod patch;
pub mod query;
pub mod user;
// The ports the store implements (depend on domain types only).
pub mod ports;
// Rules and services.
pub mod access;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod groups;
pub mod hashes;
pub mod import;
pub mod invites;
pub mod machine;
pub mod mail;
pub mod password;
pub mod secret;
pub mod throttle;
pub mod users;
pub mod webhooks;

#[cfg(test)]
mod memory;
#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use access::{Actor, ActorKind, Principal};
pub use audit::AuditService;
pub use auth::{AuthLimits, AuthService, Credential};
pub use cache::AuthCache;
pub use domain::{Coarse, Email, LoginName, Password, PasswordPolicy, Role, Status, UserId};
pub use error::{AuthFailure, Conflict, CoreError, CoreResult, Denied, FieldError, Problem};
pub use group::{
    Group, GroupChanges, GroupDelete, GroupId, GroupName, GroupRef, Members, NewGroup,
};
pub use groups::GroupService;
pub use mail::{CodeMail, Mail, MailError, MailSettings, Mailer};
pub use origin::{Channel, Origin, Via};
pub use password::{Argon2Cost, Argon2Hasher, PasswordHasher};
pub use patch::Patch;
pub use ports::{Clock, SystemClock, UserStore};
pub use secret::SecretDigest;
pub use user::{NewUser, Page, Profile, ProfileChanges, User, UserChanges, UserKey};
pub use users::{Batch, BatchMode, Guard, Lookup, UserService};

/// Everything a dialect needs from core, cheap to clone.
#[derive(Clone)]
pub struct Core {
    /// User management.
    pub users: UserService,
    /// Groups and their members.
    pub groups: GroupService,
    /// Authentication.
    pub auth: AuthService,
    /// The audit log.
    pub audit: AuditService,
    /// Webhook endpoints and their deliveries.
    pub webhooks: webhooks::WebhookService,
    /// The password policy in force.
    pub policy: PasswordPolicy,
}

impl Core {
    /// Whether short reads may run on the calling thread ([`ports::in_place`]).
    pub fn reads_in_place(&self) -> bool {
        self.users.store.reads_in_place()
    }

    /// Wires the services over one store, hasher and clock; `digest` keys one-time codes;
    /// without `mail`, invitations are refused.
    pub fn new(
        store: Arc<dyn UserStore>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        policy: PasswordPolicy,
        limits: AuthLimits,
        digest: SecretDigest,
        mail: Option<MailSettings>,
    ) -> Self {
        // Every service writes through the wrapper, so that each write empties the cache of
        // resolved credentials (disabled until a store watcher enables it).
        let cache = Arc::new(AuthCache::new());
        let raw = store;
        let store: Arc<dyn UserStore> = Arc::new(cache::Invalidating {
            inner: raw.clone(),
            cache: cache.clone(),
        });
        Core {
            audit: AuditService::new(raw.clone(), clock.clone()),
            webhooks: webhooks::WebhookService::new(raw.clone(), clock.clone()),
            groups: GroupService::new(store.clone(), clock.clone()),
            users: UserService::new(
                store.clone(),
                hasher.clone(),
                clock.clone(),
                digest.clone(),
                mail,
                cache.clone(),
            ),
            auth: AuthService::new(store, hasher, clock, limits, digest.clone(), cache, raw),
            policy,
        }
    }
}
