//! The API documents and Swagger UI at `/docs/`.
//!
//! Each dialect's OpenAPI document is built and serialized once, when the server starts, and
//! shared by every worker (`web::Bytes` is reference-counted). Handing utoipa-swagger-ui the
//! documents themselves would have each worker build and keep its own copy of all five: 4.4 MB
//! of idle memory per worker.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::{Config, SwaggerUi, Url};

use usergate_dialect_domo as domo;
use usergate_dialect_dreamfactory as dreamfactory;
use usergate_dialect_email_keyed as email_keyed;
use usergate_dialect_generic as generic;
use usergate_dialect_scim as scim;

/// The documents' names and paths, in Swagger UI's order.
const PATHS: [(&str, &str); 5] = [
    ("email-keyed", "/docs/openapi/email-keyed.json"),
    ("dreamfactory", "/docs/openapi/dreamfactory.json"),
    ("domo", "/docs/openapi/domo.json"),
    ("generic", "/docs/openapi/generic.json"),
    ("scim", "/docs/openapi/scim.json"),
];

/// Every dialect's document as JSON, by name (`/docs/openapi/{name}.json`).
#[derive(Clone)]
pub struct Documents(std::sync::Arc<Vec<(&'static str, web::Bytes)>>);

impl Documents {
    /// Builds and serializes the five documents.
    pub fn build() -> Result<Self, serde_json::Error> {
        let all = [
            email_keyed::openapi(),
            dreamfactory::openapi(),
            domo::openapi(),
            generic::openapi(),
            scim::openapi(),
        ];
        let mut docs = Vec::with_capacity(all.len());
        for ((name, _), doc) in PATHS.iter().zip(all) {
            docs.push((*name, web::Bytes::from(serde_json::to_vec(&doc)?)));
        }
        Ok(Documents(std::sync::Arc::new(docs)))
    }

    /// Mounts the documents and Swagger UI, which offers them in this order.
    pub fn configure(self) -> impl FnOnce(&mut web::ServiceConfig) {
        move |cfg| {
            let urls = PATHS.iter().map(|(name, path)| Url::new(name, path));
            // Before Swagger UI's own route, which would take every path under /docs/.
            cfg.app_data(web::Data::new(self))
                .route("/docs/openapi/{name}.json", web::get().to(document))
                .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(urls)));
        }
    }
}

async fn document(docs: web::Data<Documents>, name: web::Path<String>) -> HttpResponse {
    match docs.0.iter().find(|(n, _)| *n == name.as_str()) {
        Some((_, json)) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(json.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}
