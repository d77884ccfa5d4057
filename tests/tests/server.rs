//! The server around the dialects: health, readiness, docs, request ids.

use awc::http::Method;
use usergate_tests::{TestApp, both_backends};

both_backends! {
    async fn health_readiness_and_docs_are_served(kind) {
        let app = TestApp::spawn(kind).await;
        let r = app.call(Method::GET, "/healthz", None, None).await;
        assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ok")));
        let r = app.call(Method::GET, "/readyz", None, None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["database"], kind);
        assert!(r.header("x-request-id").is_some_and(|id| id.len() == 16));
        let r = app.call(Method::GET, "/docs/", None, None).await;
        assert_eq!(r.status, 200);
        assert!(r.body.as_str().is_some_and(|html| html.contains("swagger")));
        let r = app.call(Method::GET, "/docs/openapi/email-keyed.json", None, None).await;
        assert_eq!(r.status, 200);
        assert!(r.body["paths"]["/api/users/{email}"].is_object());
        app.stop().await;
    }
}
