//! The `usergate` binary as a library: configuration, the commands, and the server that mounts
//! every dialect. Wiring only: no rule and no SQL lives here.

pub mod app;
pub mod audit_log;
pub mod commands;
pub mod config;
pub mod console;
pub mod docs;
pub mod metrics;
pub mod telemetry;
pub mod transfer;
pub mod webhooks;

pub use app::{Running, StartError, start};
pub use config::{Cli, ServeArgs};
