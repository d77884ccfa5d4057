//! The dialect's OpenAPI document (committed as `openapi/dreamfactory.json`).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{admin_app, error, password, routes, users, wire, writes};

/// The DreamFactory System API, as far as usergate serves it.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "usergate: DreamFactory System API (/api/v2)",
        description = "DreamFactory's sessions and users (reads, writes, batches), served over usergate's users.",
        version = "2"
    ),
    paths(
        routes::admin_login,
        routes::admin_session,
        routes::admin_refresh,
        routes::admin_logout,
        routes::user_login,
        routes::user_session,
        routes::user_refresh,
        routes::user_logout,
        users::list_users,
        users::get_user,
        users::list_admins,
        users::get_admin,
        writes::create_users,
        writes::update_users,
        writes::update_user,
        writes::replace_users,
        writes::replace_user,
        writes::delete_users,
        writes::delete_user,
        writes::create_user_by_id,
        writes::create_admin_by_id,
        writes::create_admins,
        writes::update_admins,
        writes::update_admin,
        writes::replace_admins,
        writes::replace_admin,
        writes::delete_admins,
        writes::delete_admin,
        password::user_password,
        password::admin_password,
        admin_app::environment,
        admin_app::lookup,
        admin_app::apps,
        admin_app::roles,
        admin_app::services,
        admin_app::system,
    ),
    components(schemas(
        wire::LoginRequest,
        wire::Session,
        wire::Success,
        wire::NewRecord,
        wire::NewRecords,
        wire::RecordChange,
        wire::RecordChanges,
        password::PasswordByCode,
        password::PasswordChanged,
        error::ErrorEnvelope,
        error::ErrorBody,
    )),
    modifiers(&SessionAuth)
)]
pub struct ApiDoc;

struct SessionAuth;

impl Modify for SessionAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(
                "X-DreamFactory-Session-Token",
            ))),
        );
        components.add_security_scheme("bearer", usergate_web::bearer_scheme());
    }
}
