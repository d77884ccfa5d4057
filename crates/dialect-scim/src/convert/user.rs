//! A core user as a SCIM User, and a SCIM User (from a POST, a PUT, or a PATCH applied to what
//! was read) as core's command. What has no core column is kept as sent under the user's
//! `scim` attribute and returned exactly; lists that feed a core field (`emails`,
//! `phoneNumbers`, `roles`) are kept too, their source entry showing the current core value.

use serde_json::{Map, Value, json};
use usergate_core::{
    Coarse, Email, GroupRef, LoginName, NewUser, Password, PasswordPolicy, Patch, Profile,
    ProfileChanges, Role, Status, User, UserChanges,
};

use super::read::{boolean, read_resource};
use crate::error::ScimError;
use crate::filter::get;
use crate::wire::{ENTERPRISE_URN, ROLE_NAMES, USER_URN};

/// Where kept attributes live in the user's `attributes`.
pub const KEPT: &str = "scim";

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The index of the entry that feeds a core field: the primary one, else the first of
/// `types` in order, else the first.
fn source(list: &[Value], types: &[&str]) -> Option<usize> {
    let has_value = |i: &usize| text(get(&list[*i], "value")).is_some();
    let idx: Vec<usize> = (0..list.len()).filter(has_value).collect();
    idx.iter()
        .copied()
        .find(|i| get(&list[*i], "primary").and_then(boolean) == Some(true))
        .or_else(|| {
            types.iter().find_map(|t| {
                idx.iter().copied().find(|i| {
                    text(get(&list[*i], "type")).is_some_and(|x| x.eq_ignore_ascii_case(t))
                })
            })
        })
        .or_else(|| idx.first().copied())
}

fn list(doc: &Map<String, Value>, key: &str) -> Vec<Value> {
    match doc.get(key) {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    }
}

/// The role a `roles` list names: the primary entry's, else the most powerful; entries
/// without a value are skipped; a value that is no role is 400 `invalidValue`.
fn role_of(roles: &[Value]) -> Result<Option<Role>, ScimError> {
    let mut found = Vec::new();
    for r in roles {
        let Some(v) = text(get(r, "value")) else {
            continue;
        };
        let role: Role = v.to_ascii_lowercase().parse().map_err(|_| {
            ScimError::invalid(format!(
                "roles: {v:?} is not a role (one of {})",
                ROLE_NAMES.join(", ")
            ))
        })?;
        found.push((get(r, "primary").and_then(boolean) == Some(true), role));
    }
    Ok(found
        .iter()
        .find(|(primary, _)| *primary)
        .or_else(|| found.iter().min_by_key(|(_, r)| rank(*r)))
        .map(|(_, r)| *r))
}

fn rank(r: Role) -> usize {
    ROLE_NAMES
        .iter()
        .position(|n| *n == r.as_str())
        .unwrap_or(ROLE_NAMES.len())
}

/// What a SCIM User says in core's terms.
pub struct Target {
    email: Email,
    login_name: Option<LoginName>,
    name: Option<String>,
    active: Option<bool>,
    role: Option<Role>,
    profile: Profile,
    employee_number: Option<i64>,
    external_id: Option<String>,
    password: Option<Password>,
    kept: Map<String, Value>,
}

