//! This dialect's credential: `Authorization: bearer <JWT>` (any case of the scheme) issued by
//! the token endpoint to an OAuth client. Core checks on every request that the client is
//! still live, that its owner is unchanged and active, and that the token carries the `user`
//! scope. Missing or unusable tokens are 401 (never 403: Domo's SDKs refresh on 401 only).

use std::time::Duration;

use actix_web::HttpRequest;
use usergate_core::{AuthFailure, Credential};
use usergate_web::{DialectState, Scheme, bearer_token};

use crate::Settings;
use crate::error::DomoError;

/// The audience of this dialect's tokens.
pub const AUDIENCE: &str = "usergate:domo";

/// How much earlier than the server's limit the `exp` claim ends (Domo's clients refresh at
/// `exp` with no margin; the server keeps accepting for this long after it).
pub const EARLY: Duration = Duration::from_secs(30);

/// The scope the Users API needs.
pub const USER_SCOPE: &str = "user";

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A token issued to an OAuth client.
#[derive(Debug)]
pub struct ClientToken;

/// The authenticated caller: the OAuth client's owner, as they are now.
pub type Caller = usergate_web::Caller<ClientToken>;

impl Scheme for ClientToken {
    type Settings = Settings;
    type Error = DomoError;
    const CHANNEL: usergate_core::Channel = usergate_core::Channel::Domo;

    fn credential(
        req: &HttpRequest,
        state: &DialectState<Settings>,
    ) -> Result<Credential, AuthFailure> {
        let token = bearer_token(req).ok_or(AuthFailure::Missing)?;
        let verified = state.tokens.verify_refreshable(AUDIENCE, token, EARLY)?;
        // `exp` says up to 30 s less than the server accepts; the server's own limit is the
        // issue time plus the lifetime.
        if now_secs() > verified.claims.iat + state.settings.token_ttl.as_secs() {
            return Err(AuthFailure::Expired);
        }
        let claims = verified.claims;
        Ok(Credential::ClientToken {
            client: claims.client_id.ok_or(AuthFailure::Invalid)?,
            user: verified.user,
            version: verified.credentials_version,
            scopes: claims
                .scope
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            needs: USER_SCOPE,
        })
    }
}
