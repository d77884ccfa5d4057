//! Token attacks against every dialect that takes a JWT (email-keyed, DreamFactory, Domo), on
//! PostgreSQL and SQLite: `alg: none`, another key, an RS256 header on an HMAC signature,
//! another dialect's audience, expired, issued in the future, a tampered payload. Each is
//! refused with the dialect's own code for a bad token (401 everywhere here; DreamFactory's
//! 401 body, Domo's 401 with `WWW-Authenticate`), and a valid token of the same shape works,
//! so the refusals are the attacks' doing.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use awc::http::Method;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use usergate_tests::{ADMIN_EMAIL, JWT_SECRET, Reply, TestApp, both_backends};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Claims like the server's for the bootstrap admin (id 1, credentials version 1).
fn claims(aud: &str, extra: Value) -> Value {
    let t = now();
    let mut c = json!({"sub": "1", "exp": t + 600, "iat": t, "jti": "attack", "ver": 1,
                       "aud": aud, "user_id": 1, "forever": false});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            c.insert(k.clone(), v.clone());
        }
    }
    c
}

fn sign(header: Header, claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(key)).expect("sign")
}

fn unsigned(claims: &Value) -> String {
    let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = B64.encode(serde_json::to_vec(claims).expect("json"));
    format!("{header}.{payload}.")
}

/// The same token with another payload (the signature kept).
fn tampered(token: &str, claims: &Value) -> String {
    let mut parts = token.split('.');
    let (h, _, s) = (parts.next(), parts.next(), parts.next());
    let payload = B64.encode(serde_json::to_vec(claims).expect("json"));
    format!(
        "{}.{payload}.{}",
        h.unwrap_or_default(),
        s.unwrap_or_default()
    )
}

/// Every forged variant of a token for `aud`, named.
fn attacks(aud: &str, extra: Value, other_aud: &str) -> Vec<(&'static str, String)> {
    let good = claims(aud, extra.clone());
    let key = JWT_SECRET.as_bytes();
    let mut expired = good.clone();
    expired["iat"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 3600);
    let mut future = good.clone();
    future["iat"] = json!(now() + 3600);
    future["exp"] = json!(now() + 7200);
    let mut other_user = good.clone();
    other_user["sub"] = json!("2");
    other_user["user_id"] = json!(2);
    let valid = sign(Header::new(Algorithm::HS256), &good, key);
    vec![
        ("alg none", unsigned(&good)),
        (
            "another key",
            sign(
                Header::new(Algorithm::HS256),
                &good,
                b"another-secret-another-secret-0123456789",
            ),
        ),
        ("RS256 header on an HMAC signature", {
            let mut h = Header::new(Algorithm::HS256);
            h.alg = Algorithm::RS256;
            // jsonwebtoken refuses to sign RS256 with a secret: build the token by hand.
            let header = B64.encode(serde_json::to_vec(&h).expect("json"));
            let payload = B64.encode(serde_json::to_vec(&good).expect("json"));
            let sig = valid.rsplit('.').next().unwrap_or_default();
            format!("{header}.{payload}.{sig}")
        }),
        (
            "another dialect's audience",
            sign(
                Header::new(Algorithm::HS256),
                &claims(other_aud, extra),
                key,
            ),
        ),
        (
            "expired",
            sign(Header::new(Algorithm::HS256), &expired, key),
        ),
        (
            "issued in the future",
            sign(Header::new(Algorithm::HS256), &future, key),
        ),
        ("tampered payload", tampered(&valid, &other_user)),
        ("not a JWT", "abc.def.ghi".to_owned()),
    ]
}

fn valid(aud: &str, extra: Value) -> String {
    sign(
        Header::new(Algorithm::HS256),
        &claims(aud, extra),
        JWT_SECRET.as_bytes(),
    )
}

both_backends! {
    async fn forged_tokens_are_refused_by_every_dialect(kind) {
        let app = TestApp::spawn(kind).await;
        // Email-keyed: 401.
        let r = app.call(Method::GET, "/api/users", Some(&valid("usergate:email-keyed", json!({}))), None).await;
        assert_eq!(r.status, 200, "a well-formed token works: {}", r.body);
        for (name, token) in attacks("usergate:email-keyed", json!({}), "usergate:dreamfactory") {
            let r = app.call(Method::GET, "/api/users", Some(&token), None).await;
            assert_eq!(r.status, 401, "email-keyed, {name}: {}", r.body);
        }
        // DreamFactory: 401 in its envelope, by header and by Bearer.
        let r = app.df_call(&valid("usergate:dreamfactory", json!({})), Method::GET, "/api/v2/system/user", None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        for (name, token) in attacks("usergate:dreamfactory", json!({}), "usergate:email-keyed") {
            for r in [
                app.df_call(&token, Method::GET, "/api/v2/system/user", None).await,
                app.call(Method::GET, "/api/v2/system/admin/session", Some(&token), None).await,
            ] {
                assert_eq!(r.status, 401, "DreamFactory, {name}: {}", r.body);
                assert_eq!(r.body["error"]["status_code"], 401);
            }
        }
        // Domo: 401 with WWW-Authenticate, never 403; its tokens also name a live client.
        let (client, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let real = app.domo_token(&client, &secret).await;
        let extra = json!({"client_id": client, "scope": "user"});
        assert_eq!(app.domo_call(&valid("usergate:domo", extra.clone()), Method::GET, "/domo/v1/users", None).await.status, 200);
        for (name, token) in attacks("usergate:domo", extra, "usergate:email-keyed")
            .into_iter()
            .chain([("an email-keyed login token", valid("usergate:email-keyed", json!({})))])
        {
            let r: Reply = app.domo_call(&token, Method::GET, "/domo/v1/users", None).await;
            assert_eq!(r.status, 401, "Domo, {name}: {}", r.body);
            assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        }
        // A Domo token naming a client that does not exist, or with the scope widened: refused.
        let ghost = valid("usergate:domo", json!({"client_id": "00000000-0000-4000-8000-000000000000", "scope": "user"}));
        assert_eq!(app.domo_call(&ghost, Method::GET, "/domo/v1/users", None).await.status, 401);
        let mut widened: Value = serde_json::from_slice(&B64.decode(real.split('.').nth(1).expect("payload")).expect("b64")).expect("json");
        widened["scope"] = json!("user data audit");
        assert_eq!(app.domo_call(&tampered(&real, &widened), Method::GET, "/domo/v1/users", None).await.status, 401);
        let _ = Duration::ZERO;
        app.stop().await;
    }
}
