//! This dialect's credential: `Authorization: Bearer ugk_<id>_<secret>`, an API key made with
//! `usergate api-keys create`. Each request checks the key (one keyed hash and one indexed
//! read: no argon2) and acts as its owner as they are now. A request without a usable key
//! counts against its address's anonymous limit; failed keys also count against the failed-
//! login throttles.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use usergate_core::machine::{CredentialKind, parse_api_key};
use usergate_core::{Actor, AuthFailure, CoreError};
use usergate_web::{bearer_token, blocking, client_ip};

use crate::State;
use crate::error::ApiError;

/// The authenticated caller: the key's owner.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Actor);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<State>>().cloned();
        let key = bearer_token(req).map(str::to_owned);
        let ip = client_ip(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| CoreError::Internal("generic state missing".into()))?;
            let failure = match key.as_deref().map(parse_api_key) {
                None => AuthFailure::Missing,
                Some(None) => AuthFailure::Invalid,
                Some(Some((id, secret))) => {
                    let cached = state.core.auth.authenticate_api_key_cached(id, secret, ip);
                    match cached {
                        Some(Ok(ok)) => return Ok(Caller(Actor::User(ok.principal))),
                        Some(Err(e)) => return Err(e.into()),
                        None => {}
                    }
                    let (id, secret) = (id.to_owned(), secret.to_owned());
                    let core = state.core.clone();
                    let checked = blocking(move || {
                        core.auth.authenticate_credential(
                            CredentialKind::ApiKey,
                            &id,
                            &secret,
                            None,
                            ip,
                        )
                    })
                    .await;
                    match checked {
                        Ok(ok) => return Ok(Caller(Actor::User(ok.principal))),
                        Err(CoreError::Unauthenticated(f)) => f,
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            state.core.auth.anonymous_request(ip)?;
            Err(CoreError::Unauthenticated(failure).into())
        })
    }
}
