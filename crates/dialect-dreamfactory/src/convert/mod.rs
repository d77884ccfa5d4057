//! Wire values to core commands and back: the two kinds of user DreamFactory's endpoints
//! serve ([`Kind`]), records to core commands, and (in [`record`] and [`query`]) core users to
//! records and read parameters to core queries.

pub mod query;
pub mod record;

use serde_json::Value;
use usergate_core::import::{ImportRecord, Position, parse_time};
use usergate_core::query::Cond;
use usergate_core::{
    Coarse, CoreError, CoreResult, Denied, Email, FieldError, NewUser, PasswordPolicy, Patch,
    Problem, ProfileChanges, Role, Status, User, UserChanges,
};
use usergate_web::Object;

use crate::wire::{Flag, NewRecord, Record, RecordChange, Text};

/// Which users an endpoint serves: `/system/admin/...` admins, `/system/user/...` and
/// `/user/...` everyone else. DreamFactory keeps the two apart: no endpoint moves a user from
/// one kind to the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every role but admin.
    User,
    /// Admins.
    Admin,
}

/// The core roles `/system/user` serves.
const NON_ADMIN: [Role; 4] = [Role::Privileged, Role::Editor, Role::User, Role::Viewer];

impl Kind {
    /// The condition that selects this kind's users.
    pub fn cond(self) -> Cond {
        match self {
            Kind::Admin => Cond::RoleIn(vec![Role::Admin]),
            Kind::User => Cond::RoleIn(NON_ADMIN.to_vec()),
        }
    }

    /// Whether a user of `role` is of this kind.
    pub fn admits(self, role: Role) -> bool {
        (role == Role::Admin) == (self == Kind::Admin)
    }

    /// Whether this kind's password path takes the code of a user of `role`: the user path
    /// anyone's, the admin path an admin's only.
    pub fn takes_code_of(self, role: Role) -> bool {
        self == Kind::User || role == Role::Admin
    }

    /// The core role of a user created here.
    pub fn role(self) -> Role {
        match self {
            Kind::Admin => Role::Admin,
            Kind::User => Role::User,
        }
    }

    /// The component's name in DreamFactory's messages.
    pub fn component(self) -> &'static str {
        match self {
            Kind::Admin => "admin",
            Kind::User => "user",
        }
    }

    /// A check, inside a write's transaction, that its target is of this kind.
    pub fn guard(self) -> impl Fn(&User) -> CoreResult<()> + Sync {
        move |u: &User| {
            if self.admits(u.role) {
                Ok(())
            } else {
                Err(CoreError::Forbidden(Denied::WrongKind))
            }
        }
    }
}

fn invalid(field: &'static str, problem: Problem) -> CoreError {
    CoreError::Validation(vec![FieldError { field, problem }])
}

/// A text field of a create: `""` and `null` are absent.
fn text(value: Patch<Text>) -> Option<String> {
    value.value().and_then(|t| t.0).filter(|s| !s.is_empty())
}

/// A text field of a change: `""` and `null` clear; what is not text is ignored.
fn change(value: Patch<Text>) -> Patch<String> {
    match value {
        Patch::Absent | Patch::Value(Text(None)) => Patch::Absent,
        Patch::Null => Patch::Null,
        Patch::Value(Text(Some(s))) if s.is_empty() => Patch::Null,
        Patch::Value(Text(Some(s))) => Patch::Value(s),
    }
}

/// `is_active` as a status: `false` keeps a suspended user suspended.
fn status(value: Patch<Flag>) -> Option<Coarse<Status>> {
    match value.value()?.0? {
        true => Some(Coarse::exact(Status::Active, &[Status::Active])),
        false => Some(Coarse {
            value: Status::Inactive,
            class: &[Status::Inactive, Status::Suspended],
        }),
    }
}

/// The fields with no column, kept as the client wrote them.
const ATTRIBUTES: [&str; 3] = ["username", "security_question", "default_app_id"];

/// The email a record names, as written (for the messages that quote it).
pub fn email_of(email: &Patch<Text>) -> Option<String> {
    match email {
        Patch::Value(Text(Some(s))) => Some(s.clone()),
        _ => None,
    }
}

/// A record of a create as a core command, the role the endpoint's (`is_sys_admin` in a body
/// is ignored). A record that is not an object has no email.
pub fn new_user(
    kind: Kind,
    record: Record<NewRecord>,
    policy: PasswordPolicy,
) -> CoreResult<NewUser> {
    let mut record = record
        .into_object()
        .ok_or_else(|| invalid("email", Problem::Required))?;
    let password = text(std::mem::take(&mut record.password))
        .map(|p| policy.check("password", &p))
        .transpose()
        .map_err(|e| CoreError::Validation(vec![e]))?;
    Ok(NewUser {
        password,
        ..user_of(kind.role(), record)?
    })
}

/// The user a record describes, without its password.
fn user_of(role: Role, r: NewRecord) -> CoreResult<NewUser> {
    let email = text(r.email).ok_or_else(|| invalid("email", Problem::Required))?;
    let email = Email::parse(&email).map_err(|e| CoreError::Validation(vec![e]))?;
    let active = r.is_active.value().and_then(|f| f.0).unwrap_or(true);
    let mut new = NewUser {
        name: text(r.name),
        role,
        status: if active {
            Status::Active
        } else {
            Status::Inactive
        },
        ..NewUser::new(email)
    };
    new.profile.first_name = text(r.first_name);
    new.profile.last_name = text(r.last_name);
    new.profile.phone = text(r.phone);
    for (key, value) in
        ATTRIBUTES
            .into_iter()
            .zip([r.username, r.security_question, r.default_app_id])
    {
        if let Some(v) = value.value().filter(|v| *v != "") {
            new.attributes.insert(key.into(), v);
        }
    }
    Ok(new)
}

