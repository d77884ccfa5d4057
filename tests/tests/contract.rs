//! Files the project commits that must agree with the code: the OpenAPI documents and the
//! compose file.

use std::path::PathBuf;

fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

#[test]
fn committed_openapi_documents_match_the_code() {
    for (name, doc) in [
        ("email-keyed", usergate_dialect_email_keyed::openapi()),
        ("dreamfactory", usergate_dialect_dreamfactory::openapi()),
        ("domo", usergate_dialect_domo::openapi()),
        ("generic", usergate_dialect_generic::openapi()),
    ] {
        let generated = doc.to_pretty_json().expect("json");
        let path = repo_file(&format!("openapi/{name}.json"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed.trim_end() == generated.trim_end(),
            "{} is stale: run `cargo run -- openapi {name} > openapi/{name}.json`",
            path.display()
        );
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
