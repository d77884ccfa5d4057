//! The one-shot commands: `migrate`, `admin create`, `openapi`.

use std::sync::Arc;

use serde_json::json;
use usergate_core::{
    Actor, Argon2Cost, Argon2Hasher, AuthLimits, Core, NewUser, PasswordPolicy, Role, SystemClock,
};
use usergate_store::Store;

use crate::StartError;
use crate::app::admin_credentials;
use crate::config::{AdminCreateArgs, DbArgs, Dialect};

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
    let url = args.db.url();
    Store::migrate(&url)?;
    let store = Store::open(&url, Some(2))?;
    let policy = PasswordPolicy::default();
    let core = Core::new(
        Arc::new(store.clone()),
        Arc::new(Argon2Hasher::new(Argon2Cost::OWASP, 1)?),
        Arc::new(SystemClock),
        policy,
        AuthLimits::default(),
        crate::app::secret_digest(&store)?,
        None,
    );
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

/// `usergate openapi <dialect>`: the document, pretty-printed, as committed under `openapi/`.
pub fn openapi(dialect: Dialect) -> Result<String, StartError> {
    let doc = match dialect {
        Dialect::EmailKeyed => usergate_dialect_email_keyed::openapi(),
        Dialect::Dreamfactory => usergate_dialect_dreamfactory::openapi(),
    };
    doc.to_pretty_json()
        .map_err(|e| StartError::Config(format!("OpenAPI document: {e}")))
}
