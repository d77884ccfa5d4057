//! An in-memory [`UserStore`] for core's unit tests: transactions work on a copy that is kept
//! only when the work succeeds, like a real database.

mod audit;
mod groups;
mod webhooks;

use std::sync::Mutex;

use chrono::NaiveDateTime;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::domain::{Email, LoginName, Role, Status, UserId};
use crate::error::CoreError;
use crate::ports::{
    Checkpoint, CodeRecord, CodeRepo, CredentialKind, CredentialRecord, CredentialRepo,
    Credentials, Exported, ImportRepo, Inserted, MachineCredential, NewUserRecord, PrincipalRecord,
    RepoError, TokenRepo, UserRepo, UserStore, UserUpdate, Work,
};
use crate::query::{Found, Query, reference};
use crate::user::{User, UserKey};

#[derive(Clone)]
struct Row {
    user: User,
    hash: Option<String>,
    deleted: bool,
}

#[derive(Clone, Default)]
struct State {
    rows: Vec<Row>,
    revoked: Vec<(String, NaiveDateTime)>,
    codes: Vec<CodeRecord>,
    credentials: Vec<CredentialRecord>,
    imports: Vec<Checkpoint>,
    groups: Vec<groups::GroupRow>,
    events: Vec<crate::ports::AuditEvent>,
    hooks: webhooks::Hooks,
}

#[derive(Default)]
pub(crate) struct MemoryStore {
    state: Mutex<State>,
    pub(crate) writes: AtomicUsize,
}

struct Tx<'a> {
    rows: &'a mut Vec<Row>,
    revoked: &'a mut Vec<(String, NaiveDateTime)>,
    codes: &'a mut Vec<CodeRecord>,
    credentials: &'a mut Vec<CredentialRecord>,
    imports: &'a mut Vec<Checkpoint>,
    groups: &'a mut Vec<groups::GroupRow>,
    events: &'a mut Vec<crate::ports::AuditEvent>,
    hooks: &'a mut webhooks::Hooks,
}

impl UserStore for MemoryStore {
    fn write(&self, work: Work<'_>) -> Result<(), CoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        let mut state = self.state.lock().expect("lock");
        let mut copy = state.clone();
        work(&mut Tx {
            rows: &mut copy.rows,
            revoked: &mut copy.revoked,
            codes: &mut copy.codes,
            credentials: &mut copy.credentials,
            imports: &mut copy.imports,
            groups: &mut copy.groups,
            events: &mut copy.events,
            hooks: &mut copy.hooks,
        })?;
        *state = copy;
        Ok(())
    }

    fn read(&self, work: Work<'_>) -> Result<(), CoreError> {
        let mut copy = self.state.lock().expect("lock").clone();
        work(&mut Tx {
            rows: &mut copy.rows,
            revoked: &mut copy.revoked,
            codes: &mut copy.codes,
            credentials: &mut copy.credentials,
            imports: &mut copy.imports,
            groups: &mut copy.groups,
            events: &mut copy.events,
            hooks: &mut copy.hooks,
        })
    }
}

impl MemoryStore {
    pub(crate) fn hash_of(&self, id: UserId) -> Option<String> {
        let state = self.state.lock().expect("lock");
        state.rows.iter().find(|r| r.user.id == id)?.hash.clone()
    }

    /// Every audit event, oldest first.
    pub(crate) fn events(&self) -> Vec<crate::ports::AuditEvent> {
        self.state.lock().expect("lock").events.clone()
    }

    pub(crate) fn row_count(&self) -> usize {
        self.state.lock().expect("lock").rows.len()
    }
}

