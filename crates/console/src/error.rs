//! The console's one error type, and the page each error becomes.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use usergate_core::{Conflict, CoreError, Denied};

use crate::view::{self, Problem};

/// Why a console request failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// Core refused or failed.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// No live session: the browser goes to the sign-in page.
    #[error("not signed in")]
    SignedOut,
    /// A change without this session's CSRF token, or sent by another site.
    #[error("the form's token is missing or is not this session's")]
    Forgery,
    /// A form or a query that could not be read.
    #[error("the form could not be read")]
    BadForm,
    /// A value the page checks before core sees it (a confirmation, two passwords).
    #[error("{0}")]
    Input(String),
}

impl ConsoleError {
    /// The status, heading and text of the page this error becomes.
    pub(crate) fn page(&self) -> (StatusCode, &'static str, String) {
        use StatusCode as S;
        match self {
            ConsoleError::SignedOut => (S::UNAUTHORIZED, "Signed out", String::new()),
            ConsoleError::Forgery => (
                S::FORBIDDEN,
                "This form has expired",
                "The form was not sent from this session's page. Open the page again and repeat \
                 the change."
                    .into(),
            ),
            ConsoleError::BadForm => (
                S::BAD_REQUEST,
                "Something is wrong",
                "The form could not be read.".into(),
            ),
            ConsoleError::Input(text) => (S::BAD_REQUEST, "Not done", text.clone()),
            ConsoleError::Core(e) => core_page(e),
        }
    }
}

fn core_page(e: &CoreError) -> (StatusCode, &'static str, String) {
    use StatusCode as S;
    match e {
        CoreError::Validation(fields) => (
            S::BAD_REQUEST,
            "Not done",
            fields
                .iter()
                .map(|f| format!("{}: {}.", f.field.replace('_', " "), f.problem))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        CoreError::NotFound => (
            S::NOT_FOUND,
            "Not found",
            "There is nothing here, or it was deleted.".into(),
        ),
        CoreError::GroupNotFound => (S::NOT_FOUND, "Not found", "No such group.".into()),
        CoreError::Conflict(c) => (S::CONFLICT, "Not done", conflict(*c)),
        CoreError::Forbidden(d) => (S::FORBIDDEN, "Not allowed", denied(d)),
        CoreError::Unauthenticated(_) => (S::UNAUTHORIZED, "Signed out", String::new()),
        CoreError::RateLimited { retry_after } => (
            S::TOO_MANY_REQUESTS,
            "Too many requests",
            format!("Try again in {} seconds.", retry_after.as_secs().max(1)),
        ),
        CoreError::MailUnavailable(_) => (
            S::SERVICE_UNAVAILABLE,
            "Mail is off",
            "This server has no mail server configured (--smtp-url), so it cannot send \
             invitations or reset links."
                .into(),
        ),
        CoreError::MailFailed(_) => (
            S::BAD_GATEWAY,
            "The mail was not sent",
            "The mail server refused the message or could not be reached; nothing was changed."
                .into(),
        ),
        CoreError::CodeExpired => (S::GONE, "Expired", "The code has expired.".into()),
        CoreError::Internal(detail) => {
            tracing::error!(error = %detail, "console request failed");
            (
                S::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server failed; the log says why.".into(),
            )
        }
    }
}

fn conflict(c: Conflict) -> String {
    let mut text = c.to_string();
    if let Some(first) = text.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    text.push('.');
    text
}

fn denied(d: &Denied) -> String {
    match d {
        Denied::NotAdmin => "Only an active admin may do this.",
        Denied::Scope => "The credential was not granted this.",
        Denied::OwnAccount => "No one deletes their own account: ask another admin.",
        Denied::WrongKind => "This user is not of the kind this page manages.",
    }
    .to_owned()
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        self.page().0
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(
            self,
            ConsoleError::SignedOut | ConsoleError::Core(CoreError::Unauthenticated(_))
        ) {
            let mut res = view::see_other("/console/login");
            crate::session::forget(&mut res);
            return res;
        }
        let (status, title, message) = self.page();
        let page = Problem {
            title,
            message: message.clone(),
        };
        view::render_status(status, &page).unwrap_or_else(|_| {
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(message)
        })
    }
}
