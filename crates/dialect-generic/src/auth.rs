//! This dialect's credential: `Authorization: Bearer ugk_<id>_<secret>`, an API key made with
//! `usergate api-keys create`. Each request checks the key (one keyed hash and one indexed
//! read: no argon2) and acts as its owner as they are now; failed keys also count against the
//! failed-login throttles.

use actix_web::HttpRequest;
use usergate_core::machine::KeyDialect;
use usergate_core::{AuthFailure, Credential};
use usergate_web::{DialectState, Scheme};

use crate::Settings;
use crate::error::ApiError;

/// An API key in the bearer header.
#[derive(Debug)]
pub struct ApiKey;

/// The authenticated caller: the key's owner.
pub type Caller = usergate_web::Caller<ApiKey>;

impl Scheme for ApiKey {
    type Settings = Settings;
    type Error = ApiError;
    const CHANNEL: usergate_core::Channel = usergate_core::Channel::Generic;

    fn credential(
        req: &HttpRequest,
        _: &DialectState<Settings>,
    ) -> Result<Credential, AuthFailure> {
        usergate_web::api_key_credential(req, KeyDialect::Generic)
    }
}
