//! `GET`/`POST /oauth/token`: the client-credentials grant, as every Domo SDK asks for it:
//! HTTP Basic `client_id:client_secret`; `grant_type` and `scope` in the query string or in a
//! form body (a body value wins).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use usergate_core::machine::CredentialKind;
use usergate_core::{CoreError, Role};
use usergate_web::tokens::ClientGrant;
use usergate_web::{basic_credentials, blocking, client_ip};
use utoipa::ToSchema;

use crate::State;
use crate::auth::{AUDIENCE, EARLY};
use crate::error::{OAuthError, OAuthErrorBody};
use crate::wire::role_of;

/// The one grant this endpoint serves.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// OAuth client credentials.
    ClientCredentials,
}

/// `grant_type` and `scope`.
#[derive(Debug, Default, Deserialize)]
pub struct TokenParams {
    /// Must be `client_credentials`.
    pub grant_type: Option<String>,
    /// Space-separated scopes (all of the client's when absent).
    pub scope: Option<String>,
}

/// The token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// A JWT with a numeric `exp` (Domo's SDKs read it to know when to refresh).
    #[serde(rename = "access_token")]
    pub access_token: String,
    /// `bearer`.
    #[serde(rename = "token_type")]
    pub token_type: &'static str,
    /// Seconds the token is accepted for.
    #[serde(rename = "expires_in")]
    pub expires_in: u64,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// The owner's Domo role.
    pub role: &'static str,
    /// The owner's id.
    pub user_id: i64,
    /// Always `usergate`.
    pub customer: &'static str,
    /// The token's id.
    pub jti: String,
}

async fn issue(
    state: web::Data<State>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    // Read here rather than by an extractor, so that a malformed query string gets the OAuth
    // error body like every other refusal of this endpoint.
    let query = web::Query::<TokenParams>::from_query(req.query_string()).map_err(|_| {
        OAuthError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The query string could not be read",
        )
    })?;
    let form = if body.is_empty() {
        TokenParams::default()
    } else {
        std::str::from_utf8(&body)
            .ok()
            .and_then(|b| web::Query::<TokenParams>::from_query(b).ok())
            .map(web::Query::into_inner)
            .ok_or_else(|| {
                OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The body must be application/x-www-form-urlencoded",
                )
            })?
    };
    let query = query.into_inner();
    let grant_type = form.grant_type.or(query.grant_type);
    let scope = form.scope.or(query.scope);
    match grant_type.as_deref() {
        Some("client_credentials") => {}
        None => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing grant type",
            ));
        }
        Some(_) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only client_credentials is supported",
            ));
        }
    }
    let requested: Option<Vec<String>> = scope
        .map(|s| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|s| !s.is_empty());
    let ip = client_ip(&req);
    let Some((id, secret)) = basic_credentials(&req) else {
        state.core.auth.anonymous_request(ip)?;
        return Err(CoreError::Unauthenticated(usergate_core::AuthFailure::Missing).into());
    };
    let core = state.core.clone();
    let granted = blocking(move || {
        core.auth.authenticate_credential(
            CredentialKind::OAuthClient,
            &id,
            &secret,
            requested.as_deref(),
            ip,
        )
    })
    .await?;
    let ttl = state.settings.token_ttl;
    let issued = state.tokens.issue_with(
        AUDIENCE,
        granted.principal.id,
        granted.principal.credentials_version,
        ttl,
        Some(ClientGrant {
            client_id: &granted.credential.id,
            scopes: &granted.scopes,
            // Short lifetimes (tests) keep at least half of their time in `exp`.
            early: EARLY.min(ttl / 2),
        }),
    )?;
    let role: Role = granted.principal.role;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: issued.token,
            token_type: "bearer",
            expires_in: ttl.as_secs(),
            scope: granted.scopes.join(" "),
            role: role_of(role).0,
            user_id: granted.principal.id.get(),
            customer: "usergate",
            jti: issued.claims.jti,
        }))
}

/// Issues an access token for an OAuth client.
#[utoipa::path(post, path = "/domo/oauth/token", tag = "oauth",
    params(
        ("grant_type" = GrantType, Query, description = "client_credentials (or in a form body)"),
        ("scope" = Option<String>, Query, pattern = "^[a-z]+( [a-z]+)*$", description = "Space-separated scopes (account, audit, buzz, dashboard, data, user); all of the client's when absent; one the client lacks is 400 invalid_scope"),
    ),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "Optional: grant_type=client_credentials&scope=user",
        example = "grant_type=client_credentials&scope=user"),
    security(("client_basic" = [])),
    responses(
        (status = 200, description = "The token", body = TokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = OAuthErrorBody),
        (status = 401, description = "Bad client credentials", body = OAuthErrorBody),
        (status = 429, description = "Too many failed attempts", body = OAuthErrorBody),
    ))]
pub async fn token(
    state: web::Data<State>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, OAuthError> {
    issue(state, req, body).await
}

/// Issues an access token for an OAuth client (Domo's docs and several SDKs use `GET`).
#[utoipa::path(get, path = "/domo/oauth/token", tag = "oauth",
    params(
        ("grant_type" = GrantType, Query, description = "client_credentials (or in a form body)"),
        ("scope" = Option<String>, Query, pattern = "^[a-z]+( [a-z]+)*$", description = "Space-separated scopes (account, audit, buzz, dashboard, data, user); all of the client's when absent; one the client lacks is 400 invalid_scope"),
    ),
    security(("client_basic" = [])),
    responses(
        (status = 200, description = "The token", body = TokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = OAuthErrorBody),
        (status = 401, description = "Bad client credentials", body = OAuthErrorBody),
        (status = 429, description = "Too many failed attempts", body = OAuthErrorBody),
    ))]
pub async fn token_get(
    state: web::Data<State>,
    req: HttpRequest,
) -> Result<HttpResponse, OAuthError> {
    issue(state, req, web::Bytes::new()).await
}
