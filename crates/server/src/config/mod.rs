//! The command line: every flag also read from a `USERGATE_*` variable.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use usergate_core::throttle::Rate;

mod audit;
mod console;
mod values;
mod webhooks;

pub use audit::{
    AuditCommand, AuditExportArgs, AuditFilterArgs, AuditListArgs, AuditPruneArgs, AuditTailArgs,
};
pub use webhooks::{
    WebhookAttemptsArgs, WebhookCreateArgs, WebhookIdArgs, WebhookListArgs, WebhookTestArgs,
    WebhookUpdateArgs, WebhooksCommand,
};

pub use console::ConsoleArgs;
use usergate_core::webhooks::RetrySchedule;
pub use values::parse_size;
use values::{parse_origin, parse_schedule, parse_ttl, parse_ttl_or_zero};

/// usergate: one store of users, several user-management API dialects.
#[derive(Debug, Parser)]
#[command(
    name = "usergate",
    version,
    about = "One store of users, served to clients written for DreamFactory's System API, Domo's Users API, a generic /v1/users REST API and an email-keyed /api/users API, all at once.",
    long_about = "One store of users, served to clients written for DreamFactory's System API, Domo's Users API, a generic /v1/users REST API and an email-keyed /api/users API, all at once.\n\nStart with `usergate serve` (an SQLite file usergate.db here, http://127.0.0.1:8080, Swagger UI at /docs/); `usergate serve --help` lists its settings.",
    args_override_self = true
)]
pub struct Cli {
    /// Log format.
    #[arg(long, env = "USERGATE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run migrations, create the first admin if there is none, and serve every dialect.
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Manage admins.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage Domo OAuth clients (machine credentials acting as their owner).
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Manage API keys of the generic `/v1` dialect (acting as their owner).
    #[command(subcommand, name = "api-keys")]
    ApiKeys(ApiKeysCommand),
    /// Import users from a file: core's CSV or JSON Lines, or a listing saved from DreamFactory
    /// or Domo. Exits 0 when every record was imported (or skipped), 2 when some were rejected
    /// (listed in the report), 1 on an error that stopped the import (run it again to resume).
    Import(ImportArgs),
    /// Export users to core's CSV or JSON Lines format (what `import` reads back).
    Export(ExportArgs),
    /// Read the audit log: every change of state, who made it, from where.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage webhook endpoints: signed notifications of every change, delivered with retries.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// Print a dialect's OpenAPI document (JSON) to standard output.
    Openapi {
        /// The dialect.
        #[arg(value_enum)]
        dialect: Dialect,
    },
}

/// `usergate import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The file to import.
    pub file: std::path::PathBuf,
    /// Its format (default: from its extension, `.csv` or `.jsonl`/`.ndjson`).
    #[arg(long, value_enum)]
    pub format: Option<ImportFormat>,
    /// Check the whole file and print what would happen, writing nothing to the database.
    #[arg(long)]
    pub dry_run: bool,
    /// What to do with a record whose email a user already has: keep the user (`skip`), change
    /// it to the record (`update`), or reject the record (`fail`).
    #[arg(long, value_enum, default_value_t = ConflictMode::Fail)]
    pub on_conflict: ConflictMode,
    /// The role of users whose record names none: every user of a DreamFactory listing (say
    /// `admin` for a `/system/admin` listing), CSV/JSONL records without a role.
    #[arg(long, value_enum, default_value_t = RoleArg::User)]
    pub role: RoleArg,
    /// For DreamFactory and Domo listings (which carry no passwords): a CSV with `email` and
    /// `password_hash` (or `password`) columns, the hashes taken from the old database.
    #[arg(long)]
    pub hashes: Option<std::path::PathBuf>,
    /// Where to list rejected records (CSV: line, email, field, reason). Default: the file's
    /// name followed by `.rejected.csv`.
    #[arg(long)]
    pub report: Option<std::path::PathBuf>,
    /// Records per transaction (each batch commits with the import's checkpoint).
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
}

