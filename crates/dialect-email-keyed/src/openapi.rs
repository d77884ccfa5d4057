//! The dialect's OpenAPI document (committed as `openapi/email-keyed.json`).

use utoipa::{Modify, OpenApi};

use crate::{routes, wire};

/// The email-keyed API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "usergate: email-keyed /api/users",
        description = "Users addressed by email, managed by admins holding a JWT from /api/auth/token.",
        version = "1"
    ),
    paths(
        routes::token,
        routes::create_user,
        routes::list_users,
        routes::get_user,
        routes::update_user,
        routes::change_password,
        routes::delete_user,
    ),
    components(schemas(
        wire::TokenRequest,
        wire::TokenResponse,
        wire::CreateUserRequest,
        wire::UpdateUserRequest,
        wire::ChangePasswordRequest,
        wire::UserResponse,
        wire::UserType,
        wire::UserStatus,
        wire::ErrorBody,
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", usergate_web::bearer_scheme());
        // `PUT` needs at least one field (`{}` is 400). Set here: utoipa 5.5's
        // `#[schema(min_properties)]` writes `maxProperties` instead.
        if let Some(utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(update))) =
            components.schemas.get_mut("UpdateUserRequest")
        {
            update.min_properties = Some(1);
        }
    }
}
