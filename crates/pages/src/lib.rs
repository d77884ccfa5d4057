//! usergate's own pages: `/invite/accept` (an invited user sets a password), `/password/forgot`
//! (asks for a reset link) and `/password/reset` (sets a new password with it). Server-rendered
//! HTML with plain forms: no JavaScript, usable on a phone.
//!
//! The code in a link is the authority: it is checked (not used) when the page opens, so an
//! unknown (404) or expired (410) link says so before anyone types a password, and used when
//! the form is sent. The forgot-password answer is the same page, status and timing for known
//! and unknown addresses: the mail is sent after the answer. Every page says `no-store`,
//! `no-referrer` (the code is in the URL), refuses framing, and allows no script.

mod html;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use usergate_core::{Channel, Core, CoreError};
use usergate_web::{blocking, client_ip};

/// What the pages need.
#[derive(Clone)]
pub struct State {
    /// The core services.
    pub core: Core,
}

/// Which page sets the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Invitation,
    Reset,
}

impl Purpose {
    fn path(self) -> &'static str {
        match self {
            Purpose::Invitation => "/invite/accept",
            Purpose::Reset => "/password/reset",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Purpose::Invitation => "Accept your invitation",
            Purpose::Reset => "Choose a new password",
        }
    }
}

/// The link's query.
#[derive(Debug, Deserialize)]
pub struct Link {
    email: Option<String>,
    code: Option<String>,
}

/// The password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    email: String,
    code: String,
    password: String,
    password_confirm: String,
}

/// The forgot-password form.
#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    email: String,
}

/// Mounts the pages (their state and form limits stay on their own resources).
pub fn configure(state: State) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let state = web::Data::new(state);
        let resource = |path: &str| {
            web::resource(path).app_data(state.clone()).app_data(
                web::FormConfig::default()
                    .limit(16 * 1024)
                    .error_handler(|_, _| BadForm.into()),
            )
        };
        cfg.service(
            resource("/invite/accept")
                .route(web::get().to(accept_page))
                .route(web::post().to(accept_submit)),
        )
        .service(
            resource("/password/reset")
                .route(web::get().to(reset_page))
                .route(web::post().to(reset_submit)),
        )
        .service(
            resource("/password/forgot")
                .route(web::get().to(forgot_page))
                .route(web::post().to(forgot_submit)),
        );
    }
}

/// An unreadable form, as a page (what the form extractor answers).
#[derive(Debug)]
struct BadForm;

impl std::fmt::Display for BadForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the form could not be read")
    }
}

impl actix_web::ResponseError for BadForm {
    fn status_code(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }

    fn error_response(&self) -> HttpResponse {
        html::page(
            StatusCode::BAD_REQUEST,
            "Something is wrong",
            &html::error("The form could not be read. Open the link from your email again."),
        )
    }
}

fn link_problem(purpose: Purpose, e: &CoreError) -> HttpResponse {
    let (status, text) = match e {
        CoreError::NotFound => (
            StatusCode::NOT_FOUND,
            "This link is not valid: it may have been used already, or replaced by a newer one.",
        ),
        CoreError::CodeExpired => (
            StatusCode::GONE,
            match purpose {
                Purpose::Invitation => {
                    "This invitation has expired. Ask the person who invited you to send a new one."
                }
                Purpose::Reset => "This link has expired. Ask for a new one.",
            },
        ),
        CoreError::RateLimited { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts from your address. Wait a minute and try again.",
        ),
        other => {
            tracing::error!(error = %other, "password page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Try again later.",
            )
        }
    };
    let mut body = html::error(text);
    if purpose == Purpose::Reset && status != StatusCode::TOO_MANY_REQUESTS {
        body.push_str("<p><a href=\"/password/forgot\">Ask for a new link</a></p>");
    }
    html::page(status, purpose.title(), &body)
}

async fn show(purpose: Purpose, state: web::Data<State>, link: web::Query<Link>) -> HttpResponse {
    let (Some(email), Some(code)) = (link.email.clone(), link.code.clone()) else {
        return link_problem(purpose, &CoreError::NotFound);
    };
    let core = state.core.clone();
    let (e, c) = (email.clone(), code.clone());
    match blocking(move || core.users.peek_code(&e, &c)).await {
        Ok(user) => html::page(
            StatusCode::OK,
            purpose.title(),
            &format!(
                "{}{}",
                html::para(&format!(
                    "Hello {}, choose a password for {}.",
                    user.name, user.email
                )),
                html::password_form(
                    purpose.path(),
                    &email,
                    &code,
                    state.core.policy.min_chars(),
                    "Set my password"
                )
            ),
        ),
        Err(e) => link_problem(purpose, &e),
    }
}

