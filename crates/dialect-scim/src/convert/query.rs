//! A filter on Users as core's query: `userName` is the login name, or the email of a user
//! who has none; `emails` (any form, `emails[type eq "work"].value` included) is the email;
//! `id`, `externalId`, `displayName`, `name.givenName`, `name.familyName`, `title`,
//! `locale`, `timezone`, `phoneNumbers`, `active` and `meta.created`/`meta.lastModified` have
//! their core fields. Another attribute is 400 `invalidFilter`.

use serde_json::Value as Json;
use usergate_core::Status;
use usergate_core::query::{Cond, Field, Op, Value};

use crate::error::ScimError;
use crate::filter::{AttrPath, CompareOp, Filter};
use crate::wire::ENTERPRISE_URN;

/// The condition a filter means for users.
pub fn users(filter: &Filter) -> Result<Cond, ScimError> {
    Ok(match filter {
        Filter::And(a, b) => Cond::All(vec![users(a)?, users(b)?]),
        Filter::Or(a, b) => Cond::Any(vec![users(a)?, users(b)?]),
        Filter::Not(f) => users(f)?.negate(),
        Filter::Present(p) => present(p)?,
        Filter::Compare(p, op, v) => compare(p, *op, v)?,
        // The one email core keeps stands for every entry: the conditions on the entry's
        // other sub-attributes (`type`, `primary`) are not kept.
        Filter::Has(p, inner) if p.is("emails") || p.is("phoneNumbers") => element(&p.name, inner)?,
        Filter::Has(p, _) => return Err(unknown(p)),
    })
}

fn element(list: &str, f: &Filter) -> Result<Cond, ScimError> {
    Ok(match f {
        Filter::And(a, b) => Cond::All(vec![element(list, a)?, element(list, b)?]),
        Filter::Or(a, b) => Cond::Any(vec![element(list, a)?, element(list, b)?]),
        Filter::Not(f) => element(list, f)?.negate(),
        Filter::Compare(p, op, v) if p.is("value") => compare(
            &AttrPath {
                urn: None,
                name: list.to_owned(),
                sub: None,
            },
            *op,
            v,
        )?,
        Filter::Present(p) if p.is("value") => present(&AttrPath {
            urn: None,
            name: list.to_owned(),
            sub: None,
        })?,
        // `type`, `primary`, `display`: every entry qualifies.
        _ => Cond::All(Vec::new()),
    })
}

fn unknown(p: &AttrPath) -> ScimError {
    let name = match &p.sub {
        Some(s) => format!("{}.{s}", p.name),
        None => p.name.clone(),
    };
    ScimError::filter(format!("users cannot be filtered on {name:?}"))
}

/// The core field of an attribute path.
fn field(p: &AttrPath) -> Result<Field, ScimError> {
    if p.urn == Some(ENTERPRISE_URN) {
        return if p.is("employeeNumber") {
            Ok(Field::EmployeeNumber)
        } else {
            Err(unknown(p))
        };
    }
    let f = if p.is("id") {
        Field::Id
    } else if p.is("externalId") {
        Field::ExternalId
    } else if p.is("displayName") {
        Field::Name
    } else if p.is("emails") || p.is_sub("emails", "value") {
        Field::Email
    } else if p.is("phoneNumbers") || p.is_sub("phoneNumbers", "value") {
        Field::Phone
    } else if p.is_sub("name", "givenName") {
        Field::FirstName
    } else if p.is_sub("name", "familyName") {
        Field::LastName
    } else if p.is("title") {
        Field::Title
    } else if p.is("locale") {
        Field::Locale
    } else if p.is("timezone") {
        Field::Timezone
    } else if p.is_sub("meta", "created") {
        Field::CreatedAt
    } else if p.is_sub("meta", "lastModified") {
        Field::UpdatedAt
    } else {
        return Err(unknown(p));
    };
    Ok(f)
}

