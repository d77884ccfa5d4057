//! DreamFactory's query parameters for reading users, and its filter (parsed by [`crate::filter`])
//! turned into a core query over the fields of the record.

use usergate_core::query::{Cond, Direction, Field, Op, Query, Value};
use usergate_core::{Page, Status};

use crate::error::DfError;
use crate::filter::{self, Expr, Test};
use crate::wire::ReadParams;

/// The largest page (and what a missing, zero or larger `limit` means).
pub const MAX_RECORDS: u32 = 100_000;

/// DreamFactory's booleans: `1`, `true`, `on`, `yes`, `y`, `t` in any case are true.
pub fn to_bool(v: Option<&str>) -> bool {
    v.is_some_and(|v| {
        ["1", "true", "on", "yes", "y", "t"]
            .iter()
            .any(|t| v.trim().eq_ignore_ascii_case(t))
    })
}

/// A record field as a core query field, or a special case.
enum Target {
    Field(Field),
    Active,
}

fn target(name: &str) -> Option<Target> {
    let f = match name.to_ascii_lowercase().as_str() {
        "id" => Field::Id,
        "name" => Field::Name,
        "first_name" => Field::FirstName,
        "last_name" => Field::LastName,
        "email" => Field::Email,
        "phone" => Field::Phone,
        "last_login_date" => Field::LastLoginAt,
        "created_date" => Field::CreatedAt,
        "last_modified_date" => Field::UpdatedAt,
        "is_active" => return Some(Target::Active),
        _ => return None,
    };
    Some(Target::Field(f))
}

fn bad_field(name: &str) -> DfError {
    DfError::bad_request(format!(
        "Invalid or unparsable field in filter request: '{name}'"
    ))
}

fn unparsable() -> DfError {
    DfError::bad_request("Invalid or unparsable filter request.")
}

/// A `filter=` value as a core condition. Blank means no filter.
pub fn filter_cond(raw: &str) -> Result<Option<Cond>, DfError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let expr = filter::parse(raw).map_err(|_| unparsable())?;
    translate(&expr).map(Some)
}

fn translate(e: &Expr) -> Result<Cond, DfError> {
    Ok(match e {
        Expr::And(a, b) => Cond::All(vec![translate(a)?, translate(b)?]),
        Expr::Or(a, b) => Cond::Any(vec![translate(a)?, translate(b)?]),
        Expr::Not(a) => translate(a)?.negate(),
        Expr::Cmp(c) => match target(&c.field).ok_or_else(|| bad_field(&c.field))? {
            Target::Active => active(&c.field, &c.test)?,
            Target::Field(f) => comparison(f, &c.field, &c.test)?,
        },
    })
}

/// `is_active` tests: a boolean over the status.
fn active(name: &str, test: &Test) -> Result<Cond, DfError> {
    let is = |v: &str| -> Result<Cond, DfError> {
        let truthy = to_bool(Some(v));
        let falsy = ["0", "false", "off", "no", "n", "f"]
            .iter()
            .any(|f| v.trim().eq_ignore_ascii_case(f));
        if !truthy && !falsy {
            return Err(DfError::bad_request(format!(
                "Field '{name}' must be a valid boolean."
            )));
        }
        let active = Cond::StatusIn(vec![Status::Active]);
        Ok(if truthy { active } else { active.negate() })
    };
    match test {
        Test::Compare(Op::Eq, v) => is(v),
        Test::Compare(Op::Ne, v) => Ok(is(v)?.negate()),
        Test::In { values, negated } => {
            let any = Cond::Any(values.iter().map(|v| is(v)).collect::<Result<_, _>>()?);
            Ok(if *negated { any.negate() } else { any })
        }
        // Never empty.
        Test::IsNull { negated } => Ok(negated_if(Cond::Any(vec![]), *negated)),
        _ => Err(unparsable()),
    }
}

/// `cond`, or its negation.
fn negated_if(cond: Cond, negate: bool) -> Cond {
    if negate { cond.negate() } else { cond }
}

fn value(field: Field, name: &str, raw: &str) -> Result<Value, DfError> {
    Value::parse(field, raw).map_err(|_| match field.kind() {
        usergate_core::query::Kind::Int => {
            DfError::bad_request(format!("Field '{name}' must be a valid integer."))
        }
        _ => DfError::bad_request(format!("Field '{name}' must be a valid date.")),
    })
}

fn comparison(field: Field, name: &str, test: &Test) -> Result<Cond, DfError> {
    let text_only = || {
        if field.kind() == usergate_core::query::Kind::Text {
            Ok(())
        } else {
            Err(unparsable())
        }
    };
    Ok(match test {
        Test::Compare(op, v) => Cond::Compare(field, *op, value(field, name, v)?),
        Test::Like { pattern, negated } => {
            text_only()?;
            negated_if(Cond::Like(field, pattern.clone()), *negated)
        }
        Test::In { values, negated } => {
            let values = values
                .iter()
                .map(|v| value(field, name, v))
                .collect::<Result<_, _>>()?;
            negated_if(Cond::In(field, values), *negated)
        }
        Test::Contains(v) => {
            text_only()?;
            Cond::contains(field, v)
        }
        Test::StartsWith(v) => {
            text_only()?;
            Cond::starts_with(field, v)
        }
        Test::EndsWith(v) => {
            text_only()?;
            Cond::ends_with(field, v)
        }
        Test::IsNull { negated } => negated_if(Cond::IsNull(field), *negated),
    })
}

