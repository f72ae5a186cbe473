//! What handlers take from a request, refused the way FastAPI refuses it: the experiment a path
//! names ([`Ref`]), and a write's JSON object ([`JsonBody`]).

use std::ops::Deref;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde_json::{Map, Value};

use crate::serve::error::ApiError;
use crate::serve::json;
use crate::serve::state::MAX_BODY;

/// The experiment the path names: an id, a slug or an id prefix, never a path (404 otherwise).
#[derive(Debug, Clone)]
pub struct Ref(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Ref {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Ref, ApiError> {
        let Path(r) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::detail(StatusCode::NOT_FOUND, "Not Found"))?;
        if r.contains(['/', '\\', '\0']) || r.ends_with(".yaml") || r.ends_with(".yml") {
            return Err(ApiError::detail(
                StatusCode::NOT_FOUND,
                format!("no experiment matches `{r}`"),
            ));
        }
        Ok(Ref(r))
    }
}

/// A write's body: one JSON object, sent as JSON (415 otherwise), at most [`MAX_BODY`] bytes
/// (413 otherwise), read strictly by [`json::object`] (422 otherwise).
#[derive(Debug, Clone)]
pub struct JsonBody(pub Map<String, Value>);

impl Deref for JsonBody {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<JsonBody, ApiError> {
        let headers = req.headers();
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .map(|h| {
                h.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|t| {
                t == "application/json" || (t.starts_with("application/") && t.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "{} needs a JSON body: send `Content-Type: application/json`",
                    req.method()
                ),
            ));
        }
        let too_large = || {
            ApiError::detail(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over {MAX_BODY} bytes"),
            )
        };
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY as u64) {
            return Err(too_large());
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|_| too_large())?;
        Ok(JsonBody(json::object(&bytes)?))
    }
}
