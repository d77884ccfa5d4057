//! Machine credentials: the generic and SCIM dialects' API keys and Domo's OAuth clients. Made
//! for a user (their secret shown once, on the page that made them), listed, revoked.

use std::collections::BTreeMap;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;
use usergate_core::machine::{
    CredentialKind, KeyDialect, MachineCredential, NewCredential, OAUTH_SCOPES, api_key,
};
use usergate_core::query::{Cond, Direction, Field, Query, Value};
use usergate_core::{CoreError, Email, Page, UserId, UserKey};
use usergate_web::blocking;

use crate::session::{Admin, Only, Pairs, Posted};
use crate::view::{self, Nav, Opt, when, when_opt};
use crate::{ConsoleError, State};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/credentials", web::get().to(list))
        .route("/credentials", web::post().to(create))
        .route("/credentials/{id}/revoke", web::post().to(revoke));
}

/// A credential in a table.
pub struct CredentialRow {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) owner_id: i64,
    pub(crate) scopes: String,
    pub(crate) created: String,
    pub(crate) expires: String,
    pub(crate) state: &'static str,
}

impl CredentialRow {
    /// The row of `c`, whose owner's address is `owner`, as of `now`.
    pub fn new(c: &MachineCredential, owner: &str, now: NaiveDateTime) -> CredentialRow {
        let kind = match c.kind {
            CredentialKind::ApiKey => format!("API key ({})", KeyDialect::of(&c.scopes).as_str()),
            CredentialKind::OAuthClient => "Domo OAuth client".to_owned(),
        };
        CredentialRow {
            id: c.id.clone(),
            kind,
            name: c.name.clone(),
            owner: owner.to_owned(),
            owner_id: c.owner.get(),
            scopes: c.scopes.join(" "),
            created: when(&c.created_at),
            expires: when_opt(c.expires_at.as_ref()),
            state: if c.revoked_at.is_some() {
                "revoked"
            } else if c.is_live(now) {
                "live"
            } else {
                "expired"
            },
        }
    }
}

#[derive(Template)]
#[template(path = "credentials.html")]
struct ListPage {
    nav: Nav,
    notice: Option<&'static str>,
    credentials: Vec<CredentialRow>,
    owner: String,
    kinds: Vec<Opt>,
    scopes: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "credential_new.html")]
struct CreatedPage {
    nav: Nav,
    kind: String,
    owner: String,
    /// The API key, or the OAuth client's id.
    id: String,
    /// The API key, or the OAuth client's secret.
    secret: String,
    api_key: bool,
}

/// The list's query.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    owner: Option<String>,
    done: Option<String>,
}

const KINDS: [(&str, &str); 3] = [
    ("generic", "API key for /v1 (generic)"),
    ("scim", "API key for /scim/v2 (SCIM)"),
    ("oauth", "Domo OAuth client"),
];

/// Every credential of both kinds, newest first, with its owner's address.
fn all(
    core: &usergate_core::Core,
    actor: &usergate_core::Actor,
) -> Result<Vec<CredentialRow>, CoreError> {
    let mut found = Vec::new();
    for kind in [CredentialKind::ApiKey, CredentialKind::OAuthClient] {
        found.extend(core.users.list_credentials(actor, kind)?);
    }
    found.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    let ids: Vec<Value> = found
        .iter()
        .map(|c| c.owner.get())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(Value::Int)
        .collect();
    let n = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    let owners: BTreeMap<UserId, String> = core
        .users
        .query(
            actor,
            &Query {
                cond: Some(Cond::In(Field::Id, ids)),
                order: vec![(Field::Id, Direction::Asc)],
                page: Page {
                    limit: n.max(1),
                    offset: 0,
                },
                count: false,
            },
        )?
        .items
        .into_iter()
        .map(|u| (u.id, u.email.as_str().to_owned()))
        .collect();
    let now = chrono::Utc::now().naive_utc();
    Ok(found
        .iter()
        .map(|c| {
            let owner = owners
                .get(&c.owner)
                .map_or("(deleted user)", String::as_str);
            CredentialRow::new(c, owner, now)
        })
        .collect())
}

