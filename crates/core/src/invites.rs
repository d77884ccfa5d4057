//! Invitations and one-time codes: an invited user is created without a password and mailed a
//! single-use code (inside a link) with which they set one. The same code answers
//! DreamFactory's `{email, code, new_password}` endpoint and the server's accept page.

use chrono::NaiveDateTime;

use crate::access::{Actor, require_admin};
use crate::audit::{self, Action, Event, Target};
use crate::domain::{Email, Password, Role, Status, expiry, normalize_email};
use crate::error::{Conflict, CoreError, CoreResult, Denied};
use crate::mail::{CodeMail, Mail, MailSettings};
use crate::ports::{self, CodePurpose, CodeRecord, CodeRepo, NewUserRecord, Repos, UserUpdate};
use crate::secret::random_code;
use crate::user::{NewUser, User, UserChanges, UserKey};
use crate::users::{Audited, Batch, BatchMode, Guard, UserService, found};

/// Length of a one-time code (DreamFactory's confirmation codes are 32 characters).
pub const CODE_LENGTH: usize = 32;

/// Codes that expired this long ago are forgotten (until then a late click says "expired",
/// not "unknown").
const KEEP_EXPIRED: chrono::TimeDelta = chrono::TimeDelta::days(30);

impl UserService {
    /// Whether invitations can be sent; refused (before anything is written) when no mail
    /// server is configured.
    pub fn invitations_enabled(&self) -> CoreResult<&MailSettings> {
        self.mail
            .as_ref()
            .ok_or_else(|| CoreError::MailUnavailable("no mail server is configured".into()))
    }

    /// Creates invited users (no password: one given is ignored) and mails each a code. Admins
    /// only; refused before anything is written when mail is off. The records are written as
    /// `mode` says; then each new user's mail is sent, and a user whose mail fails is removed
    /// outright and reported as [`CoreError::MailFailed`] in its place.
    pub fn invite_batch(
        &self,
        actor: &Actor,
        items: Vec<CoreResult<NewUser>>,
        mode: BatchMode,
    ) -> CoreResult<Batch<User>> {
        require_admin(actor)?;
        let mail = self.invitations_enabled()?.clone();
        let now = self.clock.now();
        let expires_at = expiry(now, mail.invite_ttl);
        let records = items
            .into_iter()
            .map(|item| {
                let record = self.record(NewUser {
                    password: None,
                    ..item?
                })?;
                Ok((record, random_code(CODE_LENGTH)?))
            })
            .collect();
        let audit = Audited {
            actor,
            action: Action::UserCreate,
            target: &|(r, _): &(NewUserRecord, String)| Target {
                email: Some(r.email.clone()),
                ..Target::none_user()
            },
        };
        let batch = self.run_batch(&audit, records, mode, |repo, (record, code)| {
            let user = crate::users::insert_in(repo, actor, record)?;
            self.store_code(repo, &user, code, CodePurpose::Invitation, expires_at, now)?;
            Ok((user, code.clone()))
        })?;
        if batch.rolled_back {
            return Ok(Batch {
                results: batch
                    .results
                    .into_iter()
                    .map(|r| r.map(|(u, _)| u))
                    .collect(),
                rolled_back: true,
            });
        }
        let results = batch
            .results
            .into_iter()
            .map(|r| {
                let (user, code) = r?;
                let sent =
                    self.deliver(&mail, Mail::Invitation(code_mail(&user, code, expires_at)));
                match sent {
                    Ok(()) => Ok(user),
                    Err(e) => {
                        // The user never existed for anyone: its creation is undone, and the
                        // log says so (its `user.create` event is already written).
                        let event = Event::new(Action::UserDelete, Target::user(&user))
                            .changes(reason("invitation_undelivered"));
                        ports::write(&*self.store, |repo| {
                            repo.purge(user.id)?;
                            audit::record(repo, actor, event.clone(), self.clock.now())
                        })?;
                        Err(e)
                    }
                }
            })
            .collect();
        Ok(Batch {
            results,
            rolled_back: false,
        })
    }

