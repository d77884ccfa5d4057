//! `usergate`: serve, migrate, create admins, print OpenAPI documents.

use clap::Parser;
use usergate_core::machine::CredentialKind;
use usergate_server::config::{AdminCommand, ApiKeysCommand, ClientsCommand, Command};
use usergate_server::{Cli, commands, telemetry, transfer};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Migrate(db) => commands::migrate(&db),
        Command::Admin(AdminCommand::Create(args)) => commands::admin_create(&args),
        Command::Clients(ClientsCommand::Create(args)) => commands::clients_create(&args),
        Command::Clients(ClientsCommand::List(args)) => {
            commands::list_credentials(&args, CredentialKind::OAuthClient)
        }
        Command::Clients(ClientsCommand::Revoke(args)) => {
            commands::revoke(&args, CredentialKind::OAuthClient)
        }
        Command::ApiKeys(ApiKeysCommand::Create(args)) => commands::api_keys_create(&args),
        Command::ApiKeys(ApiKeysCommand::List(args)) => {
            commands::list_credentials(&args, CredentialKind::ApiKey)
        }
        Command::ApiKeys(ApiKeysCommand::Revoke(args)) => {
            commands::revoke(&args, CredentialKind::ApiKey)
        }
        Command::Import(args) => {
            return match transfer::import(&args) {
                Ok(summary) if summary.tally.rejected > 0 => std::process::ExitCode::from(2),
                Ok(_) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("usergate: {e}");
                    std::process::ExitCode::FAILURE
                }
            };
        }
        Command::Export(args) => transfer::export(&args).map(drop),
        Command::Openapi { dialect } => commands::openapi(dialect).map(|doc| println!("{doc}")),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("usergate: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn serve(args: usergate_server::ServeArgs) -> Result<(), usergate_server::StartError> {
    actix_web::rt::System::new().block_on(async move {
        let running = usergate_server::start(args, true).await?;
        running.wait().await?;
        tracing::info!("stopped");
        Ok(())
    })
}
