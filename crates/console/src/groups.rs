//! Groups: the list, create, and a group's page (rename, default and active flags, members,
//! delete).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use usergate_core::group::{Group, GroupChanges, GroupDelete, GroupId, GroupName, NewGroup};
use usergate_core::query::{Cond, Direction, Field, Query};
use usergate_core::{CoreError, Email, Page, UserKey};
use usergate_web::blocking;

use crate::session::{Admin, Posted};
use crate::users::{PAGE, Row};
use crate::view::{self, Nav, when};
use crate::{ConsoleError, State};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/groups", web::get().to(list))
        .route("/groups", web::post().to(create))
        .route("/groups/{id}", web::get().to(show))
        .route("/groups/{id}", web::post().to(edit))
        .route("/groups/{id}/members", web::post().to(add_member))
        .route("/groups/{id}/members/remove", web::post().to(remove_member))
        .route("/groups/{id}/delete", web::post().to(delete));
}

/// A group in the list.
pub struct GroupRow {
    id: i64,
    name: String,
    members: u64,
    active: bool,
    default: bool,
    created: String,
}

impl From<&Group> for GroupRow {
    fn from(g: &Group) -> Self {
        GroupRow {
            id: g.id.get(),
            name: g.name.as_str().to_owned(),
            members: g.member_count,
            active: g.active,
            default: g.default,
            created: when(&g.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "groups.html")]
struct ListPage {
    nav: Nav,
    notice: Option<&'static str>,
    groups: Vec<GroupRow>,
    total: u64,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    nav: Nav,
    notice: Option<&'static str>,
    group: GroupRow,
    external_id: String,
    members: Vec<Row>,
    prev: Option<String>,
    next: Option<String>,
}

/// A page number and a notice.
#[derive(Debug, Deserialize)]
pub struct Params {
    page: Option<u64>,
    done: Option<String>,
}

fn paging(page: Option<u64>) -> (u64, Page) {
    let page = page.unwrap_or(1).max(1);
    (
        page,
        Page {
            limit: PAGE,
            offset: (page - 1).saturating_mul(u64::from(PAGE)),
        },
    )
}

fn links(base: &str, page: u64, more: bool) -> (Option<String>, Option<String>) {
    (
        (page > 1).then(|| format!("{base}?page={}", page - 1)),
        more.then(|| format!("{base}?page={}", page + 1)),
    )
}

async fn list(
    admin: Admin,
    state: web::Data<State>,
    p: web::Query<Params>,
) -> Result<HttpResponse, ConsoleError> {
    let (page, window) = paging(p.page);
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let (groups, total) = blocking(move || core.groups.list(&actor, window)).await?;
    let more = page.saturating_mul(u64::from(PAGE)) < total;
    let (prev, next) = links("/console/groups", page, more);
    view::render(&ListPage {
        nav: Nav {
            section: "groups",
            csrf: admin.csrf,
        },
        notice: view::notice(p.done.as_deref()),
        groups: groups.iter().map(GroupRow::from).collect(),
        total,
        prev,
        next,
    })
}

/// The groups a select offers (the first 500 by id; a larger set is found on the groups page).
pub(crate) fn choices(
    core: &usergate_core::Core,
    actor: &usergate_core::Actor,
) -> Result<Vec<Group>, CoreError> {
    let first = Page {
        limit: 500,
        offset: 0,
    };
    Ok(core.groups.list(actor, first)?.0)
}

fn group_id(raw: &str) -> Result<GroupId, ConsoleError> {
    raw.parse::<i64>()
        .map(GroupId::new)
        .map_err(|_| ConsoleError::Core(CoreError::GroupNotFound))
}

async fn show(
    admin: Admin,
    state: web::Data<State>,
    id: web::Path<String>,
    p: web::Query<Params>,
) -> Result<HttpResponse, ConsoleError> {
    let id = group_id(&id)?;
    let (page, window) = paging(p.page);
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let (group, members) = blocking(move || {
        let group = core.groups.get(&actor, id)?;
        let members = core.users.query(
            &actor,
            &Query {
                cond: Some(Cond::InGroup(id)),
                order: vec![(Field::Id, Direction::Asc)],
                page: window,
                count: false,
            },
        )?;
        Ok((group, members.items))
    })
    .await?;
    let more = page.saturating_mul(u64::from(PAGE)) < group.member_count;
    let (prev, next) = links(&format!("/console/groups/{}", id.get()), page, more);
    view::render(&GroupPage {
        nav: Nav {
            section: "groups",
            csrf: admin.csrf,
        },
        notice: view::notice(p.done.as_deref()),
        external_id: group.external_id.clone().unwrap_or_default(),
        group: GroupRow::from(&group),
        members: members.iter().map(Row::from).collect(),
        prev,
        next,
    })
}

/// A group's name and flags (an unticked box is not sent).
#[derive(Debug, Deserialize)]
pub struct GroupForm {
    name: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    default: Option<String>,
}

/// A member by address, or by id.
#[derive(Debug, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    user: Option<i64>,
}

/// The delete form.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    with_members: Option<String>,
}

