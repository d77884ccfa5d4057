//! `usergate`: serve, migrate, create admins and credentials, import and export, read the
//! audit log, print OpenAPI documents.

use clap::Parser;
use usergate_core::machine::CredentialKind;
use usergate_server::config::{
    AdminCommand, ApiKeysCommand, AuditCommand, ClientsCommand, Command, WebhooksCommand,
};
use usergate_server::webhooks::cli as webhooks;
use usergate_server::{Cli, audit_log, commands, telemetry, transfer};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format, matches!(cli.command, Command::Serve(_)));
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
        Command::Audit(AuditCommand::List(args)) => audit_log::list(&args),
        Command::Audit(AuditCommand::Tail(args)) => audit_log::tail(&args),
        Command::Audit(AuditCommand::Export(args)) => audit_log::export(&args).map(drop),
        Command::Audit(AuditCommand::Prune(args)) => audit_log::prune(&args),
        Command::Webhooks(WebhooksCommand::Create(args)) => webhooks::create(&args),
        Command::Webhooks(WebhooksCommand::List(args)) => webhooks::list(&args),
        Command::Webhooks(WebhooksCommand::Update(args)) => webhooks::update(&args),
        Command::Webhooks(WebhooksCommand::Delete(args)) => webhooks::delete(&args),
        Command::Webhooks(WebhooksCommand::Test(args)) => webhooks::test(&args),
        Command::Webhooks(WebhooksCommand::Attempts(args)) => webhooks::attempts(&args),
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