impl Tx<'_> {
    fn live(&mut self) -> impl Iterator<Item = &mut Row> {
        self.rows.iter_mut().filter(|r| !r.deleted)
    }

    /// The unique indexes among live users (other than `except`).
    fn unique(
        &mut self,
        except: Option<UserId>,
        email: Option<&str>,
        login_name: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<(), RepoError> {
        for r in self.live().filter(|r| Some(r.user.id) != except) {
            let u = &r.user;
            if email.is_some_and(|e| u.email.normalized() == e) {
                return Err(RepoError::DuplicateEmail);
            }
            if login_name.is_some()
                && u.login_name.as_ref().map(LoginName::normalized) == login_name
            {
                return Err(RepoError::DuplicateLoginName);
            }
            if external_id.is_some() && u.external_id.as_deref() == external_id {
                return Err(RepoError::DuplicateExternalId);
            }
        }
        Ok(())
    }
}

impl UserRepo for Tx<'_> {
    fn insert(&mut self, new: &NewUserRecord) -> Result<User, RepoError> {
        if new.deleted_at.is_none() {
            self.unique(
                None,
                Some(&new.email_normalized),
                new.login_name.as_ref().map(LoginName::normalized),
                new.external_id.as_deref(),
            )?;
        }
        let id = UserId::new(self.rows.len() as i64 + 1);
        let user = User {
            id,
            email: Email::from_trusted(new.email.clone(), new.email_normalized.clone()),
            name: new.name.clone(),
            profile: new.profile.clone(),
            role: new.role,
            status: new.status,
            has_password: new.password_hash.is_some(),
            employee_number: new.employee_number,
            external_id: new.external_id.clone(),
            login_name: new.login_name.clone(),
            attributes: new.attributes.clone(),
            credentials_version: 1,
            created_at: new.now,
            updated_at: new.now,
            last_login_at: None,
        };
        self.rows.push(Row {
            user: user.clone(),
            hash: new.password_hash.clone(),
            deleted: new.deleted_at.is_some(),
        });
        Ok(user)
    }

    fn insert_many(&mut self, users: &[&NewUserRecord]) -> Result<Vec<Inserted>, RepoError> {
        users
            .iter()
            .map(|u| match self.insert(u) {
                Ok(_) if u.deleted_at.is_some() => Ok(Inserted::Deleted),
                Ok(user) => Ok(Inserted::Live(user.id)),
                Err(
                    RepoError::DuplicateEmail
                    | RepoError::DuplicateLoginName
                    | RepoError::DuplicateExternalId,
                ) => Ok(Inserted::Skipped),
                Err(e) => Err(e),
            })
            .collect()
    }

    fn find(&mut self, key: &UserKey) -> Result<Option<User>, RepoError> {
        Ok(self
            .live()
            .find(|r| match key {
                UserKey::Id(id) => r.user.id == *id,
                UserKey::Email(e) => r.user.email.normalized() == e.normalized(),
                UserKey::LoginName(n) => r
                    .user
                    .login_name
                    .as_ref()
                    .is_some_and(|l| l.normalized() == n.normalized()),
                UserKey::ExternalId(x) => r.user.external_id.as_ref() == Some(x),
            })
            .map(|r| r.user.clone()))
    }

    fn query(&mut self, q: &Query) -> Result<Found<User>, RepoError> {
        Ok(reference(q, self.live().map(|r| r.user.clone())))
    }

    fn update(&mut self, id: UserId, u: &UserUpdate) -> Result<User, RepoError> {
        if u.deleted_at.is_none() {
            self.unique(
                Some(id),
                u.email.as_ref().map(|(_, norm)| norm.as_str()),
                u.login_name.as_ref().value().map(LoginName::normalized),
                u.external_id.as_ref().value().map(String::as_str),
            )?;
        }
        let row = self
            .live()
            .find(|r| r.user.id == id)
            .ok_or_else(|| RepoError::Failure("no such row".into()))?;
        if let Some((email, norm)) = &u.email {
            row.user.email = Email::from_trusted(email.clone(), norm.clone());
        }
        if let Some(name) = &u.name {
            row.user.name = name.clone();
        }
        if let Some(role) = u.role {
            row.user.role = role;
        }
        if let Some(status) = u.status {
            row.user.status = status;
        }
        let pc = &u.profile;
        let p = &mut row.user.profile;
        for (change, field) in [
            (&pc.first_name, &mut p.first_name),
            (&pc.last_name, &mut p.last_name),
            (&pc.title, &mut p.title),
            (&pc.phone, &mut p.phone),
            (&pc.alternate_email, &mut p.alternate_email),
            (&pc.location, &mut p.location),
            (&pc.timezone, &mut p.timezone),
            (&pc.locale, &mut p.locale),
            (&pc.avatar_url, &mut p.avatar_url),
        ] {
            *field = change.clone().apply(field.take());
        }
        if let Some(a) = &u.attributes {
            row.user.attributes = a.clone();
        }
        row.user.employee_number = u.employee_number.apply(row.user.employee_number);
        row.user.external_id = u.external_id.clone().apply(row.user.external_id.take());
        row.user.login_name = u.login_name.clone().apply(row.user.login_name.take());
        if let Some(hash) = &u.password_hash {
            row.hash = Some(hash.clone());
            row.user.has_password = true;
        }
        if u.deleted_at.is_some() {
            row.deleted = true;
        }
        if u.bump_credentials {
            row.user.credentials_version += 1;
        }
        if let Some(at) = u.last_login_at {
            row.user.last_login_at = Some(at);
        }
        if let Some(at) = u.updated_at {
            row.user.updated_at = at;
        }
        Ok(row.user.clone())
    }

    fn credentials(&mut self, email_normalized: &str) -> Result<Option<Credentials>, RepoError> {
        Ok(self
            .live()
            .find(|r| r.user.email.normalized() == email_normalized)
            .map(|r| credentials(r)))
    }

    fn credentials_by_id(&mut self, id: UserId) -> Result<Option<Credentials>, RepoError> {
        Ok(self
            .live()
            .find(|r| r.user.id == id)
            .map(|r| credentials(r)))
    }

    fn principal(&mut self, id: UserId) -> Result<Option<PrincipalRecord>, RepoError> {
        Ok(self
            .rows
            .iter()
            .find(|r| r.user.id == id)
            .map(|r| PrincipalRecord {
                id: r.user.id,
                role: r.user.role,
                status: r.user.status,
                credentials_version: r.user.credentials_version,
                deleted: r.deleted,
            }))
    }

    fn count_login_capable_admins(&mut self) -> Result<i64, RepoError> {
        Ok(self
            .live()
            .filter(|r| {
                r.user.role == Role::Admin && r.user.status == Status::Active && r.hash.is_some()
            })
            .count() as i64)
    }

    fn lock_admin_set(&mut self) -> Result<(), RepoError> {
        Ok(())
    }

    fn any_admin(&mut self) -> Result<bool, RepoError> {
        Ok(self.live().any(|r| r.user.role == Role::Admin))
    }

    fn find_including_deleted(&mut self, id: UserId) -> Result<Option<(User, bool)>, RepoError> {
        Ok(self
            .rows
            .iter()
            .find(|r| r.user.id == id)
            .map(|r| (r.user.clone(), r.deleted)))
    }

    fn purge(&mut self, user: UserId) -> Result<(), RepoError> {
        self.credentials.retain(|c| c.credential.owner != user);
        self.codes.retain(|c| c.user_id != user);
        self.rows.retain(|r| r.user.id != user);
        for g in self.groups.iter_mut() {
            g.members.remove(&user);
            g.creator = g.creator.filter(|c| *c != user);
        }
        Ok(())
    }
}

