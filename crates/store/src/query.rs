//! Core queries ([`usergate_core::query`]) as diesel expressions, one code path for both
//! backends. Text is compared through `lower()`: PostgreSQL's, and on SQLite a Unicode-aware
//! replacement registered on every connection (SQLite's own only folds ASCII). No SQL text is
//! built from input: every value is a bound parameter.

use diesel::dsl::not;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
use usergate_core::query::{Cond, Direction, Field, Op, Query, Value};

use crate::db::DbConnection;
use crate::schema::{group_members, users};

type Backend = <DbConnection as Connection>::Backend;
type Expr<ST> = Box<dyn BoxableExpression<users::table, Backend, SqlType = ST>>;
/// A condition as SQL: true, false or NULL (unknown), like core's three-valued reference.
pub type Pred = Expr<Nullable<Bool>>;

diesel::define_sql_function! {
    /// Lower-cases text (on SQLite, the Rust implementation registered by [`register_lower`]).
    fn lower(x: Nullable<Text>) -> Nullable<Text>;
}

/// Replaces SQLite's ASCII-only `lower()` on this connection with Rust's Unicode lower-casing,
/// the same folding core uses for emails.
pub fn register_lower(conn: &mut diesel::SqliteConnection) -> QueryResult<()> {
    lower_utils::register_impl(conn, |s: Option<String>| s.map(|s| s.to_lowercase()))
}

enum Column {
    Int(Expr<Nullable<BigInt>>),
    Text(Expr<Nullable<Text>>),
    Time(Expr<Nullable<Timestamp>>),
}

fn column(field: Field) -> Column {
    use users::*;
    match field {
        Field::Id => Column::Int(Box::new(id.nullable())),
        Field::EmployeeNumber => Column::Int(Box::new(employee_number)),
        // The normalised form: already lower-cased, and what uniqueness is about.
        Field::Email => Column::Text(Box::new(email_normalized.nullable())),
        Field::Name => Column::Text(Box::new(name.nullable())),
        Field::FirstName => Column::Text(Box::new(first_name)),
        Field::LastName => Column::Text(Box::new(last_name)),
        Field::Title => Column::Text(Box::new(title)),
        Field::Phone => Column::Text(Box::new(phone)),
        Field::AlternateEmail => Column::Text(Box::new(alternate_email)),
        Field::Location => Column::Text(Box::new(location)),
        Field::Timezone => Column::Text(Box::new(timezone)),
        Field::Locale => Column::Text(Box::new(locale)),
        Field::AvatarUrl => Column::Text(Box::new(avatar_url)),
        Field::CreatedAt => Column::Time(Box::new(created_at.nullable())),
        Field::UpdatedAt => Column::Time(Box::new(updated_at.nullable())),
        Field::LastLoginAt => Column::Time(Box::new(last_login_at)),
        Field::ExternalId => Column::Text(Box::new(external_id)),
        Field::LoginName => Column::Text(Box::new(login_name_normalized)),
    }
}

macro_rules! compare {
    ($col:expr, $op:expr, $value:expr) => {{
        let (c, v) = ($col, $value);
        let p: Pred = match $op {
            Op::Eq => Box::new(c.eq(v)),
            Op::Ne => Box::new(c.ne(v)),
            Op::Gt => Box::new(c.gt(v)),
            Op::Ge => Box::new(c.ge(v)),
            Op::Lt => Box::new(c.lt(v)),
            Op::Le => Box::new(c.le(v)),
        };
        p
    }};
}

fn constant(b: bool) -> Pred {
    Box::new(Some(b).into_sql::<Nullable<Bool>>())
}

