//! `usergate webhooks ...`: manage webhook endpoints.

use clap::{Args, Subcommand};

use super::DbArgs;

/// `usergate webhooks`.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Add an endpoint; prints its id and signing secret (shown once).
    Create(WebhookCreateArgs),
    /// List the endpoints (never their secrets).
    List(WebhookListArgs),
    /// Change an endpoint: its URL, events, description; enable or disable it.
    Update(WebhookUpdateArgs),
    /// Delete an endpoint with its waiting deliveries.
    Delete(WebhookIdArgs),
    /// Send a `webhook.test` message to an endpoint now and print the answer.
    Test(WebhookTestArgs),
    /// The latest delivery attempts of an endpoint, newest first.
    Attempts(WebhookAttemptsArgs),
}

/// `usergate webhooks create`.
#[derive(Debug, Args)]
pub struct WebhookCreateArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Where deliveries are POSTed (http or https).
    #[arg(long)]
    pub url: String,
    /// Event types, comma-separated (user.created,user.deleted ...), or `*` for all.
    #[arg(long, value_delimiter = ',', required = true)]
    pub events: Vec<String>,
    /// For people.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Print one JSON object instead of `key: value` lines.
    #[arg(long, env = "USERGATE_OUTPUT_JSON")]
    pub json: bool,
}

/// `usergate webhooks list`.
#[derive(Debug, Args)]
pub struct WebhookListArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Print a JSON array instead of lines.
    #[arg(long, env = "USERGATE_OUTPUT_JSON")]
    pub json: bool,
}

/// `usergate webhooks update`.
#[derive(Debug, Args)]
pub struct WebhookUpdateArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The endpoint's id.
    pub id: i64,
    /// A new URL.
    #[arg(long)]
    pub url: Option<String>,
    /// New event types, comma-separated, or `*`.
    #[arg(long, value_delimiter = ',')]
    pub events: Option<Vec<String>>,
    /// A new description.
    #[arg(long)]
    pub description: Option<String>,
    /// Enable it (its waiting deliveries go at once).
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Disable it (deliveries wait).
    #[arg(long)]
    pub disable: bool,
}

/// `usergate webhooks delete`.
#[derive(Debug, Args)]
pub struct WebhookIdArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The endpoint's id.
    pub id: i64,
}

/// `usergate webhooks test`.
#[derive(Debug, Args)]
pub struct WebhookTestArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The endpoint's id.
    pub id: i64,
    /// Let it go to a loopback, private or link-local address.
    #[arg(long, env = "USERGATE_WEBHOOK_ALLOW_PRIVATE")]
    pub allow_private: bool,
}

/// `usergate webhooks attempts`.
#[derive(Debug, Args)]
pub struct WebhookAttemptsArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// The endpoint's id.
    pub id: i64,
    /// How many (1 to 500).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,
    /// Print JSON Lines instead of aligned lines.
    #[arg(long, env = "USERGATE_OUTPUT_JSON")]
    pub json: bool,
}