impl TokenRepo for Tx<'_> {
    fn revoke_token(
        &mut self,
        jti: &str,
        expires_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Result<(), RepoError> {
        self.revoked.retain(|(_, exp)| *exp >= now);
        if !self.revoked.iter().any(|(j, _)| j == jti) {
            self.revoked.push((jti.to_owned(), expires_at));
        }
        Ok(())
    }

    fn is_token_revoked(&mut self, jti: &str) -> Result<bool, RepoError> {
        Ok(self.revoked.iter().any(|(j, _)| j == jti))
    }

    fn token_principal(
        &mut self,
        id: UserId,
        jti: &str,
    ) -> Result<Option<(PrincipalRecord, bool)>, RepoError> {
        let revoked = self.is_token_revoked(jti)?;
        Ok(self.principal(id)?.map(|p| (p, revoked)))
    }
}

impl CodeRepo for Tx<'_> {
    fn put_code(
        &mut self,
        code: &CodeRecord,
        forget_before: NaiveDateTime,
    ) -> Result<(), RepoError> {
        self.codes.retain(|c| {
            c.expires_at >= forget_before
                && !(c.user_id == code.user_id && c.purpose == code.purpose)
        });
        self.codes.push(code.clone());
        Ok(())
    }

    fn find_code(&mut self, digest: &str) -> Result<Option<CodeRecord>, RepoError> {
        Ok(self.codes.iter().find(|c| c.digest == digest).cloned())
    }

    fn delete_codes(&mut self, user: UserId) -> Result<(), RepoError> {
        self.codes.retain(|c| c.user_id != user);
        Ok(())
    }
}