    /// Changes users and mails each a new invitation code, which replaces any earlier one
    /// (DreamFactory's `PATCH ?send_invite=true`, with or without changes). For each record
    /// (for all of them under [`BatchMode::Rollback`]) the change, the new code and its mail are
    /// one transaction, the mail sent last, before the commit: a refused change or a failed
    /// mail leaves nothing behind, and the earlier code keeps working. (A code mailed whose
    /// transaction then fails to commit is merely useless.) Admins only; refused before
    /// anything is written when mail is off; a user who already set a password is
    /// [`Conflict::AlreadyAccepted`]; `guard` may refuse a target (an endpoint that manages one
    /// kind of user).
    pub fn update_batch_reinviting(
        &self,
        actor: &Actor,
        items: Vec<CoreResult<(UserKey, UserChanges)>>,
        guard: &Guard<'_>,
        mode: BatchMode,
    ) -> CoreResult<Batch<User>> {
        let grant = require_admin(actor)?;
        let mail = self.invitations_enabled()?.clone();
        let now = self.clock.now();
        let expires_at = expiry(now, mail.invite_ttl);
        let invited = |user: &User| {
            guard(user)?;
            if user.has_password {
                return Err(CoreError::Conflict(Conflict::AlreadyAccepted));
            }
            Ok(())
        };
        let action = Some(Action::UserInvite);
        self.update_each(grant, actor, action, items, &invited, mode, |repo, user| {
            let code = random_code(CODE_LENGTH)?;
            self.store_code(repo, user, &code, CodePurpose::Invitation, expires_at, now)?;
            self.deliver(&mail, Mail::Invitation(code_mail(user, code, expires_at)))
        })
    }

