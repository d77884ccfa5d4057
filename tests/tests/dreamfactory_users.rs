//! DreamFactory's `/system/user` and `/system/admin` reads over HTTP, on PostgreSQL and SQLite:
//! records, query parameters, the filter grammar with expected id sets, `ids` batches, access.
//! Users are seeded through the store (the dialect's writes are not served yet); every read
//! goes over HTTP.

use std::collections::BTreeSet;

use awc::http::Method;
use serde_json::{Value, json};
use usergate_core::domain::{Role, Status};
use usergate_core::ports::{self, NewUserRecord, UserUpdate};
use usergate_core::{Email, Profile};
use usergate_store::Store;
use usergate_tests::{ADMIN_EMAIL, ADMIN_PASSWORD, Reply, TestApp, both_backends};

/// (email, name, first, last, phone, role, status)
type Seed = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Role,
    Status,
);

const SEED: [Seed; 7] = [
    (
        "tomo@example.com",
        "Tomo Smith",
        Some("Tomo"),
        Some("Smith"),
        Some("555-0100"),
        Role::User,
        Status::Active,
    ),
    (
        "joe@example.com",
        "Joe Bloggs",
        Some("Joe"),
        Some("Bloggs"),
        None,
        Role::User,
        Status::Active,
    ),
    (
        "anna@example.org",
        "Anna Jones",
        Some("Anna"),
        Some("Jones"),
        Some("555-0199"),
        Role::Editor,
        Status::Inactive,
    ),
    (
        "mary@example.com",
        "Mary O'Brien",
        Some("Mary"),
        Some("O'Brien"),
        None,
        Role::Viewer,
        Status::Suspended,
    ),
    (
        "deleted@example.com",
        "Jo Deleted",
        None,
        None,
        None,
        Role::User,
        Status::Active,
    ),
    (
        "jo.admin@example.com",
        "Jo Admin",
        Some("Jo"),
        Some("Admin"),
        None,
        Role::Admin,
        Status::Active,
    ),
    (
        "emile@example.fr",
        "ÉMILE Zola",
        Some("Émile"),
        Some("Zola"),
        None,
        Role::Privileged,
        Status::Active,
    ),
];

/// Seeds the users; returns email -> id, and soft-deletes `deleted@example.com`.
fn seed(app: &TestApp) -> std::collections::HashMap<&'static str, i64> {
    let store = Store::open(app.db_url(), Some(1)).expect("store");
    let mut ids = std::collections::HashMap::new();
    for (email, name, first, last, phone, role, status) in SEED {
        let e = Email::parse(email).expect("email");
        let record = NewUserRecord {
            email: e.as_str().into(),
            email_normalized: e.normalized().into(),
            name: name.into(),
            profile: Profile {
                first_name: first.map(Into::into),
                last_name: last.map(Into::into),
                phone: phone.map(Into::into),
                ..Profile::default()
            },
            role,
            status,
            password_hash: None,
            employee_number: None,
            external_id: None,
            login_name: None,
            attributes: serde_json::Map::new(),
            now: chrono::Utc::now().naive_utc(),
            deleted_at: None,
        };
        let u = ports::write(&store, |repo| Ok(repo.insert(&record)?)).expect("insert");
        ids.insert(email, u.id.get());
    }
    let gone = ids["deleted@example.com"];
    ports::write(&store, |repo| {
        Ok(repo.update(
            usergate_core::UserId::new(gone),
            &UserUpdate {
                deleted_at: Some(chrono::Utc::now().naive_utc()),
                ..UserUpdate::default()
            },
        )?)
    })
    .expect("delete");
    ids
}

