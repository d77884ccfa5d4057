//! `usergate audit ...`: read, follow, export and prune the audit log.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDateTime;
use clap::{Args, Subcommand};

use super::DbArgs;
use super::values::{parse_ttl, parse_ttl_or_zero};

/// `usergate audit`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Print events, newest first.
    List(AuditListArgs),
    /// Print the latest events, then each new one as it is written, until interrupted.
    Tail(AuditTailArgs),
    /// Write every matching event, oldest first, as JSON Lines (to a file or standard output).
    Export(AuditExportArgs),
    /// Delete events older than the retention now (the server also does it hourly).
    Prune(AuditPruneArgs),
}

/// Which events (every filter is exact).
#[derive(Debug, Args, Clone, Default)]
pub struct AuditFilterArgs {
    /// Events at or after this time (ISO 8601 with an offset: 2026-12-05T10:00:00Z).
    #[arg(long, value_parser = parse_time)]
    pub since: Option<NaiveDateTime>,
    /// Events before this time (ISO 8601 with an offset).
    #[arg(long, value_parser = parse_time)]
    pub until: Option<NaiveDateTime>,
    /// The actor's user id, address, or credential id.
    #[arg(long)]
    pub actor: Option<String>,
    /// user, group, api_key, oauth_client or webhook.
    #[arg(long)]
    pub target_type: Option<String>,
    /// The target's id (a user's number).
    #[arg(long)]
    pub target_id: Option<String>,
    /// An action, such as user.role_change.
    #[arg(long)]
    pub action: Option<String>,
    /// success or failure.
    #[arg(long)]
    pub outcome: Option<String>,
}

/// `usergate audit list`.
#[derive(Debug, Args)]
pub struct AuditListArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Which events.
    #[command(flatten)]
    pub filter: AuditFilterArgs,
    /// How many, newest first (1 to 500).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,
    /// Print JSON Lines instead of aligned lines.
    #[arg(long, env = "USERGATE_OUTPUT_JSON")]
    pub json: bool,
}

/// `usergate audit tail`.
#[derive(Debug, Args)]
pub struct AuditTailArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Which events.
    #[command(flatten)]
    pub filter: AuditFilterArgs,
    /// How many of the latest to print first.
    #[arg(long, default_value_t = 10)]
    pub last: u32,
    /// How often to look for new events.
    #[arg(long, default_value = "1s", value_parser = parse_ttl)]
    pub interval: Duration,
    /// Print JSON Lines instead of aligned lines.
    #[arg(long, env = "USERGATE_OUTPUT_JSON")]
    pub json: bool,
}

/// `usergate audit export`.
#[derive(Debug, Args)]
pub struct AuditExportArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Which events.
    #[command(flatten)]
    pub filter: AuditFilterArgs,
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// `usergate audit prune`.
#[derive(Debug, Args)]
pub struct AuditPruneArgs {
    /// The database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Keep events younger than this (400d, 90d, 12h ...).
    #[arg(long, env = "USERGATE_AUDIT_RETENTION", default_value = "400d", value_parser = parse_ttl_or_zero)]
    pub older_than: Duration,
}

/// An ISO 8601 time with an offset, as UTC.
fn parse_time(s: &str) -> Result<NaiveDateTime, String> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.naive_utc())
        .map_err(|_| {
            format!("{s:?} is not an ISO 8601 time with an offset, such as 2026-12-05T10:00:00Z")
        })
}
