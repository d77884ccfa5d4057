//! usergate's admin console at `/console/`: the page where an admin manages users, groups,
//! machine credentials, webhooks and imports without writing a request, and reads the audit log.
//!
//! Like a dialect it is an adapter over core and decides nothing: every page calls core with the
//! signed-in admin as the actor (channel `console`), and core decides what that admin may do and
//! records it in the audit log.
//!
//! - **Pages** are server-rendered from askama templates (checked at compile time, every value
//!   escaped), plain forms that work without JavaScript, one stylesheet, no script at all.
//! - **Sessions** (`session.rs`): only active admins sign in, through core's throttled,
//!   constant-time login. The cookie (`HttpOnly`, `SameSite=Strict`, `Secure` unless
//!   `--insecure-cookies`, `Path=/console`) holds a token of audience `usergate:console` whose id
//!   is the session: core checks it like every token, so it dies when its admin is deactivated,
//!   deleted, changes role or password; logout revokes its id. It slides with use (idle
//!   timeout) and ends at its absolute lifetime.
//! - **Forgery**: every change is a POST carrying the session's CSRF token (a keyed tag of the
//!   session id: another session's token, or none, is refused), and a POST whose `Origin` is
//!   another site is refused before that.
//! - **Headers**: a strict Content-Security-Policy (no script, styles from the one sheet),
//!   `frame-ancestors 'none'`, `no-referrer`, `no-store` on every page (secrets shown once
//!   are never cached).
//!
//! Decisions where the design is silent:
//! - No script at all, not even the one small vendored script the design allows: every page
//!   works with plain forms, the users search is a GET form, and the import's progress page
//!   refreshes itself with `<meta http-equiv="refresh">` while it runs.
//! - The session is a token, not a row: its id is its session id, logout revokes that id (the
//!   revocation list every dialect's tokens use), and a renewed cookie keeps the id. Idle
//!   timeout 30 min, absolute lifetime 12 h (`--console-idle-timeout`,
//!   `--console-session-lifetime`).
//! - The CSRF token is an HMAC of the session id under the server key (OWASP's HMAC synchronizer
//!   token): nothing to store, one token per session, and it dies with the session. Sign-in has
//!   no session yet: it is protected by `Sec-Fetch-Site`/`Origin` and core's throttles.
//! - Browsers send `Origin: null` for forms of pages with `Referrer-Policy: no-referrer`; only a
//!   named origin is compared with the host.
//! - Users are listed newest first (by id, the primary key: no sort at any size), 50 a page,
//!   with the exact count the generic dialect also gives.
//! - Deleting a user asks for the address typed again; deleting a group with members needs a
//!   box ticked (its members stay users).
//! - A reset link is offered for active users with a password; an invitation for users without
//!   one (core refuses it for a user who set a password).
//! - The webhook test message is sent by the server's dispatcher code (its signing, destination
//!   checks and timeout) and its answer shown on the page; it is not a delivery and is not
//!   recorded as one.
//! - Imports run `usergate import`'s code as the signed-in admin (their events are the admin's
//!   through the console) with a report of the first 200 rejections on the page; password hashes
//!   for DreamFactory and Domo listings (`--hashes`) are the CLI's. An upload is a temporary
//!   file, removed when its import ends or a day later; jobs are per instance.

mod audit;
mod credentials;
mod error;
mod groups;
mod imports;
mod session;
mod user;
mod users;
mod view;
mod webhooks;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use usergate_core::import::Rejection;
use usergate_core::ports::EndpointRecord;
use usergate_core::ports::Tally;
use usergate_core::webhooks::Sent;
use usergate_core::{Actor, Core};
use usergate_web::TokenService;

pub use error::ConsoleError;

/// The console's own settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Whether the session cookie is marked `Secure` (off only for plain-HTTP development).
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, used or not.
    pub lifetime: Duration,
    /// The largest file the import page takes, in bytes.
    pub upload_limit: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            secure_cookies: true,
            idle_timeout: Duration::from_secs(30 * 60),
            lifetime: Duration::from_secs(12 * 3600),
            upload_limit: 200 * 1024 * 1024,
        }
    }
}

