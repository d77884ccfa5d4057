//! Who is asking: the authenticated principal, and the authorization rules that every service
//! call goes through.

use std::sync::Arc;

use crate::domain::{Role, Status, UserId};
use crate::error::{AuthFailure, CoreError, CoreResult, Denied};
use crate::origin::{Channel, Origin};
use crate::ports::PrincipalRecord;

/// An authenticated user, as resolved for the current request from its credential and the
/// user's current row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub id: UserId,
    /// Role now (not when the token was issued).
    pub role: Role,
    /// Always `Active` for a resolved principal.
    pub status: Status,
    /// The credentials version the credential carried, equal to the user's current one.
    pub credentials_version: i64,
}

/// Who performs an operation, and where the request comes from (for the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Who.
    pub kind: ActorKind,
    /// Where from.
    pub origin: Arc<Origin>,
}

/// Who performs an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// A user authenticated through a dialect.
    User(Principal),
    /// The operator, through the command line, an import or the server itself: no user, all
    /// powers.
    System,
    /// Nobody authenticated: a request that carries its own authority (a one-time code) or
    /// none (a login, a reset request). It may manage nothing.
    Anonymous,
}

impl Actor {
    /// An authenticated user.
    pub fn user(principal: Principal, origin: Origin) -> Actor {
        Actor {
            kind: ActorKind::User(principal),
            origin: Arc::new(origin),
        }
    }

    /// The operator or the server, through `channel`.
    pub fn system(channel: Channel) -> Actor {
        Actor {
            kind: ActorKind::System,
            origin: Arc::new(Origin::channel(channel)),
        }
    }

    /// An unauthenticated request.
    pub fn anonymous(origin: Origin) -> Actor {
        Actor {
            kind: ActorKind::Anonymous,
            origin: Arc::new(origin),
        }
    }

    /// The user acting, if one is.
    pub fn principal(&self) -> Option<&Principal> {
        match &self.kind {
            ActorKind::User(p) => Some(p),
            ActorKind::System | ActorKind::Anonymous => None,
        }
    }
}

/// Proof that the actor may manage users (rule 1). Only [`require_admin`] makes one, and every
/// management operation takes one, so no code path can skip the check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdminGrant {
    /// The acting user, if the actor is a user.
    pub(crate) user: Option<UserId>,
}

/// Rule 1: only an active admin manages users.
pub(crate) fn require_admin(actor: &Actor) -> Result<AdminGrant, CoreError> {
    match &actor.kind {
        ActorKind::System => Ok(AdminGrant { user: None }),
        ActorKind::User(p) if p.role == Role::Admin && p.status == Status::Active => {
            Ok(AdminGrant { user: Some(p.id) })
        }
        ActorKind::User(_) | ActorKind::Anonymous => Err(CoreError::Forbidden(Denied::NotAdmin)),
    }
}

/// Rule 2 for a credential already issued: the caller it names may still act when its user
/// exists, is not deleted, is active, and has the credentials version the credential carries.
/// `Revoked` otherwise.
pub(crate) fn current(
    record: Option<PrincipalRecord>,
    credentials_version: i64,
) -> CoreResult<Principal> {
    match record {
        Some(r)
            if !r.deleted
                && r.status == Status::Active
                && r.credentials_version == credentials_version =>
        {
            Ok(Principal {
                id: r.id,
                role: r.role,
                status: r.status,
                credentials_version: r.credentials_version,
            })
        }
        _ => Err(CoreError::Unauthenticated(AuthFailure::Revoked)),
    }
}
