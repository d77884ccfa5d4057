//! The endpoints of `/system/user`, `/system/admin` and the password paths, as the OpenAPI
//! document describes them: one public handler per path and verb, each delegating to the one
//! implementation its path shares with the other kind of user (reads, writes, password).

mod password;
mod reads;
mod writes;

use actix_web::{HttpRequest, HttpResponse, web};
use usergate_web::{Body, Object, OptionalBody};

use crate::State;
use crate::auth::Caller;
use crate::convert::Kind;
use crate::error::{DfError, ErrorEnvelope};
use crate::wire::{
    NewRecords, PasswordByCode, PasswordChanged, PasswordParams, ReadParams, Record, RecordChange,
    RecordChanges, RecordRefs, WriteParams,
};

type Result<T> = std::result::Result<T, DfError>;

macro_rules! read_endpoints {
    ($list_path:literal, $one_path:literal, $kind:expr, $tag:literal, $list:ident, $one:ident) => {
        /// Lists records: `filter`, `ids`, `fields`, `related`, `order` (`sort`), `limit`,
        /// `offset`, `include_count`.
        #[utoipa::path(get, path = $list_path, tag = $tag,
            params(
                ("filter" = Option<String>, Query, description = "DreamFactory filter, e.g. (name like \"%jo%\") or (email like \"%jo%\")"),
                ("ids" = Option<String>, Query, description = "Comma-separated ids"),
                ("fields" = Option<String>, Query, description = "Comma-separated fields, * for all"),
                ("related" = Option<String>, Query, description = "Relations (answered with empty lists)"),
                ("order" = Option<String>, Query, description = "field [ASC|DESC], ... (alias sort)"),
                ("limit" = Option<String>, Query, description = "At most 100000 (also the default)"),
                ("offset" = Option<String>, Query, description = "Records to skip"),
                ("include_count" = Option<String>, Query, description = "Adds meta.count"),
            ),
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"resource\":[...]} (and meta.count)", body = Object),
                (status = 400, description = "No credentials, a bad filter or order, or a missing id (batch error)", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token, or wrong HTTP Basic credentials", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, or the token was revoked", body = ErrorEnvelope),
            ))]
        pub async fn $list(
            caller: Caller,
            state: web::Data<State>,
            p: web::Query<ReadParams>,
        ) -> Result<HttpResponse> {
            reads::list($kind, caller, state, p).await
        }

        /// One record, unwrapped.
        #[utoipa::path(get, path = $one_path, tag = $tag,
            params(
                ("id" = i64, Path, description = "The record's id"),
                ("fields" = Option<String>, Query, description = "Comma-separated fields, * for all"),
                ("related" = Option<String>, Query, description = "Relations (answered with empty lists)"),
            ),
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "The record", body = Object),
                (status = 400, description = "No credentials", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, or the token was revoked", body = ErrorEnvelope),
                (status = 404, description = "No such record of this kind", body = ErrorEnvelope),
            ))]
        pub async fn $one(
            caller: Caller,
            state: web::Data<State>,
            id: web::Path<String>,
            p: web::Query<ReadParams>,
        ) -> Result<HttpResponse> {
            reads::get_one($kind, caller, state, id, p).await
        }
    };
}

read_endpoints!(
    "/api/v2/system/user",
    "/api/v2/system/user/{id}",
    Kind::User,
    "users",
    list_users,
    get_user
);
read_endpoints!(
    "/api/v2/system/admin",
    "/api/v2/system/admin/{id}",
    Kind::Admin,
    "admins",
    list_admins,
    get_admin
);

macro_rules! create_by_id_endpoint {
    ($path:literal, $tag:literal, $name:ident) => {
        /// Not supported (DreamFactory's answer): records are created on the list path.
        #[utoipa::path(post, path = $path, tag = $tag,
            params(("id" = i64, Path, description = "Any id")),
            security(("session_token" = []), ("bearer" = [])),
            responses((status = 400, description = "Create record by identifier not currently supported.", body = ErrorEnvelope)))]
        pub async fn $name() -> Result<HttpResponse> {
            writes::create_by_id().await
        }
    };
}

create_by_id_endpoint!("/api/v2/system/user/{id}", "users", create_user_by_id);
create_by_id_endpoint!("/api/v2/system/admin/{id}", "admins", create_admin_by_id);

