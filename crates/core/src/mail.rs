//! The mail port: what core asks the outside world to deliver. Rendering and transport (SMTP)
//! live in the `usergate-mail` crate; core only says who gets which code, until when.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::domain::Email;

/// A message core wants delivered. It carries the one-time code in clear: the mailer puts it in
/// a link and must never log it.
#[derive(Clone, PartialEq, Eq)]
pub enum Mail {
    /// An invited user is asked to set a password.
    Invitation(CodeMail),
    /// A user who forgot their password gets a link to set a new one.
    PasswordReset(CodeMail),
}

impl Mail {
    /// Who receives it.
    pub fn to(&self) -> &Email {
        match self {
            Mail::Invitation(m) | Mail::PasswordReset(m) => &m.to,
        }
    }
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Mail::Invitation(_) => "Invitation",
            Mail::PasswordReset(_) => "PasswordReset",
        };
        write!(f, "{kind}(to: {})", self.to())
    }
}

/// The content of a mail that carries a one-time code.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeMail {
    /// The recipient.
    pub to: Email,
    /// The recipient's display name.
    pub name: String,
    /// The one-time code (secret).
    pub code: String,
    /// When the code stops working (UTC).
    pub expires_at: NaiveDateTime,
}

/// Delivery failed; the text is for the log and never holds the code.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MailError(pub String);

/// Delivers mail. Called on a blocking thread; an implementation bounds its own time (a slow
/// server must not hold a request beyond the configured timeout).
pub trait Mailer: Send + Sync {
    /// Sends one message, or says why not.
    fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// Mail as core uses it: the mailer, and how long codes live.
#[derive(Clone)]
pub struct MailSettings {
    /// The transport.
    pub mailer: Arc<dyn Mailer>,
    /// Lifetime of an invitation code (default 7 days).
    pub invite_ttl: Duration,
    /// Lifetime of a password-reset code.
    pub reset_ttl: Duration,
}
