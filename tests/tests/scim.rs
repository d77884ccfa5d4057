//! SCIM 2.0 over HTTP, on PostgreSQL and SQLite: the request sequences Microsoft Entra ID and
//! Okta send when they provision (from `shared/dialects/background/scim.md`), bad input
//! refused in SCIM's envelope with nothing changed, and the keys of one dialect refused by
//! another.

use awc::http::Method;
use serde_json::{Value, json};
use usergate_tests::{ADMIN_EMAIL, Reply, TestApp, both_backends};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A SCIM request as identity providers send it (`application/scim+json`).
async fn scim(app: &TestApp, key: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
    let req = app
        .req(method, &format!("/scim/v2{path}"), Some(key))
        .insert_header(("Content-Type", "application/scim+json"));
    let res = match body {
        Some(b) => req.send_body(b.to_string()).await,
        None => req.send().await,
    };
    Reply::read(res.unwrap_or_else(|e| panic!("request to {path} failed: {e}"))).await
}

fn patch(ops: Value) -> Option<Value> {
    Some(json!({"schemas": [PATCH], "Operations": ops}))
}

/// A SCIM error: its status (as a string, as SCIM writes it) and `scimType`.
fn error(r: &Reply) -> (u16, Option<&str>) {
    assert_eq!(
        r.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{}",
        r.body
    );
    assert_eq!(r.body["status"], json!(r.status.to_string()), "{}", r.body);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/scim+json"))
    );
    (r.status, r.body["scimType"].as_str())
}

fn encode(filter: &str) -> String {
    filter
        .replace('%', "%25")
        .replace(' ', "%20")
        .replace('"', "%22")
        .replace('[', "%5B")
        .replace(']', "%5D")
}

