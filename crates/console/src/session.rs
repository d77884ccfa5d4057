//! Signing in and out, the session of every page ([`Admin`]) and the CSRF check of every change
//! ([`Posted`]).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use usergate_core::{Actor, ActorKind, Channel, CoreError, Credential, Role};
use usergate_web::{VerifiedToken, blocking, origin};

use crate::view::{self, Login};
use crate::{ConsoleError, State};

/// The session cookie.
pub const COOKIE: &str = "usergate_console";
/// The audience of console session tokens (no dialect accepts them).
pub const AUDIENCE: &str = "usergate:console";
const CSRF: &str = "console-csrf";

pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

/// The signed-in admin of a request: the actor core sees, and the session's CSRF token.
pub struct Admin {
    /// Who acts (an active admin when the request began; core checks again).
    pub actor: Actor,
    /// The session's CSRF token, for the forms of the page.
    pub csrf: String,
    token: VerifiedToken,
}

/// A renewed session cookie, set on the answer by the headers middleware.
#[derive(Clone)]
pub(crate) struct Renewal(pub Cookie<'static>);

impl FromRequest for Admin {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in(&req).await })
    }
}

async fn signed_in(req: &HttpRequest) -> Result<Admin, ConsoleError> {
    let state = state(req)?;
    let cookie = req.cookie(COOKIE).ok_or(ConsoleError::SignedOut)?;
    let token = state
        .tokens
        .verify(AUDIENCE, cookie.value())
        .map_err(|_| ConsoleError::SignedOut)?;
    let credential = Ok(Credential::Token {
        user: token.user,
        version: token.credentials_version,
        jti: Some(token.claims.jti.clone()),
    });
    let actor =
        match usergate_web::authenticate(&state.core, &credential, origin(req, Channel::Console))
            .await
        {
            Ok(actor) => actor,
            Err(CoreError::Unauthenticated(_)) => return Err(ConsoleError::SignedOut),
            Err(e) => return Err(e.into()),
        };
    // Only admins sign in, and a role change ends the session; this is the same rule seen
    // from the cookie's side.
    if !matches!(&actor.kind, ActorKind::User(p) if p.role == Role::Admin) {
        return Err(ConsoleError::SignedOut);
    }
    // Slide the idle timeout: a page at least a second into the window renews the cookie (same
    // session id), so the session ends `idle_timeout` after the last request, or at its lifetime.
    if token.seconds_left() < state.settings.idle_timeout.as_secs() {
        let renewed =
            state
                .tokens
                .renew(&token, state.settings.idle_timeout, state.settings.lifetime)?;
        req.extensions_mut()
            .insert(Renewal(session_cookie(&state, renewed.token)));
    }
    Ok(Admin {
        csrf: state.tokens.tag(CSRF, &token.claims.jti),
        actor,
        token,
    })
}

/// A form with nothing but its CSRF token (checked by [`Posted`]).
#[derive(Debug, Deserialize)]
pub struct Only {}

/// A form read as its name/value pairs in order (for checkboxes that send one name many times).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// The first value of `name`, or empty.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// [`Pairs::get`], owned.
    pub fn one(&self, name: &str) -> String {
        self.get(name).to_owned()
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A POSTed form (`application/x-www-form-urlencoded`) of a signed-in admin, whose `csrf`
/// field is the session's token. Forms name their fields; unknown ones (`csrf` itself) are
/// ignored.
pub struct Posted<T>(pub Admin, pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let admin = signed_in_posting(&req).await?;
            let body = body.await.map_err(|_| ConsoleError::BadForm)?;
            // The token first, before anything the form says is read: a forged form gets the
            // same answer whatever else it holds.
            let pairs: Pairs =
                serde_urlencoded::from_bytes(&body).map_err(|_| ConsoleError::Forgery)?;
            check_csrf(&*state(&req)?, &admin, pairs.get("csrf"))?;
            let form = serde_urlencoded::from_bytes(&body).map_err(|_| ConsoleError::BadForm)?;
            Ok(Posted(admin, form))
        })
    }
}

/// The admin of a POST that no other site sent (the form's token is checked apart).
pub(crate) async fn signed_in_posting(req: &HttpRequest) -> Result<Admin, ConsoleError> {
    same_site(req)?;
    signed_in(req).await
}

/// Refuses a token that is not this session's.
pub(crate) fn check_csrf(state: &State, admin: &Admin, token: &str) -> Result<(), ConsoleError> {
    if state.tokens.check_tag(CSRF, &admin.token.claims.jti, token) {
        Ok(())
    } else {
        Err(ConsoleError::Forgery)
    }
}