macro_rules! change_many_endpoint {
    ($verb:ident, $path:literal, $kind:expr, $tag:literal, $name:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path($verb, path = $path, tag = $tag,
            params(
                ("ids" = Option<String>, Query, description = "Comma-separated ids"),
                ("fields" = Option<String>, Query, description = "What each result shows (default id)"),
                ("continue" = Option<String>, Query, description = "Go on after a failing record"),
                ("rollback" = Option<String>, Query, description = "Undo everything if a record fails"),
                ("send_invite" = Option<String>, Query, description = "Also mail each user a new invitation code, in the change's transaction (users who have not set a password); the batch stops at the first failure, answered with that record's error"),
            ),
            request_body = RecordChanges,
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"resource\":[{\"id\":N},...]}", body = Object),
                (status = 400, description = "No records, the batch error, or an invitation for a user who already set a password", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, or the token was revoked", body = ErrorEnvelope),
                (status = 404, description = "send_invite for an unknown id", body = ErrorEnvelope),
                (status = 500, description = "The invitation mail could not be sent (nothing was changed)", body = ErrorEnvelope),
                (status = 503, description = "send_invite without a configured mail server (nothing was changed)", body = ErrorEnvelope),
            ))]
        pub async fn $name(
            caller: Caller,
            state: web::Data<State>,
            p: web::Query<WriteParams>,
            body: Body<RecordChanges>,
        ) -> Result<HttpResponse> {
            writes::update_many($kind, caller, state, p, body).await
        }
    };
}

macro_rules! change_one_endpoint {
    ($verb:ident, $path:literal, $kind:expr, $tag:literal, $name:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path($verb, path = $path, tag = $tag,
            params(
                ("id" = i64, Path, description = "The record's id"),
                ("fields" = Option<String>, Query, description = "What the result shows (default id)"),
                ("send_invite" = Option<String>, Query, description = "Also mail the user a new invitation code, in the change's transaction (users who have not set a password)"),
            ),
            request_body = RecordChange,
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"id\":N}", body = Object),
                (status = 400, description = "Invalid data, or a user of the other kind (admin endpoint)", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, an admin via /system/user, or a revoked token", body = ErrorEnvelope),
                (status = 404, description = "No such record", body = ErrorEnvelope),
                (status = 409, description = "The email is taken, or the last active admin", body = ErrorEnvelope),
                (status = 500, description = "The invitation mail could not be sent (nothing was changed)", body = ErrorEnvelope),
                (status = 503, description = "send_invite (or an empty body) without a configured mail server (nothing was changed)", body = ErrorEnvelope),
            ))]
        pub async fn $name(
            caller: Caller,
            state: web::Data<State>,
            id: web::Path<String>,
            p: web::Query<WriteParams>,
            body: OptionalBody<Record<RecordChange>>,
        ) -> Result<HttpResponse> {
            writes::update_one($kind, caller, state, id, p, body).await
        }
    };
}