/// The formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Core's CSV (a header row naming the columns).
    Csv,
    /// Core's JSON Lines (one object a line).
    Jsonl,
    /// A saved `GET /api/v2/system/user` (or `/system/admin`) response: `{"resource":[...]}`.
    Dreamfactory,
    /// A saved Domo `GET /v1/users` response: an array of users.
    Domo,
}

impl ImportFormat {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            ImportFormat::Csv => "csv",
            ImportFormat::Jsonl => "jsonl",
            ImportFormat::Dreamfactory => "dreamfactory",
            ImportFormat::Domo => "domo",
        }
    }

    /// The format a file's extension names, if any (`.json` could be either listing).
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        match ExportFormat::from_path(path)? {
            ExportFormat::Csv => Some(ImportFormat::Csv),
            ExportFormat::Jsonl => Some(ImportFormat::Jsonl),
        }
    }
}

/// `--on-conflict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConflictMode {
    /// Keep the existing user.
    Skip,
    /// Change the existing user to the record's values.
    Update,
    /// Reject the record.
    Fail,
}

/// A core role, as `--role` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Manages users.
    Admin,
    /// Privileged.
    Privileged,
    /// Editor.
    Editor,
    /// An ordinary user.
    User,
    /// Read-only.
    Viewer,
}

impl From<RoleArg> for usergate_core::Role {
    fn from(r: RoleArg) -> Self {
        use usergate_core::Role;
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Privileged => Role::Privileged,
            RoleArg::Editor => Role::Editor,
            RoleArg::User => Role::User,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

/// `usergate export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The file to write (created readable by its owner only); default: standard output.
    #[arg(long, short)]
    pub output: Option<std::path::PathBuf>,
    /// The format (default: from the output's extension, else CSV).
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Also soft-deleted users (with their `deleted_at`).
    #[arg(long)]
    pub include_deleted: bool,
    /// Also password hashes (only to a file given with `--output`).
    #[arg(long)]
    pub include_password_hashes: bool,
}

/// The formats `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Core's CSV.
    Csv,
    /// Core's JSON Lines.
    Jsonl,
}

impl ExportFormat {
    /// The format a file's extension names, if any.
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(ExportFormat::Csv),
            "jsonl" | "ndjson" => Some(ExportFormat::Jsonl),
            _ => None,
        }
    }
}

/// `usergate admin ...`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an active admin; prints `id:`, `email:` and, when generated, `password:`.
    Create(AdminCreateArgs),
}

/// `usergate clients ...`.
#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Create an OAuth client owned by a user; prints `id:`, `client_id:` and `client_secret:`
    /// (shown once).
    Create(ClientCreateArgs),
    /// List the OAuth clients (never their secrets).
    List(ClientListArgs),
    /// Revoke an OAuth client: its tokens stop working at once.
    Revoke(ClientRevokeArgs),
}

/// `usergate api-keys ...`.
#[derive(Debug, Subcommand)]
pub enum ApiKeysCommand {
    /// Create an API key owned by a user; prints `id:` and `api_key:` (shown once).
    Create(ApiKeyCreateArgs),
    /// List the API keys (never the keys themselves).
    List(ClientListArgs),
    /// Revoke an API key: it stops working at once.
    Revoke(ClientRevokeArgs),
}

/// `usergate api-keys create`.
#[derive(Debug, Args)]
pub struct ApiKeyCreateArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The owner's email: the key acts with the owner's current role and status.
    #[arg(long)]
    pub owner: String,
    /// The dialect the key is for: `generic` (`/v1/users`) or `scim` (`/scim/v2`, what an
    /// identity provider pastes as its secret token). A key is refused by every other dialect.
    #[arg(long, value_enum, default_value_t = KeyDialectArg::Generic)]
    pub dialect: KeyDialectArg,
    /// A label for people.
    #[arg(long)]
    pub name: Option<String>,
    /// Lifetime (`90d`, `12h`); without it the key works until revoked.
    #[arg(long, value_parser = parse_ttl)]
    pub expires_in: Option<Duration>,
    /// Print one JSON object instead of `key: value` lines.
    #[arg(long, env = "USERGATE_OUTPUT_JSON")]
    pub json: bool,
}

