//! Groups as SCIM shows them: the five role groups (`id` = `displayName` = the role's name,
//! members = the live users with that role) and core's groups of users (plain groups). A
//! group PATCH folds its operations, in order, into one change of name, external id and
//! members.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use usergate_core::{Group, GroupId, Patch, Role, UserId};

use crate::convert::user::time;
use crate::error::ScimError;
use crate::filter::{Filter, get, matches, parse_path};
use crate::patch::{Kind, Operation};
use crate::wire::{GROUP_URN, ROLE_NAMES};

/// Which group a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// A role group.
    Role(Role),
    /// A group of users.
    Plain(GroupId),
}

/// The group an id names: a role's name (any case) or a group's number; else 404.
pub fn which(raw: &str) -> Result<Which, ScimError> {
    if let Ok(role) = raw.to_ascii_lowercase().parse::<Role>() {
        return Ok(Which::Role(role));
    }
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(|n| Which::Plain(GroupId::new(n)))
        .ok_or_else(|| ScimError::not_found(format!("Group {raw} not found")))
}

/// The role groups, most powerful first.
pub fn roles() -> impl Iterator<Item = Role> {
    ROLE_NAMES.iter().filter_map(|n| n.parse().ok())
}

/// Where a member's `value` points.
fn member(id: UserId, base: &str) -> Value {
    json!({"value": id.to_string(), "$ref": format!("{base}/Users/{id}"), "type": "User"})
}

/// A role group (`members`: `None` leaves them out).
pub fn render_role(role: Role, members: Option<&[UserId]>, base: &str) -> Value {
    let mut doc = Map::new();
    doc.insert("schemas".into(), json!([GROUP_URN]));
    doc.insert("id".into(), json!(role.as_str()));
    doc.insert("displayName".into(), json!(role.as_str()));
    if let Some(m) = members {
        let m: Vec<Value> = m.iter().map(|u| member(*u, base)).collect();
        doc.insert("members".into(), Value::Array(m));
    }
    doc.insert(
        "meta".into(),
        json!({"resourceType": "Group", "location": format!("{base}/Groups/{}", role.as_str())}),
    );
    Value::Object(doc)
}

/// A group of users (`members`: `None` leaves them out).
pub fn render_plain(g: &Group, members: Option<&[UserId]>, base: &str) -> Value {
    let mut doc = Map::new();
    doc.insert("schemas".into(), json!([GROUP_URN]));
    doc.insert("id".into(), json!(g.id.to_string()));
    if let Some(x) = &g.external_id {
        doc.insert("externalId".into(), json!(x));
    }
    doc.insert("displayName".into(), json!(g.name.as_str()));
    if let Some(m) = members {
        let m: Vec<Value> = m.iter().map(|u| member(*u, base)).collect();
        doc.insert("members".into(), Value::Array(m));
    }
    doc.insert(
        "meta".into(),
        json!({
            "resourceType": "Group",
            "created": time(g.created_at),
            "lastModified": time(g.updated_at),
            "location": format!("{base}/Groups/{}", g.id),
        }),
    );
    Value::Object(doc)
}

/// Whether a filter looks at members (the group's members must then be read first).
pub fn needs_members(f: &Filter) -> bool {
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => needs_members(a) || needs_members(b),
        Filter::Not(f) => needs_members(f),
        Filter::Present(p) | Filter::Compare(p, _, _) | Filter::Has(p, _) => {
            p.is("members") || p.name.eq_ignore_ascii_case("members")
        }
    }
}

/// The user ids of a `members` value (`[{"value": "42"}]`, one object, or `null`).
pub fn member_ids(v: &Value) -> Result<Vec<UserId>, ScimError> {
    let items: Vec<&Value> = match v {
        Value::Null => Vec::new(),
        Value::Array(a) => a.iter().collect(),
        one => vec![one],
    };
    items
        .into_iter()
        .map(|m| {
            let value = match get(m, "value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => return Err(ScimError::invalid("members: every member needs a value")),
            };
            value
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(UserId::new)
                .ok_or_else(|| ScimError::invalid(format!("members: {value:?} is not a user id")))
        })
        .collect()
}

/// A group PATCH, folded: what becomes of the name, the external id and the members. `add`
/// and `remove` are disjoint, so applying the set, then the removals, then the additions is
/// the operations in their order.
#[derive(Debug, Default)]
pub struct Folded {
    /// A new name.
    pub name: Option<String>,
    /// Keep, clear or set the external id.
    pub external_id: Patch<String>,
    /// Replace every member by these.
    pub set: Option<BTreeSet<UserId>>,
    /// Take these out.
    pub remove: BTreeSet<UserId>,
    /// Put these in.
    pub add: BTreeSet<UserId>,
}

impl Folded {
    fn add(&mut self, ids: Vec<UserId>) {
        for id in ids {
            self.remove.remove(&id);
            self.add.insert(id);
        }
    }

    fn remove(&mut self, ids: Vec<UserId>) {
        for id in ids {
            self.add.remove(&id);
            self.remove.insert(id);
        }
    }

    fn set(&mut self, ids: Vec<UserId>) {
        self.add.clear();
        self.remove.clear();
        self.set = Some(ids.into_iter().collect());
    }

    /// How many member changes it asks for.
    pub fn member_changes(&self) -> usize {
        self.set.as_ref().map_or(0, BTreeSet::len) + self.add.len() + self.remove.len()
    }
}

