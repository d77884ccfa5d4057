//! The discovery endpoints (GET only; every other method is 405): what an identity provider
//! or scim2-tester reads before anything else.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::{base, list_response, reply};
use crate::auth::Caller;
use crate::error::{ErrorBody, ScimError};
use crate::wire::{resource_types, schemas, service_provider_config};

/// What usergate supports.
#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = "discovery",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "PATCH and filters supported; bulk, sort and ETags not", content_type = "application/scim+json", body = Object),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn config(_caller: Caller, req: HttpRequest) -> HttpResponse {
    reply(StatusCode::OK, &service_provider_config(&base(&req)))
}

/// The resource types: User (with the enterprise extension) and Group.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = "discovery",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A ListResponse of the two types", content_type = "application/scim+json", body = Object),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn resource_type_list(_caller: Caller, req: HttpRequest) -> HttpResponse {
    let all = resource_types(&base(&req));
    let n = all.len() as u64;
    list_response(all, n, 0)
}

/// One resource type.
#[utoipa::path(get, path = "/scim/v2/ResourceTypes/{id}", tag = "discovery",
    params(("id" = String, Path, description = "User or Group")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The type", content_type = "application/scim+json", body = Object),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 404, description = "No such type", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn resource_type(
    _caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    one(resource_types(&base(&req)), &id, "resource type")
}

/// The schemas: User, EnterpriseUser, Group, with exactly the attributes usergate keeps.
#[utoipa::path(get, path = "/scim/v2/Schemas", tag = "discovery",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A ListResponse of the three schemas", content_type = "application/scim+json", body = Object),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn schema_list(_caller: Caller, req: HttpRequest) -> HttpResponse {
    let all = schemas(&base(&req));
    let n = all.len() as u64;
    list_response(all, n, 0)
}

/// One schema, by its URN.
#[utoipa::path(get, path = "/scim/v2/Schemas/{id}", tag = "discovery",
    params(("id" = String, Path, description = "The schema's URN")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The schema", content_type = "application/scim+json", body = Object),
        (status = 401, description = "No usable key", content_type = "application/scim+json", body = ErrorBody),
        (status = 404, description = "No such schema", content_type = "application/scim+json", body = ErrorBody),
    ))]
pub async fn schema(
    _caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    one(schemas(&base(&req)), &id, "schema")
}

fn one(all: Vec<Value>, id: &str, what: &str) -> Result<HttpResponse, ScimError> {
    all.into_iter()
        .find(|d| {
            d.get("id")
                .and_then(Value::as_str)
                .is_some_and(|x| x.eq_ignore_ascii_case(id))
        })
        .map(|d| reply(StatusCode::OK, &d))
        .ok_or_else(|| ScimError::not_found(format!("No {what} {id}")))
}
