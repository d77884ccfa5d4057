//! Every mutating management endpoint of every dialect, as the authorization matrix calls it.

use awc::http::Method;
use serde_json::{Value, json};

use super::Dialect::{self, Domo, DreamFactory, EmailKeyed, Generic, Scim};

/// A mutating endpoint: its dialect, and a request against a target made for it.
pub struct Endpoint {
    pub dialect: Dialect,
    pub name: &'static str,
    /// Whether the target is an admin (DreamFactory's `/system/admin`).
    pub admin_target: bool,
    /// Whether the request creates the target (nothing exists beforehand).
    pub creates: bool,
    pub request: fn(&Target) -> (Method, String, Option<Value>),
}

pub struct Target {
    pub id: i64,
    pub email: String,
    /// A group whose one member is the target.
    pub full: i64,
    /// A group with no members.
    pub empty: i64,
}

/// The endpoints, each with a request against its target.
pub fn endpoints() -> Vec<Endpoint> {
    fn df(
        kind: &'static str,
        name: &'static str,
        creates: bool,
        request: fn(&Target) -> (Method, String, Option<Value>),
    ) -> Endpoint {
        Endpoint {
            dialect: DreamFactory,
            name,
            admin_target: kind == "admin",
            creates,
            request,
        }
    }
    fn plain(
        dialect: Dialect,
        name: &'static str,
        creates: bool,
        request: fn(&Target) -> (Method, String, Option<Value>),
    ) -> Endpoint {
        Endpoint {
            dialect,
            name,
            admin_target: false,
            creates,
            request,
        }
    }
    vec![
        plain(EmailKeyed, "POST /api/users", true, |t| {
            (
                Method::POST,
                "/api/users".into(),
                Some(json!({"email": t.email, "password": "caller password 01"})),
            )
        }),
        plain(EmailKeyed, "PUT /api/users/{email}", false, |t| {
            (
                Method::PUT,
                format!("/api/users/{}", t.email),
                Some(json!({"status": "Inactive"})),
            )
        }),
        plain(EmailKeyed, "PATCH /api/users/{email}", false, |t| {
            (
                Method::PATCH,
                format!("/api/users/{}", t.email),
                Some(json!({"newPassword": "changed password 9"})),
            )
        }),
        plain(EmailKeyed, "DELETE /api/users/{email}", false, |t| {
            (Method::DELETE, format!("/api/users/{}", t.email), None)
        }),
        df("user", "POST /system/user", true, |t| {
            (
                Method::POST,
                "/api/v2/system/user".into(),
                Some(json!({"resource": [{"email": t.email, "name": "T"}]})),
            )
        }),
        df("user", "PATCH /system/user", false, |t| {
            (
                Method::PATCH,
                "/api/v2/system/user".into(),
                Some(json!({"resource": [{"id": t.id, "name": "Changed"}]})),
            )
        }),
        df("user", "PUT /system/user", false, |t| {
            (
                Method::PUT,
                "/api/v2/system/user".into(),
                Some(json!({"resource": [{"id": t.id, "name": "Changed"}]})),
            )
        }),
        df("user", "DELETE /system/user?ids=", false, |t| {
            (
                Method::DELETE,
                format!("/api/v2/system/user?ids={}", t.id),
                None,
            )
        }),
        df("user", "PATCH /system/user/{id}", false, |t| {
            (
                Method::PATCH,
                format!("/api/v2/system/user/{}", t.id),
                Some(json!({"is_active": false})),
            )
        }),
        df("user", "PUT /system/user/{id}", false, |t| {
            (
                Method::PUT,
                format!("/api/v2/system/user/{}", t.id),
                Some(json!({"name": "Changed"})),
            )
        }),
        df("user", "DELETE /system/user/{id}", false, |t| {
            (
                Method::DELETE,
                format!("/api/v2/system/user/{}", t.id),
                None,
            )
        }),
        df("admin", "POST /system/admin", true, |t| {
            (
                Method::POST,
                "/api/v2/system/admin".into(),
                Some(json!({"resource": [{"email": t.email, "name": "T"}]})),
            )
        }),
        df("admin", "PATCH /system/admin", false, |t| {
            (
                Method::PATCH,
                "/api/v2/system/admin".into(),
                Some(json!({"resource": [{"id": t.id, "name": "Changed"}]})),
            )
        }),
        df("admin", "PUT /system/admin", false, |t| {
            (
                Method::PUT,
                "/api/v2/system/admin".into(),
                Some(json!({"resource": [{"id": t.id, "name": "Changed"}]})),
            )
        }),
        df("admin", "DELETE /system/admin?ids=", false, |t| {
            (
                Method::DELETE,
                format!("/api/v2/system/admin?ids={}", t.id),
                None,
            )
        }),
        df("admin", "PATCH /system/admin/{id}", false, |t| {
            (
                Method::PATCH,
                format!("/api/v2/system/admin/{}", t.id),
                Some(json!({"is_active": false})),
            )
        }),
        df("admin", "PUT /system/admin/{id}", false, |t| {
            (
                Method::PUT,
                format!("/api/v2/system/admin/{}", t.id),
                Some(json!({"name": "Changed"})),
            )
        }),
        df("admin", "DELETE /system/admin/{id}", false, |t| {
            (
                Method::DELETE,
                format!("/api/v2/system/admin/{}", t.id),
                None,
            )
        }),
        plain(Domo, "POST /v1/users", true, |t| {
            (
                Method::POST,
                "/domo/v1/users".into(),
                Some(json!({"email": t.email, "name": "T", "role": "Participant"})),
            )
        }),
        plain(Domo, "PUT /v1/users/{id}", false, |t| {
            (
                Method::PUT,
                format!("/domo/v1/users/{}", t.id),
                Some(json!({"role": "Admin"})),
            )
        }),
        plain(Domo, "DELETE /v1/users/{id}", false, |t| {
            (Method::DELETE, format!("/domo/v1/users/{}", t.id), None)
        }),
        plain(Domo, "POST /v1/groups", true, |t| {
            (
                Method::POST,
                "/domo/v1/groups".into(),
                Some(json!({"name": t.email})),
            )
        }),
        plain(Domo, "PUT /v1/groups/{id}", false, |t| {
            (
                Method::PUT,
                format!("/domo/v1/groups/{}", t.full),
                Some(json!({"name": format!("renamed {}", t.email)})),
            )
        }),
        plain(Domo, "DELETE /v1/groups/{id}", false, |t| {
            (Method::DELETE, format!("/domo/v1/groups/{}", t.empty), None)
        }),
        plain(Domo, "PUT /v1/groups/{id}/users/{userId}", false, |t| {
            (
                Method::PUT,
                format!("/domo/v1/groups/{}/users/{}", t.empty, t.id),
                None,
            )
        }),
        plain(Domo, "DELETE /v1/groups/{id}/users/{userId}", false, |t| {
            (
                Method::DELETE,
                format!("/domo/v1/groups/{}/users/{}", t.full, t.id),
                None,
            )
        }),
        plain(Scim, "POST /Users", true, |t| {
            (
                Method::POST,
                "/scim/v2/Users".into(),
                Some(json!({"userName": t.email})),
            )
        }),
        plain(Scim, "PUT /Users/{id}", false, |t| {
            (
                Method::PUT,
                format!("/scim/v2/Users/{}", t.id),
                Some(json!({"userName": t.email, "active": false})),
            )
        }),
        plain(Scim, "PATCH /Users/{id}", false, |t| {
            (
                Method::PATCH,
                format!("/scim/v2/Users/{}", t.id),
                Some(
                    json!({"Operations": [{"op": "replace", "path": "roles", "value": [{"value": "admin"}]}]}),
                ),
            )
        }),
        plain(Scim, "DELETE /Users/{id}", false, |t| {
            (Method::DELETE, format!("/scim/v2/Users/{}", t.id), None)
        }),
        plain(Scim, "POST /Groups", true, |t| {
            (
                Method::POST,
                "/scim/v2/Groups".into(),
                Some(json!({"displayName": t.email})),
            )
        }),
        plain(Scim, "PUT /Groups/{id}", false, |t| {
            (
                Method::PUT,
                format!("/scim/v2/Groups/{}", t.full),
                Some(json!({"displayName": format!("renamed {}", t.email)})),
            )
        }),
        plain(Scim, "PATCH /Groups/{id}", false, |t| {
            (
                Method::PATCH,
                format!("/scim/v2/Groups/{}", t.empty),
                Some(
                    json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": t.id.to_string()}]}]}),
                ),
            )
        }),
        plain(Scim, "PATCH /Groups/{role}", false, |t| {
            (
                Method::PATCH,
                "/scim/v2/Groups/editor".into(),
                Some(
                    json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": t.id.to_string()}]}]}),
                ),
            )
        }),
        plain(Scim, "DELETE /Groups/{id}", false, |t| {
            (Method::DELETE, format!("/scim/v2/Groups/{}", t.full), None)
        }),
        plain(Generic, "POST /v1/users", true, |t| {
            (
                Method::POST,
                "/v1/users".into(),
                Some(json!({"email": t.email, "name": "T"})),
            )
        }),
        plain(Generic, "PATCH /v1/users/{id}", false, |t| {
            (
                Method::PATCH,
                format!("/v1/users/usr_{}", t.id),
                Some(json!({"role": "admin"})),
            )
        }),
        plain(Generic, "DELETE /v1/users/{id}", false, |t| {
            (Method::DELETE, format!("/v1/users/usr_{}", t.id), None)
        }),
    ]
}
