//! The SCIM 2.0 dialect (RFC 7643/7644) at `/scim/v2`, as Microsoft Entra ID, Okta and
//! OneLogin provision users and groups, and as scim2-tester checks it. Spec:
//! `shared/dialects/scim.md`; why each rule is there: `shared/dialects/background/scim.md`.
//!
//! # Credentials
//! `Authorization: Bearer <API key>`, a key made for this dialect (`usergate api-keys create
//! --owner ADMIN_EMAIL --dialect scim`); keys made for the generic dialect are refused here,
//! and the reverse (401). The key acts as its owner as they are now: an owner who is not an
//! active admin gets 403.
//!
//! # Resources
//! - Users are core's users. `userName` is the email, or a login name when it is not an
//!   address (the email then comes from `emails`: the primary entry, else `work`, else the
//!   first). `displayName` is the name; `active` the status (`false` makes an active user
//!   inactive, a suspended one stays suspended); `roles` the role (the primary entry, else the
//!   most powerful; values are the five role names in any case, spelled back as sent);
//!   `name.givenName`/`familyName`, `title`, `locale`, `timezone`, `phoneNumbers` (the
//!   primary, else work, mobile, first entry) and the enterprise `employeeNumber` (when it is
//!   a whole number) have core columns. Everything else a client writes of the published
//!   attributes (`nickName`, `userType`, `preferredLanguage`, `addresses`, the other `name`
//!   parts, the enterprise extension, the lists themselves) is kept as sent and returned
//!   exactly. `password` is written, never returned. `groups` (read-only) lists the user's
//!   role group and groups.
//! - Groups: the five role groups (`id` = `displayName` = the role: `admin`, `privileged`,
//!   `editor`, `user`, `viewer`), whose members are the users with that role, and core's
//!   groups of users (the ones Domo's `/v1/groups` serves), which grant nothing. Adding a
//!   member to a role group gives the user that role; taking one out gives `user` (`viewer`
//!   when taken out of `user`); each is a core role change (admins only, the last-admin
//!   guard, the user's tokens die). A role group cannot be created (409 `uniqueness`),
//!   renamed or deleted (400 `mutability`).
//!
//! # Decisions where the spec is silent
//! - A user's `externalId` is unique among live users (409 `uniqueness`); a group's is not.
//!   Filters compare `externalId` ignoring case (core's text comparison), though it is kept
//!   and shown exactly.
//! - PUT clears what it leaves out, except `userName`, `emails`, `displayName`, `active`,
//!   `roles` and `password` (Okta PUTs back what it read); on a group, PUT replaces the name
//!   (a role group keeps its own), the external id and the members.
//! - Removing `displayName` derives it again (given and family name, else the address's
//!   local part); removing `roles` makes the role `user`; removing `userName` or `active` is
//!   400 `mutability`.
//! - A member that is not a live user's id is 400 `invalidValue`; more than 1000 member
//!   changes in one request (role groups included) is 400 `tooMany`, and nothing changes.
//! - Role groups show no `meta.created`/`lastModified` (they are a view of the roles). Their
//!   members are read only when the answer shows them (`excludedAttributes=members`, which
//!   Entra sends, reads none).
//! - An `emails` list is shown as sent while `userName` is the address; its source entry
//!   follows the address only when `userName` is a login name.
//! - `POST /.search` at the root answers users, then groups; a filter on an attribute one of
//!   the two does not have matches none of it.
//! - The discovery endpoints need the key too. `/Bulk` and `/Me` are 501.

pub mod auth;
pub mod convert;
pub mod error;
pub mod filter;
pub mod openapi;
pub mod patch;
pub mod routes;
pub mod wire;

use actix_web::web;
use usergate_web::Mount;

pub use openapi::openapi;

use crate::error::ScimError;
use crate::routes::{discovery, groups as group_routes, not_allowed, not_found, users};

/// Where the dialect is mounted.
pub const PREFIX: &str = "/scim/v2";

/// The dialect's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Request body cap.
    pub max_body: usize,
}

/// What the handlers share.
pub type State = usergate_web::DialectState<Settings>;

/// Mounts the dialect at `/scim/v2`. Bodies are read as JSON whatever their content type
/// (`application/scim+json`, `application/json`, or none).
pub fn configure(state: State) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let mount = Mount {
            prefix: PREFIX,
            max_body: state.settings.max_body,
            json_only: false,
        };
        let get_only = |path: &'static str, route: actix_web::Route| {
            web::resource(path)
                .route(route)
                .default_service(not_allowed("GET"))
        };
        cfg.service(
            usergate_web::scope::<ScimError, _>(mount, state)
                .service(get_only(
                    "/ServiceProviderConfig",
                    web::get().to(discovery::config),
                ))
                .service(get_only(
                    "/ResourceTypes",
                    web::get().to(discovery::resource_type_list),
                ))
                .service(get_only(
                    "/ResourceTypes/{id}",
                    web::get().to(discovery::resource_type),
                ))
                .service(get_only("/Schemas", web::get().to(discovery::schema_list)))
                .service(get_only("/Schemas/{id}", web::get().to(discovery::schema)))
                .service(
                    web::resource("/Users")
                        .route(web::get().to(users::list))
                        .route(web::post().to(users::create))
                        .default_service(not_allowed("GET, POST")),
                )
                .service(
                    web::resource("/Users/.search")
                        .route(web::post().to(users::search))
                        .default_service(not_allowed("POST")),
                )
                .service(
                    web::resource("/Users/{id}")
                        .route(web::get().to(users::get))
                        .route(web::put().to(users::replace))
                        .route(web::patch().to(users::patch))
                        .route(web::delete().to(users::delete))
                        .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
                )
                .service(
                    web::resource("/Groups")
                        .route(web::get().to(group_routes::list))
                        .route(web::post().to(group_routes::create))
                        .default_service(not_allowed("GET, POST")),
                )
                .service(
                    web::resource("/Groups/.search")
                        .route(web::post().to(group_routes::search))
                        .default_service(not_allowed("POST")),
                )
                .service(
                    web::resource("/Groups/{id}")
                        .route(web::get().to(group_routes::get_one))
                        .route(web::put().to(group_routes::replace))
                        .route(web::patch().to(group_routes::patch))
                        .route(web::delete().to(group_routes::delete))
                        .default_service(not_allowed("GET, PUT, PATCH, DELETE")),
                )
                .service(
                    web::resource("/.search")
                        .route(web::post().to(routes::search_all))
                        .default_service(not_allowed("POST")),
                )
                .service(web::resource(["/Bulk", "/Me"]).to(routes::not_implemented))
                .default_service(web::to(not_found)),
        );
    }
}
