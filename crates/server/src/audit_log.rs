//! `usergate audit list|tail|export|prune`, and the hourly pruning a server does.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use usergate_core::audit::{AuditEvent, AuditQuery, MAX_AUDIT_PAGE};
use usergate_core::ports::{AuditFilter, Cursor};
use usergate_core::{Actor, Channel, Core, PasswordPolicy};
use usergate_dialect_generic::audit::AuditEventOut;

use crate::app::StartError;
use crate::commands::operator_core_at;
use crate::config::{
    AuditExportArgs, AuditFilterArgs, AuditListArgs, AuditPruneArgs, AuditTailArgs,
};

fn operator() -> Actor {
    Actor::system(Channel::Cli)
}

fn filter(f: &AuditFilterArgs) -> AuditFilter {
    AuditFilter {
        since: f.since,
        until: f.until,
        actor: f.actor.clone(),
        target_type: f.target_type.clone(),
        target_id: f.target_id.clone(),
        action: f.action.clone(),
        outcome: f.outcome.clone(),
    }
}

fn page(
    core: &Core,
    f: &AuditFilter,
    cursor: Cursor,
    limit: u32,
) -> Result<Vec<AuditEvent>, StartError> {
    let query = AuditQuery {
        filter: f.clone(),
        cursor,
        limit,
    };
    Ok(core.audit.list(&operator(), &query)?)
}

/// One event as a line a person reads: time, id, action, outcome, who, what, the diff.
fn line(e: &AuditEvent) -> String {
    let who = match (&e.actor_id, &e.actor_email) {
        (Some(id), Some(email)) => format!("{} {id} <{email}>", e.actor_type),
        (Some(id), None) => format!("{} {id}", e.actor_type),
        _ => e.actor_type.clone(),
    };
    let via = e
        .credential_id
        .as_deref()
        .filter(|_| e.actor_type == "api_key" || e.actor_type == "oauth_client")
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    let what = match (&e.target_type, &e.target_id, &e.target_email) {
        (Some(t), Some(id), Some(email)) => format!("{t} {id} <{email}>"),
        (Some(t), Some(id), None) => format!("{t} {id}"),
        (Some(t), None, Some(email)) => format!("{t} <{email}>"),
        (Some(t), None, None) => t.clone(),
        _ => "-".to_owned(),
    };
    let outcome = match &e.error_code {
        Some(code) => format!("failure:{code}"),
        None => e.outcome.clone(),
    };
    let changes = match &e.changes {
        serde_json::Value::Object(m) if m.is_empty() => String::new(),
        c => format!("  {c}"),
    };
    format!(
        "{}  #{}  {:<20} {:<10} {:<12} by {who}{via}  on {what}{changes}",
        e.occurred_at.format("%Y-%m-%dT%H:%M:%SZ"),
        e.id,
        e.action,
        outcome,
        e.dialect,
    )
}

fn json_line(e: &AuditEvent) -> Result<String, StartError> {
    serde_json::to_string(&AuditEventOut::from(e))
        .map_err(|err| StartError::Input(format!("an event could not be written: {err}")))
}

fn print(e: &AuditEvent, json: bool) -> Result<(), StartError> {
    let text = if json { json_line(e)? } else { line(e) };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush())?;
    Ok(())
}

/// `usergate audit list`.
pub fn list(args: &AuditListArgs) -> Result<(), StartError> {
    let core = operator_core_at(&args.db.url(), PasswordPolicy::default())?;
    for e in page(
        &core,
        &filter(&args.filter),
        Cursor::Before(None),
        args.limit,
    )? {
        print(&e, args.json)?;
    }
    Ok(())
}

/// `usergate audit tail`: the latest `last` events oldest first, then new ones as they come.
pub fn tail(args: &AuditTailArgs) -> Result<(), StartError> {
    let core = operator_core_at(&args.db.url(), PasswordPolicy::default())?;
    let f = filter(&args.filter);
    let mut latest = page(
        &core,
        &f,
        Cursor::Before(None),
        args.last.clamp(1, MAX_AUDIT_PAGE),
    )?;
    latest.reverse();
    let mut after = latest.last().map_or(0, |e| e.id);
    if args.last > 0 {
        for e in &latest {
            print(e, args.json)?;
        }
    } else {
        // Nothing old is printed, but the tail starts at the newest event.
        after = page(&core, &AuditFilter::default(), Cursor::Before(None), 1)?
            .first()
            .map_or(0, |e| e.id);
    }
    loop {
        std::thread::sleep(args.interval);
        loop {
            let new = page(&core, &f, Cursor::After(after), MAX_AUDIT_PAGE)?;
            for e in &new {
                print(e, args.json)?;
                after = e.id;
            }
            if new.len() < MAX_AUDIT_PAGE as usize {
                break;
            }
        }
    }
}

/// `usergate audit export`: every matching event, oldest first, as JSON Lines.
pub fn export(args: &AuditExportArgs) -> Result<u64, StartError> {
    let core = operator_core_at(&args.db.url(), PasswordPolicy::default())?;
    let f = filter(&args.filter);
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|source| StartError::File {
                path: path.clone(),
                source,
            })?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut after = 0;
    let mut written = 0u64;
    loop {
        let events = page(&core, &f, Cursor::After(after), MAX_AUDIT_PAGE)?;
        for e in &events {
            writeln!(out, "{}", json_line(e)?)?;
            after = e.id;
            written += 1;
        }
        if events.len() < MAX_AUDIT_PAGE as usize {
            break;
        }
    }
    out.flush()?;
    if args.output.is_some() {
        eprintln!(
            "exported {written} event{}",
            if written == 1 { "" } else { "s" }
        );
    }
    Ok(written)
}

/// `usergate audit prune`.
pub fn prune(args: &AuditPruneArgs) -> Result<(), StartError> {
    let core = operator_core_at(&args.db.url(), PasswordPolicy::default())?;
    if args.older_than.is_zero() {
        return Err(StartError::Config(
            "--older-than 0 would delete every event; give a retention such as 400d".into(),
        ));
    }
    let n = core.audit.prune(&operator(), args.older_than)?;
    println!("pruned {n} event{}", if n == 1 { "" } else { "s" });
    Ok(())
}

/// The server's pruning: every hour (and once at start), the events older than `keep`; one
/// instance at a time prunes (the others find the lock taken and skip the round). `keep` of
/// zero keeps events for ever.
pub fn spawn_pruning(core: Arc<Core>, keep: Duration) {
    if keep.is_zero() {
        return;
    }
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            let c = core.clone();
            let pruned =
                actix_web::web::block(move || c.audit.prune(&Actor::system(Channel::System), keep))
                    .await;
            match pruned {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(pruned = n, "audit events pruned"),
                Ok(Err(e)) => tracing::error!(error = %e, "audit pruning failed"),
                Err(e) => tracing::error!(error = %e, "audit pruning did not run"),
            }
        }
    });
}
