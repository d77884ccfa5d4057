//! Wiring: the store, core, token service and every dialect in one actix server, with health,
//! docs, request logging and a graceful, draining shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_cors::Cors;
use actix_web::dev::ServerHandle;
use actix_web::middleware::{Condition, NormalizePath, TrailingSlash, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;
use usergate_core::ports::SettingsStore;
use usergate_core::secret;
use usergate_core::{
    Argon2Cost, Argon2Hasher, AuthLimits, Core, CoreError, Email, MailSettings, NewUser, Password,
    PasswordPolicy, Problem, SecretDigest, SystemClock,
};
use usergate_dialect_domo as domo;
use usergate_dialect_dreamfactory as dreamfactory;
use usergate_dialect_email_keyed as email_keyed;
use usergate_dialect_generic as generic;
use usergate_dialect_scim as scim;
use usergate_mail::{MailConfig, SmtpMailer};
use usergate_pages as pages;
use usergate_store::{Store, StoreError};
use usergate_web::TokenService;
use usergate_web::tokens::{TokenSetupError, random_token};

use crate::config::ServeArgs;
use crate::telemetry;

/// The settings key of the generated signing secret.
const JWT_SECRET_KEY: &str = "jwt.hs256.secret";
const DIGEST_KEY: &str = "secret.hmac-sha256.key";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A setting is invalid.
    #[error("invalid setting: {0}")]
    Config(String),
    /// Core refused something at start-up (the bootstrap admin).
    #[error("{0}")]
    Core(#[from] CoreError),
    /// The signing key.
    #[error(transparent)]
    Token(#[from] TokenSetupError),
    /// Binding the listener.
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
    /// Serializing the API documents for `/docs/`.
    #[error("cannot build the API documents: {0}")]
    Docs(#[from] serde_json::Error),
    /// Starting the thread that watches the database for credential changes.
    #[error("cannot start the database watcher: {0}")]
    Watch(std::io::Error),
    /// Reading or writing a file (import, export).
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// An input file that cannot be read as its format says (import).
    #[error("{0}")]
    Input(String),
}

/// A server that is accepting connections.
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// The Domo listener's address, with `--domo-listen`.
    pub domo_addr: Option<SocketAddr>,
    /// The metrics listener's address, with `--metrics-listen`.
    pub metrics_addr: Option<SocketAddr>,
    handle: ServerHandle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The other listeners (Domo's, the metrics'), stopped with the main one.
    others: Vec<(ServerHandle, tokio::task::JoinHandle<std::io::Result<()>>)>,
    /// The database watcher, ended after the listeners.
    watcher: Option<usergate_store::watch::Watcher>,
}

impl Running {
    /// Stops gracefully (in-flight requests finish).
    pub async fn stop(self) {
        for (handle, task) in self.others {
            handle.stop(true).await;
            let _ = task.await;
        }
        self.handle.stop(true).await;
        let _ = self.server.await;
        stop_watching(self.watcher).await;
    }

    /// Waits until the server stops (after a signal); the Domo listener stops with it.
    pub async fn wait(self) -> std::io::Result<()> {
        let main = self
            .server
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        for (handle, task) in self.others {
            handle.stop(true).await;
            let _ = task.await;
        }
        stop_watching(self.watcher).await;
        main
    }
}

/// Ends the database watcher and waits for its thread (off the async workers).
async fn stop_watching(watcher: Option<usergate_store::watch::Watcher>) {
    if let Some(w) = watcher {
        let _ = tokio::task::spawn_blocking(move || w.stop()).await;
    }
}

/// Which browser origins may call usergate (CORS), from `--cors-allow-origin`.
#[derive(Clone)]
struct CorsSettings {
    origins: Vec<String>,
    credentials: bool,
}

impl CorsSettings {
    fn of(args: &ServeArgs) -> Result<Self, StartError> {
        let any = args.cors_allow_origins.iter().any(|o| o == "*");
        if any && args.cors_allow_credentials {
            return Err(StartError::Config(
                "--cors-allow-credentials cannot go with --cors-allow-origin '*': name the origins"
                    .into(),
            ));
        }
        Ok(CorsSettings {
            origins: args.cors_allow_origins.clone(),
            credentials: args.cors_allow_credentials,
        })
    }

    /// The CORS middleware, when origins are allowed (without, nothing changes: no header is
    /// sent). Preflights allow the methods and headers the dialects use; answers expose the
    /// headers their clients read. Another origin gets no CORS header: its preflight fails, so
    /// its browser sends no request that needs one, and its page reads no answer.
    fn middleware(&self) -> Condition<Cors> {
        use actix_web::http::header;
        let mut cors = Cors::default()
            .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
            .allowed_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::HeaderName::from_static("x-dreamfactory-session-token"),
                header::HeaderName::from_static("x-dreamfactory-api-key"),
                header::HeaderName::from_static("x-requested-with"),
            ])
            .expose_headers([
                header::LOCATION,
                header::WWW_AUTHENTICATE,
                header::RETRY_AFTER,
                header::HeaderName::from_static("x-request-id"),
            ])
            .max_age(3600);
        for origin in &self.origins {
            cors = if origin == "*" {
                cors.allow_any_origin().send_wildcard()
            } else {
                cors.allowed_origin(origin)
            };
        }
        if self.credentials {
            cors = cors.supports_credentials();
        }
        Condition::new(!self.origins.is_empty(), cors)
    }
}