async fn submit(
    purpose: Purpose,
    state: web::Data<State>,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let ip = client_ip(&req);
    let limited = usergate_web::limited(&state.core, move |c| c.auth.anonymous_request(ip)).await;
    if let Err(e) = limited.and_then(|r| r) {
        return link_problem(purpose, &e);
    }
    let again = |message: &str| {
        html::page(
            StatusCode::BAD_REQUEST,
            purpose.title(),
            &format!(
                "{}{}",
                html::error(message),
                html::password_form(
                    purpose.path(),
                    &form.email,
                    &form.code,
                    state.core.policy.min_chars(),
                    "Set my password"
                )
            ),
        )
    };
    if form.password != form.password_confirm {
        return again("The two passwords are not the same.");
    }
    let password = match state.core.policy.check("password", &form.password) {
        Ok(p) => p,
        Err(e) => {
            return again(&match e.problem {
                usergate_core::Problem::TooShort { min } => {
                    format!("The password must have at least {min} characters.")
                }
                usergate_core::Problem::TooLong { max } => {
                    format!("The password must be at most {max} bytes.")
                }
                _ => "Choose another password.".to_owned(),
            });
        }
    };
    let core = state.core.clone();
    let (email, code) = (form.email.clone(), form.code.clone());
    let actor = usergate_web::anonymous(&req, Channel::Console);
    match blocking(move || {
        core.users
            .redeem_code(&actor, &email, &code, &password, |_| true)
    })
    .await
    {
        Ok(user) => html::page(
            StatusCode::OK,
            "Your password is set",
            &html::para(&format!(
                "You can now sign in as {} with your new password.",
                user.email
            )),
        ),
        Err(e) => link_problem(purpose, &e),
    }
}

async fn accept_page(state: web::Data<State>, link: web::Query<Link>) -> HttpResponse {
    show(Purpose::Invitation, state, link).await
}

async fn accept_submit(
    state: web::Data<State>,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    submit(Purpose::Invitation, state, req, form).await
}

async fn reset_page(state: web::Data<State>, link: web::Query<Link>) -> HttpResponse {
    show(Purpose::Reset, state, link).await
}

async fn reset_submit(
    state: web::Data<State>,
    req: HttpRequest,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    submit(Purpose::Reset, state, req, form).await
}

const FORGOT: &str = "Forgot your password?";

async fn forgot_page(state: web::Data<State>) -> HttpResponse {
    if state.core.users.invitations_enabled().is_err() {
        return mail_off();
    }
    html::page(
        StatusCode::OK,
        FORGOT,
        &format!(
            "{}{}",
            html::para(
                "Enter the email you sign in with. We will send you a link to choose a new password."
            ),
            html::forgot_form()
        ),
    )
}

fn mail_off() -> HttpResponse {
    html::page(
        StatusCode::SERVICE_UNAVAILABLE,
        FORGOT,
        &html::error(
            "Password reset by email is not available on this server. Ask an administrator.",
        ),
    )
}

async fn forgot_submit(
    state: web::Data<State>,
    req: HttpRequest,
    form: web::Form<ForgotForm>,
) -> HttpResponse {
    if state.core.users.invitations_enabled().is_err() {
        return mail_off();
    }
    let email = form.into_inner().email;
    let (ip, who) = (client_ip(&req), email.clone());
    let limited = usergate_web::limited(&state.core, move |c| c.auth.reset_request(&who, ip)).await;
    if let Err(e) = limited.and_then(|r| r) {
        return link_problem(Purpose::Reset, &e);
    }
    // Answered first, mailed after: the answer and its timing are the same whether or not the
    // address has an account.
    let core = state.core.clone();
    let address = email.clone();
    let actor = usergate_web::anonymous(&req, Channel::Console);
    actix_web::rt::spawn(async move {
        if let Err(e) = blocking(move || core.users.request_password_reset(&actor, &address)).await
        {
            tracing::error!(error = %e, "password reset mail failed");
        }
    });
    html::page(
        StatusCode::OK,
        "Check your email",
        &html::para(&format!(
            "If an account exists for {email}, we have sent it a link to choose a new password. \
             The link works once, for a limited time."
        )),
    )
}
