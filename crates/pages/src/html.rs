//! The HTML of the pages: one layout, forms that work without JavaScript and on a phone, every
//! value escaped.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};

pub use usergate_mail::escape_html as escape;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#f5f5f5;color:#222}\
main{max-width:26rem;margin:2rem auto;background:#fff;padding:1.5rem;border-radius:8px;box-shadow:0 1px 3px #0002}\
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:1rem 0 .3rem;font-weight:600}\
input{box-sizing:border-box;width:100%;padding:.7rem;font-size:1rem;border:1px solid #999;border-radius:4px}\
button{margin-top:1.2rem;width:100%;padding:.8rem;font-size:1rem;border:0;border-radius:4px;background:#1d5fbf;color:#fff}\
.error{background:#fde8e8;border:1px solid #d33;padding:.7rem;border-radius:4px}\
.note{color:#555;font-size:.9rem}";

/// A whole page with this status, title and body (already HTML).
pub fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head>\
         <body><main><h1>{title}</h1>\n{body}\n</main></body></html>\n",
        title = escape(title),
    );
    let mut res = HttpResponse::build(status);
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        // The code travels in the link: never hand it to another site.
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    ] {
        res.insert_header((name, HeaderValue::from_static(value)));
    }
    res.body(html)
}

/// A paragraph, escaped.
pub fn para(text: &str) -> String {
    format!("<p>{}</p>", escape(text))
}

/// An error box, escaped.
pub fn error(text: &str) -> String {
    format!("<p class=\"error\" role=\"alert\">{}</p>", escape(text))
}

/// The form that sets a password with a code.
pub fn password_form(
    action: &str,
    email: &str,
    code: &str,
    min_chars: usize,
    button: &str,
) -> String {
    format!(
        "<form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"code\" value=\"{code}\">\
         <label for=\"email\">Email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" value=\"{email}\" readonly autocomplete=\"username\">\
         <label for=\"password\">New password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" required minlength=\"{min_chars}\" autocomplete=\"new-password\">\
         <label for=\"password_confirm\">Repeat it</label>\
         <input id=\"password_confirm\" name=\"password_confirm\" type=\"password\" required minlength=\"{min_chars}\" autocomplete=\"new-password\">\
         <p class=\"note\">At least {min_chars} characters.</p>\
         <button type=\"submit\">{button}</button></form>",
        action = escape(action),
        code = escape(code),
        email = escape(email),
        button = escape(button),
    )
}

/// The form that asks for a reset link.
pub fn forgot_form() -> String {
    "<form method=\"post\" action=\"/password/forgot\">\
     <label for=\"email\">Email</label>\
     <input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"email\">\
     <button type=\"submit\">Send me a link</button></form>"
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_a_user_wrote_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let form = password_form("/invite/accept", "\"><script>", "c\"", 10, "Go");
        assert!(!form.contains("<script>"));
        assert!(form.contains("value=\"&quot;&gt;&lt;script&gt;\""));
    }
}