async fn admin_session(app: &TestApp) -> String {
    app.df_admin_session().await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Reply {
    app.df_call(token, Method::GET, path, None).await
}

fn emails(body: &Value) -> BTreeSet<String> {
    body["resource"]
        .as_array()
        .expect("resource")
        .iter()
        .map(|r| r["email"].as_str().expect("email").to_owned())
        .collect()
}

fn set(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

both_backends! {
    async fn lists_show_records_of_their_kind_with_dreamfactorys_fields(kind) {
        let app = TestApp::spawn(kind).await;
        let ids = seed(&app);
        let t = admin_session(&app).await;
        let r = get(&app, &t, "/api/v2/system/user").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            emails(&r.body),
            set(&["tomo@example.com", "joe@example.com", "anna@example.org", "mary@example.com", "emile@example.fr"]),
            "non-admins, not deleted"
        );
        assert!(r.body.get("meta").is_none());
        let tomo = r.body["resource"].as_array().expect("list").iter()
            .find(|u| u["email"] == "tomo@example.com").expect("tomo").clone();
        let keys: Vec<&str> = tomo.as_object().expect("record").keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "name", "username", "first_name", "last_name", "last_login_date",
            "email", "is_active", "phone", "security_question", "default_app_id", "created_date",
            "last_modified_date", "created_by_id", "last_modified_by_id", "confirmed", "expired"],
            "DreamFactory's field order");
        assert_eq!(tomo["id"], ids["tomo@example.com"]);
        assert_eq!(tomo["username"], "tomo@example.com");
        assert_eq!(tomo["is_active"], true);
        assert_eq!(tomo["confirmed"], false, "no password yet");
        assert_eq!(tomo["last_login_date"], Value::Null);
        let created = tomo["created_date"].as_str().expect("date");
        assert!(chrono::NaiveDateTime::parse_from_str(created, "%Y-%m-%dT%H:%M:%S%.6fZ").is_ok(), "{created}");
        assert_eq!(created.len(), 27);
        let r = get(&app, &t, "/api/v2/system/admin?include_count=true").await;
        assert_eq!(emails(&r.body), set(&[ADMIN_EMAIL, "jo.admin@example.com"]));
        assert_eq!(r.body["meta"], json!({"count": 2}));
        app.stop().await;
    }

    async fn query_parameters_shape_and_page_lists(kind) {
        let app = TestApp::spawn(kind).await;
        seed(&app);
        let t = admin_session(&app).await;
        let r = get(&app, &t, "/api/v2/system/user?fields=email,id&related=lookup_by_user_id,user_to_app_to_role_by_user_id&limit=2&offset=1&include_count=1").await;
        assert_eq!(r.status, 200);
        let list = r.body["resource"].as_array().expect("list");
        assert_eq!(list.len(), 2);
        assert_eq!(r.body["meta"]["count"], 5, "the count ignores the page");
        for rec in list {
            let keys: Vec<&str> = rec.as_object().expect("record").keys().map(String::as_str).collect();
            assert_eq!(keys.len(), 4, "{rec}");
            assert_eq!(rec["lookup_by_user_id"], json!([]));
            assert_eq!(rec["user_to_app_to_role_by_user_id"], json!([]));
        }
        // Default order is id; `order`/`sort` with directions; `name` ignores case.
        let order = |r: &Reply| -> Vec<String> {
            r.body["resource"].as_array().expect("list").iter()
                .map(|u| u["email"].as_str().expect("email").to_owned()).collect()
        };
        let r = get(&app, &t, "/api/v2/system/user?fields=email").await;
        assert_eq!(order(&r), ["tomo@example.com", "joe@example.com", "anna@example.org", "mary@example.com", "emile@example.fr"]);
        let r = get(&app, &t, "/api/v2/system/user?fields=email&sort=name").await;
        // By code point of the lower-cased name: "émile" sorts after "z" (see the crate docs).
        assert_eq!(order(&r), ["anna@example.org", "joe@example.com", "mary@example.com", "tomo@example.com", "emile@example.fr"]);
        let r = get(&app, &t, &format!("/api/v2/system/user?fields=email&order={}", enc("last_name DESC, first_name"))).await;
        assert_eq!(order(&r), ["emile@example.fr", "tomo@example.com", "mary@example.com", "anna@example.org", "joe@example.com"]);
        // limit 0, huge or junk: everything; never an error.
        for l in ["0", "-1", "999999999", "abc"] {
            let r = get(&app, &t, &format!("/api/v2/system/user?limit={l}")).await;
            assert_eq!((r.status, r.body["resource"].as_array().map(Vec::len)), (200, Some(5)), "limit={l}");
        }
        let r = get(&app, &t, "/api/v2/system/user?order=password").await;
        assert_eq!(r.status, 400);
        app.stop().await;
    }

    async fn filters_select_the_right_users(kind) {
        let app = TestApp::spawn(kind).await;
        seed(&app);
        let t = admin_session(&app).await;
        let cases: Vec<(&str, Vec<&str>)> = vec![
            // The seed's example and the spec's must-pass.
            ("email=tomo@example.com", vec!["tomo@example.com"]),
            (r#"(name like "%jo%") or (email like "%jo%")"#, vec!["joe@example.com", "anna@example.org"]),
            // The admin app's search.
            (r#"(first_name like "%o%") or (last_name like "%o%") or (name like "%o%") or (email like "%o%")"#,
             vec!["tomo@example.com", "joe@example.com", "anna@example.org", "mary@example.com", "emile@example.fr"]),
            ("email = 'TOMO@EXAMPLE.COM'", vec!["tomo@example.com"]),
            ("last_name='smith'", vec!["tomo@example.com"]),
            ("first_name = \"Émile\"", vec!["emile@example.fr"]),
            ("name like 'émile%'", vec!["emile@example.fr"]),
            ("last_name = \"O'Brien\"", vec!["mary@example.com"]),
            ("phone IS NULL", vec!["joe@example.com", "mary@example.com", "emile@example.fr"]),
            ("phone is not null", vec!["tomo@example.com", "anna@example.org"]),
            ("first_name IN ('Tomo', 'joe')", vec!["tomo@example.com", "joe@example.com"]),
            ("first_name not in (Tomo,Joe)", vec!["anna@example.org", "mary@example.com", "emile@example.fr"]),
            ("NOT (first_name = 'Tomo')", vec!["joe@example.com", "anna@example.org", "mary@example.com", "emile@example.fr"]),
            ("email ends with '.org'", vec!["anna@example.org"]),
            ("email STARTS WITH m", vec!["mary@example.com"]),
            ("name contains 'e b'", vec!["joe@example.com"]),
            ("name contains '%'", vec![]),
            ("is_active = true", vec!["tomo@example.com", "joe@example.com", "emile@example.fr"]),
            ("is_active = 0", vec!["anna@example.org", "mary@example.com"]),
            ("first_name = 'Tomo' OR first_name = 'Joe' AND last_name = 'Nobody'", vec!["tomo@example.com"]),
            ("(first_name = 'Tomo' OR first_name = 'Joe') AND last_name = 'Bloggs'", vec!["joe@example.com"]),
            ("(first_name = 'Tomo') && (phone = '555-0100')", vec!["tomo@example.com"]),
            ("email like 'deleted%'", vec![]),
            ("created_date < '2000-01-01'", vec![]),
            ("created_date > 2000-01-01", vec!["tomo@example.com", "joe@example.com", "anna@example.org", "mary@example.com", "emile@example.fr"]),
            ("last_login_date is null", vec!["tomo@example.com", "joe@example.com", "anna@example.org", "mary@example.com", "emile@example.fr"]),
            ("id > 0", vec!["tomo@example.com", "joe@example.com", "anna@example.org", "mary@example.com", "emile@example.fr"]),
            ("first_name = 'tomo'", vec!["tomo@example.com"]),
            ("first_name != 'Tomo'", vec!["joe@example.com", "anna@example.org", "mary@example.com", "emile@example.fr"]),
            ("first_name <> 'TOMO'", vec!["joe@example.com", "anna@example.org", "mary@example.com", "emile@example.fr"]),
            ("last_name > 'Smith'", vec!["emile@example.fr"]),
            ("last_name >= 'smith'", vec!["tomo@example.com", "emile@example.fr"]),
            ("last_name < 'c'", vec!["joe@example.com"]),
            ("last_name <= 'JONES'", vec!["joe@example.com", "anna@example.org"]),
            ("last_name EQ 'Jones'", vec!["anna@example.org"]),
            ("last_name ne 'Jones'", vec!["tomo@example.com", "joe@example.com", "mary@example.com", "emile@example.fr"]),
            ("last_name GT 'Smith'", vec!["emile@example.fr"]),
            ("last_name lte 'Bloggs'", vec!["joe@example.com"]),
            ("phone LIKE '555%'", vec!["tomo@example.com", "anna@example.org"]),
            ("phone NOT LIKE '%99'", vec!["tomo@example.com"]),
            ("email contains 'EXAMPLE.ORG'", vec!["anna@example.org"]),
            ("name starts with 'é'", vec!["emile@example.fr"]),
            ("NOT (phone IS NULL)", vec!["tomo@example.com", "anna@example.org"]),
            ("(is_active = 1) AND (phone IS NOT NULL)", vec!["tomo@example.com"]),
            ("first_name in ('ÉMILE')", vec!["emile@example.fr"]),
            ("email = 'nobody@example.com'", vec![]),
            ("id gt 0 and is_active = false", vec!["anna@example.org", "mary@example.com"]),
        ];
        assert!(cases.len() >= 40, "at least 40 filters with expected users");
        for (filter, want) in cases {
            let r = get(&app, &t, &format!("/api/v2/system/user?filter={}", enc(filter))).await;
            assert_eq!(r.status, 200, "{filter}: {}", r.body);
            assert_eq!(emails(&r.body), set(&want), "{filter}");
        }
        // `+` in a query string is a space.
        let r = get(&app, &t, "/api/v2/system/user?filter=first_name+=+Tomo").await;
        assert_eq!(emails(&r.body), set(&["tomo@example.com"]));
        let bad: Vec<(&str, &str)> = vec![
            ("password = 'x'", "Invalid or unparsable field in filter request: 'password'"),
            ("id = abc", "Field 'id' must be a valid integer."),
            ("name = ", "Invalid or unparsable filter request."),
            ("(name = 'x'", "Invalid or unparsable filter request."),
            ("name === 'x'", "Invalid or unparsable filter request."),
        ];
        for (filter, message) in bad {
            let r = get(&app, &t, &format!("/api/v2/system/user?filter={}", enc(filter))).await;
            assert_eq!(r.status, 400, "{filter}");
            assert_eq!(r.body["error"]["message"], message, "{filter}");
        }
        // Over the 8 KiB request-target limit, which comes before the parser's own 8 KiB cap:
        // 414 in DreamFactory's envelope (longer filters: tests/tests/input_limits.rs).
        let huge = format!("name = '{}'", "x".repeat(20 * 1024));
        let r = get(&app, &t, &format!("/api/v2/system/user?filter={}", enc(&huge))).await;
        assert_eq!((r.status, &r.body["error"]["code"]), (414, &serde_json::json!(414)));
        let deep = format!("{}name='x'{}", "(".repeat(1000), ")".repeat(1000));
        let r = get(&app, &t, &format!("/api/v2/system/user?filter={}", enc(&deep))).await;
        assert_eq!(r.status, 400);
        app.stop().await;
    }

    async fn ids_and_single_records(kind) {
        let app = TestApp::spawn(kind).await;
        let ids = seed(&app);
        let t = admin_session(&app).await;
        let (tomo, joe, admin2) = (ids["tomo@example.com"], ids["joe@example.com"], ids["jo.admin@example.com"]);
        let r = get(&app, &t, &format!("/api/v2/system/user?ids={joe},{tomo}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(emails(&r.body), set(&["tomo@example.com", "joe@example.com"]));
        // One missing (an admin is not a /system/user record): a batch error.
        let r = get(&app, &t, &format!("/api/v2/system/user?ids={tomo},{admin2},{joe}")).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["error"]["code"], 1000);
        assert_eq!(r.body["error"]["message"], "Batch Error: Not all requested records could be retrieved.");
        assert_eq!(r.body["error"]["context"]["error"], json!([1]));
        let resource = r.body["error"]["context"]["resource"].as_array().expect("resource");
        assert_eq!(resource.len(), 2, "stops at the first missing id");
        assert_eq!(resource[0]["id"], tomo);
        assert_eq!(resource[1], json!({"code": 404, "context": null,
            "message": format!("Record with identifier '{admin2}' not found."), "status_code": 404}));
        let r = get(&app, &t, &format!("/api/v2/system/user?ids={tomo},{admin2},{joe}&continue=true")).await;
        assert_eq!(r.body["error"]["context"]["resource"].as_array().map(Vec::len), Some(3));
        // By id: unwrapped; the other kind, a deleted user, junk: 404.
        let r = get(&app, &t, &format!("/api/v2/system/user/{tomo}?fields=id,email")).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"id": tomo, "email": "tomo@example.com"})));
        let r = get(&app, &t, &format!("/api/v2/system/admin/{admin2}")).await;
        assert_eq!(r.body["email"], "jo.admin@example.com");
        for path in [format!("/api/v2/system/user/{admin2}"), format!("/api/v2/system/admin/{tomo}"),
                     format!("/api/v2/system/user/{}", ids["deleted@example.com"]), "/api/v2/system/user/abc".to_owned()] {
            let r = get(&app, &t, &path).await;
            assert_eq!(r.status, 404, "{path}");
            let id = path.rsplit('/').next().expect("id");
            assert_eq!(r.body["error"]["message"], format!("Record with identifier '{id}' not found."));
        }
        app.stop().await;
    }

    async fn reads_need_an_admin(kind) {
        let app = TestApp::spawn(kind).await;
        let r = app.call(Method::GET, "/api/v2/system/user", None, None).await;
        assert_eq!(r.status, 400);
        assert!(r.body["error"]["message"].as_str().expect("message").starts_with("No session token (JWT) or API Key detected in request."));
        // HTTP Basic works for a request, and refuses wrong credentials.
        let res = app.req(Method::GET, "/api/v2/system/admin", None)
            .basic_auth(ADMIN_EMAIL, ADMIN_PASSWORD).send().await.expect("send");
        let r = Reply::read(res).await;
        assert_eq!(r.status, 200);
        assert_eq!(emails(&r.body), set(&[ADMIN_EMAIL]));
        let res = app.req(Method::GET, "/api/v2/system/admin", None)
            .basic_auth(ADMIN_EMAIL, "wrong password").send().await.expect("send");
        let r = Reply::read(res).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.body["error"]["message"], "Unauthorized. User credentials did not match.");
        // A non-admin's session: 403 with DreamFactory's words.
        let t = app.admin_token().await;
        app.create_user(&t, "plain@example.com", "0123456789").await;
        let r = app.call(Method::POST, "/api/v2/user/session", None,
            Some(json!({"email": "plain@example.com", "password": "0123456789"}))).await;
        let ut = r.body["session_token"].as_str().expect("token").to_owned();
        let r = get(&app, &ut, "/api/v2/system/user").await;
        assert_eq!(r.status, 403);
        assert_eq!(r.body["error"]["message"],
            "Access Forbidden. GET access to component 'user' of service 'system' is not allowed by this user's role.");
        let r = get(&app, &ut, "/api/v2/system/admin/1").await;
        assert_eq!(r.status, 403);
        // A user created through the email-keyed dialect is a DreamFactory /system/user record.
        let at = admin_session(&app).await;
        let r = get(&app, &at, &format!("/api/v2/system/user?filter={}", enc("email=plain@example.com"))).await;
        assert_eq!(r.body["resource"][0]["confirmed"], true);
        assert_eq!(r.body["resource"][0]["name"], "plain");
        app.stop().await;
    }
}

