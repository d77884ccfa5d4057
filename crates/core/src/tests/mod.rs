//! Unit tests of core over the in-memory store: the design's rules, invitations and codes,
//! machine credentials, the credential cache.

mod architecture;
mod audit;
mod credential_cache;
mod groups;
mod invitations;
mod machine_credentials;
mod rules;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use crate::memory::MemoryStore;
use crate::ports::Clock;
use crate::throttle::Rate;
use crate::*;

/// A cheap argon2 that counts the work it does.
pub(super) struct CountingHasher {
    inner: Argon2Hasher,
    pub(super) verifies: AtomicUsize,
}

impl PasswordHasher for CountingHasher {
    fn hash(&self, p: &Password) -> CoreResult<String> {
        self.inner.hash(p)
    }
    fn verify(&self, candidate: &str, phc: &str) -> bool {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(candidate, phc)
    }
    fn verify_dummy(&self, candidate: &str) {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify_dummy(candidate);
    }
    fn needs_rehash(&self, phc: &str) -> bool {
        self.inner.needs_rehash(phc)
    }
    fn rehash(&self, verified: &str) -> CoreResult<String> {
        self.inner.rehash(verified)
    }
}

pub(super) struct FixedClock(Instant);

impl Clock for FixedClock {
    fn now(&self) -> NaiveDateTime {
        SystemClock.now()
    }
    fn instant(&self) -> Instant {
        self.0
    }
}

pub(super) struct World {
    pub(super) core: Core,
    pub(super) store: Arc<MemoryStore>,
    pub(super) hasher: Arc<CountingHasher>,
    pub(super) admin: User,
}

pub(super) const PW: &str = "correct horse battery";

pub(super) fn world() -> World {
    world_with(None)
}

pub(super) fn world_with(mail: Option<MailSettings>) -> World {
    let store = Arc::new(MemoryStore::default());
    let hasher = Arc::new(CountingHasher {
        inner: Argon2Hasher::new(
            Argon2Cost {
                m_kib: 64,
                t: 1,
                p: 1,
            },
            4,
        )
        .expect("hasher"),
        verifies: AtomicUsize::new(0),
    });
    let limits = AuthLimits {
        anonymous: Rate::new(3, Duration::from_secs(60)),
        login_per_account: Rate::new(3, Duration::from_secs(60)),
        login_per_address: Rate::new(100, Duration::from_secs(60)),
        shared: None,
    };
    let core = Core::new(
        store.clone(),
        hasher.clone(),
        Arc::new(FixedClock(Instant::now())),
        PasswordPolicy::default(),
        limits,
        SecretDigest::new(&[9u8; 32]),
        mail,
    );
    let admin = core
        .users
        .bootstrap_admin(new_user("root@example.com", Role::Admin))
        .expect("bootstrap")
        .expect("first admin");
    World {
        core,
        store,
        hasher,
        admin,
    }
}

pub(super) fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        role,
        password: Some(PasswordPolicy::default().check("password", PW).expect("pw")),
        ..NewUser::new(Email::parse(email).expect("email"))
    }
}

pub(super) fn as_actor(user: &User) -> Actor {
    Actor::user(
        Principal {
            id: user.id,
            role: user.role,
            status: user.status,
            credentials_version: user.credentials_version,
        },
        origin(),
    )
}

/// A request of the generic dialect, for tests that do not care where a change comes from.
pub(super) fn origin() -> Origin {
    Origin::request(Channel::Generic, Some("req-1".into()), None, Some("test"))
}

/// An unauthenticated request.
pub(super) fn anon() -> Actor {
    Actor::anonymous(origin())
}

pub(super) fn key(u: &User) -> UserKey {
    UserKey::Id(u.id)
}

pub(super) fn role(value: Role) -> UserChanges {
    UserChanges {
        role: Some(Coarse::exact(value, &[])),
        ..UserChanges::default()
    }
}

pub(super) fn status(value: Status) -> UserChanges {
    UserChanges {
        status: Some(Coarse::exact(value, &[])),
        ..UserChanges::default()
    }
}

pub(super) fn pw(s: &str) -> Password {
    PasswordPolicy::default().check("password", s).expect("pw")
}

impl World {
    pub(super) fn sys(&self) -> Actor {
        Actor::system(Channel::Cli)
    }
    pub(super) fn create(&self, email: &str, role: Role) -> User {
        self.core
            .users
            .create(&as_actor(&self.admin), new_user(email, role))
            .expect("create")
    }
    pub(super) fn principal_alive(&self, u: &User) -> bool {
        self.core
            .auth
            .resolve(u.id, u.credentials_version, None)
            .is_ok()
    }
}

/// The resolutions tests ask for, one credential kind at a time.
pub(super) trait Resolve {
    fn resolve(&self, user: UserId, version: i64, jti: Option<&str>) -> CoreResult<Principal>;
    fn resolve_cached(&self, user: UserId, version: i64, jti: Option<&str>) -> Option<Principal>;
    fn resolve_credential(&self, client: &str, user: UserId, version: i64)
    -> CoreResult<Principal>;
}

fn token(user: UserId, version: i64, jti: Option<&str>) -> Credential {
    Credential::Token {
        user,
        version,
        jti: jti.map(str::to_owned),
    }
}

impl Resolve for AuthService {
    fn resolve(&self, user: UserId, version: i64, jti: Option<&str>) -> CoreResult<Principal> {
        self.authenticate(&token(user, version, jti), &origin())
    }

    fn resolve_cached(&self, user: UserId, version: i64, jti: Option<&str>) -> Option<Principal> {
        self.authenticate_cached(&token(user, version, jti), None)
            .and_then(Result::ok)
    }

    fn resolve_credential(
        &self,
        client: &str,
        user: UserId,
        version: i64,
    ) -> CoreResult<Principal> {
        let credential = Credential::ClientToken {
            client: client.to_owned(),
            user,
            version,
            scopes: vec!["user".to_owned()],
            needs: "user",
        };
        self.authenticate(&credential, &origin())
    }
}