/// Whether the server takes traffic: false while draining for shutdown.
#[derive(Clone)]
struct Health {
    store: Store,
    accepting: Arc<AtomicBool>,
}

/// Migrates, bootstraps the first admin, and starts serving. With `signals`, SIGTERM and
/// SIGINT stop the server gracefully (SIGTERM after the drain delay).
pub async fn start(args: ServeArgs, signals: bool) -> Result<Running, StartError> {
    let cors = CorsSettings::of(&args)?;
    let url = args.db.url();
    let policy = PasswordPolicy::new(args.password_min_length);
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let prepared = {
        let args = args.clone();
        tokio::task::spawn_blocking(move || prepare(&url, &args, policy, cores))
            .await
            .map_err(|e| StartError::Config(format!("start-up task failed: {e}")))??
    };
    let Prepared {
        store,
        core,
        tokens,
        watcher,
    } = prepared;
    crate::audit_log::spawn_pruning(Arc::new(core.clone()), args.audit_retention);
    crate::webhooks::spawn(
        core.clone(),
        crate::webhooks::DispatchSettings {
            schedule: args.webhook_retry_schedule.clone(),
            timeout: args.webhook_timeout,
            allow_private: args.webhook_allow_private,
            poll: std::time::Duration::from_millis(250),
        },
    );
    let accepting = Arc::new(AtomicBool::new(true));
    let health = Health {
        store: store.clone(),
        accepting: accepting.clone(),
    };
    let df_settings = dreamfactory::Settings {
        token_ttl: args.dreamfactory_token_ttl,
        refresh_ttl: args.dreamfactory_refresh_ttl,
        max_body: args.max_body,
        admin_app: args.dreamfactory_admin_app.clone(),
    };
    let domo_settings = domo::Settings {
        token_ttl: args.domo_token_ttl,
        max_body: args.max_body,
    };
    let domo_state = domo::State {
        core: core.clone(),
        tokens: tokens.clone(),
        settings: domo_settings,
    };
    let domo_root_state = domo_state.clone();
    let generic_state = generic::State {
        core: core.clone(),
        tokens: tokens.clone(),
        settings: generic::Settings {
            max_body: args.max_body,
        },
    };
    let scim_state = scim::State {
        core: core.clone(),
        tokens: tokens.clone(),
        settings: scim::Settings {
            max_body: args.max_body,
        },
    };
    let ek_settings = email_keyed::Settings {
        token_ttl: args.email_keyed_token_ttl,
        max_body: args.max_body,
    };
    let domo_cors = cors.clone();
    let metrics_core = core.clone();
    let console_state = crate::console::state(&core, &tokens, &args);
    let docs = crate::docs::Documents::build()?;
    let server = HttpServer::new(move || {
        App::new()
            // Around the whole router: a preflight is answered before any dialect asks for a
            // credential.
            .wrap(cors.middleware())
            // `//Users` is `/Users` (OneLogin's SCIM base URL ends in a slash).
            .wrap(NormalizePath::new(TrailingSlash::MergeOnly))
            .wrap(from_fn(telemetry::log_request))
            .app_data(web::Data::new(health.clone()))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .configure(docs.clone().configure())
            .configure(generic::configure(generic_state.clone()))
            .configure(scim::configure(scim_state.clone()))
            .configure(pages::configure(pages::State { core: core.clone() }))
            .configure(|cfg| {
                if let Some(state) = console_state.clone() {
                    usergate_console::configure(state)(cfg);
                }
            })
            .configure(domo::configure(domo_state.clone(), "/domo"))
            // /api/v2 before /api: the email-keyed scope would take every /api path.
            .configure(dreamfactory::configure(dreamfactory::State {
                core: core.clone(),
                tokens: tokens.clone(),
                settings: df_settings.clone(),
            }))
            .configure(email_keyed::configure(email_keyed::State {
                core: core.clone(),
                tokens: tokens.clone(),
                settings: ek_settings,
            }))
    })
    .workers(args.workers.unwrap_or(cores).max(1))
    .disable_signals()
    .shutdown_timeout(30)
    .bind(args.listen)?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| StartError::Config("no address bound".into()))?;
    let server = server.run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    let domo = match args.domo_listen {
        None => None,
        Some(listen) => {
            let state = domo_root_state;
            let server = HttpServer::new(move || {
                App::new()
                    .wrap(domo_cors.middleware())
                    .wrap(from_fn(telemetry::log_request))
                    .app_data(web::Data::new(crate::metrics::RootDialect("domo")))
                    .configure(domo::configure(state.clone(), ""))
            })
            .workers(1)
            .disable_signals()
            .shutdown_timeout(30)
            .bind(listen)?;
            let domo_addr = server
                .addrs()
                .first()
                .copied()
                .ok_or_else(|| StartError::Config("no Domo address bound".into()))?;
            let server = server.run();
            let domo_handle = server.handle();
            tracing::info!(addr = %domo_addr, "the Domo dialect also listens at the root of");
            Some((domo_addr, domo_handle, tokio::spawn(server)))
        }
    };
    let domo_addr = domo.as_ref().map(|(a, _, _)| *a);
    let mut others: Vec<_> = domo.into_iter().map(|(_, h, t)| (h, t)).collect();
    let metrics_addr = match args.metrics_listen {
        None => None,
        Some(listen) => {
            let (addr, server) = crate::metrics::serve(listen, store.clone(), metrics_core)?;
            others.push((server.handle(), tokio::spawn(server)));
            Some(addr)
        }
    };
    if signals {
        // Installed before the server announces itself, so no signal finds the default action.
        let signals = Signals::install()?;
        tokio::spawn(stop_on_signal(
            signals,
            handle.clone(),
            accepting,
            args.shutdown_drain,
        ));
    }
    tracing::info!(%addr, backend = store.kind(), "usergate is listening");
    if args.console.enabled {
        tracing::info!(url = %format!("http://{addr}/console/"), "the admin console");
    }
    Ok(Running {
        addr,
        domo_addr,
        metrics_addr,
        handle,
        server: task,
        others,
        watcher,
    })
}