both_backends! {
    async fn long_lists_stream_whole_and_in_order(kind) {
        let app = TestApp::spawn(kind).await;
        let store = Store::open(app.db_url(), Some(1)).expect("store");
        let records: Vec<NewUserRecord> = (0..2500)
            .map(|i| {
                let e = Email::parse(&format!("bulk{i:04}@example.com")).expect("email");
                NewUserRecord {
                    email: e.as_str().into(),
                    email_normalized: e.normalized().into(),
                    name: format!("Bulk {i:04}"),
                    profile: Profile::default(),
                    role: Role::User,
                    status: Status::Active,
                    password_hash: None,
                    employee_number: None,
                    external_id: None,
                    login_name: None,
                    attributes: serde_json::Map::new(),
                    now: chrono::Utc::now().naive_utc(),
                    deleted_at: None,
                }
            })
            .collect();
        ports::write(&store, |repo| {
            for r in &records {
                repo.insert(r)?;
            }
            Ok(())
        })
        .expect("seed");
        let t = admin_session(&app).await;
        let ids = |body: &Value| -> Vec<i64> {
            body["resource"].as_array().expect("resource").iter()
                .map(|u| u["id"].as_i64().expect("id")).collect()
        };
        // The default limit (100000): every user, in id order, streamed in chunks.
        let r = get(&app, &t, "/api/v2/system/user?fields=id&include_count=true").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let all = ids(&r.body);
        assert_eq!(all.len(), 2500);
        assert!(all.windows(2).all(|w| w[0] < w[1]), "id order, no repeats");
        assert_eq!(r.body["meta"]["count"], 2500);
        // A window across chunk boundaries equals the same window read in small pages.
        let r = get(&app, &t, "/api/v2/system/user?fields=id&limit=1500&offset=700").await;
        let window = ids(&r.body);
        assert_eq!(window, all[700..2200].to_vec());
        assert!(r.body.get("meta").is_none());
        let r = get(&app, &t, "/api/v2/system/user?fields=id&limit=1000&offset=700").await;
        assert_eq!(ids(&r.body), all[700..1700].to_vec(), "one chunk, not streamed");
        // Filters and orders hold across chunks.
        let r = get(&app, &t, &format!("/api/v2/system/user?fields=email&order=name%20DESC&filter={}", enc("name like 'bulk 1%'"))).await;
        let emails: Vec<&str> = r.body["resource"].as_array().expect("list").iter()
            .map(|u| u["email"].as_str().expect("email")).collect();
        assert_eq!(emails.len(), 1000);
        assert_eq!(emails[0], "bulk1999@example.com");
        assert_eq!(emails[999], "bulk1000@example.com");
        app.stop().await;
    }
}
