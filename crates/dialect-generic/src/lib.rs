//! The generic `/v1/users` dialect: a plain REST API over usergate's users, authenticated with
//! API keys. Spec: `shared/dialects/generic.md`.
//!
//! # Credentials
//! `Authorization: Bearer ugk_<id>_<secret>`. Keys are made with `usergate api-keys create
//! --owner EMAIL [--name N] [--expires-in 90d]`, shown once, stored as a keyed digest (HMAC-
//! SHA-256: a key carries 285 bits, so no slow hash is needed and checking one costs a digest
//! and one indexed read). A key acts as its owner as they are at each request: an owner who is
//! deactivated, deleted or not an admin any more stops the key (401, or 403 for a non-admin),
//! and so does revoking or expiry.
//!
//! # Decisions where the spec is silent
//! - `role` is read coarsely (`user` stands for core's privileged, editor and user), and a
//!   write of `user` to a user who already reads as `user` changes nothing (so a Domo editor
//!   stays an editor); `admin` and `viewer` are exact. `status` is exact.
//! - `name` and `email` cannot be set to `null` or `""` (400 naming the field); `avatar: null`
//!   removes the picture; `password: null` on update is ignored (passwords are set, never
//!   removed). Avatars must be http(s) URLs.
//! - A `search` of `%` or `_` matches those characters literally; an empty `search` is no
//!   filter. `limit` above 100 is taken as 100 (said in `pagination.limit`); `page` and `limit`
//!   must be whole numbers from 1.
//! - 401 bodies say whether a key was missing or unusable, never which part of it was wrong.
//!   Malformed keys count against the anonymous limit; well-formed wrong ones also against the
//!   failed-login throttles (429 `rate_limited` with `Retry-After`).
//! - A body over the cap is 413 with code `payload_too_large`; a body that is not JSON 400
//!   `invalid_request`. A path and query string over 8 KiB is 414 `uri_too_long`; headers over
//!   32 KiB 431 `headers_too_large` (usergate-web's limits, the same for every dialect).
//! - `POST` answers with `Location: /v1/users/usr_<id>`.
//!
//! # The audit log
//! `GET /v1/audit-events` reads core's audit log (admins only, an API key as for users):
//! newest first, exact filters `since`, `until` (ISO 8601 with an offset), `actor` (a user id,
//! address or credential id), `target_type`, `target_id`, `action`, `outcome`; pages by id
//! (`before` = the previous page's `next_before`, null on the last page), `limit` 1 to 500
//! (default 100; more is a 400 naming `limit`, unlike the users' list, because an audit reader
//! that silently gets fewer events than it asked for would think it has them all).
//!
//! # Webhooks
//! `/v1/webhooks` manages core's webhook endpoints (admins only): `GET` lists them, `POST`
//! `{url, event_types, description?}` creates one and answers 201 with its `secret`, the only
//! time it is shown; `GET`, `PATCH` (`url`, `event_types`, `description`, `enabled`) and
//! `DELETE` (204) by id, which is `whk_` and a number; `GET .../attempts?limit=` lists the
//! latest delivery attempts. Unknown event types are 400 naming `event_types` (the document's
//! enum is core's list); a URL that is not http(s) with a host is 400 naming `url`. A test
//! delivery is the CLI's (`usergate webhooks test`): it is the operator's check of the network
//! path, and an HTTP endpoint that makes the server call arbitrary URLs on demand would be one
//! more way to probe the inside of a network.
//!
//! # Search
//! `search` is core's `Cond::Search`: on PostgreSQL trigram GIN indexes on the lower-cased
//! name and email of live users serve it; on SQLite an FTS5 trigram table kept by triggers,
//! for terms of three characters or more (shorter ones scan). Figures over 1,000,000 users are
//! in `bench/BENCHMARKS.md` (`bench/search.sh`).

pub mod audit;
pub mod auth;
pub mod convert;
pub mod error;
pub mod openapi;
pub mod routes;
pub mod webhooks;
pub mod wire;

use actix_web::web;
use usergate_web::Mount;

pub use openapi::openapi;

use crate::error::ApiError;

/// The dialect's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Request body cap.
    pub max_body: usize,
}

/// What the handlers share.
pub type State = usergate_web::DialectState<Settings>;

/// Mounts the dialect under `/v1`. Bodies are read as JSON whatever their content type.
pub fn configure(state: State) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let mount = Mount {
            prefix: "/v1",
            max_body: state.settings.max_body,
            json_only: false,
        };
        cfg.service(
            usergate_web::scope::<ApiError, _>(mount, state)
                .service(
                    web::resource("/users")
                        .route(web::get().to(routes::list))
                        .route(web::post().to(routes::create)),
                )
                .service(
                    web::resource("/users/{user_id}")
                        .route(web::get().to(routes::get))
                        .route(web::patch().to(routes::update))
                        .route(web::delete().to(routes::delete)),
                )
                .service(web::resource("/audit-events").route(web::get().to(audit::list)))
                .service(
                    web::resource("/webhooks")
                        .route(web::get().to(webhooks::list))
                        .route(web::post().to(webhooks::create)),
                )
                .service(
                    web::resource("/webhooks/{webhook_id}")
                        .route(web::get().to(webhooks::get))
                        .route(web::patch().to(webhooks::update))
                        .route(web::delete().to(webhooks::delete)),
                )
                .service(
                    web::resource("/webhooks/{webhook_id}/attempts")
                        .route(web::get().to(webhooks::attempts)),
                ),
        );
    }
}
