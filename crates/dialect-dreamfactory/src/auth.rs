//! Where DreamFactory's clients put their session token, in DreamFactory's order:
//! `Authorization: Bearer <jwt>` (an empty or non-Bearer header falls through, as the admin app
//! sends `Authorization:` empty), then `X-DreamFactory-Session-Token` (also spelled with
//! underscores), then the `session_token` query parameter. `X-DreamFactory-API-Key` and
//! `api_key` are accepted and ignored: usergate has no apps.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use usergate_core::{Actor, AuthFailure, CoreError, Principal};
use usergate_web::{basic_credentials, bearer_token, blocking, client_ip};

use crate::State;
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

/// The authenticated caller of a `/system/...` request: by session token, else by HTTP Basic
/// (email and password, for this one request). What the caller may do is core's decision.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Actor);

impl FromRequest for Caller {
    type Error = DfError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, DfError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<State>>().cloned();
        let token = session_token(req);
        let basic = basic_credentials(req);
        let ip = client_ip(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| CoreError::Internal("dreamfactory state missing".into()))?;
            let core = state.core.clone();
            if let Some(token) = token {
                let verified = state
                    .tokens
                    .verify(AUDIENCE, &token)
                    .map_err(DfError::token)?;
                let jti = verified.claims.jti.clone();
                let cached = core.auth.resolve_cached(
                    verified.user,
                    verified.credentials_version,
                    Some(&jti),
                );
                if let Some(principal) = cached {
                    return Ok(Caller(Actor::User(principal)));
                }
                let principal = blocking(move || {
                    core.auth
                        .resolve(verified.user, verified.credentials_version, Some(&jti))
                })
                .await?;
                return Ok(Caller(Actor::User(principal)));
            }
            let Some((email, password)) = basic else {
                return Err(DfError::token(AuthFailure::Missing));
            };
            let user = blocking(move || core.auth.login(&email, &password, ip))
                .await
                .map_err(|e| match e {
                    CoreError::Unauthenticated(_) => {
                        DfError::unauthorized("Unauthorized. User credentials did not match.")
                    }
                    other => other.into(),
                })?;
            Ok(Caller(Actor::User(Principal {
                id: user.id,
                role: user.role,
                status: user.status,
                credentials_version: user.credentials_version,
            })))
        })
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
