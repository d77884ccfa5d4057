//! Contract fuzzing: schemathesis (pinned in `tests/python/requirements.txt`) generates requests
//! from a dialect's committed OpenAPI document and checks every answer against it, on a real
//! server, authenticated, on PostgreSQL and SQLite: no 5xx, no answer the document does not
//! allow, no valid request refused, no invalid one accepted. A fixed seed, no example database
//! and a bounded number of examples keep CI repeatable and short; raise `USERGATE_FUZZ_EXAMPLES` by hand for longer.

use usergate_tests::smtp::SmtpSink;
use usergate_tests::{ADMIN_EMAIL, TestApp, both_backends, test_python};

fn examples() -> String {
    std::env::var("USERGATE_FUZZ_EXAMPLES").unwrap_or_else(|_| "40".into())
}

/// Runs schemathesis against `document` with one auth header; panics with its report on failure.
async fn fuzz(app: &TestApp, document: &str, header: String, extra: &[&str]) {
    let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    let python = test_python();
    let url = format!("http://{}", app.addr);
    let doc = format!("{}/../openapi/{document}", env!("CARGO_MANIFEST_DIR"));
    let examples = examples();
    let out = actix_web::web::block(move || {
        std::process::Command::new(python)
            .args([
                "-m",
                "schemathesis.cli",
                "--no-color",
                "run",
                &doc,
                "--url",
                &url,
            ])
            .args(["-H", &header])
            .args(["--max-examples", &examples, "--seed", "20261125"])
            // No examples kept from earlier runs: each run is the seed's alone.
            .args(["--generation-database", "none"])
            .args(&extra)
            .output()
    })
    .await
    .expect("blocking task")
    .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems in {document}:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

both_backends! {
    async fn the_generic_dialect_keeps_its_document(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.api_key(ADMIN_EMAIL, None);
        // No stateful phase: schemathesis 4.32.5 infers links from `POST /v1/users`' Location
        // header onto `/v1/webhooks/{webhook_id}` with the users' parameter name, and refuses
        // the document before any stateful test runs. Every operation is still fuzzed.
        let phases = ["--phases", "examples,coverage,fuzzing"];
        fuzz(&app, "generic.json", format!("Authorization: Bearer {key}"), &phases).await;
        app.stop().await;
    }

    async fn the_email_keyed_dialect_keeps_its_document(kind) {
        let app = TestApp::spawn(kind).await;
        let token = app.admin_token().await;
        fuzz(&app, "email-keyed.json", format!("Authorization: Bearer {token}"), &[]).await;
        app.stop().await;
    }

    async fn the_dreamfactory_dialect_keeps_its_document(kind) {
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let token = app.df_admin_session().await;
        // Two checks do not fit DreamFactory by design: `ignored_auth` wants 401 for a missing
        // credential (DreamFactory answers 400, and logout succeeds without one), and
        // `positive_data_acceptance` wants valid records accepted, but a batch with one failing
        // record (a generator repeats its example email, taken the second time) is DreamFactory's
        // 400 batch error, and POST by id is always refused. Every other check runs.
        fuzz(
            &app,
            "dreamfactory.json",
            format!("X-DreamFactory-Session-Token: {token}"),
            &["--exclude-checks", "ignored_auth,positive_data_acceptance"],
        )
        .await;
        app.stop().await;
    }

    async fn the_scim_dialect_keeps_its_document(kind) {
        let app = TestApp::spawn(kind).await;
        let key = app.scim_key(ADMIN_EMAIL);
        // `positive_data_acceptance` wants every schema-valid request accepted, but what makes
        // a SCIM request valid is not all in a schema: a filter is a grammar, a userName that
        // is no address needs an email, members must be users that exist. Every other check
        // runs; scim2-tester checks the resources themselves.
        fuzz(
            &app,
            "scim.json",
            format!("Authorization: Bearer {key}"),
            &["--exclude-checks", "positive_data_acceptance"],
        )
        .await;
        app.stop().await;
    }

    async fn the_domo_dialect_keeps_its_document(kind) {
        // With mail on, so that `sendInvite=true` creates users rather than answering 503.
        let sink = SmtpSink::start();
        let app = TestApp::spawn_with_mail(kind, &sink, &[]).await;
        let (id, secret) = app.domo_client(ADMIN_EMAIL, &["user"]);
        let token = app.domo_token(&id, &secret).await;
        // `use_after_free` expects a deleted resource to be gone, but Domo's GET of a deleted
        // user answers its `deleted: true` shape by design (documented as a 200 response).
        fuzz(
            &app,
            "domo.json",
            format!("Authorization: Bearer {token}"),
            &["--exclude-checks", "use_after_free"],
        )
        .await;
        app.stop().await;
    }
}
