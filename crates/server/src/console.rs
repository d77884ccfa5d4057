//! The admin console's state: its settings from `serve`'s flags, the webhook test message
//! sent the way the dispatcher sends (its client, signing, destination checks and timeout), and
//! imports run by `usergate import`'s own code.

use std::sync::Arc;

use clap::ValueEnum as _;
use usergate_console as console;
use usergate_core::import::Rejection;
use usergate_core::ports::Tally;
use usergate_core::{Actor, Core};
use usergate_web::TokenService;

use crate::StartError;
use crate::config::{ConflictMode, ImportFormat, RoleArg, ServeArgs};
use crate::transfer::{self, DEFAULT_BATCH, Job, Progression};

/// The console's imports: `transfer::run`, reporting to the page's job.
struct Imports;

struct Relay<'a>(&'a dyn console::ImportProgress);

impl Progression for Relay<'_> {
    fn started(&mut self, _: &Tally) -> Result<(), StartError> {
        Ok(())
    }

    fn batch(
        &mut self,
        bytes: u64,
        done: &Tally,
        rejected: &[Rejection],
    ) -> Result<(), StartError> {
        self.0.batch(bytes, done, rejected);
        Ok(())
    }
}

impl console::Importer for Imports {
    fn run(
        &self,
        core: &Core,
        actor: &Actor,
        job: &console::ImportJob,
        progress: &dyn console::ImportProgress,
    ) -> Result<console::ImportRan, String> {
        let format = match job.format.as_deref() {
            Some(f) => {
                ImportFormat::from_str(f, true).map_err(|_| format!("unknown format {f:?}"))?
            }
            None => ImportFormat::from_path(std::path::Path::new(&job.name)).ok_or_else(|| {
                format!(
                    "cannot tell the format of {} from its name: choose one",
                    job.name
                )
            })?,
        };
        let on_conflict = ConflictMode::from_str(&job.on_conflict, true)
            .map_err(|_| format!("unknown conflict mode {:?}", job.on_conflict))?;
        let role = RoleArg::from_str(&job.role, true)
            .map_err(|_| format!("unknown role {:?}", job.role))?;
        let run = Job {
            file: &job.file,
            format,
            dry_run: job.dry_run,
            on_conflict,
            role,
            hashes: None,
            batch_size: DEFAULT_BATCH,
        };
        transfer::run(&core.users, actor, &run, &mut Relay(progress))
            .map(|ran| console::ImportRan {
                tally: ran.tally,
                already: ran.already,
            })
            .map_err(|e| e.to_string())
    }
}

/// The console's state, when it is on.
pub fn state(core: &Core, tokens: &Arc<TokenService>, args: &ServeArgs) -> Option<console::State> {
    let c = &args.console;
    if !c.enabled {
        return None;
    }
    let (timeout, allow_private) = (args.webhook_timeout, args.webhook_allow_private);
    let tester: console::WebhookTester = Arc::new(move |endpoint| {
        Box::pin(async move {
            let client = crate::webhooks::client(timeout);
            crate::webhooks::send_test(&client, &endpoint, allow_private).await
        })
    });
    Some(console::State {
        core: core.clone(),
        tokens: tokens.clone(),
        settings: console::Settings {
            secure_cookies: !c.insecure_cookies,
            idle_timeout: c.console_idle_timeout,
            lifetime: c.console_session_lifetime.max(c.console_idle_timeout),
            upload_limit: c.console_upload_limit as u64,
        },
        tester,
        importer: Arc::new(Imports),
    })
}