/// Reads a User. `current` fills what a PUT or PATCH leaves out of `userName`, `emails`,
/// `displayName`, `active` and `roles` (an explicit `null`, which a PATCH's `remove` leaves,
/// re-derives `displayName` and makes the role `user`).
pub fn target(
    doc: &Map<String, Value>,
    current: Option<&User>,
    policy: &PasswordPolicy,
) -> Result<Target, ScimError> {
    let emails = list(doc, "emails");
    let email_source = source(&emails, &["work"]);
    let user_name = text(doc.get("userName"));
    let (email, login_name) = match user_name {
        None => match current {
            Some(u) => (u.email.clone(), u.login_name.clone()),
            None => return Err(ScimError::invalid("userName is required")),
        },
        Some(n) => match Email::parse(&n) {
            Ok(e) => (e, None),
            Err(_) => {
                let login = LoginName::parse(&n)
                    .map_err(|e| ScimError::invalid(format!("userName is {}", e.problem)))?;
                let email = match email_source.and_then(|i| text(get(&emails[i], "value"))) {
                    Some(v) => Email::parse(&v).map_err(|_| {
                        ScimError::invalid("emails: the primary value is not an address")
                    })?,
                    None => match current {
                        Some(u) => u.email.clone(),
                        None => {
                            return Err(ScimError::invalid(
                                "emails is required when userName is not an address",
                            ));
                        }
                    },
                };
                (email, Some(login))
            }
        },
    };
    let name_obj = doc.get("name").cloned().unwrap_or(Value::Null);
    let phones = list(doc, "phoneNumbers");
    let phone_source = source(&phones, &["work", "mobile"]);
    let ext = doc.get(ENTERPRISE_URN).cloned().unwrap_or(Value::Null);
    let employee = text(get(&ext, "employeeNumber"));
    let employee_number = employee
        .as_deref()
        .and_then(|e| e.parse::<i64>().ok().filter(|n| n.to_string() == e));
    let roles = list(doc, "roles");
    let role = match doc.get("roles") {
        Some(Value::Null) => Some(Role::User),
        Some(_) => role_of(&roles)?.or(Some(Role::User)),
        None => current.map(|u| u.role),
    };
    let password = match text(doc.get("password")) {
        Some(p) => Some(
            policy
                .check("password", &p)
                .map_err(|e| ScimError::invalid(format!("password is {}", e.problem)))?,
        ),
        None => None,
    };
    let profile = Profile {
        first_name: text(get(&name_obj, "givenName")),
        last_name: text(get(&name_obj, "familyName")),
        title: text(doc.get("title")),
        phone: phone_source.and_then(|i| text(get(&phones[i], "value"))),
        locale: text(doc.get("locale")),
        timezone: text(doc.get("timezone")),
        ..current.map(|u| u.profile.clone()).unwrap_or_default()
    };
    let name = match doc.get("displayName") {
        Some(Value::Null) => None,
        Some(v) => text(Some(v)),
        None => current.map(|u| u.name.clone()),
    };
    let active = match doc.get("active") {
        Some(v) => boolean(v),
        None => current.map(|u| u.status == Status::Active),
    };
    // What has no column: kept, unless it is what reading the user would show anyway.
    let mut kept = Map::new();
    for key in ["nickName", "userType", "preferredLanguage", "addresses"] {
        if let Some(v) = doc.get(key).filter(|v| !v.is_null()) {
            kept.insert(key.to_owned(), v.clone());
        }
    }
    if let Value::Object(n) = &name_obj {
        let rest: Map<String, Value> = n
            .iter()
            .filter(|(k, _)| *k != "givenName" && *k != "familyName")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !rest.is_empty() {
            kept.insert("name".into(), Value::Object(rest));
        }
    }
    let default_emails = json!([{"value": email.as_str(), "type": "work", "primary": true}]);
    if !emails.is_empty() && Value::Array(emails.clone()) != default_emails {
        kept.insert("emails".into(), Value::Array(emails));
    }
    let default_phones = profile
        .phone
        .as_ref()
        .map(|p| json!([{"value": p, "type": "work"}]));
    if !phones.is_empty() && Some(Value::Array(phones.clone())) != default_phones {
        kept.insert("phoneNumbers".into(), Value::Array(phones));
    }
    let default_roles = role.map(|r| json!([{"value": r.as_str(), "primary": true}]));
    if !roles.is_empty() && Some(Value::Array(roles.clone())) != default_roles {
        kept.insert("roles".into(), Value::Array(roles));
    }
    if let Value::Object(e) = ext {
        let mut e = e;
        if employee_number.is_some() {
            e.remove("employeeNumber");
        }
        if !e.is_empty() {
            kept.insert(ENTERPRISE_URN.to_owned(), Value::Object(e));
        }
    }
    Ok(Target {
        email,
        login_name,
        name,
        active,
        role,
        profile,
        employee_number,
        external_id: text(doc.get("externalId")),
        password,
        kept,
    })
}

