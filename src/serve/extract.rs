//! What handlers take from a request, refused the way FastAPI refuses it: the experiment a path
//! names ([`Ref`]), a write's JSON object ([`JsonBody`]), an import's experiments
//! ([`ImportBody`]), and the versions a change was made against ([`IfMatch`]).

use std::ops::Deref;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde_json::{Map, Value};

use crate::serve::error::ApiError;
use crate::serve::json;
use crate::serve::state::{MAX_BODY, MAX_IMPORT_BODY};

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
        let bytes = json_bytes(req, MAX_BODY).await?;
        Ok(JsonBody(json::object(&bytes)?))
    }
}

/// An import's body: the experiments as one JSON array (or one object), sent as JSON (415
/// otherwise), at most [`MAX_IMPORT_BODY`] bytes (413 otherwise), read strictly by
/// [`json::value`] (422 otherwise).
#[derive(Debug, Clone)]
pub struct ImportBody {
    pub value: Value,
    /// The body as sent, to show what a problem's place held.
    pub bytes: axum::body::Bytes,
}

impl<S: Send + Sync> FromRequest<S> for ImportBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<ImportBody, ApiError> {
        let bytes = json_bytes(req, MAX_IMPORT_BODY).await?;
        let value = json::value(&bytes, "a JSON array of experiments")?;
        Ok(ImportBody { value, bytes })
    }
}

/// The bytes of a body sent as JSON, at most `limit` of them.
async fn json_bytes(req: Request, limit: usize) -> Result<axum::body::Bytes, ApiError> {
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
            format!("the body is over {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| too_large())
}

/// The versions of a record a change was made against: the entity tags of `If-Match` (a
/// record's `ETag` is its blob id). Empty when the header is absent or `*` (any version).
#[derive(Debug, Clone, Default)]
pub struct IfMatch(pub Vec<String>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<IfMatch, ApiError> {
        let mut tags = Vec::new();
        for value in parts.headers.get_all(header::IF_MATCH) {
            let value = value.to_str().map_err(|_| {
                ApiError::detail(
                    StatusCode::BAD_REQUEST,
                    "If-Match is not readable text; send the ETag the record was read with",
                )
            })?;
            tags.extend(entity_tags(value));
        }
        if tags.iter().any(|t| t == "*") {
            tags.clear();
        }
        Ok(IfMatch(tags))
    }
}

/// The tags of one `If-Match` value, without their quotes; a weak tag keeps its `W/` and so
/// never matches (`If-Match` compares strongly).
fn entity_tags(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(
            |t| match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                Some(inner) => inner.to_owned(),
                None => t.to_owned(),
            },
        )
}

/// The `ETag` of a record's version.
pub fn etag(version: &str) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{HeaderValue, Method};

    use super::*;

    /// What the extractor answers for a JSON object of exactly `len` bytes (8 or more), its
    /// length declared or not.
    fn body_of(len: usize, declared: bool) -> Result<usize, StatusCode> {
        let object = format!("{{\"a\":\"{}\"}}", "x".repeat(len - 8));
        assert_eq!(object.len(), len);
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/experiments")
            .header(header::CONTENT_TYPE, "application/json");
        if declared {
            request = request.header(header::CONTENT_LENGTH, len);
        }
        let request = request
            .body(Body::from(object))
            .unwrap_or_else(|e| panic!("a request: {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"));
        runtime
            .block_on(JsonBody::from_request(request, &()))
            .map(|body| body.get("a").and_then(Value::as_str).map_or(0, str::len) + 8)
            .map_err(|e| axum::response::IntoResponse::into_response(e).status())
    }

    #[test]
    fn a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_refused() {
        for declared in [true, false] {
            assert_eq!(body_of(10, declared), Ok(10));
            assert_eq!(body_of(MAX_BODY, declared), Ok(MAX_BODY));
            assert_eq!(
                body_of(MAX_BODY + 1, declared),
                Err(StatusCode::PAYLOAD_TOO_LARGE)
            );
        }
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_the_body_is_read() {
        // The body itself is small: only the declared length can refuse it.
        let request = Request::builder()
            .method(Method::POST)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, HeaderValue::from(MAX_BODY + 1))
            .body(Body::from("{}"))
            .unwrap_or_else(|e| panic!("a request: {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"));
        let answer = runtime.block_on(JsonBody::from_request(request, &()));
        assert_eq!(
            answer
                .map(|_| ())
                .map_err(|e| axum::response::IntoResponse::into_response(e).status()),
            Err(StatusCode::PAYLOAD_TOO_LARGE)
        );
    }

    /// What the import's extractor answers for a JSON array of `len` bytes (10 or more), its
    /// length declared.
    fn import_of(len: usize) -> Result<usize, StatusCode> {
        let array = format!("[{{\"a\":\"{}\"}}]", "x".repeat(len - 10));
        assert_eq!(array.len(), len);
        let request = Request::builder()
            .method(Method::POST)
            .uri("/experiments/import")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, len)
            .body(Body::from(array))
            .unwrap_or_else(|e| panic!("a request: {e}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"));
        runtime
            .block_on(ImportBody::from_request(request, &()))
            .map(|body| body.bytes.len())
            .map_err(|e| axum::response::IntoResponse::into_response(e).status())
    }

    #[test]
    fn an_import_takes_more_than_a_write_and_no_more_than_its_limit() {
        assert_eq!(import_of(MAX_BODY + 1), Ok(MAX_BODY + 1));
        assert_eq!(import_of(MAX_IMPORT_BODY), Ok(MAX_IMPORT_BODY));
        assert_eq!(
            import_of(MAX_IMPORT_BODY + 1),
            Err(StatusCode::PAYLOAD_TOO_LARGE)
        );
    }

    #[test]
    fn entity_tags_lose_their_quotes_and_weak_ones_stay_weak() {
        let tags: Vec<String> = entity_tags(r#" "abc" ,W/"def", ghi, "*""#).collect();
        assert_eq!(tags, ["abc", r#"W/"def""#, "ghi", "*"]);
    }
}
