//! DreamFactory's `filter` grammar: a hand-written recursive descent parser into [`Expr`], and a
//! printer whose output parses back to the same tree.
//!
//! ```text
//! e     := or
//! or    := and (("OR" | "||") and)*          -- AND binds tighter than OR
//! and   := unary (("AND" | "&&") unary)*
//! unary := "NOT" unary | "(" e ")" | cmp
//! cmp   := field op value
//!        | field "IS" ["NOT"] "NULL"
//!        | field ["NOT"] "LIKE" value
//!        | field ["NOT"] "IN" "(" value ("," value)* ")"
//!        | field ("CONTAINS" | "STARTS WITH" | "ENDS WITH") value
//! op    := = != <> > >= < <= | EQ NE GT GTE LT LTE
//! value := '...' | "..." | bare text up to the end of the comparison
//! ```
//!
//! Keywords are matched in any case. Inside quotes a backslash takes the next character as
//! it is. A bare value runs to the end of the comparison: up to `&&`, `||`, a whitespace-framed
//! `AND`/`OR`, a closing parenthesis, or the end (so `email=tomo@example.com` works), trimmed;
//! it may not start with `=`, `<`, `>` or `!` (that is a mistyped operator: quote such values).
//! Input longer than [`MAX_LEN`] bytes or nested deeper than [`MAX_DEPTH`] is refused before
//! any work that grows with it.

use std::fmt;

use usergate_core::query::Op;

/// The longest filter accepted, in bytes.
pub const MAX_LEN: usize = 8 * 1024;
/// The deepest nesting of parentheses and `NOT` accepted.
pub const MAX_DEPTH: usize = 32;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Both hold.
    And(Box<Expr>, Box<Expr>),
    /// Either holds.
    Or(Box<Expr>, Box<Expr>),
    /// The inner one does not hold.
    Not(Box<Expr>),
    /// A test of one field.
    Cmp(Comparison),
}

/// A test of one field. Values stay text: their type is the field's, known only when the tree
/// is translated against the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The field name as written.
    pub field: String,
    /// The test.
    pub test: Test,
}

/// What is tested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    /// `=` or `EQ`, `!=`, `<>` or `NE`, `>` or `GT`, `>=` or `GTE`, `<` or `LT`, `<=` or `LTE`.
    Compare(Op, String),
    /// `[NOT] LIKE pattern` (`%` and `_` wildcards).
    Like {
        /// The pattern.
        pattern: String,
        /// `NOT LIKE`.
        negated: bool,
    },
    /// `[NOT] IN (v, ...)`.
    In {
        /// The values.
        values: Vec<String>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `CONTAINS v`: a substring, matched literally.
    Contains(String),
    /// `STARTS WITH v`.
    StartsWith(String),
    /// `ENDS WITH v`.
    EndsWith(String),
    /// `IS [NOT] NULL`.
    IsNull {
        /// `IS NOT NULL`.
        negated: bool,
    },
}

/// An operator as the printer writes it.
fn operator_symbol(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
    }
}

/// Why a filter was refused. Each is answered 400 `Invalid or unparsable filter request.`
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Not in the grammar; `at` is the byte offset where parsing stopped.
    #[error("unparsable filter at byte {at}")]
    Unparsable {
        /// Byte offset.
        at: usize,
    },
    /// Longer than [`MAX_LEN`].
    #[error("filter longer than {MAX_LEN} bytes")]
    TooLong,
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("filter nested deeper than {MAX_DEPTH}")]
    TooDeep,
}

