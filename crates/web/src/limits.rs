//! The size limits every dialect applies before any handler reads a request: the request
//! target, the headers and the declared body, each refused in the dialect's own envelope.

use actix_web::HttpResponse;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;

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

/// Whether a request declares a body larger than `cap` bytes (bodies without a length are
/// capped while they are read, by the JSON extractor's limit).
pub fn declares_body_over(req: &ServiceRequest, cap: usize) -> bool {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|len| len > cap as u64)
}
