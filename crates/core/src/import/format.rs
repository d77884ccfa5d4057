//! usergate's own file format: one column (CSV) or key (JSON Lines) per field of [`COLUMNS`].
//! `usergate export` writes it ([`columns`]); `usergate import` reads it back ([`Row`]).
//! `id`, `updated_at` and `last_login_at` are written and ignored on import (the store assigns
//! ids; an imported user was last changed by its import).

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value, json};

use super::{ImportRecord, Position, Rejection, parse_time};
use crate::domain::{Email, LoginName, Role, Status};
use crate::error::Problem;
use crate::group::GroupName;
use crate::ports::Exported;
use crate::user::{NewUser, Profile};

/// The fields of the format, in their column order.
pub const COLUMNS: [&str; 24] = [
    "id",
    "email",
    "name",
    "first_name",
    "last_name",
    "title",
    "phone",
    "alternate_email",
    "location",
    "timezone",
    "locale",
    "avatar_url",
    "role",
    "status",
    "employee_number",
    "external_id",
    "login_name",
    "groups",
    "attributes",
    "password_hash",
    "created_at",
    "updated_at",
    "last_login_at",
    "deleted_at",
];

/// One value of a record as written: nothing (absent, `null` or `""`), text, or another JSON
/// value (JSON Lines only: a CSV cell is always text).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Cell {
    /// Nothing.
    #[default]
    Empty,
    /// A string.
    Text(String),
    /// A number, a boolean, an array or an object.
    Json(Value),
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => Cell::Empty,
            Value::String(s) if s.is_empty() => Cell::Empty,
            Value::String(s) => Cell::Text(s),
            other => Cell::Json(other),
        })
    }
}

/// One record of the format, every column read leniently: [`Row::into_record`] checks them
/// all and reports each problem.
#[derive(Debug, Default, Deserialize)]
pub struct Row {
    /// The login address (required).
    #[serde(default)]
    pub email: Cell,
    /// Display name.
    #[serde(default)]
    pub name: Cell,
    /// Given name.
    #[serde(default)]
    pub first_name: Cell,
    /// Family name.
    #[serde(default)]
    pub last_name: Cell,
    /// Job title.
    #[serde(default)]
    pub title: Cell,
    /// Phone.
    #[serde(default)]
    pub phone: Cell,
    /// A second address.
    #[serde(default)]
    pub alternate_email: Cell,
    /// Location.
    #[serde(default)]
    pub location: Cell,
    /// Time zone.
    #[serde(default)]
    pub timezone: Cell,
    /// Locale.
    #[serde(default)]
    pub locale: Cell,
    /// Picture URL.
    #[serde(default)]
    pub avatar_url: Cell,
    /// Core's role name (default: the import's).
    #[serde(default)]
    pub role: Cell,
    /// Core's status name (default `active`).
    #[serde(default)]
    pub status: Cell,
    /// A whole number, or a string of digits.
    #[serde(default)]
    pub employee_number: Cell,
    /// The identity provider's id, as written.
    #[serde(default)]
    pub external_id: Cell,
    /// A login name that is not an address.
    #[serde(default)]
    pub login_name: Cell,
    /// The names of the user's groups: a JSON array of strings, or its text.
    #[serde(default)]
    pub groups: Cell,
    /// A JSON object, or its text.
    #[serde(default)]
    pub attributes: Cell,
    /// A hash of a recognised format ([`crate::hashes`]).
    #[serde(default)]
    pub password_hash: Cell,
    /// When the source created the user.
    #[serde(default)]
    pub created_at: Cell,
    /// When the source deleted the user.
    #[serde(default)]
    pub deleted_at: Cell,
    /// Written by `export`; ignored.
    #[serde(default)]
    pub id: IgnoredAny,
    /// Written by `export`; ignored.
    #[serde(default)]
    pub updated_at: IgnoredAny,
    /// Written by `export`; ignored.
    #[serde(default)]
    pub last_login_at: IgnoredAny,
    /// Keys that are no column (each one reported).
    #[serde(flatten)]
    pub unknown: Map<String, Value>,
}

/// Collects a record's problems, one per field.
struct Problems<'a> {
    at: Position,
    email: Option<&'a str>,
    found: Vec<Rejection>,
}