impl CredentialRepo for Tx<'_> {
    fn insert_credential(&mut self, record: &CredentialRecord) -> Result<(), RepoError> {
        self.credentials.push(record.clone());
        Ok(())
    }

    fn find_credential(&mut self, id: &str) -> Result<Option<CredentialRecord>, RepoError> {
        Ok(self
            .credentials
            .iter()
            .find(|c| c.credential.id == id)
            .cloned())
    }

    fn list_credentials(
        &mut self,
        kind: CredentialKind,
    ) -> Result<Vec<MachineCredential>, RepoError> {
        Ok(self
            .credentials
            .iter()
            .filter(|c| c.credential.kind == kind)
            .map(|c| c.credential.clone())
            .collect())
    }

    fn revoke_credential(&mut self, id: &str, now: NaiveDateTime) -> Result<(), RepoError> {
        for c in self.credentials.iter_mut() {
            if c.credential.id == id && c.credential.revoked_at.is_none() {
                c.credential.revoked_at = Some(now);
            }
        }
        Ok(())
    }
}

impl ImportRepo for Tx<'_> {
    fn import_checkpoint(&mut self, run: &str) -> Result<Option<Checkpoint>, RepoError> {
        Ok(self.imports.iter().find(|c| c.run == run).cloned())
    }

    fn put_import_checkpoint(
        &mut self,
        checkpoint: &Checkpoint,
        _now: NaiveDateTime,
    ) -> Result<(), RepoError> {
        self.imports.retain(|c| c.run != checkpoint.run);
        self.imports.push(checkpoint.clone());
        Ok(())
    }

    fn export_page(
        &mut self,
        after: Option<UserId>,
        limit: u32,
        include_deleted: bool,
    ) -> Result<Vec<Exported>, RepoError> {
        let mut groups = self.groups.clone();
        groups.sort_by_key(|g| g.id);
        Ok(self
            .rows
            .iter()
            .filter(|r| after.is_none_or(|a| r.user.id > a) && (include_deleted || !r.deleted))
            .take(limit as usize)
            .map(|r| Exported {
                user: r.user.clone(),
                password_hash: r.hash.clone(),
                deleted_at: r.deleted.then_some(r.user.updated_at),
                groups: groups
                    .iter()
                    .filter(|g| g.members.contains(&r.user.id))
                    .map(|g| g.name.as_str().to_owned())
                    .collect(),
            })
            .collect())
    }
}

fn credentials(r: &Row) -> Credentials {
    Credentials {
        id: r.user.id,
        password_hash: r.hash.clone(),
        role: r.user.role,
        status: r.user.status,
        credentials_version: r.user.credentials_version,
    }
}