macro_rules! write_endpoints {
    ($list_path:literal, $one_path:literal, $kind:expr, $tag:literal,
     $create:ident, $update_many:ident, $update_one:ident, $replace_many:ident, $replace_one:ident,
     $delete_many:ident, $delete_one:ident) => {
        /// Creates records (`{"resource":[...]}` or a bare array); `continue`, `rollback`.
        #[utoipa::path(post, path = $list_path, tag = $tag,
            params(
                ("fields" = Option<String>, Query, description = "What each result shows (default id)"),
                ("continue" = Option<String>, Query, description = "Go on after a failing record"),
                ("rollback" = Option<String>, Query, description = "Undo everything if a record fails"),
                ("send_invite" = Option<String>, Query, description = "Create without a password and mail an invitation code"),
            ),
            request_body = NewRecords,
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 201, description = "{\"resource\":[{\"id\":N},...]}", body = Object),
                (status = 400, description = "No records, or the batch error", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, or the token was revoked", body = ErrorEnvelope),
                (status = 413, description = "Body over the cap", body = ErrorEnvelope),
                (status = 500, description = "An invitation mail could not be sent (that user was not created)", body = ErrorEnvelope),
                (status = 503, description = "send_invite without a configured mail server (nothing was created)", body = ErrorEnvelope),
            ))]
        pub async fn $create(
            caller: Caller,
            state: web::Data<State>,
            p: web::Query<WriteParams>,
            body: Body<NewRecords>,
        ) -> Result<HttpResponse> {
            writes::create($kind, caller, state, p, body).await
        }

        change_many_endpoint!(patch, $list_path, $kind, $tag, $update_many,
            "Changes records: `?ids=` with one record applied to each, or records with `id`. `PUT` is the same.");
        change_many_endpoint!(put, $list_path, $kind, $tag, $replace_many,
            "`PUT`: the same as `PATCH` (fields not sent stay as they are, as in DreamFactory).");
        change_one_endpoint!(patch, $one_path, $kind, $tag, $update_one,
            "Changes one record (partial; `PUT` is the same). With no body at all, re-sends the user's invitation (what DreamFactory's admin app sends).");
        change_one_endpoint!(put, $one_path, $kind, $tag, $replace_one,
            "`PUT`: the same as `PATCH` on one record.");

        /// Deletes records: `?ids=`, or records with `id` in the body.
        #[utoipa::path(delete, path = $list_path, tag = $tag,
            params(
                ("ids" = Option<String>, Query, description = "Comma-separated ids"),
                ("continue" = Option<String>, Query, description = "Go on after a failing record"),
                ("rollback" = Option<String>, Query, description = "Undo everything if a record fails"),
            ),
            request_body(content = RecordRefs, description = "Optional, instead of `?ids=`: the records to delete"),
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"resource\":[{\"id\":N},...]}", body = Object),
                (status = 400, description = "Nothing to delete, or the batch error", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, or the token was revoked", body = ErrorEnvelope),
            ))]
        pub async fn $delete_many(
            caller: Caller,
            state: web::Data<State>,
            p: web::Query<WriteParams>,
            body: Option<Body<RecordRefs>>,
        ) -> Result<HttpResponse> {
            writes::delete_many($kind, caller, state, p, body).await
        }

        /// Deletes one record (soft: it can never be restored; its email is free again).
        #[utoipa::path(delete, path = $one_path, tag = $tag,
            params(("id" = i64, Path, description = "The record's id")),
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "{\"id\":N}", body = Object),
                (status = 400, description = "A user of the other kind (admin endpoint)", body = ErrorEnvelope),
                (status = 401, description = "Expired or invalid token", body = ErrorEnvelope),
                (status = 403, description = "Not an admin, one's own account, an admin via /system/user, or a revoked token", body = ErrorEnvelope),
                (status = 404, description = "No such record", body = ErrorEnvelope),
                (status = 409, description = "The last active admin", body = ErrorEnvelope),
            ))]
        pub async fn $delete_one(
            caller: Caller,
            state: web::Data<State>,
            id: web::Path<String>,
            p: web::Query<WriteParams>,
        ) -> Result<HttpResponse> {
            writes::delete_one($kind, caller, state, id, p).await
        }
    };
}

write_endpoints!(
    "/api/v2/system/user",
    "/api/v2/system/user/{id}",
    Kind::User,
    "users",
    create_users,
    update_users,
    update_user,
    replace_users,
    replace_user,
    delete_users,
    delete_user
);
write_endpoints!(
    "/api/v2/system/admin",
    "/api/v2/system/admin/{id}",
    Kind::Admin,
    "admins",
    create_admins,
    update_admins,
    update_admin,
    replace_admins,
    replace_admin,
    delete_admins,
    delete_admin
);

macro_rules! password_endpoint {
    ($path:literal, $kind:expr, $tag:literal, $name:ident, $who:literal) => {
        #[doc = concat!("Sets the password of ", $who, " with the code of an invitation.")]
        #[utoipa::path(post, path = $path, tag = $tag,
            params(("login" = Option<String>, Query, description = "Also start a session (adds session_token)")),
            request_body = PasswordByCode,
            responses(
                (status = 200, description = "{\"success\":true} (with session_token under ?login=true)", body = PasswordChanged),
                (status = 400, description = "Email, code or new password missing or malformed; the password policy; an expired code", body = ErrorEnvelope),
                (status = 401, description = "The code is not an admin's (admin endpoint), or the user may not log in (?login=true)", body = ErrorEnvelope),
                (status = 404, description = "No such email and code", body = ErrorEnvelope),
                (status = 429, description = "Too many requests from this address", body = ErrorEnvelope),
            ))]
        pub async fn $name(
            state: web::Data<State>,
            req: HttpRequest,
            p: web::Query<PasswordParams>,
            body: Body<Object<PasswordByCode>>,
        ) -> Result<HttpResponse> {
            password::by_code($kind, state, req, p, body).await
        }
    };
}

password_endpoint!(
    "/api/v2/user/password",
    Kind::User,
    "user session",
    user_password,
    "any user"
);
password_endpoint!(
    "/api/v2/system/admin/password",
    Kind::Admin,
    "admins",
    admin_password,
    "an admin"
);
