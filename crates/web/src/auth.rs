//! Authenticating a request, the same way in every dialect: the dialect reads its credential
//! from the request ([`Scheme::credential`]), core's cache of resolved credentials answers
//! without I/O when it can, and otherwise core resolves it on the blocking pool. A request
//! without a usable credential counts against its address's anonymous limit (`RateLimited`
//! past it) and is otherwise `Unauthenticated` with the reason.

use std::future::Future;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, ResponseError, web};
use usergate_core::{Actor, AuthFailure, Core, CoreError, CoreResult, Credential};

use crate::{DialectState, blocking, client_ip};

/// How a dialect's requests carry their credential.
pub trait Scheme: 'static {
    /// The dialect's settings (the `S` of its [`DialectState`]).
    type Settings: 'static;
    /// The dialect's error, in its own envelope.
    type Error: ResponseError + From<CoreError> + 'static;

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
/// `ip`.
pub async fn authenticate(
    core: &Core,
    credential: &Result<Credential, AuthFailure>,
    ip: Option<IpAddr>,
) -> CoreResult<Actor> {
    let failure = match credential {
        Err(failure) => *failure,
        Ok(credential) => {
            if let Some(cached) = core.auth.authenticate_cached(credential, ip) {
                return cached.map(Actor::User);
            }
            let (owned, credential) = (core.clone(), credential.clone());
            match blocking(move || owned.auth.authenticate(&credential, ip)).await {
                Ok(principal) => return Ok(Actor::User(principal)),
                Err(CoreError::Unauthenticated(failure)) => failure,
                Err(e) => return Err(e),
            }
        }
    };
    core.auth.anonymous_request(ip)?;
    Err(CoreError::Unauthenticated(failure))
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
        *self
    }
}

impl<S> Copy for Caller<S> {}

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
        let ip = client_ip(req);
        Box::pin(async move {
            match authenticate(&state.core, &credential, ip).await {
                Ok(actor) => Ok(Caller(actor, PhantomData)),
                Err(e) => Err(S::refused(&credential, e)),
            }
        })
    }
}
