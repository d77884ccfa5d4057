//! `POST /api/v2/user/password` and `/api/v2/system/admin/password` with
//! `{"email","code","new_password"}`: setting a password with the code of an invitation (what
//! DreamFactory's invite page posts). No session is needed: the code is the authority. The
//! other flows of these paths (a logged-in change with `old_password`, `?reset=true`) are not
//! offered: they answer 400 as a missing code.

use actix_web::{HttpRequest, HttpResponse, web};
use usergate_core::{Channel, CoreError, Denied};
use usergate_web::{Body, Object, blocking, client_ip};

use crate::State;
use crate::convert::Kind;
use crate::convert::query::to_bool;
use crate::error::{DfError, record_error};
use crate::sessions::issue;
use crate::wire::{PasswordByCode, PasswordChanged, PasswordParams};

type Result<T> = std::result::Result<T, DfError>;

pub(super) async fn by_code(
    kind: Kind,
    state: web::Data<State>,
    req: HttpRequest,
    p: web::Query<PasswordParams>,
    Body(Object(body)): Body<Object<PasswordByCode>>,
) -> Result<HttpResponse> {
    let ip = client_ip(&req);
    usergate_web::limited(&state.core, move |c| c.auth.anonymous_request(ip)).await??;
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
        .map_err(|e| record_error(Kind::User, "change", CoreError::Validation(vec![e]), None))?;
    let core = state.core.clone();
    let who = email.clone();
    let actor = usergate_web::anonymous(&req, Channel::DreamFactory);
    let user = blocking(move || {
        core.users
            .redeem_code(&actor, &who, &code, &password, |role| {
                kind.takes_code_of(role)
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
