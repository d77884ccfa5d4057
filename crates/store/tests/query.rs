//! Core queries in SQL on PostgreSQL and SQLite: a table of conditions with their expected
//! users, then random conditions and orders that must give exactly what core's reference
//! evaluator gives.

use chrono::{NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use usergate_core::domain::{Role, Status};
use usergate_core::ports::{self, NewUserRecord, UserUpdate};
use usergate_core::query::{Cond, Direction, Field, Op, Query, Value, reference};
use usergate_core::{Email, Page, Profile, User};
use usergate_store::Store;
use usergate_store::testdb::TestDb;

fn at(day: u32, micros: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, day)
        .and_then(|d| d.and_hms_micro_opt(12, 0, 0, micros))
        .expect("time")
}

/// email, name, first name, phone, employee number, role, status.
type Row = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<i64>,
    Role,
    Status,
);

/// Users whose fields cover cases, accents, NULLs, wildcards in data, equal sort keys.
fn seed(store: &Store) -> Vec<User> {
    let rows: [Row; 12] = [
        (
            "jo@example.com",
            "Jo Smith",
            Some("Jo"),
            Some("+1 555"),
            Some(10),
            Role::Admin,
            Status::Active,
        ),
        (
            "JOHN@example.com",
            "John Doe",
            Some("John"),
            None,
            Some(11),
            Role::User,
            Status::Active,
        ),
        (
            "anna@example.org",
            "Anna Jones",
            Some("Anna"),
            Some("+44 20"),
            None,
            Role::Editor,
            Status::Inactive,
        ),
        (
            "emilie@exemple.fr",
            "Émilie Dupont",
            Some("Émilie"),
            None,
            Some(7),
            Role::Viewer,
            Status::Active,
        ),
        (
            "EMILE@exemple.fr",
            "ÉMILE Martin",
            None,
            Some("+33 1"),
            Some(7),
            Role::Privileged,
            Status::Suspended,
        ),
        (
            "pct@example.com",
            "100% Sure_Thing",
            None,
            None,
            None,
            Role::User,
            Status::Active,
        ),
        (
            "back@example.com",
            "Back\\Slash",
            Some("B"),
            Some(""),
            Some(-3),
            Role::User,
            Status::Active,
        ),
        (
            "zed@example.net",
            "zed",
            Some("Zed"),
            None,
            Some(99),
            Role::User,
            Status::Inactive,
        ),
        (
            "amy@example.net",
            "Amy Jo",
            Some("amy"),
            Some("555"),
            Some(10),
            Role::Editor,
            Status::Active,
        ),
        (
            "bob@example.com",
            "bob",
            None,
            None,
            None,
            Role::Viewer,
            Status::Active,
        ),
        (
            "Carl@Example.com",
            "Carl O'Neil",
            Some("Carl"),
            Some("+1 555"),
            Some(12),
            Role::User,
            Status::Active,
        ),
        (
            "dana@example.com",
            "Dana",
            Some("dana"),
            None,
            Some(0),
            Role::Admin,
            Status::Inactive,
        ),
    ];
    let mut users = Vec::new();
    for (i, (email, name, first, phone, emp, role, status)) in rows.into_iter().enumerate() {
        let e = Email::parse(email).expect("email");
        let record = NewUserRecord {
            email: e.as_str().into(),
            email_normalized: e.normalized().into(),
            name: name.into(),
            profile: Profile {
                first_name: first.map(Into::into),
                phone: phone.map(Into::into),
                ..Profile::default()
            },
            role,
            status,
            password_hash: None,
            employee_number: emp,
            // Identities in cases, with LIKE's and GLOB's special characters, on some users.
            external_id: ["jo1", "JO2", "Jo%_3", "*?[4]", ""]
                .get(i)
                .filter(|x| !x.is_empty())
                .map(|x| (*x).to_owned()),
            login_name: ["John", "", "émile", "JO_x"]
                .get(i)
                .filter(|x| !x.is_empty())
                .map(|x| usergate_core::LoginName::parse(x).expect("login name")),
            attributes: serde_json::Map::new(),
            // Two users share a creation time, to exercise the id tie-breaker.
            now: at(1 + (i as u32 % 6), 0),
            deleted_at: None,
        };
        let mut u = ports::write(store, |repo| Ok(repo.insert(&record)?)).expect("insert");
        if i % 3 == 0 {
            u = ports::write(store, |repo| {
                Ok(repo.update(
                    u.id,
                    &UserUpdate {
                        last_login_at: Some(at(20, i as u32)),
                        ..UserUpdate::default()
                    },
                )?)
            })
            .expect("login");
        }
        users.push(u);
    }
    users
}