/// Folds a group PATCH's operations. `current` gives the members, for a `remove` whose filter
/// is not a list of `value eq` tests (read only then).
pub fn fold(
    ops: &[Operation],
    current: &mut dyn FnMut() -> Result<Vec<UserId>, ScimError>,
) -> Result<Folded, ScimError> {
    let mut f = Folded::default();
    for op in ops {
        let kind = op.kind()?;
        let path = op.path.as_deref().map(str::trim).filter(|p| !p.is_empty());
        let Some(path) = path else {
            if kind == Kind::Remove {
                return Err(ScimError::bad("noTarget", "remove needs a path"));
            }
            let Value::Object(values) = &op.value else {
                return Err(ScimError::invalid(
                    "an operation without a path needs an object value",
                ));
            };
            for (key, v) in values {
                one(&mut f, kind, key, None, v, current)?;
            }
            continue;
        };
        let p = parse_path(path)?;
        if p.attr.sub.is_some() || p.sub.is_some() {
            return Err(ScimError::path(format!(
                "{path:?} is no attribute of a group"
            )));
        }
        one(
            &mut f,
            kind,
            &p.attr.name,
            p.filter.as_ref(),
            &op.value,
            current,
        )?;
    }
    Ok(f)
}

fn one(
    f: &mut Folded,
    kind: Kind,
    attr: &str,
    filter: Option<&Filter>,
    v: &Value,
    current: &mut dyn FnMut() -> Result<Vec<UserId>, ScimError>,
) -> Result<(), ScimError> {
    let is = |n: &str| attr.eq_ignore_ascii_case(n);
    if is("displayName") {
        return match (kind, v) {
            (Kind::Remove, _) => Err(ScimError::mutability("displayName cannot be removed")),
            (_, Value::String(s)) => {
                f.name = Some(s.clone());
                Ok(())
            }
            _ => Err(ScimError::invalid("displayName must be a string")),
        };
    }
    if is("externalId") {
        f.external_id = match (kind, v) {
            (Kind::Remove, _) | (_, Value::Null) => Patch::Null,
            (_, Value::String(s)) if s.is_empty() => Patch::Null,
            (_, Value::String(s)) => Patch::Value(s.clone()),
            _ => return Err(ScimError::invalid("externalId must be a string")),
        };
        return Ok(());
    }
    if ["id", "meta", "schemas"].iter().any(|r| is(r)) {
        return Ok(());
    }
    if !is("members") {
        return Err(ScimError::path(format!("no group attribute {attr:?}")));
    }
    match (kind, filter) {
        (Kind::Add, None) => f.add(member_ids(v)?),
        (Kind::Replace, None) => f.set(member_ids(v)?),
        (Kind::Remove, None) if v.is_null() => f.set(Vec::new()),
        (Kind::Remove, None) => f.remove(member_ids(v)?),
        (Kind::Remove, Some(filter)) => {
            let ids = match value_list(filter) {
                Some(ids) => ids,
                None => current()?
                    .into_iter()
                    .filter(|u| matches(filter, &json!({"value": u.to_string()})))
                    .collect(),
            };
            f.remove(ids);
        }
        (_, Some(filter)) => {
            // `add members[value eq "42"]`: the member the filter names.
            let ids = value_list(filter)
                .ok_or_else(|| ScimError::path("members: the filter names no member"))?;
            f.add(ids);
        }
    }
    Ok(())
}

/// The ids of a filter of `value eq "42"` tests joined by `or`.
fn value_list(filter: &Filter) -> Option<Vec<UserId>> {
    match filter {
        Filter::Compare(p, crate::filter::CompareOp::Eq, v) if p.is("value") => {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some(
                s.trim()
                    .parse::<i64>()
                    .ok()
                    .map(UserId::new)
                    .into_iter()
                    .collect(),
            )
        }
        Filter::Or(a, b) => {
            let mut ids = value_list(a)?;
            ids.extend(value_list(b)?);
            Some(ids)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(v: Value) -> Vec<Operation> {
        serde_json::from_value(v).expect("ops")
    }

    fn none() -> Result<Vec<UserId>, ScimError> {
        Ok(vec![UserId::new(1), UserId::new(2)])
    }

    #[test]
    fn okta_and_entra_group_patches_fold_in_order() {
        let f = fold(
            &ops(json!([
                {"op": "replace", "value": {"id": "7", "displayName": "Sales"}},
                {"op": "remove", "path": "members[value eq \"1\"]"},
                {"op": "add", "path": "members", "value": [{"value": "3", "display": "x"}, {"value": "1"}]},
                {"op": "Remove", "path": "members", "value": [{"value": "3"}]},
            ])),
            &mut none,
        )
        .expect("folded");
        assert_eq!(f.name.as_deref(), Some("Sales"));
        assert_eq!(f.add, [UserId::new(1)].into_iter().collect());
        assert_eq!(f.remove, [UserId::new(3)].into_iter().collect());
        let f = fold(
            &ops(json!([{"op": "remove", "path": "members[value ne \"1\"]"}])),
            &mut none,
        )
        .expect("folded");
        assert_eq!(f.remove, [UserId::new(2)].into_iter().collect());
        for bad in [
            json!([{"op": "add", "path": "members", "value": [{"value": "x"}]}]),
            json!([{"op": "add", "path": "nope", "value": 1}]),
            json!([{"op": "remove", "path": "displayName"}]),
        ] {
            assert!(fold(&ops(bad), &mut none).is_err());
        }
    }

    #[test]
    fn ids_name_role_groups_and_groups() {
        assert_eq!(which("Admin").expect("role"), Which::Role(Role::Admin));
        assert_eq!(which("12").expect("group"), Which::Plain(GroupId::new(12)));
        assert!(which("nope").is_err());
        assert!(which("-1").is_err());
    }
}
