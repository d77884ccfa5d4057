//! The audit log: newest first, filters (actor, target, action, outcome, time), each change's
//! diff.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;
use usergate_core::audit::AuditQuery;
use usergate_core::ports::{AuditEvent, AuditFilter, Cursor};
use usergate_web::blocking;

use crate::session::Admin;
use crate::view::{self, Nav, Opt};
use crate::{ConsoleError, State};

/// Events a page.
const PAGE: u32 = 50;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit", web::get().to(list));
}

/// An event in a table.
pub struct EventRow {
    pub(crate) id: i64,
    pub(crate) at: String,
    pub(crate) actor: String,
    pub(crate) channel: String,
    pub(crate) action: String,
    pub(crate) outcome: String,
    pub(crate) error: String,
    pub(crate) target: String,
    pub(crate) target_link: Option<String>,
    pub(crate) changes: Option<String>,
    pub(crate) ip: String,
}

impl From<&AuditEvent> for EventRow {
    fn from(e: &AuditEvent) -> Self {
        let actor = match (&e.actor_email, &e.actor_id) {
            (Some(email), _) => email.clone(),
            (None, Some(id)) => format!("{} {id}", e.actor_type),
            (None, None) => e.actor_type.clone(),
        };
        let target = match (&e.target_type, &e.target_email, &e.target_id) {
            (Some(kind), Some(email), _) => format!("{kind} {email}"),
            (Some(kind), None, Some(id)) => format!("{kind} {id}"),
            (Some(kind), None, None) => kind.clone(),
            (None, ..) => String::new(),
        };
        let target_link = match (e.target_type.as_deref(), &e.target_id) {
            (Some("user"), Some(id)) => Some(format!("/console/users/{id}")),
            (Some("group"), Some(id)) => Some(format!("/console/groups/{id}")),
            (Some("webhook"), Some(id)) => Some(format!("/console/webhooks/{id}")),
            _ => None,
        };
        let empty = e.changes.is_null() || e.changes.as_object().is_some_and(|m| m.is_empty());
        EventRow {
            id: e.id,
            at: e.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor,
            channel: e.dialect.clone(),
            action: e.action.clone(),
            outcome: e.outcome.clone(),
            error: e.error_code.clone().unwrap_or_default(),
            target,
            target_link,
            changes: (!empty).then(|| serde_json::to_string_pretty(&e.changes).unwrap_or_default()),
            ip: e.ip.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    actor: String,
    target: String,
    action: String,
    outcomes: Vec<Opt>,
    since: String,
    until: String,
    events: Vec<EventRow>,
    older: Option<String>,
}

/// The page's filters.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    actor: Option<String>,
    target: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<i64>,
}

/// A time from a `datetime-local` field (UTC, to the minute or the second), or an RFC 3339
/// time.
fn time(raw: Option<&str>, field: &str) -> Result<Option<NaiveDateTime>, ConsoleError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(raw)
                .ok()
                .map(|t| t.naive_utc())
        })
        .map(Some)
        .ok_or_else(|| ConsoleError::Input(format!("{field}: not a time (YYYY-MM-DDTHH:MM, UTC).")))
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

async fn list(
    admin: Admin,
    state: web::Data<State>,
    p: web::Query<Params>,
) -> Result<HttpResponse, ConsoleError> {
    let p = p.into_inner();
    let filter = AuditFilter {
        since: time(p.since.as_deref(), "From")?,
        until: time(p.until.as_deref(), "Until")?,
        actor: text(&p.actor),
        target_id: text(&p.target),
        action: text(&p.action),
        outcome: text(&p.outcome),
        ..AuditFilter::default()
    };
    let query = AuditQuery {
        filter,
        cursor: Cursor::Before(p.before),
        limit: PAGE,
    };
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let events = blocking(move || core.audit.list(&actor, &query)).await?;
    let older = (events.len() == PAGE as usize)
        .then(|| events.last().map(|e| e.id))
        .flatten()
        .map(|before| {
            let before = before.to_string();
            view::link(
                "/console/audit",
                &[
                    ("actor", p.actor.as_deref()),
                    ("target", p.target.as_deref()),
                    ("action", p.action.as_deref()),
                    ("outcome", p.outcome.as_deref()),
                    ("since", p.since.as_deref()),
                    ("until", p.until.as_deref()),
                    ("before", Some(before.as_str())),
                ],
            )
        });
    view::render(&AuditPage {
        nav: Nav {
            section: "audit",
            csrf: admin.csrf,
        },
        actor: p.actor.clone().unwrap_or_default(),
        target: p.target.clone().unwrap_or_default(),
        action: p.action.clone().unwrap_or_default(),
        outcomes: Opt::list(
            [("", "any"), ("success", "success"), ("failure", "failure")],
            p.outcome.as_deref().unwrap_or(""),
        ),
        since: p.since.clone().unwrap_or_default(),
        until: p.until.clone().unwrap_or_default(),
        events: events.iter().map(EventRow::from).collect(),
        older,
    })
}