fn run(store: &Store, q: &Query) -> (Vec<String>, Option<u64>) {
    let found = ports::read(store, |repo| Ok(repo.query(q)?)).expect("query");
    (
        found
            .items
            .iter()
            .map(|u| u.email.normalized().to_owned())
            .collect(),
        found.total,
    )
}

fn expected(users: &[User], q: &Query) -> (Vec<String>, Option<u64>) {
    let found = reference(q, users.iter().cloned());
    (
        found
            .items
            .iter()
            .map(|u| u.email.normalized().to_owned())
            .collect(),
        found.total,
    )
}

fn all(cond: Cond) -> Query {
    Query {
        cond: Some(cond),
        order: vec![],
        page: Page {
            limit: 100,
            offset: 0,
        },
        count: true,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn table(kind: &str) {
    let db = TestDb::of(kind);
    Store::migrate(db.url()).expect("migrate");
    let store = Store::open(db.url(), Some(2)).expect("open");
    let users = seed(&store);
    let cases: Vec<(Cond, Vec<&str>)> = vec![
        (
            Cond::Compare(Field::Email, Op::Eq, text("JO@EXAMPLE.COM")),
            vec!["jo@example.com"],
        ),
        (
            Cond::Like(Field::Name, "%jo%".into()),
            vec![
                "jo@example.com",
                "john@example.com",
                "anna@example.org",
                "amy@example.net",
            ],
        ),
        (
            Cond::contains(Field::Name, "émil"),
            vec!["emilie@exemple.fr", "emile@exemple.fr"],
        ),
        (Cond::contains(Field::Name, "100%"), vec!["pct@example.com"]),
        (Cond::contains(Field::Name, "e_t"), vec!["pct@example.com"]),
        (
            Cond::contains(Field::Name, "k\\s"),
            vec!["back@example.com"],
        ),
        (
            Cond::starts_with(Field::Email, "e"),
            vec!["emilie@exemple.fr", "emile@exemple.fr"],
        ),
        (
            Cond::ends_with(Field::Email, ".NET"),
            vec!["zed@example.net", "amy@example.net"],
        ),
        (
            Cond::IsNull(Field::Phone),
            vec![
                "john@example.com",
                "emilie@exemple.fr",
                "pct@example.com",
                "zed@example.net",
                "bob@example.com",
                "dana@example.com",
            ],
        ),
        (
            Cond::IsNull(Field::Phone).negate(),
            vec![
                "jo@example.com",
                "anna@example.org",
                "emile@exemple.fr",
                "back@example.com",
                "amy@example.net",
                "carl@example.com",
            ],
        ),
        (
            Cond::Compare(Field::Phone, Op::Eq, text("")),
            vec!["back@example.com"],
        ),
        (
            Cond::Compare(Field::Phone, Op::Ne, text("+1 555")).negate(),
            vec!["jo@example.com", "carl@example.com"],
        ),
        (
            Cond::Compare(Field::EmployeeNumber, Op::Ge, Value::Int(10)),
            vec![
                "jo@example.com",
                "john@example.com",
                "zed@example.net",
                "amy@example.net",
                "carl@example.com",
            ],
        ),
        (
            Cond::In(Field::EmployeeNumber, vec![Value::Int(7), Value::Int(0)]),
            vec!["emilie@exemple.fr", "emile@exemple.fr", "dana@example.com"],
        ),
        (
            Cond::In(Field::FirstName, vec![text("JO"), text("carl")]).negate(),
            vec![
                "john@example.com",
                "anna@example.org",
                "emilie@exemple.fr",
                "back@example.com",
                "zed@example.net",
                "amy@example.net",
                "dana@example.com",
            ],
        ),
        (
            Cond::Compare(Field::CreatedAt, Op::Lt, Value::Time(at(3, 0))),
            vec![
                "jo@example.com",
                "john@example.com",
                "back@example.com",
                "zed@example.net",
            ],
        ),
        (
            Cond::IsNull(Field::LastLoginAt).negate(),
            vec![
                "jo@example.com",
                "emilie@exemple.fr",
                "back@example.com",
                "bob@example.com",
            ],
        ),
        (
            Cond::RoleIn(vec![Role::Admin]),
            vec!["jo@example.com", "dana@example.com"],
        ),
        (
            Cond::StatusIn(vec![Status::Inactive, Status::Suspended]),
            vec![
                "anna@example.org",
                "emile@exemple.fr",
                "zed@example.net",
                "dana@example.com",
            ],
        ),
        (
            Cond::Any(vec![
                Cond::Like(Field::Name, "%jo%".into()),
                Cond::Like(Field::Email, "%jo%".into()),
            ]),
            vec![
                "jo@example.com",
                "john@example.com",
                "anna@example.org",
                "amy@example.net",
            ],
        ),
        (
            Cond::All(vec![
                Cond::RoleIn(vec![Role::User]),
                Cond::StatusIn(vec![Status::Active]),
            ]),
            vec![
                "john@example.com",
                "pct@example.com",
                "back@example.com",
                "carl@example.com",
            ],
        ),
        (
            Cond::All(vec![]),
            users.iter().map(|u| u.email.normalized()).collect(),
        ),
        (Cond::Any(vec![]), vec![]),
        // The search: on SQLite its FTS index for three characters or more, LIKE below that.
        (Cond::Search("JOHN".into()), vec!["john@example.com"]),
        (
            Cond::Search("jo".into()),
            vec![
                "jo@example.com",
                "john@example.com",
                "anna@example.org",
                "amy@example.net",
            ],
        ),
        (Cond::Compare(Field::Id, Op::Eq, Value::Int(-1)), vec![]),
    ];
    // Every search term agrees with its meaning, on both paths of SQLite.
    for term in [
        "jo", "joh", "JOHN", "mil", "ÉMIL", "émile m", "%", "5 5", "\"x", "\\", "_", "example.",
        "zzzz", "a", "",
    ] {
        let q = all(Cond::Search(term.into()));
        assert_eq!(
            run(&store, &q),
            expected(&users, &q),
            "{kind}: search {term:?}"
        );
    }
    for (cond, want) in cases {
        let q = all(cond.clone());
        let (got, total) = run(&store, &q);
        let mut sorted_got = got.clone();
        sorted_got.sort();
        let mut want: Vec<String> = want.into_iter().map(str::to_owned).collect();
        want.sort();
        assert_eq!(sorted_got, want, "{kind}: {cond:?}");
        assert_eq!(total, Some(want.len() as u64));
        assert_eq!(
            (got, total),
            expected(&users, &q),
            "{kind}: the reference agrees: {cond:?}"
        );
    }
}

#[test]
fn conditions_select_the_right_users_postgres() {
    table("postgres");
}

#[test]
fn conditions_select_the_right_users_sqlite() {
    table("sqlite");
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::Id),
        Just(Field::Email),
        Just(Field::Name),
        Just(Field::FirstName),
        Just(Field::Phone),
        Just(Field::EmployeeNumber),
        Just(Field::CreatedAt),
        Just(Field::LastLoginAt),
        Just(Field::ExternalId),
        Just(Field::LoginName),
    ]
}

