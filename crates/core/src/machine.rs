//! Machine credentials: Domo's OAuth clients and the generic dialect's API keys, made and
//! revoked by admins (or the operator's CLI). Each is owned by a user and acts as that user
//! (checked by [`crate::auth`]). The secret is shown once and stored as a keyed digest
//! ([`crate::secret`]).

use crate::access::{Actor, require_admin};
use crate::audit::{self, Action, Event, Target};
use crate::domain::expiry;
use crate::error::{CoreError, CoreResult, Problem};
use crate::ports;
use crate::secret::random_code;
use crate::user::UserKey;
use crate::users::{UserService, found};

pub use crate::domain::KeyDialect;
pub use crate::ports::{CredentialKind, CredentialRecord, MachineCredential};

/// The scopes a Domo OAuth client may be granted (Domo's own list).
pub const OAUTH_SCOPES: [&str; 6] = ["account", "audit", "buzz", "dashboard", "data", "user"];

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
        let action = match new.kind {
            CredentialKind::OAuthClient => Action::OAuthClientCreate,
            CredentialKind::ApiKey => Action::ApiKeyCreate,
        };
        let target = Target::user_key(&new.owner);
        let result = self.create_credential_unaudited(actor, new, action);
        audit::failing(&*self.store, &*self.clock, actor, action, target, result)
    }

    fn create_credential_unaudited(
        &self,
        actor: &Actor,
        new: NewCredential,
        action: Action,
    ) -> CoreResult<Issued> {
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
        let expires_at = new.expires_in.map(|d| expiry(now, d));
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
            audit::record(
                repo,
                actor,
                credential_event(action, &credential, &owner),
                now,
            )?;
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
        let result = (|| {
            require_admin(actor)?;
            let now = self.clock.now();
            ports::write(&*self.store, |repo| {
                let before = repo.find_credential(id)?.ok_or(CoreError::NotFound)?;
                repo.revoke_credential(id, now)?;
                let after = repo
                    .find_credential(id)?
                    .ok_or(CoreError::NotFound)?
                    .credential;
                if before.credential.revoked_at.is_none() {
                    let action = match after.kind {
                        CredentialKind::OAuthClient => Action::OAuthClientRevoke,
                        CredentialKind::ApiKey => Action::ApiKeyRevoke,
                    };
                    let owner = found(repo.find(&UserKey::Id(after.owner))?).ok();
                    let mut event = Event::new(action, Target::other(kind_name(after.kind), id));
                    if let Some(owner) = owner {
                        event = credential_event(action, &after, &owner);
                    }
                    audit::record(repo, actor, event, now)?;
                }
                Ok(after)
            })
        })();
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::ApiKeyRevoke,
            Target::other("credential", id),
            result,
        )
    }
}

/// The target type of a credential kind.
fn kind_name(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::OAuthClient => "oauth_client",
        CredentialKind::ApiKey => "api_key",
    }
}

/// The event of a credential created or revoked: its id, name, owner and scopes (never its
/// secret, which core has only as a digest anyway).
fn credential_event(action: Action, c: &MachineCredential, owner: &crate::user::User) -> Event {
    let changes = serde_json::json!({
        "name": c.name,
        "owner": {"id": owner.id.get(), "email": owner.email.as_str()},
        "scopes": c.scopes,
    });
    Event::new(action, Target::other(kind_name(c.kind), &c.id))
        .changes(changes.as_object().cloned().unwrap_or_default())
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
