//! The black-box harness: a real usergate on a random port, on a fresh PostgreSQL database or
//! SQLite file, driven over HTTP. [`both_backends!`] runs a test on each.

use std::net::SocketAddr;

use awc::http::Method;
use awc::{Client, ClientRequest};
use clap::Parser;
use serde_json::{Value, json};
use usergate_server::config::Command;
use usergate_server::{Cli, Running, ServeArgs};
use usergate_store::testdb::TestDb;

pub mod console;
pub mod smtp;
pub mod transfer;

/// The bootstrap admin of every test server.
pub const ADMIN_EMAIL: &str = "admin@usergate.test";
/// Its password.
pub const ADMIN_PASSWORD: &str = "admin password 0001";
/// A signing secret tests can use to forge tokens.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

/// Runs each `async fn name(kind) { ... }` as two tests, `name::postgres` and `name::sqlite`,
/// with `kind` the backend's name.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($kind:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($kind: &'static str) $body
            #[actix_web::test]
            async fn postgres() { run("postgres").await }
            #[actix_web::test]
            async fn sqlite() { run("sqlite").await }
        }
    )*};
}

/// A running server and its database.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The Domo listener, with `--domo-listen`.
    pub domo_addr: Option<SocketAddr>,
    /// The metrics listener, with `--metrics-listen`.
    pub metrics_addr: Option<SocketAddr>,
    running: Option<Running>,
    db: TestDb,
    /// An HTTP client.
    pub client: Client,
}