async fn list(
    admin: Admin,
    state: web::Data<State>,
    p: web::Query<ListParams>,
) -> Result<HttpResponse, ConsoleError> {
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let credentials = blocking(move || all(&core, &actor)).await?;
    view::render(&ListPage {
        nav: Nav {
            section: "credentials",
            csrf: admin.csrf,
        },
        notice: view::notice(p.done.as_deref()),
        credentials,
        owner: p.owner.clone().unwrap_or_default(),
        kinds: Opt::list(KINDS, "generic"),
        scopes: Opt::list(OAUTH_SCOPES.map(|s| (s, s)), "user"),
    })
}

/// The create form (`scope` once per ticked box).
#[derive(Debug)]
pub struct CreateForm {
    kind: String,
    owner: String,
    name: String,
    expires_days: String,
    scope: Vec<String>,
}

impl From<&Pairs> for CreateForm {
    fn from(p: &Pairs) -> Self {
        CreateForm {
            kind: p.one("kind"),
            owner: p.one("owner"),
            name: p.one("name"),
            expires_days: p.one("expires_days"),
            scope: p.all("scope"),
        }
    }
}

/// What the create form asks for, checked.
fn new_credential(form: &CreateForm) -> Result<(NewCredential, &'static str), ConsoleError> {
    let owner = Email::parse(form.owner.trim())
        .map_err(|_| ConsoleError::Input("The owner must be a user's email address.".into()))?;
    let expires_in = match form.expires_days.trim() {
        "" => None,
        days => Some(Duration::from_secs(
            days.parse::<u64>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .ok_or_else(|| {
                    ConsoleError::Input("Expiry: a number of days from 1 to 3650.".into())
                })?
                * 86_400,
        )),
    };
    let (kind, scopes, label) = match form.kind.as_str() {
        "generic" | "scim" => {
            let dialect = if form.kind == "scim" {
                KeyDialect::Scim
            } else {
                KeyDialect::Generic
            };
            (
                CredentialKind::ApiKey,
                vec![dialect.as_str().to_owned()],
                if form.kind == "scim" {
                    "SCIM API key"
                } else {
                    "Generic API key"
                },
            )
        }
        "oauth" => {
            let scopes: Vec<String> = OAUTH_SCOPES
                .iter()
                .filter(|s| form.scope.iter().any(|t| t == *s))
                .map(|s| (*s).to_owned())
                .collect();
            if scopes.is_empty() {
                return Err(ConsoleError::Input(
                    "An OAuth client needs at least one scope.".into(),
                ));
            }
            (CredentialKind::OAuthClient, scopes, "Domo OAuth client")
        }
        _ => return Err(ConsoleError::Input("Unknown kind of credential.".into())),
    };
    Ok((
        NewCredential {
            kind,
            owner: UserKey::Email(owner),
            name: Some(form.name.trim().to_owned()).filter(|n| !n.is_empty()),
            scopes,
            expires_in,
        },
        label,
    ))
}

async fn create(
    state: web::Data<State>,
    Posted(admin, pairs): Posted<Pairs>,
) -> Result<HttpResponse, ConsoleError> {
    let form = CreateForm::from(&pairs);
    let (new, label) = new_credential(&form)?;
    let is_key = new.kind == CredentialKind::ApiKey;
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let issued = blocking(move || core.users.create_credential(&actor, new)).await?;
    let (id, secret) = if is_key {
        (issued.credential.id.clone(), api_key(&issued))
    } else {
        (issued.credential.id.clone(), issued.secret.clone())
    };
    view::render(&CreatedPage {
        nav: Nav {
            section: "credentials",
            csrf: admin.csrf,
        },
        kind: label.to_owned(),
        owner: form.owner.trim().to_owned(),
        id,
        secret,
        api_key: is_key,
    })
}

async fn revoke(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, _): Posted<Only>,
) -> Result<HttpResponse, ConsoleError> {
    let (core, actor, id) = (state.core.clone(), admin.actor, id.into_inner());
    blocking(move || core.users.revoke_credential(&actor, &id)).await?;
    Ok(view::see_other("/console/credentials?done=revoked"))
}
