//! The dialect's OpenAPI document (committed as `openapi/generic.json`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{error, routes, wire};

/// The generic `/v1/users` API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "usergate: generic REST API (/v1)",
        description = "Users over plain REST. Authenticate with an API key (usergate api-keys create): Authorization: Bearer ugk_..."
    ),
    paths(routes::list, routes::get, routes::create, routes::update, routes::delete),
    components(schemas(
        wire::GenericUser,
        wire::CreateUser,
        wire::UpdateUser,
        wire::RoleWord,
        wire::StatusWord,
        wire::UserList,
        wire::UserReply,
        wire::Pagination,
        wire::Deleted,
        error::ErrorBody,
        error::ErrorDetail,
    )),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key: ugk_<id>_<secret>"))
                    .build(),
            ),
        );
    }
}

/// The document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
