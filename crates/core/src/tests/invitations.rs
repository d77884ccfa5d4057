//! Invitations, one-time codes and password resets.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::*;
use crate::*;

/// A mailer that keeps what it is asked to send, or fails when told to.
#[derive(Default)]
struct Outbox {
    sent: std::sync::Mutex<Vec<Mail>>,
    fail: std::sync::atomic::AtomicBool,
}

impl Mailer for Outbox {
    fn send(&self, mail: &Mail) -> Result<(), MailError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(MailError("connection refused".into()));
        }
        self.sent.lock().expect("lock").push(mail.clone());
        Ok(())
    }
}

impl Outbox {
    fn last_code(&self) -> String {
        match self.sent.lock().expect("lock").last() {
            Some(Mail::Invitation(m) | Mail::PasswordReset(m)) => m.code.clone(),
            None => panic!("no mail sent"),
        }
    }
}

fn mail_world(ttl: Duration) -> (World, Arc<Outbox>) {
    let outbox = Arc::new(Outbox::default());
    let w = world_with(Some(MailSettings {
        mailer: outbox.clone(),
        invite_ttl: ttl,
        reset_ttl: ttl,
    }));
    (w, outbox)
}

fn invitee(email: &str) -> NewUser {
    NewUser {
        // A password given with an invitation is ignored.
        password: Some(PasswordPolicy::default().check("password", PW).expect("pw")),
        ..NewUser::new(Email::parse(email).expect("email"))
    }
}

fn new_password(p: &str) -> Password {
    PasswordPolicy::default().check("password", p).expect("pw")
}

#[test]
fn an_invited_user_has_no_password_until_they_redeem_the_mailed_code() {
    let (w, outbox) = mail_world(Duration::from_secs(3600));
    let admin = as_actor(&w.admin);
    let batch = w
        .core
        .users
        .invite_batch(
            &admin,
            vec![Ok(invitee("new@example.com"))],
            BatchMode::Stop,
        )
        .expect("invite");
    let user = batch.results[0].as_ref().expect("invited").clone();
    assert!(!user.has_password);
    // The given password was not kept: nobody can log in before accepting.
    assert!(w.core.auth.login("new@example.com", PW, &origin()).is_err());
    let code = outbox.last_code();
    assert_eq!(code.len(), invites::CODE_LENGTH);
    match &outbox.sent.lock().expect("lock")[0] {
        Mail::Invitation(m) => assert_eq!(m.to.as_str(), "new@example.com"),
        other => panic!("unexpected {other:?}"),
    }

    // Someone else's address with this code: unknown.
    let err = w
        .core
        .users
        .redeem_code(
            &anon(),
            "root@example.com",
            &code,
            &new_password("a brand new secret"),
            |_| true,
        )
        .expect_err("wrong email");
    assert!(matches!(err, CoreError::NotFound));

    let accepted = w
        .core
        .users
        .redeem_code(
            &anon(),
            " NEW@example.com ",
            &code,
            &new_password("a brand new secret"),
            |_| true,
        )
        .expect("accept");
    assert!(accepted.has_password);
    assert!(accepted.credentials_version > user.credentials_version);
    w.core
        .auth
        .login("new@example.com", "a brand new secret", &origin())
        .expect("login");
    // Single use.
    let again = w
        .core
        .users
        .redeem_code(
            &anon(),
            "new@example.com",
            &code,
            &new_password("another new secret"),
            |_| true,
        )
        .expect_err("used");
    assert!(matches!(again, CoreError::NotFound));
}

#[test]
fn invitations_without_mail_are_refused_before_anything_is_written() {
    let w = world();
    let before = w.store.row_count();
    let err = w
        .core
        .users
        .invite_batch(
            &as_actor(&w.admin),
            vec![Ok(invitee("x@example.com"))],
            BatchMode::Stop,
        )
        .expect_err("no mail");
    assert!(matches!(err, CoreError::MailUnavailable(_)));
    assert_eq!(w.store.row_count(), before);
}

