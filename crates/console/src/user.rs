//! One user's page: every field, role and status, password, reset and invitation, groups,
//! machine credentials, the audit trail, and delete.

use std::str::FromStr;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use usergate_core::audit::AuditQuery;
use usergate_core::group::{GroupId, GroupRef};
use usergate_core::machine::CredentialKind;
use usergate_core::ports::{AuditFilter, Cursor};
use usergate_core::{
    Actor, BatchMode, Coarse, CoreError, Email, LoginName, Patch, Role, Status, User, UserChanges,
    UserId, UserKey,
};
use usergate_web::blocking;

use crate::audit::EventRow;
use crate::credentials::CredentialRow;
use crate::session::{Admin, Only, Posted};
use crate::users::{parse_role, role_opts};
use crate::view::{self, Nav, Opt, when, when_opt};
use crate::{ConsoleError, State};

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}", web::get().to(show))
        .route("/users/{id}", web::post().to(edit))
        .route("/users/{id}/status", web::post().to(status))
        .route("/users/{id}/password", web::post().to(password))
        .route("/users/{id}/reset", web::post().to(reset))
        .route("/users/{id}/invite", web::post().to(invite))
        .route("/users/{id}/groups", web::post().to(join))
        .route("/users/{id}/groups/remove", web::post().to(leave))
        .route("/users/{id}/delete", web::post().to(delete));
}

/// An editable field of the form: its name, label and current value.
pub struct FieldRow {
    name: &'static str,
    label: &'static str,
    value: String,
    kind: &'static str,
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    nav: Nav,
    notice: Option<&'static str>,
    id: i64,
    email: String,
    name: String,
    status: &'static str,
    role: &'static str,
    has_password: bool,
    created: String,
    updated: String,
    last_login: String,
    fields: Vec<FieldRow>,
    owner_link: String,
    roles: Vec<Opt>,
    statuses: Vec<&'static str>,
    mail: bool,
    min_chars: usize,
    groups: Vec<GroupRef>,
    other_groups: Vec<Opt>,
    credentials: Vec<CredentialRow>,
    events: Vec<EventRow>,
}

fn fields(u: &User) -> Vec<FieldRow> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let p = &u.profile;
    let row = |name, label, value, kind| FieldRow {
        name,
        label,
        value,
        kind,
    };
    vec![
        row("email", "Email", u.email.as_str().to_owned(), "email"),
        row("name", "Display name", u.name.clone(), "text"),
        row("first_name", "First name", text(&p.first_name), "text"),
        row("last_name", "Last name", text(&p.last_name), "text"),
        row("title", "Title", text(&p.title), "text"),
        row("phone", "Phone", text(&p.phone), "tel"),
        row(
            "alternate_email",
            "Alternate email",
            text(&p.alternate_email),
            "email",
        ),
        row("location", "Location", text(&p.location), "text"),
        row("timezone", "Time zone", text(&p.timezone), "text"),
        row("locale", "Locale", text(&p.locale), "text"),
        row("avatar_url", "Avatar URL", text(&p.avatar_url), "url"),
        row(
            "employee_number",
            "Employee number",
            u.employee_number.map(|n| n.to_string()).unwrap_or_default(),
            "number",
        ),
        row(
            "login_name",
            "Login name",
            u.login_name
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            "text",
        ),
        row("external_id", "External id", text(&u.external_id), "text"),
    ]
}

fn user_id(raw: &str) -> Result<UserId, ConsoleError> {
    raw.parse::<i64>()
        .map(UserId::new)
        .map_err(|_| ConsoleError::Core(CoreError::NotFound))
}

async fn show(
    admin: Admin,
    state: web::Data<State>,
    id: web::Path<String>,
    done: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let id = user_id(&id)?;
    let (core, actor) = (state.core.clone(), admin.actor.clone());
    let (user, groups, all_groups, credentials, events) = blocking(move || {
        let user = core.users.get(&actor, &UserKey::Id(id))?;
        let groups = core
            .groups
            .groups_of(&actor, &[id])?
            .remove(&id)
            .unwrap_or_default();
        let all_groups = crate::groups::choices(&core, &actor)?;
        let mut credentials = Vec::new();
        for kind in [CredentialKind::ApiKey, CredentialKind::OAuthClient] {
            credentials.extend(
                core.users
                    .list_credentials(&actor, kind)?
                    .into_iter()
                    .filter(|c| c.owner == id),
            );
        }
        let events = core.audit.list(
            &actor,
            &AuditQuery {
                filter: AuditFilter {
                    target_type: Some("user".into()),
                    target_id: Some(id.to_string()),
                    ..AuditFilter::default()
                },
                cursor: Cursor::Before(None),
                limit: 50,
            },
        )?;
        Ok((user, groups, all_groups, credentials, events))
    })
    .await?;
    let now = chrono::Utc::now().naive_utc();
    let other_groups = all_groups
        .iter()
        .filter(|g| g.active && !groups.iter().any(|m| m.id == g.id))
        .map(|g| Opt {
            value: g.id.get().to_string(),
            label: g.name.as_str().to_owned(),
            on: false,
        })
        .collect();
    view::render(&UserPage {
        nav: Nav {
            section: "users",
            csrf: admin.csrf,
        },
        notice: view::notice(done.done.as_deref()),
        id: user.id.get(),
        email: user.email.as_str().to_owned(),
        name: user.name.clone(),
        status: user.status.as_str(),
        role: user.role.as_str(),
        has_password: user.has_password,
        created: when(&user.created_at),
        updated: when(&user.updated_at),
        last_login: when_opt(user.last_login_at.as_ref()),
        fields: fields(&user),
        owner_link: view::link(
            "/console/credentials",
            &[("owner", Some(user.email.as_str()))],
        ),
        roles: role_opts(None, user.role.as_str()),
        statuses: Status::ALL
            .into_iter()
            .filter(|s| *s != user.status)
            .map(Status::as_str)
            .collect(),
        mail: state.core.users.invitations_enabled().is_ok(),
        min_chars: state.core.policy.min_chars(),
        groups,
        other_groups,
        credentials: credentials
            .iter()
            .map(|c| CredentialRow::new(c, user.email.as_str(), now))
            .collect(),
        events: events.iter().map(EventRow::from).collect(),
    })
}