async fn create(
    state: web::Data<State>,
    Posted(admin, form): Posted<GroupForm>,
) -> Result<HttpResponse, ConsoleError> {
    let (core, actor) = (state.core.clone(), admin.actor);
    let group = blocking(move || {
        let new = NewGroup {
            active: form.active.is_some(),
            default: form.default.is_some(),
            ..NewGroup::new(GroupName::parse(&form.name)?)
        };
        core.groups.create(&actor, new)
    })
    .await?;
    Ok(view::see_other(&format!(
        "/console/groups/{}?done=created",
        group.id.get()
    )))
}

async fn edit(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<GroupForm>,
) -> Result<HttpResponse, ConsoleError> {
    let id = group_id(&id)?;
    let (core, actor) = (state.core.clone(), admin.actor);
    blocking(move || {
        let current = core.groups.get(&actor, id)?;
        let name = GroupName::parse(&form.name)?;
        let changes = GroupChanges {
            name: (name.as_str() != current.name.as_str()).then_some(name),
            active: Some(form.active.is_some()).filter(|a| *a != current.active),
            default: Some(form.default.is_some()).filter(|d| *d != current.default),
            ..GroupChanges::default()
        };
        core.groups.update(&actor, id, &changes)
    })
    .await?;
    Ok(view::see_other(&format!(
        "/console/groups/{}?done=saved",
        id.get()
    )))
}

async fn add_member(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<MemberForm>,
) -> Result<HttpResponse, ConsoleError> {
    let id = group_id(&id)?;
    let email = form.email.as_deref().unwrap_or("").trim().to_owned();
    let email = Email::parse(&email)
        .map_err(|_| ConsoleError::Input("Give the new member's email address.".into()))?;
    let (core, actor) = (state.core.clone(), admin.actor);
    blocking(move || {
        let user = core.users.get(&actor, &UserKey::Email(email))?;
        core.groups.add_member(&actor, id, user.id)
    })
    .await?;
    Ok(view::see_other(&format!(
        "/console/groups/{}?done=member_added",
        id.get()
    )))
}

async fn remove_member(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<MemberForm>,
) -> Result<HttpResponse, ConsoleError> {
    let id = group_id(&id)?;
    let user = form
        .user
        .map(usergate_core::UserId::new)
        .ok_or(ConsoleError::BadForm)?;
    let (core, actor) = (state.core.clone(), admin.actor);
    blocking(move || core.groups.remove_member(&actor, id, user)).await?;
    Ok(view::see_other(&format!(
        "/console/groups/{}?done=member_removed",
        id.get()
    )))
}

async fn delete(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<DeleteForm>,
) -> Result<HttpResponse, ConsoleError> {
    let id = group_id(&id)?;
    let mode = if form.with_members.is_some() {
        GroupDelete::WithMembers
    } else {
        GroupDelete::OnlyEmpty
    };
    let (core, actor) = (state.core.clone(), admin.actor);
    blocking(move || core.groups.delete(&actor, id, mode)).await?;
    Ok(view::see_other("/console/groups?done=deleted"))
}