#[test]
fn a_failed_invitation_mail_removes_the_user_outright() {
    let (w, outbox) = mail_world(Duration::from_secs(3600));
    outbox.fail.store(true, Ordering::SeqCst);
    let before = w.store.row_count();
    let batch = w
        .core
        .users
        .invite_batch(
            &as_actor(&w.admin),
            vec![Ok(invitee("x@example.com"))],
            BatchMode::Stop,
        )
        .expect("batch");
    assert!(matches!(batch.results[0], Err(CoreError::MailFailed(_))));
    assert_eq!(
        w.store.row_count(),
        before,
        "no row left behind, not even a deleted one"
    );
    // The address is free, and a working mail server makes the invitation go through.
    outbox.fail.store(false, Ordering::SeqCst);
    let batch = w
        .core
        .users
        .invite_batch(
            &as_actor(&w.admin),
            vec![Ok(invitee("x@example.com"))],
            BatchMode::Stop,
        )
        .expect("batch");
    assert!(batch.results[0].is_ok());
}

#[test]
fn a_new_invitation_replaces_the_old_code_and_expired_codes_say_so() {
    let (w, outbox) = mail_world(Duration::from_secs(3600));
    let admin = as_actor(&w.admin);
    let user = w
        .core
        .users
        .invite_batch(&admin, vec![Ok(invitee("y@example.com"))], BatchMode::Stop)
        .expect("invite")
        .results
        .remove(0)
        .expect("user");
    let first = outbox.last_code();
    reinvite(&w, &admin, &user, UserChanges::default()).expect("reinvite");
    let second = outbox.last_code();
    assert_ne!(first, second);
    let pw = new_password("a brand new secret");
    assert!(matches!(
        w.core
            .users
            .redeem_code(&anon(), "y@example.com", &first, &pw, |_| true),
        Err(CoreError::NotFound)
    ));
    // The code of a user the endpoint does not admit is refused, and stays usable.
    assert!(matches!(
        w.core
            .users
            .redeem_code(&anon(), "y@example.com", &second, &pw, |r| r == Role::Admin),
        Err(CoreError::Forbidden(Denied::WrongKind))
    ));
    w.core
        .users
        .redeem_code(&anon(), "y@example.com", &second, &pw, |_| true)
        .expect("accept");
    // Accepted: no second invitation.
    assert!(matches!(
        reinvite(&w, &admin, &user, UserChanges::default()),
        Err(CoreError::Conflict(Conflict::AlreadyAccepted))
    ));
    // Only an admin resends.
    let other = w.create("plain@example.com", Role::User);
    assert!(matches!(
        reinvite(&w, &as_actor(&other), &user, UserChanges::default()),
        Err(CoreError::Forbidden(_))
    ));

    let (w, outbox) = mail_world(Duration::ZERO);
    w.core
        .users
        .invite_batch(
            &as_actor(&w.admin),
            vec![Ok(invitee("z@example.com"))],
            BatchMode::Stop,
        )
        .expect("invite");
    let hashes_before = w.hasher.verifies.load(Ordering::SeqCst);
    assert!(matches!(
        w.core
            .users
            .redeem_code(&anon(), "z@example.com", &outbox.last_code(), &pw, |_| true),
        Err(CoreError::CodeExpired)
    ));
    assert_eq!(w.hasher.verifies.load(Ordering::SeqCst), hashes_before);
}

