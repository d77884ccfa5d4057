//! The codes port: one-time codes (invitations, password resets), kept as keyed digests.

use chrono::NaiveDateTime;

use crate::domain::UserId;

use super::RepoError;

/// What a one-time code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// Accepting an invitation.
    Invitation,
    /// Resetting a forgotten password.
    PasswordReset,
}

impl CodePurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CodePurpose::Invitation => "invitation",
            CodePurpose::PasswordReset => "password_reset",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invitation" => Some(CodePurpose::Invitation),
            "password_reset" => Some(CodePurpose::PasswordReset),
            _ => None,
        }
    }
}

/// A one-time code as stored: its keyed digest, never the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    /// HMAC-SHA-256 of the code under the server key.
    pub digest: String,
    /// Whose code it is.
    pub user_id: UserId,
    /// What it is for.
    pub purpose: CodePurpose,
    /// When it stops working.
    pub expires_at: NaiveDateTime,
}

/// One-time codes inside one transaction.
pub trait CodeRepo {
    /// Stores a one-time code, replacing the user's earlier codes of the same purpose, and
    /// forgets every code that expired before `forget_before`.
    fn put_code(
        &mut self,
        code: &CodeRecord,
        forget_before: NaiveDateTime,
    ) -> Result<(), RepoError>;
    /// A stored code by its digest (expired or not).
    fn find_code(&mut self, digest: &str) -> Result<Option<CodeRecord>, RepoError>;
    /// Forgets every code of a user.
    fn delete_codes(&mut self, user: UserId) -> Result<(), RepoError>;
}
