//! Driving the admin console over plain HTTP, as a browser does: its session cookie, the CSRF
//! token of its pages, forms.

use awc::Client;
use awc::http::Method;

use crate::{Reply, TestApp};

/// A client that does not follow redirects (the console answers a change with 303).
pub fn client() -> Client {
    Client::builder()
        .disable_redirects()
        .timeout(std::time::Duration::from_secs(60))
        .finish()
}

/// A browser's view of one console session.
pub struct Session {
    /// The session cookie's value.
    pub cookie: String,
}

/// Signs in; the answer, and the session when the sign-in set one.
pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> (Reply, Option<Session>) {
    let res = client()
        .post(app.url("/console/login"))
        .send_form(&[("email", email), ("password", password)])
        .await
        .expect("sign in");
    // `usergate_console=<value>; HttpOnly; ...` (the test reads only its own cookie).
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.split(';').next()?.strip_prefix("usergate_console="))
        .map(str::to_owned)
        .filter(|v| !v.is_empty());
    (
        Reply::read(res).await,
        cookie.map(|cookie| Session { cookie }),
    )
}

/// The `Set-Cookie` header the sign-in answered with.
pub fn set_cookie(reply: &Reply) -> Option<String> {
    reply.header("set-cookie").map(str::to_owned)
}

impl Session {
    /// Signs in as `email` (panics unless it worked).
    pub async fn of(app: &TestApp, email: &str, password: &str) -> Session {
        let (reply, session) = sign_in(app, email, password).await;
        session.unwrap_or_else(|| panic!("sign-in of {email}: {} {}", reply.status, reply.body))
    }

    /// The session as the browser holds it after `reply` (a renewed cookie replaces the old).
    pub fn renewed(&self, reply: &Reply) -> Session {
        let cookie = reply
            .headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.split(';').next()?.strip_prefix("usergate_console="))
            .filter(|v| !v.is_empty())
            .map_or_else(|| self.cookie.clone(), str::to_owned);
        Session { cookie }
    }

    /// A GET of a console page.
    pub async fn get(&self, app: &TestApp, path: &str) -> Reply {
        let res = client()
            .request(Method::GET, app.url(path))
            .insert_header(("Cookie", format!("usergate_console={}", self.cookie)))
            .send()
            .await
            .expect("get");
        Reply::read(res).await
    }

    /// The CSRF token of a page this session sees.
    pub async fn csrf(&self, app: &TestApp, path: &str) -> String {
        let page = self.get(app, path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        csrf_of(&html(&page))
    }

    /// POSTs a form with extra headers.
    pub async fn post_with(
        &self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = client()
            .request(Method::POST, app.url(path))
            .insert_header(("Cookie", format!("usergate_console={}", self.cookie)));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        Reply::read(req.send_form(&form).await.expect("post")).await
    }

    /// POSTs a form (the caller puts the CSRF token in, or not).
    pub async fn post(&self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> Reply {
        self.post_with(app, path, form, &[]).await
    }
}

/// The page's HTML.
pub fn html(r: &Reply) -> String {
    r.body
        .as_str()
        .unwrap_or_else(|| panic!("not HTML: {}", r.body))
        .to_owned()
}

/// The first CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no CSRF token in the page"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').expect("end of token")].to_owned()
}
