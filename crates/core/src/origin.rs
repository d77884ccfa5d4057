//! Where a change comes from (for the audit log): the channel (a dialect, the CLI, the console, an import), the
//! credential the caller used, and the request's id, address and user agent.

use std::net::IpAddr;

/// The channel a change came through: the `dialect` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// DreamFactory's System API.
    DreamFactory,
    /// Domo's APIs.
    Domo,
    /// The generic `/v1` API.
    Generic,
    /// The email-keyed `/api/users` API.
    EmailKeyed,
    /// SCIM 2.0.
    Scim,
    /// The command line.
    Cli,
    /// The admin console and the account pages.
    Console,
    /// An import run.
    Import,
    /// The server itself (first-start bootstrap, pruning, a webhook endpoint disabled).
    System,
}

impl Channel {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::DreamFactory => "dreamfactory",
            Channel::Domo => "domo",
            Channel::Generic => "generic",
            Channel::EmailKeyed => "email_keyed",
            Channel::Scim => "scim",
            Channel::Cli => "cli",
            Channel::Console => "console",
            Channel::Import => "import",
            Channel::System => "system",
        }
    }
}

/// The credential a caller presented.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Via {
    /// None (the operator, the server, an anonymous request).
    #[default]
    Nothing,
    /// A user's session token, with its id where it has one.
    Session(Option<String>),
    /// A password sent with the request itself.
    Password,
    /// An API key, by id.
    ApiKey(String),
    /// A token issued to an OAuth client, by the client's id.
    OAuthClient(String),
}

impl Via {
    /// The `actor_type` of a user acting through this credential.
    pub(crate) fn actor_type(&self) -> &'static str {
        match self {
            Via::ApiKey(_) => "api_key",
            Via::OAuthClient(_) => "oauth_client",
            Via::Nothing | Via::Session(_) | Via::Password => "user",
        }
    }

    /// The `credential_id` column: a key's or a client's id, a session token's id.
    pub(crate) fn credential_id(&self) -> Option<&str> {
        match self {
            Via::ApiKey(id) | Via::OAuthClient(id) => Some(id),
            Via::Session(jti) => jti.as_deref(),
            Via::Nothing | Via::Password => None,
        }
    }
}

/// The longest user agent kept, in bytes.
pub const MAX_USER_AGENT: usize = 512;

/// Where a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The channel.
    pub channel: Channel,
    /// The credential presented.
    pub via: Via,
    /// The request's id (the `X-Request-Id` echoed to the client).
    pub request_id: Option<String>,
    /// The peer address.
    pub ip: Option<IpAddr>,
    /// The `User-Agent`, cut at [`MAX_USER_AGENT`] bytes.
    pub user_agent: Option<String>,
}

impl Origin {
    /// A channel with no request (the CLI, an import, the server).
    pub fn channel(channel: Channel) -> Origin {
        Origin {
            channel,
            via: Via::Nothing,
            request_id: None,
            ip: None,
            user_agent: None,
        }
    }

    /// A request of `channel`.
    pub fn request(
        channel: Channel,
        request_id: Option<String>,
        ip: Option<IpAddr>,
        user_agent: Option<&str>,
    ) -> Origin {
        Origin {
            channel,
            via: Via::Nothing,
            request_id,
            ip,
            user_agent: user_agent.map(|ua| cut(ua, MAX_USER_AGENT).to_owned()),
        }
    }

    /// The same origin with this credential.
    pub fn via(self, via: Via) -> Origin {
        Origin { via, ..self }
    }
}

/// `s` cut to at most `max` bytes at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_user_agent_is_cut_at_a_character_boundary() {
        let ua = "é".repeat(400);
        let o = Origin::request(Channel::Generic, None, None, Some(&ua));
        let kept = o.user_agent.unwrap_or_default();
        assert!(kept.len() <= MAX_USER_AGENT && kept.len() >= MAX_USER_AGENT - 1);
        assert!(kept.chars().all(|c| c == 'é'));
    }
}
