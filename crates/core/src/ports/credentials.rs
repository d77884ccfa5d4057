//! The machine credentials port: Domo's OAuth clients and the generic dialect's API keys,
//! stored with the keyed digest of their secret.

use chrono::NaiveDateTime;

use crate::domain::UserId;

use super::RepoError;

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

/// Machine credentials inside one transaction.
pub trait CredentialRepo {
    /// Stores a new machine credential.
    fn insert_credential(&mut self, record: &CredentialRecord) -> Result<(), RepoError>;
    /// A machine credential by id (revoked or expired too).
    fn find_credential(&mut self, id: &str) -> Result<Option<CredentialRecord>, RepoError>;
    /// Every machine credential of a kind, oldest first.
    fn list_credentials(
        &mut self,
        kind: CredentialKind,
    ) -> Result<Vec<MachineCredential>, RepoError>;
    /// Marks a credential revoked at `now` (once: a second revocation keeps the first time).
    fn revoke_credential(&mut self, id: &str, now: NaiveDateTime) -> Result<(), RepoError>;
}
