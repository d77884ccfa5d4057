//! What every dialect's errors share on the way out: the response with its standard headers
//! and the cause logged once, and the classification of a JSON body that could not be read.
//! Each dialect keeps its own envelope and words.

use actix_web::HttpResponse;
use actix_web::error::JsonPayloadError;
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

/// Why a JSON body could not be read (never with the body's content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Over the cap.
    TooLarge,
    /// Nothing was sent.
    Empty,
    /// Not JSON, at this line and column.
    Malformed {
        /// Line (from 1).
        line: usize,
        /// Column (from 1).
        column: usize,
    },
    /// JSON of the wrong shape for the request, at this line and column.
    WrongType {
        /// Line (from 1).
        line: usize,
        /// Column (from 1).
        column: usize,
    },
    /// The content type says it is not JSON.
    ContentType,
    /// The body could not be read at all.
    Unreadable,
}

impl BodyError {
    /// The problem in a plain sentence (no closing period), for dialects with no wording of
    /// their own; `None` for [`BodyError::TooLarge`], which each dialect words with its cap.
    pub fn sentence(&self) -> Option<String> {
        match self {
            BodyError::TooLarge => None,
            BodyError::Empty => Some("The request body must not be empty".into()),
            BodyError::Malformed { line, column } | BodyError::WrongType { line, column } => Some(
                format!("The request body is not valid JSON (line {line}, column {column})"),
            ),
            BodyError::ContentType | BodyError::Unreadable => {
                Some("The request body could not be read".into())
            }
        }
    }
}

impl From<&JsonPayloadError> for BodyError {
    fn from(e: &JsonPayloadError) -> Self {
        match e {
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                BodyError::TooLarge
            }
            JsonPayloadError::ContentType => BodyError::ContentType,
            JsonPayloadError::Deserialize(e) if e.is_eof() && e.line() == 1 && e.column() == 0 => {
                BodyError::Empty
            }
            JsonPayloadError::Deserialize(e) if e.is_data() => BodyError::WrongType {
                line: e.line(),
                column: e.column(),
            },
            JsonPayloadError::Deserialize(e) => BodyError::Malformed {
                line: e.line(),
                column: e.column(),
            },
            _ => BodyError::Unreadable,
        }
    }
}