async fn find(app: &TestApp, key: &str, resource: &str, filter: &str) -> Reply {
    let r = scim(
        app,
        key,
        Method::GET,
        &format!("/{resource}filter={}", encode(filter)),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r
}

both_backends! {
    async fn entra_provisions_users_and_groups(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.scim_key(ADMIN_EMAIL);
        // Test Connection: a random user and group, by filter; none is 200 with no resources.
        let r = scim(&app, &key, Method::GET,
            "/Users?aadOptscim062020&filter=userName%20eq%20%22b3f1c1f0-7a4e-4d0a-9f5e-1e6f%22", None).await;
        assert_eq!((r.status, &r.body["totalResults"], &r.body["Resources"]), (200, &json!(0), &json!([])), "{}", r.body);
        assert!(r.header("content-type").is_some_and(|c| c.starts_with("application/scim+json")));
        let r = find(&app, &key, "Groups?excludedAttributes=members&", r#"displayName eq "7c9e6679""#).await;
        assert_eq!(r.body["totalResults"], 0);
        // Create, with Entra's extra schema, empty roles, the enterprise extension and meta.
        let r = scim(&app, &key, Method::POST, "/Users", Some(json!({
            "schemas": [USER, ENTERPRISE],
            "externalId": "jdoe", "userName": "JDoe@Contoso.com", "active": true,
            "displayName": "John Doe",
            "emails": [{"primary": true, "type": "work", "value": "JDoe@Contoso.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "John Doe", "familyName": "Doe", "givenName": "John"},
            "roles": [],
            ENTERPRISE: {"employeeNumber": "701984", "department": "Sales"},
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_owned();
        assert_eq!(r.header("location"), r.body["meta"]["location"].as_str());
        assert_eq!(r.body["userName"], "JDoe@Contoso.com", "as sent");
        assert_eq!(r.body["roles"], json!([{"value": "user", "primary": true}]));
        assert_eq!(r.body[ENTERPRISE], json!({"employeeNumber": "701984", "department": "Sales"}));
        assert_eq!(r.body["name"]["formatted"], "John Doe");
        // The matching lookups Entra can be set to.
        for filter in [
            r#"userName eq "jdoe@contoso.com""#,
            r#"externalId eq "jdoe""#,
            r#"emails[type eq "work"].value eq "JDoe@contoso.com""#,
        ] {
            let r = find(&app, &key, "Users?", filter).await;
            assert_eq!(r.body["totalResults"], 1, "{filter}: {}", r.body);
            assert_eq!(r.body["Resources"][0]["id"], json!(id));
        }
        // Updates in Entra's default form: capitalised ops, several Replace, a string boolean.
        let r = scim(&app, &key, Method::PATCH, &format!("/Users/{id}"), patch(json!([
            {"op": "Replace", "path": "displayName", "value": "Johnny Doe"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "johnny@contoso.com"},
            {"op": "Replace", "path": "name.givenName", "value": "Johnny"},
            {"op": "Replace", "path": "externalId", "value": "jdoe2"},
            {"op": "Replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "702000"},
            {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": "1"},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"},
        ]))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((&r.body["displayName"], &r.body["externalId"]), (&json!("Johnny Doe"), &json!("jdoe2")));
        assert_eq!(r.body["name"]["givenName"], "Johnny");
        assert_eq!(r.body["emails"][0]["value"], "johnny@contoso.com");
        assert_eq!(r.body[ENTERPRISE]["manager"], json!({"value": "1"}));
        assert_eq!(r.body[ENTERPRISE]["employeeNumber"], "702000");
        assert_eq!(r.body["phoneNumbers"], json!([{"type": "mobile", "value": "+1 555 0100"}]));
        // The app role as Entra PATCHes it: a JSON string; then by the primary entry.
        let r = scim(&app, &key, Method::PATCH, &format!("/Users/{id}"), patch(json!([
            {"op": "Add", "path": "roles", "value": [{"value": "{\"id\":\"5b0c\",\"value\":\"Editor\",\"displayName\":\"Editor\"}"}]},
        ]))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["roles"], json!([{"value": "Editor"}]), "spelled as sent");
        let r = scim(&app, &key, Method::PATCH, &format!("/Users/{id}"), patch(json!([
            {"op": "Replace", "path": "roles", "value": [{"value": "viewer", "primary": "True", "type": "WindowsAzureActiveDirectoryRole"}]},
            {"op": "Replace", "path": "roles[primary eq \"True\"].value", "value": "Privileged"},
        ]))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["roles"][0]["value"], "Privileged");
        let r = scim(&app, &key, Method::GET, "/Groups/privileged", None).await;
        assert_eq!(r.body["members"][0]["value"], json!(id), "the core role: {}", r.body);
        // With the aadOptscim062020 flag: lowercase, path-less, dotted and URN keys, booleans.
        let r = scim(&app, &key, Method::PATCH, &format!("/Users/{id}?aadOptscim062020"), patch(json!([
            {"op": "replace", "value": {"name.familyName": "Roe", format!("{ENTERPRISE}:department"): "R&D", "title": "Lead"}},
        ]))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((&r.body["name"]["familyName"], &r.body["title"]), (&json!("Roe"), &json!("Lead")));
        assert_eq!(r.body[ENTERPRISE]["department"], "R&D");
        // Disable (a string boolean); the user is still returned while inactive.
        let r = scim(&app, &key, Method::PATCH, &format!("/Users/{id}"), patch(json!([
            {"op": "Replace", "path": "active", "value": "False"},
        ]))).await;
        assert_eq!((r.status, &r.body["active"]), (200, &json!(false)), "{}", r.body);
        let r = find(&app, &key, "Users?", r#"userName eq "JDoe@contoso.com" and active eq false"#).await;
        assert_eq!(r.body["totalResults"], 1);
        // Group push: an extra schema, members with `$ref: null`; matched by displayName.
        let r = scim(&app, &key, Method::POST, "/Groups", Some(json!({
            "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "0e6f1c6b-entra", "displayName": "Sales Team",
            "members": [{"value": id, "$ref": null, "display": "John"}],
        }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let gid = r.body["id"].as_str().expect("group id").to_owned();
        assert_eq!(r.body["members"][0]["value"], json!(id));
        assert_eq!(r.body["members"][0]["$ref"], json!(app.url(&format!("/scim/v2/Users/{id}"))));
        let r = find(&app, &key, "Groups?excludedAttributes=members&", r#"displayName eq "sales team""#).await;
        assert_eq!(r.body["totalResults"], 1);
        assert!(r.body["Resources"][0].get("members").is_none(), "{}", r.body);
        let other = scim(&app, &key, Method::POST, "/Users", Some(json!({
            "userName": "amy@contoso.com", "emails": [{"value": "amy@contoso.com"}],
        }))).await;
        let other = other.body["id"].as_str().expect("id").to_owned();
        let r = scim(&app, &key, Method::PATCH, &format!("/Groups/{gid}"), patch(json!([
            {"op": "Add", "path": "members", "value": [{"value": other}]},
            {"op": "Remove", "path": "members", "value": [{"value": id}]},
        ]))).await;
        assert_eq!(r.status, 204, "{}", r.body);
        let r = scim(&app, &key, Method::GET, &format!("/Groups/{gid}"), None).await;
        let members: Vec<&Value> = r.body["members"].as_array().expect("members").iter().map(|m| &m["value"]).collect();
        assert_eq!(members, [&json!(other)]);
        // The user's groups: its role group and this one.
        let r = scim(&app, &key, Method::GET, &format!("/Users/{other}"), None).await;
        let groups: Vec<&Value> = r.body["groups"].as_array().expect("groups").iter().map(|g| &g["value"]).collect();
        assert_eq!(groups, [&json!("user"), &json!(gid)]);
        // Delete: 204, then 404 in SCIM's envelope.
        let r = scim(&app, &key, Method::DELETE, &format!("/Users/{id}"), None).await;
        assert_eq!(r.status, 204);
        let r = scim(&app, &key, Method::GET, &format!("/Users/{id}"), None).await;
        assert_eq!(error(&r), (404, None));
        app.stop().await;
    }

    async fn okta_provisions_users_and_pushes_groups(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.scim_key(ADMIN_EMAIL);
        let r = scim(&app, &key, Method::GET, "/Users?startIndex=1&count=2", None).await;
        assert_eq!(r.status, 200);
        assert!(r.body["totalResults"].is_u64() && r.body["startIndex"] == 1 && r.body["itemsPerPage"] == 1, "{}", r.body);
        let r = find(&app, &key, "Users?startIndex=1&count=100&", r#"userName eq "isabella@example.com""#).await;
        assert_eq!(r.body["Resources"], json!([]));
        let create = json!({
            "schemas": [USER], "userName": "isabella@example.com",
            "name": {"givenName": "Isabella", "familyName": "Bella"},
            "emails": [{"primary": true, "value": "isabella@example.com", "type": "work"}],
            "displayName": "Isabella Bella", "locale": "en-US", "externalId": "00u1ab2cdEfGhIjK",
            "groups": [], "password": "a long enough password", "active": true,
        });
        let r = scim(&app, &key, Method::POST, "/Users", Some(create.clone())).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_owned();
        assert!(r.body.get("password").is_none(), "never returned");
        let r = scim(&app, &key, Method::POST, "/Users", Some(create)).await;
        assert_eq!(error(&r), (409, Some("uniqueness")));
        // PUT back what was read, with Okta's empty middle name and a change.
        let mut read = scim(&app, &key, Method::GET, &format!("/Users/{id}"), None).await.body;
        read["name"]["middleName"] = json!("");
        read["title"] = json!("Director");
        let r = scim(&app, &key, Method::PUT, &format!("/Users/{id}"), Some(read)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((&r.body["title"], &r.body["locale"]), (&json!("Director"), &json!("en-US")));
        assert_eq!(r.body["externalId"], "00u1ab2cdEfGhIjK");
        // A PUT that leaves the required attributes out keeps them, and clears the rest.
        let r = scim(&app, &key, Method::PUT, &format!("/Users/{id}"), Some(json!({"schemas": [USER], "title": "CTO"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!((&r.body["userName"], &r.body["displayName"], &r.body["active"]), (&json!("isabella@example.com"), &json!("Isabella Bella"), &json!(true)));
        assert!(r.body.get("locale").is_none() && r.body.get("externalId").is_none(), "{}", r.body);
        // Deactivate (OIN apps: path-less), then reactivate by PUT (wizard apps).
        let r = scim(&app, &key, Method::PATCH, &format!("/Users/{id}"), patch(json!([{"op": "replace", "value": {"active": false}}]))).await;
        assert_eq!((r.status, &r.body["active"]), (200, &json!(false)));
        let r = scim(&app, &key, Method::PUT, &format!("/Users/{id}"), Some(json!({"userName": "isabella@example.com", "active": true}))).await;
        assert_eq!((r.status, &r.body["active"]), (200, &json!(true)));
        // Group push: create empty, rename with the id in the value, members three ways.
        let r = scim(&app, &key, Method::POST, "/Groups", Some(json!({"schemas": [GROUP], "displayName": "Okta Pushed", "members": []}))).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let gid = r.body["id"].as_str().expect("id").to_owned();
        let r = scim(&app, &key, Method::PATCH, &format!("/Groups/{gid}"), patch(json!([
            {"op": "replace", "value": {"id": gid, "displayName": "Okta Pushed 2"}},
            {"op": "add", "path": "members", "value": [{"value": id, "display": "isabella@example.com"}]},
        ]))).await;
        assert_eq!(r.status, 204, "{}", r.body);
        let r = scim(&app, &key, Method::GET, &format!("/Groups/{gid}"), None).await;
        assert_eq!((&r.body["displayName"], r.body["members"].as_array().map(Vec::len)), (&json!("Okta Pushed 2"), Some(1)));
        let r = scim(&app, &key, Method::PATCH, &format!("/Groups/{gid}"), patch(json!([
            {"op": "remove", "path": format!("members[value eq \"{id}\"]")},
        ]))).await;
        assert_eq!(r.status, 204);
        let r = scim(&app, &key, Method::PATCH, &format!("/Groups/{gid}"), patch(json!([
            {"op": "replace", "path": "members", "value": [{"value": id}]},
        ]))).await;
        assert_eq!(r.status, 204);
        let r = scim(&app, &key, Method::GET, &format!("/Groups/{gid}?attributes=members"), None).await;
        assert_eq!(r.body["members"].as_array().map(Vec::len), Some(1), "{}", r.body);
        assert!(r.body.get("displayName").is_none(), "{}", r.body);
        let r = scim(&app, &key, Method::DELETE, &format!("/Groups/{gid}"), None).await;
        assert_eq!(r.status, 204);
        let r = scim(&app, &key, Method::GET, &format!("/Groups/{gid}"), None).await;
        assert_eq!(error(&r), (404, None));
        app.stop().await;
    }

    async fn role_groups_are_the_roles(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.scim_key(ADMIN_EMAIL);
        let r = scim(&app, &key, Method::GET, "/Groups?excludedAttributes=members", None).await;
        let names: Vec<&Value> = r.body["Resources"].as_array().expect("groups").iter().map(|g| &g["id"]).collect();
        assert_eq!(names, ["admin", "privileged", "editor", "user", "viewer"]);
        let r = scim(&app, &key, Method::POST, "/Users", Some(json!({"userName": "ed@example.com"}))).await;
        let id = r.body["id"].as_str().expect("id").to_owned();
        // Adding to a role group gives the role; removing gives user (viewer from user).
        let r = scim(&app, &key, Method::PATCH, "/Groups/Editor", patch(json!([{"op": "add", "path": "members", "value": [{"value": id}]}]))).await;
        assert_eq!(r.status, 204, "{}", r.body);
        let r = scim(&app, &key, Method::GET, &format!("/Users/{id}?attributes=roles"), None).await;
        assert_eq!(r.body["roles"][0]["value"], "editor", "{}", r.body);
        let r = find(&app, &key, "Groups?", &format!(r#"members.value eq "{id}""#)).await;
        assert_eq!(r.body["Resources"][0]["id"], "editor", "{}", r.body);
        let r = scim(&app, &key, Method::PATCH, "/Groups/editor", patch(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]))).await;
        assert_eq!(r.status, 204);
        let r = scim(&app, &key, Method::PATCH, "/Groups/user", patch(json!([{"op": "remove", "path": "members", "value": [{"value": id}]}]))).await;
        assert_eq!(r.status, 204);
        let r = scim(&app, &key, Method::GET, &format!("/Users/{id}"), None).await;
        assert_eq!(r.body["roles"][0]["value"], "viewer");
        // The roles cannot be created, renamed or deleted; the last admin stays.
        let r = scim(&app, &key, Method::POST, "/Groups", Some(json!({"displayName": "ADMIN"}))).await;
        assert_eq!(error(&r), (409, Some("uniqueness")));
        let r = scim(&app, &key, Method::PATCH, "/Groups/viewer", patch(json!([{"op": "replace", "path": "displayName", "value": "Watchers"}]))).await;
        assert_eq!(error(&r), (400, Some("mutability")));
        let r = scim(&app, &key, Method::DELETE, "/Groups/viewer", None).await;
        assert_eq!(error(&r), (400, Some("mutability")));
        let r = scim(&app, &key, Method::PATCH, "/Groups/admin", patch(json!([{"op": "replace", "path": "members", "value": [{"value": id}]}]))).await;
        assert_eq!(r.status, 409, "{}", r.body);
        let r = scim(&app, &key, Method::GET, &format!("/Users/{id}"), None).await;
        assert_eq!(r.body["roles"][0]["value"], "viewer", "all or nothing: {}", r.body);
        app.stop().await;
    }

    async fn bad_input_is_refused_in_scims_envelope_and_changes_nothing(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.scim_key(ADMIN_EMAIL);
        let r = scim(&app, &key, Method::POST, "/Users", Some(json!({"userName": "kim@example.com", "title": "Analyst"}))).await;
        let id = r.body["id"].as_str().expect("id").to_owned();
        let before = scim(&app, &key, Method::GET, &format!("/Users/{id}"), None).await.body;
        for (filter, what) in [("userName eq", "no value"), (r#"userName xx "a""#, "no operator"), (r#"(userName eq "a""#, "unclosed"), (r#"nickName eq "a""#, "not filterable")] {
            let r = scim(&app, &key, Method::GET, &format!("/Users?filter={}", encode(filter)), None).await;
            assert_eq!(error(&r), (400, Some("invalidFilter")), "{what}: {}", r.body);
        }
        for (ops, want) in [
            (json!([{"op": "replace", "path": "title", "value": "Boss"}, {"op": "add", "path": "shoeSize", "value": "9"}]), (400, Some("invalidPath"))),
            (json!([{"op": "replace", "path": "title", "value": "Boss"}, {"op": "add", "path": "roles", "value": [{"value": "owner"}]}]), (400, Some("invalidValue"))),
            (json!([{"op": "remove", "path": "userName"}]), (400, Some("mutability"))),
            (json!([{"op": "replace", "path": "title", "value": "Boss"}, {"op": "remove"}]), (400, Some("noTarget"))),
            (json!([{"op": "replace", "path": "password", "value": "short"}]), (400, Some("invalidValue"))),
            (json!([{"op": "replace", "path": "userName", "value": "ADMIN@usergate.test"}]), (409, Some("uniqueness"))),
        ] {
            let r = scim(&app, &key, Method::PATCH, &format!("/Users/{id}"), patch(ops.clone())).await;
            assert_eq!(error(&r), want, "{ops}: {}", r.body);
            let now = scim(&app, &key, Method::GET, &format!("/Users/{id}"), None).await.body;
            assert_eq!(now, before, "{ops} changed nothing");
        }
        let r = scim(&app, &key, Method::POST, "/Users", Some(json!({"userName": "Kim@Example.com"}))).await;
        assert_eq!(error(&r), (409, Some("uniqueness")));
        let r = scim(&app, &key, Method::POST, "/Users", Some(json!({"userName": "kim2"}))).await;
        assert_eq!(error(&r), (400, Some("invalidValue")), "a login name needs an email");
        let r = scim(&app, &key, Method::POST, "/Users", Some(json!({"userName": "kim2", "emails": [{"value": "k2@example.com"}], "roles": [{"value": "root"}]}))).await;
        assert_eq!(error(&r), (400, Some("invalidValue")));
        let r = scim(&app, &key, Method::POST, "/Users", Some(json!("not an object"))).await;
        assert_eq!(error(&r), (400, Some("invalidSyntax")));
        // 10,000 members in one PATCH: tooMany, and the group keeps its members.
        let r = scim(&app, &key, Method::POST, "/Groups", Some(json!({"displayName": "Big", "members": [{"value": id}]}))).await;
        let gid = r.body["id"].as_str().expect("id").to_owned();
        let many: Vec<Value> = (1..=10_000).map(|i| json!({"value": i.to_string()})).collect();
        let r = scim(&app, &key, Method::PATCH, &format!("/Groups/{gid}"), patch(json!([{"op": "replace", "path": "members", "value": many}]))).await;
        assert_eq!(error(&r), (400, Some("tooMany")));
        let r = scim(&app, &key, Method::PATCH, &format!("/Groups/{gid}"), patch(json!([{"op": "add", "path": "members", "value": [{"value": "999999"}]}]))).await;
        assert_eq!(error(&r), (400, Some("invalidValue")));
        let r = scim(&app, &key, Method::GET, &format!("/Groups/{gid}"), None).await;
        assert_eq!(r.body["members"].as_array().map(Vec::len), Some(1));
        // Unknown paths, discovery writes, bulk; doubled slashes are one.
        let r = scim(&app, &key, Method::GET, "/Nothing", None).await;
        assert_eq!(error(&r), (404, None));
        let r = scim(&app, &key, Method::POST, "/Schemas", Some(json!({}))).await;
        assert_eq!(error(&r), (405, None));
        let r = scim(&app, &key, Method::POST, "/Bulk", Some(json!({}))).await;
        assert_eq!(error(&r), (501, None));
        let r = scim(&app, &key, Method::GET, &format!("//Users/{id}"), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        app.stop().await;
    }

    async fn keys_work_in_their_own_dialect_only(kind) {
        let app = TestApp::spawn(kind).await;
        let scim_key = app.scim_key(ADMIN_EMAIL);
        let generic_key = app.api_key(ADMIN_EMAIL, None);
        let r = scim(&app, &generic_key, Method::GET, "/Users", None).await;
        assert_eq!(error(&r), (401, None));
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        let r = app.call(Method::GET, "/v1/users", Some(&scim_key), None).await;
        assert_eq!(r.status, 401, "{}", r.body);
        // Twice each, so that the second answer comes from the credential cache.
        for _ in 0..2 {
            assert_eq!(scim(&app, &scim_key, Method::GET, "/Users", None).await.status, 200);
            assert_eq!(app.call(Method::GET, "/v1/users", Some(&generic_key), None).await.status, 200);
            assert_eq!(scim(&app, &generic_key, Method::GET, "/Users", None).await.status, 401);
            assert_eq!(app.call(Method::GET, "/v1/users", Some(&scim_key), None).await.status, 401);
        }
        let r = scim(&app, "nonsense", Method::GET, "/ServiceProviderConfig", None).await;
        assert_eq!(error(&r), (401, None));
        // A key of a user who is not an admin: 403.
        let token = app.admin_token().await;
        app.create_user(&token, "plain@example.com", "a good password 1").await;
        let plain = app.scim_key("plain@example.com");
        let r = scim(&app, &plain, Method::GET, "/Users", None).await;
        assert_eq!(error(&r), (403, None));
        app.stop().await;
    }
}