impl Problems<'_> {
    fn reject(&mut self, field: &str, reason: impl Into<String>) {
        self.found.push(Rejection {
            at: self.at,
            email: self.email.map(str::to_owned),
            field: field.to_owned(),
            reason: reason.into(),
        });
    }

    fn text(&mut self, field: &str, cell: Cell) -> Option<String> {
        match cell {
            Cell::Empty => None,
            Cell::Text(s) => Some(s),
            Cell::Json(_) => {
                self.reject(field, "not a string");
                None
            }
        }
    }

    fn time(&mut self, field: &str, cell: Cell) -> Option<chrono::NaiveDateTime> {
        let text = self.text(field, cell)?;
        let t = parse_time(&text);
        if t.is_none() {
            self.reject(
                field,
                "not a time (RFC 3339, or YYYY-MM-DD HH:MM:SS in UTC)",
            );
        }
        t
    }

    /// Group names: a JSON array of strings (in a CSV cell, its text), each a valid name.
    fn groups(&mut self, cell: Cell) -> Vec<GroupName> {
        let list = match cell {
            Cell::Empty => return Vec::new(),
            Cell::Json(v) => v,
            Cell::Text(s) => serde_json::from_str(&s).unwrap_or(Value::Null),
        };
        let names: Option<Vec<GroupName>> = match list {
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().and_then(|n| GroupName::parse(n).ok()))
                .collect(),
            _ => None,
        };
        names.unwrap_or_else(|| {
            self.reject(
                "groups",
                "not a JSON array of group names (a role's name is none)",
            );
            Vec::new()
        })
    }

    fn one_of<T: std::str::FromStr>(
        &mut self,
        field: &str,
        cell: Cell,
        names: &[&str],
    ) -> Option<T> {
        let text = self.text(field, cell)?;
        let parsed = text.parse().ok();
        if parsed.is_none() {
            let allowed = names.iter().map(|n| (*n).to_owned()).collect();
            self.reject(field, Problem::NotAllowed { allowed }.to_string());
        }
        parsed
    }
}

impl Row {
    /// The record, or every problem it has (one per field); a record without a role gets
    /// `default_role`.
    pub fn into_record(
        self,
        at: Position,
        default_role: Role,
    ) -> Result<ImportRecord, Vec<Rejection>> {
        let email_text = match &self.email {
            Cell::Text(s) => Some(s.clone()),
            _ => None,
        };
        let mut p = Problems {
            at,
            email: email_text.as_deref(),
            found: Vec::new(),
        };
        let email = p.text("email", self.email);
        let name = p.text("name", self.name);
        let profile = Profile {
            first_name: p.text("first_name", self.first_name),
            last_name: p.text("last_name", self.last_name),
            title: p.text("title", self.title),
            phone: p.text("phone", self.phone),
            alternate_email: p.text("alternate_email", self.alternate_email),
            location: p.text("location", self.location),
            timezone: p.text("timezone", self.timezone),
            locale: p.text("locale", self.locale),
            avatar_url: p.text("avatar_url", self.avatar_url),
        };
        let password_hash = p.text("password_hash", self.password_hash);
        for key in self.unknown.keys() {
            p.reject(key, "unknown field");
        }
        let email = match email.map(|e| Email::parse(&e)) {
            None => {
                p.reject("email", Problem::Required.to_string());
                None
            }
            Some(Err(e)) => {
                p.reject("email", e.problem.to_string());
                None
            }
            Some(Ok(e)) => Some(e),
        };
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        let role = p.one_of("role", self.role, &roles).unwrap_or(default_role);
        let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        let status = p
            .one_of("status", self.status, &statuses)
            .unwrap_or(Status::Active);
        let employee_number = match self.employee_number {
            Cell::Empty => None,
            Cell::Json(Value::Number(n)) if n.is_i64() => n.as_i64(),
            Cell::Text(s) if s.trim().parse::<i64>().is_ok() => s.trim().parse().ok(),
            _ => {
                p.reject("employee_number", "not a whole number");
                None
            }
        };
        let attributes = match self.attributes {
            Cell::Empty => Map::new(),
            Cell::Json(Value::Object(m)) => m,
            Cell::Text(s) => match serde_json::from_str(&s) {
                Ok(Value::Object(m)) => m,
                _ => {
                    p.reject("attributes", "not a JSON object");
                    Map::new()
                }
            },
            Cell::Json(_) => {
                p.reject("attributes", "not a JSON object");
                Map::new()
            }
        };
        let external_id = p.text("external_id", self.external_id);
        if let Some(Err(e)) = external_id.as_deref().map(crate::domain::external_id) {
            p.reject("external_id", e.problem.to_string());
        }
        let login_name = match p
            .text("login_name", self.login_name)
            .map(|n| LoginName::parse(&n))
        {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(e)) => {
                p.reject("login_name", e.problem.to_string());
                None
            }
        };
        let groups = p.groups(self.groups);
        let created_at = p.time("created_at", self.created_at);
        let deleted_at = p.time("deleted_at", self.deleted_at);
        match email {
            Some(email) if p.found.is_empty() => Ok(ImportRecord {
                at,
                user: NewUser {
                    name,
                    profile,
                    role,
                    status,
                    employee_number,
                    external_id,
                    login_name,
                    attributes,
                    ..NewUser::new(email)
                },
                groups,
                password_hash,
                created_at,
                deleted_at,
            }),
            _ => Err(p.found),
        }
    }
}

