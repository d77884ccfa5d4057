//! Handlers: parse, call core on the blocking pool, render. No rule is decided here.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use usergate_core::{Email, NewUser, UserChanges, UserKey};
use usergate_web::{Body, Object, blocking, point_read};

use crate::State;
use crate::auth::{AUDIENCE, Caller};
use crate::convert::{self, both, required};
use crate::error::ApiError;
use crate::wire::{
    ChangePasswordRequest, CreateUserRequest, ErrorBody, ListQuery, TokenRequest, TokenResponse,
    UpdateUserRequest, UserResponse,
};

type Result<T> = std::result::Result<T, ApiError>;

/// The user a `{email}` path segment names (percent-decoded by the router; compared
/// case-insensitively by core).
fn user_key(path: &str) -> Result<UserKey> {
    Ok(UserKey::Email(Email::parse(path).map_err(|e| {
        usergate_core::CoreError::Validation(vec![e])
    })?))
}

/// Issues a token for an active user's email and password.
#[utoipa::path(
    post, path = "/api/auth/token", tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A token", body = TokenResponse),
        (status = 400, description = "Validation error", body = ErrorBody),
        (status = 401, description = "Wrong credentials, or the user is not active", body = ErrorBody),
        (status = 413, description = "Body over the cap", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this account or address", body = ErrorBody),
    )
)]
pub async fn token(
    state: web::Data<State>,
    req: HttpRequest,
    Body(Object(body)): Body<Object<TokenRequest>>,
) -> Result<HttpResponse> {
    let (email, password) = both(
        required("email", body.email.as_deref()).and_then(Email::parse),
        required("password", body.password.as_deref()).map(str::to_owned),
    )?;
    let core = state.core.clone();
    let origin = usergate_web::origin(&req, usergate_core::Channel::EmailKeyed);
    let user = blocking(move || core.auth.login(email.as_str(), &password, &origin)).await?;
    let ttl = state.settings.token_ttl;
    let issued = state
        .tokens
        .issue(AUDIENCE, user.id, user.credentials_version, ttl)?;
    Ok(HttpResponse::Ok().json(TokenResponse {
        token_type: "Bearer",
        access_token: issued.token,
        expires_in: ttl.as_secs(),
    }))
}

/// Creates an active user of type `User`. Admins only.
#[utoipa::path(
    post, path = "/api/users", tag = "users",
    request_body = CreateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `Location` names the user", headers(("Location" = String, description = "/api/users/{email}"))),
        (status = 400, description = "Validation error", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "A user that is not deleted has this email", body = ErrorBody),
        (status = 413, description = "Body over the cap", body = ErrorBody),
        (status = 429, description = "Too many requests without a valid token", body = ErrorBody),
    )
)]
pub async fn create_user(
    caller: Caller,
    state: web::Data<State>,
    Body(Object(body)): Body<Object<CreateUserRequest>>,
) -> Result<HttpResponse> {
    let (email, password) = both(
        required("email", body.email.as_deref()).and_then(Email::parse),
        required("password", body.password.as_deref())
            .and_then(|p| state.core.policy.check("password", p)),
    )?;
    let location = convert::location(&email);
    let new = NewUser {
        password: Some(password),
        ..NewUser::new(email)
    };
    let core = state.core.clone();
    blocking(move || core.users.create(caller.actor(), new)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// Changes a user's type and/or status. Admins only.
#[utoipa::path(
    put, path = "/api/users/{email}", tag = "users",
    params(("email" = String, Path, format = Email, description = "The user's email (case-insensitive, percent-encoded)")),
    request_body = UpdateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Validation error", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "It would leave no active admin", body = ErrorBody),
        (status = 413, description = "Body over the cap", body = ErrorBody),
        (status = 429, description = "Too many requests without a valid token", body = ErrorBody),
    )
)]
pub async fn update_user(
    caller: Caller,
    state: web::Data<State>,
    path: web::Path<String>,
    Body(Object(body)): Body<Object<UpdateUserRequest>>,
) -> Result<HttpResponse> {
    let key = user_key(&path)?;
    if body.user_type.is_none() && body.status.is_none() {
        return Err(ApiError::Body(
            "At least one of 'Type' or 'Status' must be given.".into(),
        ));
    }
    let (role, status) = both(
        body.user_type
            .as_deref()
            .map(convert::role_change)
            .transpose(),
        body.status
            .as_deref()
            .map(convert::status_change)
            .transpose(),
    )?;
    let changes = UserChanges {
        role,
        status,
        ..UserChanges::default()
    };
    let core = state.core.clone();
    blocking(move || core.users.update(caller.actor(), &key, &changes)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets a user's password; every token of the user dies. Admins only.
#[utoipa::path(
    patch, path = "/api/users/{email}", tag = "users",
    params(("email" = String, Path, format = Email, description = "The user's email (case-insensitive, percent-encoded)")),
    request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Validation error", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "The new password equals the current one", body = ErrorBody),
        (status = 413, description = "Body over the cap", body = ErrorBody),
        (status = 429, description = "Too many requests without a valid token", body = ErrorBody),
    )
)]
pub async fn change_password(
    caller: Caller,
    state: web::Data<State>,
    path: web::Path<String>,
    Body(Object(body)): Body<Object<ChangePasswordRequest>>,
) -> Result<HttpResponse> {
    let key = user_key(&path)?;
    let password = required("newPassword", body.new_password.as_deref())
        .and_then(|p| state.core.policy.check("newPassword", p))
        .map_err(|e| usergate_core::CoreError::Validation(vec![e]))?;
    let core = state.core.clone();
    blocking(move || core.users.set_password(caller.actor(), &key, &password)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Soft-deletes a user: never restorable, the email free again. Admins only, not oneself.
#[utoipa::path(
    delete, path = "/api/users/{email}", tag = "users",
    params(("email" = String, Path, format = Email, description = "The user's email (case-insensitive, percent-encoded)")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Not an email", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin, or one's own account", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "The last active admin", body = ErrorBody),
        (status = 413, description = "Body over the cap", body = ErrorBody),
        (status = 429, description = "Too many requests without a valid token", body = ErrorBody),
    )
)]
pub async fn delete_user(
    caller: Caller,
    state: web::Data<State>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let key = user_key(&path)?;
    let core = state.core.clone();
    blocking(move || core.users.delete(caller.actor(), &key)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Reads one user. Admins only.
#[utoipa::path(
    get, path = "/api/users/{email}", tag = "users",
    params(("email" = String, Path, format = Email, description = "The user's email (case-insensitive, percent-encoded)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        (status = 400, description = "Not an email", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 429, description = "Too many requests without a valid token", body = ErrorBody),
    )
)]
pub async fn get_user(
    caller: Caller,
    state: web::Data<State>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let key = user_key(&path)?;
    let core = state.core.clone();
    let user = point_read(&state.core, move || core.users.get(caller.actor(), &key)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(&user)))
}

/// Lists users in creation order. Admins only.
#[utoipa::path(
    get, path = "/api/users", tag = "users",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = [UserResponse]),
        (status = 400, description = "limit or offset out of range", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 429, description = "Too many requests without a valid token", body = ErrorBody),
    )
)]
pub async fn list_users(
    caller: Caller,
    state: web::Data<State>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    let page = convert::page(&query)?;
    let core = state.core.clone();
    let users = blocking(move || core.users.list(caller.actor(), page)).await?;
    let body: Vec<UserResponse> = users.iter().map(UserResponse::from).collect();
    Ok(HttpResponse::Ok().json(body))
}