/// Sends a test message to an endpoint, the way the dispatcher sends deliveries (its signing,
/// its destination checks, its timeout).
pub type WebhookTester =
    Arc<dyn Fn(EndpointRecord) -> Pin<Box<dyn Future<Output = Sent>>> + Send + Sync>;

/// An import the console runs: the uploaded file and the options chosen on the page.
#[derive(Debug, Clone)]
pub struct ImportJob {
    /// The uploaded file.
    pub file: PathBuf,
    /// Its name on the admin's machine (its extension tells the format when none is chosen).
    pub name: String,
    /// `csv`, `jsonl`, `dreamfactory` or `domo`; none: from the name.
    pub format: Option<String>,
    /// `fail`, `skip` or `update`.
    pub on_conflict: String,
    /// The role of records that name none.
    pub role: String,
    /// Check only.
    pub dry_run: bool,
}

/// How an import ended.
#[derive(Debug, Clone)]
pub struct ImportRan {
    /// Counts over the whole import.
    pub tally: Tally,
    /// It had finished before (the same file with the same options): nothing was done.
    pub already: bool,
}

/// Hears an import's batches as they are done.
pub trait ImportProgress {
    /// A batch: bytes of the file read so far, the batch's counts, its rejections.
    fn batch(&self, bytes: u64, done: &Tally, rejected: &[Rejection]);
}

/// Runs imports: `usergate import`'s code path, as `actor`.
pub trait Importer: Send + Sync {
    /// Runs `job`; the error is the import's own message.
    fn run(
        &self,
        core: &Core,
        actor: &Actor,
        job: &ImportJob,
        progress: &dyn ImportProgress,
    ) -> Result<ImportRan, String>;
}

/// What the console needs.
#[derive(Clone)]
pub struct State {
    /// The core services.
    pub core: Core,
    /// The token service (sessions are tokens of audience `usergate:console`).
    pub tokens: Arc<TokenService>,
    /// The console's settings.
    pub settings: Settings,
    /// Sends webhook test messages.
    pub tester: WebhookTester,
    /// Runs imports.
    pub importer: Arc<dyn Importer>,
}

/// Every path the console serves starts with this.
pub const PREFIX: &str = "/console";

const STYLESHEET: &str = include_str!("../static/console.css");

/// Mounts the console under `/console`.
pub fn configure(state: State) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let forms = web::FormConfig::default()
            .limit(64 * 1024)
            .error_handler(|_, _| ConsoleError::BadForm.into());
        let query = web::QueryConfig::default().error_handler(|_, _| ConsoleError::BadForm.into());
        cfg.service(
            web::scope(PREFIX)
                .app_data(web::Data::new(state))
                .app_data(forms)
                .app_data(web::PayloadConfig::new(64 * 1024))
                .app_data(query)
                .wrap(actix_web::middleware::from_fn(headers))
                .route("", web::get().to(home))
                .route("/", web::get().to(home))
                .route("/console.css", web::get().to(stylesheet))
                .configure(session::routes)
                .configure(users::routes)
                .configure(groups::routes)
                .configure(credentials::routes)
                .configure(webhooks::routes)
                .configure(audit::routes)
                .configure(imports::routes)
                .default_service(web::to(not_found)),
        );
    }
}

async fn home() -> HttpResponse {
    view::see_other("/console/users")
}

async fn not_found() -> Result<HttpResponse, ConsoleError> {
    Err(ConsoleError::Core(usergate_core::CoreError::NotFound))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(STYLESHEET)
}

/// The headers of every console answer (a page may not be framed, cached, or run a script; it
/// tells no other site where it was).
async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if let Some(cookie) = session::renewal(res.request()) {
        let already = res
            .response()
            .cookies()
            .any(|c| c.name() == session::COOKIE);
        if !already {
            res.response_mut().add_cookie(&cookie)?;
        }
    }
    let h = res.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}
