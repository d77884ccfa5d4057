//! The admin console's state: its settings from `serve`'s flags, and the webhook test message
//! sent the way the dispatcher sends (its client, signing, destination checks and timeout).

use std::sync::Arc;

use usergate_console as console;
use usergate_core::Core;
use usergate_web::TokenService;

use crate::config::ServeArgs;

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
        },
        tester,
    })
}
