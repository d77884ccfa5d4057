//! `POST /api/v2/user/password` and `/api/v2/system/admin/password` with
//! `{"email","code","new_password"}`: setting a password with the code of an invitation (what
//! DreamFactory's invite page posts). No session is needed: the code is the authority. The
//! other flows of these paths (a logged-in change with `old_password`, `?reset=true`) are not
//! offered: they answer 400 as a missing code.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use usergate_core::{CoreError, Denied, Role};
use usergate_web::{blocking, client_ip};
use utoipa::ToSchema;

use crate::State;
use crate::error::{DfError, ErrorEnvelope};
use crate::params::to_bool;
use crate::routes::issue;
use crate::writes::record_error;

type Result<T> = std::result::Result<T, DfError>;

/// The body: the invited user's email, the code from the mail, the new password.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "tomo@example.com", "code": "Q2xkZ3V5b2Z0aGVyZWFyZ2FyZGVuMDE", "new_password": "another horse battery staple"}))]
pub struct PasswordByCode {
    /// The account's email.
    #[schema(example = "tomo@example.com", format = Email, required = true, nullable = false)]
    pub email: Option<String>,
    /// The 32-character code from the invitation mail.
    #[schema(
        required = true,
        nullable = false,
        min_length = 32,
        max_length = 32,
        pattern = "^[A-Za-z0-9]{32}$"
    )]
    pub code: Option<String>,
    /// The new password (the password policy applies: at least 10 characters).
    #[schema(format = Password, required = true, nullable = false, min_length = 10)]
    pub new_password: Option<String>,
}

/// `{"success":true}`, with a session token under `?login=true`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordChanged {
    /// Always true.
    pub success: bool,
    /// A new session's token (`?login=true` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
}

/// The query: `login`.
#[derive(Debug, Deserialize)]
pub struct PasswordParams {
    /// Log the user in afterwards.
    pub login: Option<String>,
}

/// Which path: `/system/admin/password` serves admins only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Admin,
    User,
}

async fn by_code(
    kind: Kind,
    state: web::Data<State>,
    req: HttpRequest,
    p: web::Query<PasswordParams>,
    body: web::Json<PasswordByCode>,
) -> Result<HttpResponse> {
    state.core.auth.anonymous_request(client_ip(&req))?;
    let body = body.into_inner();
    let email = body.email.filter(|e| !e.trim().is_empty()).ok_or_else(|| {
        DfError::bad_request("Missing required email for password reset confirmation.")
    })?;
    let new_password = body
        .new_password
        .filter(|p| !p.is_empty())
        .ok_or_else(|| DfError::bad_request("Missing new password for reset."))?;
    let code = body
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| DfError::bad_request("Invalid confirmation code."))?;
    if code.chars().count() != usergate_core::invites::CODE_LENGTH
        || !code.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(DfError::bad_request("Invalid confirmation code format."));
    }
    let password = state
        .core
        .policy
        .check("new_password", &new_password)
        .map_err(|e| {
            record_error(
                crate::users::Kind::User,
                "change",
                CoreError::Validation(vec![e]),
                None,
            )
        })?;
    let core = state.core.clone();
    let who = email.clone();
    let user = blocking(move || {
        core.users.redeem_code(&who, &code, &password, |role| {
            kind == Kind::User || role == Role::Admin
        })
    })
    .await
    .map_err(|e| match e {
        CoreError::NotFound => DfError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "The supplied email and/or confirmation code were not found in the system.",
        ),
        CoreError::Forbidden(Denied::WrongKind) => DfError::unauthorized(format!(
            "You are not authorized to reset/change password for the account {email}"
        )),
        e => e.into(),
    })?;
    let session_token = if to_bool(p.login.as_deref()) {
        state.core.auth.may_log_in(&user)?;
        Some(issue(&state, &user)?.token)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(PasswordChanged {
        success: true,
        session_token,
    }))
}

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
            body: web::Json<PasswordByCode>,
        ) -> Result<HttpResponse> {
            by_code($kind, state, req, p, body).await
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
