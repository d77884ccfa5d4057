//! The attributes usergate publishes, once: `/Schemas` is rendered from this table, requests
//! are read through it (attribute names in any case, unknown ones dropped), and responses carry
//! nothing it does not list (scim2-tester parses them with `extra="forbid"`).

use serde_json::{Map, Value, json};

/// The core User schema.
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension.
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema.
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// A list answer.
pub const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// A PATCH body.
pub const PATCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// A search body.
pub const SEARCH_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// The five role names, most powerful first: the role groups and `roles` values.
pub const ROLE_NAMES: [&str; 5] = ["admin", "privileged", "editor", "user", "viewer"];

/// An attribute's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A string.
    Str,
    /// A boolean.
    Bool,
    /// A date-time string.
    DateTime,
    /// A URI reference.
    Reference,
    /// An object of sub-attributes.
    Complex,
}

/// Who may write an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Clients write it.
    ReadWrite,
    /// Only the server writes it; ignored in requests.
    ReadOnly,
    /// Clients write it; it is never returned.
    WriteOnly,
}

/// One published attribute.
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    /// Its name, as published.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// A list of values.
    pub multi: bool,
    /// Published `required: true`: always present on read, filled when a write omits it.
    pub required: bool,
    /// Compared case-exactly.
    pub case_exact: bool,
    /// Who writes it.
    pub mutability: Mutability,
    /// Unique among live resources.
    pub unique: bool,
    /// Its sub-attributes (complex types).
    pub subs: &'static [Attr],
    /// The values a client should draw from (roles).
    pub canonical: &'static [&'static str],
    /// What a reference points at.
    pub refs: &'static [&'static str],
    /// For people.
    pub description: &'static str,
}

const fn s(name: &'static str, description: &'static str) -> Attr {
    Attr {
        name,
        ty: Ty::Str,
        multi: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        unique: false,
        subs: &[],
        canonical: &[],
        refs: &[],
        description,
    }
}

const fn typed(a: Attr, ty: Ty) -> Attr {
    Attr { ty, ..a }
}

const fn complex(a: Attr, subs: &'static [Attr]) -> Attr {
    Attr {
        ty: Ty::Complex,
        subs,
        ..a
    }
}

const fn multi(a: Attr) -> Attr {
    Attr { multi: true, ..a }
}

const fn required(a: Attr) -> Attr {
    Attr {
        required: true,
        ..a
    }
}

const fn read_only(a: Attr) -> Attr {
    Attr {
        mutability: Mutability::ReadOnly,
        ..a
    }
}

const TYPE: Attr = s("type", "A label (work, home, other ...).");
const PRIMARY: Attr = typed(s("primary", "The preferred entry."), Ty::Bool);

const NAME_SUBS: [Attr; 6] = [
    s("formatted", "The full name, as the client wrote it."),
    s("familyName", "Family name."),
    s("givenName", "Given name."),
    s("middleName", "Middle name."),
    s("honorificPrefix", "Title before the name."),
    s("honorificSuffix", "Suffix after the name."),
];
const EMAIL_SUBS: [Attr; 3] = [required(s("value", "An address.")), TYPE, PRIMARY];
const PHONE_SUBS: [Attr; 3] = [s("value", "A number, as written."), TYPE, PRIMARY];
const ADDRESS_SUBS: [Attr; 8] = [
    s("formatted", "The whole address."),
    s("streetAddress", "Street."),
    s("locality", "City."),
    s("region", "State or region."),
    s("postalCode", "Postal code."),
    s("country", "Country."),
    TYPE,
    PRIMARY,
];
const ROLE_SUBS: [Attr; 4] = [
    Attr {
        canonical: &ROLE_NAMES,
        ..required(s(
            "value",
            "A role: admin, privileged, editor, user or viewer.",
        ))
    },
    s("display", "A label."),
    TYPE,
    PRIMARY,
];
const GROUP_REF_SUBS: [Attr; 4] = [
    read_only(s("value", "The group's id.")),
    Attr {
        refs: &["Group"],
        ..read_only(typed(s("$ref", "The group's location."), Ty::Reference))
    },
    read_only(s("display", "The group's name.")),
    read_only(s("type", "Always direct.")),
];
const MANAGER_SUBS: [Attr; 2] = [
    s("value", "The manager's id."),
    Attr {
        refs: &["User"],
        ..typed(s("$ref", "The manager's location."), Ty::Reference)
    },
];

