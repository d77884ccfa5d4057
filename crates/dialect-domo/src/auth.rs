//! This dialect's credential: `Authorization: bearer <JWT>` (any case of the scheme) issued by
//! the token endpoint to an OAuth client. Every request checks that the client is still live,
//! that its owner is unchanged and active, and that the token carries the `user` scope. Missing
//! or unusable tokens are 401 (never 403: Domo's SDKs refresh on 401 only); a request without
//! a valid token counts against its address's anonymous limit.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use usergate_core::{Actor, AuthFailure, CoreError};
use usergate_web::{VerifiedToken, bearer_token, client_ip, resolve_bearer};

use crate::State;
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

/// The authenticated caller: the OAuth client's owner, as they are now.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Actor);

impl FromRequest for Caller {
    type Error = DomoError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DomoError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<State>>().cloned();
        let token = bearer_token(req).map(str::to_owned);
        let ip = client_ip(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| CoreError::Internal("domo state missing".into()))?;
            let ttl = state.settings.token_ttl.as_secs();
            let verify = |t: &str| {
                let verified = state.tokens.verify_refreshable(AUDIENCE, t, EARLY)?;
                // `exp` says up to 30 s less than the server accepts; the server's own limit
                // is the issue time plus the lifetime.
                if now_secs() > verified.claims.iat + ttl {
                    return Err(AuthFailure::Expired);
                }
                Ok(verified)
            };
            // A cached owner still needs the token's own scope: without it, the full path
            // answers (and refuses).
            let cached = |core: &usergate_core::Core, v: &VerifiedToken| {
                let client = v.claims.client_id.as_deref()?;
                let principal =
                    core.auth
                        .resolve_credential_cached(client, v.user, v.credentials_version)?;
                core.auth.require_scope(&scopes(v), USER_SCOPE).ok()?;
                Some(principal)
            };
            let actor = resolve_bearer(&state.core, token, ip, verify, cached, |core, v| {
                let client = v
                    .claims
                    .client_id
                    .as_deref()
                    .ok_or(CoreError::Unauthenticated(AuthFailure::Invalid))?;
                let principal =
                    core.auth
                        .resolve_credential(client, v.user, v.credentials_version)?;
                core.auth.require_scope(&scopes(&v), USER_SCOPE)?;
                Ok(principal)
            })
            .await?;
            Ok(Caller(actor))
        })
    }
}

/// The scopes a token carries.
fn scopes(v: &VerifiedToken) -> Vec<String> {
    v.claims
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}
