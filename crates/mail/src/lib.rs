//! Core's [`Mailer`] port over SMTP, with lettre.
//!
//! `USERGATE_SMTP_URL` says where mail goes:
//! - `smtp://user:pass@host:587`: STARTTLS, required (the credentials never travel in clear);
//! - `smtps://user:pass@host:465`: TLS from the first byte;
//! - `smtp://127.0.0.1:1025`: a loopback host is spoken to without TLS (a local catcher or
//!   relay), as is any host with `?tls=none`; `?tls=opportunistic` is passed to lettre as is.
//!
//! Each message opens its own connection, bounded by a timeout for every SMTP step, so a slow
//! server holds a request for at most that long. A failure's text names the SMTP error, never
//! the code or the link.

mod templates;

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};
use usergate_core::{Mail, MailError, Mailer};

pub use templates::{Rendered, escape as escape_html, render};

/// Why mail could not be set up (a configuration error, reported at start).
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    /// The SMTP URL is malformed or names an unknown scheme or `tls` mode.
    #[error("USERGATE_SMTP_URL is not usable: {0}")]
    Url(String),
    /// The sender address does not parse.
    #[error("USERGATE_MAIL_FROM is not an address: {0}")]
    From(String),
    /// The public URL is not an absolute http(s) URL.
    #[error("USERGATE_PUBLIC_URL must be an absolute http(s) URL: {0}")]
    PublicUrl(String),
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://` or `smtps://` URL (see the crate docs).
    pub smtp_url: String,
    /// The `From` address, e.g. `usergate <no-reply@example.com>`.
    pub from: String,
    /// The server's public base URL, for links (e.g. `https://users.example.com`).
    pub public_url: String,
    /// Upper bound for each SMTP step (connect, each command).
    pub timeout: Duration,
}

/// Sends core's mails over SMTP.
pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
    public_url: String,
    /// Where mail goes, without credentials (for logs).
    endpoint: String,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for this configuration; nothing is sent or connected yet.
    pub fn new(config: &MailConfig) -> Result<Self, MailSetupError> {
        let (lettre_url, endpoint) = lettre_url(&config.smtp_url)?;
        let transport = SmtpTransport::from_url(&lettre_url)
            .map_err(|e| MailSetupError::Url(e.to_string()))?
            .timeout(Some(config.timeout))
            .build();
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| MailSetupError::From(e.to_string()))?;
        let public = url::Url::parse(&config.public_url)
            .map_err(|e| MailSetupError::PublicUrl(e.to_string()))?;
        if !matches!(public.scheme(), "http" | "https") || public.host_str().is_none() {
            return Err(MailSetupError::PublicUrl(config.public_url.clone()));
        }
        Ok(SmtpMailer {
            transport,
            from,
            public_url: config.public_url.trim_end_matches('/').to_owned(),
            endpoint,
        })
    }

    /// Where mail goes (scheme, host and port; no credentials), for the start-up log.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn message(&self, mail: &Mail) -> Result<Message, MailError> {
        let rendered = render(mail, &self.public_url);
        let to = mail
            .to()
            .as_str()
            .parse::<Mailbox>()
            .map_err(|e| MailError(format!("recipient address refused: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| MailError(format!("message not built: {e}")))
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        self.transport
            .send(&message)
            .map(drop)
            .map_err(|e| MailError(format!("SMTP delivery to {} failed: {e}", self.endpoint)))
    }
}

/// Our URL rules turned into lettre's: STARTTLS is required on `smtp://` unless the host is a
/// loopback address or `tls=none` says otherwise. Also returns the endpoint for logs.
fn lettre_url(raw: &str) -> Result<(String, String), MailSetupError> {
    let mut url = url::Url::parse(raw).map_err(|e| MailSetupError::Url(e.to_string()))?;
    let host = url
        .host_str()
        .ok_or_else(|| MailSetupError::Url("no host".into()))?
        .to_owned();
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let rest: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "tls")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let scheme = url.scheme().to_owned();
    let tls = match (scheme.as_str(), tls.as_deref()) {
        ("smtp", None) if is_loopback(&host) => None,
        ("smtp", None) => Some("required".to_owned()),
        ("smtp", Some("none")) => None,
        ("smtp", Some(mode @ ("required" | "opportunistic"))) => Some(mode.to_owned()),
        ("smtps", None) => None,
        (scheme, tls) => {
            return Err(MailSetupError::Url(format!(
                "scheme {scheme:?} with tls {tls:?}: use smtp:// (tls=required|opportunistic|none) or smtps://"
            )));
        }
    };
    url.set_query(None);
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in &rest {
            q.append_pair(k, v);
        }
        if let Some(mode) = &tls {
            q.append_pair("tls", mode);
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let endpoint = format!(
        "{scheme}://{host}{port} ({})",
        match (scheme.as_str(), tls.as_deref()) {
            ("smtps", _) => "TLS",
            (_, Some("required")) => "STARTTLS required",
            (_, Some(_)) => "STARTTLS if offered",
            _ => "no TLS",
        }
    );
    Ok((url.to_string(), endpoint))
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_require_starttls_except_on_loopback() {
        let cases = [
            (
                "smtp://u:p@mail.example.com:587",
                "smtp://u:p@mail.example.com:587?tls=required",
            ),
            ("smtp://127.0.0.1:1025", "smtp://127.0.0.1:1025"),
            ("smtp://localhost:1025", "smtp://localhost:1025"),
            ("smtp://[::1]:25", "smtp://[::1]:25"),
            (
                "smtp://relay.internal:25?tls=none",
                "smtp://relay.internal:25",
            ),
            (
                "smtp://relay.internal:25?tls=opportunistic",
                "smtp://relay.internal:25?tls=opportunistic",
            ),
            (
                "smtps://u:p@mail.example.com",
                "smtps://u:p@mail.example.com",
            ),
        ];
        for (given, want) in cases {
            assert_eq!(lettre_url(given).expect(given).0, want, "{given}");
        }
        for bad in [
            "http://x",
            "smtp://x?tls=maybe",
            "smtp:///nohost",
            "not a url",
        ] {
            assert!(lettre_url(bad).is_err(), "{bad}");
        }
        let (_, endpoint) = lettre_url("smtp://user:secret@mail.example.com:587").expect("url");
        assert!(!endpoint.contains("secret") && !endpoint.contains("user"));
    }

    #[test]
    fn the_configuration_is_checked_up_front() {
        let ok = MailConfig {
            smtp_url: "smtp://127.0.0.1:1025".into(),
            from: "usergate <no-reply@example.com>".into(),
            public_url: "https://users.example.com/".into(),
            timeout: Duration::from_secs(5),
        };
        let m = SmtpMailer::new(&ok).expect("mailer");
        assert_eq!(m.public_url, "https://users.example.com");
        let bad_from = MailConfig {
            from: "not an address".into(),
            ..ok.clone()
        };
        assert!(matches!(
            SmtpMailer::new(&bad_from),
            Err(MailSetupError::From(_))
        ));
        let bad_public = MailConfig {
            public_url: "users.example.com".into(),
            ..ok
        };
        assert!(matches!(
            SmtpMailer::new(&bad_public),
            Err(MailSetupError::PublicUrl(_))
        ));
    }
}
