//! PATCH (RFC 7644 section 3.5.2) on a User: the operations apply in order to the User as it
//! reads (its writable attributes), and the result is written as one core change, so a PATCH
//! is all or nothing. Entra's and Okta's habits are understood: capitalised `op`s, path-less
//! operations whose value holds attribute names, dotted paths or URNs, `add` or `replace` on
//! `attr[type eq "x"].sub` with no match creating `{type: x, sub: value}`, and `id` in a value
//! object ignored.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::convert::read::normalize;
use crate::error::ScimError;
use crate::filter::{CompareOp, Filter, PatchPath, get, matches, parse_path};
use crate::wire::{Attr, ENTERPRISE_ATTRS, ENTERPRISE_URN, Mutability, USER_ATTRS, USER_URN, find};

/// A PATCH body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": false}]}))]
pub struct PatchBody {
    /// `urn:ietf:params:scim:api:messages:2.0:PatchOp` (not checked).
    #[serde(default)]
    pub schemas: Option<Vec<String>>,
    /// The operations, applied in order.
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<Operation>,
}

/// One operation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Operation {
    /// `add`, `replace` or `remove`, in any case.
    #[serde(alias = "Op", alias = "OP")]
    #[schema(pattern = "^(?i)(add|replace|remove)$", example = "replace")]
    pub op: String,
    /// Where; none for `add` and `replace` with an object value.
    #[serde(default, alias = "Path", alias = "PATH")]
    #[schema(pattern = r"^[^\u0000]*$")]
    pub path: Option<String>,
    /// What.
    #[serde(default, alias = "Value", alias = "VALUE")]
    #[schema(value_type = Object)]
    pub value: Value,
}

/// An operation's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Add (to a list: append).
    Add,
    /// Replace.
    Replace,
    /// Remove.
    Remove,
}

impl Operation {
    /// The kind; another word is 400 `invalidSyntax`.
    pub fn kind(&self) -> Result<Kind, ScimError> {
        match self.op.to_ascii_lowercase().as_str() {
            "add" => Ok(Kind::Add),
            "replace" => Ok(Kind::Replace),
            "remove" => Ok(Kind::Remove),
            other => Err(ScimError::bad(
                "invalidSyntax",
                format!("op {other:?} is not add, replace or remove"),
            )),
        }
    }
}

/// The schema of a path's attribute, and whether it is in the enterprise extension; `None`
/// for an attribute requests may not write (ignored); an unknown attribute is 400
/// `invalidPath`.
fn resolve(path: &PatchPath) -> Result<Option<(&'static Attr, bool)>, ScimError> {
    let a = &path.attr;
    let (attrs, ext): (&'static [Attr], bool) = match a.urn {
        Some(ENTERPRISE_URN) => (&ENTERPRISE_ATTRS, true),
        Some(USER_URN) | None => (&USER_ATTRS, false),
        Some(other) => return Err(ScimError::path(format!("{other} is not a User schema"))),
    };
    if ["id", "meta", "schemas", "groups"]
        .iter()
        .any(|r| a.name.eq_ignore_ascii_case(r))
    {
        return Ok(None);
    }
    let attr = find(attrs, &a.name)
        .ok_or_else(|| ScimError::path(format!("no attribute {:?}", a.name)))?;
    if attr.mutability == Mutability::ReadOnly {
        return Ok(None);
    }
    let sub = a.sub.as_ref().or(path.sub.as_ref());
    if let Some(s) = sub
        && find(attr.subs, s).is_none()
    {
        return Err(ScimError::path(format!("no attribute {}.{s}", attr.name)));
    }
    Ok(Some((attr, ext)))
}

