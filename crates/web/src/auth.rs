//! Authenticating a request, the same way in every dialect: the dialect reads its credential
//! from the request ([`Scheme::credential`]), core's cache of resolved credentials answers
//! without I/O when it can, and otherwise core resolves it on the blocking pool. A request
//! without a usable credential counts against its address's anonymous limit (`RateLimited`
//! past it) and is otherwise `Unauthenticated` with the reason.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, ResponseError, web};
use usergate_core::{
    Actor, AuthFailure, Channel, Core, CoreError, CoreResult, Credential, Origin, Via,
};

use crate::{DialectState, RequestId, blocking, client_ip};

/// How a dialect's requests carry their credential.
pub trait Scheme: 'static {
    /// The dialect's settings (the `S` of its [`DialectState`]).
    type Settings: 'static;
    /// The dialect's error, in its own envelope.
    type Error: ResponseError + From<CoreError> + 'static;
    /// The channel its changes are audited under.
    const CHANNEL: Channel;

    /// The credential of a request, checked as far as it can be without the store (a token's
    /// signature, audience and expiry), or why there is none.
    fn credential(
        req: &HttpRequest,
        state: &DialectState<Self::Settings>,
    ) -> Result<Credential, AuthFailure>;

    /// The dialect's answer to a refused credential (by default, its answer to the core error).
    fn refused(_credential: &Result<Credential, AuthFailure>, e: CoreError) -> Self::Error {
        e.into()
    }
}

/// Resolves a credential (or the reason there is none) to the caller, through core's cache of
/// resolved credentials and then the database, counting failures against the anonymous limit of
/// the request's address. The caller carries `origin`, with the credential it used.
pub async fn authenticate(
    core: &Core,
    credential: &Result<Credential, AuthFailure>,
    origin: Origin,
) -> CoreResult<Actor> {
    let ip = origin.ip;
    let failure = match credential {
        Err(failure) => *failure,
        Ok(credential) => {
            let origin = origin.via(via(credential));
            // In-process limits: answered here, with no copy of the credential (every
            // authenticated request passes through here).
            let cached = if core.auth.limits_are_shared() {
                let c = credential.clone();
                limited(core, move |core| core.auth.authenticate_cached(&c, ip)).await?
            } else {
                core.auth.authenticate_cached(credential, ip)
            };
            if let Some(cached) = cached {
                return cached.map(|p| Actor::user(p, origin));
            }
            let (owned, credential) = (core.clone(), credential.clone());
            let o = origin.clone();
            match blocking(move || owned.auth.authenticate(&credential, &o)).await {
                Ok(principal) => return Ok(Actor::user(principal, origin)),
                Err(CoreError::Unauthenticated(failure)) => failure,
                Err(e) => return Err(e),
            }
        }
    };
    limited(core, move |core| core.auth.anonymous_request(ip)).await??;
    Err(CoreError::Unauthenticated(failure))
}

/// Runs a call that counts against the rate limits: at once while they are in this process,
/// on the blocking pool when they live in Redis (a network round trip, at most its timeout).
pub async fn limited<T, F>(core: &Core, f: F) -> CoreResult<T>
where
    F: FnOnce(&Core) -> T + Send + 'static,
    T: Send + 'static,
{
    if core.auth.limits_are_shared() {
        let core = core.clone();
        blocking(move || Ok(f(&core))).await
    } else {
        Ok(f(core))
    }
}

/// What the audit log says a caller used.
fn via(credential: &Credential) -> Via {
    match credential {
        Credential::Token { jti, .. } => Via::Session(jti.clone()),
        Credential::ClientToken { client, .. } => Via::OAuthClient(client.clone()),
        Credential::ApiKey { id, .. } => Via::ApiKey(id.clone()),
        Credential::Password { .. } => Via::Password,
    }
}

/// Where a request of `channel` comes from: its id, its peer address, its user agent.
pub fn origin(req: &HttpRequest, channel: Channel) -> Origin {
    use actix_web::HttpMessage as _;
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    Origin::request(channel, request_id, client_ip(req), user_agent)
}

/// The caller of a request that needs none (a login, a one-time code), for the audit log.
pub fn anonymous(req: &HttpRequest, channel: Channel) -> Actor {
    Actor::anonymous(origin(req, channel))
}

/// The authenticated caller of a request of dialect `S`. What it may do is core's decision.
pub struct Caller<S>(pub Actor, PhantomData<S>);

impl<S> Caller<S> {
    /// Who is asking.
    pub fn actor(&self) -> &Actor {
        &self.0
    }
}

impl<S> Clone for Caller<S> {
    fn clone(&self) -> Self {
        Caller(self.0.clone(), PhantomData)
    }
}

impl<S> std::fmt::Debug for Caller<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Caller").field(&self.0).finish()
    }
}

impl<S: Scheme> FromRequest for Caller<S> {
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, S::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req
            .app_data::<web::Data<DialectState<S::Settings>>>()
            .cloned()
        else {
            let missing = CoreError::Internal("the dialect's state is not mounted".into());
            return Box::pin(async move { Err(missing.into()) });
        };
        let credential = S::credential(req, &state);
        let origin = origin(req, S::CHANNEL);
        Box::pin(async move {
            match authenticate(&state.core, &credential, origin).await {
                Ok(actor) => Ok(Caller(actor, PhantomData)),
                Err(e) => Err(S::refused(&credential, e)),
            }
        })
    }
}