/// Parses a filter. Blank input is not a filter: callers treat a blank parameter as absent.
pub fn parse(input: &str) -> Result<Expr, FilterError> {
    if input.len() > MAX_LEN {
        return Err(FilterError::TooLong);
    }
    let mut p = Parser {
        s: input,
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.fail());
    }
    Ok(e)
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    depth: usize,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn fail(&self) -> FilterError {
        FilterError::Unparsable { at: self.pos }
    }

    fn ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
    }

    /// Consumes `sym` if the input continues with it.
    fn symbol(&mut self, sym: &str) -> bool {
        if self.rest().starts_with(sym) {
            self.pos += sym.len();
            true
        } else {
            false
        }
    }

    /// Whether a keyword (any case, ending at a word boundary) starts at the current position.
    fn at_keyword(&self, kw: &str) -> bool {
        let rest = self.rest();
        rest.len() >= kw.len()
            && rest.is_char_boundary(kw.len())
            && rest[..kw.len()].eq_ignore_ascii_case(kw)
            && !rest[kw.len()..].starts_with(is_word)
    }

    /// Consumes a keyword (then any white space).
    fn keyword(&mut self, kw: &str) -> bool {
        if self.at_keyword(kw) {
            self.pos += kw.len();
            self.ws();
            true
        } else {
            false
        }
    }

    /// Consumes a phrase of keywords separated by white space (`STARTS WITH`, `IS NOT NULL`).
    fn phrase(&mut self, words: &[&str]) -> bool {
        let start = self.pos;
        for w in words {
            if !self.keyword(w) {
                self.pos = start;
                return false;
            }
        }
        true
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::TooDeep);
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        loop {
            self.ws();
            if self.symbol("||") || self.keyword("OR") {
                let right = self.and()?;
                left = Expr::Or(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        loop {
            self.ws();
            if self.symbol("&&") || self.keyword("AND") {
                let right = self.unary()?;
                left = Expr::And(Box::new(left), Box::new(right));
            } else {
                return Ok(left);
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        self.ws();
        if self.keyword("NOT") {
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.symbol("(") {
            self.enter()?;
            let inner = self.expr()?;
            self.ws();
            if !self.symbol(")") {
                return Err(self.fail());
            }
            self.depth -= 1;
            return Ok(inner);
        }
        self.comparison().map(Expr::Cmp)
    }

    fn field(&mut self) -> Result<String, FilterError> {
        let rest = self.rest();
        let len = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        if len == 0 || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(self.fail());
        }
        self.pos += len;
        Ok(rest[..len].to_owned())
    }

    fn comparison(&mut self) -> Result<Comparison, FilterError> {
        let field = self.field()?;
        self.ws();
        let test = if self.phrase(&["IS", "NULL"]) {
            Test::IsNull { negated: false }
        } else if self.phrase(&["IS", "NOT", "NULL"]) {
            Test::IsNull { negated: true }
        } else if self.keyword("LIKE") {
            Test::Like {
                pattern: self.value()?,
                negated: false,
            }
        } else if self.phrase(&["NOT", "LIKE"]) {
            Test::Like {
                pattern: self.value()?,
                negated: true,
            }
        } else if self.keyword("IN") {
            Test::In {
                values: self.list()?,
                negated: false,
            }
        } else if self.phrase(&["NOT", "IN"]) {
            Test::In {
                values: self.list()?,
                negated: true,
            }
        } else if self.keyword("CONTAINS") {
            Test::Contains(self.value()?)
        } else if self.phrase(&["STARTS", "WITH"]) {
            Test::StartsWith(self.value()?)
        } else if self.phrase(&["ENDS", "WITH"]) {
            Test::EndsWith(self.value()?)
        } else {
            let op = self.operator().ok_or_else(|| self.fail())?;
            Test::Compare(op, self.value()?)
        };
        Ok(Comparison { field, test })
    }

    fn operator(&mut self) -> Option<Op> {
        const SYMBOLS: [(&str, Op); 7] = [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("!=", Op::Ne),
            ("<>", Op::Ne),
            ("=", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
        ];
        const WORDS: [(&str, Op); 6] = [
            ("EQ", Op::Eq),
            ("NE", Op::Ne),
            ("GTE", Op::Ge),
            ("GT", Op::Gt),
            ("LTE", Op::Le),
            ("LT", Op::Lt),
        ];
        for (sym, op) in SYMBOLS {
            if self.symbol(sym) {
                self.ws();
                return Some(op);
            }
        }
        WORDS
            .into_iter()
            .find(|(w, _)| self.keyword(w))
            .map(|(_, op)| op)
    }

    /// A quoted value, or bare text to the end of the comparison.
    fn value(&mut self) -> Result<String, FilterError> {
        self.ws();
        if let Some(v) = self.quoted()? {
            return Ok(v);
        }
        let start = self.pos;
        if self.rest().starts_with(['=', '<', '>', '!']) {
            // A mistyped operator (`id == 1`), not a value: quote such a value.
            return Err(self.fail());
        }
        let mut end = start;
        for (i, c) in self.rest().char_indices() {
            let at = start + i;
            if c == ')' || self.s[at..].starts_with("&&") || self.s[at..].starts_with("||") {
                break;
            }
            if c.is_whitespace() {
                let after = self.s[at..].trim_start();
                let probe = Parser {
                    s: after,
                    pos: 0,
                    depth: 0,
                };
                if probe.at_keyword("AND") || probe.at_keyword("OR") {
                    break;
                }
            } else {
                end = at + c.len_utf8();
            }
        }
        if end == start {
            return Err(self.fail());
        }
        self.pos = end;
        Ok(self.s[start..end].to_owned())
    }

    /// `'...'` or `"..."`, with backslash escapes; `None` if no quote starts here.
    fn quoted(&mut self) -> Result<Option<String>, FilterError> {
        let Some(quote) = self
            .rest()
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"')
        else {
            return Ok(None);
        };
        let mut out = String::new();
        let mut chars = self.rest()[1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, escaped)) => out.push(escaped),
                    None => break,
                },
                c if c == quote => {
                    self.pos += 1 + i + 1;
                    return Ok(Some(out));
                }
                c => out.push(c),
            }
        }
        Err(FilterError::Unparsable { at: self.s.len() })
    }

    /// `( v, v, ... )`: quoted values, or bare ones up to `,` or `)`.
    fn list(&mut self) -> Result<Vec<String>, FilterError> {
        if !self.symbol("(") {
            return Err(self.fail());
        }
        let mut values = Vec::new();
        loop {
            self.ws();
            let v = match self.quoted()? {
                Some(v) => v,
                None => {
                    let rest = self.rest();
                    let len = rest.find([',', ')']).unwrap_or(rest.len());
                    let v = rest[..len].trim_end();
                    if v.is_empty() {
                        return Err(self.fail());
                    }
                    self.pos += len;
                    v.to_owned()
                }
            };
            values.push(v);
            self.ws();
            if self.symbol(")") {
                return Ok(values);
            }
            if !self.symbol(",") {
                return Err(self.fail());
            }
        }
    }
}

