//! `usergate import` and `usergate export` against real PostgreSQL and SQLite: round trips of
//! every format, saved DreamFactory and Domo listings, users logging in with the hashes their
//! old system stored (and re-hashed after), and the conflict modes.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use argon2::password_hash::{CustomizedPasswordHasher as _, PasswordHasher as _};
use base64::Engine as _;
use clap::Parser;
use serde_json::{Value, json};
use usergate_server::config::Command;
use usergate_server::{Cli, transfer};
use usergate_tests::transfer::{export, import, path_str, stored, user, write};
use usergate_tests::{ADMIN_EMAIL, TestApp, both_backends};

/// The status of an email-keyed listing with this token (401: dead, 403: alive, not an admin).
async fn status_with(app: &TestApp, token: String) -> u16 {
    app.call(Method::GET, "/api/users", Some(&token), None)
        .await
        .status
}

/// An export without the columns an import does not keep (`id`, `updated_at`,
/// `last_login_at`) and without the bootstrap admin (each server has its own), one line a user,
/// sorted.
fn comparable(csv: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().expect("headers").clone();
    let keep: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !["id", "updated_at", "last_login_at"].contains(h))
        .map(|(i, _)| i)
        .collect();
    let mut rows: Vec<String> = reader
        .records()
        .filter(|r| r.as_ref().map_or(true, |r| &r[1] != ADMIN_EMAIL))
        .map(|r| {
            let r = r.expect("row");
            keep.iter().map(|i| &r[*i]).collect::<Vec<_>>().join("|")
        })
        .collect();
    rows.sort();
    rows
}

/// Users with every field an import keeps, and one deleted user.
const RICH_CSV: &str = "\
email,name,first_name,last_name,title,phone,alternate_email,location,timezone,locale,avatar_url,role,status,employee_number,external_id,login_name,groups,attributes,password_hash,created_at,deleted_at
Ada.Lovelace@Example.com,\"Lovelace, Ada\",Ada,Lovelace,Analyst,+44 20 7946 0000,ada@home.example,London,Europe/London,en-GB,https://img.example/ada.png,editor,active,1815,00uAda,ada,\"[\"\"Analysts\"\",\"\"Everyone\"\"]\",\"{\"\"username\"\":\"\"ada\"\"}\",,2001-02-03T04:05:06.789012Z,
grace@example.com,Grace Hopper,Grace,Hopper,,,,,,,,admin,suspended,,,,\"[\"\"Everyone\"\"]\",,,2002-03-04 05:06:07,
linus@example.com,linus,,,,,,,,,,viewer,inactive,,,,,,,,
gone@example.com,Gone,,,,,,,,,,user,active,,,,,,,2003-01-01T00:00:00Z,2004-01-01T00:00:00Z
";

const PASSWORD: &str = "correct horse battery staple";

