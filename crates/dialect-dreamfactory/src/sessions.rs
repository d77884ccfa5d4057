//! The session endpoints: `/api/v2/system/admin/session` (admins) and `/api/v2/user/session`
//! (everyone else). `POST` logs in, `GET` describes the session, `PUT` refreshes it, `DELETE`
//! logs out. One implementation each; the two paths differ only in which users they admit.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::DateTime;
use usergate_core::{AuthFailure, Channel, CoreError, Credential, Principal, Role, User};
use usergate_web::{Body, IssuedToken, Object, VerifiedToken, blocking};

use crate::State;
use crate::auth::{AUDIENCE, session_token};
use crate::convert::Kind;
use crate::convert::record::df_date;
use crate::error::{DfError, ErrorEnvelope};
use crate::wire::{LoginRequest, Session, Success};

type Result<T> = std::result::Result<T, DfError>;

fn session(user: &User, token: &str, exp: u64) -> Session {
    let admin = user.role == Role::Admin;
    let expiry = i64::try_from(exp)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .map(|t| df_date(t.naive_utc()))
        .unwrap_or_default();
    Session {
        session_token: token.to_owned(),
        session_id: token.to_owned(),
        id: user.id.get(),
        name: user.name.clone(),
        first_name: user.profile.first_name.clone(),
        last_name: user.profile.last_name.clone(),
        email: user.email.as_str().to_owned(),
        is_sys_admin: admin,
        last_login_date: user.last_login_at.map(df_date),
        host: "usergate".to_owned(),
        token_expiry_date: expiry,
        is_root_admin: admin.then_some(true),
    }
}

pub(crate) fn issue(state: &State, user: &User) -> Result<IssuedToken> {
    Ok(state.tokens.issue(
        AUDIENCE,
        user.id,
        user.credentials_version,
        state.settings.token_ttl,
    )?)
}

async fn login(
    kind: Kind,
    state: web::Data<State>,
    req: HttpRequest,
    body: LoginRequest,
) -> Result<HttpResponse> {
    let email = body.email.filter(|e| !e.trim().is_empty());
    let Some(email) = email else {
        return Err(DfError::bad_request(
            "Login request is missing required email.",
        ));
    };
    let Some(password) = body.password.filter(|p| !p.is_empty()) else {
        return Err(DfError::bad_request(
            "Login request is missing required password.",
        ));
    };
    let core = state.core.clone();
    let origin = usergate_web::origin(&req, Channel::DreamFactory);
    let user = blocking(move || {
        core.auth
            .login_where(&email, &password, &origin, |role| kind.admits(role))
    })
    .await?;
    let issued = issue(&state, &user)?;
    Ok(HttpResponse::Ok().json(session(&user, &issued.token, issued.claims.exp)))
}

/// The verified token of the request and its current principal. `grace` lets a refresh or a
/// logout accept a recently expired token.
async fn current(
    state: &web::Data<State>,
    req: &HttpRequest,
    grace: Option<Duration>,
) -> std::result::Result<(String, VerifiedToken, Principal), AuthFailure> {
    let token = session_token(req).ok_or(AuthFailure::Missing)?;
    let verified = match grace {
        None => state.tokens.verify(AUDIENCE, &token)?,
        Some(g) => state.tokens.verify_refreshable(AUDIENCE, &token, g)?,
    };
    let core = state.core.clone();
    let credential = Credential::Token {
        user: verified.user,
        version: verified.credentials_version,
        jti: Some(verified.claims.jti.clone()),
    };
    let origin = usergate_web::origin(req, Channel::DreamFactory);
    let principal = blocking(move || core.auth.authenticate(&credential, &origin))
        .await
        .map_err(|e| match e {
            CoreError::Unauthenticated(f) => f,
            _ => AuthFailure::Invalid,
        })?;
    Ok((token, verified, principal))
}

async fn get_session(
    kind: Kind,
    state: web::Data<State>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let (token, verified, principal) = match current(&state, &req, None).await {
        Ok(found) => found,
        Err(AuthFailure::Missing) if kind == Kind::Admin => {
            return Err(DfError::new(
                StatusCode::NOT_FOUND,
                "No user session found.",
            ));
        }
        Err(AuthFailure::Missing) => {
            return Err(DfError::unauthorized(
                "There is no valid session for the current request.",
            ));
        }
        Err(f) => return Err(DfError::token(f)),
    };
    if kind == Kind::Admin && principal.role != Role::Admin {
        return Err(DfError::unauthorized(
            "You are not authorized to perform this action.",
        ));
    }
    let core = state.core.clone();
    let user = blocking(move || core.auth.current_user(&principal)).await?;
    Ok(HttpResponse::Ok().json(session(&user, &token, verified.claims.exp)))
}

