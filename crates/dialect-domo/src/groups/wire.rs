//! The Groups API's bodies and its group JSON, and their conversions to core's commands.

use serde::{Deserialize, Serialize};
use usergate_core::{
    CoreError, FieldError, Group, GroupChanges, GroupId, GroupName, GroupRef, NewGroup, Patch,
    Problem,
};
use usergate_web::wire::{Checked, Flag};
use utoipa::ToSchema;

use crate::error::DomoError;

/// The body of a create. `id`, `creatorId`, `memberCount`, `userIds` and unknown keys (the
/// Java SDK's `isActive`) are ignored.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Sales", "active": true, "default": false}))]
pub struct NewGroupBody {
    /// The name: trimmed, 1 to 255 characters, unique among groups (any case), not a role's
    /// name.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 255, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$", example = "Sales")]
    pub name: Patch<Checked<String>>,
    /// An inactive group takes no new members (default true). `"true"`/`"false"` in any case
    /// are read too.
    #[serde(default)]
    #[schema(value_type = Option<bool>, nullable = false)]
    pub active: Patch<Checked<Flag>>,
    /// New users join every active default group (default false).
    #[serde(default)]
    #[schema(value_type = Option<bool>, nullable = false)]
    pub default: Patch<Checked<Flag>>,
}

/// The body of an update: any of the create's fields; what is absent stays.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Sales EMEA", "active": false}))]
pub struct GroupBody {
    /// A new name (same rules as on create).
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable = false, min_length = 1, max_length = 255, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$", example = "Sales EMEA")]
    pub name: Patch<Checked<String>>,
    /// An inactive group takes no new members (default true). `"true"`/`"false"` in any case
    /// are read too.
    #[serde(default)]
    #[schema(value_type = Option<bool>, nullable = false)]
    pub active: Patch<Checked<Flag>>,
    /// New users join every active default group (default false).
    #[serde(default)]
    #[schema(value_type = Option<bool>, nullable = false)]
    pub default: Patch<Checked<Flag>>,
}

/// A group as Domo's API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomoGroup {
    /// The id (a number).
    #[schema(example = 7)]
    pub id: i64,
    /// The name.
    pub name: String,
    /// Whether it takes new members.
    pub active: bool,
    /// Whether new users join it.
    pub default: bool,
    /// The id of the user who made it, as a string of digits (as Domo writes it); empty for a
    /// group made by the operator or an import.
    #[schema(example = "1")]
    pub creator_id: String,
    /// How many users are members.
    pub member_count: u64,
}

impl From<&Group> for DomoGroup {
    fn from(g: &Group) -> Self {
        DomoGroup {
            id: g.id.get(),
            name: g.name.as_str().to_owned(),
            active: g.active,
            default: g.default,
            creator_id: g.creator.map(|c| c.to_string()).unwrap_or_default(),
            member_count: g.member_count,
        }
    }
}

/// A group in a user's `groups`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserGroup {
    /// The group's id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

impl From<&GroupRef> for UserGroup {
    fn from(g: &GroupRef) -> Self {
        UserGroup {
            id: g.id.get(),
            name: g.name.clone(),
        }
    }
}

/// The core id a path segment names; anything but a number is no group (404).
pub fn group_id(raw: &str) -> Result<GroupId, DomoError> {
    raw.trim()
        .parse::<i64>()
        .map(GroupId::new)
        .map_err(|_| CoreError::GroupNotFound.into())
}

/// Every field of a body, each problem collected.
struct Read {
    name: Option<Result<GroupName, CoreError>>,
    active: Option<bool>,
    default: Option<bool>,
    errors: Vec<FieldError>,
}

