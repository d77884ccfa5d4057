//! Files the project commits that must agree with the code: the OpenAPI documents and the
//! compose file.

use std::path::PathBuf;

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// Each dialect's name and OpenAPI document as the code generates it (pretty JSON, as committed).
fn documents() -> Vec<(&'static str, String)> {
    [
        ("email-keyed", usergate_dialect_email_keyed::openapi()),
        ("dreamfactory", usergate_dialect_dreamfactory::openapi()),
        ("domo", usergate_dialect_domo::openapi()),
        ("generic", usergate_dialect_generic::openapi()),
        ("scim", usergate_dialect_scim::openapi()),
    ]
    .into_iter()
    .map(|(name, doc)| (name, doc.to_pretty_json().expect("json")))
    .collect()
}

#[test]
fn committed_openapi_documents_match_the_code() {
    for (name, generated) in documents() {
        let path = repo_file(&format!("openapi/{name}.json"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed.trim_end() == generated.trim_end(),
            "{} is stale: run `cargo run -- openapi {name} > openapi/{name}.json`",
            path.display()
        );
    }
}

/// What someone exploring an API in Swagger UI needs: every document declares its security
/// schemes, every operation that takes a credential names one it declares, and every request
/// body carries an example (on the body or on its schema), so that "Try it out" starts from a
/// request that works rather than from `"string"` placeholders.
#[test]
fn every_document_has_security_schemes_and_example_bodies() {
    use serde_json::Value;
    for (name, doc) in documents() {
        let doc: Value = serde_json::from_str(&doc).expect("json");
        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(!schemes.is_empty(), "{name}: no security scheme");
        let schema_example = |schema: &Value| {
            let resolved = schema["$ref"]
                .as_str()
                .and_then(|r| r.rsplit('/').next())
                .map_or(schema, |n| &doc["components"]["schemas"][n]);
            !resolved["example"].is_null() || !schema["example"].is_null()
        };
        let paths = doc["paths"].as_object().expect("paths");
        for (path, ops) in paths {
            for (method, op) in ops.as_object().expect("operations") {
                for requirement in op["security"].as_array().into_iter().flatten() {
                    for scheme in requirement.as_object().expect("requirement").keys() {
                        assert!(
                            schemes.contains_key(scheme),
                            "{name} {method} {path}: undeclared scheme {scheme}"
                        );
                    }
                }
                for (content_type, content) in op["requestBody"]["content"]
                    .as_object()
                    .into_iter()
                    .flatten()
                {
                    let has = !content["example"].is_null()
                        || !content["examples"].is_null()
                        || schema_example(&content["schema"]);
                    assert!(
                        has,
                        "{name} {method} {path} ({content_type}): a request body without an example"
                    );
                }
            }
        }
    }
}

#[test]
fn the_compose_file_parses_and_names_both_services() {
    let text = std::fs::read_to_string(repo_file("docker-compose.yml")).expect("compose file");
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).expect("valid YAML");
    let services = &docs[0]["services"];
    for name in ["usergate", "postgres"] {
        assert!(!services[name].is_badvalue(), "service {name} missing");
    }
    assert!(
        services["usergate"]["environment"]["USERGATE_DATABASE_URL"]
            .as_str()
            .is_some_and(|u| u.starts_with("postgres://")),
        "usergate runs on the postgres service"
    );
    assert!(!services["postgres"]["healthcheck"].is_badvalue());
    assert!(!docs[0]["volumes"].is_badvalue(), "a named volume");
    assert!(repo_file("Dockerfile").exists());
}
