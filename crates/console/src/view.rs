//! The pages' templates (`templates/`, checked at compile time, every value escaped) and what
//! they share: the navigation, options of a select, times, notices.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use askama::Template;
use chrono::NaiveDateTime;

use crate::ConsoleError;

/// What the top of every signed-in page needs.
pub struct Nav {
    /// The section shown (`users`, `groups`, `credentials`, `webhooks`, `audit`).
    pub section: &'static str,
    /// The session's CSRF token (the sign-out form carries it).
    pub csrf: String,
}

/// One option of a select (or one checkbox).
pub struct Opt {
    /// The value sent.
    pub value: String,
    /// What the admin reads.
    pub label: String,
    /// Whether it is chosen.
    pub on: bool,
}

impl Opt {
    /// Options from (value, label) pairs, `chosen` selected.
    pub fn list<'a>(all: impl IntoIterator<Item = (&'a str, &'a str)>, chosen: &str) -> Vec<Opt> {
        all.into_iter()
            .map(|(value, label)| Opt {
                value: value.to_owned(),
                label: label.to_owned(),
                on: value == chosen,
            })
            .collect()
    }
}

/// A time as the pages show it (UTC, to the minute).
pub fn when(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A count with thousands separators (`1,000,000`).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An optional time, or a dash.
pub fn when_opt(t: Option<&NaiveDateTime>) -> String {
    t.map_or_else(|| "–".to_owned(), when)
}

/// The message of a `done=` key a change redirects with (a fixed list: nothing a link carries
/// reaches the page).
pub fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => "Created.",
        "saved" => "Saved.",
        "status" => "The status is changed.",
        "password" => "The password is set. The user's sessions and keys have ended.",
        "reset" => "A password reset link is on its way.",
        "invited" => "A new invitation is on its way.",
        "group_added" => "Added to the group.",
        "group_removed" => "Removed from the group.",
        "deleted" => "Deleted.",
        "revoked" => "Revoked.",
        "member_added" => "The member is added.",
        "member_removed" => "The member is removed.",
        "tested" => "The test message was sent.",
        _ => return None,
    })
}

/// `path?query` with the pairs that have a value (a page link that keeps a search's filters).
pub fn link(path: &str, pairs: &[(&str, Option<&str>)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    match serde_urlencoded::to_string(kept) {
        Ok(query) if !query.is_empty() => format!("{path}?{query}"),
        _ => path.to_owned(),
    }
}

/// Renders a page with 200.
pub fn render(page: &impl Template) -> Result<HttpResponse, ConsoleError> {
    render_status(StatusCode::OK, page)
}

/// Renders a page with `status`.
pub fn render_status(
    status: StatusCode,
    page: &impl Template,
) -> Result<HttpResponse, ConsoleError> {
    let html = page
        .render()
        .map_err(|e| usergate_core::CoreError::Internal(format!("rendering a page: {e}")))?;
    Ok(HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .body(html))
}

/// `303 See Other` to `location` (after a POST, so that reloading does not send it again).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct Login {
    /// The address typed (kept after a failure).
    pub email: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// The browser will refuse the session cookie (plain HTTP, not the local machine).
    pub cookie_warning: bool,
}

/// A page that says what went wrong.
#[derive(Template)]
#[template(path = "error.html")]
pub struct Problem {
    /// The heading.
    pub title: &'static str,
    /// What happened, in words.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }

    #[test]
    fn links_keep_what_has_a_value() {
        assert_eq!(
            link(
                "/console/users",
                &[
                    ("q", Some("a b&c")),
                    ("role", None),
                    ("status", Some("")),
                    ("page", Some("2"))
                ]
            ),
            "/console/users?q=a+b%26c&page=2"
        );
        assert_eq!(link("/console/users", &[("q", None)]), "/console/users");
    }

    #[test]
    fn notices_come_from_a_fixed_list() {
        assert_eq!(notice(Some("saved")), Some("Saved."));
        assert_eq!(notice(Some("<script>")), None);
        assert_eq!(notice(None), None);
    }
}