async fn refresh(kind: Kind, state: web::Data<State>, req: HttpRequest) -> Result<HttpResponse> {
    let window = state.settings.refresh_ttl;
    let (_, verified, principal) = match current(&state, &req, Some(window)).await {
        Ok(found) => found,
        Err(AuthFailure::Expired) => {
            return Err(DfError::unauthorized(
                "Token refresh failed. Token has expired and can no longer be refreshed.",
            ));
        }
        Err(f) => return Err(DfError::token(f)),
    };
    if kind == Kind::Admin && principal.role != Role::Admin {
        return Err(DfError::unauthorized(
            "You are not authorized to perform this action.",
        ));
    }
    revoke(&state, &verified).await?;
    let core = state.core.clone();
    let user = blocking(move || core.auth.current_user(&principal)).await?;
    let issued = issue(&state, &user)?;
    Ok(HttpResponse::Ok().json(session(&user, &issued.token, issued.claims.exp)))
}

/// Revokes a token for as long as it could still be used or refreshed.
async fn revoke(state: &web::Data<State>, verified: &VerifiedToken) -> Result<()> {
    let until = verified
        .claims
        .exp
        .saturating_add(state.settings.refresh_ttl.as_secs());
    let until = i64::try_from(until)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .map(|t| t.naive_utc())
        .ok_or_else(|| CoreError::Internal("token expiry out of range".into()))?;
    let core = state.core.clone();
    let jti = verified.claims.jti.clone();
    Ok(blocking(move || core.auth.revoke_token(&jti, until)).await?)
}

async fn logout(state: web::Data<State>, req: HttpRequest) -> Result<HttpResponse> {
    // Logging out is idempotent: without a usable token there is nothing to end.
    if let Ok((_, verified, _)) = current(&state, &req, Some(state.settings.refresh_ttl)).await {
        revoke(&state, &verified).await?;
    }
    Ok(HttpResponse::Ok().json(Success { success: true }))
}

macro_rules! session_endpoints {
    ($path:literal, $kind:expr, $tag:literal, $login:ident, $get:ident, $refresh:ident, $logout:ident) => {
        /// Logs in with email and password.
        #[utoipa::path(post, path = $path, tag = $tag, request_body = LoginRequest,
            responses(
                (status = 200, description = "The session", body = Session),
                (status = 400, description = "Email or password missing", body = ErrorEnvelope),
                (status = 401, description = "Invalid credentials supplied", body = ErrorEnvelope),
                (status = 413, description = "Body over the cap", body = ErrorEnvelope),
                (status = 429, description = "Too many failed logins", body = ErrorEnvelope),
            ))]
        pub async fn $login(
            state: web::Data<State>,
            req: HttpRequest,
            Body(Object(body)): Body<Object<LoginRequest>>,
        ) -> Result<HttpResponse> {
            login($kind, state, req, body).await
        }

        /// The current session.
        #[utoipa::path(get, path = $path, tag = $tag,
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "The session", body = Session),
                (status = 401, description = "No session, an expired or invalid token, or not allowed here", body = ErrorEnvelope),
                (status = 403, description = "The token was revoked", body = ErrorEnvelope),
                (status = 404, description = "No session (admin endpoint)", body = ErrorEnvelope),
            ))]
        pub async fn $get(state: web::Data<State>, req: HttpRequest) -> Result<HttpResponse> {
            get_session($kind, state, req).await
        }

        /// Refreshes the session: a new token; the old one is revoked. A token that expired
        /// within the refresh window may be refreshed.
        #[utoipa::path(put, path = $path, tag = $tag,
            security(("session_token" = []), ("bearer" = [])),
            responses(
                (status = 200, description = "The session, with a new token", body = Session),
                (status = 400, description = "No token", body = ErrorEnvelope),
                (status = 401, description = "Too old to refresh, or invalid", body = ErrorEnvelope),
                (status = 403, description = "The token was revoked", body = ErrorEnvelope),
            ))]
        pub async fn $refresh(state: web::Data<State>, req: HttpRequest) -> Result<HttpResponse> {
            refresh($kind, state, req).await
        }

        /// Logs out: the token is revoked. Idempotent: without a usable token it still answers
        /// success.
        #[utoipa::path(delete, path = $path, tag = $tag,
            security((), ("session_token" = []), ("bearer" = [])),
            responses((status = 200, description = "Logged out", body = Success)))]
        pub async fn $logout(state: web::Data<State>, req: HttpRequest) -> Result<HttpResponse> {
            logout(state, req).await
        }
    };
}

session_endpoints!(
    "/api/v2/system/admin/session",
    Kind::Admin,
    "admin session",
    admin_login,
    admin_session,
    admin_refresh,
    admin_logout
);
session_endpoints!(
    "/api/v2/user/session",
    Kind::User,
    "user session",
    user_login,
    user_session,
    user_refresh,
    user_logout
);
