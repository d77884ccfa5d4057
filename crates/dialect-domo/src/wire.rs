//! Request and response bodies of Domo's token endpoint and Users API, one typed struct each,
//! read by serde and documented by the same struct. Every body field reads leniently
//! ([`Checked`] and the types below): [`crate::convert`] checks them all and names each
//! problem at once, in Domo's field names. Unknown and read-only keys (`id`, `groups`,
//! `image`, `createdAt` ...) are ignored, as Domo does.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use usergate_core::Patch;
use usergate_web::wire::{Checked, whole};
use utoipa::ToSchema;

/// A text field as sent: absent, `null`, a string, or another JSON type.
pub type Text = Patch<Checked<String>>;

/// Domo's role names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
pub enum RoleName {
    /// roleId 1.
    Admin,
    /// roleId 2.
    Privileged,
    /// roleId 3.
    Editor,
    /// roleId 4.
    Participant,
    /// roleId 5.
    Social,
}

/// A whole number as Domo's clients send one: a JSON number (`7`, `7.0`) or a string of
/// digits; blank (`""`), or another JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    /// A whole number.
    Whole(i64),
    /// An empty (or blank) string.
    Blank,
    /// Anything else.
    Invalid,
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Number(n) => whole(&n).map_or(Number::Invalid, Number::Whole),
            Value::String(s) if s.trim().is_empty() => Number::Blank,
            Value::String(s) => s.trim().parse().map_or(Number::Invalid, Number::Whole),
            _ => Number::Invalid,
        })
    }
}

/// The body of a create.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"name": "Leonhard Euler", "email": "leonhard.euler@example.com", "role": "Participant", "title": "Mathematician", "phone": "+41 61 555 0100", "timezone": "Europe/Zurich", "locale": "de-CH"}))]
pub struct CreateBody {
    /// Full name.
    #[serde(default)]
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
        example = "Leonhard Euler"
    )]
    pub name: Text,
    /// Login address.
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Email, example = "leonhard.euler@example.com")]
    pub email: Text,
    /// The role (exact case). A create names its role by `role` or by `roleId`.
    #[serde(default)]
    #[schema(value_type = Option<RoleName>, nullable = false)]
    pub role: Patch<Checked<RoleName>>,
    /// The role by number, read when `role` is absent.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 5, nullable = false)]
    pub role_id: Patch<Number>,
    /// Job title (`""` or null: none).
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub title: Text,
    /// A second address.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub alternate_email: Text,
    /// Phone.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub phone: Text,
    /// Location.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub location: Text,
    /// Time zone.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub timezone: Text,
    /// Locale.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub locale: Text,
    /// A whole number (a string of digits is read too).
    #[serde(default)]
    #[schema(value_type = Option<i64>, nullable)]
    pub employee_number: Patch<Number>,
}

/// The body of an update: any subset of the create's fields (`role` or `roleId`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"title": "Professor", "role": "Editor", "location": "St. Petersburg"}))]
pub struct UpdateBody {
    /// Full name.
    #[serde(default)]
    #[schema(
        value_type = Option<String>,
        min_length = 1,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$",
        nullable = false
    )]
    pub name: Text,
    /// Login address.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Email, nullable = false)]
    pub email: Text,
    /// The role (exact case); `null` is the same as leaving it out.
    #[serde(default)]
    #[schema(value_type = Option<RoleName>, nullable)]
    pub role: Patch<Checked<RoleName>>,
    /// The role by number, read when `role` is absent.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 5, nullable)]
    pub role_id: Patch<Number>,
    /// Job title (`""` or null: none).
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub title: Text,
    /// A second address.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub alternate_email: Text,
    /// Phone.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub phone: Text,
    /// Location.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub location: Text,
    /// Time zone.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub timezone: Text,
    /// Locale.
    #[serde(default)]
    #[schema(value_type = Option<String>, nullable, pattern = r"^[^\u0000]*$")]
    pub locale: Text,
    /// A whole number (a string of digits is read too).
    #[serde(default)]
    #[schema(value_type = Option<i64>, nullable)]
    pub employee_number: Patch<Number>,
}

/// One user of a saved Domo listing (the bare array `GET /v1/users` returns), as
/// `usergate import --format domo` reads it: what a create reads, and `createdAt`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedUser {
    /// What a create reads.
    #[serde(flatten)]
    pub user: CreateBody,
    /// When Domo created the user.
    #[serde(default)]
    pub created_at: Patch<Checked<String>>,
    /// The user's groups (`[{"id", "name"}]`): it joins groups of these names.
    #[serde(default)]
    pub groups: Patch<Checked<Vec<ListedGroup>>>,
}

