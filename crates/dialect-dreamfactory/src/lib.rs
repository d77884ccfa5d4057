//! The DreamFactory System API dialect (`/api/v2`). Spec: `shared/dialects/dreamfactory.md`.
//!
//! Served: the sessions (`/api/v2/system/admin/session`, `/api/v2/user/session`: log in,
//! describe, refresh, log out); `/api/v2/system/user` and `/api/v2/system/admin`: reads (list,
//! `?ids=`, by id, with `filter`, `fields`, `related`, `order`/`sort`, `limit`, `offset`,
//! `include_count`) and writes (create, change and delete, by id, by `?ids=` or by records,
//! with the three batch modes); invitations (`send_invite=true` on create and change) and
//! setting a password with the mailed code (`routes::user_password`, `routes::admin_password`); the endpoints DreamFactory's admin
//! web app needs besides users and sessions ([`admin_app`]), and `--dreamfactory-admin-app
//! DIR` serving an operator's copy at `/dreamfactory/dist/`. Not served: `count_only`,
//! `as_list`, `wrap=false`, `include_schema` (rarely used; the parameters are ignored), the
//! logged-in password change (`old_password`) and `?reset=true`.
//!
//! # What is emulated, and the decisions where the spec is silent
//! - Sessions: `host` in the session object is `usergate` (DreamFactory puts its machine's
//!   name there; clients do not read it). `remember_me` is accepted and ignored: no "forever"
//!   sessions (the JWT says `forever: false`).
//! - `DELETE .../session` answers `{"success":true}` even without a usable token: logging out
//!   is idempotent. With a token, even an expired one within the refresh window, it is revoked.
//! - A refreshed or logged-out token stays revoked until it could no longer be refreshed
//!   (its expiry plus the refresh window), so an old token cannot be refreshed twice. A refresh
//!   whose token is older than the window answers 401 `Token refresh failed. ...`; a revoked
//!   token answers 403 (blacklisted), as on every other endpoint.
//! - Login bodies are read as JSON whatever their `Content-Type` (DreamFactory's SDKs do not
//!   all send one).
//! - The session token is read from `Authorization: Bearer`, `X-DreamFactory-Session-Token` and
//!   the `session_token` query parameter; not from a request body. HTTP Basic authenticates one
//!   request when no token is sent. A `/system/...` request without a usable credential counts
//!   against the anonymous limit of its address (429 past it), as in every dialect.
//! - The filter follows the spec's grammar, which is stricter and more regular than
//!   DreamFactory's own string-splitting parser: `AND`/`OR` need no parentheses around their
//!   operands, quoted values may contain escaped quotes (`\'`), and `CONTAINS 'Doe'` searches
//!   for `Doe` (DreamFactory would search for the quotes too). Filterable fields: `id`, `name`,
//!   `first_name`, `last_name`, `email`, `phone`, `is_active`, `last_login_date`,
//!   `created_date`, `last_modified_date`; any other name is 400 `Invalid or unparsable field in
//!   filter request: '<name>'` (DreamFactory also lets hidden columns such as `password` be
//!   filtered: usergate does not). `is_active` takes DreamFactory's booleans (`1`, `true`, `0`,
//!   `false` ...), and is false for inactive and suspended users.
//! - Text comparisons ignore case on both backends (as DreamFactory on MySQL's usual
//!   collation). Text sorts by code point of the lower-cased text, so accented letters sort
//!   after `z`; MySQL would sort `É` with `E`.
//! - `order` naming a field that is not filterable is a 400 `Invalid or unparsable field in
//!   order request: '<name>'` (DreamFactory answers with an SQL error, 500).
//! - `fields` ignores unknown names, as DreamFactory does; records list only the fields asked
//!   for. `related` answers each known relation with `[]` (usergate has no apps or lookups).
//! - The record: `username` defaults to the email; `confirmed` is whether the user has a
//!   password (false while invited); `expired` is always false; `created_by_id`,
//!   `last_modified_by_id`, `security_question` and `default_app_id` are null unless a client
//!   wrote them.
//! - Writes: the spec over DreamFactory's own code: `"is_active": false` on create makes an
//!   inactive user (DreamFactory drops falsy values and creates it active); a taken email is that
//!   record's 409 `Duplicate entry '<email>' for key 'user_email_unique'`; the password policy is
//!   usergate's (10 characters, a setting), said in Laravel's words. `""` and `null` are absent on
//!   create and clear the field on update (`name` and `email` cannot be cleared: ignored).
//!   Text fields take a string or a number (its decimal text); any other JSON type in them is
//!   ignored on create and on update alike (DreamFactory stores what PHP makes of it; no client
//!   sends one). A record that is not a JSON object is that record's error (`The email field is
//!   required.` on create, `The id field is required.` in a list of changes); a by-id change
//!   that is not an object changes nothing. `username`, `security_question` and
//!   `default_app_id` are kept as written (any JSON value) and returned as written.
//!   `is_sys_admin` in a body is ignored: the endpoint decides the kind, and no DreamFactory
//!   endpoint moves a user between kinds. A change through `/system/user` leaves a Domo
//!   `Editor` an editor (`is_active` is the only role-adjacent field here, and it maps status).
//! - Invitations: the spec's 503 for "no mail configured" (nothing is written) carries
//!   DreamFactory's own text for it (`Error processing user invite. No email service configured
//!   for user invite.`, which DreamFactory sends with a 500). A password sent with
//!   `send_invite=true` is ignored: an invited user has none until they accept. The code is
//!   32 letters and digits, stored only as a keyed digest, valid for `USERGATE_INVITE_TTL`
//!   (7 days); the mail carries both the code and a link to usergate's accept page (DreamFactory
//!   links to its admin app's invite page, which posts the same code to `/user/password`). The
//!   records are written first (as the batch mode says), then each new user's mail is sent; a
//!   user whose mail fails is removed outright (no row is left), and the answer is DreamFactory's
//!   500 (`Error processing user invite. ...` for one record, `Not all users were created
//!   successfully. Check log for more details.` for several) while the other records stay.
//!   Every failure of a create answers in DreamFactory's batch error shape, whose
//!   `context.resource[i]` is each record's result or error (DreamFactory's admin app shows
//!   `context.resource[0].message`): the records' own errors (400), a failed mail (500, as
//!   above), and no mail server at all (503: every record carries the reason; nothing is
//!   written).
//! - `PATCH`/`PUT ?send_invite=true` applies the change and stores a new code in one
//!   transaction, and mails the code before committing it: a refused change or resend (`User
//!   with this identifier has already confirmed this account.`, a user of the other kind, an
//!   unknown id, an email that is taken) or a failed mail changes nothing, and the earlier code
//!   keeps working. On the list path the batch stops at the first record that fails and answers
//!   with that record's own error (`rollback=true` undoes the records before it). A `PATCH` or
//!   `PUT` of one user by id with no body at all is a resend with no change: DreamFactory's admin
//!   app sends its "Send Invite" so.
//! - `POST /user/password` accepts the code of any user; `/system/admin/password` only an
//!   admin's (401 `You are not authorized to reset/change password for the account <email>`,
//!   and the code stays usable). Checks in DreamFactory's order and words: a missing email, a
//!   missing new password, a missing code (`Invalid confirmation code.`), a code that is not 32
//!   printable characters (`Invalid confirmation code format.`), the password policy (Laravel's
//!   words under `new_password`), an unknown code or one of another address (404 `The supplied
//!   email and/or confirmation code were not found in the system.`), an expired one (400
//!   `Confirmation code expired.`). Accepting uses up every code of the user and kills their
//!   tokens; `?login=true` adds a `session_token` if the user may log in (active). The path is
//!   anonymous, so it counts against the anonymous rate limit per address.
//! - A list longer than 1000 records (the default `limit` is 100000) is read and written 1000
//!   at a time, streamed, so memory stays bounded; its pages are read with `offset`, so writes
//!   made while it streams may shift it (as in DreamFactory). An error after the first chunk can
//!   only cut the answer short (logged).
//! - `usergate import --format dreamfactory` reads a saved listing (`{"resource":[...]}` of
//!   `GET /system/user`, or of `/system/admin` with `--role admin`: the listing says nothing of
//!   the kind, the endpoint did) with [`convert::import_record`]: the fields a create reads, and
//!   `created_date` (either of DreamFactory's time forms); `id`, `last_login_date` and the
//!   other read-only fields are ignored, as a create ignores them. Listings carry no password;
//!   hashes from DreamFactory's `user` table (bcrypt, `$2y$`) come with `--hashes`.