/// A record of a change as core changes: present keys change, `""`/`null` clear, unknown and
/// read-only keys are ignored.
pub fn changes(r: RecordChange, policy: PasswordPolicy) -> CoreResult<UserChanges> {
    let email = text(r.email)
        .map(|e| Email::parse(&e))
        .transpose()
        .map_err(|e| CoreError::Validation(vec![e]))?;
    let mut c = UserChanges {
        email,
        name: text(r.name),
        status: status(r.is_active),
        profile: ProfileChanges {
            first_name: change(r.first_name),
            last_name: change(r.last_name),
            phone: change(r.phone),
            ..ProfileChanges::default()
        },
        ..UserChanges::default()
    };
    for (key, value) in
        ATTRIBUTES
            .into_iter()
            .zip([r.username, r.security_question, r.default_app_id])
    {
        match value {
            Patch::Absent => {}
            // A JSON `null` removes an attribute.
            Patch::Null => {
                c.attributes.insert(key.into(), Value::Null);
            }
            Patch::Value(v) if v == "" => {
                c.attributes.insert(key.into(), Value::Null);
            }
            Patch::Value(v) => {
                c.attributes.insert(key.into(), v);
            }
        }
    }
    if let Some(p) = text(r.password) {
        c.password = Some(
            policy
                .check("password", &p)
                .map_err(|e| CoreError::Validation(vec![e]))?,
        );
    }
    Ok(c)
}

/// One record of a saved DreamFactory listing.
#[derive(Debug, serde::Deserialize)]
struct ListedRecord {
    #[serde(flatten)]
    record: NewRecord,
    #[serde(default)]
    created_date: Option<Value>,
}

/// One record of a saved DreamFactory listing (`{"resource":[...]}` of `GET
/// /api/v2/system/user` or `/system/admin`), for `usergate import --format dreamfactory`, the
/// user getting `role` (the listing does not say which endpoint it came from: the import's
/// `--role`). The fields a create reads, and `created_date`; listings carry no password, so the
/// user has none (unless the import's `--hashes` file has one). Read-only and unknown fields are
/// ignored, as a create ignores them.
pub fn import_record(record: Value, role: Role, at: Position) -> CoreResult<ImportRecord> {
    let Object(listed) = serde_json::from_value::<Object<ListedRecord>>(record)
        .map_err(|_| invalid("email", Problem::Required))?;
    let created_at = match listed.created_date {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_str()
                .and_then(parse_time)
                .ok_or_else(|| invalid("created_date", Problem::Malformed))?,
        ),
    };
    Ok(ImportRecord {
        at,
        user: user_of(role, listed.record)?,
        password_hash: None,
        created_at,
        deleted_at: None,
        groups: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<T: serde::de::DeserializeOwned>(json: &str) -> T {
        usergate_web::body::parse(json.as_bytes()).expect("a record")
    }

    #[test]
    fn a_create_reads_what_dreamfactory_writes() {
        let r: Record<NewRecord> = record(
            r#"{"email":"tomo@example.com","name":"","phone":42,"is_active":"0","username":"tk","security_question":"","is_sys_admin":true}"#,
        );
        let new = new_user(Kind::User, r, PasswordPolicy::default()).expect("user");
        assert_eq!(new.role, Role::User, "the endpoint decides the kind");
        assert_eq!(new.name, None, "blank is absent");
        assert_eq!(new.profile.phone.as_deref(), Some("42"));
        assert_eq!(new.status, Status::Inactive);
        assert_eq!(new.attributes.get("username"), Some(&Value::from("tk")));
        assert!(!new.attributes.contains_key("security_question"));
        let not_an_object: Record<NewRecord> = record("[1]");
        let e = new_user(Kind::Admin, not_an_object, PasswordPolicy::default());
        assert!(matches!(e, Err(CoreError::Validation(v)) if v[0].field == "email"));
    }

    #[test]
    fn a_change_clears_with_blank_or_null_and_ignores_the_rest() {
        let r: RecordChange = record(
            r#"{"id":3,"name":"","email":null,"phone":"","last_name":null,"first_name":"Tomo","username":null,"is_active":false}"#,
        );
        let c = changes(r, PasswordPolicy::default()).expect("changes");
        assert_eq!(
            (c.name, c.email),
            (None, None),
            "name and email cannot be cleared"
        );
        assert_eq!(c.profile.phone, Patch::Null);
        assert_eq!(c.profile.last_name, Patch::Null);
        assert_eq!(c.profile.first_name, Patch::Value("Tomo".into()));
        assert_eq!(c.attributes.get("username"), Some(&Value::Null));
        assert_eq!(
            c.status.map(|s| s.resolve(Status::Suspended)),
            Some(Status::Suspended)
        );
    }

    #[test]
    fn listings_import_with_their_creation_time() {
        let r = import_record(
            serde_json::json!({"id": 9, "email": "a@example.com", "created_date": "2023-09-19T15:15:54.000000Z", "last_login_date": "x"}),
            Role::Admin,
            Position { line: 3, record: 2 },
        )
        .expect("record");
        assert_eq!(r.user.role, Role::Admin);
        assert_eq!(r.at.record, 2);
        assert!(r.created_at.is_some());
        let e = import_record(
            serde_json::json!({"email": "a@example.com", "created_date": 5}),
            Role::User,
            Position::default(),
        );
        assert!(matches!(e, Err(CoreError::Validation(v)) if v[0].field == "created_date"));
    }
}