/// Options for [`TestApp::spawn_with`]: extra `serve` flags.
pub type Flags<'a> = &'a [&'a str];

impl TestApp {
    /// A server with generous limits on a fresh database of `kind`.
    pub async fn spawn(kind: &str) -> Self {
        Self::spawn_with(kind, &[]).await
    }

    /// A server with extra `serve` flags (later flags win).
    pub async fn spawn_with(kind: &str, flags: Flags<'_>) -> Self {
        let db = TestDb::of(kind);
        let running = usergate_server::start(serve_args(db.url(), flags), false)
            .await
            .unwrap_or_else(|e| panic!("usergate did not start on {kind}: {e}"));
        TestApp {
            addr: running.addr,
            domo_addr: running.domo_addr,
            metrics_addr: running.metrics_addr,
            running: Some(running),
            db,
            client: client(),
        }
    }

    /// A server whose mail goes to `sink` (links under `http://usergate.test`, SMTP steps
    /// bounded to two seconds), with extra flags.
    pub async fn spawn_with_mail(kind: &str, sink: &smtp::SmtpSink, flags: Flags<'_>) -> Self {
        let url = sink.url();
        let mut all = vec![
            "--smtp-url",
            url.as_str(),
            "--public-url",
            "http://usergate.test",
            "--mail-from",
            "usergate <no-reply@usergate.test>",
            "--smtp-timeout",
            "2s",
        ];
        all.extend_from_slice(flags);
        Self::spawn_with(kind, &all).await
    }

    /// A second instance on the same database (as several instances behind a load balancer).
    pub async fn another_instance(&self) -> Running {
        self.another_instance_with(&[]).await
    }

    /// A second instance on the same database, with extra `serve` flags.
    pub async fn another_instance_with(&self, flags: Flags<'_>) -> Running {
        usergate_server::start(serve_args(self.db.url(), flags), false)
            .await
            .unwrap_or_else(|e| panic!("second instance did not start: {e}"))
    }

    /// The database URL.
    pub fn db_url(&self) -> &str {
        self.db.url()
    }

    /// `http://addr/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request, with a bearer token if given.
    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> ClientRequest {
        request_to(&self.client, self.addr, method, path, token)
    }

    /// Sends a JSON body; returns status, headers and the parsed body (`null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        call_at(&self.client, self.addr, method, path, token, body).await
    }

    /// A token for these credentials (panics unless 200).
    pub async fn token(&self, email: &str, password: &str) -> String {
        let r = self.login(email, password).await;
        assert_eq!(r.status, 200, "login of {email}: {}", r.body);
        r.body["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned()
    }

    /// The raw answer of the token endpoint.
    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.call(
            Method::POST,
            "/api/auth/token",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    /// The bootstrap admin's token.
    pub async fn admin_token(&self) -> String {
        self.token(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Creates a user through the email-keyed dialect (panics unless 201).
    pub async fn create_user(&self, token: &str, email: &str, password: &str) {
        let r = self
            .call(
                Method::POST,
                "/api/users",
                Some(token),
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(r.status, 201, "create {email}: {}", r.body);
    }

    /// Creates an admin: a user, then promoted.
    pub async fn create_admin(&self, token: &str, email: &str, password: &str) {
        self.create_user(token, email, password).await;
        let r = self
            .call(
                Method::PUT,
                &format!("/api/users/{email}"),
                Some(token),
                Some(json!({"type": "Admin"})),
            )
            .await;
        assert_eq!(r.status, 204, "promote {email}: {}", r.body);
    }

    /// A DreamFactory session token of the bootstrap admin.
    pub async fn df_admin_session(&self) -> String {
        self.df_admin_session_of(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// A DreamFactory session token of an admin (panics unless the login succeeds).
    pub async fn df_admin_session_of(&self, email: &str, password: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/api/v2/system/admin/session",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        r.body["session_token"]
            .as_str()
            .unwrap_or_else(|| panic!("admin session: {}", r.body))
            .to_owned()
    }

    /// A request with the token in `X-DreamFactory-Session-Token`, as DreamFactory's clients
    /// send it.
    pub async fn df_call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        self.call_with(
            ("X-DreamFactory-Session-Token", token.to_owned()),
            method,
            path,
            body,
        )
        .await
    }

    /// A request with one extra header (a credential), and an optional JSON body.
    pub async fn call_with(
        &self,
        header: (&str, String),
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let req = self.req(method, path, None).insert_header(header);
        let res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        };
        Reply::read(res.unwrap_or_else(|e| panic!("request to {path} failed: {e}"))).await
    }

    /// A machine credential owned by `owner`, made as the operator's CLI makes one.
    fn credential(
        &self,
        kind: usergate_core::machine::CredentialKind,
        owner: &str,
        scopes: &[&str],
        expires_in: Option<std::time::Duration>,
    ) -> usergate_core::machine::Issued {
        let core = usergate_server::commands::operator_core_at(
            self.db.url(),
            usergate_core::PasswordPolicy::default(),
        )
        .expect("operator core");
        core.users
            .create_credential(
                &usergate_core::Actor::system(usergate_core::Channel::Cli),
                usergate_core::machine::NewCredential {
                    kind,
                    owner: usergate_core::UserKey::Email(
                        usergate_core::Email::parse(owner).expect("owner email"),
                    ),
                    name: None,
                    scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                    expires_in,
                },
            )
            .expect("credential")
    }

    /// A Domo OAuth client owned by `owner`: `(client_id, client_secret)`.
    pub fn domo_client(&self, owner: &str, scopes: &[&str]) -> (String, String) {
        let issued = self.credential(
            usergate_core::machine::CredentialKind::OAuthClient,
            owner,
            scopes,
            None,
        );
        (issued.credential.id, issued.secret)
    }

    /// An API key of the generic dialect owned by `owner` (`expires_in`: optional lifetime).
    pub fn api_key(&self, owner: &str, expires_in: Option<std::time::Duration>) -> String {
        let issued = self.credential(
            usergate_core::machine::CredentialKind::ApiKey,
            owner,
            &[],
            expires_in,
        );
        usergate_core::machine::api_key(&issued)
    }

    /// An API key of the SCIM dialect owned by `owner`.
    pub fn scim_key(&self, owner: &str) -> String {
        let issued = self.credential(
            usergate_core::machine::CredentialKind::ApiKey,
            owner,
            &["scim"],
            None,
        );
        usergate_core::machine::api_key(&issued)
    }

    /// A Domo access token for a client (`GET /domo/oauth/token`, every scope of the client).
    pub async fn domo_token(&self, id: &str, secret: &str) -> String {
        let r = self
            .req(
                Method::GET,
                "/domo/oauth/token?grant_type=client_credentials",
                None,
            )
            .basic_auth(id, secret)
            .send()
            .await
            .expect("token request");
        let r = Reply::read(r).await;
        assert_eq!(r.status, 200, "token: {}", r.body);
        r.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// A request with a Domo bearer token (lower-case scheme, as pydomo sends it).
    pub async fn domo_call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        self.call_with(
            ("Authorization", format!("bearer {token}")),
            method,
            path,
            body,
        )
        .await
    }

    /// Stops the server (the database is dropped when the app is).
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// Every audit event in the database at `url`, oldest first, as the operator reads them.
pub fn audit_events(url: &str) -> Vec<usergate_core::audit::AuditEvent> {
    use usergate_core::audit::AuditQuery;
    use usergate_core::ports::{AuditFilter, Cursor};
    let core =
        usergate_server::commands::operator_core_at(url, usergate_core::PasswordPolicy::default())
            .expect("operator core");
    let operator = usergate_core::Actor::system(usergate_core::Channel::Cli);
    let mut all = Vec::new();
    loop {
        let query = AuditQuery {
            filter: AuditFilter::default(),
            cursor: Cursor::After(
                all.last()
                    .map_or(0, |e: &usergate_core::audit::AuditEvent| e.id),
            ),
            limit: 500,
        };
        let page = core.audit.list(&operator, &query).expect("audit events");
        let done = page.len() < 500;
        all.extend(page);
        if done {
            return all;
        }
    }
}

/// An HTTP client with a generous timeout.
pub fn client() -> Client {
    Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .finish()
}

/// A request to `addr`.
pub fn request_to(
    client: &Client,
    addr: SocketAddr,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> ClientRequest {
    let req = client.request(method, format!("http://{addr}{path}"));
    match token {
        Some(t) => req.insert_header(("Authorization", format!("Bearer {t}"))),
        None => req,
    }
}

/// Sends a request to `addr` and reads the whole answer.
pub async fn call_at(
    client: &Client,
    addr: SocketAddr,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let req = request_to(client, addr, method, path, token);
    let res = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    };
    Reply::read(res.unwrap_or_else(|e| panic!("request to {path} failed: {e}"))).await
}

/// A whole answer.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: awc::http::header::HeaderMap,
    /// The body as JSON (`null` when empty; a string when not JSON).
    pub body: Value,
}

impl Reply {
    /// Reads a response.
    pub async fn read<S>(mut res: awc::ClientResponse<S>) -> Self
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    {
        let bytes = res.body().limit(8 << 20).await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body,
        }
    }

    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The `serve` settings of a test server on `url`, with extra flags.
pub fn serve_args(url: &str, flags: Flags<'_>) -> ServeArgs {
    let mut argv = vec![
        "usergate",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        url,
        "--admin-email",
        ADMIN_EMAIL,
        "--admin-password",
        ADMIN_PASSWORD,
        "--jwt-secret",
        JWT_SECRET,
        "--anon-rate-limit",
        "100000/60s",
        "--login-throttle",
        "100000/60s",
        "--login-throttle-address",
        "100000/60s",
        "--workers",
        "2",
        "--db-pool-size",
        "8",
        "--shutdown-drain",
        "0s",
    ];
    argv.extend_from_slice(flags);
    match Cli::try_parse_from(argv).map(|c| c.command) {
        Ok(Command::Serve(args)) => *args,
        other => panic!("bad test flags: {other:?}"),
    }
}

/// The Python of the test virtual environment (pydomo, aiosmtpd), which `scripts/test` creates
/// from `tests/python/requirements.txt`. `USERGATE_TEST_PYTHON` overrides it.
pub fn test_python() -> std::path::PathBuf {
    let path = std::env::var_os("USERGATE_TEST_PYTHON").map_or_else(
        || {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/test-venv/bin/python")
        },
        std::path::PathBuf::from,
    );
    assert!(
        path.exists(),
        "no test Python at {}: run scripts/test, which creates the virtual environment from \
         tests/python/requirements.txt (or set USERGATE_TEST_PYTHON)",
        path.display()
    );
    path
}