pub mod admin_app;
pub mod auth;
pub mod convert;
pub mod error;
pub mod filter;
pub mod openapi;
pub mod routes;
pub mod sessions;
pub mod wire;

use std::time::Duration;

use actix_web::web;
use usergate_web::Mount;
use utoipa::OpenApi as _;

use crate::error::DfError;

/// The dialect's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Lifetime of a session token (DreamFactory: 24 h).
    pub token_ttl: Duration,
    /// How long after expiry a token can still be refreshed (DreamFactory: 14 days).
    pub refresh_ttl: Duration,
    /// The request body cap, in bytes.
    pub max_body: usize,
    /// An operator's copy of DreamFactory's admin web app, served at `/dreamfactory/dist/`.
    pub admin_app: Option<std::path::PathBuf>,
}

/// What the handlers share.
pub type State = usergate_web::DialectState<Settings>;

/// The OpenAPI document of this dialect.
pub fn openapi() -> utoipa::openapi::OpenApi {
    openapi::ApiDoc::openapi()
}

/// Mounts the dialect under `/api/v2` (register it before anything mounted at `/api`). Bodies
/// are read as JSON whatever their content type (DreamFactory's SDKs do not all send one).
pub fn configure(state: State) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        if let Some(dir) = &state.settings.admin_app {
            // Same origin as /api/v2, which the app calls by absolute path.
            cfg.service(
                actix_files::Files::new("/dreamfactory/dist", dir).index_file("index.html"),
            );
        }
        let mount = Mount {
            prefix: "/api/v2",
            max_body: state.settings.max_body,
            json_only: false,
        };
        cfg.service(
            usergate_web::scope::<DfError, _>(mount, state)
                .service(
                    web::resource("/system/admin/session")
                        .route(web::post().to(sessions::admin_login))
                        .route(web::get().to(sessions::admin_session))
                        .route(web::put().to(sessions::admin_refresh))
                        .route(web::delete().to(sessions::admin_logout)),
                )
                .service(
                    web::resource("/system/environment")
                        .route(web::get().to(admin_app::environment)),
                )
                .service(web::resource("/system/lookup").route(web::get().to(admin_app::lookup)))
                .service(web::resource("/system/app").route(web::get().to(admin_app::apps)))
                .service(web::resource("/system/role").route(web::get().to(admin_app::roles)))
                .service(web::resource("/system/service").route(web::get().to(admin_app::services)))
                .service(web::resource("/system").route(web::get().to(admin_app::system)))
                .service(
                    web::resource("/system/user")
                        .route(web::get().to(routes::list_users))
                        .route(web::post().to(routes::create_users))
                        .route(web::patch().to(routes::update_users))
                        .route(web::put().to(routes::replace_users))
                        .route(web::delete().to(routes::delete_users)),
                )
                .service(
                    web::resource("/system/user/{id}")
                        .route(web::get().to(routes::get_user))
                        .route(web::post().to(routes::create_user_by_id))
                        .route(web::patch().to(routes::update_user))
                        .route(web::put().to(routes::replace_user))
                        .route(web::delete().to(routes::delete_user)),
                )
                .service(
                    web::resource("/system/admin")
                        .route(web::get().to(routes::list_admins))
                        .route(web::post().to(routes::create_admins))
                        .route(web::patch().to(routes::update_admins))
                        .route(web::put().to(routes::replace_admins))
                        .route(web::delete().to(routes::delete_admins)),
                )
                .service(
                    web::resource("/system/admin/password")
                        .route(web::post().to(routes::admin_password)),
                )
                .service(
                    web::resource("/system/admin/{id}")
                        .route(web::get().to(routes::get_admin))
                        .route(web::post().to(routes::create_admin_by_id))
                        .route(web::patch().to(routes::update_admin))
                        .route(web::put().to(routes::replace_admin))
                        .route(web::delete().to(routes::delete_admin)),
                )
                .service(
                    web::resource("/user/password").route(web::post().to(routes::user_password)),
                )
                .service(
                    web::resource("/user/session")
                        .route(web::post().to(sessions::user_login))
                        .route(web::get().to(sessions::user_session))
                        .route(web::put().to(sessions::user_refresh))
                        .route(web::delete().to(sessions::user_logout)),
                ),
        );
    }
}
