//! The filter grammar: a table of accepted filters with their trees, refused ones, limits, and a
//! property test that printing then parsing gives the same tree.

use proptest::prelude::*;

use super::*;

fn cmp(field: &str, test: Test) -> Expr {
    Expr::Cmp(Comparison {
        field: field.into(),
        test,
    })
}

fn eq(field: &str, v: &str) -> Expr {
    cmp(field, Test::Compare(Op::Eq, v.into()))
}

fn and(a: Expr, b: Expr) -> Expr {
    Expr::And(Box::new(a), Box::new(b))
}

fn or(a: Expr, b: Expr) -> Expr {
    Expr::Or(Box::new(a), Box::new(b))
}

fn not(a: Expr) -> Expr {
    Expr::Not(Box::new(a))
}

fn like(field: &str, p: &str) -> Expr {
    cmp(
        field,
        Test::Like {
            pattern: p.into(),
            negated: false,
        },
    )
}

#[test]
fn accepted_filters_parse_to_their_trees() {
    let cases: Vec<(&str, Expr)> = vec![
        // The seed's examples and the spec's must-pass.
        ("email=tomo@example.com", eq("email", "tomo@example.com")),
        (
            r#"(name like "%jo%") or (email like "%jo%")"#,
            or(like("name", "%jo%"), like("email", "%jo%")),
        ),
        ("email = 'a@b.c'", eq("email", "a@b.c")),
        (r#"email = "a@b.c""#, eq("email", "a@b.c")),
        ("  email   =   a@b.c  ", eq("email", "a@b.c")),
        // Bare values run to the end of the comparison, spaces included.
        ("name = John Smith", eq("name", "John Smith")),
        (
            "name = John Smith AND id > 3",
            and(
                eq("name", "John Smith"),
                cmp("id", Test::Compare(Op::Gt, "3".into())),
            ),
        ),
        ("name=Andy", eq("name", "Andy")),
        ("name=Andy and id=1", and(eq("name", "Andy"), eq("id", "1"))),
        ("name=Orla||id=1", or(eq("name", "Orla"), eq("id", "1"))),
        ("(name=x)", eq("name", "x")),
        // Every operator, symbols and words, any case.
        ("id != 1", cmp("id", Test::Compare(Op::Ne, "1".into()))),
        ("id <> 1", cmp("id", Test::Compare(Op::Ne, "1".into()))),
        ("id > 1", cmp("id", Test::Compare(Op::Gt, "1".into()))),
        ("id >= 1", cmp("id", Test::Compare(Op::Ge, "1".into()))),
        ("id < 1", cmp("id", Test::Compare(Op::Lt, "1".into()))),
        ("id <= 1", cmp("id", Test::Compare(Op::Le, "1".into()))),
        ("id eq 1", cmp("id", Test::Compare(Op::Eq, "1".into()))),
        ("id NE 1", cmp("id", Test::Compare(Op::Ne, "1".into()))),
        ("id gt 1", cmp("id", Test::Compare(Op::Gt, "1".into()))),
        ("id GTE 1", cmp("id", Test::Compare(Op::Ge, "1".into()))),
        ("id lt 1", cmp("id", Test::Compare(Op::Lt, "1".into()))),
        ("id Lte 1", cmp("id", Test::Compare(Op::Le, "1".into()))),
        ("name LIKE 'a%'", like("name", "a%")),
        (
            "name not like 'a%'",
            cmp(
                "name",
                Test::Like {
                    pattern: "a%".into(),
                    negated: true,
                },
            ),
        ),
        (
            "id IN (1, 2,3)",
            cmp(
                "id",
                Test::In {
                    values: vec!["1".into(), "2".into(), "3".into()],
                    negated: false,
                },
            ),
        ),
        (
            r#"email not in ('a@b.c', "d,e@f.g")"#,
            cmp(
                "email",
                Test::In {
                    values: vec!["a@b.c".into(), "d,e@f.g".into()],
                    negated: true,
                },
            ),
        ),
        ("name contains 'o'", cmp("name", Test::Contains("o".into()))),
        (
            "name starts with Jo",
            cmp("name", Test::StartsWith("Jo".into())),
        ),
        (
            "email ENDS  WITH '@example.com'",
            cmp("email", Test::EndsWith("@example.com".into())),
        ),
        (
            "phone is null",
            cmp("phone", Test::IsNull { negated: false }),
        ),
        (
            "phone IS NOT NULL",
            cmp("phone", Test::IsNull { negated: true }),
        ),
        // NOT, and precedence: AND binds tighter than OR, left to right.
        ("not id=1", not(eq("id", "1"))),
        ("NOT (id=1 OR id=2)", not(or(eq("id", "1"), eq("id", "2")))),
        (
            "a=1 OR b=2 AND c=3",
            or(eq("a", "1"), and(eq("b", "2"), eq("c", "3"))),
        ),
        (
            "(a=1 OR b=2) AND c=3",
            and(or(eq("a", "1"), eq("b", "2")), eq("c", "3")),
        ),
        (
            "a=1 AND b=2 AND c=3",
            and(and(eq("a", "1"), eq("b", "2")), eq("c", "3")),
        ),
        (
            "a=1 && NOT b=2 || c=3",
            or(and(eq("a", "1"), not(eq("b", "2"))), eq("c", "3")),
        ),
        // Quotes: escapes, the other quote inside, keywords inside values.
        (r#"name = "say \"hi\"""#, eq("name", r#"say "hi""#)),
        (r#"name = 'it\'s'"#, eq("name", "it's")),
        (r#"name = "O'Neil""#, eq("name", "O'Neil")),
        ("name = 'a AND b'", eq("name", "a AND b")),
        // A keyword glued to a word is not a keyword.
        ("name = Oregon", eq("name", "Oregon")),
        ("name = ANDY OR x=1", or(eq("name", "ANDY"), eq("x", "1"))),
        ("notes = 1", eq("notes", "1")),
        ("name = Émilie", eq("name", "Émilie")),
    ];
    assert!(cases.len() >= 40);
    for (input, tree) in cases {
        assert_eq!(parse(input), Ok(tree), "{input}");
    }
}

#[test]
fn malformed_filters_are_refused() {
    for input in [
        "",
        "   ",
        "email",
        "email =",
        "email = ''x",
        "= 1",
        "1 = 1",
        "(id = 1",
        "id = 1)",
        "id = 1 AND",
        "OR id = 1",
        "id == 1",
        "id IN 1",
        "id IN ()",
        "id IN (1,)",
        "id IN (1, 2",
        "name = 'unterminated",
        "name like",
        "phone IS",
        "phone IS NOT",
        "NOT",
        "()",
        "id =< 1",
        "id = !1",
        "name starts 'x'",
    ] {
        assert!(
            matches!(parse(input), Err(FilterError::Unparsable { .. })),
            "{input:?} -> {:?}",
            parse(input)
        );
    }
}

#[test]
fn limits_refuse_long_and_deep_filters_cheaply() {
    let long = format!("name = '{}'", "x".repeat(MAX_LEN));
    assert_eq!(parse(&long), Err(FilterError::TooLong));
    let huge = format!("name = '{}'", "x".repeat(100 * 1024));
    assert_eq!(parse(&huge), Err(FilterError::TooLong));
    let deep = format!("{}id=1{}", "(".repeat(1000), ")".repeat(1000));
    assert_eq!(parse(&deep), Err(FilterError::TooDeep));
    let deep = format!(
        "{}id=1{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    assert_eq!(parse(&deep), Err(FilterError::TooDeep));
    let nots = format!("{}id=1", "NOT ".repeat(MAX_DEPTH + 1));
    assert_eq!(parse(&nots), Err(FilterError::TooDeep));
    let ok = format!("{}id=1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(parse(&ok).is_ok());
    // A long flat chain is fine: depth counts nesting, not length.
    let flat = vec!["id=1"; 500].join(" OR ");
    assert!(parse(&flat).is_ok());
}

fn field() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,10}".prop_filter("not a keyword", |f| {
        ![
            "and", "or", "not", "is", "in", "like", "contains", "starts", "ends", "eq", "ne", "gt",
            "gte", "lt", "lte",
        ]
        .contains(&f.as_str())
    })
}

fn test_strategy() -> impl Strategy<Value = Test> {
    let op = prop_oneof![
        Just(Op::Eq),
        Just(Op::Ne),
        Just(Op::Gt),
        Just(Op::Ge),
        Just(Op::Lt),
        Just(Op::Le),
    ];
    let value = any::<String>();
    // `any::<String>()` is a `Copy` strategy: each use below is independent.
    prop_oneof![
        (op, value).prop_map(|(o, v)| Test::Compare(o, v)),
        (value, any::<bool>()).prop_map(|(pattern, negated)| Test::Like { pattern, negated }),
        (prop::collection::vec(value, 1..4), any::<bool>())
            .prop_map(|(values, negated)| Test::In { values, negated }),
        value.prop_map(Test::Contains),
        value.prop_map(Test::StartsWith),
        value.prop_map(Test::EndsWith),
        any::<bool>().prop_map(|negated| Test::IsNull { negated }),
    ]
}

fn expr_strategy() -> impl Strategy<Value = Expr> {
    let leaf =
        (field(), test_strategy()).prop_map(|(field, test)| Expr::Cmp(Comparison { field, test }));
    leaf.prop_recursive(6, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Expr::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Expr::Not(Box::new(a))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn printing_then_parsing_gives_the_same_tree(e in expr_strategy()) {
        let printed = e.to_string();
        prop_assume!(printed.len() <= MAX_LEN);
        prop_assert_eq!(parse(&printed), Ok(e), "{}", printed);
    }

    #[test]
    fn no_input_panics(s in any::<String>()) {
        let _ = parse(&s);
    }
}