struct Prepared {
    store: Store,
    core: Core,
    tokens: Arc<TokenService>,
    watcher: Option<usergate_store::watch::Watcher>,
}

/// The blocking part of start-up: migrations, pool, keys, first admin.
fn prepare(
    url: &str,
    args: &ServeArgs,
    policy: PasswordPolicy,
    cores: usize,
) -> Result<Prepared, StartError> {
    let applied = Store::migrate(url)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied migrations");
    }
    let store = Store::open(url, args.db_pool_size)?.pg_reads_in_place(args.pg_reads_on_workers);
    let secret = match &args.jwt_secret {
        Some(s) => s.clone(),
        None => store
            .get_or_init(JWT_SECRET_KEY, &TokenService::generate_secret()?)
            .map_err(CoreError::from)?,
    };
    let tokens = Arc::new(TokenService::new(secret.as_bytes())?);
    let hasher = Argon2Hasher::new(Argon2Cost::OWASP, args.hash_concurrency.unwrap_or(cores))?;
    let shared = match &args.redis_url {
        None => None,
        Some(url) => Some(usergate_core::throttle::shared::Shared {
            limiter: Arc::new(
                usergate_store::limits::RedisLimiter::open(url)
                    .map_err(|e| StartError::Config(e.to_string()))?,
            ),
            instances: args.instances_hint,
        }),
    };
    let limits = AuthLimits {
        anonymous: args.anon_rate_limit,
        login_per_account: args.login_throttle,
        login_per_address: args.login_throttle_address,
        shared,
    };
    let core = Core::new(
        Arc::new(store.clone()),
        Arc::new(hasher),
        Arc::new(SystemClock),
        policy,
        limits,
        secret_digest(&store)?,
        mail_settings(args)?,
    );
    bootstrap_admin(&core, args)?;
    // The cache of resolved credentials answers only while this watches the database.
    let watcher = if args.credential_cache {
        Some(store.watch(core.auth.cache()).map_err(StartError::Watch)?)
    } else {
        None
    };
    Ok(Prepared {
        store,
        core,
        tokens,
        watcher,
    })
}

/// The key of one-time codes and machine secrets: generated once and kept in the database, so
/// that every instance agrees.
pub(crate) fn secret_digest(store: &Store) -> Result<SecretDigest, StartError> {
    let key = store
        .get_or_init(DIGEST_KEY, &secret::generate_key()?)
        .map_err(CoreError::from)?;
    Ok(SecretDigest::new(key.as_bytes()))
}

