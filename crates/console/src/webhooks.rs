//! Webhook endpoints: the list, create (the signing secret shown once), an endpoint's page with
//! its deliveries (status, latency, error), edit, enable or disable, a test message, delete.

use actix_web::{HttpResponse, web};
use askama::Template;
use usergate_core::webhooks::{Endpoint, EndpointChanges, NewEndpoint, event_types};
use usergate_web::blocking;

use crate::session::{Admin, Only, Pairs, Posted};
use crate::view::{self, Nav, Opt, when};
use crate::{ConsoleError, State};

/// Delivery attempts shown on an endpoint's page.
const ATTEMPTS: u32 = 50;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks", web::get().to(list))
        .route("/webhooks", web::post().to(create))
        .route("/webhooks/{id}", web::get().to(show))
        .route("/webhooks/{id}", web::post().to(edit))
        .route("/webhooks/{id}/test", web::post().to(test))
        .route("/webhooks/{id}/delete", web::post().to(delete));
}

/// An endpoint in a table.
pub struct EndpointRow {
    id: i64,
    url: String,
    description: String,
    types: String,
    enabled: bool,
    disabled_reason: String,
    created: String,
}

impl From<&Endpoint> for EndpointRow {
    fn from(e: &Endpoint) -> Self {
        EndpointRow {
            id: e.id,
            url: e.url.clone(),
            description: e.description.clone(),
            types: e.event_types.join(" "),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone().unwrap_or_default(),
            created: when(&e.created_at),
        }
    }
}

/// A delivery attempt in a table.
pub struct AttemptRow {
    at: String,
    event: i64,
    status: String,
    latency: i64,
    error: String,
    ok: bool,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct ListPage {
    nav: Nav,
    notice: Option<&'static str>,
    endpoints: Vec<EndpointRow>,
    types: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct EndpointPage {
    nav: Nav,
    notice: Option<String>,
    failed: bool,
    endpoint: EndpointRow,
    types: Vec<Opt>,
    attempts: Vec<AttemptRow>,
}

#[derive(Template)]
#[template(path = "webhook_new.html")]
struct CreatedPage {
    nav: Nav,
    id: i64,
    url: String,
    secret: String,
}

/// Every event type as a checkbox, `chosen` ticked.
fn type_opts(chosen: &[String]) -> Vec<Opt> {
    std::iter::once("*")
        .chain(event_types())
        .map(|t| Opt {
            value: t.to_owned(),
            label: if t == "*" {
                "every event".to_owned()
            } else {
                t.to_owned()
            },
            on: chosen.iter().any(|c| c == t),
        })
        .collect()
}

/// The notice of a `done=` key.
#[derive(Debug, serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn list(
    admin: Admin,
    state: web::Data<State>,
    done: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let endpoints = blocking(move || core.webhooks.list(&actor)).await?;
    view::render(&ListPage {
        nav: Nav {
            section: "webhooks",
            csrf: admin.csrf,
        },
        notice: view::notice(done.done.as_deref()),
        endpoints: endpoints.iter().map(EndpointRow::from).collect(),
        types: type_opts(&["*".to_owned()]),
    })
}

async fn create(
    state: web::Data<State>,
    Posted(admin, form): Posted<Pairs>,
) -> Result<HttpResponse, ConsoleError> {
    let new = NewEndpoint {
        url: form.one("url").trim().to_owned(),
        event_types: form.all("type"),
        description: form.one("description").trim().to_owned(),
    };
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let created = blocking(move || core.webhooks.create(&actor, new)).await?;
    view::render(&CreatedPage {
        nav: Nav {
            section: "webhooks",
            csrf: admin.csrf,
        },
        id: created.endpoint.id,
        url: created.endpoint.url,
        secret: created.secret,
    })
}

fn endpoint_id(raw: &str) -> Result<i64, ConsoleError> {
    raw.parse::<i64>()
        .map_err(|_| ConsoleError::Core(usergate_core::CoreError::NotFound))
}

async fn page(
    admin: Admin,
    state: &State,
    id: i64,
    notice: Option<String>,
    failed: bool,
) -> Result<HttpResponse, ConsoleError> {
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let (endpoint, attempts) = blocking(move || {
        Ok((
            core.webhooks.get(&actor, id)?,
            core.webhooks.attempts(&actor, id, ATTEMPTS)?,
        ))
    })
    .await?;
    view::render(&EndpointPage {
        nav: Nav {
            section: "webhooks",
            csrf: admin.csrf,
        },
        notice,
        failed,
        types: type_opts(&endpoint.event_types),
        endpoint: EndpointRow::from(&endpoint),
        attempts: attempts
            .iter()
            .map(|a| AttemptRow {
                at: a.attempted_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                event: a.event_id,
                status: a
                    .status_code
                    .map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
                latency: a.latency_ms,
                error: a.error.clone().unwrap_or_default(),
                ok: a.succeeded,
            })
            .collect(),
    })
}

async fn show(
    admin: Admin,
    state: web::Data<State>,
    id: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let notice = view::notice(done.done.as_deref()).map(str::to_owned);
    page(admin, &state, endpoint_id(&id)?, notice, false).await
}

async fn edit(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<Pairs>,
) -> Result<HttpResponse, ConsoleError> {
    let id = endpoint_id(&id)?;
    let (core, actor) = (state.core.clone(), admin.actor);
    blocking(move || {
        let current = core.webhooks.get(&actor, id)?;
        let url = form.one("url").trim().to_owned();
        let description = form.one("description").trim().to_owned();
        let types = form.all("type");
        let enabled = form.one("enabled") == "on";
        let changes = EndpointChanges {
            url: (url != current.url).then_some(url),
            event_types: (types != current.event_types).then_some(types),
            description: (description != current.description).then_some(description),
            enabled: (enabled != current.enabled).then_some(enabled),
        };
        core.webhooks.update(&actor, id, &changes)
    })
    .await?;
    Ok(view::see_other(&format!(
        "/console/webhooks/{id}?done=saved"
    )))
}

async fn test(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, _): Posted<Only>,
) -> Result<HttpResponse, ConsoleError> {
    let id = endpoint_id(&id)?;
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let endpoint = blocking(move || core.webhooks.for_test(&actor, id)).await?;
    let sent = (state.tester)(endpoint).await;
    let status = sent
        .status_code
        .map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
    let notice = format!(
        "Test message: {status} in {} ms{}",
        sent.latency.as_millis(),
        sent.error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    );
    page(admin, &state, id, Some(notice), !sent.succeeded()).await
}

async fn delete(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, _): Posted<Only>,
) -> Result<HttpResponse, ConsoleError> {
    let id = endpoint_id(&id)?;
    let (core, actor) = (state.core.clone(), admin.actor);
    blocking(move || core.webhooks.delete(&actor, id)).await?;
    Ok(view::see_other("/console/webhooks?done=deleted"))
}
