//! What DreamFactory's own admin web app needs beyond users and sessions, so that operators can
//! keep administering users with it: the environment (read before login), empty listings of
//! the things usergate does not have (apps, roles, services, lookups), and the list of system
//! resources. Each answer was found to break the app when missing (see the spec).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::State;
use crate::auth::Caller;
use crate::error::{DfError, denied_component};

/// `GET /system/environment`, without credentials: how to log in, and what this server is.
#[utoipa::path(get, path = "/api/v2/system/environment", tag = "admin app",
    responses((status = 200, description = "The environment the admin app reads before login", body = Object)))]
pub async fn environment() -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "authentication": {
            "allow_open_registration": false,
            "login_attribute": "email",
            "adldap": [],
            "oauth": [],
            "saml": []
        },
        "platform": {
            "version": env!("CARGO_PKG_VERSION"),
            // The admin app compares this string exactly.
            "license": "OPEN SOURCE",
            "is_hosted": false,
            "is_trial": false,
            "root_admin_exists": true
        },
        "server": {"server_os": "linux"}
    }))
}

fn empty_listing() -> HttpResponse {
    HttpResponse::Ok().json(json!({"resource": [], "meta": {"count": 0}}))
}

/// Core's answer to "is this caller an admin", in DreamFactory's words for `component`.
fn require_admin(caller: Caller, state: &State, component: &str) -> Result<(), DfError> {
    state
        .core
        .users
        .check_admin(caller.actor())
        .map_err(|e| denied_component(component, "GET", e))
}

/// `GET /system/lookup`: never 403 or 404 (the app stops on those); empty for everyone who
/// is logged in.
#[utoipa::path(get, path = "/api/v2/system/lookup", tag = "admin app",
    security(("session_token" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{\"resource\":[],\"meta\":{\"count\":0}}", body = Object),
        (status = 400, description = "No credentials", body = crate::error::ErrorEnvelope),
        (status = 401, description = "An expired or invalid token, or bad Basic credentials", body = crate::error::ErrorEnvelope),
        (status = 403, description = "A revoked token", body = crate::error::ErrorEnvelope),
        (status = 429, description = "Too many requests without valid credentials", body = crate::error::ErrorEnvelope),
    ))]
pub async fn lookup(_caller: Caller) -> HttpResponse {
    empty_listing()
}

macro_rules! empty_for_admins {
    ($name:ident, $path:literal, $component:literal) => {
        #[doc = concat!("`GET ", $path, "`: usergate has none; admins get an empty listing.")]
        #[utoipa::path(get, path = $path, tag = "admin app",
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"resource\":[],\"meta\":{\"count\":0}}", body = Object),
                (status = 400, description = "No credentials", body = crate::error::ErrorEnvelope),
                (status = 401, description = "An expired or invalid token, or bad Basic credentials", body = crate::error::ErrorEnvelope),
                (status = 403, description = "Not an admin, or a revoked token", body = crate::error::ErrorEnvelope),
                (status = 429, description = "Too many requests without valid credentials", body = crate::error::ErrorEnvelope),
            ))]
        pub async fn $name(caller: Caller, state: web::Data<State>) -> Result<HttpResponse, DfError> {
            require_admin(caller, &state, $component)?;
            Ok(empty_listing())
        }
    };
}

empty_for_admins!(apps, "/api/v2/system/app", "app");
empty_for_admins!(roles, "/api/v2/system/role", "role");
empty_for_admins!(services, "/api/v2/system/service", "service");

/// `GET /system`: the system resources usergate serves.
#[utoipa::path(get, path = "/api/v2/system", tag = "admin app",
    security(("session_token" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "{\"resource\":[{\"name\":\"user\"},{\"name\":\"admin\"}]}", body = Object),
        (status = 400, description = "No credentials", body = crate::error::ErrorEnvelope),
        (status = 401, description = "An expired or invalid token, or bad Basic credentials", body = crate::error::ErrorEnvelope),
        (status = 403, description = "Not an admin, or a revoked token", body = crate::error::ErrorEnvelope),
        (status = 429, description = "Too many requests without valid credentials", body = crate::error::ErrorEnvelope),
    ))]
pub async fn system(caller: Caller, state: web::Data<State>) -> Result<HttpResponse, DfError> {
    require_admin(caller, &state, "")?;
    Ok(HttpResponse::Ok().json(json!({"resource": [{"name": "user"}, {"name": "admin"}]})))
}
