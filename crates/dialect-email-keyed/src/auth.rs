//! This dialect's credential: `Authorization: Bearer <JWT>` with the `usergate:email-keyed`
//! audience. The token dies with its user's credentials version (this dialect has no logout).

use actix_web::HttpRequest;
use usergate_core::{AuthFailure, Credential};
use usergate_web::{DialectState, Scheme, bearer_token};

use crate::Settings;
use crate::error::ApiError;

/// The audience of this dialect's tokens.
pub const AUDIENCE: &str = "usergate:email-keyed";

/// The bearer token of this dialect.
#[derive(Debug)]
pub struct Bearer;

/// The authenticated caller of a request. What it may do is core's decision.
pub type Caller = usergate_web::Caller<Bearer>;

impl Scheme for Bearer {
    type Settings = Settings;
    type Error = ApiError;
    const CHANNEL: usergate_core::Channel = usergate_core::Channel::EmailKeyed;

    fn credential(
        req: &HttpRequest,
        state: &DialectState<Settings>,
    ) -> Result<Credential, AuthFailure> {
        let token = bearer_token(req).ok_or(AuthFailure::Missing)?;
        let verified = state.tokens.verify(AUDIENCE, token)?;
        Ok(Credential::Token {
            user: verified.user,
            version: verified.credentials_version,
            jti: None,
        })
    }
}
