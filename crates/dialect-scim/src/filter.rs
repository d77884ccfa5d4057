//! SCIM filters (RFC 7644 section 3.4.2.2) and PATCH paths (section 3.5.2): parsed into a
//! tree, evaluated on a resource's JSON (groups, PATCH's `attr[filter]`), or turned into core's
//! query by [`crate::convert::query::users`]. Attribute names, operators and `and`/`or`/`not` are
//! case-insensitive; booleans also match the strings `"true"`/`"false"` in any case.

use serde_json::Value;

use crate::error::ScimError;
use crate::wire::{ENTERPRISE_URN, GROUP_URN, USER_URN};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater.
    Gt,
    /// Greater or equal.
    Ge,
    /// Less.
    Lt,
    /// Less or equal.
    Le,
}

/// `[urn:]name[.sub]`: names as written (compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN it was qualified with, if any (one of ours, lower-cased).
    pub urn: Option<&'static str>,
    /// The attribute.
    pub name: String,
    /// Its sub-attribute.
    pub sub: Option<String>,
}

impl AttrPath {
    /// Whether this names `name` (and no sub-attribute), in any case.
    pub fn is(&self, name: &str) -> bool {
        self.sub.is_none() && self.name.eq_ignore_ascii_case(name)
    }

    /// Whether this names `name.sub`, in any case.
    pub fn is_sub(&self, name: &str, sub: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            && self
                .sub
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(sub))
    }
}

/// A filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// It does not hold.
    Not(Box<Filter>),
    /// The attribute has a value.
    Present(AttrPath),
    /// `attr op value`.
    Compare(AttrPath, CompareOp, Value),
    /// `attr[filter]`: some element of a multi-valued attribute matches.
    Has(AttrPath, Box<Filter>),
}

/// A PATCH path: `attr[.sub]`, `attr[filter][.sub]`, or a whole extension.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (`name`, or the extension's URN as the name with no `urn`).
    pub attr: AttrPath,
    /// Which elements of a multi-valued attribute.
    pub filter: Option<Filter>,
    /// The sub-attribute of the selected elements (after a filter).
    pub sub: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Value(Value),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

const URNS: [&str; 3] = [ENTERPRISE_URN, USER_URN, GROUP_URN];

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b')' => {
                out.push(Token::Close);
                i += 1;
            }
            b'[' => {
                out.push(Token::OpenBracket);
                i += 1;
            }
            b']' => {
                out.push(Token::CloseBracket);
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    return Err("a string is not closed".into());
                }
                i += 1;
                let s: String = serde_json::from_str(&text[start..i])
                    .map_err(|_| "a string has a bad escape".to_owned())?;
                out.push(Token::Value(Value::String(s)));
            }
            _ => {
                let start = i;
                while i < bytes.len() && !b" \t\n\r()[]\"".contains(&bytes[i]) {
                    i += 1;
                }
                let word = &text[start..i];
                // A closing bracket may be followed by `.sub` (a PATCH path).
                out.push(Token::Word(word.to_owned()));
            }
        }
    }
    Ok(out)
}

/// Reads `[urn:]name[.sub]`.
pub fn attr_path(word: &str) -> Result<AttrPath, String> {
    let lower = word.to_ascii_lowercase();
    let (urn, rest) = match URNS
        .iter()
        .find(|u| lower.starts_with(&u.to_ascii_lowercase()))
    {
        Some(u) if word.len() == u.len() => (None, *u),
        Some(u) if word.as_bytes().get(u.len()) == Some(&b':') => (Some(*u), &word[u.len() + 1..]),
        _ if lower.starts_with("urn:") => return Err(format!("unknown schema in {word:?}")),
        _ => (None, word),
    };
    if urn.is_none() && URNS.contains(&rest) {
        // The whole extension, as a name.
        return Ok(AttrPath {
            urn: None,
            name: rest.to_owned(),
            sub: None,
        });
    }
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s.to_owned())),
        None => (rest, None),
    };
    // ATTRNAME = ALPHA *(nameChar); `$ref` is the one name that starts otherwise.
    let ok = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
    };
    if !ok(name) || sub.as_deref().is_some_and(|s| !ok(s)) {
        return Err(format!("{word:?} is not an attribute path"));
    }
    Ok(AttrPath {
        urn,
        name: name.to_owned(),
        sub,
    })
}