/// A group in a saved listing's `groups`: its name is what carries over (ids are the source's).
#[derive(Debug, Deserialize)]
pub struct ListedGroup {
    /// The group's name.
    pub name: String,
}

/// `sendInvite` (`true`/`false` in any case; absent means false).
#[derive(Debug, Deserialize)]
pub struct CreateParams {
    /// Mail an invitation.
    #[serde(rename = "sendInvite")]
    pub send_invite: Option<String>,
}

/// `limit` and `offset`.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    /// 1 to 500 (default 50).
    pub limit: Option<String>,
    /// Rows to skip (default 0).
    pub offset: Option<String>,
}

/// A user as Domo's API shows it. Absent optional fields are omitted, never `null`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DomoUser {
    /// The id (a number).
    #[schema(example = 42)]
    pub id: i64,
    /// Full name.
    pub name: String,
    /// Login address.
    pub email: String,
    /// `Admin`, `Privileged`, `Editor`, `Participant` or `Social`.
    pub role: &'static str,
    /// 1 to 5, in the order of `role`'s values.
    pub role_id: i64,
    /// Job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A second address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate_email: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Free-form location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Time zone, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Locale, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Employee number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<i64>,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[schema(example = "2026-11-25T10:00:00Z")]
    pub created_at: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    #[schema(example = "2026-11-25T10:00:00Z")]
    pub updated_at: String,
    /// Picture URL (when one was written, through any dialect).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The user's groups, in group id order (`[]` when none).
    pub groups: Vec<crate::groups::wire::UserGroup>,
}

/// What `GET /v1/users/{id}` answers: the user, or the deleted shape.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum UserOrDeleted {
    /// A user that is not deleted.
    User(Box<DomoUser>),
    /// A deleted user.
    Deleted(DeletedUser),
}

/// What a `GET` of a deleted user answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedUser {
    /// The id.
    pub id: i64,
    /// The name it had.
    pub name: String,
    /// Always true.
    pub deleted: bool,
}

/// The one grant this endpoint serves.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// OAuth client credentials.
    ClientCredentials,
}

/// `grant_type` and `scope`, from the query string or a form body.
#[derive(Debug, Default, Deserialize)]
pub struct TokenParams {
    /// Must be `client_credentials`.
    pub grant_type: Option<String>,
    /// Space-separated scopes (all of the client's when absent).
    pub scope: Option<String>,
}

/// The token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// A JWT with a numeric `exp` (Domo's SDKs read it to know when to refresh).
    #[serde(rename = "access_token")]
    pub access_token: String,
    /// `bearer`.
    #[serde(rename = "token_type")]
    pub token_type: &'static str,
    /// Seconds the token is accepted for.
    #[serde(rename = "expires_in")]
    pub expires_in: u64,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// The owner's Domo role.
    pub role: &'static str,
    /// The owner's id.
    pub user_id: i64,
    /// Always `usergate`.
    pub customer: &'static str,
    /// The token's id.
    pub jti: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(json: &str) -> CreateBody {
        usergate_web::body::parse::<usergate_web::Object<CreateBody>>(json.as_bytes())
            .expect("a body")
            .0
    }

    #[test]
    fn no_field_fails_the_body() {
        let b = create(
            r#"{"name":5,"role":"admin","roleId":"3","employeeNumber":"","title":null,"id":9,"groups":[]}"#,
        );
        assert_eq!(b.name, Patch::Value(Checked::Invalid));
        assert_eq!(b.role, Patch::Value(Checked::Invalid), "exact case only");
        assert_eq!(b.role_id, Patch::Value(Number::Whole(3)));
        assert_eq!(b.employee_number, Patch::Value(Number::Blank));
        assert_eq!(b.title, Patch::Null);
        assert_eq!(b.email, Patch::Absent);
    }

    #[test]
    fn numbers_are_whole_numbers_or_strings_of_digits() {
        let n = |json: &str| create(&format!(r#"{{"employeeNumber":{json}}}"#)).employee_number;
        assert_eq!(n("7"), Patch::Value(Number::Whole(7)));
        assert_eq!(n("7.0"), Patch::Value(Number::Whole(7)));
        assert_eq!(n(r#"" 12 ""#), Patch::Value(Number::Whole(12)));
        assert_eq!(n("7.5"), Patch::Value(Number::Invalid));
        assert_eq!(n(r#""12a""#), Patch::Value(Number::Invalid));
        assert_eq!(n("true"), Patch::Value(Number::Invalid));
        assert_eq!(n("null"), Patch::Null);
    }
}
