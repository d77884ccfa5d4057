//! The allow-listed diff of a user, and the neutral shape a user takes in a webhook body.

use chrono::{NaiveDateTime, SecondsFormat};
use serde_json::{Map, Value, json};

use crate::user::User;

/// The allow-listed fields of a user, with their values (never the hash, never attributes'
/// values).
fn fields(u: &User) -> Vec<(&'static str, Value)> {
    let mut out = vec![
        ("email", json!(u.email.as_str())),
        ("name", json!(u.name)),
        ("role", json!(u.role.as_str())),
        ("status", json!(u.status.as_str())),
        ("employee_number", json!(u.employee_number)),
        ("external_id", json!(u.external_id)),
        (
            "login_name",
            json!(u.login_name.as_ref().map(|n| n.as_str())),
        ),
    ];
    out.extend(u.profile.fields().map(|(name, value)| (name, json!(value))));
    out
}

/// What changed between two states of a user: `{"field": {"from": a, "to": b}}` for each
/// allow-listed field, `"password": "changed"` when `password` says so, and the names of the
/// attributes that changed.
pub fn user_changes(before: &User, after: &User, password: bool) -> Map<String, Value> {
    let mut out = Map::new();
    for ((name, from), (_, to)) in fields(before).into_iter().zip(fields(after)) {
        if from != to {
            out.insert(name.to_owned(), json!({"from": from, "to": to}));
        }
    }
    if password {
        out.insert("password".into(), json!("changed"));
    }
    let mut keys: Vec<&String> = before
        .attributes
        .keys()
        .chain(after.attributes.keys())
        .filter(|k| before.attributes.get(*k) != after.attributes.get(*k))
        .collect();
    keys.sort();
    keys.dedup();
    if !keys.is_empty() {
        out.insert("attributes".into(), json!(keys));
    }
    out
}

/// A new user's allow-listed fields that have a value: `{"field": {"to": value}}`.
pub fn created(user: &User) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in fields(user) {
        if !value.is_null() {
            out.insert(name.to_owned(), json!({ "to": value }));
        }
    }
    if user.has_password {
        out.insert("password".into(), json!("set"));
    }
    if !user.attributes.is_empty() {
        let mut keys: Vec<&String> = user.attributes.keys().collect();
        keys.sort();
        out.insert("attributes".into(), json!(keys));
    }
    out
}

/// A user in the neutral shape of events and webhooks: the generic dialect's field names,
/// the numeric id, every allow-listed field (never the hash, never free-form attributes).
pub fn user_resource(user: &User) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(user.id.get()));
    for (name, value) in fields(user) {
        out.insert(name.to_owned(), value);
    }
    out.insert("has_password".into(), json!(user.has_password));
    out.insert("created_at".into(), json!(iso(user.created_at)));
    out.insert("updated_at".into(), json!(iso(user.updated_at)));
    Value::Object(out)
}

/// ISO 8601 in UTC with microseconds.
pub(crate) fn iso(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}
