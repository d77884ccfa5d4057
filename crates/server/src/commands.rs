//! The one-shot commands: `migrate`, `admin create`, `clients ...`, `api-keys ...`, `openapi`.

use std::sync::Arc;

use serde_json::json;
use usergate_core::machine::OAUTH_SCOPES as DOMO_SCOPES;
use usergate_core::machine::{
    CredentialKind, KeyDialect, MachineCredential, NewCredential, api_key,
};
use usergate_core::{
    Actor, Argon2Cost, Argon2Hasher, AuthLimits, Channel, Core, CoreError, Email, NewUser,
    PasswordPolicy, Role, SystemClock, UserKey,
};
use usergate_store::Store;

use crate::StartError;
use crate::app::admin_credentials;
use crate::config::{
    AdminCreateArgs, ApiKeyCreateArgs, ClientCreateArgs, ClientListArgs, ClientRevokeArgs, DbArgs,
    Dialect,
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
    let admin = core.users.create(&Actor::system(Channel::Cli), new)?;
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
    let store = Store::open_for_command(&url)?;
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
            &Actor::system(Channel::Cli),
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

/// `usergate api-keys create`: an API key for one dialect (its scope names it); the key is
/// printed once.
pub fn api_keys_create(args: &ApiKeyCreateArgs) -> Result<(), StartError> {
    let owner = Email::parse(&args.owner)
        .map_err(|_| StartError::Config(format!("--owner is not an email: {:?}", args.owner)))?;
    let core = operator_core(&args.db, PasswordPolicy::default())?;
    let issued = core
        .users
        .create_credential(
            &Actor::system(Channel::Cli),
            NewCredential {
                kind: CredentialKind::ApiKey,
                owner: UserKey::Email(owner),
                name: args.name.clone(),
                scopes: vec![KeyDialect::from(args.dialect).as_str().to_owned()],
                expires_in: args.expires_in,
            },
        )
        .map_err(|e| match e {
            CoreError::NotFound => {
                StartError::Config(format!("no user with the email {}", args.owner))
            }
            e => e.into(),
        })?;
    let key = api_key(&issued);
    let c = &issued.credential;
    let expires = c
        .expires_at
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    if args.json {
        let out = json!({
            "id": c.id,
            "api_key": key,
            "owner_id": c.owner.get(),
            "name": c.name,
            "dialect": KeyDialect::of(&c.scopes).as_str(),
            "expires_at": expires,
        });
        println!("{out}");
    } else {
        println!("id: {}", c.id);
        println!("api_key: {key}");
        println!("dialect: {}", KeyDialect::of(&c.scopes).as_str());
        if let Some(e) = expires {
            println!("expires_at: {e}");
        }
    }
    Ok(())
}

/// `usergate clients list`, `usergate api-keys list`: never a secret.
pub fn list_credentials(args: &ClientListArgs, kind: CredentialKind) -> Result<(), StartError> {
    let core = operator_core(&args.db, PasswordPolicy::default())?;
    let found = core
        .users
        .list_credentials(&Actor::system(Channel::Cli), kind)?;
    let time = |t: chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let view = |c: &MachineCredential| {
        json!({
            "id": c.id,
            "name": c.name,
            "owner_id": c.owner.get(),
            "scopes": c.scopes,
            "created_at": time(c.created_at),
            "expires_at": c.expires_at.map(time),
            "revoked_at": c.revoked_at.map(time),
        })
    };
    if args.json {
        println!("{}", json!(found.iter().map(view).collect::<Vec<_>>()));
        return Ok(());
    }
    for c in &found {
        let state = match (c.revoked_at, c.expires_at) {
            (Some(t), _) => format!("revoked {}", time(t)),
            (None, Some(e)) => format!("expires {}", time(e)),
            (None, None) => "active".to_owned(),
        };
        let scopes = if c.scopes.is_empty() {
            String::new()
        } else {
            format!("\tscopes={}", c.scopes.join(","))
        };
        println!(
            "{}\towner_id={}{scopes}\t{state}\t{}",
            c.id, c.owner, c.name
        );
    }
    Ok(())
}

/// `usergate clients revoke <id>`, `usergate api-keys revoke <id>`.
pub fn revoke(args: &ClientRevokeArgs, kind: CredentialKind) -> Result<(), StartError> {
    let core = operator_core(&args.db, PasswordPolicy::default())?;
    let what = match kind {
        CredentialKind::OAuthClient => "client",
        CredentialKind::ApiKey => "API key",
    };
    let listed = core
        .users
        .list_credentials(&Actor::system(Channel::Cli), kind)?;
    if !listed.iter().any(|c| c.id == args.id) {
        return Err(StartError::Config(format!(
            "no {what} with the id {}",
            args.id
        )));
    }
    core.users
        .revoke_credential(&Actor::system(Channel::Cli), &args.id)?;
    println!("revoked: {}", args.id);
    Ok(())
}

/// `usergate openapi <dialect>`: the document, pretty-printed, as committed under `openapi/`.
pub fn openapi(dialect: Dialect) -> Result<String, StartError> {
    let doc = match dialect {
        Dialect::EmailKeyed => usergate_dialect_email_keyed::openapi(),
        Dialect::Dreamfactory => usergate_dialect_dreamfactory::openapi(),
        Dialect::Domo => usergate_dialect_domo::openapi(),
        Dialect::Generic => usergate_dialect_generic::openapi(),
        Dialect::Scim => usergate_dialect_scim::openapi(),
    };
    doc.to_pretty_json()
        .map_err(|e| StartError::Config(format!("OpenAPI document: {e}")))
}