/// Applies the operations in order to a User's writable attributes.
pub fn apply(doc: &mut Map<String, Value>, ops: &[Operation]) -> Result<(), ScimError> {
    for op in ops {
        let kind = op.kind()?;
        match op.path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(path) => apply_one(doc, kind, &parse_path(path)?, op.value.clone())?,
            None if kind == Kind::Remove => {
                return Err(ScimError::bad("noTarget", "remove needs a path"));
            }
            None => {
                let Value::Object(values) = &op.value else {
                    return Err(ScimError::invalid(
                        "an operation without a path needs an object value",
                    ));
                };
                for (key, v) in values {
                    if key.eq_ignore_ascii_case(ENTERPRISE_URN) {
                        let Value::Object(ext) = v else { continue };
                        for (k, v) in ext {
                            let path = parse_path(&format!("{ENTERPRISE_URN}:{k}"))?;
                            apply_one(doc, kind, &path, v.clone())?;
                        }
                        continue;
                    }
                    apply_one(doc, kind, &parse_path(key)?, v.clone())?;
                }
            }
        }
    }
    Ok(())
}

fn apply_one(
    doc: &mut Map<String, Value>,
    kind: Kind,
    path: &PatchPath,
    value: Value,
) -> Result<(), ScimError> {
    if path.attr.name.eq_ignore_ascii_case(ENTERPRISE_URN) {
        // The whole extension.
        let Value::Object(ext) = value else {
            if kind == Kind::Remove {
                doc.remove(ENTERPRISE_URN);
                return Ok(());
            }
            return Err(ScimError::invalid(
                "the extension's value must be an object",
            ));
        };
        if kind == Kind::Remove {
            doc.remove(ENTERPRISE_URN);
            return Ok(());
        }
        for (k, v) in ext {
            apply_one(doc, kind, &parse_path(&format!("{ENTERPRISE_URN}:{k}"))?, v)?;
        }
        return Ok(());
    }
    let Some((attr, in_ext)) = resolve(path)? else {
        return Ok(());
    };
    if kind == Kind::Remove && path.filter.is_none() && path.attr.sub.is_none() {
        match attr.name {
            "userName" | "active" => {
                return Err(ScimError::mutability(format!(
                    "{} cannot be removed",
                    attr.name
                )));
            }
            // Re-derived, and role `user`: the markers `target` reads.
            "displayName" | "roles" if value.is_null() || !attr.multi => {
                doc.insert(attr.name.into(), Value::Null);
                return Ok(());
            }
            _ => {}
        }
    }
    let container = if in_ext {
        let ext = doc
            .entry(ENTERPRISE_URN)
            .or_insert_with(|| Value::Object(Map::new()));
        if !ext.is_object() {
            *ext = Value::Object(Map::new());
        }
        match ext {
            Value::Object(o) => o,
            _ => return Err(ScimError::invalid("the extension is not an object")),
        }
    } else {
        doc
    };
    let sub_name = path
        .attr
        .sub
        .as_deref()
        .or(path.sub.as_deref())
        .and_then(|s| find(attr.subs, s))
        .map(|s| s.name);
    match (&path.filter, sub_name) {
        (None, None) => whole(container, attr, kind, value),
        (None, Some(sub)) => {
            let sub_attr = find(attr.subs, sub).copied().unwrap_or(*attr);
            let v = normalize(&sub_attr, value)?;
            if attr.multi {
                let Some(Value::Array(items)) = container.get_mut(attr.name) else {
                    if kind != Kind::Remove {
                        container.insert(attr.name.into(), serde_json::json!([{ sub: v }]));
                    }
                    return Ok(());
                };
                for item in items.iter_mut() {
                    set_sub(item, sub, kind, v.clone());
                }
                return Ok(());
            }
            let target = container
                .entry(attr.name)
                .or_insert_with(|| Value::Object(Map::new()));
            set_sub(target, sub, kind, v);
            if target.as_object().is_some_and(Map::is_empty) {
                container.remove(attr.name);
            }
            Ok(())
        }
        (Some(filter), sub) => filtered(container, attr, kind, filter, sub, value),
    }
}

