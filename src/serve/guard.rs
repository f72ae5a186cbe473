//! What every request passes before a handler: a `Host` this server answers to (no DNS
//! rebinding), the bearer token when one is set, and FastAPI's JSON for bare 404s and 405s;
//! for writes, a JSON content type and a body within the limit.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::serve::api::detail;
use crate::serve::state::{MAX_BODY, Shared};

/// Refuses requests for other hosts and requests without the token.
pub async fn check(State(state): State<Shared>, mut req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(host_name);
    match host {
        Some(name) if state.hosts.contains(&name) => {}
        _ => {
            return detail(
                StatusCode::BAD_REQUEST,
                "Invalid host header: this server answers to localhost and its own address \
                 (name others with --allowed-host)",
            );
        }
    }
    let path = req.uri().path();
    let public = path == "/openapi.json" || path == "/docs" || path.starts_with("/docs/");
    if let Some(token) = &state.token
        && !public
        && !bearer_matches(req.headers(), token)
    {
        let mut res = detail(
            StatusCode::UNAUTHORIZED,
            "Not authenticated: send `Authorization: Bearer <token>`",
        );
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return res;
    }
    if path == "/docs/" || (path == "/docs" && req.uri().query().is_some()) {
        // Swagger UI's page is built from the request's URI: give it the plain one.
        *req.uri_mut() = Uri::from_static("/docs");
    }
    shape(next.run(req).await)
}

/// The host name of a `Host` header, lower-case, without port or brackets.
fn host_name(value: &str) -> String {
    let value = value.trim();
    let name = if let Some(rest) = value.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        match value.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => value,
        }
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether the request carries `Authorization: Bearer <token>`, compared in constant time.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
    else {
        return false;
    };
    constant_time_eq(given.trim().as_bytes(), token.as_bytes())
}

/// Equal bytes, in a time that depends on the lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(diff) == 0
}

/// FastAPI's `{"detail": ...}` for the router's own empty 404s and 405s (`Allow` is kept).
fn shape(res: Response) -> Response {
    let status = res.status();
    let bare = !res.headers().contains_key(header::CONTENT_TYPE);
    if !bare || !(status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED) {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    let text = if status == StatusCode::NOT_FOUND {
        "Not Found"
    } else {
        "Method Not Allowed"
    };
    let fresh = detail(status, text);
    let (fresh_parts, body) = fresh.into_parts();
    parts.headers.extend(fresh_parts.headers);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

/// A write's body: JSON (415 otherwise), at most [`MAX_BODY`] bytes (413 otherwise).
pub async fn json_body(
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, Response> {
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
        return Err(detail(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("{method} needs a JSON body: send `Content-Type: application/json`"),
        ));
    }
    let too_large = || {
        detail(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is over {MAX_BODY} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| too_large().into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_lose_port_brackets_case_and_the_final_dot() {
        assert_eq!(host_name("127.0.0.1:8000"), "127.0.0.1");
        assert_eq!(host_name("LocalHost."), "localhost");
        assert_eq!(host_name("[::1]:8000"), "::1");
        assert_eq!(host_name("evil.example:80"), "evil.example");
        assert_eq!(host_name("a:b"), "a:b");
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"s3cret", b"s3cret"));
        assert!(!constant_time_eq(b"s3cret", b"s3cres"));
        assert!(!constant_time_eq(b"s3cre", b"s3cret"));
        let mut headers = HeaderMap::new();
        assert!(!bearer_matches(&headers, "t"));
        headers.insert(
            header::AUTHORIZATION,
            "Basic t".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert!(!bearer_matches(&headers, "t"));
        headers.insert(
            header::AUTHORIZATION,
            "Bearer t".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert!(bearer_matches(&headers, "t"));
    }

    #[test]
    fn differences_that_cancel_out_still_differ() {
        // The same bits differ in both places: a sum or an exclusive or of the differences
        // would cancel them out; only their union says the tokens differ.
        assert!(!constant_time_eq(b"ab", b"ba"));
        assert!(!constant_time_eq(b"s3cret!!", b"s3cert!!"));
        assert!(!constant_time_eq(b"\x01\x01", b"\x00\x00"));
        assert!(constant_time_eq(b"", b""));
    }

    /// What `json_body` answers for a JSON body of `len` bytes, declared or not.
    fn body_of(len: usize, declared: bool) -> Result<usize, StatusCode> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        if declared {
            headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from(len));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"));
        runtime
            .block_on(json_body(
                &Method::POST,
                &headers,
                Body::from(vec![b' '; len]),
            ))
            .map(|bytes| bytes.len())
            .map_err(|res| res.status())
    }

    #[test]
    fn a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_refused() {
        for declared in [true, false] {
            assert_eq!(body_of(2, declared), Ok(2));
            assert_eq!(body_of(MAX_BODY, declared), Ok(MAX_BODY));
            assert_eq!(
                body_of(MAX_BODY + 1, declared),
                Err(StatusCode::PAYLOAD_TOO_LARGE)
            );
        }
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_the_body_is_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::CONTENT_LENGTH,
            header::HeaderValue::from(MAX_BODY + 1),
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"));
        // The body itself is small: only the declared length can refuse it.
        let answer = runtime.block_on(json_body(&Method::POST, &headers, Body::from("{}")));
        assert_eq!(
            answer.map(|b| b.len()).map_err(|r| r.status()),
            Err(StatusCode::PAYLOAD_TOO_LARGE)
        );
    }
}
