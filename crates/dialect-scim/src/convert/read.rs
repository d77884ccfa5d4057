//! Reading a request's resource: attribute names in any case (unknown ones dropped), values
//! normalised to what the schema says (booleans from strings, Entra's role strings and bare
//! `manager` values), `schemas` checked.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::filter::get;
use crate::wire::{Attr, ENTERPRISE_ATTRS, ENTERPRISE_URN, Mutability, Ty, USER_ATTRS, find};

/// Reads a JSON value as a boolean: `true`/`false`, or those words in any case.
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A value of a published attribute as the schema has it: sub-attributes under their
/// published names (unknown ones dropped), booleans as booleans, a bare-string complex value
/// as `{"value": ...}` (Entra's `manager`), an Entra role that is a JSON string as its inner
/// `value`. A value of the wrong type is 400 `invalidValue`.
pub fn normalize(attr: &Attr, v: Value) -> Result<Value, ScimError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    if attr.multi {
        let items = match v {
            Value::Array(items) => items,
            one => vec![one],
        };
        let single = Attr {
            multi: false,
            ..*attr
        };
        return items
            .into_iter()
            .map(|i| normalize(&single, i))
            .filter(|r| !matches!(r, Ok(Value::Null)))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    let wrong = || ScimError::invalid(format!("{} has the wrong type", attr.name));
    match attr.ty {
        Ty::Bool => boolean(&v).map(Value::Bool).ok_or_else(wrong),
        Ty::Complex => {
            let object = match v {
                Value::Object(o) => o,
                Value::String(s) if attr.name == "roles" => entra_role(&s),
                Value::String(s) => [("value".to_owned(), Value::String(s))]
                    .into_iter()
                    .collect(),
                _ => return Err(wrong()),
            };
            let mut out = Map::new();
            for (k, v) in object {
                let Some(sub) = find(attr.subs, &k) else {
                    continue;
                };
                if sub.mutability == Mutability::ReadOnly {
                    continue;
                }
                let v = if attr.name == "roles" && sub.name == "value" {
                    match v {
                        Value::String(s) if s.trim_start().starts_with('{') => {
                            entra_role(&s).remove("value").unwrap_or(Value::Null)
                        }
                        other => other,
                    }
                } else {
                    v
                };
                let v = normalize(sub, v)?;
                if !v.is_null() {
                    out.insert(sub.name.to_owned(), v);
                }
            }
            Ok(Value::Object(out))
        }
        Ty::Str | Ty::Reference | Ty::DateTime => match v {
            Value::String(_) => Ok(v),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(wrong()),
        },
    }
}

/// Entra sends an app role as a JSON string (`"{\"id\":..,\"value\":\"Admin\"}"`): its
/// inner `value` is the role.
fn entra_role(s: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(o)) => o
            .into_iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("value"))
            .map(|(_, v)| ("value".to_owned(), v))
            .collect(),
        _ => [("value".to_owned(), Value::String(s.to_owned()))]
            .into_iter()
            .collect(),
    }
}

/// A request's `schemas`, when it has one, must be a list of URNs (which are not checked
/// further: unknown ones are ignored).
pub fn check_schemas(body: &Value) -> Result<(), ScimError> {
    match get(body, "schemas") {
        None => Ok(()),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Ok(()),
        Some(_) => Err(ScimError::bad(
            "invalidSyntax",
            "schemas must be a list of URNs",
        )),
    }
}

/// A request's User: published, writable attributes under their names (the enterprise
/// extension under its URN), everything else dropped.
pub fn read_resource(body: Value) -> Result<Map<String, Value>, ScimError> {
    check_schemas(&body)?;
    let Value::Object(body) = body else {
        return Err(ScimError::bad(
            "invalidSyntax",
            "The body is not a JSON object",
        ));
    };
    let mut out = Map::new();
    for (k, v) in body {
        if k.eq_ignore_ascii_case(ENTERPRISE_URN) {
            let Value::Object(ext) = v else { continue };
            let mut e = Map::new();
            for (k, v) in ext {
                if let Some(a) = find(&ENTERPRISE_ATTRS, &k) {
                    let v = normalize(a, v)?;
                    if !v.is_null() {
                        e.insert(a.name.to_owned(), v);
                    }
                }
            }
            out.insert(ENTERPRISE_URN.to_owned(), Value::Object(e));
        } else if let Some(a) = find(&USER_ATTRS, &k)
            && a.mutability != Mutability::ReadOnly
        {
            let v = normalize(a, v)?;
            if !v.is_null() {
                out.insert(a.name.to_owned(), v);
            }
        }
    }
    Ok(out)
}