fn set_sub(target: &mut Value, sub: &str, kind: Kind, v: Value) {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(o) = target {
        if kind == Kind::Remove || v.is_null() {
            o.remove(sub);
        } else {
            o.insert(sub.to_owned(), v);
        }
    }
}

/// An operation on a whole attribute.
fn whole(
    container: &mut Map<String, Value>,
    attr: &Attr,
    kind: Kind,
    value: Value,
) -> Result<(), ScimError> {
    let value = normalize(attr, value)?;
    match kind {
        Kind::Remove if attr.multi && value.is_array() => {
            // Remove only these entries (Entra: `"value": [{"value": "42"}]`).
            let Value::Array(gone) = value else {
                return Ok(());
            };
            if let Some(Value::Array(items)) = container.get_mut(attr.name) {
                items.retain(|i| {
                    !gone
                        .iter()
                        .any(|g| get(g, "value").is_some() && get(g, "value") == get(i, "value"))
                });
            }
            Ok(())
        }
        Kind::Remove => {
            container.remove(attr.name);
            Ok(())
        }
        _ if value.is_null() => {
            container.remove(attr.name);
            Ok(())
        }
        Kind::Add if attr.multi => {
            let Value::Array(new) = value else {
                return Ok(());
            };
            let items = container
                .entry(attr.name)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = items {
                for n in new {
                    if !items.contains(&n) {
                        items.push(n);
                    }
                }
            }
            Ok(())
        }
        Kind::Add if attr.ty == crate::wire::Ty::Complex => {
            let Value::Object(new) = value else {
                return Ok(());
            };
            let target = container
                .entry(attr.name)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = target {
                o.extend(new);
            } else {
                *target = Value::Object(new);
            }
            Ok(())
        }
        _ => {
            container.insert(attr.name.into(), value);
            Ok(())
        }
    }
}

/// An operation on the entries of a multi-valued attribute that match a filter.
fn filtered(
    container: &mut Map<String, Value>,
    attr: &Attr,
    kind: Kind,
    filter: &Filter,
    sub: Option<&'static str>,
    value: Value,
) -> Result<(), ScimError> {
    if !attr.multi {
        return Err(ScimError::path(format!(
            "{} is not multi-valued: it takes no filter",
            attr.name
        )));
    }
    let sub_attr = sub.and_then(|s| find(attr.subs, s)).copied();
    let value = match sub_attr {
        Some(s) => normalize(&s, value)?,
        None if kind == Kind::Remove => Value::Null,
        None => normalize(
            &Attr {
                multi: false,
                ..*attr
            },
            value,
        )?,
    };
    let items = container
        .entry(attr.name)
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(items) = items else {
        return Ok(());
    };
    let hits: Vec<usize> = (0..items.len())
        .filter(|i| matches(filter, &items[*i]))
        .collect();
    match (kind, sub) {
        (Kind::Remove, None) => {
            let mut i = 0;
            items.retain(|_| {
                let keep = !hits.contains(&i);
                i += 1;
                keep
            });
        }
        (Kind::Remove, Some(s)) => {
            for i in hits {
                set_sub(&mut items[i], s, Kind::Remove, Value::Null);
            }
        }
        (_, Some(s)) if hits.is_empty() => {
            // Entra: `emails[type eq "work"].value` with no work address adds one.
            let mut entry = equalities(filter).ok_or_else(|| {
                ScimError::bad(
                    "noTarget",
                    format!("no {} entry matches the path", attr.name),
                )
            })?;
            entry.insert(s.to_owned(), value);
            items.push(Value::Object(entry));
        }
        (_, Some(s)) => {
            for i in hits {
                set_sub(&mut items[i], s, Kind::Replace, value.clone());
            }
        }
        (_, None) if hits.is_empty() => {
            if kind == Kind::Replace {
                return Err(ScimError::bad(
                    "noTarget",
                    format!("no {} entry matches the path", attr.name),
                ));
            }
            items.push(value);
        }
        (Kind::Add, None) => {
            for i in hits {
                if let (Value::Object(o), Value::Object(new)) = (&mut items[i], &value) {
                    o.extend(new.clone());
                }
            }
        }
        (_, None) => {
            for i in hits {
                items[i] = value.clone();
            }
        }
    }
    if items.is_empty() {
        container.remove(attr.name);
    }
    Ok(())
}

