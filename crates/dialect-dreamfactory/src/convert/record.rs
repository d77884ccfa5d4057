//! The user record as DreamFactory returns it, in DreamFactory's field order, cut to the
//! `fields=` selection. Dates: `created_date` like `2023-09-19T15:15:54.000000Z`,
//! `last_login_date` like `2023-09-20 20:05:16`.

use chrono::NaiveDateTime;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;
use usergate_core::{Status, User};

/// The record's fields, in DreamFactory's order.
pub const FIELDS: [&str; 17] = [
    "id",
    "name",
    "username",
    "first_name",
    "last_name",
    "last_login_date",
    "email",
    "is_active",
    "phone",
    "security_question",
    "default_app_id",
    "created_date",
    "last_modified_date",
    "created_by_id",
    "last_modified_by_id",
    "confirmed",
    "expired",
];

/// The relations DreamFactory's clients ask for with `related=`; usergate has no apps or
/// lookups, so each is an empty list.
pub const RELATIONS: [&str; 3] = [
    "lookup_by_user_id",
    "user_to_app_to_role_by_user_id",
    "user_lookup_by_user_id",
];

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn df_timestamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// `YYYY-MM-DD HH:MM:SS`.
pub fn df_date(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// One field of a user's record.
pub fn field(user: &User, name: &str) -> Value {
    let attr = |k: &str| user.attributes.get(k).cloned().unwrap_or(Value::Null);
    let text = |s: &Option<String>| s.clone().map_or(Value::Null, Value::String);
    match name {
        "id" => Value::from(user.id.get()),
        "name" => Value::from(user.name.clone()),
        // DreamFactory defaults the username to the email.
        "username" => user
            .attributes
            .get("username")
            .cloned()
            .unwrap_or_else(|| Value::from(user.email.as_str())),
        "first_name" => text(&user.profile.first_name),
        "last_name" => text(&user.profile.last_name),
        "last_login_date" => user
            .last_login_at
            .map_or(Value::Null, |t| df_date(t).into()),
        "email" => Value::from(user.email.as_str()),
        "is_active" => Value::from(user.status == Status::Active),
        "phone" => text(&user.profile.phone),
        "security_question" | "default_app_id" | "created_by_id" | "last_modified_by_id" => {
            attr(name)
        }
        "created_date" => df_timestamp(user.created_at).into(),
        "last_modified_date" => df_timestamp(user.updated_at).into(),
        // False while invited: no password yet.
        "confirmed" => Value::from(user.has_password),
        "expired" => Value::from(false),
        _ => Value::Null,
    }
}

/// Which fields and relations a response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    fields: Vec<&'static str>,
    relations: Vec<&'static str>,
}

impl Shape {
    /// From `fields=` (comma list, `*` for all; unknown names are ignored, as DreamFactory
    /// ignores them) and `related=`. `default_all`: what a missing `fields` means (all on reads,
    /// `id` on writes).
    pub fn parse(fields: Option<&str>, related: Option<&str>, default_all: bool) -> Shape {
        let fields = match fields.map(str::trim).filter(|f| !f.is_empty()) {
            None if default_all => FIELDS.to_vec(),
            None => vec!["id"],
            Some(list) if list.split(',').any(|f| f.trim() == "*") => FIELDS.to_vec(),
            Some(list) => {
                let wanted: Vec<&str> = list.split(',').map(str::trim).collect();
                FIELDS
                    .into_iter()
                    .filter(|f| wanted.iter().any(|w| w.eq_ignore_ascii_case(f)))
                    .collect()
            }
        };
        let relations = related
            .map(|r| {
                let wanted: Vec<&str> = r.split(',').map(str::trim).collect();
                RELATIONS
                    .into_iter()
                    .filter(|rel| wanted.contains(rel))
                    .collect()
            })
            .unwrap_or_default();
        Shape { fields, relations }
    }

    /// A user's record in this shape.
    pub fn view<'a>(&'a self, user: &'a User) -> RecordView<'a> {
        RecordView { shape: self, user }
    }
}

/// A record ready to serialise.
pub struct RecordView<'a> {
    shape: &'a Shape,
    user: &'a User,
}

impl serde::Serialize for RecordView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map =
            serializer.serialize_map(Some(self.shape.fields.len() + self.shape.relations.len()))?;
        for f in &self.shape.fields {
            map.serialize_entry(f, &field(self.user, f))?;
        }
        for r in &self.shape.relations {
            map.serialize_entry(r, &Vec::<Value>::new())?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_follow_fields_and_related() {
        let all = Shape::parse(None, None, true);
        assert_eq!(all.fields.len(), 17);
        assert_eq!(Shape::parse(None, None, false).fields, ["id"]);
        assert_eq!(Shape::parse(Some("*"), None, false).fields.len(), 17);
        let some = Shape::parse(Some("email, id,nope"), Some("lookup_by_user_id"), true);
        assert_eq!(
            some.fields,
            ["id", "email"],
            "DreamFactory's order, unknown ignored"
        );
        assert_eq!(some.relations, ["lookup_by_user_id"]);
    }

    #[test]
    fn dates_have_dreamfactorys_formats() {
        let t = chrono::NaiveDate::from_ymd_opt(2023, 9, 19)
            .and_then(|d| d.and_hms_micro_opt(15, 15, 54, 120))
            .expect("time");
        assert_eq!(df_timestamp(t), "2023-09-19T15:15:54.000120Z");
        assert_eq!(df_date(t), "2023-09-19 15:15:54");
    }
}
