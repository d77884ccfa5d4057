//! The dialect's OpenAPI document (committed as `openapi/scim.json`). SCIM resources are
//! described by `/Schemas` (what the dialect publishes to its clients); here they are JSON
//! objects, and every answer is `application/scim+json`.

use utoipa::openapi::schema::{
    ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::routes::{self, discovery, groups, users};
use crate::wire::{
    Attr, ENTERPRISE_ATTRS, ENTERPRISE_URN, GROUP_ATTRS, Mutability, Ty, USER_ATTRS,
};
use crate::{error, patch};

/// SCIM 2.0 as usergate serves it at /scim/v2.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "usergate: SCIM 2.0 (/scim/v2)",
        description = "SCIM 2.0 (RFC 7643/7644) for identity providers: Users, Groups (the five role groups and groups of users), filters, PATCH, /.search. Authenticate with an API key made by `usergate api-keys create --dialect scim`, sent as Authorization: Bearer followed by the key. The attributes of each resource are those /Schemas publishes."
    ),
    paths(
        discovery::config,
        discovery::resource_type_list,
        discovery::resource_type,
        discovery::schema_list,
        discovery::schema,
        users::list,
        users::search,
        users::create,
        users::get,
        users::replace,
        users::patch,
        users::delete,
        groups::list,
        groups::search,
        groups::create,
        groups::get_one,
        groups::replace,
        groups::patch,
        groups::delete,
        routes::search_all,
    ),
    components(schemas(error::ErrorBody, patch::PatchBody, patch::Operation, routes::ListParams)),
    tags(
        (name = "discovery", description = "What the server supports, its resource types and their schemas"),
        (name = "users", description = "Users: the same users every dialect serves"),
        (name = "groups", description = "The five role groups, and groups of users (Domo's groups)"),
        (name = "search", description = "Users and groups in one search"),
    ),
    modifiers(&Security, &Resources)
)]
pub struct ApiDoc;

/// The User and Group resources, from the attribute table `/Schemas` is rendered from (one
/// source for both), in place of the plain objects the handlers declare.
struct Resources;

/// Text, as the dialect reads it: a string (a number or a boolean is read as its text).
fn text() -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^[^\u0000]*$")),
        )
        .item(ObjectBuilder::new().schema_type(Type::Number))
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .into()
}

fn attribute(a: &Attr) -> RefOr<Schema> {
    let one: RefOr<Schema> = match a.ty {
        Ty::Bool => OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$")),
            )
            .into(),
        Ty::Complex => {
            let mut o = ObjectBuilder::new().schema_type(Type::Object);
            for sub in a.subs {
                o = o.property(sub.name, attribute(sub));
            }
            // A bare string is the object's `value` (Entra's `manager`).
            OneOfBuilder::new().item(o).item(text()).into()
        }
        Ty::Str | Ty::Reference | Ty::DateTime => text(),
    };
    let schema: RefOr<Schema> = if a.multi {
        OneOfBuilder::new()
            .item(ArrayBuilder::new().items(one.clone()))
            .item(one)
            .into()
    } else {
        one
    };
    let RefOr::T(Schema::OneOf(mut of)) = schema else {
        return schema;
    };
    of.description = Some(a.description.to_owned());
    // `null` clears an attribute.
    of.items.push(
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Null))
            .into(),
    );
    RefOr::T(Schema::OneOf(of))
}

fn resource(attrs: &[Attr], extension: Option<(&str, &[Attr])>, description: &str) -> Schema {
    let read_only = |d: &str| {
        ObjectBuilder::new()
            .description(Some(d))
            .read_only(Some(true))
    };
    let mut o = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property(
            "schemas",
            ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)),
        )
        .property(
            "id",
            read_only("The id (read-only)").schema_type(Type::String),
        )
        .property(
            "meta",
            read_only("resourceType, created, lastModified, location (read-only)")
                .schema_type(Type::Object),
        );
    for a in attrs {
        let schema = attribute(a);
        let schema = match (a.mutability, schema) {
            (Mutability::ReadOnly, RefOr::T(Schema::OneOf(mut of))) => {
                of.description = Some(format!("{} (read-only)", a.description));
                RefOr::T(Schema::OneOf(of))
            }
            (_, s) => s,
        };
        o = o.property(a.name, schema);
    }
    if let Some((urn, ext)) = extension {
        let mut e = ObjectBuilder::new().schema_type(Type::Object);
        for a in ext {
            e = e.property(a.name, attribute(a));
        }
        o = o.property(urn, e);
    }
    o.build().into()
}

fn list_of(item: &str) -> Schema {
    let int = || ObjectBuilder::new().schema_type(Type::Integer);
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "schemas",
            ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)),
        )
        .property("totalResults", int())
        .property("startIndex", int())
        .property("itemsPerPage", int())
        .property(
            "Resources",
            ArrayBuilder::new().items(Ref::from_schema_name(item)),
        )
        .required("totalResults")
        .required("Resources")
        .build()
        .into()
}

impl Modify for Resources {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let schemas = &mut components.schemas;
        schemas.insert(
            "User".into(),
            resource(
                &USER_ATTRS,
                Some((ENTERPRISE_URN, &ENTERPRISE_ATTRS)),
                "A SCIM User",
            )
            .into(),
        );
        schemas.insert(
            "Group".into(),
            resource(&GROUP_ATTRS, None, "A SCIM Group").into(),
        );
        // anyOf: with no attribute required, a user's document is a Group's too.
        let any: Schema = utoipa::openapi::schema::AnyOfBuilder::new()
            .item(Ref::from_schema_name("User"))
            .item(Ref::from_schema_name("Group"))
            .into();
        schemas.insert("Resource".into(), any.into());
        for (name, item) in [
            ("UserList", "User"),
            ("GroupList", "Group"),
            ("ResourceList", "Resource"),
        ] {
            schemas.insert(name.into(), list_of(item).into());
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let (one, list) = if path.starts_with("/scim/v2/Users") {
                ("User", "UserList")
            } else if path.starts_with("/scim/v2/Groups") {
                ("Group", "GroupList")
            } else if path == "/scim/v2/.search" {
                ("Resource", "ResourceList")
            } else {
                continue;
            };
            let is_list =
                path.ends_with("/Users") || path.ends_with("/Groups") || path.ends_with(".search");
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
            ];
            for (i, op) in ops.into_iter().enumerate() {
                let Some(op) = op.as_mut() else { continue };
                let searching = path.ends_with(".search");
                if (i == 1 || i == 2)
                    && !searching
                    && let Some(body) = op.request_body.as_mut()
                {
                    for c in body.content.values_mut() {
                        c.schema = Some(Ref::from_schema_name(one).into());
                    }
                }
                for (code, response) in op.responses.responses.iter_mut() {
                    if code != "200" && code != "201" {
                        continue;
                    }
                    let RefOr::T(r) = response else { continue };
                    let name = if is_list && (i == 0 || searching) {
                        list
                    } else {
                        one
                    };
                    for c in r.content.values_mut() {
                        let example = c.example.take();
                        *c = Content::new(Some(Ref::from_schema_name(name)));
                        c.example = example;
                    }
                }
            }
        }
    }
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", usergate_web::bearer_scheme());
    }
}

/// The document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
