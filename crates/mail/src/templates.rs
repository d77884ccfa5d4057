//! The texts of the mails: a plain-text part and an HTML part with the same content.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use usergate_core::{CodeMail, Mail};

/// A mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
}

/// The mail for `mail`, with links under `public_url` (no trailing slash).
pub fn render(mail: &Mail, public_url: &str) -> Rendered {
    match mail {
        Mail::Invitation(m) => code_mail(
            m,
            "You are invited",
            "You have been invited to an account for",
            "Set your password",
            &link(public_url, "/invite/accept", m),
        ),
        Mail::PasswordReset(m) => code_mail(
            m,
            "Reset your password",
            "Someone (hopefully you) asked to reset the password of the account for",
            "Choose a new password",
            &link(public_url, "/password/reset", m),
        ),
    }
}

fn link(public_url: &str, path: &str, m: &CodeMail) -> String {
    format!(
        "{public_url}{path}?email={}&code={}",
        utf8_percent_encode(m.to.as_str(), NON_ALPHANUMERIC),
        utf8_percent_encode(&m.code, NON_ALPHANUMERIC),
    )
}

fn code_mail(m: &CodeMail, subject: &str, lead: &str, action: &str, link: &str) -> Rendered {
    let expires = m.expires_at.format("%Y-%m-%d %H:%M UTC");
    let text = format!(
        "Hello {name},\n\n{lead} {email}.\n\n{action}:\n{link}\n\nOr use this code: {code}\n\n\
         The link and the code work once, until {expires}.\n\
         If you did not expect this mail, ignore it.\n",
        name = m.name,
        email = m.to,
        code = m.code,
    );
    let html = format!(
        "<!DOCTYPE html>\n<html><body style=\"font-family: sans-serif; line-height: 1.5\">\n\
         <p>Hello {name},</p>\n<p>{lead} {email}.</p>\n\
         <p><a href=\"{href}\">{action}</a></p>\n\
         <p>Or use this code: <code>{code}</code></p>\n\
         <p>The link and the code work once, until {expires}.<br>\
         If you did not expect this mail, ignore it.</p>\n</body></html>\n",
        name = escape(&m.name),
        email = escape(m.to.as_str()),
        href = escape(link),
        code = escape(&m.code),
    );
    Rendered {
        subject: subject.to_owned(),
        text,
        html,
    }
}

/// Escapes text for HTML content and attribute values (`& < > " '`); the server's pages use it
/// too, so that a mail and the page it links to escape alike.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use usergate_core::Email;

    #[test]
    fn invitations_carry_the_link_and_the_code_and_escape_the_name() {
        let mail = Mail::Invitation(CodeMail {
            to: Email::parse("a+b@example.com").expect("email"),
            name: "<Bob & Co>".into(),
            code: "Abc123".into(),
            expires_at: chrono::NaiveDate::from_ymd_opt(2030, 1, 2)
                .and_then(|d| d.and_hms_opt(3, 4, 5))
                .expect("date"),
        });
        let r = render(&mail, "https://u.example.com");
        let link = "https://u.example.com/invite/accept?email=a%2Bb%40example%2Ecom&code=Abc123";
        assert!(r.text.contains(link), "{}", r.text);
        assert!(r.text.contains("Or use this code: Abc123"));
        assert!(r.text.contains("until 2030-01-02 03:04 UTC"));
        assert!(r.html.contains("Hello &lt;Bob &amp; Co&gt;,"));
        assert!(r.html.contains(&link.replace('&', "&amp;")));
        assert!(!r.html.contains("<Bob"));
    }
}
