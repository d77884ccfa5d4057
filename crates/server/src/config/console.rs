//! The admin console's settings of `serve`.

use std::time::Duration;

use clap::Args;

use super::values::{parse_size, parse_ttl};

/// `serve`'s console settings.
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    /// Serve the admin console at /console/ (`false` turns it off).
    #[arg(long = "console", env = "USERGATE_CONSOLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,
    /// Send the console's session cookie over plain HTTP too (not `Secure`). For development on
    /// `http://127.0.0.1` only: behind TLS leave it off.
    #[arg(long, env = "USERGATE_INSECURE_COOKIES")]
    pub insecure_cookies: bool,
    /// A console session ends after this long without a request.
    #[arg(long, env = "USERGATE_CONSOLE_IDLE_TIMEOUT", default_value = "30m", value_parser = parse_ttl)]
    pub console_idle_timeout: Duration,
    /// A console session ends this long after sign-in, however much it is used.
    #[arg(long, env = "USERGATE_CONSOLE_SESSION_LIFETIME", default_value = "12h", value_parser = parse_ttl)]
    pub console_session_lifetime: Duration,
    /// The largest file the console's import page takes (`200MiB`, `1024MiB`); it is streamed
    /// to a temporary file, not held in memory.
    #[arg(long, env = "USERGATE_CONSOLE_UPLOAD_LIMIT", default_value = "200MiB", value_parser = parse_size)]
    pub console_upload_limit: usize,
}
