//! The dialect's OpenAPI document (committed as `openapi/domo.json`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{error, token, users, wire};

/// Domo's OAuth token endpoint and Users API, as usergate serves them under `/domo`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "usergate: Domo Users API (/domo)",
        description = "Domo's OAuth client-credentials token endpoint and Users API. Served under /domo, and at the root of --domo-listen when set. Tokens come from /domo/oauth/token with HTTP Basic client_id:client_secret."
    ),
    paths(
        token::token,
        token::token_get,
        users::create,
        users::list,
        users::get,
        users::update,
        users::delete,
    ),
    components(schemas(
        wire::DomoUser,
        wire::DeletedUser,
        wire::UserOrDeleted,
        wire::CreateBody,
        wire::UpdateBody,
        wire::RoleName,
        token::TokenResponse,
        token::GrantType,
        error::ErrorBody,
        error::OAuthErrorBody,
    )),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", usergate_web::bearer_scheme());
        components.add_security_scheme(
            "client_basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// The document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