/// The entry a filter of `eq`s joined by `and` describes (`type eq "work"`).
fn equalities(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare(p, CompareOp::Eq, v) if p.sub.is_none() => {
            Some([(p.name.clone(), v.clone())].into_iter().collect())
        }
        Filter::And(a, b) => {
            let mut m = equalities(a)?;
            m.extend(equalities(b)?);
            Some(m)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(v: Value) -> Vec<Operation> {
        serde_json::from_value(v).expect("ops")
    }

    fn doc() -> Map<String, Value> {
        json!({
            "userName": "jdoe", "displayName": "J Doe", "active": true,
            "emails": [{"value": "j@x.com", "type": "work", "primary": true}],
            "name": {"givenName": "J", "familyName": "Doe"},
        })
        .as_object()
        .cloned()
        .expect("object")
    }

    #[test]
    fn entras_default_shapes() {
        let mut d = doc();
        apply(
            &mut d,
            &ops(json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@x.com"},
                {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555"},
                {"op": "Replace", "path": "name.givenName", "value": "Jane"},
                {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "7"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "42"},
            ])),
        )
        .expect("applied");
        assert_eq!(d["active"], json!(false));
        assert_eq!(d["emails"][0]["value"], json!("new@x.com"));
        assert_eq!(
            d["phoneNumbers"],
            json!([{"type": "mobile", "value": "555"}])
        );
        assert_eq!(d["name"]["givenName"], json!("Jane"));
        assert_eq!(
            d[ENTERPRISE_URN],
            json!({"employeeNumber": "7", "manager": {"value": "42"}})
        );
    }

    #[test]
    fn path_less_values_okta_and_flagged_entra() {
        let mut d = doc();
        apply(
            &mut d,
            &ops(json!([
                {"op": "replace", "value": {"active": false, "id": "9"}},
                {"op": "replace", "value": {"name.familyName": "Roe", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D"}},
            ])),
        )
        .expect("applied");
        assert_eq!(d["active"], json!(false));
        assert_eq!(d["name"]["familyName"], json!("Roe"));
        assert_eq!(d[ENTERPRISE_URN]["department"], json!("R&D"));
        assert!(!d.contains_key("id"));
    }

    #[test]
    fn removes_and_refusals() {
        let mut d = doc();
        apply(
            &mut d,
            &ops(json!([
                {"op": "remove", "path": "emails[type eq \"work\"]"},
                {"op": "remove", "path": "displayName"},
                {"op": "add", "path": "emails", "value": [{"value": "a@x.com"}, {"value": "a@x.com"}]},
            ])),
        )
        .expect("applied");
        assert_eq!(d["emails"], json!([{"value": "a@x.com"}]));
        assert_eq!(d["displayName"], Value::Null, "re-derived");
        for (bad, kind) in [
            (json!([{"op": "remove", "path": "userName"}]), "mutability"),
            (json!([{"op": "remove"}]), "noTarget"),
            (
                json!([{"op": "add", "path": "nope", "value": 1}]),
                "invalidPath",
            ),
            (
                json!([{"op": "add", "path": "emails[type eq", "value": 1}]),
                "invalidPath",
            ),
            (
                json!([{"op": "move", "path": "title", "value": 1}]),
                "invalidSyntax",
            ),
            (
                json!([{"op": "replace", "path": "active", "value": "maybe"}]),
                "invalidValue",
            ),
        ] {
            let mut d = doc();
            let e = apply(&mut d, &ops(bad.clone())).expect_err("refused");
            assert!(format!("{e:?}").contains(kind), "{bad}: {e:?}");
        }
    }
}
