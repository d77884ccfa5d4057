//! This dialect's credential: `Authorization: Bearer <JWT>` with the `usergate:email-keyed`
//! audience, resolved by core to the caller's current principal. A request without a valid
//! token counts against its address's anonymous limit (429 past it, else 401).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use usergate_core::{Actor, CoreError};
use usergate_web::{bearer_token, client_ip, resolve_bearer};

use crate::State;
use crate::error::ApiError;

/// The audience of this dialect's tokens.
pub const AUDIENCE: &str = "usergate:email-keyed";

/// The authenticated caller of a request. What it may do is core's decision.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Actor);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<State>>().cloned();
        let token = bearer_token(req).map(str::to_owned);
        let ip = client_ip(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| CoreError::Internal("email-keyed state missing".into()))?;
            let actor = resolve_bearer(
                &state.core,
                token,
                ip,
                |t| state.tokens.verify(AUDIENCE, t),
                // This dialect has no logout: its tokens die with their user's credentials
                // version only.
                |core, v| {
                    core.auth
                        .resolve_cached(v.user, v.credentials_version, None)
                },
                |core, v| core.auth.resolve(v.user, v.credentials_version, None),
            )
            .await?;
            Ok(Caller(actor))
        })
    }
}
