//! The webhook dispatcher: every instance runs one. It leases an endpoint with deliveries due,
//! sends them in event order (Standard Webhooks headers, signed with the endpoint's secret by
//! the `standardwebhooks` crate), records each try through core, and stops at the first
//! failure (core holds the endpoint back until the retry). Redirects are not followed; a
//! destination that resolves to a loopback, private, link-local (cloud metadata) or otherwise
//! internal address is refused unless `--webhook-allow-private`.

pub mod cli;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use standardwebhooks::Webhook;
use usergate_core::Core;
use usergate_core::audit::instance_id;
use usergate_core::ports::{AuditEvent, EndpointRecord};
use usergate_core::webhooks::{RetrySchedule, Sent, message_id, payload};

/// How the dispatcher works.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Waits between retries.
    pub schedule: RetrySchedule,
    /// Upper bound of one try.
    pub timeout: Duration,
    /// Let deliveries go to loopback, private and link-local addresses.
    pub allow_private: bool,
    /// How often an idle dispatcher looks for work.
    pub poll: Duration,
}

/// Deliveries one lease takes at most.
const BATCH: u32 = 100;

/// How long a dispatcher that found only a few deliveries waits for more.
const GATHER: Duration = Duration::from_millis(50);

/// Deliveries recorded per transaction.
const SETTLE_EVERY: usize = 20;

async fn settle(
    core: &Core,
    endpoint: &EndpointRecord,
    run: Vec<(usergate_core::ports::PendingDelivery, Sent)>,
    schedule: &RetrySchedule,
) -> Result<(), usergate_core::CoreError> {
    let (c, e, schedule) = (core.clone(), endpoint.clone(), schedule.clone());
    usergate_web::blocking(move || c.webhooks.settle(&e, &run, &schedule)).await
}

/// Starts the dispatcher on the current actix runtime.
pub fn spawn(core: Core, settings: DispatchSettings) {
    static DISPATCHERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = DISPATCHERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // The lease owner: this process, and this dispatcher in it.
    let owner: Arc<str> = Arc::from(format!("{}/{n}", instance_id()));
    let settings = Arc::new(settings);
    actix_web::rt::spawn(async move {
        let client = client(settings.timeout);
        loop {
            match round(&core, &settings, &client, &owner).await {
                // A full batch: more is waiting.
                Ok(Some(n)) if n >= BATCH as usize => {}
                // A few: let more gather for a moment, so that a busy endpoint's deliveries go
                // in batches rather than one lease and one record each.
                Ok(Some(_)) => actix_web::rt::time::sleep(GATHER).await,
                Ok(None) => actix_web::rt::time::sleep(settings.poll).await,
                Err(e) => {
                    tracing::error!(error = %e, "webhook dispatch failed");
                    actix_web::rt::time::sleep(settings.poll).await;
                }
            }
        }
    });
}

/// An HTTP client that follows no redirect.
pub fn client(timeout: Duration) -> awc::Client {
    awc::Client::builder()
        .disable_redirects()
        .timeout(timeout)
        .finish()
}

/// Leases one endpoint and sends what is due for it; how many it took, if there was any.
async fn round(
    core: &Core,
    settings: &DispatchSettings,
    client: &awc::Client,
    owner: &Arc<str>,
) -> Result<Option<usize>, usergate_core::CoreError> {
    // A lease outlives every try of a batch it could be working on.
    let lease = settings.timeout * 2 + Duration::from_secs(30);
    let (c, o) = (core.clone(), owner.clone());
    let Some((endpoint, pending)) =
        usergate_web::blocking(move || c.webhooks.lease(&o, lease, BATCH)).await?
    else {
        return Ok(None);
    };
    let taken = pending.len();
    // Sent in order; recorded in runs of up to SETTLE_EVERY, each one transaction (a crash
    // between a send and its record sends it again: receivers deduplicate on webhook-id).
    let started = Instant::now();
    let mut run = Vec::new();
    for delivery in pending {
        if started.elapsed() > lease / 2 {
            break;
        }
        let sent = send(client, &endpoint, &delivery.event, settings.allow_private).await;
        let ok = sent.succeeded();
        let outcome = if ok { "success" } else { "failure" };
        metrics::counter!("usergate_webhook_deliveries_total", "outcome" => outcome).increment(1);
        if !ok {
            tracing::warn!(
                endpoint = endpoint.id,
                error = sent.error.as_deref(),
                status = sent.status_code,
                "webhook delivery failed"
            );
        }
        run.push((delivery, sent));
        if !ok || run.len() >= SETTLE_EVERY {
            settle(
                core,
                &endpoint,
                std::mem::take(&mut run),
                &settings.schedule,
            )
            .await?;
        }
        if !ok {
            break;
        }
    }
    if !run.is_empty() {
        settle(core, &endpoint, run, &settings.schedule).await?;
    }
    let (c, id, o) = (core.clone(), endpoint.id, owner.clone());
    usergate_web::blocking(move || c.webhooks.release(id, &o)).await?;
    Ok(Some(taken))
}

