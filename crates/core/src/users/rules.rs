//! The rules of one update or delete inside its transaction: coarse values, the last-admin
//! guard (rule 4), one's own account (rule 9), soft delete (rule 3).

use chrono::NaiveDateTime;

use crate::access::{Actor, AdminGrant};
use crate::audit::{self, Action, Event, Target};
use crate::domain::Status;
use crate::error::{Conflict, CoreError, CoreResult, Denied, Problem};
use crate::ports::{NewUserRecord, Repos, UserRepo, UserUpdate};
use crate::user::{User, UserChanges, UserKey};

use super::Guard;

/// Changes with the password already hashed.
pub(crate) struct Prepared {
    pub(crate) changes: UserChanges,
    pub(crate) hash: Option<String>,
}

/// One update inside a transaction: rules, coarse values, the last-admin guard, and its audit
/// event (none for a change that changes nothing). `action` names the event when the caller
/// knows better than the diff (a re-sent invitation).
#[allow(clippy::too_many_arguments)]
pub(crate) fn update_in(
    repo: &mut dyn Repos,
    _admin: AdminGrant,
    actor: &Actor,
    action: Option<Action>,
    key: &UserKey,
    p: &Prepared,
    guard: &Guard<'_>,
    now: NaiveDateTime,
) -> CoreResult<User> {
    let changes = &p.changes;
    if changes.role.is_some() || changes.status.is_some() {
        repo.lock_admin_set()?;
    }
    let user = found(repo.find(key)?)?;
    guard(&user)?;
    let role = changes
        .role
        .map(|c| c.resolve(user.role))
        .filter(|r| *r != user.role);
    let status = changes
        .status
        .map(|c| c.resolve(user.status))
        .filter(|s| *s != user.status);
    let email = changes
        .email
        .as_ref()
        .filter(|e| e.as_str() != user.email.as_str())
        .map(|e| (e.as_str().to_owned(), e.normalized().to_owned()));
    let name = changes
        .name
        .as_ref()
        .map(|n| n.trim().to_owned())
        .filter(|n| *n != user.name);
    let profile = changes.profile.against(&user.profile);
    let attributes = (!changes.attributes.is_empty()).then(|| {
        let mut merged = user.attributes.clone();
        for (k, v) in &changes.attributes {
            if v.is_null() {
                merged.remove(k);
            } else {
                merged.insert(k.clone(), v.clone());
            }
        }
        merged
    });
    let attributes = attributes.filter(|a| *a != user.attributes);
    let employee_number = changes
        .employee_number
        .against(user.employee_number.as_ref());
    let external_id = changes
        .external_id
        .clone()
        .against(user.external_id.as_ref());
    let login_name = changes.login_name.clone().against(user.login_name.as_ref());
    let after = User {
        role: role.unwrap_or(user.role),
        status: status.unwrap_or(user.status),
        ..user.clone()
    };
    if user.is_login_capable_admin() && !after.is_login_capable_admin() {
        guard_last_admin(repo)?;
    }
    let update = UserUpdate {
        bump_credentials: role.is_some() || status.is_some() || p.hash.is_some(),
        email,
        name,
        role,
        status,
        password_hash: p.hash.clone(),
        profile,
        attributes,
        employee_number,
        external_id,
        login_name,
        updated_at: Some(now),
        ..UserUpdate::default()
    };
    if is_noop(&update) {
        if let Some(action) = action {
            audit::record(repo, actor, Event::new(action, Target::user(&user)), now)?;
        }
        return Ok(user);
    }
    let after = repo.update(user.id, &update)?;
    let changes = audit::user_changes(&user, &after, p.hash.is_some());
    let action = action.unwrap_or_else(|| update_action(&user, &after, p.hash.is_some()));
    let event = Event::new(action, Target::user(&after))
        .changes(changes)
        .resource(audit::user_resource(&after));
    audit::record(repo, actor, event, now)?;
    Ok(after)
}

/// The most telling action of an update: a role change, then a status change, then a
/// password change, else a plain update. The event's diff holds every change either way.
fn update_action(before: &User, after: &User, password: bool) -> Action {
    if before.role != after.role {
        Action::UserRoleChange
    } else if before.status != after.status {
        match after.status {
            Status::Active => Action::UserActivate,
            Status::Inactive => Action::UserDeactivate,
            Status::Suspended => Action::UserSuspend,
        }
    } else if password {
        Action::UserPasswordChange
    } else {
        Action::UserUpdate
    }
}

/// One soft delete inside a transaction; returns the user as it was.
pub(crate) fn delete_in(
    repo: &mut dyn Repos,
    grant: AdminGrant,
    actor: &Actor,
    key: &UserKey,
    guard: &Guard<'_>,
    now: NaiveDateTime,
) -> CoreResult<User> {
    repo.lock_admin_set()?;
    let user = found(repo.find(key)?)?;
    guard(&user)?;
    if grant.user == Some(user.id) {
        return Err(CoreError::Forbidden(Denied::OwnAccount));
    }
    if user.is_login_capable_admin() {
        guard_last_admin(repo)?;
    }
    let update = UserUpdate {
        deleted_at: Some(now),
        bump_credentials: true,
        updated_at: Some(now),
        ..UserUpdate::default()
    };
    repo.update(user.id, &update)?;
    repo.leave_groups(user.id)?;
    let event =
        Event::new(Action::UserDelete, Target::user(&user)).resource(audit::user_resource(&user));
    audit::record(repo, actor, event, now)?;
    Ok(user)
}

/// Rule 4, asked while the target is still an active admin who can log in: refuses when it is
/// the only one.
fn guard_last_admin(repo: &mut dyn UserRepo) -> CoreResult<()> {
    if repo.count_login_capable_admins()? <= 1 {
        return Err(CoreError::Conflict(Conflict::LastAdmin));
    }
    Ok(())
}

/// Text with a NUL character is refused: PostgreSQL cannot store one, and no client means one.
pub(crate) fn no_nul(field: &'static str, value: Option<&str>) -> CoreResult<()> {
    if value.is_some_and(|v| v.contains('\0')) {
        return Err(CoreError::invalid(field, Problem::Malformed));
    }
    Ok(())
}

pub(crate) fn found(user: Option<User>) -> CoreResult<User> {
    user.ok_or(CoreError::NotFound)
}

fn is_noop(u: &UserUpdate) -> bool {
    u.email.is_none()
        && u.name.is_none()
        && u.role.is_none()
        && u.status.is_none()
        && u.password_hash.is_none()
        && u.profile.is_empty()
        && u.attributes.is_none()
        && u.employee_number.is_absent()
        && u.external_id.is_absent()
        && u.login_name.is_absent()
}

/// Inserts a user, who joins every active default group in the same transaction, with its
/// `user.create` event.
pub(crate) fn insert_in(
    repo: &mut dyn Repos,
    actor: &Actor,
    record: &NewUserRecord,
) -> CoreResult<User> {
    let user = repo.insert(record)?;
    repo.join_default_groups(&[user.id])?;
    audit::record(repo, actor, created_event(&user), record.now)?;
    Ok(user)
}

/// The `user.create` event of a new user.
pub(crate) fn created_event(user: &User) -> Event {
    Event::new(Action::UserCreate, Target::user(user))
        .changes(audit::created(user))
        .resource(audit::user_resource(user))
}
