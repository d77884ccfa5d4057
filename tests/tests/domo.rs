//! The Domo dialect over HTTP, on PostgreSQL and SQLite: the token endpoint in every form
//! Domo's SDKs use, the Users API row by row, its errors, and what the other dialects see.

use std::time::Duration;

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::smtp::{Mode, SmtpSink};
use usergate_tests::{ADMIN_EMAIL, JWT_SECRET, Reply, TestApp, both_backends, call_at, request_to};

const USERS: &str = "/domo/v1/users";

async fn token_req(
    app: &TestApp,
    method: Method,
    path: &str,
    basic: Option<(&str, &str)>,
    form: Option<&str>,
) -> Reply {
    let mut req = app.req(method, path, None);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, secret);
    }
    let res = match form {
        Some(f) => {
            req.insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .send_body(f.to_owned())
                .await
        }
        None => req.send().await,
    };
    Reply::read(res.expect("token request")).await
}

/// An admin's client with the `user` scope, and a token for it.
async fn admin_token(app: &TestApp) -> String {
    let (id, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
    app.domo_token(&id, &secret).await
}

async fn domo(app: &TestApp, t: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
    app.domo_call(t, method, path, body).await
}

fn id_of(r: &Reply) -> i64 {
    r.body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {}", r.body))
}

/// Domo's error body, with the path as requested and the request id.
fn assert_error(r: &Reply, status: u16, message: &str, path: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let reason = awc::http::StatusCode::from_u16(status)
        .expect("status")
        .canonical_reason()
        .expect("reason");
    assert_eq!(
        r.body,
        json!({"status": status, "statusReason": reason, "message": message, "path": path,
               "toe": r.header("x-request-id").expect("request id")}),
    );
}

both_backends! {
    async fn the_token_endpoint_takes_every_form_domo_clients_send(kind) {
        let app = TestApp::spawn(kind).await;
        let (id, secret) = app.domo_client(ADMIN_EMAIL, &["data", "user"]);
        let basic = Some((id.as_str(), secret.as_str()));
        // Domo's docs, rdomo, Node and Rust SDKs: GET with the query string.
        let r = token_req(&app, Method::GET, "/domo/oauth/token?grant_type=client_credentials&scope=user", basic, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let keys: Vec<&str> = r.body.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, ["access_token", "token_type", "expires_in", "scope", "role", "userId", "customer", "jti"]);
        assert_eq!((&r.body["token_type"], &r.body["expires_in"], &r.body["scope"], &r.body["role"], &r.body["userId"], &r.body["customer"]),
            (&json!("bearer"), &json!(3600), &json!("user"), &json!("Admin"), &json!(1), &json!("usergate")));
        // A JWT whose numeric `exp` ends 30 s before the server stops accepting it.
        let token = r.body["access_token"].as_str().expect("token");
        let tokens = usergate_web::TokenService::new(JWT_SECRET.as_bytes()).expect("tokens");
        let claims = tokens.verify_refreshable("usergate:domo", token, Duration::from_secs(30)).expect("ours").claims;
        assert_eq!(claims.exp, claims.iat + 3570);
        assert_eq!(claims.jti, r.body["jti"].as_str().expect("jti"));
        // pydomo >= 0.3.0.12 and the Java SDK: a form body; without scope, every scope of the client.
        let r = token_req(&app, Method::POST, "/domo/oauth/token", basic, Some("grant_type=client_credentials")).await;
        assert_eq!((r.status, r.body["scope"].clone()), (200, json!("data user")));
        // `+` is a space; the body wins over the query string.
        let r = token_req(&app, Method::POST, "/domo/oauth/token?grant_type=password", basic, Some("grant_type=client_credentials&scope=data+user")).await;
        assert_eq!((r.status, r.body["scope"].clone()), (200, json!("data user")));
        // pydomo <= 0.3.0.10: POST with the query string and no body.
        let r = token_req(&app, Method::POST, "/domo/oauth/token?grant_type=client_credentials&scope=data", basic, None).await;
        assert_eq!((r.status, r.body["scope"].clone()), (200, json!("data")));
        // OAuth errors.
        let r = token_req(&app, Method::GET, "/domo/oauth/token?grant_type=client_credentials&scope=audit", basic, None).await;
        assert_eq!((r.status, r.body["error"].clone()), (400, json!("invalid_scope")));
        let r = token_req(&app, Method::GET, "/domo/oauth/token", basic, None).await;
        assert_eq!((r.status, r.body["error"].clone()), (400, json!("invalid_request")));
        let r = token_req(&app, Method::GET, "/domo/oauth/token?grant_type=password", basic, None).await;
        assert_eq!((r.status, r.body["error"].clone()), (400, json!("unsupported_grant_type")));
        for creds in [Some((id.as_str(), "wrong secret")), Some(("no-such-client", secret.as_str())), None] {
            let r = token_req(&app, Method::GET, "/domo/oauth/token?grant_type=client_credentials", creds, None).await;
            assert_eq!(r.status, 401, "{creds:?}");
            assert_eq!(r.body, json!({"error": "unauthorized", "error_description": "Bad credentials"}));
        }
        app.stop().await;
    }

    async fn users_api_credentials_are_checked_on_every_request(kind) {
        let app = TestApp::spawn(kind).await;
        let et = app.admin_token().await;
        app.create_admin(&et, "robot@example.com", "robot password 1").await;
        let (id, secret) = app.domo_client("robot@example.com", &["user"]);
        let t = app.domo_token(&id, &secret).await;
        assert_eq!(domo(&app, &t, Method::GET, USERS, None).await.status, 200);
        // The scheme in any case (the Java SDK sends `Bearer`).
        let r = app.call(Method::GET, USERS, Some(&t), None).await;
        assert_eq!(r.status, 200);
        // No token, a bad one, one of another dialect: 401 with Domo's body, never 403.
        let r = app.call(Method::GET, USERS, None, None).await;
        assert_error(&r, 401, "Full authentication is required to access this resource", USERS);
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        let r = domo(&app, "not-a-jwt", Method::GET, "/domo/v1/users/", None).await;
        assert_error(&r, 401, "The access token is invalid", "/domo/v1/users/");
        assert_eq!(domo(&app, &et, Method::GET, USERS, None).await.status, 401, "an email-keyed token");
        // A client without the user scope: 403.
        let (data_id, data_secret) = app.domo_client("robot@example.com", &["data"]);
        let dt = app.domo_token(&data_id, &data_secret).await;
        let r = domo(&app, &dt, Method::GET, USERS, None).await;
        assert_error(&r, 403, "Forbidden: the access token is missing the user scope", USERS);
        // A non-admin owner: 403.
        app.create_user(&et, "plain@example.com", "plain password 1").await;
        let (pid, psecret) = app.domo_client("plain@example.com", &["user"]);
        let pt = app.domo_token(&pid, &psecret).await;
        let r = domo(&app, &pt, Method::GET, USERS, None).await;
        assert_error(&r, 403, "Only admins can manage users", USERS);
        // The owner deactivated: the token dies at once, and no new one is issued.
        let r = app.call(Method::PUT, "/api/users/robot@example.com", Some(&et), Some(json!({"status": "Inactive"}))).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(domo(&app, &t, Method::GET, USERS, None).await.status, 401);
        let r = token_req(&app, Method::GET, "/domo/oauth/token?grant_type=client_credentials", Some((&id, &secret)), None).await;
        assert_eq!(r.status, 401);
        // A revoked client: the same.
        let (rid, rsecret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let rt = app.domo_token(&rid, &rsecret).await;
        assert_eq!(domo(&app, &rt, Method::GET, USERS, None).await.status, 200);
        let core = usergate_server::commands::operator_core_at(app.db_url(), usergate_core::PasswordPolicy::default()).expect("core");
        core.users.revoke_credential(&usergate_core::Actor::system(usergate_core::Channel::Cli), &rid).expect("revoke");
        // The CLI is another process: the server's cache of checked credentials hears of the
        // revocation from its database watcher, within one 10 ms poll (credential_cache.rs).
        let since = std::time::Instant::now();
        while domo(&app, &rt, Method::GET, USERS, None).await.status != 401 {
            assert!(since.elapsed() < std::time::Duration::from_secs(5), "still accepted 5 s after the revocation");
            actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        app.stop().await;
    }

    async fn create_get_and_the_user_json(kind) {
        let app = TestApp::spawn(kind).await;
        let t = admin_token(&app).await;
        // The API reference's example; `employeeNumber` as a number.
        let r = domo(&app, &t, Method::POST, "/domo/v1/users?sendInvite=false", Some(json!({
            "name": "Leonhard Euler", "email": "leonhard.euler@domo.com", "role": "Privileged",
            "title": "Software Engineer", "phone": "888-555-0123", "employeeNumber": 23432,
            "alternateEmail": "le@example.com", "location": "Basel", "timezone": "Europe/Zurich",
            "locale": "de-CH", "groups": [{"id": 1, "name": "Default"}]
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let euler = id_of(&r);
        let keys: Vec<&str> = r.body.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "name", "email", "role", "roleId", "title", "alternateEmail", "phone",
            "location", "timezone", "locale", "employeeNumber", "createdAt", "updatedAt", "groups"]);
        assert_eq!((&r.body["role"], &r.body["roleId"], &r.body["employeeNumber"]), (&json!("Privileged"), &json!(2), &json!(23432)));
        assert_eq!(r.body["groups"], json!([]), "groups sent on create are ignored");
        let created = r.body["createdAt"].as_str().expect("createdAt");
        assert!(chrono::NaiveDateTime::parse_from_str(created, "%Y-%m-%dT%H:%M:%SZ").is_ok(), "{created}");
        let got = domo(&app, &t, Method::GET, &format!("{USERS}/{euler}"), None).await;
        assert_eq!((got.status, &got.body), (200, &r.body));
        // Python's `False`, a trailing slash, `employeeNumber` as a string, optionals omitted.
        let r = domo(&app, &t, Method::POST, "/domo/v1/users/?sendInvite=False", Some(json!({
            "name": "Ada", "email": "ada@example.com", "role": "Social", "employeeNumber": "77"
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!((&r.body["employeeNumber"], &r.body["roleId"]), (&json!(77), &json!(5)));
        assert!(r.body.get("title").is_none() && r.body.get("phone").is_none(), "omitted, not null");
        // The role table, by name and by roleId.
        for (role, role_id) in [("Admin", 1), ("Editor", 3), ("Participant", 4)] {
            let r = domo(&app, &t, Method::POST, USERS, Some(json!({"name": role, "email": format!("{role}@example.com"), "role": role}))).await;
            assert_eq!((r.status, r.body["roleId"].clone()), (201, json!(role_id)));
        }
        let r = domo(&app, &t, Method::POST, USERS, Some(json!({"name": "By id", "email": "byid@example.com", "roleId": 3}))).await;
        assert_eq!((r.status, r.body["role"].clone()), (201, json!("Editor")));
        // Bad input: 400 in Domo's body; nothing is created.
        let bad = [
            (json!({"email": "x@example.com", "role": "Admin"}), "name is required"),
            (json!({"name": "X", "role": "Admin"}), "email is required"),
            (json!({"name": "X", "email": "x@example.com"}), "role is required"),
            (json!({"name": "X", "email": "x@example.com", "role": "admin"}), "role must be one of Admin, Privileged, Editor, Participant, Social"),
            (json!({"name": "X", "email": "not an address", "role": "Admin"}), "email is not a valid email address"),
            (json!({"name": "X", "email": "x@example.com", "role": "Admin", "employeeNumber": "12a"}), "employeeNumber has the wrong type or format"),
            (json!({"name": "X", "email": "x@example.com", "role": "Admin", "title": 5}), "title has the wrong type or format"),
            (json!(["not", "an", "object"]), "The body must be a JSON object"),
        ];
        for (body, message) in bad {
            let r = domo(&app, &t, Method::POST, USERS, Some(body)).await;
            assert_error(&r, 400, message, USERS);
        }
        let r = domo(&app, &t, Method::POST, "/domo/v1/users?sendInvite=maybe", Some(json!({"name": "X", "email": "x@example.com", "role": "Admin"}))).await;
        assert_error(&r, 400, "sendInvite must be true or false", USERS);
        // A taken email (any case): 409.
        let r = domo(&app, &t, Method::POST, USERS, Some(json!({"name": "Again", "email": "ADA@example.com", "role": "Admin"}))).await;
        assert_error(&r, 409, "A user with this email already exists", USERS);
        // Invitations without mail: 503, nothing created.
        let r = domo(&app, &t, Method::POST, "/domo/v1/users?sendInvite=True", Some(json!({"name": "X", "email": "x@example.com", "role": "Admin"}))).await;
        assert_eq!(r.status, 503);
        let list = domo(&app, &t, Method::GET, "/domo/v1/users?limit=500", None).await;
        assert!(!list.body.as_array().expect("array").iter().any(|u| u["email"] == "x@example.com"));
        // Unknown and malformed ids.
        let r = domo(&app, &t, Method::GET, "/domo/v1/users/987654321", None).await;
        assert_error(&r, 404, "User not found", "/domo/v1/users/987654321");
        assert_eq!(domo(&app, &t, Method::GET, "/domo/v1/users/abc", None).await.status, 404);
        app.stop().await;
    }

    async fn lists_page_by_id_up_to_500(kind) {
        let app = TestApp::spawn(kind).await;
        let t = admin_token(&app).await;
        let mut ids = vec![1];
        for i in 0..55 {
            let r = domo(&app, &t, Method::POST, USERS, Some(json!({"name": format!("U{i}"), "email": format!("u{i}@example.com"), "role": "Participant"}))).await;
            ids.push(id_of(&r));
        }
        let listed = |r: &Reply| -> Vec<i64> { r.body.as_array().expect("a bare array").iter().map(|u| u["id"].as_i64().expect("id")).collect() };
        let r = domo(&app, &t, Method::GET, USERS, None).await;
        assert_eq!(listed(&r), ids[..50], "default 50, in id order");
        let r = domo(&app, &t, Method::GET, "/domo/v1/users/?limit=500&offset=50", None).await;
        assert_eq!(listed(&r), ids[50..]);
        let r = domo(&app, &t, Method::GET, "/domo/v1/users?limit=10&offset=56", None).await;
        assert_eq!((r.status, r.body.clone()), (200, json!([])), "past the end");
        // Deleted users are not listed.
        assert_eq!(domo(&app, &t, Method::DELETE, &format!("{USERS}/{}", ids[1]), None).await.status, 204);
        let r = domo(&app, &t, Method::GET, "/domo/v1/users?limit=3", None).await;
        assert_eq!(listed(&r), [ids[0], ids[2], ids[3]]);
        for (query, message) in [
            ("limit=501", "limit must be between 1 and 500"),
            ("limit=0", "limit must be between 1 and 500"),
            ("offset=-1", "offset must be between 0 and 9223372036854775807"),
            ("limit=ten", "limit must be a whole number"),
        ] {
            let r = domo(&app, &t, Method::GET, &format!("{USERS}?{query}"), None).await;
            assert_error(&r, 400, message, USERS);
        }
        app.stop().await;
    }

    async fn updates_merge_and_deletes_leave_the_deleted_shape(kind) {
        let app = TestApp::spawn(kind).await;
        let t = admin_token(&app).await;
        let r = domo(&app, &t, Method::POST, USERS, Some(json!({"name": "Grace", "email": "grace@example.com", "role": "Editor", "title": "Rear Admiral", "phone": "1"}))).await;
        let grace = id_of(&r);
        let path = format!("{USERS}/{grace}");
        // Partial; `id` in the body ignored; `null` clears an optional field; exactly 200.
        let r = domo(&app, &t, Method::PUT, &path, Some(json!({"id": 999, "title": "Admiral", "phone": null, "employeeNumber": 7}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((&r.body["id"], &r.body["name"], &r.body["title"], &r.body["employeeNumber"]), (&json!(grace), &json!("Grace"), &json!("Admiral"), &json!(7)));
        assert!(r.body.get("phone").is_none());
        // Writing back what was read changes nothing.
        let read = domo(&app, &t, Method::GET, &path, None).await;
        let r = domo(&app, &t, Method::PUT, &format!("{path}/"), Some(read.body.clone())).await;
        assert_eq!((r.status, &r.body), (200, &read.body));
        // Role changes are exact, both ways.
        let r = domo(&app, &t, Method::PUT, &path, Some(json!({"role": "Social"}))).await;
        assert_eq!(r.body["roleId"], 5);
        // Required fields cannot be cleared; a taken email conflicts.
        let r = domo(&app, &t, Method::PUT, &path, Some(json!({"name": null})));
        assert_error(&r.await, 400, "name is required", &path);
        let r = domo(&app, &t, Method::PUT, &path, Some(json!({"email": ADMIN_EMAIL}))).await;
        assert_error(&r, 409, "A user with this email already exists", &path);
        // The last admin cannot demote themselves; no one deletes their own account.
        let r = domo(&app, &t, Method::PUT, &format!("{USERS}/1"), Some(json!({"role": "Participant"}))).await;
        assert_eq!(r.status, 409);
        let r = domo(&app, &t, Method::DELETE, &format!("{USERS}/1"), None).await;
        assert_error(&r, 403, "You cannot delete your own account", &format!("{USERS}/1"));
        // Delete: exactly 204 and no body; then the deleted shape; then 404 for PUT and DELETE.
        let r = domo(&app, &t, Method::DELETE, &path, None).await;
        assert_eq!((r.status, r.body.clone()), (204, Value::Null));
        let r = domo(&app, &t, Method::GET, &path, None).await;
        assert_eq!((r.status, r.body.clone()), (200, json!({"id": grace, "name": "Grace", "deleted": true})));
        assert_eq!(domo(&app, &t, Method::DELETE, &path, None).await.status, 404);
        assert_eq!(domo(&app, &t, Method::PUT, &path, Some(json!({"title": "x"}))).await.status, 404);
        assert_eq!(domo(&app, &t, Method::PUT, &format!("{USERS}/424242"), Some(json!({"title": "x"}))).await.status, 404);
        // The address is free again.
        let r = domo(&app, &t, Method::POST, USERS, Some(json!({"name": "Grace II", "email": "grace@example.com", "role": "Editor"}))).await;
        assert_eq!(r.status, 201);
        app.stop().await;
    }

    async fn other_dialects_see_domo_users_and_the_reverse(kind) {
        let app = TestApp::spawn(kind).await;
        let t = admin_token(&app).await;
        let et = app.admin_token().await;
        // Email-keyed -> Domo: User is Participant, Admin is Admin.
        app.create_user(&et, "ek-user@example.com", "ek password 001").await;
        app.create_admin(&et, "ek-admin@example.com", "ek password 002").await;
        let list = domo(&app, &t, Method::GET, USERS, None).await;
        let find = |email: &str| list.body.as_array().expect("array").iter().find(|u| u["email"] == email).cloned().expect("listed");
        assert_eq!((find("ek-user@example.com")["role"].clone(), find("ek-user@example.com")["roleId"].clone()), (json!("Participant"), json!(4)));
        assert_eq!(find("ek-admin@example.com")["role"], "Admin");
        // Domo -> email-keyed and DreamFactory: Editor is a User / a /system/user record; Admin an Admin.
        let r = domo(&app, &t, Method::POST, USERS, Some(json!({"name": "Ed Itor", "email": "editor@example.com", "role": "Editor"}))).await;
        let editor = id_of(&r);
        domo(&app, &t, Method::POST, USERS, Some(json!({"name": "Ad Min", "email": "dadmin@example.com", "role": "Admin"}))).await;
        let r = app.call(Method::GET, "/api/users/editor@example.com", Some(&et), None).await;
        assert_eq!((r.status, r.body["type"].clone()), (200, json!("User")));
        let r = app.call(Method::GET, "/api/users/dadmin@example.com", Some(&et), None).await;
        assert_eq!(r.body["type"], "Admin");
        let dt = app.df_admin_session().await;
        let r = app.df_call(&dt, Method::GET, &format!("/api/v2/system/user/{editor}?fields=name,email"), None).await;
        assert_eq!(r.body, json!({"name": "Ed Itor", "email": "editor@example.com"}));
        // Email-keyed's coarse `User` write leaves the Domo Editor an Editor.
        let r = app.call(Method::PUT, "/api/users/editor@example.com", Some(&et), Some(json!({"type": "User"}))).await;
        assert_eq!(r.status, 204);
        assert_eq!(domo(&app, &t, Method::GET, &format!("{USERS}/{editor}"), None).await.body["role"], "Editor");
        // Deleted elsewhere: Domo's deleted shape; deleted through Domo: 404 elsewhere.
        assert_eq!(app.call(Method::DELETE, "/api/users/ek-user@example.com", Some(&et), None).await.status, 204);
        let ek_user = find("ek-user@example.com")["id"].as_i64().expect("id");
        let r = domo(&app, &t, Method::GET, &format!("{USERS}/{ek_user}"), None).await;
        assert_eq!(r.body["deleted"], true);
        assert_eq!(domo(&app, &t, Method::DELETE, &format!("{USERS}/{editor}"), None).await.status, 204);
        assert_eq!(app.call(Method::GET, "/api/users/editor@example.com", Some(&et), None).await.status, 404);
        app.stop().await;
    }

    async fn the_own_listener_serves_domo_at_the_root_and_tokens_expire(kind) {
        let app = TestApp::spawn_with(kind, &["--domo-listen", "127.0.0.1:0", "--domo-token-ttl", "1s"]).await;
        let root = app.domo_addr.expect("the Domo listener");
        let (id, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let r = request_to(&app.client, root, Method::GET, "/oauth/token?grant_type=client_credentials", None)
            .basic_auth(&id, &secret).send().await.expect("token");
        let r = Reply::read(r).await;
        assert_eq!((r.status, r.body["expires_in"].clone()), (200, json!(1)));
        let t = r.body["access_token"].as_str().expect("token").to_owned();
        let r = call_at(&app.client, root, Method::GET, "/v1/users", Some(&t), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = call_at(&app.client, root, Method::GET, "/v1/users/424242", Some(&t), None).await;
        assert_error(&r, 404, "User not found", "/v1/users/424242");
        // Other dialects are not on this listener.
        assert_eq!(call_at(&app.client, root, Method::GET, "/api/users", Some(&t), None).await.status, 404);
        actix_web::rt::time::sleep(Duration::from_millis(2100)).await;
        let r = call_at(&app.client, root, Method::GET, "/v1/users", Some(&t), None).await;
        assert_error(&r, 401, "The access token has expired", "/v1/users");
        app.stop().await;
    }

    async fn send_invite_mails_a_code_that_sets_the_password(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let t = admin_token(&app).await;
        let r = domo(&app, &t, Method::POST, "/domo/v1/users/?sendInvite=True", Some(json!({"name": "Invi Tee", "email": "invitee@example.com", "role": "Participant"}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = sink.last_to("invitee@example.com").code();
        // Accepted through DreamFactory's endpoint (usergate's accept page uses the same code);
        // then the user logs in through the email-keyed dialect.
        let r = app.call(Method::POST, "/api/v2/user/password", None,
            Some(json!({"email": "invitee@example.com", "code": code, "new_password": "invitee secret 1"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        app.token("invitee@example.com", "invitee secret 1").await;
        // A refused mail: 500, and the user never existed (the address stays free).
        sink.set_mode(Mode::Refuse);
        let r = domo(&app, &t, Method::POST, "/domo/v1/users?sendInvite=true", Some(json!({"name": "No Mail", "email": "nomail@example.com", "role": "Participant"}))).await;
        assert_error(&r, 500, "The invitation email could not be sent; nothing was created", USERS);
        let list = domo(&app, &t, Method::GET, "/domo/v1/users?limit=500", None).await;
        assert!(!list.body.as_array().expect("array").iter().any(|u| u["email"] == "nomail@example.com"));
        sink.set_mode(Mode::Accept);
        let r = domo(&app, &t, Method::POST, "/domo/v1/users?sendInvite=false", Some(json!({"name": "No Mail", "email": "nomail@example.com", "role": "Participant"}))).await;
        assert_eq!(r.status, 201);
        assert!(sink.to("nomail@example.com").is_empty(), "sendInvite=false mails nothing");
        app.stop().await;
    }

    async fn oversized_and_malformed_bodies_get_domos_envelope(kind) {
        let app = TestApp::spawn_with(kind, &["--max-body", "1KiB"]).await;
        let t = admin_token(&app).await;
        let big = "x".repeat(2000);
        let r = domo(&app, &t, Method::POST, USERS, Some(json!({"name": big, "email": "b@example.com", "role": "Admin"}))).await;
        assert_error(&r, 413, "The request body is too large (the limit is 1024 bytes)", USERS);
        let r = app.req(Method::POST, USERS, None)
            .insert_header(("Authorization", format!("bearer {t}")))
            .insert_header(("Content-Type", "application/json"))
            .send_body("{not json").await.expect("send");
        let r = Reply::read(r).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.body["statusReason"], "Bad Request");
        assert!(!r.body.to_string().contains("not json"), "the body is not echoed");
        app.stop().await;
    }
}
