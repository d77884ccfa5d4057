//! The Domo dialect: Domo's OAuth token endpoint, Users API and Groups API, as Domo's own SDKs (pydomo,
//! the Java, Node and Rust SDKs) send and expect them. Spec: `shared/dialects/domo.md`.
//!
//! Mounted under `/domo` (`/domo/oauth/token`, `/domo/v1/users`); with `--domo-listen ADDR`
//! also at the root of a listener of its own (Domo's Java SDK keeps only the host and port of
//! its configured address). pydomo is pointed at usergate with
//! `Domo(client_id, client_secret, api_host="HOST:PORT/domo", use_https=False)`.
//!
//! # Credentials
//! OAuth clients are machine credentials owned by a user (`usergate clients create --owner
//! EMAIL --scope user`): the secret is shown once and stored as a keyed digest; a client acts
//! as its owner, whose current role and status decide on every request; revoking a client, or
//! deactivating, deleting, demoting or promoting its owner, stops its tokens at once (401).
//! Tokens are JWTs with a numeric `exp` written 30 seconds before the server stops accepting
//! them (`expires_in` says the full lifetime), so SDKs that refresh at `exp` never see a 401.
//!
//! # Decisions where the spec and Domo's documents are silent
//! - Token endpoint: a form body's `grant_type`/`scope` win over the query string's; a missing
//!   `grant_type` is 400 `invalid_request`, another grant 400 `unsupported_grant_type`; a body
//!   that is not a form is 400 `invalid_request`. Bad client credentials, a revoked client and
//!   an owner who cannot log in all answer the same 401 `unauthorized` / `Bad credentials`,
//!   and count against the login throttles (429 `too_many_requests` with `Retry-After`).
//! - Users API errors carry `statusReason` as the standard reason phrase (`Unauthorized`, not
//!   Domo's occasional `Internal Server Error` on 401), `path` as requested (with `/domo`),
//!   and `toe` = the request id (`X-Request-Id`).
//! - Create answers 201 (pydomo accepts 200 or 201; rdomo needs 201). Without `sendInvite`, or
//!   with `false`, the user is created without a password, as Domo does: they can be invited
//!   later through DreamFactory's `PATCH ?send_invite=true`, or given a password through a
//!   dialect that sets one. `sendInvite` other than true/false (any case) is 400.
//! - `role` names are exact (`admin` is 400); `roleId` (1 to 5, number or string) is read when
//!   `role` is absent, on create too, so a client that PUTs back the whole user it read works.
//! - Every problem of a body is reported at once, one per field, in Domo's field names
//!   (`employeeNumber has the wrong type or format; role must be one of ...`). Unknown and
//!   read-only keys (`id`, `groups`, `image`, `createdAt` ...) are ignored.
//! - Update merges: omitted fields stay; `null` or `""` clears an optional field; `name`,
//!   `email` and `role` cannot be cleared (400). Domo documents "all fields required" as a
//!   known limitation; usergate does not impose it (no client depends on the error).
//! - `employeeNumber` is read from a whole number or a string of digits and always written as
//!   a number. `image` is shown when a picture URL was written (the generic dialect's
//!   `avatar_url`). `groups` lists the user's groups, `[{"id","name"}]` in group id order
//!   (`[]` when none), wherever a user is shown; it is ignored on input.
//! - Groups (`/v1/groups`): see [`groups`].
//! - List: id order; deleted users are not listed (their `GET` still answers the deleted shape);
//!   `limit` 1 to 500 (default 50), `offset` 0 or more, each else 400.
//! - Ids that are not numbers answer 404 `User not found`, like unknown ids. `DELETE` of one's
//!   own account is 403; of the last active admin 409.
//! - Roles map one to one to core's (`Admin` admin, `Privileged` privileged, `Editor` editor,
//!   `Participant` user, `Social` viewer); status is not shown (Domo has none).
//! - `usergate import --format domo` reads a saved `GET /v1/users` array with
//!   [`convert::import_record`]: what a create reads (`role` by name, else `roleId`), and
//!   `createdAt`, and `groups` by name (the user joins groups of those names, each made if
//!   none has its name); `id`, `updatedAt` and the other read-only fields are ignored. Domo shows no passwords (its users sign in through Domo or SSO): imported users
//!   have none until invited or reset, unless `--hashes` supplies one.

pub mod auth;
pub mod convert;
pub mod error;
pub mod groups;
pub mod openapi;
pub mod routes;
pub mod wire;

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::web;
use usergate_web::Mount;

pub use openapi::openapi;

use crate::error::{DomoError, envelope};

/// The dialect's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Lifetime of access tokens (default 3600 s).
    pub token_ttl: Duration,
    /// Request body cap.
    pub max_body: usize,
}

/// What the handlers share.
pub type State = usergate_web::DialectState<Settings>;

/// Mounts the dialect under `prefix` (`/domo`, or `""` at the root of its own listener).
/// Bodies are read as JSON whatever their content type (Domo's SDKs do not all say).
pub fn configure(state: State, prefix: &'static str) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let mount = Mount {
            prefix,
            max_body: state.settings.max_body,
            json_only: false,
        };
        cfg.service(
            usergate_web::scope::<DomoError, _>(mount, state)
                .wrap(from_fn(envelope))
                .service(
                    web::resource("/oauth/token")
                        .route(web::get().to(routes::token_get))
                        .route(web::post().to(routes::token)),
                )
                .service(
                    web::resource(["/v1/users", "/v1/users/"])
                        .route(web::get().to(routes::list))
                        .route(web::post().to(routes::create)),
                )
                .service(
                    web::resource(["/v1/users/{id}", "/v1/users/{id}/"])
                        .route(web::get().to(routes::get))
                        .route(web::put().to(routes::update))
                        .route(web::delete().to(routes::delete)),
                )
                .configure(groups::routes)
                .default_service(web::to(|| async {
                    Err::<actix_web::HttpResponse, _>(DomoError::new(
                        StatusCode::NOT_FOUND,
                        "Not Found",
                    ))
                })),
        );
    }
}