/// A `done=` notice after a change.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The edit form: every field, sent whole (an empty field clears it).
#[derive(Debug, Deserialize)]
pub struct EditForm {
    email: String,
    name: String,
    role: String,
    first_name: String,
    last_name: String,
    title: String,
    phone: String,
    alternate_email: String,
    location: String,
    timezone: String,
    locale: String,
    avatar_url: String,
    employee_number: String,
    login_name: String,
    external_id: String,
}

fn text(raw: &str) -> Patch<String> {
    let t = raw.trim();
    if t.is_empty() {
        Patch::Null
    } else {
        Patch::Value(t.to_owned())
    }
}

/// The exact role (a class of one, so the change is exactly what was chosen).
pub(crate) fn exact_role(role: Role) -> Coarse<Role> {
    match role {
        Role::Admin => Coarse::exact(role, &[Role::Admin]),
        Role::Privileged => Coarse::exact(role, &[Role::Privileged]),
        Role::Editor => Coarse::exact(role, &[Role::Editor]),
        Role::User => Coarse::exact(role, &[Role::User]),
        Role::Viewer => Coarse::exact(role, &[Role::Viewer]),
    }
}

fn exact_status(status: Status) -> Coarse<Status> {
    match status {
        Status::Active => Coarse::exact(status, &[Status::Active]),
        Status::Inactive => Coarse::exact(status, &[Status::Inactive]),
        Status::Suspended => Coarse::exact(status, &[Status::Suspended]),
    }
}

fn changes(f: &EditForm, current: &User) -> Result<UserChanges, CoreError> {
    let invalid = |e| CoreError::Validation(vec![e]);
    let role = parse_role(&f.role)?;
    let employee_number = match text(&f.employee_number) {
        Patch::Value(n) => Patch::Value(n.parse::<i64>().map_err(|_| {
            CoreError::invalid("employee_number", usergate_core::Problem::Malformed)
        })?),
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    };
    let login_name = match text(&f.login_name) {
        Patch::Value(n) => Patch::Value(LoginName::parse(&n).map_err(invalid)?),
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    };
    let p = &current.profile;
    let profile = usergate_core::ProfileChanges {
        first_name: text(&f.first_name).against(p.first_name.as_ref()),
        last_name: text(&f.last_name).against(p.last_name.as_ref()),
        title: text(&f.title).against(p.title.as_ref()),
        phone: text(&f.phone).against(p.phone.as_ref()),
        alternate_email: text(&f.alternate_email).against(p.alternate_email.as_ref()),
        location: text(&f.location).against(p.location.as_ref()),
        timezone: text(&f.timezone).against(p.timezone.as_ref()),
        locale: text(&f.locale).against(p.locale.as_ref()),
        avatar_url: text(&f.avatar_url).against(p.avatar_url.as_ref()),
    };
    let email = Email::parse(f.email.trim()).map_err(invalid)?;
    Ok(UserChanges {
        email: (email != current.email).then_some(email),
        name: (f.name.trim() != current.name).then(|| f.name.trim().to_owned()),
        role: (role != current.role).then(|| exact_role(role)),
        profile,
        employee_number: employee_number.against(current.employee_number.as_ref()),
        external_id: text(&f.external_id).against(current.external_id.as_ref()),
        login_name: login_name.against(current.login_name.as_ref()),
        ..UserChanges::default()
    })
}

async fn change(
    state: &State,
    actor: Actor,
    id: UserId,
    f: impl FnOnce(&User) -> Result<UserChanges, CoreError> + Send + 'static,
) -> Result<User, ConsoleError> {
    let core = state.core.clone();
    Ok(blocking(move || {
        let key = UserKey::Id(id);
        let current = core.users.get(&actor, &key)?;
        let changes = f(&current)?;
        core.users.update(&actor, &key, &changes)
    })
    .await?)
}