/// The dialects an API key can be for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyDialectArg {
    /// The generic `/v1/users` dialect.
    Generic,
    /// SCIM 2.0 at `/scim/v2`.
    Scim,
}

impl From<KeyDialectArg> for usergate_core::machine::KeyDialect {
    fn from(d: KeyDialectArg) -> Self {
        match d {
            KeyDialectArg::Generic => usergate_core::machine::KeyDialect::Generic,
            KeyDialectArg::Scim => usergate_core::machine::KeyDialect::Scim,
        }
    }
}

/// `usergate clients create`.
#[derive(Debug, Args)]
pub struct ClientCreateArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The owner's email: the client acts with the owner's current role and status.
    #[arg(long)]
    pub owner: String,
    /// A scope the client may ask for (repeat for several): account, audit, buzz, dashboard,
    /// data, user. The Users API needs `user`.
    #[arg(long = "scope", default_values_t = vec!["user".to_owned()])]
    pub scopes: Vec<String>,
    /// A label for people.
    #[arg(long)]
    pub name: Option<String>,
    /// Print one JSON object instead of `key: value` lines.
    #[arg(long, env = "USERGATE_OUTPUT_JSON")]
    pub json: bool,
}

/// `usergate clients list`, `usergate api-keys list`.
#[derive(Debug, Args)]
pub struct ClientListArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Print a JSON array instead of lines.
    #[arg(long, env = "USERGATE_OUTPUT_JSON")]
    pub json: bool,
}

/// `usergate clients revoke`, `usergate api-keys revoke`.
#[derive(Debug, Args)]
pub struct ClientRevokeArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The client's or key's id (as `list` shows it).
    pub id: String,
}

/// `usergate admin create`.
#[derive(Debug, Args)]
pub struct AdminCreateArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The new admin's email.
    #[arg(long, env = "USERGATE_NEW_ADMIN_EMAIL")]
    pub email: String,
    /// The password (else one is generated and printed once). Prefer the variable to the flag:
    /// flags show in process listings.
    #[arg(long, env = "USERGATE_NEW_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Print one JSON object instead of `key: value` lines.
    #[arg(long, env = "USERGATE_OUTPUT_JSON")]
    pub json: bool,
}

/// The dialects with an OpenAPI document.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Dialect {
    /// The email-keyed `/api/users` dialect.
    EmailKeyed,
    /// The DreamFactory System API (`/api/v2`).
    Dreamfactory,
    /// Domo's token endpoint and Users API (`/domo`).
    Domo,
    /// The generic `/v1/users` REST API.
    Generic,
    /// SCIM 2.0 (`/scim/v2`).
    Scim,
}

/// Log line format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// `postgres://...` selects PostgreSQL; anything else is an SQLite file path
    /// (`DATABASE_URL` is read too; this one wins). Default: `usergate.db`.
    #[arg(long, env = "USERGATE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl DbArgs {
    /// The URL in force: the flag or `USERGATE_DATABASE_URL`, else `DATABASE_URL`, else
    /// `usergate.db` in the working directory.
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "usergate.db".to_owned())
    }
}

