//! `/docs`: Swagger UI's files, compiled into the binary (no CDN: it works offline), reading
//! `/openapi.json`.

use axum::Router;
use swagger_ui_dist::{ApiDefinition, OpenApiSource};

/// `/docs` and the files its page loads.
pub fn routes() -> Router {
    swagger_ui_dist::generate_routes(ApiDefinition {
        uri_prefix: "/docs",
        api_definition: OpenApiSource::Uri("/openapi.json"),
        title: Some("xp API"),
    })
}
