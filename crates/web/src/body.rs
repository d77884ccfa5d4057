//! Request bodies: every dialect's JSON body is one typed struct, read by the [`Body`] extractor
//! with serde, which also names the path of a value it could not read (`serde_path_to_error`).
//! A body that cannot be read becomes a [`BodyError`], which the dialect's [`crate::Envelope`]
//! words; the body's content never appears in it.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};
use serde::de::DeserializeOwned;

/// Why a JSON body could not be read (never with the body's content).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// JSON of the wrong shape for the request.
    WrongType {
        /// Line (from 1).
        line: usize,
        /// Column (from 1).
        column: usize,
        /// Where: the field's path (`name`, `resource[2].email`), `.` for the body itself.
        path: String,
        /// The key that is not a field of the body, when that is the problem.
        unknown_field: Option<String>,
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
            BodyError::Malformed { line, column } | BodyError::WrongType { line, column, .. } => {
                Some(format!(
                    "The request body is not valid JSON (line {line}, column {column})"
                ))
            }
            BodyError::ContentType | BodyError::Unreadable => {
                Some("The request body could not be read".into())
            }
        }
    }

    /// The key that is not a field of the body (`deny_unknown_fields`), if that is the
    /// problem.
    pub fn unknown_field(&self) -> Option<&str> {
        match self {
            BodyError::WrongType { unknown_field, .. } => unknown_field.as_deref(),
            _ => None,
        }
    }

    /// The path of the value that is not of its field's type (`.` for the body itself).
    pub fn path(&self) -> Option<&str> {
        match self {
            BodyError::WrongType { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Whether the body as a whole is not of the request's shape (an array for an object).
    pub fn is_wrong_shape(&self) -> bool {
        matches!(self, BodyError::WrongType { path, .. } if path == ".")
    }

    fn of(inner: &serde_json::Error, path: String) -> Self {
        let (line, column) = (inner.line(), inner.column());
        if inner.is_eof() && line == 1 && column == 0 {
            BodyError::Empty
        } else if inner.is_data() {
            // serde's own words for a key no field has: "unknown field `name`, expected ...".
            // (Other messages may quote the value, so no message is kept.)
            let message = inner.to_string();
            let unknown_field = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split_once('`'))
                .map(|(name, _)| name.to_owned());
            BodyError::WrongType {
                line,
                column,
                path,
                unknown_field,
            }
        } else {
            BodyError::Malformed { line, column }
        }
    }
}

/// Reads a whole JSON document into `T` (what [`Body`] does with a request's bytes).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| BodyError::of(e.inner(), e.path().to_string()))?;
    de.end().map_err(|e| BodyError::of(&e, ".".into()))?;
    Ok(value)
}

/// A body that must be a JSON object, read into `T`. (serde reads a struct from an array too,
/// field by field: a body such as `["a@example.com", "secret"]` is refused here instead.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object<T>(pub T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Object<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
            .map(Object)
    }
}

/// How a dialect's bodies are read: set by [`crate::scope`].
#[derive(Debug, Clone, Copy)]
pub struct BodyConfig {
    /// Whether the body must say `Content-Type: application/json` (or `+json`); otherwise any
    /// body is read as JSON, as clients that send none (or `text/plain`) expect.
    pub json_only: bool,
    /// The body cap, in bytes (also the scope's `PayloadConfig` limit).
    pub max_body: usize,
    /// The dialect's answer to a body it cannot read, given the cap.
    pub refuse: fn(BodyError, usize) -> actix_web::Error,
}

/// A JSON body read into `T`.
#[derive(Debug)]
pub struct Body<T>(pub T);

/// A JSON body read into `T`, or `None` when the request has no body at all.
#[derive(Debug)]
pub struct OptionalBody<T>(pub Option<T>);

type Reading<R> = Pin<Box<dyn Future<Output = Result<R, actix_web::Error>>>>;

/// Reads the body: its content type, its size (the scope's `PayloadConfig`), then `finish`
/// (serde) on its bytes.
fn read<R: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    finish: fn(&[u8]) -> Result<R, BodyError>,
) -> Reading<R> {
    let config = req.app_data::<BodyConfig>().copied().unwrap_or(BodyConfig {
        json_only: false,
        max_body: 256 * 1024,
        refuse: |e, _| actix_web::error::ErrorBadRequest(format!("{e:?}")),
    });
    let json = match req.mime_type() {
        Ok(Some(mime)) => {
            mime.subtype().as_str() == "json" || mime.suffix().map(|s| s.as_str()) == Some("json")
        }
        _ => false,
    };
    let bytes = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        let refuse = |e| (config.refuse)(e, config.max_body);
        if config.json_only && !json {
            return Err(refuse(BodyError::ContentType));
        }
        let bytes = bytes.await.map_err(|e| {
            refuse(match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => BodyError::TooLarge,
                _ => BodyError::Unreadable,
            })
        })?;
        finish(&bytes).map_err(refuse)
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = Reading<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        read(req, payload, |bytes| parse(bytes).map(Body))
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for OptionalBody<T> {
    type Error = actix_web::Error;
    type Future = Reading<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        read(req, payload, |bytes| match bytes {
            [] => Ok(OptionalBody(None)),
            bytes => parse(bytes).map(|v| OptionalBody(Some(v))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Named {
        name: String,
        #[serde(default)]
        tags: Vec<u32>,
    }

    fn parse(json: &str) -> Result<Named, BodyError> {
        super::parse::<Object<Named>>(json.as_bytes()).map(|o| o.0)
    }

    #[test]
    fn errors_say_where_and_what_without_the_content() {
        assert_eq!(parse("").expect_err("empty"), BodyError::Empty);
        assert_eq!(
            parse("{\"name\":").expect_err("cut"),
            BodyError::Malformed { line: 1, column: 8 }
        );
        let e = parse(r#"{"nmae":"x"}"#).expect_err("typo");
        assert_eq!(e.unknown_field(), Some("nmae"));
        let e = parse(r#"{"name":"x","tags":[1,"secret"]}"#).expect_err("type");
        assert_eq!(e.path(), Some("tags[1]"));
        assert!(
            !format!("{e:?}").contains("secret"),
            "the value is never kept"
        );
        assert!(parse("[1]").expect_err("array").is_wrong_shape());
        assert!(!e.is_wrong_shape());
    }
}
