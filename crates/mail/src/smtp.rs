//! One SMTP conversation per message, over a connection usergate opens itself.
//!
//! lettre writes a message's body and its closing `.` line as two writes. On a socket with
//! Nagle's algorithm on (lettre's own), the second waits until the server acknowledges the
//! first, and SMTP servers delay that acknowledgement (about 40 ms on Linux) because they have
//! nothing to answer before the `.`: every mail cost a steady 44 ms on a local receiver. So the
//! TCP connection is opened here with `TCP_NODELAY` and handed to lettre's connection, which
//! then speaks SMTP over it (greeting, EHLO, STARTTLS, AUTH, the message, QUIT) as usual.
//!
//! `smtps://` (TLS from the first byte) still goes through lettre's own connect, because lettre
//! upgrades a stream to TLS only after a greeting: those mails keep the stall until lettre sets
//! `TCP_NODELAY` itself (lettre's pull request 1159, merged, not in a release yet).

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{SMTP_PORT, SUBMISSION_PORT, SUBMISSIONS_PORT};
use tokio::net::TcpStream;

use crate::MailSetupError;

/// How the connection is protected.
#[derive(Clone)]
pub(crate) enum Security {
    /// Plain text (a loopback catcher, or `tls=none`).
    None,
    /// STARTTLS after the greeting; `required` fails the mail when the server does not offer it.
    StartTls {
        params: TlsParameters,
        required: bool,
    },
    /// TLS from the first byte (`smtps://`).
    Implicit(TlsParameters),
}

/// Where and how to send: parsed once, from the SMTP URL.
#[derive(Clone)]
pub(crate) struct Route {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
}

/// Why a delivery failed; its text names the SMTP error and never the message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendError {
    #[error("{0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("no answer within {0:?} ({1})")]
    Timeout(Duration, &'static str),
}

impl Route {
    /// The route of a URL whose scheme and `tls` mode `crate::checked_url` already decided:
    /// `tls` is `None` (plain), `"required"`, `"opportunistic"`, or ignored for `smtps`.
    pub(crate) fn new(url: &url::Url, tls: Option<&str>) -> Result<Self, MailSetupError> {
        let host = url
            .host_str()
            .ok_or_else(|| MailSetupError::Url("no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let params =
            || TlsParameters::new(host.clone()).map_err(|e| MailSetupError::Url(e.to_string()));
        let (security, default_port) = match (url.scheme(), tls) {
            ("smtps", _) => (Security::Implicit(params()?), SUBMISSIONS_PORT),
            (_, Some(mode)) => (
                Security::StartTls {
                    params: params()?,
                    required: mode == "required",
                },
                SUBMISSION_PORT,
            ),
            (_, None) => (Security::None, SMTP_PORT),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let credentials = url
            .password()
            .map(|password| Credentials::new(decode(url.username()), decode(password)));
        // As lettre's URLs: a path names the host in EHLO.
        let name = url.path().trim_matches('/');
        let hello = if name.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(name.to_owned())
        };
        Ok(Route {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello,
        })
    }

    /// Sends one message on a new connection; each step (connect, greeting and EHLO, STARTTLS,
    /// AUTH, the message, QUIT) waits at most `step` for the server.
    pub(crate) async fn send(
        &self,
        envelope: &Envelope,
        message: &[u8],
        step: Duration,
    ) -> Result<(), SendError> {
        let within = |what| move |_| SendError::Timeout(step, what);
        let mut conn = match &self.security {
            Security::Implicit(params) => tokio::time::timeout(
                step,
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(step),
                    &self.hello,
                    Some(params.clone()),
                    None,
                ),
            )
            .await
            .map_err(within("connect"))??,
            Security::None | Security::StartTls { .. } => {
                let tcp =
                    tokio::time::timeout(step, TcpStream::connect((self.host.as_str(), self.port)))
                        .await
                        .map_err(within("connect"))??;
                tcp.set_nodelay(true)?;
                tokio::time::timeout(
                    step,
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello),
                )
                .await
                .map_err(within("greeting"))??
            }
        };
        if let Security::StartTls { params, required } = &self.security
            && (*required || conn.can_starttls())
        {
            tokio::time::timeout(step, conn.starttls(params.clone(), &self.hello))
                .await
                .map_err(within("STARTTLS"))??;
        }
        if let Some(credentials) = &self.credentials {
            tokio::time::timeout(
                step,
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials),
            )
            .await
            .map_err(within("AUTH"))??;
        }
        tokio::time::timeout(step, conn.send(envelope, message))
            .await
            .map_err(within("message"))??;
        // The message is accepted: a server that then fails to say goodbye changes nothing.
        let _ = tokio::time::timeout(step, conn.quit()).await;
        Ok(())
    }
}
