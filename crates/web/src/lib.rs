//! What every usergate dialect shares over HTTP: the token service, running core on the
//! blocking pool, reading bearer tokens and the client's address, and the body cap.
//!
//! Architecture invariant: nothing here decides a rule; it only moves values between HTTP and
//! core.

pub mod errors;
pub mod tokens;

use std::net::IpAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use usergate_core::{CoreError, CoreResult};

pub use errors::{BodyError, ErrorReply};
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

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
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

/// Resolves a request's bearer token to its caller: `verify` checks the token itself
/// (signature, audience, expiry), `cached` asks core's cache of resolved credentials (no I/O),
/// and, when that does not know, `resolve` asks core for the caller as they are now (on the
/// blocking pool). A request without a usable token counts against its address's anonymous
/// limit (`RateLimited` past it), and is otherwise `Unauthenticated` with the reason.
pub async fn resolve_bearer<V, C, R>(
    core: &usergate_core::Core,
    token: Option<String>,
    ip: Option<IpAddr>,
    verify: V,
    cached: C,
    resolve: R,
) -> CoreResult<usergate_core::Actor>
where
    V: FnOnce(&str) -> Result<VerifiedToken, usergate_core::AuthFailure>,
    C: FnOnce(&usergate_core::Core, &VerifiedToken) -> Option<usergate_core::Principal>,
    R: FnOnce(usergate_core::Core, VerifiedToken) -> CoreResult<usergate_core::Principal>
        + Send
        + 'static,
{
    use usergate_core::AuthFailure;
    let failure = match token.as_deref().map(verify) {
        None => AuthFailure::Missing,
        Some(Err(failure)) => failure,
        Some(Ok(verified)) => {
            if let Some(principal) = cached(core, &verified) {
                return Ok(usergate_core::Actor::User(principal));
            }
            let owned = core.clone();
            match blocking(move || resolve(owned, verified)).await {
                Ok(principal) => return Ok(usergate_core::Actor::User(principal)),
                Err(CoreError::Unauthenticated(failure)) => failure,
                Err(e) => return Err(e),
            }
        }
    };
    core.auth.anonymous_request(ip)?;
    Err(CoreError::Unauthenticated(failure))
}

/// The client's address: the peer of the TCP connection. (Forwarded headers are not trusted:
/// anyone can write them.)
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

/// The longest request target (path and query string) a dialect reads: 8 KiB, as nginx's
/// default line buffer. Longer ones get 414 in the dialect's envelope.
pub const MAX_URI: usize = 8 * 1024;

/// The most header bytes (names and values of every header) a dialect reads: 32 KiB. More get
/// 431 in the dialect's envelope. (actix-http itself closes with an empty 431 past 128 KiB, and
/// past 96 headers, before any dialect sees the request.)
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// A request refused for its size before any handler reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversized {
    /// The declared body is over the cap (bytes).
    Body(usize),
    /// The path and query string are over [`MAX_URI`] bytes.
    Uri(usize),
    /// The headers are over [`MAX_HEADER_BYTES`] bytes.
    Headers(usize),
}

impl Oversized {
    /// 413, 414 or 431.
    pub fn status(self) -> actix_web::http::StatusCode {
        use actix_web::http::StatusCode;
        match self {
            Oversized::Body(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Oversized::Uri(_) => StatusCode::URI_TOO_LONG,
            Oversized::Headers(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        }
    }

    /// What was too large, and the limit, as a sentence without its final period.
    pub fn sentence(self) -> String {
        match self {
            Oversized::Body(cap) => {
                format!("The request body is too large (the limit is {cap} bytes)")
            }
            Oversized::Uri(max) => {
                format!("The request path and query string are too long (the limit is {max} bytes)")
            }
            Oversized::Headers(max) => {
                format!("The request headers are too large (the limit is {max} bytes)")
            }
        }
    }

    /// A short machine-readable name: `payload_too_large`, `uri_too_long`,
    /// `headers_too_large`.
    pub fn code(self) -> &'static str {
        match self {
            Oversized::Body(_) => "payload_too_large",
            Oversized::Uri(_) => "uri_too_long",
            Oversized::Headers(_) => "headers_too_large",
        }
    }

    /// Whether `req` is over a limit: a request target over [`MAX_URI`], headers over
    /// [`MAX_HEADER_BYTES`], or a declared body over `body_cap` (bodies without a length are
    /// capped while they are read, by the JSON extractor's limit).
    pub fn of(req: &ServiceRequest, body_cap: usize) -> Option<Self> {
        let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
        if target > MAX_URI {
            return Some(Oversized::Uri(MAX_URI));
        }
        let headers: usize = req
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        if headers > MAX_HEADER_BYTES {
            return Some(Oversized::Headers(MAX_HEADER_BYTES));
        }
        declares_body_over(req, body_cap).then_some(Oversized::Body(body_cap))
    }
}

/// Answers a request over a size limit (see [`Oversized::of`]) with `refuse(reason)`, the
/// dialect's own envelope, before anything reads the body or the parameters.
pub async fn enforce_limits(
    body_cap: usize,
    refuse: fn(Oversized) -> HttpResponse,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(reason) = Oversized::of(&req, body_cap) {
        return Ok(req.into_response(refuse(reason)).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
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

/// Whether a request declares a body larger than `cap` bytes (bodies without a length are
/// capped while they are read, by the JSON extractor's limit).
pub fn declares_body_over(req: &ServiceRequest, cap: usize) -> bool {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|len| len > cap as u64)
}