impl Target {
    /// The core command that creates this user.
    pub fn new_user(self) -> NewUser {
        let mut attributes = Map::new();
        if !self.kept.is_empty() {
            attributes.insert(KEPT.into(), Value::Object(self.kept));
        }
        NewUser {
            name: self.name,
            profile: self.profile,
            role: self.role.unwrap_or(Role::User),
            status: if self.active == Some(false) {
                Status::Inactive
            } else {
                Status::Active
            },
            password: self.password,
            employee_number: self.employee_number,
            external_id: self.external_id,
            login_name: self.login_name,
            attributes,
            ..NewUser::new(self.email)
        }
    }

    /// The core change that makes `current` this user (core drops what is unchanged).
    pub fn changes(self, current: &User) -> UserChanges {
        let name = self.name.unwrap_or_else(|| {
            NewUser {
                profile: self.profile.clone(),
                ..NewUser::new(self.email.clone())
            }
            .derived_name()
        });
        let status = match (self.active, current.status) {
            (Some(true), s) if s != Status::Active => Some(Status::Active),
            (Some(false), Status::Active) => Some(Status::Inactive),
            _ => None,
        };
        let set = |v: Option<String>| v.map_or(Patch::Null, Patch::Value);
        let p = self.profile;
        let profile = ProfileChanges {
            first_name: set(p.first_name),
            last_name: set(p.last_name),
            title: set(p.title),
            phone: set(p.phone),
            locale: set(p.locale),
            timezone: set(p.timezone),
            ..ProfileChanges::default()
        };
        let mut attributes = Map::new();
        attributes.insert(
            KEPT.into(),
            if self.kept.is_empty() {
                Value::Null
            } else {
                Value::Object(self.kept)
            },
        );
        UserChanges {
            email: Some(self.email),
            name: Some(name),
            role: self.role.map(|r| Coarse::exact(r, &[])),
            status: status.map(|s| Coarse::exact(s, &[])),
            profile,
            attributes,
            employee_number: self.employee_number.map_or(Patch::Null, Patch::Value),
            external_id: set(self.external_id),
            login_name: self.login_name.map_or(Patch::Null, Patch::Value),
            password: self.password,
        }
    }
}

/// A core user as a SCIM User (every attribute; `base` is the absolute `/scim/v2` URL).
pub fn render(u: &User, groups: &[GroupRef], base: &str) -> Value {
    let kept = match u.attributes.get(KEPT) {
        Some(Value::Object(k)) => k.clone(),
        _ => Map::new(),
    };
    let mut doc = Map::new();
    let mut schemas = vec![json!(USER_URN)];
    doc.insert("id".into(), json!(u.id.to_string()));
    if let Some(x) = &u.external_id {
        doc.insert("externalId".into(), json!(x));
    }
    let user_name = u
        .login_name
        .as_ref()
        .map_or(u.email.as_str(), LoginName::as_str);
    doc.insert("userName".into(), json!(user_name));
    let mut name = match kept.get("name") {
        Some(Value::Object(n)) => n.clone(),
        _ => Map::new(),
    };
    if let Some(g) = &u.profile.first_name {
        name.insert("givenName".into(), json!(g));
    }
    if let Some(f) = &u.profile.last_name {
        name.insert("familyName".into(), json!(f));
    }
    if !name.is_empty() {
        doc.insert("name".into(), Value::Object(name));
    }
    doc.insert("displayName".into(), json!(u.name));
    for key in [
        "nickName",
        "title",
        "userType",
        "preferredLanguage",
        "locale",
        "timezone",
    ] {
        let core = match key {
            "title" => u.profile.title.clone(),
            "locale" => u.profile.locale.clone(),
            "timezone" => u.profile.timezone.clone(),
            _ => text(kept.get(key)),
        };
        if let Some(v) = core {
            doc.insert(key.into(), json!(v));
        }
    }
    doc.insert("active".into(), json!(u.status == Status::Active));
    doc.insert("emails".into(), emails(u, &kept));
    if let Some(p) = phones(u, &kept) {
        doc.insert("phoneNumbers".into(), p);
    }
    if let Some(a) = kept.get("addresses") {
        doc.insert("addresses".into(), a.clone());
    }
    doc.insert("roles".into(), roles(u, &kept));
    let mut all_groups = vec![json!({
        "value": u.role.as_str(),
        "$ref": format!("{base}/Groups/{}", u.role.as_str()),
        "display": u.role.as_str(),
        "type": "direct",
    })];
    all_groups.extend(groups.iter().map(|g| {
        json!({
            "value": g.id.to_string(),
            "$ref": format!("{base}/Groups/{}", g.id),
            "display": g.name,
            "type": "direct",
        })
    }));
    doc.insert("groups".into(), Value::Array(all_groups));
    let mut ext = match kept.get(ENTERPRISE_URN) {
        Some(Value::Object(e)) => e.clone(),
        _ => Map::new(),
    };
    if let Some(n) = u.employee_number {
        ext.insert("employeeNumber".into(), json!(n.to_string()));
    }
    if !ext.is_empty() {
        schemas.push(json!(ENTERPRISE_URN));
        doc.insert(ENTERPRISE_URN.into(), Value::Object(ext));
    }
    doc.insert("schemas".into(), Value::Array(schemas));
    doc.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": time(u.created_at),
            "lastModified": time(u.updated_at),
            "location": format!("{base}/Users/{}", u.id),
        }),
    );
    Value::Object(doc)
}