/// Prints a filter in a canonical form that parses back to the same tree: every operand of
/// `AND`/`OR`/`NOT` in parentheses, every value double-quoted.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::And(a, b) => write!(f, "({a}) AND ({b})"),
            Expr::Or(a, b) => write!(f, "({a}) OR ({b})"),
            Expr::Not(e) => write!(f, "NOT ({e})"),
            Expr::Cmp(c) => write!(f, "{c}"),
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = &self.field;
        match &self.test {
            Test::Compare(op, v) => write!(f, "{field} {} {}", operator_symbol(*op), Quoted(v)),
            Test::Like { pattern, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{field} {not}LIKE {}", Quoted(pattern))
            }
            Test::In { values, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "{field} {not}IN (")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Quoted(v))?;
                }
                f.write_str(")")
            }
            Test::Contains(v) => write!(f, "{field} CONTAINS {}", Quoted(v)),
            Test::StartsWith(v) => write!(f, "{field} STARTS WITH {}", Quoted(v)),
            Test::EndsWith(v) => write!(f, "{field} ENDS WITH {}", Quoted(v)),
            Test::IsNull { negated: false } => write!(f, "{field} IS NULL"),
            Test::IsNull { negated: true } => write!(f, "{field} IS NOT NULL"),
        }
    }
}

/// A value in double quotes, with `"` and `\` escaped.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.0.chars() {
            if c == '"' || c == '\\' {
                f.write_str("\\")?;
            }
            write!(f, "{c}")?;
        }
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests;