fn back(id: UserId, done: &str) -> HttpResponse {
    view::see_other(&format!("/console/users/{}?done={done}", id.get()))
}

async fn edit(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<EditForm>,
) -> Result<HttpResponse, ConsoleError> {
    let id = user_id(&id)?;
    change(&state, admin.actor, id, move |u| changes(&form, u)).await?;
    Ok(back(id, "saved"))
}

/// A new status.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    status: String,
}

async fn status(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<StatusForm>,
) -> Result<HttpResponse, ConsoleError> {
    let id = user_id(&id)?;
    let status = Status::from_str(&form.status)
        .map_err(|_| ConsoleError::Input("Unknown status.".into()))?;
    change(&state, admin.actor, id, move |_| {
        Ok(UserChanges {
            status: Some(exact_status(status)),
            ..UserChanges::default()
        })
    })
    .await?;
    Ok(back(id, "status"))
}

/// A new password, twice.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    password: String,
    password_confirm: String,
}

async fn password(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<PasswordForm>,
) -> Result<HttpResponse, ConsoleError> {
    let id = user_id(&id)?;
    if form.password != form.password_confirm {
        return Err(ConsoleError::Input(
            "The two passwords are not the same.".into(),
        ));
    }
    let password = state
        .core
        .policy
        .check("password", &form.password)
        .map_err(|e| CoreError::Validation(vec![e]))?;
    let (core, actor) = (state.core.clone(), admin.actor);
    blocking(move || core.users.set_password(&actor, &UserKey::Id(id), &password)).await?;
    Ok(back(id, "password"))
}

async fn reset(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, _): Posted<Only>,
) -> Result<HttpResponse, ConsoleError> {
    let id = user_id(&id)?;
    let (core, actor) = (state.core.clone(), admin.actor);
    blocking(move || {
        let user = core.users.get(&actor, &UserKey::Id(id))?;
        if user.status != Status::Active {
            return Err(CoreError::Forbidden(usergate_core::Denied::WrongKind));
        }
        core.users
            .request_password_reset(&actor, user.email.as_str())
    })
    .await?;
    Ok(back(id, "reset"))
}

async fn invite(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, _): Posted<Only>,
) -> Result<HttpResponse, ConsoleError> {
    let id = user_id(&id)?;
    let (core, actor) = (state.core.clone(), admin.actor);
    blocking(move || {
        let item = Ok((UserKey::Id(id), UserChanges::default()));
        let mut batch =
            core.users
                .update_batch_reinviting(&actor, vec![item], &|_| Ok(()), BatchMode::Stop)?;
        batch.results.pop().unwrap_or(Err(CoreError::NotFound))
    })
    .await?;
    Ok(back(id, "invited"))
}

/// A group to join or leave.
#[derive(Debug, Deserialize)]
pub struct GroupForm {
    group: i64,
}

async fn join(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<GroupForm>,
) -> Result<HttpResponse, ConsoleError> {
    membership(&state, &id, admin.actor, form, true).await
}

async fn leave(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<GroupForm>,
) -> Result<HttpResponse, ConsoleError> {
    membership(&state, &id, admin.actor, form, false).await
}

/// Adds the user to a group (`join`), or removes them from it.
async fn membership(
    state: &State,
    id: &str,
    actor: Actor,
    form: GroupForm,
    join: bool,
) -> Result<HttpResponse, ConsoleError> {
    let id = user_id(id)?;
    let (core, group) = (state.core.clone(), GroupId::new(form.group));
    blocking(move || {
        if join {
            core.groups.add_member(&actor, group, id)
        } else {
            core.groups.remove_member(&actor, group, id)
        }
    })
    .await?;
    Ok(back(id, if join { "group_added" } else { "group_removed" }))
}

/// The delete form: the address typed again.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    confirm: String,
}

async fn delete(
    state: web::Data<State>,
    id: web::Path<String>,
    Posted(admin, form): Posted<DeleteForm>,
) -> Result<HttpResponse, ConsoleError> {
    let id = user_id(&id)?;
    let (core, actor) = (state.core.clone(), admin.actor);
    let deleted = blocking(move || {
        let key = UserKey::Id(id);
        let user = core.users.get(&actor, &key)?;
        // The address typed again, as the page asks: a slip of the mouse deletes no one.
        let typed = Email::parse(form.confirm.trim()).ok();
        if typed.as_ref().map(Email::normalized) != Some(user.email.normalized()) {
            return Ok(false);
        }
        core.users.delete(&actor, &key).map(|()| true)
    })
    .await?;
    if !deleted {
        return Err(ConsoleError::Input(
            "Type the user's email address exactly to confirm the delete.".into(),
        ));
    }
    Ok(view::see_other("/console/users?done=deleted"))
}