/// `usergate serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "USERGATE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Email of the admin created on first start.
    #[arg(
        long,
        env = "USERGATE_ADMIN_EMAIL",
        default_value = "admin@usergate.local"
    )]
    pub admin_email: String,
    /// Password of the admin created on first start (else generated and printed once).
    #[arg(long, env = "USERGATE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// HS256 signing secret, at least 32 bytes (else generated once and kept in the database,
    /// so that every instance on one database agrees).
    #[arg(long, env = "USERGATE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Minimum password length, in characters.
    #[arg(long, env = "USERGATE_PASSWORD_MIN_LENGTH", default_value_t = 10)]
    pub password_min_length: usize,
    /// Requests without a valid credential, per client address, as `count/window` (window in
    /// `s`, `m` or `h`: `10/60s`, `100/1m`).
    #[arg(long, env = "USERGATE_ANON_RATE_LIMIT", default_value = "10/60s")]
    pub anon_rate_limit: Rate,
    /// Failed logins per account before logins for it are refused (429) for the window
    /// (`count/window`).
    #[arg(long, env = "USERGATE_LOGIN_THROTTLE", default_value = "5/300s")]
    pub login_throttle: Rate,
    /// Failed logins per client address before its logins are refused (429) for the window
    /// (`count/window`).
    #[arg(
        long,
        env = "USERGATE_LOGIN_THROTTLE_ADDRESS",
        default_value = "20/300s"
    )]
    pub login_throttle_address: Rate,
    /// Request body cap (`262144`, `256KiB`, `1MiB`).
    #[arg(long, env = "USERGATE_MAX_BODY", default_value = "256KiB", value_parser = parse_size)]
    pub max_body: usize,
    /// A browser origin (`https://app.example.com`) whose pages may call usergate (CORS);
    /// repeat, or separate with commas, for several; `*` for any origin. None by default: no
    /// CORS header is sent.
    #[arg(
        long = "cors-allow-origin",
        env = "USERGATE_CORS_ALLOW_ORIGIN",
        value_delimiter = ',',
        value_parser = parse_origin
    )]
    pub cors_allow_origins: Vec<String>,
    /// Let those origins' pages send cookies and HTTP authentication
    /// (`Access-Control-Allow-Credentials`); not with `*`.
    #[arg(long, env = "USERGATE_CORS_ALLOW_CREDENTIALS")]
    pub cors_allow_credentials: bool,
    /// Lifetime of email-keyed tokens (`3600s`, `60m`, `1h`).
    #[arg(long, env = "USERGATE_EMAIL_KEYED_TOKEN_TTL", default_value = "3600s", value_parser = parse_ttl)]
    pub email_keyed_token_ttl: Duration,
    /// Lifetime of DreamFactory session tokens.
    #[arg(long, env = "USERGATE_DREAMFACTORY_TOKEN_TTL", default_value = "24h", value_parser = parse_ttl)]
    pub dreamfactory_token_ttl: Duration,
    /// How long after expiry a DreamFactory session token can still be refreshed.
    #[arg(long, env = "USERGATE_DREAMFACTORY_REFRESH_TTL", default_value = "14d", value_parser = parse_ttl_or_zero)]
    pub dreamfactory_refresh_ttl: Duration,
    /// Lifetime of Domo access tokens.
    #[arg(long, env = "USERGATE_DOMO_TOKEN_TTL", default_value = "3600s", value_parser = parse_ttl)]
    pub domo_token_ttl: Duration,
    /// Also serve the Domo dialect at the root of this address (for Domo's Java SDK, which
    /// keeps only the host and port of its API address).
    #[arg(long, env = "USERGATE_DOMO_LISTEN")]
    pub domo_listen: Option<SocketAddr>,
    /// A directory holding an operator's copy of DreamFactory's admin web app (its `dist`),
    /// served at `/dreamfactory/dist/`. Off by default.
    #[arg(long, env = "USERGATE_DREAMFACTORY_ADMIN_APP")]
    pub dreamfactory_admin_app: Option<std::path::PathBuf>,
    /// On SIGTERM, how long `/readyz` answers 503 before the server stops taking requests.
    #[arg(long, env = "USERGATE_SHUTDOWN_DRAIN", default_value = "5s", value_parser = parse_ttl_or_zero)]
    pub shutdown_drain: Duration,
    /// Keep every rate limit in this Redis (`redis://host:6379/0`), shared by every instance
    /// that names it; without it, each instance counts on its own.
    #[arg(long, env = "USERGATE_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// How many instances share the limits: while Redis is away, each instance allows the
    /// login limits divided by this (the anonymous limit stays whole).
    #[arg(long, env = "USERGATE_INSTANCES_HINT", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub instances_hint: u32,
    /// Serve Prometheus metrics at /metrics on this address (off by default; never on the
    /// public listeners).
    #[arg(long, env = "USERGATE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// How long audit events are kept (pruned hourly by one instance; 0 keeps them for ever).
    #[arg(long, env = "USERGATE_AUDIT_RETENTION", default_value = "400d", value_parser = parse_ttl_or_zero)]
    pub audit_retention: Duration,
    /// Upper bound of one webhook delivery (a 2xx within it succeeds).
    #[arg(long, env = "USERGATE_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_ttl)]
    pub webhook_timeout: Duration,
    /// Waits between a failed webhook delivery and its retries (comma-separated); after the
    /// last retry fails the endpoint is disabled.
    #[arg(long, env = "USERGATE_WEBHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", value_parser = parse_schedule)]
    pub webhook_retry_schedule: RetrySchedule,
    /// Let webhooks go to loopback, private and link-local addresses (cloud metadata too).
    #[arg(long, env = "USERGATE_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// Mail (invitations, password resets).
    #[command(flatten)]
    pub mail: MailArgs,
    /// The admin console.
    #[command(flatten)]
    pub console: ConsoleArgs,
    /// Password hashes computed at once (default: the number of cores).
    #[arg(long, env = "USERGATE_HASH_CONCURRENCY")]
    pub hash_concurrency: Option<usize>,
    /// Keep credentials checked recently in memory, so that a request whose credential was
    /// checked since the database last changed reads nothing to authenticate, and keep the
    /// exact totals of searches while no user changes. Changes made through this instance apply
    /// at once; changes made elsewhere (another instance, the CLI) within about 10 ms. `false`
    /// reads the database on every request and counts every total.
    #[arg(long, env = "USERGATE_CREDENTIAL_CACHE", default_value_t = true, action = clap::ArgAction::Set)]
    pub credential_cache: bool,
    /// Database connections in the pool (default: 16 on PostgreSQL, 8 on SQLite).
    #[arg(long, env = "USERGATE_DB_POOL_SIZE")]
    pub db_pool_size: Option<u32>,
    /// HTTP worker threads (default: the number of cores).
    #[arg(long, env = "USERGATE_WORKERS")]
    pub workers: Option<usize>,
    /// PostgreSQL: read one user (a GET by id or address) on the HTTP worker, on a connection
    /// each worker keeps, instead of on the blocking pool, as SQLite always does. Faster when
    /// PostgreSQL is on the same host (1,000,000 users, 2 cores: 1.35x); slower when each round
    /// trip is long, since the worker waits for it instead of serving other requests.
    #[arg(long, env = "USERGATE_PG_READS_ON_WORKERS", default_value_t = false, action = clap::ArgAction::Set)]
    pub pg_reads_on_workers: bool,
}

