//! What every usergate dialect shares over HTTP, so that a dialect crate holds only what is its
//! own: mounting a dialect's scope with its limits ([`scope`], [`Envelope`]), reading typed
//! bodies ([`Body`]) and lenient fields ([`wire`]), authenticating a request's credential
//! through core's cache and then the database ([`Caller`], [`Scheme`]), the token service,
//! running core on the blocking pool, and the error reply with its standard headers.
//!
//! Architecture invariant: nothing here decides a rule; it only moves values between HTTP and
//! core.

pub mod auth;
pub mod body;
pub mod errors;
pub mod limits;
pub mod mount;
pub mod tokens;
pub mod wire;

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;
use usergate_core::{CoreError, CoreResult};

pub use auth::{Caller, Scheme, anonymous, authenticate, limited, origin};
pub use body::{Body, BodyError, Object, OptionalBody};
pub use errors::ErrorReply;
pub use limits::{MAX_HEADER_BYTES, MAX_URI, Oversized};
pub use mount::{Envelope, Mount, scope};
pub use tokens::{Claims, IssuedToken, TokenService, VerifiedToken};

/// What a dialect's handlers share: core, the token service, and the dialect's own settings.
#[derive(Clone)]
pub struct DialectState<S> {
    /// The core services.
    pub core: usergate_core::Core,
    /// The token service (shared by every dialect).
    pub tokens: std::sync::Arc<TokenService>,
    /// The dialect's settings.
    pub settings: S,
}

/// Runs a core call on the blocking pool (core blocks on the database and on argon2), never on
/// an async worker.
pub async fn blocking<T, F>(f: F) -> CoreResult<T>
where
    F: FnOnce() -> CoreResult<T> + Send + 'static,
    T: Send + 'static,
{
    actix_web::web::block(f)
        .await
        .map_err(|e| CoreError::Internal(format!("blocking task failed: {e}")))?
}

/// Runs a core call that reads a row or two (a user by id or address) and writes nothing: on
/// this async worker where the store reads in place (SQLite: microseconds on the worker's own
/// connection, no trip to a blocking thread and back), on the blocking pool otherwise.
pub async fn point_read<T, F>(core: &usergate_core::Core, f: F) -> CoreResult<T>
where
    F: FnOnce() -> CoreResult<T> + Send + 'static,
    T: Send + 'static,
{
    if core.reads_in_place() {
        usergate_core::ports::in_place(f)
    } else {
        blocking(f).await
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The API key of an `Authorization: Bearer ugk_<id>_<secret>` header, as presented to
/// `dialect` (core refuses a key made for another).
pub fn api_key_credential(
    req: &HttpRequest,
    dialect: usergate_core::machine::KeyDialect,
) -> Result<usergate_core::Credential, usergate_core::AuthFailure> {
    use usergate_core::AuthFailure;
    let key = bearer_token(req).ok_or(AuthFailure::Missing)?;
    let (id, secret) = usergate_core::machine::parse_api_key(key).ok_or(AuthFailure::Invalid)?;
    Ok(usergate_core::Credential::ApiKey {
        id: id.to_owned(),
        secret: secret.to_owned(),
        dialect,
    })
}

/// `Authorization: Basic` credentials (user, password), if the request carries them.
pub fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    use base64::Engine as _;
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (user, password) = String::from_utf8(decoded)
        .ok()?
        .split_once(':')
        .map(|(u, p)| (u.to_owned(), p.to_owned()))?;
    Some((user, password))
}

/// The id of the request being served (set by the server's request log; also in the
/// `X-Request-Id` response header), for dialects whose errors carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id of `req`, or `-` when none was set (outside the server).
    pub fn of(req: &HttpRequest) -> String {
        use actix_web::HttpMessage as _;
        req.extensions()
            .get::<RequestId>()
            .map_or_else(|| "-".to_owned(), |r| r.0.clone())
    }
}

/// The client's address: the peer of the TCP connection. (Forwarded headers are not trusted:
/// anyone can write them.)
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

/// The `bearer` security scheme of an OpenAPI document (HTTP Bearer, JWT).
pub fn bearer_scheme() -> utoipa::openapi::security::SecurityScheme {
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build(),
    )
}
