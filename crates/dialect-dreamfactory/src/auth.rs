//! This dialect's credential, and where DreamFactory's clients put their session token, in
//! DreamFactory's order:
//! `Authorization: Bearer <jwt>` (an empty or non-Bearer header falls through, as the admin app
//! sends `Authorization:` empty), then `X-DreamFactory-Session-Token` (also spelled with
//! underscores), then the `session_token` query parameter. `X-DreamFactory-API-Key` and
//! `api_key` are accepted and ignored: usergate has no apps.

use actix_web::HttpRequest;
use usergate_core::{AuthFailure, Channel, CoreError, Credential};
use usergate_web::{DialectState, Scheme, basic_credentials, bearer_token};

use crate::Settings;
use crate::error::DfError;

/// The audience of this dialect's tokens.
pub const AUDIENCE: &str = "usergate:dreamfactory";

/// The session token of a request, if it carries one.
pub fn session_token(req: &HttpRequest) -> Option<String> {
    if let Some(t) = bearer_token(req) {
        return Some(t.to_owned());
    }
    for name in [
        "x-dreamfactory-session-token",
        "x_dreamfactory_session_token",
    ] {
        let value = req
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if let Some(v) = value {
            return Some(v.to_owned());
        }
    }
    actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .ok()?
        .into_inner()
        .into_iter()
        .find(|(k, v)| k == "session_token" && !v.is_empty())
        .map(|(_, v)| v)
}

/// A session token, else HTTP Basic (email and password, for this one request).
#[derive(Debug)]
pub struct SessionOrBasic;

/// The authenticated caller of a `/system/...` request. What the caller may do is core's
/// decision.
pub type Caller = usergate_web::Caller<SessionOrBasic>;

impl Scheme for SessionOrBasic {
    type Settings = Settings;
    type Error = DfError;
    const CHANNEL: Channel = Channel::DreamFactory;

    fn credential(
        req: &HttpRequest,
        state: &DialectState<Settings>,
    ) -> Result<Credential, AuthFailure> {
        if let Some(token) = session_token(req) {
            let verified = state.tokens.verify(AUDIENCE, &token)?;
            return Ok(Credential::Token {
                user: verified.user,
                version: verified.credentials_version,
                jti: Some(verified.claims.jti),
            });
        }
        let (email, password) = basic_credentials(req).ok_or(AuthFailure::Missing)?;
        Ok(Credential::Password { email, password })
    }

    /// Wrong Basic credentials have words of their own; tokens answer as everywhere.
    fn refused(credential: &Result<Credential, AuthFailure>, e: CoreError) -> DfError {
        match (credential, e) {
            (Ok(Credential::Password { .. }), CoreError::Unauthenticated(_)) => {
                DfError::unauthorized("Unauthorized. User credentials did not match.")
            }
            (_, e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn lookup_follows_dreamfactorys_order() {
        let req = TestRequest::default()
            .insert_header(("Authorization", "Bearer a"))
            .insert_header(("X-DreamFactory-Session-Token", "b"))
            .uri("/x?session_token=c")
            .to_http_request();
        assert_eq!(session_token(&req).as_deref(), Some("a"));
        let req = TestRequest::default()
            .insert_header(("Authorization", ""))
            .insert_header(("X-DreamFactory-Session-Token", "b"))
            .uri("/x?session_token=c")
            .to_http_request();
        assert_eq!(session_token(&req).as_deref(), Some("b"));
        let req = TestRequest::default()
            .insert_header(("Authorization", "Basic Zm9vOmJhcg=="))
            .uri("/x?api_key=k&session_token=c")
            .to_http_request();
        assert_eq!(session_token(&req).as_deref(), Some("c"));
        let req = TestRequest::default()
            .insert_header(("X_DreamFactory_Session_Token", "d"))
            .to_http_request();
        assert_eq!(session_token(&req).as_deref(), Some("d"));
        assert_eq!(
            session_token(&TestRequest::default().to_http_request()),
            None
        );
    }
}
