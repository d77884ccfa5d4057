//! Queries over users: a typed condition tree, an order and a page. Dialects build one from
//! their own filter syntax (DreamFactory's `filter`, generic `search`); the store translates it
//! to SQL. Text tests are case-insensitive on every backend.

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::{Role, Status};
use crate::error::Problem;
use crate::user::{Page, User};

/// A column a query may test or sort by. Role and status have their own conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The id.
    Id,
    /// The login address (tested through its normalised form).
    Email,
    /// Display name.
    Name,
    /// Given name.
    FirstName,
    /// Family name.
    LastName,
    /// Job title.
    Title,
    /// Phone.
    Phone,
    /// Second address.
    AlternateEmail,
    /// Location.
    Location,
    /// Time zone.
    Timezone,
    /// Locale.
    Locale,
    /// Picture URL.
    AvatarUrl,
    /// Domo's employee number.
    EmployeeNumber,
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Last password login.
    LastLoginAt,
    /// The identity provider's id.
    ExternalId,
    /// The login name that is not an address (tested through its normalised form).
    LoginName,
}

/// The type of a field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer.
    Int,
    /// Text, compared case-insensitively.
    Text,
    /// Text, compared exactly (an identity provider's ids are case-exact).
    Exact,
    /// A UTC timestamp.
    Time,
}

impl Field {
    /// The type of the field's values.
    pub const fn kind(self) -> Kind {
        match self {
            Field::Id | Field::EmployeeNumber => Kind::Int,
            Field::CreatedAt | Field::UpdatedAt | Field::LastLoginAt => Kind::Time,
            Field::ExternalId => Kind::Exact,
            _ => Kind::Text,
        }
    }

    /// Whether the field can be empty (SQL NULL).
    pub const fn nullable(self) -> bool {
        !matches!(
            self,
            Field::Id | Field::Email | Field::Name | Field::CreatedAt | Field::UpdatedAt
        )
    }
}

/// A typed value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// For `Int` fields.
    Int(i64),
    /// For `Text` fields.
    Text(String),
    /// For `Time` fields.
    Time(NaiveDateTime),
}

impl Value {
    /// Reads `raw` as a value of `field`'s type: integers in decimal; times as
    /// `YYYY-MM-DD HH:MM:SS[.ffffff]`, RFC 3339 (`T`, `Z` or an offset), or a date (midnight UTC).
    pub fn parse(field: Field, raw: &str) -> Result<Value, Problem> {
        match field.kind() {
            Kind::Text | Kind::Exact => Ok(Value::Text(raw.to_owned())),
            Kind::Int => raw
                .trim()
                .parse()
                .map(Value::Int)
                .map_err(|_| Problem::Malformed),
            Kind::Time => parse_time(raw.trim())
                .map(Value::Time)
                .ok_or(Problem::Malformed),
        }
    }
}

fn parse_time(s: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.naive_utc());
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.fZ",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t);
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Greater.
    Gt,
    /// Greater or equal.
    Ge,
    /// Less.
    Lt,
    /// Less or equal.
    Le,
}

/// A condition on users. Text tests ignore case (but on [`Kind::Exact`] fields). A test of an empty (NULL) field is neither true
/// nor false, as in SQL: `NOT (phone = 'x')` does not match users without a phone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Cond {
    /// Every one holds (an empty list holds).
    All(Vec<Cond>),
    /// At least one holds (an empty list does not).
    Any(Vec<Cond>),
    /// The inner one does not hold.
    Not(Box<Cond>),
    /// `field op value`; the value has the field's kind.
    Compare(Field, Op, Value),
    /// `field LIKE pattern` with `%` and `_` as wildcards and `\` escaping them (text fields).
    Like(Field, String),
    /// `field IN (values)`: `field = v1 OR field = v2 ...`; an empty list is false.
    In(Field, Vec<Value>),
    /// `field IS NULL`.
    IsNull(Field),
    /// The role is one of these.
    RoleIn(Vec<Role>),
    /// The status is one of these.
    StatusIn(Vec<Status>),
    /// The name or the email contains this text, ignoring case, every character literal (the
    /// generic dialect's `search`). It means exactly `Any([contains(Name), contains(Email)])`;
    /// a store may answer it from a search index.
    Search(String),
    /// The user is a member of this group (the console's group filter).
    InGroup(crate::group::GroupId),
}

impl Cond {
    /// `field` contains `literal` (its `%`, `_` and `\` match themselves).
    pub fn contains(field: Field, literal: &str) -> Cond {
        Cond::Like(field, format!("%{}%", escape_like(literal)))
    }

    /// `field` starts with `literal`.
    pub fn starts_with(field: Field, literal: &str) -> Cond {
        Cond::Like(field, format!("{}%", escape_like(literal)))
    }

    /// `field` ends with `literal`.
    pub fn ends_with(field: Field, literal: &str) -> Cond {
        Cond::Like(field, format!("%{}", escape_like(literal)))
    }

