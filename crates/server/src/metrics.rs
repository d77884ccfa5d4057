//! Prometheus metrics on `--metrics-listen`, never on the public listeners: the `metrics`
//! facade (core and the server record through it) and its Prometheus exporter, rendered by an
//! actix route. Labels are route templates and fixed words: never an address, id or email.

use std::net::SocketAddr;
use std::sync::OnceLock;

use actix_web::{App, HttpResponse, HttpServer, web};
use metrics::{describe_counter, describe_gauge, describe_histogram, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use usergate_core::Core;
use usergate_store::Store;

use crate::app::StartError;

/// The dialect a listener serves at its root (Domo's own listener), for the request metrics.
#[derive(Debug, Clone, Copy)]
pub struct RootDialect(pub &'static str);

/// The dialect of a request path on the main listener.
pub fn dialect_of(path: &str) -> &'static str {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under("/api/v2") {
        "dreamfactory"
    } else if under("/domo") {
        "domo"
    } else if under("/v1") {
        "generic"
    } else if under("/scim/v2") {
        "scim"
    } else if under("/api") {
        "email_keyed"
    } else if under("/console") {
        "console"
    } else {
        "server"
    }
}

/// The recorder, installed once per process.
fn handle() -> Result<PrometheusHandle, StartError> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    let seconds = [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
        .map_err(|e| StartError::Config(format!("metrics: {e}")))?
        .install_recorder()
        .map_err(|e| StartError::Config(format!("metrics: {e}")))?;
    describe();
    Ok(HANDLE.get_or_init(|| handle).clone())
}

fn describe() {
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by dialect, method, route template and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request latency, by dialect, method and route template"
    );
    describe_gauge!("http_requests_in_flight", "HTTP requests being served");
    describe_counter!(
        "usergate_auth_attempts_total",
        "Credential checks, by dialect, method (password, client_credentials, api_key), outcome and reason"
    );
    describe_counter!(
        "usergate_credential_cache_requests_total",
        "Lookups of the resolved-credential cache: hit, miss or bypass"
    );
    describe_counter!(
        "usergate_total_cache_requests_total",
        "Lookups of kept search totals (counted queries): hit, miss or bypass"
    );
    describe_histogram!(
        "usergate_password_hash_seconds",
        metrics::Unit::Seconds,
        "Time to compute or verify one password hash"
    );
    describe_gauge!(
        "usergate_password_hash_waiting",
        "Password hashes waiting for a hashing thread"
    );
    describe_gauge!(
        "usergate_db_pool_connections",
        "Database connections, by state (idle, in_use)"
    );
    describe_counter!(
        "usergate_ratelimit_decisions_total",
        "Rate-limit decisions, by policy, decision and backend"
    );
    describe_gauge!(
        "usergate_ratelimit_backend_up",
        "Whether the shared rate-limit backend answers (1) or is skipped (0)"
    );
    describe_counter!(
        "usergate_audit_events_total",
        "Audit events written, by action and outcome"
    );
    describe_counter!(
        "usergate_webhook_deliveries_total",
        "Webhook delivery attempts, by outcome"
    );
    describe_gauge!("usergate_webhook_backlog", "Webhook deliveries waiting");
    describe_gauge!("usergate_build_info", "The running version");
    gauge!("usergate_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    store: Store,
    core: Core,
}

/// `GET /metrics`: the gauges read at scrape time (pool, backlog), then the rendered text.
async fn metrics(scrape: web::Data<Scrape>) -> HttpResponse {
    let state = scrape.store.pool_state();
    gauge!("usergate_db_pool_connections", "state" => "idle").set(f64::from(state.idle));
    gauge!("usergate_db_pool_connections", "state" => "in_use")
        .set(f64::from(state.connections.saturating_sub(state.idle)));
    let core = scrape.core.clone();
    if let Ok(Ok(n)) = web::block(move || core.webhooks.backlog()).await {
        #[allow(clippy::cast_precision_loss)] // a backlog never nears 2^53
        gauge!("usergate_webhook_backlog").set(n as f64);
    }
    scrape.handle.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(scrape.handle.render())
}

/// Installs the recorder and serves `/metrics` on `listen`; the bound address and the server.
pub fn serve(
    listen: SocketAddr,
    store: Store,
    core: Core,
) -> Result<(SocketAddr, actix_web::dev::Server), StartError> {
    let scrape = Scrape {
        handle: handle()?,
        store,
        core,
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(scrape.clone()))
            .route("/metrics", web::get().to(metrics))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(5)
    .bind(listen)?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| StartError::Config("no metrics address bound".into()))?;
    tracing::info!(%addr, "metrics at /metrics on");
    Ok((addr, server.run()))
}

#[cfg(test)]
mod tests {
    use super::dialect_of;

    #[test]
    fn paths_name_their_dialects() {
        for (path, d) in [
            ("/api/v2/system/user", "dreamfactory"),
            ("/api/users/a@b.c", "email_keyed"),
            ("/api/auth/token", "email_keyed"),
            ("/apix", "server"),
            ("/domo/v1/users", "domo"),
            ("/v1/users", "generic"),
            ("/scim/v2/Users", "scim"),
            ("/healthz", "server"),
            ("/console/users/7", "console"),
            ("/consoles", "server"),
        ] {
            assert_eq!(dialect_of(path), d, "{path}");
        }
    }
}
