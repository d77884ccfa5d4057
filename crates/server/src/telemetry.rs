//! Logging: `tracing` to standard error, text or JSON, and one line per request with its id,
//! method, route template, status and latency. Never the query string, headers or body.

use std::io::IsTerminal;
use std::time::Instant;

use actix_web::HttpMessage as _;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber (`RUST_LOG` filters; default `info`, and for the operator's
/// commands, other than `serve`, without the `usergate::audit` lines: a command prints what it
/// did, and its events are in the audit table). Safe to call twice.
pub fn init(format: LogFormat, serving: bool) {
    let default = if serving {
        "info"
    } else {
        "info,usergate::audit=warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Logs every request once, when it ends, and returns its id in `X-Request-Id`.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id();
    let method = req.method().clone();
    let dialect = req
        .app_data::<actix_web::web::Data<crate::metrics::RootDialect>>()
        .map_or_else(|| crate::metrics::dialect_of(req.path()), |d| d.0);
    let in_flight = metrics::gauge!("http_requests_in_flight");
    in_flight.increment(1.0);
    req.extensions_mut()
        .insert(usergate_web::RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id);
    let result = next.call(req).instrument(span.clone()).await;
    in_flight.decrement(1.0);
    let elapsed = started.elapsed();
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    match result {
        Ok(mut res) => {
            let pattern = res.request().match_pattern();
            let labels = [
                ("dialect", dialect.to_owned()),
                ("method", method.to_string()),
                (
                    "route",
                    pattern.clone().unwrap_or_else(|| "unmatched".to_owned()),
                ),
            ];
            metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed);
            let status = res.status().as_u16().to_string();
            let mut labels = labels.to_vec();
            labels.push(("status", status));
            metrics::counter!("http_requests_total", &labels).increment(1);
            let route = pattern.unwrap_or_else(|| "(unmatched)".to_owned());
            tracing::info!(
                parent: &span,
                %method,
                route,
                status = res.status().as_u16(),
                latency_ms,
                "request"
            );
            if let Ok(v) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(REQUEST_ID, v);
            }
            Ok(res)
        }
        Err(e) => {
            tracing::warn!(parent: &span, %method, latency_ms, error = %e, "request failed");
            Err(e)
        }
    }
}

fn request_id() -> String {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        return "0000000000000000".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}
