//! The dialect's OpenAPI document (committed as `openapi/generic.json`).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{audit, error, routes, webhooks, wire};

/// The generic `/v1/users` API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "usergate: generic REST API (/v1)",
        description = "Users over plain REST, the audit log of every change, and webhook endpoints that hear of each. Authenticate with an API key (usergate api-keys create): Authorization: Bearer ugk_..."
    ),
    paths(
        routes::list,
        routes::get,
        routes::create,
        routes::update,
        routes::delete,
        audit::list,
        webhooks::list,
        webhooks::create,
        webhooks::get,
        webhooks::update,
        webhooks::delete,
        webhooks::attempts
    ),
    components(schemas(
        wire::GenericUser,
        wire::CreateUser,
        wire::UpdateUser,
        wire::RoleWord,
        wire::StatusWord,
        wire::UserList,
        wire::UserReply,
        wire::Pagination,
        wire::Deleted,
        audit::AuditPage,
        audit::AuditEventOut,
        audit::AuditActor,
        audit::AuditTarget,
        webhooks::CreateWebhook,
        webhooks::UpdateWebhook,
        webhooks::WebhookOut,
        webhooks::WebhookReply,
        webhooks::WebhookList,
        webhooks::AttemptOut,
        webhooks::AttemptList,
        error::ErrorBody,
        error::ErrorDetail,
    )),
    modifiers(&Security, &EventTypes)
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key: ugk_<id>_<secret>"))
                    .build(),
            ),
        );
    }
}

/// The event types an endpoint subscribes to, as core lists them (and `*`), in the request
/// schemas: one source for the server and its document.
struct EventTypes;

impl Modify for EventTypes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{ArrayItems, Schema};
        let mut names: Vec<serde_json::Value> = usergate_core::webhooks::event_types()
            .into_iter()
            .map(serde_json::Value::from)
            .collect();
        names.push("*".into());
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for name in ["CreateWebhook", "UpdateWebhook"] {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) else {
                continue;
            };
            if let Some(RefOr::T(Schema::Array(array))) = object.properties.get_mut("event_types")
                && let ArrayItems::RefOrSchema(items) = &mut array.items
                && let RefOr::T(Schema::Object(item)) = items.as_mut()
            {
                item.enum_values = Some(names.clone());
                array.min_items = Some(1);
            }
        }
    }
}

/// The document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
