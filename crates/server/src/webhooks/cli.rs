//! `usergate webhooks create|list|update|delete|test|attempts`.

use serde_json::json;
use usergate_core::webhooks::{Endpoint, EndpointChanges, NewEndpoint};
use usergate_core::{Actor, Channel, Core, PasswordPolicy};

use crate::app::StartError;
use crate::commands::operator_core_at;
use crate::config::{
    DbArgs, WebhookAttemptsArgs, WebhookCreateArgs, WebhookIdArgs, WebhookListArgs,
    WebhookTestArgs, WebhookUpdateArgs,
};

fn operator() -> Actor {
    Actor::system(Channel::Cli)
}

fn core(db: &DbArgs) -> Result<Core, StartError> {
    operator_core_at(&db.url(), PasswordPolicy::default())
}

fn time(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An endpoint as the CLI prints it in JSON.
pub fn view(e: &Endpoint) -> serde_json::Value {
    json!({
        "id": e.id,
        "url": e.url,
        "description": e.description,
        "event_types": e.event_types,
        "enabled": e.enabled,
        "disabled_reason": e.disabled_reason,
        "created_at": time(e.created_at),
        "updated_at": time(e.updated_at),
    })
}

/// `usergate webhooks create`.
pub fn create(args: &WebhookCreateArgs) -> Result<(), StartError> {
    let created = core(&args.db)?.webhooks.create(
        &operator(),
        NewEndpoint {
            url: args.url.clone(),
            event_types: args.events.clone(),
            description: args.description.clone(),
        },
    )?;
    if args.json {
        let mut out = view(&created.endpoint);
        out["secret"] = json!(created.secret);
        println!("{out}");
    } else {
        println!("id: {}", created.endpoint.id);
        println!("url: {}", created.endpoint.url);
        println!("events: {}", created.endpoint.event_types.join(","));
        println!("secret: {}", created.secret);
        eprintln!(
            "The secret is shown this once: receivers verify every delivery's signature with it."
        );
    }
    Ok(())
}

/// `usergate webhooks list`.
pub fn list(args: &WebhookListArgs) -> Result<(), StartError> {
    let all = core(&args.db)?.webhooks.list(&operator())?;
    if args.json {
        println!("{}", json!(all.iter().map(view).collect::<Vec<_>>()));
        return Ok(());
    }
    for e in &all {
        let state = match (&e.enabled, &e.disabled_reason) {
            (true, _) => "enabled".to_owned(),
            (false, Some(why)) => format!("disabled: {why}"),
            (false, None) => "disabled".to_owned(),
        };
        println!("{}\t{}\t{}\t{state}", e.id, e.url, e.event_types.join(","));
    }
    Ok(())
}

/// `usergate webhooks update`.
pub fn update(args: &WebhookUpdateArgs) -> Result<(), StartError> {
    let changes = EndpointChanges {
        url: args.url.clone(),
        event_types: args.events.clone(),
        description: args.description.clone(),
        enabled: match (args.enable, args.disable) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    };
    let e = core(&args.db)?
        .webhooks
        .update(&operator(), args.id, &changes)?;
    println!("{}", view(&e));
    Ok(())
}

/// `usergate webhooks delete`.
pub fn delete(args: &WebhookIdArgs) -> Result<(), StartError> {
    core(&args.db)?.webhooks.delete(&operator(), args.id)?;
    println!("deleted: {}", args.id);
    Ok(())
}

/// `usergate webhooks test`: one signed `webhook.test` message, now; exit 1 unless a 2xx.
pub fn test(args: &WebhookTestArgs) -> Result<(), StartError> {
    let endpoint = core(&args.db)?.webhooks.for_test(&operator(), args.id)?;
    let allow = args.allow_private;
    let sent = actix_web::rt::System::new().block_on(async move {
        let client = super::client(std::time::Duration::from_secs(10));
        super::send_test(&client, &endpoint, allow).await
    });
    let status = sent
        .status_code
        .map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
    println!(
        "{status} in {} ms{}",
        sent.latency.as_millis(),
        sent.error
            .as_deref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default()
    );
    if sent.succeeded() {
        Ok(())
    } else {
        Err(StartError::Input(
            "the test message was not accepted".into(),
        ))
    }
}

/// `usergate webhooks attempts`.
pub fn attempts(args: &WebhookAttemptsArgs) -> Result<(), StartError> {
    let all = core(&args.db)?
        .webhooks
        .attempts(&operator(), args.id, args.limit)?;
    for a in &all {
        if args.json {
            println!(
                "{}",
                json!({
                    "id": a.id, "event_id": a.event_id, "attempted_at": time(a.attempted_at),
                    "status_code": a.status_code, "latency_ms": a.latency_ms,
                    "error": a.error, "succeeded": a.succeeded,
                })
            );
        } else {
            println!(
                "{}  event {}  {}  {} ms{}",
                time(a.attempted_at),
                a.event_id,
                a.status_code
                    .map_or_else(|| "-".to_owned(), |s| s.to_string()),
                a.latency_ms,
                a.error
                    .as_deref()
                    .map(|e| format!("  {e}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}