/// The predicate of a condition. A value of the wrong kind for its field (which dialects check
/// before) matches nothing.
pub fn predicate(cond: &Cond, engine: Engine) -> Pred {
    match cond {
        Cond::All(cs) => cs
            .iter()
            .map(|c| predicate(c, engine))
            .reduce(|a, b| Box::new(a.and(b)))
            .unwrap_or_else(|| constant(true)),
        // Each alternative repeats `deleted_at IS NULL` (the list's own filter, so the meaning
        // is the same): SQLite uses a partial index of live users for an alternative only when
        // the alternative itself says so (`userName eq`'s two lookups, by login name and by
        // address, then take an index each instead of a scan).
        Cond::Any(cs) => cs
            .iter()
            .map(|c| -> Pred {
                Box::new(
                    users::deleted_at
                        .is_null()
                        .nullable()
                        .and(predicate(c, engine)),
                )
            })
            .reduce(|a, b| Box::new(a.or(b)))
            .unwrap_or_else(|| constant(false)),
        Cond::Not(c) => Box::new(not(predicate(c, engine))),
        // The normalised columns are lower-cased already (by Rust, as `lower()` is here):
        // compared bare, their unique indexes answer an equality (an identity provider's
        // lookup by `userName`).
        Cond::Compare(field @ (Field::Email | Field::LoginName), Op::Eq, Value::Text(v)) => {
            let v = v.to_lowercase();
            let p: Pred = if *field == Field::Email {
                Box::new(users::email_normalized.eq(v).nullable())
            } else {
                Box::new(users::login_name_normalized.eq(v))
            };
            p
        }
        // Compared exactly, the external id's unique index answers.
        Cond::Compare(Field::ExternalId, op, Value::Text(v)) => {
            compare!(users::external_id, op, Some(v.clone()))
        }
        Cond::Compare(field, op, value) => match (column(*field), value) {
            (Column::Int(c), Value::Int(v)) => compare!(c, op, Some(*v)),
            (Column::Time(c), Value::Time(v)) => compare!(c, op, Some(*v)),
            (Column::Text(c), Value::Text(v)) => compare!(lower(c), op, Some(v.to_lowercase())),
            _ => constant(false),
        },
        // Case-exact: PostgreSQL's LIKE is; SQLite's folds ASCII, so it gets the same pattern
        // as a GLOB.
        Cond::Like(Field::ExternalId, pattern) => match engine {
            Engine::Postgres => Box::new(users::external_id.like(pattern.clone()).escape('\\')),
            Engine::Sqlite => Box::new(
                diesel::dsl::sql::<Nullable<Bool>>("users.external_id GLOB ")
                    .bind::<Text, _>(glob(pattern)),
            ),
        },
        Cond::Like(field, pattern) => match column(*field) {
            Column::Text(c) => Box::new(lower(c).like(pattern.to_lowercase()).escape('\\')),
            _ => constant(false),
        },
        // `x IN (a, b)` is `x = a OR x = b`, NULLs included; portable to both backends.
        Cond::In(field, values) => predicate(
            &Cond::Any(
                values
                    .iter()
                    .map(|v| Cond::Compare(*field, Op::Eq, v.clone()))
                    .collect(),
            ),
            engine,
        ),
        // SQLite: the FTS5 trigram index of live users' lower-cased names and emails (kept by
        // triggers), for terms of three characters or more (a trigram index cannot answer
        // shorter ones). PostgreSQL: the LIKEs, which its trigram GIN indexes serve.
        Cond::Search(term) if engine == Engine::Sqlite && term.chars().count() >= 3 => {
            let phrase = format!("\"{}\"", term.to_lowercase().replace('"', "\"\""));
            Box::new(
                diesel::dsl::sql::<Nullable<Bool>>(
                    "users.id IN (SELECT rowid FROM users_search WHERE users_search MATCH ",
                )
                .bind::<Text, _>(phrase)
                .sql(")"),
            )
        }
        Cond::Search(term) => predicate(&Cond::search_meaning(term), engine),
        Cond::IsNull(field) => match column(*field) {
            Column::Int(c) => Box::new(c.is_null().nullable()),
            Column::Text(c) => Box::new(c.is_null().nullable()),
            Column::Time(c) => Box::new(c.is_null().nullable()),
        },
        Cond::RoleIn(roles) => roles
            .iter()
            .map(|r| -> Pred { Box::new(users::role.eq(r.as_str()).nullable()) })
            .reduce(|a, b| Box::new(a.or(b)))
            .unwrap_or_else(|| constant(false)),
        Cond::StatusIn(statuses) => statuses
            .iter()
            .map(|s| -> Pred { Box::new(users::status.eq(s.as_str()).nullable()) })
            .reduce(|a, b| Box::new(a.or(b)))
            .unwrap_or_else(|| constant(false)),
        // The membership table's primary key (group_id, user_id) answers the subquery.
        Cond::InGroup(group) => Box::new(
            users::id
                .eq_any(
                    group_members::table
                        .filter(group_members::group_id.eq(group.get()))
                        .select(group_members::user_id),
                )
                .nullable(),
        ),
    }
}

/// A LIKE pattern (`%`, `_`, `\` escaping) as the SQLite GLOB that matches the same text:
/// `*`, `?`, and GLOB's own special characters in brackets.
fn glob(like: &str) -> String {
    let mut out = String::with_capacity(like.len());
    let mut chars = like.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('*' | '?' | '[')) => {
                    out.push('[');
                    out.push(e);
                    out.push(']');
                }
                Some(e) => out.push(e),
                None => out.push('\\'),
            },
            '%' => out.push('*'),
            '_' => out.push('?'),
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// Which database a query is for, where the SQL differs (search indexes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl Engine {
    /// The engine of a connection.
    pub fn of(conn: &DbConnection) -> Self {
        match conn {
            DbConnection::Pg(_) => Engine::Postgres,
            DbConnection::Sqlite(_) => Engine::Sqlite,
        }
    }
}

/// Non-deleted users matching the query's condition.
pub fn matching(query: &Query, engine: Engine) -> users::BoxedQuery<'static, Backend> {
    let q = users::table
        .filter(users::deleted_at.is_null())
        .into_boxed();
    match &query.cond {
        Some(c) => q.filter(predicate(c, engine)),
        None => q,
    }
}

/// The query's order: each key with empty values last ascending and first descending (as
/// PostgreSQL does by default, and SQLite does not), text ignoring case; then `id`.
pub fn ordered(
    mut q: users::BoxedQuery<'static, Backend>,
    order: &[(Field, Direction)],
) -> users::BoxedQuery<'static, Backend> {
    for (field, dir) in order {
        let desc = *dir == Direction::Desc;
        // Only for fields that can be empty: on the others it would keep an index from
        // serving the order.
        if field.nullable() {
            let nulls: Expr<Bool> = match column(*field) {
                Column::Int(c) => Box::new(c.is_null()),
                Column::Text(c) => Box::new(c.is_null()),
                Column::Time(c) => Box::new(c.is_null()),
            };
            q = if desc {
                q.then_order_by(nulls.desc())
            } else {
                q.then_order_by(nulls.asc())
            };
        }
        if *field == Field::ExternalId {
            q = if desc {
                q.then_order_by(users::external_id.desc())
            } else {
                q.then_order_by(users::external_id.asc())
            };
            continue;
        }
        q = match (column(*field), desc) {
            (Column::Int(c), false) => q.then_order_by(c.asc()),
            (Column::Int(c), true) => q.then_order_by(c.desc()),
            (Column::Text(c), false) => q.then_order_by(lower(c).asc()),
            (Column::Text(c), true) => q.then_order_by(lower(c).desc()),
            (Column::Time(c), false) => q.then_order_by(c.asc()),
            (Column::Time(c), true) => q.then_order_by(c.desc()),
        };
    }
    q.then_order_by(users::id.asc())
}