/// Mail as configured; logs once whether it is on.
fn mail_settings(args: &ServeArgs) -> Result<Option<MailSettings>, StartError> {
    let m = &args.mail;
    let Some(smtp_url) = &m.smtp_url else {
        tracing::warn!(
            "mail is off (no USERGATE_SMTP_URL): invitations and password resets are refused"
        );
        return Ok(None);
    };
    let config = MailConfig {
        smtp_url: smtp_url.clone(),
        from: m.mail_from.clone(),
        public_url: m
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.listen)),
        timeout: m.smtp_timeout,
    };
    let mailer = SmtpMailer::new(&config).map_err(|e| StartError::Config(e.to_string()))?;
    tracing::info!(smtp = mailer.endpoint(), public_url = %config.public_url, "mail is on");
    Ok(Some(MailSettings {
        mailer: Arc::new(mailer),
        invite_ttl: m.invite_ttl,
        reset_ttl: m.reset_ttl,
    }))
}

/// On first start (no admin at all), creates one. A generated password is printed once to
/// standard output, never logged.
fn bootstrap_admin(core: &Core, args: &ServeArgs) -> Result<(), StartError> {
    let creds = admin_credentials(
        &args.admin_email,
        args.admin_password.as_deref(),
        core.policy,
    )?;
    let new = NewUser {
        password: Some(creds.password.clone()),
        ..NewUser::new(creds.email)
    };
    if let Some(admin) = core.users.bootstrap_admin(new)? {
        tracing::info!(id = %admin.id, "created the first admin");
        if creds.generated {
            println!("usergate: created the first admin; this password is shown only once");
            println!("email: {}", admin.email);
            println!("password: {}", creds.password.expose());
        }
    }
    Ok(())
}

/// The email and password of an admin the operator creates (first start, `admin create`).
pub(crate) struct AdminCredentials {
    pub(crate) email: Email,
    pub(crate) password: Password,
    /// The password was generated: the caller shows it once, on standard output.
    pub(crate) generated: bool,
}

/// Checks the given email and password (or generates a password) against the policy.
pub(crate) fn admin_credentials(
    email: &str,
    password: Option<&str>,
    policy: PasswordPolicy,
) -> Result<AdminCredentials, StartError> {
    let email = Email::parse(email)
        .map_err(|e| StartError::Config(format!("admin email: {}", describe(&e.problem))))?;
    let (password, generated) = match password {
        Some(p) => (p.to_owned(), false),
        None => (random_token(18)?, true),
    };
    let password = policy
        .check("password", &password)
        .map_err(|e| StartError::Config(format!("admin password: {}", describe(&e.problem))))?;
    Ok(AdminCredentials {
        email,
        password,
        generated,
    })
}

/// A field problem in words, for an operator.
fn describe(problem: &Problem) -> String {
    match problem {
        Problem::Required => "must not be empty".into(),
        Problem::NotAnEmail => "is not a valid email address".into(),
        Problem::TooShort { min } => format!("must be at least {min} characters"),
        Problem::TooLong { max } => format!("must be at most {max} bytes"),
        other => format!("is invalid ({other:?})"),
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(health: web::Data<Health>) -> HttpResponse {
    if !health.accepting.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().json(json!({"status": "draining"}));
    }
    let store = health.store.clone();
    match web::block(move || store.ping()).await {
        Ok(Ok(())) => {
            HttpResponse::Ok().json(json!({"status": "ready", "database": health.store.kind()}))
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "database not ready");
            HttpResponse::ServiceUnavailable().json(json!({"status": "database unavailable"}))
        }
        Err(_) => {
            HttpResponse::ServiceUnavailable().json(json!({"status": "database unavailable"}))
        }
    }
}

/// SIGTERM and SIGINT, listened to.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }
}

/// On SIGTERM: `/readyz` answers 503 for the drain delay, then in-flight requests finish and the
/// server stops. On SIGINT (an operator's Ctrl-C): the same without the delay.
async fn stop_on_signal(
    mut signals: Signals,
    handle: ServerHandle,
    accepting: Arc<AtomicBool>,
    drain: std::time::Duration,
) {
    let drains = tokio::select! {
        _ = signals.term.recv() => true,
        _ = signals.int.recv() => false,
    };
    accepting.store(false, Ordering::SeqCst);
    if drains && !drain.is_zero() {
        tracing::info!(
            ?drain,
            "SIGTERM: /readyz answers 503 while load balancers notice"
        );
        tokio::time::sleep(drain).await;
    }
    tracing::info!("stopping: finishing in-flight requests");
    handle.stop(true).await;
}
