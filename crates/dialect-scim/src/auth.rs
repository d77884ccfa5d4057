//! This dialect's credential: `Authorization: Bearer ugk_<id>_<secret>`, an API key made for
//! SCIM (`usergate api-keys create --owner EMAIL --dialect scim`): what Entra ID's "Secret
//! Token" and Okta's "HTTP Header" fields take. A key made for another dialect is refused
//! (401); the key acts as its owner as they are now (an owner who is not an active admin:
//! 403).

use actix_web::HttpRequest;
use usergate_core::machine::KeyDialect;
use usergate_core::{AuthFailure, Credential};
use usergate_web::{DialectState, Scheme};

use crate::Settings;
use crate::error::ScimError;

/// A SCIM API key in the bearer header.
#[derive(Debug)]
pub struct ScimKey;

/// The authenticated caller: the key's owner.
pub type Caller = usergate_web::Caller<ScimKey>;

impl Scheme for ScimKey {
    type Settings = Settings;
    type Error = ScimError;
    const CHANNEL: usergate_core::Channel = usergate_core::Channel::Scim;

    fn credential(
        req: &HttpRequest,
        _: &DialectState<Settings>,
    ) -> Result<Credential, AuthFailure> {
        usergate_web::api_key_credential(req, KeyDialect::Scim)
    }
}