/// Sends one event to one endpoint.
pub async fn send(
    client: &awc::Client,
    endpoint: &EndpointRecord,
    event: &AuditEvent,
    allow_private: bool,
) -> Sent {
    let Some(body) = payload(event) else {
        return failed("the event is not sent", Duration::ZERO);
    };
    post(client, endpoint, &message_id(event), &body, allow_private).await
}

/// A test message to an endpoint (`usergate webhooks test`): type `webhook.test`.
pub async fn send_test(
    client: &awc::Client,
    endpoint: &EndpointRecord,
    allow_private: bool,
) -> Sent {
    let now = chrono::Utc::now();
    let body = json!({
        "type": "webhook.test",
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": {"endpoint_id": endpoint.id},
    });
    let id = format!("test_{}", now.timestamp_micros());
    post(client, endpoint, &id, &body, allow_private).await
}

async fn post(
    client: &awc::Client,
    endpoint: &EndpointRecord,
    id: &str,
    body: &serde_json::Value,
    allow_private: bool,
) -> Sent {
    let started = Instant::now();
    if let Err(refused) = destination(&endpoint.url, allow_private).await {
        return failed(&refused, started.elapsed());
    }
    let body = body.to_string();
    let timestamp = chrono::Utc::now().timestamp();
    let signature =
        match Webhook::new(&endpoint.secret).and_then(|w| w.sign(id, timestamp, body.as_bytes())) {
            Ok(s) => s,
            Err(e) => return failed(&format!("cannot sign: {e}"), started.elapsed()),
        };
    let sent = client
        .post(&endpoint.url)
        .insert_header(("content-type", "application/json"))
        .insert_header((
            "user-agent",
            concat!("usergate/", env!("CARGO_PKG_VERSION")),
        ))
        .insert_header(("webhook-id", id))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signature))
        .send_body(body)
        .await;
    match sent {
        Ok(mut res) => {
            // The body is read (and dropped) so the connection can be reused; never kept.
            let _ = res.body().limit(64 * 1024).await;
            Sent {
                status_code: Some(res.status().as_u16()),
                latency: started.elapsed(),
                error: None,
            }
        }
        Err(e) => failed(&e.to_string(), started.elapsed()),
    }
}

fn failed(error: &str, latency: Duration) -> Sent {
    Sent {
        status_code: None,
        latency,
        error: Some(error.to_owned()),
    }
}

/// Refuses a destination that resolves to an internal address (unless allowed).
async fn destination(raw: &str, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let url = url::Url::parse(raw).map_err(|e| format!("bad url: {e}"))?;
    let host = url
        .host_str()
        .ok_or("no host")?
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<IpAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .map(|a| a.ip())
        .collect();
    match addrs.iter().find(|ip| internal(**ip)) {
        Some(ip) => Err(format!(
            "destination {ip} is an internal address (start the server with --webhook-allow-private to allow it)"
        )),
        None => Ok(()),
    }
}

/// Loopback, private, link-local (cloud metadata), shared, unspecified, multicast, documentation.
pub fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::internal;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
        ] {
            assert!(internal(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(!internal(ip.parse().expect("ip")), "{ip}");
        }
    }
}