fn value_for(f: Field) -> BoxedStrategy<Value> {
    match f {
        Field::Id => (0i64..15).prop_map(Value::Int).boxed(),
        Field::EmployeeNumber => prop_oneof![Just(-3i64), Just(0), Just(7), Just(10), Just(50)]
            .prop_map(Value::Int)
            .boxed(),
        Field::CreatedAt | Field::LastLoginAt => (1u32..25, 0u32..12)
            .prop_map(|(d, m)| Value::Time(at(d, m)))
            .boxed(),
        _ => prop_oneof![
            Just("jo"),
            Just("JO"),
            Just("john"),
            Just("émilie"),
            Just("ÉMILE martin"),
            Just("+1 555"),
            Just(""),
            Just("zed"),
            Just("a"),
            Just("m"),
            Just("jo1"),
            Just("JO2"),
            Just("Jo%_3")
        ]
        .prop_map(text)
        .boxed(),
    }
}

fn leaf() -> impl Strategy<Value = Cond> {
    let op = prop_oneof![
        Just(Op::Eq),
        Just(Op::Ne),
        Just(Op::Gt),
        Just(Op::Ge),
        Just(Op::Lt),
        Just(Op::Le)
    ];
    field().prop_flat_map(move |f| {
        let text = matches!(
            f.kind(),
            usergate_core::query::Kind::Text | usergate_core::query::Kind::Exact
        );
        let text_like = if text {
            prop_oneof![
                Just("%jo%"),
                Just("e%"),
                Just("_o%"),
                Just("%É%"),
                Just("%5%"),
                Just("%\\%%"),
                Just("*%"),
                Just("%[4]")
            ]
            .prop_map(move |p| Cond::Like(f, p.into()))
            .boxed()
        } else {
            Just(Cond::IsNull(f)).boxed()
        };
        prop_oneof![
            (op.clone(), value_for(f)).prop_map(move |(o, v)| Cond::Compare(f, o, v)),
            prop::collection::vec(value_for(f), 0..3).prop_map(move |vs| Cond::In(f, vs)),
            Just(Cond::IsNull(f)),
            text_like,
            prop_oneof![
                Just("jo"),
                Just("john"),
                Just("ÉMI"),
                Just("%"),
                Just("e.c"),
                Just("xyz")
            ]
            .prop_map(|t| Cond::Search(t.into())),
            prop::collection::vec(
                prop_oneof![Just(Role::Admin), Just(Role::User), Just(Role::Editor)],
                0..3
            )
            .prop_map(Cond::RoleIn),
        ]
    })
}

fn cond() -> impl Strategy<Value = Cond> {
    leaf().prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Cond::All),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Cond::Any),
            inner.prop_map(Cond::negate),
        ]
    })
}

fn query() -> impl Strategy<Value = Query> {
    (
        prop::option::of(cond()),
        prop::collection::vec(
            (
                field(),
                prop_oneof![Just(Direction::Asc), Just(Direction::Desc)],
            ),
            0..3,
        ),
        1u32..8,
        0u64..6,
        any::<bool>(),
    )
        .prop_map(|(cond, order, limit, offset, count)| Query {
            cond,
            order,
            page: Page { limit, offset },
            count,
        })
}

fn agrees_with_the_reference(kind: &str) {
    let db = TestDb::of(kind);
    Store::migrate(db.url()).expect("migrate");
    let store = Store::open(db.url(), Some(2)).expect("open");
    let users = seed(&store);
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&query(), |q| {
            prop_assert_eq!(run(&store, &q), expected(&users, &q), "{:?}", q);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
}

#[test]
fn random_queries_agree_with_the_reference_postgres() {
    agrees_with_the_reference("postgres");
}

#[test]
fn random_queries_agree_with_the_reference_sqlite() {
    agrees_with_the_reference("sqlite");
}