#[test]
fn a_reset_code_goes_only_to_active_users_and_sets_the_password() {
    let (w, outbox) = mail_world(Duration::from_secs(3600));
    let user = w.create("forgetful@example.com", Role::User);
    let inactive = w.create("gone@example.com", Role::User);
    w.core
        .users
        .update(
            &as_actor(&w.admin),
            &key(&inactive),
            &status(Status::Inactive),
        )
        .expect("deactivate");
    for email in ["nobody@example.com", "gone@example.com", "not an address"] {
        w.core
            .users
            .request_password_reset(&anon(), email)
            .expect("same answer");
    }
    assert!(
        outbox.sent.lock().expect("lock").is_empty(),
        "no mail for unknown or inactive"
    );
    w.core
        .users
        .request_password_reset(&anon(), "FORGETFUL@example.com")
        .expect("mailed");
    let code = match outbox.sent.lock().expect("lock").last() {
        Some(Mail::PasswordReset(m)) => m.code.clone(),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(
        w.core
            .users
            .peek_code("forgetful@example.com", &code)
            .expect("valid")
            .id,
        user.id
    );
    let pw = new_password("a brand new secret");
    let after = w
        .core
        .users
        .redeem_code(&anon(), "forgetful@example.com", &code, &pw, |_| true)
        .expect("reset");
    assert!(
        after.credentials_version > user.credentials_version,
        "tokens die"
    );
    w.core
        .auth
        .login("forgetful@example.com", "a brand new secret", &origin())
        .expect("login");
    assert!(matches!(
        w.core.users.peek_code("forgetful@example.com", &code),
        Err(CoreError::NotFound)
    ));
    // The throttle: three requests per account per window in this world.
    let ip = Some(std::net::IpAddr::from([10, 0, 0, 1]));
    let limited = (0..5)
        .map(|_| w.core.auth.reset_request("x@example.com", None))
        .filter(Result::is_err)
        .count();
    assert!(limited >= 1, "the account window limits reset requests");
    assert!(w.core.auth.reset_request("y@example.com", ip).is_ok());
}

/// DreamFactory's `PATCH ?send_invite=true` of one user.
fn reinvite(w: &World, actor: &Actor, user: &User, changes: UserChanges) -> CoreResult<User> {
    w.core
        .users
        .update_batch_reinviting(
            actor,
            vec![Ok((key(user), changes))],
            &|_| Ok(()),
            BatchMode::Stop,
        )?
        .results
        .remove(0)
}

#[test]
fn a_resend_with_a_change_is_one_transaction() {
    let (w, outbox) = mail_world(Duration::from_secs(3600));
    let admin = as_actor(&w.admin);
    let invite = |email: &str| {
        w.core
            .users
            .invite_batch(&admin, vec![Ok(invitee(email))], BatchMode::Stop)
            .expect("invite")
            .results
            .remove(0)
            .expect("user")
    };
    let user = invite("r@example.com");
    let first = outbox.last_code();
    let sent = outbox.sent.lock().expect("outbox").len();
    // A refused change (the address of another user) mails nothing and changes nothing: the
    // first code still works.
    let taken = UserChanges {
        email: Some(w.admin.email.clone()),
        ..UserChanges::default()
    };
    assert!(matches!(
        reinvite(&w, &admin, &user, taken),
        Err(CoreError::Conflict(Conflict::DuplicateEmail))
    ));
    assert_eq!(outbox.sent.lock().expect("outbox").len(), sent);
    // A failed mail undoes the change, and the first code still works.
    outbox.fail.store(true, Ordering::SeqCst);
    let renamed = UserChanges {
        name: Some("Renamed".into()),
        ..UserChanges::default()
    };
    assert!(matches!(
        reinvite(&w, &admin, &user, renamed.clone()),
        Err(CoreError::MailFailed(_))
    ));
    outbox.fail.store(false, Ordering::SeqCst);
    let now = w.core.users.get(&admin, &key(&user)).expect("user");
    assert_eq!(now.name, user.name, "the change was undone");
    assert!(w.core.users.peek_code("r@example.com", &first).is_ok());
    // Both together: the change and a new code that replaces the first.
    let changed = reinvite(&w, &admin, &user, renamed).expect("resend");
    assert_eq!(changed.name, "Renamed");
    let second = outbox.last_code();
    assert_ne!(first, second);
    assert!(w.core.users.peek_code("r@example.com", &first).is_err());
    assert!(w.core.users.peek_code("r@example.com", &second).is_ok());
}