fn read(b: GroupBody) -> Read {
    let mut errors = Vec::new();
    let name = match b.name {
        Patch::Absent => None,
        Patch::Null => {
            errors.push(FieldError {
                field: "name",
                problem: Problem::Required,
            });
            None
        }
        Patch::Value(Checked::Invalid) => {
            errors.push(FieldError {
                field: "name",
                problem: Problem::Malformed,
            });
            None
        }
        Patch::Value(Checked::Valid(n)) => Some(GroupName::parse(&n)),
    };
    let mut flag = |field: &'static str, value: Patch<Checked<Flag>>| match value {
        Patch::Absent => None,
        Patch::Value(Checked::Valid(Flag(b))) => Some(b),
        Patch::Null | Patch::Value(Checked::Invalid) => {
            errors.push(FieldError {
                field,
                problem: Problem::NotAllowed {
                    allowed: vec!["true".into(), "false".into()],
                },
            });
            None
        }
    };
    let active = flag("active", b.active);
    let default = flag("default", b.default);
    Read {
        name,
        active,
        default,
        errors,
    }
}

impl Read {
    /// The name, if sent, once every field is known to be well-formed (a field's error comes
    /// before the name's conflict with the roles).
    fn finish(mut self) -> Result<GroupChanges, CoreError> {
        let name = match self.name {
            Some(Err(CoreError::Validation(fields))) => {
                self.errors.extend(fields);
                None
            }
            Some(Err(other)) if self.errors.is_empty() => return Err(other),
            Some(Err(_)) | None => None,
            Some(Ok(n)) => Some(n),
        };
        if !self.errors.is_empty() {
            return Err(CoreError::Validation(self.errors));
        }
        Ok(GroupChanges {
            name,
            active: self.active,
            default: self.default,
            ..GroupChanges::default()
        })
    }
}

/// A create's body as a core command: `name` is required; `active` defaults to true.
pub fn new_group(b: NewGroupBody) -> Result<NewGroup, CoreError> {
    let absent = matches!(b.name, Patch::Absent);
    let mut r = read(GroupBody {
        name: b.name,
        active: b.active,
        default: b.default,
    });
    if absent {
        r.errors.insert(
            0,
            FieldError {
                field: "name",
                problem: Problem::Required,
            },
        );
    }
    let read = r.finish()?;
    let name = read
        .name
        .ok_or_else(|| CoreError::invalid("name", Problem::Required))?;
    Ok(NewGroup {
        active: read.active.unwrap_or(true),
        default: read.default.unwrap_or(false),
        ..NewGroup::new(name)
    })
}

/// An update's body as a core change: what is sent, merged; `{}` changes nothing.
pub fn group_changes(b: GroupBody) -> Result<GroupChanges, CoreError> {
    read(b).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body<T: serde::de::DeserializeOwned>(json: &str) -> T {
        usergate_web::body::parse::<usergate_web::Object<T>>(json.as_bytes())
            .expect("a body")
            .0
    }

    #[test]
    fn a_create_reads_pydomos_strings_and_ignores_read_only_keys() {
        let g = new_group(body(
            r#"{"name":" Sales ","active":"TRUE","default":false,"id":9,"memberCount":3,"isActive":false}"#,
        ))
        .expect("group");
        assert_eq!(g.name.as_str(), "Sales");
        assert!(g.active && !g.default);
    }

    #[test]
    fn every_bad_field_is_named_and_a_role_name_is_a_conflict() {
        let Err(CoreError::Validation(fields)) = new_group(body(r#"{"active":"yes","default":1}"#))
        else {
            panic!("refused");
        };
        let named: Vec<&str> = fields.iter().map(|f| f.field).collect();
        assert_eq!(named, ["name", "active", "default"]);
        assert!(matches!(
            new_group(body(r#"{"name":"Admin"}"#)),
            Err(CoreError::Conflict(
                usergate_core::Conflict::ReservedGroupName
            ))
        ));
        assert!(matches!(
            group_changes(body::<GroupBody>(r#"{"name":null}"#)),
            Err(CoreError::Validation(_))
        ));
        let none = group_changes(body::<GroupBody>("{}")).expect("no-op");
        assert!(none.name.is_none() && none.active.is_none() && none.default.is_none());
    }
}