fn op_of(word: &str) -> Option<CompareOp> {
    Some(match word.to_ascii_lowercase().as_str() {
        "eq" => CompareOp::Eq,
        "ne" => CompareOp::Ne,
        "co" => CompareOp::Co,
        "sw" => CompareOp::Sw,
        "ew" => CompareOp::Ew,
        "gt" => CompareOp::Gt,
        "ge" => CompareOp::Ge,
        "lt" => CompareOp::Lt,
        "le" => CompareOp::Le,
        _ => return None,
    })
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.keyword("not") {
            self.at += 1;
            if self.next() != Some(Token::Open) {
                return Err("not must be followed by (".into());
            }
            let inner = self.or()?;
            if self.next() != Some(Token::Close) {
                return Err("a ( is not closed".into());
            }
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.next() != Some(Token::Close) {
                    return Err("a ( is not closed".into());
                }
                Ok(inner)
            }
            Some(Token::Word(w)) => {
                let path = attr_path(&w)?;
                if self.peek() == Some(&Token::OpenBracket) {
                    self.at += 1;
                    let inner = self.or()?;
                    if self.next() != Some(Token::CloseBracket) {
                        return Err("a [ is not closed".into());
                    }
                    // `emails[type eq "work"].value eq "x"` (Entra's matching filter): the
                    // element's sub-attribute compared, inside the element's filter.
                    if let Some(Token::Word(w)) = self.peek()
                        && let Some(sub) = w.strip_prefix('.')
                    {
                        let sub = sub.to_owned();
                        self.at += 1;
                        let element = AttrPath {
                            urn: None,
                            name: sub,
                            sub: None,
                        };
                        let test = self.comparison(element)?;
                        return Ok(Filter::Has(
                            path,
                            Box::new(Filter::And(Box::new(inner), Box::new(test))),
                        ));
                    }
                    return Ok(Filter::Has(path, Box::new(inner)));
                }
                self.comparison(path)
            }
            _ => Err("a filter expression is missing".into()),
        }
    }

    /// `op value` or `pr` after an attribute path.
    fn comparison(&mut self, path: AttrPath) -> Result<Filter, String> {
        {
            {
                let op = match self.next() {
                    Some(Token::Word(o)) if o.eq_ignore_ascii_case("pr") => {
                        return Ok(Filter::Present(path));
                    }
                    Some(Token::Word(o)) => {
                        op_of(&o).ok_or_else(|| format!("{o:?} is not an operator"))?
                    }
                    _ => return Err(format!("{:?} needs an operator", path.name)),
                };
                let value = match self.next() {
                    Some(Token::Value(v)) => v,
                    Some(Token::Word(w)) => match w.to_ascii_lowercase().as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        "null" => Value::Null,
                        _ => serde_json::from_str::<serde_json::Number>(&w)
                            .map(Value::Number)
                            .map_err(|_| format!("{w:?} is not a value"))?,
                    },
                    _ => return Err("a comparison needs a value".into()),
                };
                Ok(Filter::Compare(path, op, value))
            }
        }
    }
}

/// Parses a filter; an error is 400 `invalidFilter`.
pub fn parse(text: &str) -> Result<Filter, ScimError> {
    let mut p = Parser {
        tokens: tokens(text).map_err(ScimError::filter)?,
        at: 0,
    };
    let f = p.or().map_err(ScimError::filter)?;
    if p.at != p.tokens.len() {
        return Err(ScimError::filter("unexpected text after the filter"));
    }
    Ok(f)
}

/// Parses a PATCH path; an error is 400 `invalidPath`.
pub fn parse_path(text: &str) -> Result<PatchPath, ScimError> {
    let bad = |e: String| ScimError::path(format!("path: {e}"));
    let text = text.trim();
    let Some(open) = text.find('[') else {
        return Ok(PatchPath {
            attr: attr_path(text).map_err(bad)?,
            filter: None,
            sub: None,
        });
    };
    let close = text
        .rfind(']')
        .ok_or_else(|| bad("a [ is not closed".into()))?;
    let attr = attr_path(&text[..open]).map_err(bad)?;
    if attr.sub.is_some() {
        return Err(bad("a filter follows a sub-attribute".into()));
    }
    let filter = parse(&text[open + 1..close]).map_err(|e| bad(e.to_string()))?;
    let rest = &text[close + 1..];
    let sub = match rest.strip_prefix('.') {
        Some(s) if !s.is_empty() => Some(s.to_owned()),
        None if rest.is_empty() => None,
        _ => return Err(bad(format!("{rest:?} after the filter"))),
    };
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        sub,
    })
}