/// Mail settings of `serve`.
#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// SMTP server: `smtp://user:pass@host:587` (STARTTLS required), `smtps://...` (TLS), or
    /// `smtp://127.0.0.1:1025` (loopback: no TLS). Unset: mail is off and invitations are
    /// refused.
    #[arg(long, env = "USERGATE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The `From` of every mail.
    #[arg(
        long,
        env = "USERGATE_MAIL_FROM",
        default_value = "usergate <no-reply@usergate.local>"
    )]
    pub mail_from: String,
    /// The server's public base URL, for links in mails (default: `http://` + the listen
    /// address).
    #[arg(long, env = "USERGATE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// How long an invitation code works.
    #[arg(long, env = "USERGATE_INVITE_TTL", default_value = "7d", value_parser = parse_ttl_or_zero)]
    pub invite_ttl: Duration,
    /// How long a password-reset code works.
    #[arg(long, env = "USERGATE_RESET_TTL", default_value = "1h", value_parser = parse_ttl_or_zero)]
    pub reset_ttl: Duration,
    /// Upper bound for each step of an SMTP exchange (a slow server holds a request at most
    /// about this long per step).
    #[arg(long, env = "USERGATE_SMTP_TIMEOUT", default_value = "10s", value_parser = parse_ttl)]
    pub smtp_timeout: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults_match_the_design() {
        let cli = Cli::try_parse_from(["usergate", "serve"]).expect("parse");
        let Command::Serve(args) = cli.command else {
            panic!("serve")
        };
        assert_eq!(args.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(args.max_body, 262_144);
        assert_eq!(args.email_keyed_token_ttl, Duration::from_secs(3600));
        assert_eq!(args.anon_rate_limit, Rate::new(10, Duration::from_secs(60)));
    }
}
