//! What every dialect's errors share on the way out: the response with its standard headers
//! and the cause logged once. Each dialect keeps its own envelope and words.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use serde::Serialize;

/// An error response in the making.
#[derive(Debug, Clone, Copy)]
pub struct ErrorReply<'a> {
    /// The status.
    pub status: StatusCode,
    /// `Retry-After`, in seconds (429).
    pub retry_after: Option<u64>,
    /// `WWW-Authenticate` (401).
    pub www_authenticate: Option<&'static str>,
    /// A cause for the log (500s); never sent.
    pub cause: Option<&'a str>,
}

impl<'a> ErrorReply<'a> {
    /// A reply with this status and nothing else.
    pub fn new(status: StatusCode) -> Self {
        ErrorReply {
            status,
            retry_after: None,
            www_authenticate: None,
            cause: None,
        }
    }

    /// The response with `body` as JSON. The cause, if any, is logged here, once.
    pub fn json(&self, body: &impl Serialize) -> HttpResponse {
        if let Some(cause) = self.cause {
            tracing::error!(%cause, status = self.status.as_u16(), "request failed");
        }
        let mut res = HttpResponse::build(self.status);
        if let Some(challenge) = self.www_authenticate {
            res.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        res.json(body)
    }
}