    /// Sets a password with a one-time code (accepting an invitation, or a reset): no caller is
    /// needed, the code is the authority. An unknown code, or one that is not `email`'s, is
    /// [`CoreError::NotFound`]; the code of a user `admits` refuses (an endpoint for one kind
    /// of user) is [`Denied::WrongKind`]; an expired one [`CoreError::CodeExpired`]. The code is used up,
    /// with every other code of the user, and the user's tokens die.
    pub fn redeem_code(
        &self,
        actor: &Actor,
        email: &str,
        code: &str,
        new: &Password,
        admits: impl Fn(Role) -> bool,
    ) -> CoreResult<User> {
        let digest = self.digest.digest(code);
        let account = normalize_email(email);
        let check = |repo: &mut dyn Repos, now| {
            let (user, purpose) = check_code(repo, &digest, &account, now)?;
            if !admits(user.role) {
                return Err(CoreError::Forbidden(Denied::WrongKind));
            }
            Ok((user, purpose))
        };
        // Check before hashing: a guessed code must not cost an argon2 hash. A code nobody
        // has (a guess) leaves no event; a known one that is refused does.
        let now = self.clock.now();
        let known = match ports::read(&*self.store, |repo| check(repo, now)) {
            Err(CoreError::NotFound) => return Err(CoreError::NotFound),
            other => other,
        };
        let target = Target {
            email: Email::parse(email).ok().map(|e| e.as_str().to_owned()),
            ..Target::none_user()
        };
        let result = known.and_then(|_| {
            let hash = self.hasher.hash(new)?;
            let now = self.clock.now();
            ports::write(&*self.store, |repo| {
                let (user, purpose) = check(repo, now)?;
                repo.delete_codes(user.id)?;
                let update = UserUpdate {
                    password_hash: Some(hash.clone()),
                    bump_credentials: true,
                    updated_at: Some(now),
                    ..UserUpdate::default()
                };
                let after = repo.update(user.id, &update)?;
                let mut changes = audit::user_changes(&user, &after, true);
                changes.insert("code".into(), purpose.as_str().into());
                let event = Event::new(Action::UserPasswordChange, Target::user(&after))
                    .changes(changes)
                    .resource(audit::user_resource(&after));
                audit::record(repo, actor, event, now)?;
                Ok(after)
            })
        });
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::UserPasswordChange,
            target,
            result,
        )
    }

    /// Checks a code without using it up (the accept and reset pages show an expired or unknown
    /// code before the user types a password): the user it belongs to, or the error
    /// [`UserService::redeem_code`] would give.
    pub fn peek_code(&self, email: &str, code: &str) -> CoreResult<User> {
        let digest = self.digest.digest(code);
        let account = normalize_email(email);
        let now = self.clock.now();
        ports::read(&*self.store, |repo| {
            check_code(repo, &digest, &account, now).map(|(user, _)| user)
        })
    }

    /// A forgotten password: mails a single-use reset code to `email` if it belongs to an
    /// active user, and does nothing otherwise. Callers answer the same either way, and must not
    /// let the time it takes show which (run it after answering). Refused before anything when
    /// mail is off. A failed mail leaves the code unusable.
    pub fn request_password_reset(&self, actor: &Actor, email: &str) -> CoreResult<()> {
        let mail = self.invitations_enabled()?.clone();
        let Ok(address) = Email::parse(email) else {
            return Ok(());
        };
        let code = random_code(CODE_LENGTH)?;
        let now = self.clock.now();
        let expires_at = expiry(now, mail.reset_ttl);
        let user = ports::write(&*self.store, |repo| {
            let Some(user) = repo.find(&UserKey::Email(address.clone()))? else {
                return Ok(None);
            };
            if user.status != Status::Active {
                return Ok(None);
            }
            self.store_code(
                repo,
                &user,
                &code,
                CodePurpose::PasswordReset,
                expires_at,
                now,
            )?;
            let event = Event::new(Action::UserPasswordReset, Target::user(&user))
                .changes(reason("code_mailed"));
            audit::record(repo, actor, event, now)?;
            Ok(Some(user))
        })?;
        let Some(user) = user else { return Ok(()) };
        let sent = self.deliver(
            &mail,
            Mail::PasswordReset(code_mail(&user, code, expires_at)),
        );
        if sent.is_err() {
            ports::write(&*self.store, |repo| Ok(repo.delete_codes(user.id)?))?;
        }
        audit::failing(
            &*self.store,
            &*self.clock,
            actor,
            Action::UserPasswordReset,
            Target::user(&user),
            sent,
        )
    }

    fn store_code(
        &self,
        repo: &mut dyn CodeRepo,
        user: &User,
        code: &str,
        purpose: CodePurpose,
        expires_at: NaiveDateTime,
        now: NaiveDateTime,
    ) -> CoreResult<()> {
        let record = CodeRecord {
            digest: self.digest.digest(code),
            user_id: user.id,
            purpose,
            expires_at,
        };
        Ok(repo.put_code(&record, now - KEEP_EXPIRED)?)
    }

    fn deliver(&self, mail: &MailSettings, message: Mail) -> CoreResult<()> {
        mail.mailer
            .send(&message)
            .map_err(|e| CoreError::MailFailed(e.0))
    }
}

/// The user a code belongs to, and what it is for, if it is theirs and still valid.
fn check_code(
    repo: &mut dyn Repos,
    digest: &str,
    account: &str,
    now: NaiveDateTime,
) -> CoreResult<(User, CodePurpose)> {
    let code = repo.find_code(digest)?.ok_or(CoreError::NotFound)?;
    let user = found(repo.find(&UserKey::Id(code.user_id))?)?;
    if user.email.normalized() != account {
        return Err(CoreError::NotFound);
    }
    if code.expires_at <= now {
        return Err(CoreError::CodeExpired);
    }
    Ok((user, code.purpose))
}

/// `{"reason": why}`.
fn reason(why: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("reason".into(), why.into());
    m
}

fn code_mail(user: &User, code: String, expires_at: NaiveDateTime) -> CodeMail {
    CodeMail {
        to: user.email.clone(),
        name: user.name.clone(),
        code,
        expires_at,
    }
}