/// An exported user as the fields of [`COLUMNS`], in their order.
pub fn columns(e: &Exported) -> Map<String, Value> {
    let u = &e.user;
    let time = |t: Option<chrono::NaiveDateTime>| {
        t.map_or(Value::Null, |t| {
            Value::String(t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        })
    };
    let mut fields = Map::new();
    fields.insert("id".into(), json!(u.id.get()));
    fields.insert("email".into(), json!(u.email.as_str()));
    fields.insert("name".into(), json!(u.name));
    for (name, value) in u.profile.fields() {
        fields.insert(name.into(), json!(value));
    }
    fields.insert("role".into(), json!(u.role.as_str()));
    fields.insert("status".into(), json!(u.status.as_str()));
    fields.insert("employee_number".into(), json!(u.employee_number));
    fields.insert("external_id".into(), json!(u.external_id));
    fields.insert(
        "login_name".into(),
        json!(u.login_name.as_ref().map(LoginName::as_str)),
    );
    fields.insert("groups".into(), json!(e.groups));
    fields.insert("attributes".into(), Value::Object(u.attributes.clone()));
    fields.insert("password_hash".into(), json!(e.password_hash));
    fields.insert("created_at".into(), time(Some(u.created_at)));
    fields.insert("updated_at".into(), time(Some(u.updated_at)));
    fields.insert("last_login_at".into(), time(u.last_login_at));
    fields.insert("deleted_at".into(), time(e.deleted_at));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;

    fn row(fields: Value) -> Row {
        serde_json::from_value(fields).expect("a row")
    }

    #[test]
    fn exported_fields_are_the_columns_in_order_and_read_back() {
        let user = crate::user::User {
            id: UserId::new(7),
            email: Email::parse("A.B@Example.com").expect("email"),
            name: "A, \"B\"".into(),
            profile: Profile::default(),
            role: Role::Editor,
            status: Status::Suspended,
            has_password: true,
            employee_number: Some(12),
            external_id: Some("00u1Ab".into()),
            login_name: Some(LoginName::parse("jdoe").expect("login name")),
            attributes: Map::new(),
            credentials_version: 1,
            created_at: parse_time("2026-01-02T03:04:05.123456Z").expect("time"),
            updated_at: parse_time("2026-01-02 03:04:05").expect("time"),
            last_login_at: None,
        };
        let fields = columns(&Exported {
            user,
            password_hash: None,
            deleted_at: None,
            groups: vec!["Sales".into(), "Ops, \"EU\"".into()],
        });
        let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(keys, COLUMNS);
        // What export writes, import reads back, as CSV cells (text) and as JSON Lines.
        let text: Map<String, Value> = fields
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let s = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                (k.clone(), Value::String(s))
            })
            .collect();
        for read in [Value::Object(text), Value::Object(fields)] {
            let at = Position { line: 2, record: 1 };
            let back = row(read).into_record(at, Role::User).expect("record");
            assert_eq!(back.user.email.as_str(), "A.B@Example.com");
            assert_eq!(back.user.name.as_deref(), Some("A, \"B\""));
            assert_eq!(back.user.role, Role::Editor);
            assert_eq!(back.user.status, Status::Suspended);
            assert_eq!(back.user.employee_number, Some(12));
            assert_eq!(back.user.external_id.as_deref(), Some("00u1Ab"));
            assert_eq!(
                back.user.login_name.as_ref().map(LoginName::as_str),
                Some("jdoe")
            );
            let groups: Vec<&str> = back.groups.iter().map(GroupName::as_str).collect();
            assert_eq!(groups, ["Sales", "Ops, \"EU\""]);
            assert_eq!(back.created_at, parse_time("2026-01-02T03:04:05.123456Z"));
        }
    }

    #[test]
    fn a_record_reports_every_bad_field() {
        let r = row(json!({
            "email": "not an address",
            "role": "owner",
            "status": "gone",
            "employee_number": "twelve",
            "attributes": "[1]",
            "created_at": "yesterday",
            "title": 5,
            "login_name": "a@b.example",
            "groups": "[\"Admin\"]",
            "colour": "blue",
        }));
        let at = Position { line: 9, record: 4 };
        let rejected = r.into_record(at, Role::User).expect_err("rejected");
        let mut named: Vec<&str> = rejected.iter().map(|r| r.field.as_str()).collect();
        named.sort_unstable();
        assert_eq!(
            named,
            [
                "attributes",
                "colour",
                "created_at",
                "email",
                "employee_number",
                "groups",
                "login_name",
                "role",
                "status",
                "title"
            ]
        );
        assert!(rejected.iter().all(|r| r.at == at));
    }
}
