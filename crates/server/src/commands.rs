//! The one-shot commands: `migrate`, `admin create`, `clients ...`, `openapi`.

use std::sync::Arc;

use serde_json::json;
use usergate_core::machine::{CredentialKind, MachineCredential, NewCredential};
use usergate_core::{
    Actor, Argon2Cost, Argon2Hasher, AuthLimits, Core, CoreError, Email, NewUser, PasswordPolicy,
    Role, SystemClock, UserKey,
};
use usergate_store::Store;

use crate::StartError;
use crate::app::admin_credentials;
use crate::config::{
    AdminCreateArgs, ClientCreateArgs, ClientListArgs, ClientRevokeArgs, DbArgs, Dialect,
};

/// `usergate migrate`.
pub fn migrate(db: &DbArgs) -> Result<(), StartError> {
    let applied = Store::migrate(&db.url())?;
    if applied.is_empty() {
        println!("migrations: up to date");
    }
    for name in applied {
        println!("applied: {name}");
    }
    Ok(())
}

/// `usergate admin create`: an active admin, created as the operator (no token needed).
pub fn admin_create(args: &AdminCreateArgs) -> Result<(), StartError> {
    let policy = PasswordPolicy::default();
    let core = operator_core(&args.db, policy)?;
    let creds = admin_credentials(&args.email, args.password.as_deref(), policy)?;
    let new = NewUser {
        role: Role::Admin,
        password: Some(creds.password.clone()),
        ..NewUser::new(creds.email)
    };
    let admin = core.users.create(&Actor::System, new)?;
    let shown = creds.generated.then(|| creds.password.expose().to_owned());
    if args.json {
        let mut out = json!({"id": admin.id.get(), "email": admin.email.as_str()});
        if let Some(p) = &shown {
            out["password"] = json!(p);
        }
        println!("{out}");
    } else {
        println!("id: {}", admin.id);
        println!("email: {}", admin.email);
        if let Some(p) = shown {
            println!("password: {p}");
        }
    }
    Ok(())
}

/// Core over the configured database (migrated first), for the operator's commands.
fn operator_core(db: &DbArgs, policy: PasswordPolicy) -> Result<Core, StartError> {
    operator_core_at(&db.url(), policy)
}

/// Core over the database at `url` (migrated first), as the operator's commands use it (also
/// for test harnesses that prepare what an operator would).
pub fn operator_core_at(url: &str, policy: PasswordPolicy) -> Result<Core, StartError> {
    let url = url.to_owned();
    Store::migrate(&url)?;
    let store = Store::open(&url, Some(2))?;
    Ok(Core::new(
        Arc::new(store.clone()),
        Arc::new(Argon2Hasher::new(Argon2Cost::OWASP, 1)?),
        Arc::new(SystemClock),
        policy,
        AuthLimits::default(),
        crate::app::secret_digest(&store)?,
        None,
    ))
}

/// The scopes Domo defines.
const DOMO_SCOPES: [&str; 6] = ["account", "audit", "buzz", "dashboard", "data", "user"];

/// `usergate clients create`: an OAuth client for the Domo dialect; the secret is printed once.
pub fn clients_create(args: &ClientCreateArgs) -> Result<(), StartError> {
    let owner = Email::parse(&args.owner)
        .map_err(|_| StartError::Config(format!("--owner is not an email: {:?}", args.owner)))?;
    let mut scopes: Vec<String> = Vec::new();
    for s in args.scopes.iter().flat_map(|s| s.split([' ', ','])) {
        let s = s.trim().to_ascii_lowercase();
        if s.is_empty() || scopes.contains(&s) {
            continue;
        }
        if !DOMO_SCOPES.contains(&s.as_str()) {
            return Err(StartError::Config(format!(
                "unknown scope {s:?} (use: {})",
                DOMO_SCOPES.join(", ")
            )));
        }
        scopes.push(s);
    }
    let core = operator_core(&args.db, PasswordPolicy::default())?;
    let issued = core
        .users
        .create_credential(
            &Actor::System,
            NewCredential {
                kind: CredentialKind::OAuthClient,
                owner: UserKey::Email(owner),
                name: args.name.clone(),
                scopes,
                expires_in: None,
            },
        )
        .map_err(|e| match e {
            CoreError::NotFound => {
                StartError::Config(format!("no user with the email {}", args.owner))
            }
            e => e.into(),
        })?;
    let c = &issued.credential;
    if args.json {
        let out = json!({
            "id": c.id,
            "client_id": c.id,
            "client_secret": issued.secret,
            "owner_id": c.owner.get(),
            "scopes": c.scopes,
            "name": c.name,
        });
        println!("{out}");
    } else {
        println!("id: {}", c.id);
        println!("client_id: {}", c.id);
        println!("client_secret: {}", issued.secret);
        println!("scopes: {}", c.scopes.join(" "));
    }
    Ok(())
}

/// `usergate clients list`.
pub fn clients_list(args: &ClientListArgs) -> Result<(), StartError> {
    let core = operator_core(&args.db, PasswordPolicy::default())?;
    let clients = core
        .users
        .list_credentials(&Actor::System, CredentialKind::OAuthClient)?;
    let view = |c: &MachineCredential| {
        json!({
            "id": c.id,
            "name": c.name,
            "owner_id": c.owner.get(),
            "scopes": c.scopes,
            "created_at": c.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "revoked_at": c.revoked_at.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        })
    };
    if args.json {
        println!("{}", json!(clients.iter().map(view).collect::<Vec<_>>()));
    } else {
        for c in &clients {
            let state = match c.revoked_at {
                Some(t) => format!("revoked {}", t.format("%Y-%m-%dT%H:%M:%SZ")),
                None => "active".to_owned(),
            };
            println!(
                "{}\towner_id={}\tscopes={}\t{}\t{}",
                c.id,
                c.owner,
                c.scopes.join(","),
                state,
                c.name
            );
        }
    }
    Ok(())
}

/// `usergate clients revoke <id>`.
pub fn clients_revoke(args: &ClientRevokeArgs) -> Result<(), StartError> {
    let core = operator_core(&args.db, PasswordPolicy::default())?;
    core.users
        .revoke_credential(&Actor::System, &args.id)
        .map_err(|e| match e {
            CoreError::NotFound => StartError::Config(format!("no client with the id {}", args.id)),
            e => e.into(),
        })?;
    println!("revoked: {}", args.id);
    Ok(())
}

/// `usergate openapi <dialect>`: the document, pretty-printed, as committed under `openapi/`.
pub fn openapi(dialect: Dialect) -> Result<String, StartError> {
    let doc = match dialect {
        Dialect::EmailKeyed => usergate_dialect_email_keyed::openapi(),
        Dialect::Dreamfactory => usergate_dialect_dreamfactory::openapi(),
        Dialect::Domo => usergate_dialect_domo::openapi(),
    };
    doc.to_pretty_json()
        .map_err(|e| StartError::Config(format!("OpenAPI document: {e}")))
}