/// The value of an object's key, in any case.
pub fn get<'a>(object: &'a Value, key: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The values an attribute path has in a JSON resource: several for a multi-valued attribute
/// (`emails.value` is every address).
fn values<'a>(doc: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let base = match path.urn {
        Some(urn) if urn != USER_URN && urn != GROUP_URN => get(doc, urn),
        _ => Some(doc),
    };
    let Some(top) = base.and_then(|b| get(b, &path.name)) else {
        return Vec::new();
    };
    let items: Vec<&Value> = match top {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    match &path.sub {
        None => items
            .into_iter()
            .flat_map(|v| match v {
                // A bare `emails` compares the elements' `value`.
                Value::Object(_) => get(v, "value").into_iter().collect::<Vec<_>>(),
                other => vec![other],
            })
            .collect(),
        Some(sub) => items.into_iter().filter_map(|v| get(v, sub)).collect(),
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn compare_one(have: &Value, op: CompareOp, want: &Value, case_exact: bool) -> bool {
    if let (Value::Number(a), Value::Number(b)) = (have, want)
        && let (Some(a), Some(b)) = (a.as_f64(), b.as_f64())
    {
        return match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            CompareOp::Gt => a > b,
            CompareOp::Ge => a >= b,
            CompareOp::Lt => a < b,
            CompareOp::Le => a <= b,
            _ => false,
        };
    }
    let (Some(a), Some(b)) = (as_text(have), as_text(want)) else {
        return matches!(op, CompareOp::Ne);
    };
    let (a, b) = if case_exact {
        (a, b)
    } else {
        (a.to_lowercase(), b.to_lowercase())
    };
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        CompareOp::Co => a.contains(&b),
        CompareOp::Sw => a.starts_with(&b),
        CompareOp::Ew => a.ends_with(&b),
        CompareOp::Gt => a > b,
        CompareOp::Ge => a >= b,
        CompareOp::Lt => a < b,
        CompareOp::Le => a <= b,
    }
}

/// Whether a JSON resource (or an element of a multi-valued attribute) matches. `externalId`
/// and `id` compare case-exactly, everything else ignoring case.
pub fn matches(filter: &Filter, doc: &Value) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, doc) && matches(b, doc),
        Filter::Or(a, b) => matches(a, doc) || matches(b, doc),
        Filter::Not(f) => !matches(f, doc),
        Filter::Present(p) => values(doc, p)
            .iter()
            .any(|v| !v.is_null() && *v != &Value::String(String::new())),
        Filter::Compare(p, op, want) => {
            let exact = p.is("externalId") || p.is("id");
            let have = values(doc, p);
            if *op == CompareOp::Ne {
                return !have
                    .iter()
                    .any(|v| compare_one(v, CompareOp::Eq, want, exact));
            }
            have.iter().any(|v| compare_one(v, *op, want, exact))
        }
        Filter::Has(p, inner) => {
            let Some(Value::Array(items)) = get(doc, &p.name) else {
                return false;
            };
            items.iter().any(|item| matches(inner, item))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(text: &str) -> Filter {
        parse(text).expect("parses")
    }

    #[test]
    fn the_grammar_and_its_precedence() {
        assert!(matches!(
            f(r#"userName eq "a" or userName eq "b" and active eq true"#),
            Filter::Or(_, _)
        ));
        assert!(matches!(f(r#"NOT (userName Eq "a")"#), Filter::Not(_)));
        assert!(matches!(
            f(r#"emails[type eq "work" and value co "@x"]"#),
            Filter::Has(_, _)
        ));
        let Filter::Compare(p, CompareOp::Eq, v) = f(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7""#,
        ) else {
            panic!("compare");
        };
        assert_eq!(
            (p.urn, p.name.as_str(), v),
            (Some(ENTERPRISE_URN), "employeeNumber", json!("7"))
        );
        for bad in [
            "userName",
            r#"userName eq"#,
            r#"userName xx "a""#,
            r#"(userName eq "a""#,
            r#"userName eq "a" extra"#,
            r#"userName eq "a"#,
            r#"urn:nope:x eq "a""#,
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_with_filters_and_extensions() {
        let p = parse_path(r#"emails[type eq "work"].value"#).expect("path");
        assert_eq!(p.attr.name, "emails");
        assert_eq!(p.sub.as_deref(), Some("value"));
        let p = parse_path(ENTERPRISE_URN).expect("extension");
        assert_eq!(p.attr.name, ENTERPRISE_URN);
        let p = parse_path(&format!("{ENTERPRISE_URN}:manager")).expect("attribute");
        assert_eq!(
            (p.attr.urn, p.attr.name.as_str()),
            (Some(ENTERPRISE_URN), "manager")
        );
        assert!(parse_path(r#"members[value eq "1"#).is_err());
        assert!(parse_path("bad name").is_err());
    }

    #[test]
    fn evaluation_ignores_case_and_reads_boolean_strings() {
        let doc = json!({
            "displayName": "Sales", "externalId": "AbC",
            "emails": [{"value": "A@x.com", "type": "work", "primary": true}],
            "members": [{"value": "42"}],
        });
        assert!(matches(&f(r#"displayname EQ "sales""#), &doc));
        assert!(!matches(&f(r#"externalId eq "abc""#), &doc), "case-exact");
        assert!(matches(
            &f(r#"emails[type eq "WORK" and primary eq "True"]"#),
            &doc
        ));
        assert!(matches(&f(r#"emails.value sw "a@""#), &doc));
        assert!(matches(&f(r#"members.value eq "42""#), &doc));
        assert!(matches(&f(r#"emails eq "a@x.com""#), &doc));
        assert!(!matches(&f("title pr"), &doc));
        assert!(matches(&f(r#"not (title eq "x")"#), &doc));
    }
}
