//! The email-keyed `/api/users` dialect: users addressed by email, managed by admins with a
//! JWT from `POST /api/auth/token`. Spec: `shared/dialects/email-keyed.md`.
//!
//! Mounted at `/api`: `/api/auth/token`, `/api/users`, `/api/users/{email}`.
//!
//! # What is emulated, and the decisions where the spec is silent
//! - Roles: `Admin` is core `admin`; `User` reads every other core role. Writing `User` to a
//!   user that already reads as `User` keeps its finer role (a Domo `Editor` stays an editor);
//!   writing it to an admin makes a core `user`.
//! - Statuses: `Active` is `active`; `Inactive` reads `inactive` and `suspended`, and writing it
//!   keeps a suspended user suspended.
//! - `type` and `status` values are matched case-insensitively (as .NET's enum converter
//!   does); anything else is a 400 listing the accepted values. `PUT` with neither is a 400.
//! - Unknown JSON fields are ignored, as the original service ignored them.
//! - `POST /api/users` creates an active `User`. Changing a password (`PATCH`) is for admins
//!   only, including one's own: the original offers no self-service.
//! - Wrong credentials, unknown users and inactive users all get the same 401 with the same
//!   message (the original's "user not active" would tell a guesser the password was right).
//! - A `{email}` path segment that is not an address is a 400 (validation), not a 404.
//! - The anonymous rate limit counts requests to `/api/users*` without a valid token, per
//!   TCP peer address (forwarded headers are not trusted). The token endpoint has its own
//!   throttle: failed logins per account and per address.
//! - Error bodies never echo submitted values; JSON syntax errors give line and column only.

pub mod auth;
pub mod convert;
pub mod error;
pub mod openapi;
pub mod routes;
pub mod wire;

use std::time::Duration;

use actix_web::web;
use usergate_web::Mount;
use utoipa::OpenApi as _;

use crate::error::ApiError;

/// The dialect's settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Lifetime of issued tokens (`expiresIn`).
    pub token_ttl: Duration,
    /// The request body cap, in bytes.
    pub max_body: usize,
}

/// What the handlers share.
pub type State = usergate_web::DialectState<Settings>;

/// The OpenAPI document of this dialect.
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::ApiDoc::openapi()
}

/// Mounts the dialect under `/api`. Bodies must say `Content-Type: application/json`, as the
/// original (.NET) service required.
pub fn configure(state: State) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let mount = Mount {
            prefix: "/api",
            max_body: state.settings.max_body,
            json_only: true,
        };
        cfg.service(
            usergate_web::scope::<ApiError, _>(mount, state)
                .service(web::resource("/auth/token").route(web::post().to(routes::token)))
                .service(
                    web::resource("/users")
                        .route(web::get().to(routes::list_users))
                        .route(web::post().to(routes::create_user)),
                )
                .service(
                    web::resource("/users/{email}")
                        .route(web::get().to(routes::get_user))
                        .route(web::put().to(routes::update_user))
                        .route(web::patch().to(routes::change_password))
                        .route(web::delete().to(routes::delete_user)),
                ),
        );
    }
}