/// The User resource's attributes (core schema).
pub const USER_ATTRS: [Attr; 17] = [
    Attr {
        case_exact: true,
        ..s("externalId", "The identity provider's id for the user.")
    },
    Attr {
        unique: true,
        ..required(s(
            "userName",
            "The login: the user's email when it is an address, else a login name.",
        ))
    },
    complex(s("name", "The user's name."), &NAME_SUBS),
    required(s("displayName", "The name shown for the user.")),
    s("nickName", "A casual name."),
    s("title", "Job title."),
    s("userType", "A label of the organisation's."),
    s("preferredLanguage", "Preferred language tag."),
    s("locale", "Locale tag."),
    s("timezone", "IANA time zone name."),
    required(typed(
        s("active", "Whether the user may sign in."),
        Ty::Bool,
    )),
    Attr {
        mutability: Mutability::WriteOnly,
        ..s("password", "A new password (never returned).")
    },
    required(multi(complex(s("emails", "Addresses."), &EMAIL_SUBS))),
    multi(complex(s("phoneNumbers", "Phone numbers."), &PHONE_SUBS)),
    multi(complex(s("addresses", "Postal addresses."), &ADDRESS_SUBS)),
    required(multi(complex(
        s("roles", "The user's role (one of five)."),
        &ROLE_SUBS,
    ))),
    read_only(multi(complex(
        s("groups", "The user's role group and groups."),
        &GROUP_REF_SUBS,
    ))),
];

/// The enterprise extension's attributes.
pub const ENTERPRISE_ATTRS: [Attr; 6] = [
    s("employeeNumber", "Employee number."),
    s("costCenter", "Cost center."),
    s("organization", "Organization."),
    s("division", "Division."),
    s("department", "Department."),
    complex(s("manager", "The user's manager."), &MANAGER_SUBS),
];

const MEMBER_SUBS: [Attr; 3] = [
    Attr {
        case_exact: true,
        ..s("value", "The member's id.")
    },
    Attr {
        refs: &["User"],
        ..typed(s("$ref", "The member's location."), Ty::Reference)
    },
    Attr {
        canonical: &["User"],
        ..s("type", "Always User.")
    },
];

/// The Group resource's attributes.
pub const GROUP_ATTRS: [Attr; 3] = [
    Attr {
        case_exact: true,
        ..s("externalId", "The identity provider's id for the group.")
    },
    Attr {
        unique: true,
        ..required(s(
            "displayName",
            "The group's name (a role's name for a role group).",
        ))
    },
    multi(complex(s("members", "The members (users)."), &MEMBER_SUBS)),
];

/// The attribute of `attrs` with this name, in any case.
pub fn find<'a>(attrs: &'a [Attr], name: &str) -> Option<&'a Attr> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

fn attribute_json(a: &Attr) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(a.name));
    o.insert(
        "type".into(),
        json!(match a.ty {
            Ty::Str => "string",
            Ty::Bool => "boolean",
            Ty::DateTime => "dateTime",
            Ty::Reference => "reference",
            Ty::Complex => "complex",
        }),
    );
    o.insert("multiValued".into(), json!(a.multi));
    o.insert("description".into(), json!(a.description));
    o.insert("required".into(), json!(a.required));
    if a.ty != Ty::Bool && a.ty != Ty::Complex {
        o.insert("caseExact".into(), json!(a.case_exact));
    }
    if !a.canonical.is_empty() {
        o.insert("canonicalValues".into(), json!(a.canonical));
    }
    if !a.refs.is_empty() {
        o.insert("referenceTypes".into(), json!(a.refs));
    }
    o.insert(
        "mutability".into(),
        json!(match a.mutability {
            Mutability::ReadWrite => "readWrite",
            Mutability::ReadOnly => "readOnly",
            Mutability::WriteOnly => "writeOnly",
        }),
    );
    o.insert(
        "returned".into(),
        json!(if a.mutability == Mutability::WriteOnly {
            "never"
        } else {
            "default"
        }),
    );
    o.insert(
        "uniqueness".into(),
        json!(if a.unique { "server" } else { "none" }),
    );
    if !a.subs.is_empty() {
        let subs: Vec<Value> = a.subs.iter().map(attribute_json).collect();
        o.insert("subAttributes".into(), Value::Array(subs));
    }
    Value::Object(o)
}

/// The three schemas, as `/Schemas` shows them (`base` is the absolute `/scim/v2` URL).
pub fn schemas(base: &str) -> Vec<Value> {
    let one = |id: &str, name: &str, description: &str, attrs: &[Attr]| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": id,
            "name": name,
            "description": description,
            "attributes": attrs.iter().map(attribute_json).collect::<Vec<_>>(),
            "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
        })
    };
    vec![
        one(USER_URN, "User", "A usergate user.", &USER_ATTRS),
        one(
            ENTERPRISE_URN,
            "EnterpriseUser",
            "Enterprise attributes of a user.",
            &ENTERPRISE_ATTRS,
        ),
        one(
            GROUP_URN,
            "Group",
            "A role group (admin, privileged, editor, user, viewer) or a group of users.",
            &GROUP_ATTRS,
        ),
    ]
}

/// The two resource types.
pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "usergate users",
            "schema": USER_URN,
            "schemaExtensions": [{"schema": ENTERPRISE_URN, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Role groups and groups of users",
            "schema": GROUP_URN,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

/// The most results one list answers.
pub const MAX_RESULTS: u32 = 1000;

/// `/ServiceProviderConfig`.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/usergate/usergate#scim",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": true},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "API key",
            "description": "Authorization: Bearer <key>, a key made with `usergate api-keys create --dialect scim`",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}