/// What a PATCH applies its operations to: the user's writable attributes as they read,
/// less the `roles` and `emails` entries shown for a user no SCIM client gave lists to (they
/// say what core has; an `add` to them must not keep them, and leaving them out keeps core's
/// values).
pub fn editable(u: &User, base: &str) -> Result<Map<String, Value>, ScimError> {
    let mut doc = read_resource(render(u, &[], base))?;
    let kept = u.attributes.get(KEPT);
    for key in ["roles", "emails"] {
        if kept.and_then(|k| k.get(key)).is_none() {
            doc.remove(key);
        }
    }
    Ok(doc)
}

/// A time as SCIM writes it.
pub fn time(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn emails(u: &User, kept: &Map<String, Value>) -> Value {
    let Some(Value::Array(mut list)) = kept.get("emails").cloned() else {
        return json!([{"value": u.email.as_str(), "type": "work", "primary": true}]);
    };
    // The list feeds the address only when userName is a login name.
    if u.login_name.is_some()
        && let Some(i) = source(&list, &["work"])
        && let Some(Value::Object(entry)) = list.get_mut(i)
        && !entry
            .get("value")
            .and_then(Value::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case(u.email.as_str()))
    {
        entry.insert("value".into(), json!(u.email.as_str()));
    }
    Value::Array(list)
}

fn phones(u: &User, kept: &Map<String, Value>) -> Option<Value> {
    let Some(Value::Array(mut list)) = kept.get("phoneNumbers").cloned() else {
        return u
            .profile
            .phone
            .as_ref()
            .map(|p| json!([{"value": p, "type": "work"}]));
    };
    if let Some(i) = source(&list, &["work", "mobile"]) {
        match &u.profile.phone {
            Some(p) => {
                if let Some(Value::Object(entry)) = list.get_mut(i) {
                    entry.insert("value".into(), json!(p));
                }
            }
            None => {
                list.remove(i);
            }
        }
    }
    (!list.is_empty()).then_some(Value::Array(list))
}

fn roles(u: &User, kept: &Map<String, Value>) -> Value {
    let Some(Value::Array(mut list)) = kept.get("roles").cloned() else {
        return json!([{"value": u.role.as_str(), "primary": true}]);
    };
    let current = role_of(&list).ok().flatten();
    if current != Some(u.role) {
        // Changed elsewhere: the entry that named the role names the new one.
        let i = list
            .iter()
            .position(|r| get(r, "primary").and_then(boolean) == Some(true))
            .or_else(|| {
                list.iter().position(|r| {
                    text(get(r, "value")).and_then(|v| v.to_ascii_lowercase().parse().ok())
                        == current
                })
            });
        match i.and_then(|i| list.get_mut(i)) {
            Some(Value::Object(entry)) => {
                entry.insert("value".into(), json!(u.role.as_str()));
            }
            _ => return json!([{"value": u.role.as_str(), "primary": true}]),
        }
    }
    Value::Array(list)
}
