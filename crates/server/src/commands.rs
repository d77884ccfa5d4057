//! The one-shot commands: `migrate`, `admin create`, `openapi`.

use std::sync::Arc;

use serde_json::json;
use usergate_core::{
    Actor, Argon2Cost, Argon2Hasher, AuthLimits, Core, Email, NewUser, PasswordPolicy, Role,
    SystemClock,
};
use usergate_store::Store;
use usergate_web::tokens::random_token;

use crate::StartError;
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
        Arc::new(store),
        Arc::new(Argon2Hasher::new(Argon2Cost::OWASP, 1)?),
        Arc::new(SystemClock),
        policy,
        AuthLimits::default(),
    );
    let email = Email::parse(&args.email)
        .map_err(|e| StartError::Config(format!("--email: {:?}", e.problem)))?;
    let (password, generated) = match &args.password {
        Some(p) => (p.clone(), false),
        None => (random_token(18)?, true),
    };
    let password = policy
        .check("password", &password)
        .map_err(|e| StartError::Config(format!("password: {:?}", e.problem)))?;
    let new = NewUser {
        role: Role::Admin,
        password: Some(password.clone()),
        ..NewUser::new(email)
    };
    let admin = core.users.create(&Actor::System, new)?;
    let shown = generated.then(|| password.expose().to_owned());
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
    };
    doc.to_pretty_json()
        .map_err(|e| StartError::Config(format!("OpenAPI document: {e}")))
}
