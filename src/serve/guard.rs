//! What every request passes before a handler: a `Host` this server answers to (no DNS
//! rebinding) and the bearer token when one is set; and FastAPI's JSON for the router's own
//! bare 404s and 405s.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::serve::error::ApiError;
use crate::serve::state::Shared;

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
            return ApiError::detail(
                StatusCode::BAD_REQUEST,
                "Invalid host header: this server answers to localhost and its own address \
                 (name others with --allowed-host)",
            )
            .into_response();
        }
    }
    let path = req.uri().path();
    let public = path == "/openapi.json" || path == "/docs" || path.starts_with("/docs/");
    if let Some(token) = &state.token
        && !public
        && !bearer_matches(req.headers(), token)
    {
        return ApiError::Unauthorized.into_response();
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

/// FastAPI's `{"detail": ...}` for the router's own empty 404s and 405s (the router adds
/// `Allow` to a 405 on its way out).
fn shape(res: Response) -> Response {
    let status = res.status();
    let bare = !res.headers().contains_key(header::CONTENT_TYPE);
    if !bare || !(status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED) {
        return res;
    }
    if status == StatusCode::NOT_FOUND {
        ApiError::detail(status, "Not Found").into_response()
    } else {
        ApiError::NotAllowed {
            detail: "Method Not Allowed".into(),
            allow: None,
        }
        .into_response()
    }
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
}
