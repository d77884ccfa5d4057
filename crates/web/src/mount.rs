//! Mounting a dialect: the scope every dialect gets, with its state, its body and query
//! configuration, and the size limits answered in its own envelope before any handler runs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{ResponseError, Scope, web};

use crate::body::{BodyConfig, BodyError};
use crate::limits::{Oversized, enforce_limits};

/// How a dialect words the refusals every dialect makes before a handler runs: its
/// [`ResponseError`] type in its own envelope.
pub trait Envelope: ResponseError + Sized + 'static {
    /// A request over a size limit (413, 414, 431).
    fn oversized(o: Oversized) -> Self;
    /// A JSON body that could not be read ([`BodyError::TooLarge`] is [`Envelope::oversized`]).
    fn unreadable_body(e: BodyError) -> Self;
    /// A query string that could not be read.
    fn unreadable_query() -> Self;
}

/// What a dialect's scope needs to know.
#[derive(Debug, Clone, Copy)]
pub struct Mount<'a> {
    /// Where it is mounted (`""` at the root of a listener of its own).
    pub prefix: &'a str,
    /// The request body cap, in bytes.
    pub max_body: usize,
    /// Whether bodies must say `Content-Type: application/json`.
    pub json_only: bool,
}

/// The scope of a dialect: `state` for its handlers (as `web::Data`), its body and query
/// configuration, and the size limits, each refusal in the envelope of `E`.
pub fn scope<E: Envelope, S: 'static>(
    mount: Mount<'_>,
    state: S,
) -> Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cap = mount.max_body;
    web::scope(mount.prefix)
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(cap))
        .app_data(BodyConfig {
            json_only: mount.json_only,
            max_body: cap,
            refuse: refuse_body::<E>,
        })
        .app_data(web::QueryConfig::default().error_handler(|_, _| E::unreadable_query().into()))
        .wrap(from_fn(move |req, next| {
            enforce_limits(cap, |o| E::oversized(o).error_response(), req, next)
        }))
}

fn refuse_body<E: Envelope>(e: BodyError, max_body: usize) -> actix_web::Error {
    match e {
        BodyError::TooLarge => E::oversized(Oversized::Body(max_body)).into(),
        other => E::unreadable_body(other).into(),
    }
}