/// Refuses a POST another site's page sent (its `Origin` or `Sec-Fetch-Site` says so).
fn same_site(req: &HttpRequest) -> Result<(), ConsoleError> {
    let value = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if value("sec-fetch-site").is_some_and(|s| s == "cross-site" || s == "same-site") {
        return Err(ConsoleError::Forgery);
    }
    // The pages' `Referrer-Policy: no-referrer` makes browsers send `Origin: null` with their
    // own forms: only a named origin can be compared (`Sec-Fetch-Site` above tells the rest).
    if let Some(origin) = value("origin").filter(|o| *o != "null") {
        let info = req.connection_info();
        let host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        if host != Some(info.host()) {
            return Err(ConsoleError::Forgery);
        }
    }
    Ok(())
}

pub(crate) fn state(req: &HttpRequest) -> Result<web::Data<State>, ConsoleError> {
    req.app_data::<web::Data<State>>()
        .cloned()
        .ok_or_else(|| CoreError::Internal("the console's state is not mounted".into()).into())
}

fn session_cookie(state: &State, value: String) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path(crate::PREFIX)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.secure_cookies)
        .finish()
}

/// The answer that forgets the session cookie.
pub(crate) fn forget(res: &mut HttpResponse) {
    let mut gone = Cookie::build(COOKIE, "").path(crate::PREFIX).finish();
    gone.make_removal();
    let _ = res.add_cookie(&gone);
}

async fn login_page(req: HttpRequest) -> Result<HttpResponse, ConsoleError> {
    if signed_in(&req).await.is_ok() {
        return Ok(view::see_other("/console/users"));
    }
    view::render(&Login {
        email: String::new(),
        error: None,
        cookie_warning: cookie_refused(&req)?,
    })
}

/// Whether the browser will refuse the `Secure` session cookie: plain HTTP to a host that is
/// not the machine itself (browsers keep `Secure` cookies from `http://localhost` and
/// `http://127.0.0.1`, from nowhere else over HTTP). The sign-in page says so, instead of
/// signing in again and again.
fn cookie_refused(req: &HttpRequest) -> Result<bool, ConsoleError> {
    if !state(req)?.settings.secure_cookies {
        return Ok(false);
    }
    let info = req.connection_info();
    let host = info.host();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let local = matches!(name, "localhost" | "127.0.0.1" | "[::1]") || name.ends_with(".localhost");
    Ok(info.scheme() == "http" && !local)
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

async fn login(
    req: HttpRequest,
    state: web::Data<State>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ConsoleError> {
    same_site(&req)?;
    let LoginForm { email, password } = form.into_inner();
    let core = state.core.clone();
    let (who, o) = (email.clone(), origin(&req, Channel::Console));
    let found = blocking(move || {
        core.auth
            .login_where(&who, &password, &o, |role| role == Role::Admin)
    })
    .await;
    let warning = cookie_refused(&req)?;
    let refused = |status, text: &str| {
        view::render_status(
            status,
            &Login {
                email: email.clone(),
                error: Some(text.to_owned()),
                cookie_warning: warning,
            },
        )
    };
    let user = match found {
        Ok(user) => user,
        Err(CoreError::Unauthenticated(_)) => {
            return refused(
                actix_web::http::StatusCode::UNAUTHORIZED,
                "The email or the password is wrong, or this account may not use the console.",
            );
        }
        Err(CoreError::RateLimited { retry_after }) => {
            return refused(
                actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed attempts. Try again in {} seconds.",
                    retry_after.as_secs().max(1)
                ),
            );
        }
        Err(e) => return Err(e.into()),
    };
    let issued = state.tokens.issue(
        AUDIENCE,
        user.id,
        user.credentials_version,
        state.settings.idle_timeout,
    )?;
    let mut res = view::see_other("/console/users");
    res.add_cookie(&session_cookie(&state, issued.token))
        .map_err(|e| CoreError::Internal(format!("session cookie: {e}")))?;
    Ok(res)
}

async fn logout(
    state: web::Data<State>,
    Posted(admin, _): Posted<Only>,
) -> Result<HttpResponse, ConsoleError> {
    let claims = &admin.token.claims;
    let ends = claims
        .iat
        .saturating_add(state.settings.lifetime.as_secs())
        .max(claims.exp);
    let until = chrono::DateTime::from_timestamp(i64::try_from(ends).unwrap_or(i64::MAX), 0)
        .unwrap_or_default()
        .naive_utc()
        + Duration::from_secs(60);
    let (core, jti) = (state.core.clone(), claims.jti.clone());
    blocking(move || core.auth.revoke_token(&jti, until)).await?;
    let mut res = view::see_other("/console/login");
    forget(&mut res);
    Ok(res)
}

/// What the headers middleware adds for a request: a renewed session cookie.
pub(crate) fn renewal(req: &HttpRequest) -> Option<Cookie<'static>> {
    req.extensions().get::<Renewal>().map(|r| r.0.clone())
}
