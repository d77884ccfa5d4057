//! The users page (search, filters, paging) and the page that creates a user.

use std::str::FromStr;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use usergate_core::group::GroupId;
use usergate_core::query::{Cond, Direction, Field, Query};
use usergate_core::{BatchMode, CoreError, Email, NewUser, Page, Profile, Role, Status, User};
use usergate_web::blocking;

use crate::session::{Admin, Posted};
use crate::view::{self, Nav, Opt, when, when_opt};
use crate::{ConsoleError, State};

/// Users a page.
pub const PAGE: u32 = 50;

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .route("/users/new", web::get().to(new_page))
        .route("/users/new", web::post().to(create))
        .configure(crate::user::routes);
}

/// The users page's query.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    q: Option<String>,
    role: Option<String>,
    status: Option<String>,
    group: Option<String>,
    page: Option<u64>,
    done: Option<String>,
}

/// A user in the list.
pub struct Row {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) role: &'static str,
    pub(crate) status: &'static str,
    pub(crate) last_login: String,
    pub(crate) created: String,
}

impl From<&User> for Row {
    fn from(u: &User) -> Self {
        Row {
            id: u.id.get(),
            name: u.name.clone(),
            email: u.email.as_str().to_owned(),
            role: u.role.as_str(),
            status: u.status.as_str(),
            last_login: when_opt(u.last_login_at.as_ref()),
            created: when(&u.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Nav,
    notice: Option<&'static str>,
    q: String,
    roles: Vec<Opt>,
    statuses: Vec<Opt>,
    groups: Vec<Opt>,
    rows: Vec<Row>,
    total: u64,
    total_text: String,
    page: u64,
    pages: u64,
    pages_text: String,
    prev: Option<String>,
    next: Option<String>,
}

/// The role options of a select, with "any" first when `any` is given.
pub(crate) fn role_opts(any: Option<&str>, chosen: &str) -> Vec<Opt> {
    let roles = Role::ALL.map(|r| (r.as_str(), r.as_str()));
    Opt::list(any.map(|a| ("", a)).into_iter().chain(roles), chosen)
}

/// A role chosen in a select.
pub(crate) fn parse_role(raw: &str) -> Result<Role, CoreError> {
    Role::from_str(raw).map_err(|_| {
        CoreError::invalid(
            "role",
            usergate_core::Problem::NotAllowed {
                allowed: Role::ALL.iter().map(|r| r.as_str().to_owned()).collect(),
            },
        )
    })
}

fn status_opts(chosen: &str) -> Vec<Opt> {
    let statuses = Status::ALL.map(|s| (s.as_str(), s.as_str()));
    Opt::list(std::iter::once(("", "any status")).chain(statuses), chosen)
}

fn filter(p: &ListParams) -> Result<Option<Cond>, ConsoleError> {
    let bad = |what: &str| ConsoleError::Input(format!("Unknown {what}."));
    let mut all = Vec::new();
    if let Some(role) = p.role.as_deref().filter(|r| !r.is_empty()) {
        all.push(Cond::RoleIn(vec![
            Role::from_str(role).map_err(|_| bad("role"))?,
        ]));
    }
    if let Some(status) = p.status.as_deref().filter(|s| !s.is_empty()) {
        all.push(Cond::StatusIn(vec![
            Status::from_str(status).map_err(|_| bad("status"))?,
        ]));
    }
    if let Some(group) = p.group.as_deref().filter(|g| !g.is_empty()) {
        let id = group.parse::<i64>().map_err(|_| bad("group"))?;
        all.push(Cond::InGroup(GroupId::new(id)));
    }
    if let Some(term) = p.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if term.contains('\0') {
            return Err(ConsoleError::Input("The search may not hold NUL.".into()));
        }
        all.push(Cond::Search(term.to_owned()));
    }
    Ok((!all.is_empty()).then_some(Cond::All(all)))
}

/// The link to page `page` of the same search.
fn page_link(p: &ListParams, page: u64) -> String {
    let page = page.to_string();
    view::link(
        "/console/users",
        &[
            ("q", p.q.as_deref()),
            ("role", p.role.as_deref()),
            ("status", p.status.as_deref()),
            ("group", p.group.as_deref()),
            ("page", Some(page.as_str())),
        ],
    )
}

async fn list(
    admin: Admin,
    state: web::Data<State>,
    p: web::Query<ListParams>,
) -> Result<HttpResponse, ConsoleError> {
    let p = p.into_inner();
    let page = p.page.unwrap_or(1).max(1);
    let query = Query {
        cond: filter(&p)?,
        // Newest first: the id is the primary key, so no sort is needed at any size.
        order: vec![(Field::Id, Direction::Desc)],
        page: Page {
            limit: PAGE,
            offset: (page - 1).saturating_mul(u64::from(PAGE)),
        },
        count: true,
    };
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let (found, groups) = blocking(move || {
        let found = core.users.query(&actor, &query)?;
        let groups = crate::groups::choices(&core, &actor)?;
        Ok((found, groups))
    })
    .await?;
    let total = found.total.unwrap_or(0);
    let pages = total.div_ceil(u64::from(PAGE)).max(1);
    let group_ids: Vec<(String, String)> = groups
        .iter()
        .map(|g| (g.id.get().to_string(), g.name.as_str().to_owned()))
        .collect();
    let groups = Opt::list(
        std::iter::once(("", "any group"))
            .chain(group_ids.iter().map(|(v, l)| (v.as_str(), l.as_str()))),
        p.group.as_deref().unwrap_or(""),
    );
    view::render(&UsersPage {
        nav: Nav {
            section: "users",
            csrf: admin.csrf,
        },
        notice: view::notice(p.done.as_deref()),
        q: p.q.clone().unwrap_or_default(),
        roles: role_opts(Some("any role"), p.role.as_deref().unwrap_or("")),
        statuses: status_opts(p.status.as_deref().unwrap_or("")),
        groups,
        rows: found.items.iter().map(Row::from).collect(),
        total,
        total_text: view::thousands(total),
        page,
        pages,
        pages_text: view::thousands(pages),
        prev: (page > 1).then(|| page_link(&p, page - 1)),
        next: (page < pages).then(|| page_link(&p, page + 1)),
    })
}

#[derive(Template)]
#[template(path = "user_new.html")]
struct NewPage {
    nav: Nav,
    error: Option<String>,
    mail: bool,
    min_chars: usize,
    email: String,
    name: String,
    first_name: String,
    last_name: String,
    roles: Vec<Opt>,
    invite: bool,
}

/// The create form.
#[derive(Debug, Deserialize)]
pub struct NewForm {
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    role: String,
    /// `password` or `invite`.
    method: String,
    #[serde(default)]
    password: String,
}

async fn new_page(admin: Admin, state: web::Data<State>) -> Result<HttpResponse, ConsoleError> {
    let mail = state.core.users.invitations_enabled().is_ok();
    view::render(&NewPage {
        nav: Nav {
            section: "users",
            csrf: admin.csrf,
        },
        error: None,
        mail,
        min_chars: state.core.policy.min_chars(),
        email: String::new(),
        name: String::new(),
        first_name: String::new(),
        last_name: String::new(),
        roles: role_opts(None, Role::User.as_str()),
        invite: mail,
    })
}

fn optional(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

async fn create(
    state: web::Data<State>,
    Posted(admin, form): Posted<NewForm>,
) -> Result<HttpResponse, ConsoleError> {
    let invite = form.method == "invite";
    let built = (|| -> Result<NewUser, CoreError> {
        let email = Email::parse(form.email.trim()).map_err(|e| CoreError::Validation(vec![e]))?;
        let role = parse_role(&form.role)?;
        let password = if invite {
            None
        } else {
            Some(
                state
                    .core
                    .policy
                    .check("password", &form.password)
                    .map_err(|e| CoreError::Validation(vec![e]))?,
            )
        };
        Ok(NewUser {
            name: optional(&form.name),
            profile: Profile {
                first_name: optional(&form.first_name),
                last_name: optional(&form.last_name),
                ..Profile::default()
            },
            role,
            password,
            ..NewUser::new(email)
        })
    })();
    let created = match built {
        Ok(new) => {
            let (core, actor) = (state.core.clone(), admin.actor.clone());
            blocking(move || {
                if invite {
                    let mut batch =
                        core.users
                            .invite_batch(&actor, vec![Ok(new)], BatchMode::Stop)?;
                    batch.results.pop().unwrap_or(Err(CoreError::NotFound))
                } else {
                    core.users.create(&actor, new)
                }
            })
            .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(user) => Ok(view::see_other(&format!(
            "/console/users/{}?done=created",
            user.id.get()
        ))),
        Err(e @ (CoreError::Validation(_) | CoreError::Conflict(_) | CoreError::MailFailed(_))) => {
            let (status, _, message) = ConsoleError::Core(e).page();
            let mail = state.core.users.invitations_enabled().is_ok();
            view::render_status(
                status,
                &NewPage {
                    nav: Nav {
                        section: "users",
                        csrf: admin.csrf,
                    },
                    error: Some(message),
                    mail,
                    min_chars: state.core.policy.min_chars(),
                    email: form.email,
                    name: form.name,
                    first_name: form.first_name,
                    last_name: form.last_name,
                    roles: role_opts(None, &form.role),
                    invite,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}