    /// Whether any text in the condition holds a NUL character.
    pub fn has_nul(&self) -> bool {
        let text = |v: &Value| matches!(v, Value::Text(t) if t.contains('\0'));
        match self {
            Cond::All(cs) | Cond::Any(cs) => cs.iter().any(Cond::has_nul),
            Cond::Not(c) => c.has_nul(),
            Cond::Compare(_, _, v) => text(v),
            Cond::In(_, vs) => vs.iter().any(text),
            Cond::Like(_, s) | Cond::Search(s) => s.contains('\0'),
            Cond::IsNull(_) | Cond::RoleIn(_) | Cond::StatusIn(_) | Cond::InGroup(_) => false,
        }
    }

    /// What [`Cond::Search`] means, in the other conditions.
    pub fn search_meaning(term: &str) -> Cond {
        Cond::Any(vec![
            Cond::contains(Field::Name, term),
            Cond::contains(Field::Email, term),
        ])
    }

    /// The negation.
    pub fn negate(self) -> Cond {
        Cond::Not(Box::new(self))
    }
}

/// Escapes the LIKE wildcards and the escape character itself.
pub fn escape_like(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len());
    for c in literal.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// A list request: which users, in which order, which page, and whether to count all matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The condition (none: every non-deleted user).
    pub cond: Option<Cond>,
    /// Sort keys, then `id` ascending as the last tie-breaker (text sorts ignore case).
    pub order: Vec<(Field, Direction)>,
    /// The page.
    pub page: Page,
    /// Also count every match (ignoring the page).
    pub count: bool,
}

/// A page of matches, and the count of all of them when asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<T> {
    /// The page.
    pub items: Vec<T>,
    /// Every match, if counted.
    pub total: Option<u64>,
}

/// The reference meaning of a condition for one user, in SQL's three-valued logic (`None`:
/// unknown, because an empty field was tested). The store's SQL must agree with it; core's
/// in-memory test store uses it directly.
pub fn matches(cond: &Cond, user: &User) -> Option<bool> {
    match cond {
        Cond::All(cs) => cs
            .iter()
            .try_fold(Some(true), |acc, c| match (acc, matches(c, user)) {
                (_, Some(false)) => Err(()),
                (Some(true), Some(true)) => Ok(Some(true)),
                _ => Ok(None),
            })
            .unwrap_or(Some(false)),
        Cond::Any(cs) => cs
            .iter()
            .try_fold(Some(false), |acc, c| match (acc, matches(c, user)) {
                (_, Some(true)) => Err(()),
                (Some(false), Some(false)) => Ok(Some(false)),
                _ => Ok(None),
            })
            .unwrap_or(Some(true)),
        Cond::Not(c) => matches(c, user).map(|b| !b),
        Cond::Compare(f, op, v) => {
            let ord = compare_as(*f, &value_of(*f, user)?, v)?;
            Some(match op {
                Op::Eq => ord.is_eq(),
                Op::Ne => ord.is_ne(),
                Op::Gt => ord.is_gt(),
                Op::Ge => ord.is_ge(),
                Op::Lt => ord.is_lt(),
                Op::Le => ord.is_le(),
            })
        }
        Cond::Like(f, pattern) => match value_of(*f, user)? {
            Value::Text(t) if f.kind() == Kind::Exact => Some(like(&t, pattern)),
            Value::Text(t) => Some(like(&t.to_lowercase(), &pattern.to_lowercase())),
            _ => None,
        },
        // An empty list holds for no value, not even an empty one.
        Cond::In(_, vs) if vs.is_empty() => Some(false),
        Cond::In(f, vs) => {
            let have = value_of(*f, user)?;
            Some(
                vs.iter()
                    .any(|v| compare_as(*f, &have, v).is_some_and(|o| o.is_eq())),
            )
        }
        Cond::IsNull(f) => Some(value_of(*f, user).is_none()),
        Cond::RoleIn(roles) => Some(roles.contains(&user.role)),
        Cond::StatusIn(statuses) => Some(statuses.contains(&user.status)),
        Cond::Search(term) => matches(&Cond::search_meaning(term), user),
        // Membership is not part of the user: this reference cannot tell.
        Cond::InGroup(_) => None,
    }
}

/// The value of a field for a user (`None`: empty).
pub fn value_of(field: Field, u: &User) -> Option<Value> {
    let text = |s: &Option<String>| s.clone().map(Value::Text);
    match field {
        Field::Id => Some(Value::Int(u.id.get())),
        Field::Email => Some(Value::Text(u.email.normalized().to_owned())),
        Field::Name => Some(Value::Text(u.name.clone())),
        Field::FirstName => text(&u.profile.first_name),
        Field::LastName => text(&u.profile.last_name),
        Field::Title => text(&u.profile.title),
        Field::Phone => text(&u.profile.phone),
        Field::AlternateEmail => text(&u.profile.alternate_email),
        Field::Location => text(&u.profile.location),
        Field::Timezone => text(&u.profile.timezone),
        Field::Locale => text(&u.profile.locale),
        Field::AvatarUrl => text(&u.profile.avatar_url),
        Field::EmployeeNumber => u.employee_number.map(Value::Int),
        Field::CreatedAt => Some(Value::Time(u.created_at)),
        Field::UpdatedAt => Some(Value::Time(u.updated_at)),
        Field::LastLoginAt => u.last_login_at.map(Value::Time),
        Field::ExternalId => text(&u.external_id),
        Field::LoginName => u
            .login_name
            .as_ref()
            .map(|n| Value::Text(n.normalized().to_owned())),
    }
}

