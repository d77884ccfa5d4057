//! Core's [`Mailer`] port over SMTP, with lettre.
//!
//! `USERGATE_SMTP_URL` says where mail goes:
//! - `smtp://user:pass@host:587`: STARTTLS, required (the credentials never travel in clear);
//! - `smtps://user:pass@host:465`: TLS from the first byte;
//! - `smtp://127.0.0.1:1025`: a loopback host is spoken to without TLS (a local catcher or
//!   relay), as is any host with `?tls=none`; `?tls=opportunistic` is passed to lettre as is.
//!
//! Each message opens its own connection (with `TCP_NODELAY`: see `smtp.rs`), bounded by a
//! timeout for every SMTP step, so a slow server holds a request for at most that long. A
//! failure's text names the SMTP error, never the code or the link.

mod smtp;
mod templates;

use std::net::IpAddr;
use std::time::Duration;

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
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
    route: smtp::Route,
    timeout: Duration,
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
        let (route, endpoint) = route(&config.smtp_url)?;
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
            route,
            timeout: config.timeout,
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
        let failed = |e: &dyn std::fmt::Display| {
            MailError(format!("SMTP delivery to {} failed: {e}", self.endpoint))
        };
        // Core sends from a blocking thread (or the CLI's main thread): a runtime of its own for
        // the conversation, a few dozen microseconds to build.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| failed(&e))?;
        runtime
            .block_on(
                self.route
                    .send(message.envelope(), &message.formatted(), self.timeout),
            )
            .map_err(|e| failed(&e))
    }
}

/// Our URL rules: STARTTLS is required on `smtp://` unless the host is a loopback address or
/// `tls=none` says otherwise. Also returns the endpoint for logs.
fn route(raw: &str) -> Result<(smtp::Route, String), MailSetupError> {
    let url = url::Url::parse(raw).map_err(|e| MailSetupError::Url(e.to_string()))?;
    let host = url
        .host_str()
        .ok_or_else(|| MailSetupError::Url("no host".into()))?
        .to_owned();
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
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
    let route = smtp::Route::new(&url, tls.as_deref())?;
    let endpoint = format!(
        "{scheme}://{host}:{} ({})",
        route.port,
        match (scheme.as_str(), tls.as_deref()) {
            ("smtps", _) => "TLS",
            (_, Some("required")) => "STARTTLS required",
            (_, Some(_)) => "STARTTLS if offered",
            _ => "no TLS",
        }
    );
    Ok((route, endpoint))
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
        use smtp::Security;
        // (URL, port, security: n(one), r(equired STARTTLS), o(pportunistic), i(mplicit))
        let cases = [
            ("smtp://u:p@mail.example.com:587", 587, 'r'),
            ("smtp://u:p@mail.example.com", 587, 'r'),
            ("smtp://127.0.0.1:1025", 1025, 'n'),
            ("smtp://localhost:1025", 1025, 'n'),
            ("smtp://[::1]:25", 25, 'n'),
            ("smtp://relay.internal?tls=none", 25, 'n'),
            ("smtp://relay.internal:25?tls=opportunistic", 25, 'o'),
            ("smtps://u:p@mail.example.com", 465, 'i'),
        ];
        for (given, port, security) in cases {
            let (route, endpoint) = route(given).expect(given);
            let kind = match route.security {
                Security::None => 'n',
                Security::StartTls { required: true, .. } => 'r',
                Security::StartTls {
                    required: false, ..
                } => 'o',
                Security::Implicit(_) => 'i',
            };
            assert_eq!((route.port, kind), (port, security), "{given}");
            assert!(endpoint.contains(&format!(":{port} (")), "{endpoint}");
        }
        assert_eq!(route("smtp://[::1]:25").expect("v6").0.host, "::1");
        for bad in [
            "http://x",
            "smtp://x?tls=maybe",
            "smtp:///nohost",
            "not a url",
        ] {
            assert!(route(bad).is_err(), "{bad}");
        }
        let (_, endpoint) = route("smtp://user:secret@mail.example.com:587").expect("url");
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
