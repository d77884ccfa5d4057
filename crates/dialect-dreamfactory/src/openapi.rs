//! The dialect's OpenAPI document (committed as `openapi/dreamfactory.json`).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{admin_app, error, routes, sessions, wire};

/// The DreamFactory System API, as far as usergate serves it.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "usergate: DreamFactory System API (/api/v2)",
        description = "DreamFactory's sessions and users (reads, writes, batches), served over usergate's users.",
        version = "2"
    ),
    paths(
        sessions::admin_login,
        sessions::admin_session,
        sessions::admin_refresh,
        sessions::admin_logout,
        sessions::user_login,
        sessions::user_session,
        sessions::user_refresh,
        sessions::user_logout,
        routes::list_users,
        routes::get_user,
        routes::list_admins,
        routes::get_admin,
        routes::create_users,
        routes::update_users,
        routes::update_user,
        routes::replace_users,
        routes::replace_user,
        routes::delete_users,
        routes::delete_user,
        routes::create_user_by_id,
        routes::create_admin_by_id,
        routes::create_admins,
        routes::update_admins,
        routes::update_admin,
        routes::replace_admins,
        routes::replace_admin,
        routes::delete_admins,
        routes::delete_admin,
        routes::user_password,
        routes::admin_password,
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
        wire::RecordRef,
        wire::RecordRefs,
        wire::PasswordByCode,
        wire::PasswordChanged,
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
