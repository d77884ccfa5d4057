//! What every usergate dialect shares over HTTP: the token service, running core on the
//! blocking pool, reading bearer tokens and the client's address, and the body cap.
//!
//! Architecture invariant: nothing here decides a rule; it only moves values between HTTP and
//! core.

pub mod tokens;

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use actix_web::http::header;
use usergate_core::{CoreError, CoreResult};

pub use tokens::{Claims, IssuedToken, TokenService, VerifiedToken};

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

/// The client's address: the peer of the TCP connection. (Forwarded headers are not trusted:
/// anyone can write them.)
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
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
