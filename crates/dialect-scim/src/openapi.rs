//! The dialect's OpenAPI document (committed as `openapi/scim.json`). SCIM resources are
//! described by `/Schemas` (what the dialect publishes to its clients); here they are JSON
//! objects, and every answer is `application/scim+json`.

use utoipa::{Modify, OpenApi};

use crate::routes::{self, discovery, groups, users};
use crate::{error, patch};

/// SCIM 2.0 as usergate serves it at /scim/v2.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "usergate: SCIM 2.0 (/scim/v2)",
        description = "SCIM 2.0 (RFC 7643/7644) for identity providers: Users, Groups (the five role groups and groups of users), filters, PATCH, /.search. Authenticate with Authorization: Bearer <API key> from `usergate api-keys create --dialect scim`. The attributes of each resource are those /Schemas publishes."
    ),
    paths(
        discovery::config,
        discovery::resource_type_list,
        discovery::resource_type,
        discovery::schema_list,
        discovery::schema,
        users::list,
        users::search,
        users::create,
        users::get,
        users::replace,
        users::patch,
        users::delete,
        groups::list,
        groups::search,
        groups::create,
        groups::get_one,
        groups::replace,
        groups::patch,
        groups::delete,
        routes::search_all,
    ),
    components(schemas(error::ErrorBody, patch::PatchBody, patch::Operation, routes::ListParams)),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", usergate_web::bearer_scheme());
    }
}

/// The document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