fn present(p: &AttrPath) -> Result<Cond, ScimError> {
    if p.is("userName") || p.is("active") {
        return Ok(Cond::All(Vec::new()));
    }
    let f = field(p)?;
    Ok(if f.nullable() {
        Cond::IsNull(f).negate()
    } else {
        Cond::All(Vec::new())
    })
}

fn text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn compare(p: &AttrPath, op: CompareOp, v: &Json) -> Result<Cond, ScimError> {
    if p.is("active") {
        let want = crate::convert::read::boolean(v)
            .ok_or_else(|| ScimError::filter("active compares with true or false"))?;
        let active = Cond::StatusIn(vec![Status::Active]);
        let is = match op {
            CompareOp::Eq => want,
            CompareOp::Ne => !want,
            _ => return Err(ScimError::filter("active takes eq, ne or pr")),
        };
        return Ok(if is { active } else { active.negate() });
    }
    if p.is("userName") {
        // The login name, or the email of a user who has none.
        let by_login = compare_field(Field::LoginName, op, v)?;
        let by_email = Cond::All(vec![
            Cond::IsNull(Field::LoginName),
            compare_field(Field::Email, op, v)?,
        ]);
        return Ok(Cond::Any(vec![by_login, by_email]));
    }
    compare_field(field(p)?, op, v)
}

fn compare_field(f: Field, op: CompareOp, v: &Json) -> Result<Cond, ScimError> {
    if v.is_null() {
        return match op {
            CompareOp::Eq => Ok(Cond::IsNull(f)),
            CompareOp::Ne => Ok(Cond::IsNull(f).negate()),
            _ => Err(ScimError::filter("null compares with eq or ne only")),
        };
    }
    let raw =
        text(v).ok_or_else(|| ScimError::filter("a value must be a string, number or boolean"))?;
    let value = match Value::parse(f, &raw) {
        Ok(v) => v,
        // An id that is no number names no user.
        Err(_) if f == Field::Id => return Ok(Cond::Any(Vec::new())),
        Err(_) => {
            return Err(ScimError::filter(format!(
                "{raw:?} is not a value of that attribute"
            )));
        }
    };
    let like = |make: fn(Field, &str) -> Cond| match &value {
        Value::Text(t) => Ok(make(f, t)),
        _ => Err(ScimError::filter("co, sw and ew compare text")),
    };
    Ok(match op {
        CompareOp::Eq => Cond::Compare(f, Op::Eq, value),
        CompareOp::Ne => Cond::Compare(f, Op::Ne, value),
        CompareOp::Gt => Cond::Compare(f, Op::Gt, value),
        CompareOp::Ge => Cond::Compare(f, Op::Ge, value),
        CompareOp::Lt => Cond::Compare(f, Op::Lt, value),
        CompareOp::Le => Cond::Compare(f, Op::Le, value),
        CompareOp::Co => like(Cond::contains)?,
        CompareOp::Sw => like(Cond::starts_with)?,
        CompareOp::Ew => like(Cond::ends_with)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse;

    #[test]
    fn identity_provider_lookups_are_conditions() {
        let c = users(&parse(r#"userName eq "jdoe""#).expect("f")).expect("cond");
        assert!(matches!(c, Cond::Any(_)));
        let c = users(&parse(r#"emails[type eq "work"].value eq "a@x.com""#).expect("f"))
            .expect("cond");
        assert_eq!(
            c,
            Cond::All(vec![
                Cond::All(Vec::new()),
                Cond::Compare(Field::Email, Op::Eq, Value::Text("a@x.com".into()))
            ])
        );
        assert_eq!(
            users(&parse(r#"id eq "abc""#).expect("f")).expect("cond"),
            Cond::Any(Vec::new())
        );
        assert!(users(&parse(r#"nickName eq "x""#).expect("f")).is_err());
        assert!(users(&parse(r#"active eq "maybe""#).expect("f")).is_err());
    }
}