/// Orders two values of one kind; text ignores case (compared lower-cased, by code point).
/// Two values of a field: as [`compare`], text exactly for an exact field.
pub fn compare_as(field: Field, a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (field.kind(), a, b) {
        (Kind::Exact, Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
        _ => compare(a, b),
    }
}

/// Two values of one kind; text ignoring case.
pub fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Time(a), Value::Time(b)) => Some(a.cmp(b)),
        (Value::Text(a), Value::Text(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        _ => None,
    }
}

/// The reference answer to a query over a set of (non-deleted) users: the matches in the
/// query's order, one page, and the count of all matches when asked for. The store's SQL must
/// give the same; core's in-memory test store is this.
pub fn reference(query: &Query, users: impl IntoIterator<Item = User>) -> Found<User> {
    let mut hits: Vec<User> = users
        .into_iter()
        .filter(|u| {
            query
                .cond
                .as_ref()
                .is_none_or(|c| matches(c, u) == Some(true))
        })
        .collect();
    hits.sort_by(|a, b| order_users(&query.order, a, b));
    let total = query.count.then_some(hits.len() as u64);
    let items = hits
        .into_iter()
        .skip(usize::try_from(query.page.offset).unwrap_or(usize::MAX))
        .take(query.page.limit as usize)
        .collect();
    Found { items, total }
}

/// The reference order of two users under `order`: each key with empty values last ascending
/// and first descending, text ignoring case; then `id` ascending.
pub fn order_users(order: &[(Field, Direction)], a: &User, b: &User) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    order
        .iter()
        .map(|(f, dir)| {
            let o = match (value_of(*f, a), value_of(*f, b)) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => compare_as(*f, &x, &y).unwrap_or(Ordering::Equal),
            };
            if *dir == Direction::Desc {
                o.reverse()
            } else {
                o
            }
        })
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.id.cmp(&b.id))
}

/// SQL LIKE: `%` any run, `_` one character, `\` escapes the next.
fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let mut p = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        p.push(match c {
            '\\' => Tok::Lit(chars.next().unwrap_or('\\')),
            '%' => Tok::Any,
            '_' => Tok::One,
            c => Tok::Lit(c),
        });
    }
    // reachable[j]: the first i characters of the text can match the first j tokens.
    let mut reachable = vec![false; p.len() + 1];
    reachable[0] = true;
    for (j, tok) in p.iter().enumerate() {
        if *tok == Tok::Any {
            reachable[j + 1] = reachable[j];
        }
    }
    for c in t {
        let mut next = vec![false; p.len() + 1];
        for (j, tok) in p.iter().enumerate() {
            next[j + 1] = match tok {
                Tok::Any => next[j] || reachable[j + 1] || reachable[j],
                Tok::One => reachable[j],
                Tok::Lit(l) => reachable[j] && *l == c,
            };
        }
        reachable = next;
    }
    reachable[p.len()]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Any,
    One,
    Lit(char),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_by_kind() {
        assert_eq!(Value::parse(Field::Id, " 42 "), Ok(Value::Int(42)));
        assert_eq!(Value::parse(Field::Id, "x"), Err(Problem::Malformed));
        assert_eq!(
            Value::parse(Field::Name, " Jo "),
            Ok(Value::Text(" Jo ".into()))
        );
        let t = NaiveDate::from_ymd_opt(2023, 9, 19)
            .and_then(|d| d.and_hms_opt(15, 15, 54))
            .expect("time");
        for raw in [
            "2023-09-19 15:15:54",
            "2023-09-19T15:15:54.000000Z",
            "2023-09-19T17:15:54+02:00",
        ] {
            assert_eq!(
                Value::parse(Field::CreatedAt, raw),
                Ok(Value::Time(t)),
                "{raw}"
            );
        }
        assert!(Value::parse(Field::CreatedAt, "2023-09-19").is_ok());
        assert!(Value::parse(Field::CreatedAt, "yesterday").is_err());
    }

    #[test]
    fn like_follows_sql() {
        assert!(like("john", "jo%"));
        assert!(like("john", "%oh%"));
        assert!(like("john", "j_hn"));
        assert!(!like("john", "j_n"));
        assert!(like("", "%"));
        assert!(!like("", "_"));
        assert!(like("50%", "50\\%"));
        assert!(!like("500", "50\\%"));
        assert!(like("a_b", "a\\_b"));
        assert!(!like("axb", "a\\_b"));
        assert!(like("abcabc", "%b%c"));
        assert!(like("émilie", "_milie"));
    }

    #[test]
    fn literal_tests_escape_wildcards() {
        assert_eq!(
            Cond::contains(Field::Name, "50%_a\\b"),
            Cond::Like(Field::Name, "%50\\%\\_a\\\\b%".into())
        );
        assert_eq!(
            Cond::starts_with(Field::Email, "jo"),
            Cond::Like(Field::Email, "jo%".into())
        );
    }
}