/// `order=f [ASC|DESC], ...` (default `id`).
pub fn order(raw: Option<&str>) -> Result<Vec<(Field, Direction)>, DfError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(vec![]);
    };
    raw.split(',')
        .map(|part| {
            let mut words = part.split_whitespace();
            let name = words.next().unwrap_or_default();
            let dir = match words.next().map(str::to_ascii_uppercase).as_deref() {
                None | Some("ASC") => Direction::Asc,
                Some("DESC") => Direction::Desc,
                Some(_) => return Err(bad_order(part)),
            };
            if words.next().is_some() {
                return Err(bad_order(part));
            }
            match target(name) {
                Some(Target::Field(f)) => Ok((f, dir)),
                _ => Err(bad_order(name)),
            }
        })
        .collect()
}

fn bad_order(what: &str) -> DfError {
    DfError::bad_request(format!(
        "Invalid or unparsable field in order request: '{}'",
        what.trim()
    ))
}

/// `limit` (missing, below 1 or above the maximum: the maximum) and `offset`.
pub fn page(limit: Option<&str>, offset: Option<&str>) -> Page {
    let limit = limit
        .and_then(|l| l.trim().parse::<i64>().ok())
        .filter(|l| (1..=i64::from(MAX_RECORDS)).contains(l))
        .map_or(MAX_RECORDS, |l| l as u32);
    let offset = offset
        .and_then(|o| o.trim().parse::<u64>().ok())
        .unwrap_or(0);
    Page { limit, offset }
}

/// `ids=1,2,3`.
pub fn ids(raw: &str) -> Result<Vec<i64>, DfError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| DfError::bad_request("Field 'id' must be a valid integer."))
        })
        .collect()
}

/// A read as a core query: the kind's condition, the filter, the order, the page.
pub fn query(kind: Cond, p: &ReadParams) -> Result<Query, DfError> {
    let mut all = vec![kind];
    if let Some(c) = p.filter.as_deref().map(filter_cond).transpose()?.flatten() {
        all.push(c);
    }
    Ok(Query {
        cond: Some(Cond::All(all)),
        order: order(p.order.as_deref())?,
        page: page(p.limit.as_deref(), p.offset.as_deref()),
        count: to_bool(p.include_count.as_deref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_dreamfactorys() {
        for t in ["1", "true", "TRUE", "on", "yes", "y", "t"] {
            assert!(to_bool(Some(t)), "{t}");
        }
        for f in ["0", "false", "no", "", "2"] {
            assert!(!to_bool(Some(f)), "{f}");
        }
        assert!(!to_bool(None));
    }

    #[test]
    fn limits_never_error() {
        assert_eq!(page(None, None).limit, MAX_RECORDS);
        assert_eq!(page(Some("0"), None).limit, MAX_RECORDS);
        assert_eq!(page(Some("100001"), None).limit, MAX_RECORDS);
        assert_eq!(
            page(Some("abc"), Some("x")),
            Page {
                limit: MAX_RECORDS,
                offset: 0
            }
        );
        assert_eq!(
            page(Some("3"), Some("1")),
            Page {
                limit: 3,
                offset: 1
            }
        );
    }

    #[test]
    fn filters_translate_or_say_what_is_wrong() {
        assert_eq!(
            filter_cond("email=tomo@example.com").expect("ok"),
            Some(Cond::Compare(
                Field::Email,
                Op::Eq,
                Value::Text("tomo@example.com".into())
            ))
        );
        assert_eq!(filter_cond("  ").expect("blank"), None);
        let msg = |r: Result<Option<Cond>, DfError>| r.expect_err("error").to_string();
        assert!(msg(filter_cond("password = 'x'")).contains("field in filter request: 'password'"));
        assert!(msg(filter_cond("id = abc")).contains("Field 'id' must be a valid integer."));
        assert!(msg(filter_cond("id = ")).contains("Invalid or unparsable filter request."));
        assert!(
            msg(filter_cond("id contains 1")).contains("Invalid or unparsable filter request.")
        );
        assert_eq!(
            filter_cond("is_active = 0").expect("ok"),
            Some(Cond::StatusIn(vec![Status::Active]).negate())
        );
    }

    #[test]
    fn orders_parse() {
        assert_eq!(
            order(Some("last_name,first_name DESC")).expect("ok"),
            vec![
                (Field::LastName, Direction::Asc),
                (Field::FirstName, Direction::Desc)
            ]
        );
        assert!(order(Some("password")).is_err());
        assert!(order(Some("name sideways")).is_err());
        assert_eq!(order(None).expect("none"), vec![]);
    }
}