both_backends! {
    async fn csv_and_jsonl_round_trip_through_export_and_import(kind) {
        let dir = tempfile::tempdir().expect("dir");
        let a = TestApp::spawn(kind).await;
        let src = write(dir.path(), "rich.csv", RICH_CSV);
        let done = import(a.db_url(), &[path_str(&src)]).expect("import");
        assert_eq!((done.tally.created, done.tally.rejected), (4, 0));
        // The groups were made, with their members; the identities came along.
        let sk = a.scim_key(ADMIN_EMAIL);
        let r = a.call(Method::GET, "/scim/v2/Groups?filter=displayName%20eq%20%22everyone%22", Some(&sk), None).await;
        assert_eq!(r.body["Resources"][0]["members"].as_array().map(Vec::len), Some(2), "{}", r.body);
        let r = a.call(Method::GET, "/scim/v2/Users?filter=userName%20eq%20%22ADA%22", Some(&sk), None).await;
        let ada = &r.body["Resources"][0];
        assert_eq!((&ada["externalId"], &ada["emails"][0]["value"]), (&json!("00uAda"), &json!("Ada.Lovelace@Example.com")), "{}", r.body);
        // A user with a password of ours, made through a dialect.
        let admin = a.admin_token().await;
        a.create_user(&admin, "made.here@example.com", PASSWORD).await;
        let first = export(a.db_url(), dir.path(), "a.csv", &["--include-deleted", "--include-password-hashes"]);
        assert!(first.contains("gone@example.com"), "{first}");
        assert!(first.contains("$argon2id$"), "hashes with --include-password-hashes: {first}");
        for format in ["csv", "jsonl"] {
            let file = export(a.db_url(), dir.path(), &format!("a.{format}"),
                &["--include-deleted", "--include-password-hashes"]);
            let b = TestApp::spawn(kind).await;
            let out = dir.path().join(format!("a.{format}"));
            // Every server has its bootstrap admin: that one is kept.
            let done = import(b.db_url(), &["--on-conflict", "skip", path_str(&out)]).expect("import");
            assert_eq!((done.tally.skipped, done.tally.rejected), (1, 0), "{file}");
            let again = export(b.db_url(), dir.path(), "b.csv", &["--include-deleted", "--include-password-hashes"]);
            assert_eq!(comparable(&again), comparable(&first), "{format}");
            // The password came along, and the deleted user stayed deleted.
            b.token("made.here@example.com", PASSWORD).await;
            assert_eq!(b.login("gone@example.com", "x").await.status, 401);
            b.stop().await;
        }
        // Without --include-password-hashes no hash leaves, and the file is its owner's only.
        let plain = export(a.db_url(), dir.path(), "plain.csv", &[]);
        assert!(!plain.contains("$argon2id$") && !plain.contains("gone@example.com"), "{plain}");
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("a.csv")).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mut argv = vec!["usergate", "export", "--database-url", a.db_url(), "--include-password-hashes"];
        argv.push("--format=csv");
        let Ok(Command::Export(args)) = Cli::try_parse_from(argv).map(|c| c.command) else {
            panic!("flags");
        };
        assert!(transfer::export(&args).is_err(), "hashes never go to standard output");
    }

    async fn identities_another_user_has_are_rejected_by_name(kind) {
        let dir = tempfile::tempdir().expect("dir");
        let app = TestApp::spawn(kind).await;
        let src = write(dir.path(), "rich.csv", RICH_CSV);
        import(app.db_url(), &[path_str(&src)]).expect("import");
        // Ada has the login name `ada` and the external id `00uAda`.
        let file = write(dir.path(), "clash.csv", "\
email,login_name,external_id
new.ada@example.com,ADA,
new.x@example.com,,00uAda
linus@example.com,ada,
");
        let f = path_str(&file);
        let login = "2,1,new.ada@example.com,login_name,a user with this login name already exists";
        let external = "3,2,new.x@example.com,external_id,a user with this external id already exists";
        for (mode, rejected, skipped, last) in [
            ("fail", 3, 0, "4,3,linus@example.com,email,a user with this email already exists"),
            ("skip", 2, 1, ""),
            ("update", 3, 0, "4,3,linus@example.com,login_name,a user with this login name already exists"),
        ] {
            let done = import(app.db_url(), &["--on-conflict", mode, f]).expect(mode);
            assert_eq!((done.tally.created, done.tally.skipped, done.tally.rejected, done.tally.updated), (0, skipped, rejected, 0), "{mode}");
            let report = std::fs::read_to_string(&done.report).expect("report");
            for line in [login, external, last].into_iter().filter(|l| !l.is_empty()) {
                assert!(report.contains(line), "{mode}: {line}\n{report}");
            }
        }
        app.stop().await;
    }

    async fn saved_dreamfactory_and_domo_listings_import_as_they_are(kind) {
        let dir = tempfile::tempdir().expect("dir");
        let a = TestApp::spawn(kind).await;
        let src = write(dir.path(), "rich.csv", RICH_CSV);
        import(a.db_url(), &[path_str(&src)]).expect("import");
        let session = a.df_admin_session().await;
        let users = a.df_call(&session, Method::GET, "/api/v2/system/user", None).await;
        assert_eq!(users.status, 200, "{}", users.body);
        let admins = a.df_call(&session, Method::GET, "/api/v2/system/admin", None).await;
        let (id, secret) = a.domo_client(ADMIN_EMAIL, &["user"]);
        let token = a.domo_token(&id, &secret).await;
        let domo = a.domo_call(&token, Method::GET, "/domo/v1/users?limit=500", None).await;
        assert_eq!(domo.status, 200, "{}", domo.body);
        let pretty = |v: &Value| serde_json::to_string_pretty(v).expect("json");
        let df_users = write(dir.path(), "df-users.json", &pretty(&users.body));
        let df_admins = write(dir.path(), "df-admins.json", &pretty(&admins.body));
        let domo_users = write(dir.path(), "domo-users.json", &domo.body.to_string());
        // Hashes taken from DreamFactory's own table (bcrypt), for one user.
        let bcrypt = bcrypt::hash(PASSWORD, 4).expect("bcrypt");
        let hashes = write(dir.path(), "hashes.csv", &format!("email,password\nADA.lovelace@example.com,{bcrypt}\n"));

        let b = TestApp::spawn(kind).await;
        let done = import(b.db_url(), &["--format", "dreamfactory", path_str(&df_users),
            "--hashes", path_str(&hashes)]).expect("users");
        // DreamFactory's users listing holds everyone but the admins.
        let non_admins = users.body["resource"].as_array().expect("resource").len() as u64;
        assert_eq!((done.tally.records, done.tally.rejected), (non_admins, 0));
        let done = import(b.db_url(), &["--format", "dreamfactory", "--role", "admin",
            "--on-conflict", "skip", path_str(&df_admins)]).expect("admins");
        assert_eq!(done.tally.rejected, 0);
        assert_eq!(done.tally.skipped, 1, "the bootstrap admin is there already");
        let b_session = b.df_admin_session().await;
        for (path, listing) in [("/api/v2/system/user", &users.body), ("/api/v2/system/admin", &admins.body)] {
            let now = b.df_call(&b_session, Method::GET, path, None).await;
            let fields = |v: &Value| -> Vec<Value> {
                let mut out: Vec<Value> = v["resource"].as_array().expect("resource").iter().map(|r| json!([
                    r["email"], r["name"], r["first_name"], r["last_name"], r["phone"], r["is_active"], r["created_date"],
                ])).collect();
                // Each server has its own bootstrap admin.
                out.retain(|v| v[0] != ADMIN_EMAIL);
                out.sort_by_key(|v| v[0].to_string());
                out
            };
            assert_eq!(fields(&now.body), fields(listing), "{path}");
        }
        // The hash from the old database logs in; the others have no password yet.
        assert!(stored(b.db_url(), "ada.lovelace@example.com").0.is_some());
        let r = b.call(Method::POST, "/api/v2/user/session", None,
            Some(json!({"email": "ada.lovelace@example.com", "password": PASSWORD}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(stored(b.db_url(), "grace@example.com").0, None);

        let c = TestApp::spawn(kind).await;
        let done = import(c.db_url(), &["--format", "domo", "--on-conflict", "skip", path_str(&domo_users)]).expect("domo");
        assert_eq!(done.tally.rejected, 0);
        let (id, secret) = c.domo_client(ADMIN_EMAIL, &["user"]);
        let token = c.domo_token(&id, &secret).await;
        let now = c.domo_call(&token, Method::GET, "/domo/v1/users?limit=500", None).await;
        let fields = |v: &Value| -> Vec<Value> {
            let mut out: Vec<Value> = v.as_array().expect("array").iter().map(|u| json!([
                u["email"], u["name"], u["role"], u["roleId"], u["title"], u["phone"], u["location"],
                u["timezone"], u["locale"], u["alternateEmail"], u["employeeNumber"], u["createdAt"],
            ])).collect();
            out.retain(|v| v[0] != ADMIN_EMAIL);
            out.sort_by_key(|v| v[0].to_string());
            out
        };
        assert_eq!(fields(&now.body), fields(&domo.body));
    }

    async fn every_hash_kind_logs_in_through_every_password_dialect_and_is_rehashed(kind) {
        let dir = tempfile::tempdir().expect("dir");
        let app = TestApp::spawn(kind).await;
        let kinds = foreign_hashes(PASSWORD);
        let ways = ["email-keyed", "df-user-session", "df-basic", "df-admin-session"];
        let mut csv = String::from("email,role,password_hash\n");
        for (name, hash) in &kinds {
            for way in ways {
                let role = if way == "df-admin-session" { "admin" } else { "user" };
                // PHC strings hold commas: quoted, as any CSV writer does.
                csv.push_str(&format!("{name}.{way}@example.com,{role},\"{hash}\"\n"));
            }
            csv.push_str(&format!("{name}.wrong@example.com,user,\"{hash}\"\n"));
        }
        let file = write(dir.path(), "hashes.csv", &csv);
        let done = import(app.db_url(), &[path_str(&file)]).expect("import");
        assert_eq!(
            (done.tally.created, done.tally.rejected),
            (kinds.len() as u64 * 5, 0),
            "{}",
            std::fs::read_to_string(&done.report).unwrap_or_default()
        );
        for (name, hash) in &kinds {
            let wrong = format!("{name}.wrong@example.com");
            assert_eq!(app.login(&wrong, "correct horse battery stapler").await.status, 401, "{name}");
            assert_eq!(stored(app.db_url(), &wrong).0.as_deref(), Some(hash.as_str()), "a failed login changes nothing");
            for way in ways {
                let email = format!("{name}.{way}@example.com");
                assert_eq!(stored(app.db_url(), &email), (Some(hash.clone()), 1));
                for attempt in ["first", "again"] {
                    let ok = login(&app, way, &email, PASSWORD).await;
                    assert!(ok, "{name} through {way} ({attempt})");
                    let (now, version) = stored(app.db_url(), &email);
                    let now = now.expect("hash");
                    assert!(now.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{name}: {now}");
                    assert_eq!(version, 1, "a re-hash is no password change: {name} through {way}");
                }
                assert!(!login(&app, way, &email, "correct horse battery stapler").await);
            }
        }
    }

    async fn each_conflict_mode_does_what_it_says(kind) {
        let dir = tempfile::tempdir().expect("dir");
        let app = TestApp::spawn(kind).await;
        let admin = app.admin_token().await;
        app.create_user(&admin, "kept@example.com", PASSWORD).await;
        let token = app.token("kept@example.com", PASSWORD).await;
        let alive = |t: String| status_with(&app, t);
        let not_admin = alive(token.clone()).await;
        let bcrypt = bcrypt::hash("another password 123", 4).expect("bcrypt");
        let file = write(dir.path(), "c.csv", &format!("\
email,name,title,role,status,password_hash
KEPT@example.com,Kept Changed,Boss,user,active,{bcrypt}
fresh@example.com,Fresh,,user,active,
fresh@example.com,Fresh Twice,,user,active,
{ADMIN_EMAIL},Demoted,,viewer,active,
"));
        let f = path_str(&file);
        // fail: the existing users and the file's second "fresh" are rejected, the rest goes in.
        let done = import(app.db_url(), &["--on-conflict", "fail", f]).expect("fail");
        assert_eq!((done.tally.created, done.tally.rejected), (1, 3));
        let report = std::fs::read_to_string(&done.report).expect("report");
        assert_eq!(report.lines().count(), 4, "{report}");
        assert!(report.contains("2,1,KEPT@example.com,email,a user with this email already exists"), "{report}");
        assert!(report.contains("4,3,fresh@example.com,email,"), "{report}");
        assert_eq!(alive(token.clone()).await, not_admin, "a rejected record changes nothing");

        // skip: nothing changes.
        let b = TestApp::spawn(kind).await;
        let b_admin = b.admin_token().await;
        b.create_user(&b_admin, "kept@example.com", PASSWORD).await;
        let done = import(b.db_url(), &["--on-conflict", "skip", f]).expect("skip");
        assert_eq!((done.tally.created, done.tally.skipped, done.tally.rejected), (1, 3, 0));
        b.token("kept@example.com", PASSWORD).await;

        // update: the existing user takes the record's values and new hash (its tokens die);
        // the only admin cannot be demoted (rejected, with the rule's reason).
        let done = import(app.db_url(), &["--on-conflict", "update", f]).expect("update");
        assert_eq!((done.tally.updated, done.tally.rejected), (3, 1), "{:?}", done.tally);
        let report = std::fs::read_to_string(&done.report).expect("report");
        assert!(report.contains("5,4,admin@usergate.test,email,the change would leave no active admin"), "{report}");
        // The server hears of the import's changes within a poll of its watcher (10 ms).
        let started = Instant::now();
        while alive(token.clone()).await != 401 {
            assert!(started.elapsed() < Duration::from_secs(5), "a new password hash kills the user's tokens");
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(app.login("kept@example.com", PASSWORD).await.status, 401);
        let t = app.token("kept@example.com", "another password 123").await;
        let kept = user(app.db_url(), "kept@example.com");
        assert_eq!((kept.name.as_str(), kept.profile.title.as_deref()), ("Kept Changed", Some("Boss")));
        assert_eq!(user(app.db_url(), "fresh@example.com").name, "Fresh Twice");
        assert_eq!(stored(app.db_url(), "fresh@example.com").1, 1, "a name is no credential");
        // Updating again with the same hash is no password change.
        let again = write(dir.path(), "same.csv", &format!("email,name,title,role,status,password_hash\nkept@example.com,Kept Changed,Boss,user,active,{}\n",
            stored(app.db_url(), "kept@example.com").0.expect("hash")));
        import(app.db_url(), &["--on-conflict", "update", path_str(&again)]).expect("same");
        assert_eq!(alive(t).await, 403, "the same hash again kills nothing (not an admin: 403)");
    }
}

/// Logs in through one of the password-login paths; whether it worked.
async fn login(app: &TestApp, way: &str, email: &str, password: &str) -> bool {
    let body = Some(json!({"email": email, "password": password}));
    let r = match way {
        "email-keyed" => app.login(email, password).await,
        "df-user-session" => {
            app.call(Method::POST, "/api/v2/user/session", None, body)
                .await
        }
        "df-admin-session" => {
            app.call(Method::POST, "/api/v2/system/admin/session", None, body)
                .await
        }
        "df-basic" => {
            // HTTP Basic logs in for one request: a user who is not an admin is then refused
            // the admin listing (403), where wrong credentials are 401.
            let basic =
                base64::engine::general_purpose::STANDARD.encode(format!("{email}:{password}"));
            let r = app
                .call_with(
                    ("Authorization", format!("Basic {basic}")),
                    Method::GET,
                    "/api/v2/system/user",
                    None,
                )
                .await;
            return r.status == 200 || r.status == 403;
        }
        other => panic!("no way {other}"),
    };
    r.status == 200
}

/// A hash of `password` in each foreign format, as its usual producer writes it.
fn foreign_hashes(password: &str) -> Vec<(&'static str, String)> {
    let pw = password.as_bytes();
    let salt = b"usergate-import-salt";
    let bcrypt = bcrypt::hash(pw, 5).expect("bcrypt");
    let with_prefix = |p: &str| format!("{p}{}", &bcrypt[4..]);
    let argon2 = |algorithm| {
        argon2::Argon2::new(
            algorithm,
            argon2::Version::V0x13,
            argon2::Params::new(4096, 3, 1, None).expect("params"),
        )
        .hash_password_with_salt(pw, salt)
        .expect("argon2")
        .to_string()
    };
    let pbkdf2 = pbkdf2::Pbkdf2::default()
        .hash_password_customized(
            pw,
            salt,
            None,
            None,
            pbkdf2::Params::new_with_output_len(10_000, 32).expect("p"),
        )
        .expect("pbkdf2")
        .to_string();
    let scrypt = scrypt::Scrypt::default()
        .hash_password_customized(
            pw,
            salt,
            None,
            None,
            scrypt::Params::new(12, 8, 1).expect("p"),
        )
        .expect("scrypt")
        .to_string();
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<pbkdf2::sha2::Sha256>(pw, b"DjangoSalt1234", 20_000, &mut key);
    let django = format!(
        "pbkdf2_sha256$20000$DjangoSalt1234${}",
        base64::engine::general_purpose::STANDARD.encode(key)
    );
    vec![
        ("bcrypt2a", with_prefix("$2a$")),
        ("bcrypt2b", with_prefix("$2b$")),
        ("bcrypt2y", with_prefix("$2y$")),
        ("argon2id", argon2(argon2::Algorithm::Argon2id)),
        ("argon2i", argon2(argon2::Algorithm::Argon2i)),
        ("pbkdf2", pbkdf2),
        ("django", django),
        ("scrypt", scrypt),
    ]
}
