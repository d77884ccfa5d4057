//! The dialect's OpenAPI document (committed as `openapi/domo.json`).

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{error, groups, routes, wire};

/// Domo's OAuth token endpoint and Users API, as usergate serves them under `/domo`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "usergate: Domo Users and Groups API (/domo)",
        description = "Domo's OAuth client-credentials token endpoint, Users API and Groups API. Served under /domo, and at the root of --domo-listen when set. Tokens come from /domo/oauth/token with HTTP Basic client_id:client_secret."
    ),
    paths(
        routes::token,
        routes::token_get,
        routes::create,
        routes::list,
        routes::get,
        routes::update,
        routes::delete,
        groups::create,
        groups::list,
        groups::get,
        groups::update,
        groups::delete,
        groups::members,
        groups::add_member,
        groups::remove_member,
    ),
    components(schemas(
        wire::DomoUser,
        groups::wire::UserGroup,
        groups::wire::DomoGroup,
        groups::wire::NewGroupBody,
        groups::wire::GroupBody,
        wire::DeletedUser,
        wire::UserOrDeleted,
        wire::CreateBody,
        wire::UpdateBody,
        wire::RoleName,
        wire::TokenResponse,
        wire::GrantType,
        error::ErrorBody,
        error::OAuthErrorBody,
    )),
    modifiers(&Security, &RoleRequired)
)]
pub struct ApiDoc;

/// A create names its role by `role` or by `roleId`: at least one of the two, which a
/// struct's `required` cannot say.
struct RoleRequired;

impl Modify for RoleRequired {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Some(RefOr::T(Schema::Object(mut body))) = components.schemas.remove("CreateBody")
        else {
            return;
        };
        let (description, example) = (body.description.take(), body.example.take());
        let either = AnyOfBuilder::new()
            .item(ObjectBuilder::new().required("role"))
            .item(ObjectBuilder::new().required("roleId"));
        // `example`, as the derive writes it for every other schema (Swagger UI's "Try it out"
        // starts from it).
        #[allow(deprecated)]
        let schema = AllOfBuilder::new()
            .item(body)
            .item(either)
            .description(description)
            .example(example)
            .build();
        components
            .schemas
            .insert("CreateBody".to_owned(), RefOr::T(Schema::AllOf(schema)));
    }
}

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
