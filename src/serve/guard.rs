//! What every request passes before a handler: a `Host` this server answers to (no DNS
//! rebinding) and the bearer token when one is set; and what FastAPI answers where no handler
//! does: its JSON for bare 404s and 405s, and a 307 from a path with a trailing slash to the
//! route without it.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::serve::error::ApiError;
use crate::serve::signin::{self, constant_time_eq, cookie_token, hex};
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
                "Invalid host header: this server answers to localhost, its own address and \
                 the names given with --allowed-host; to reach it by another name, start it \
                 with `--allowed-host NAME` (once per name)",
            )
            .into_response();
        }
    }
    let path = req.uri().path();
    let public = matches!(
        path,
        "/openapi.json" | "/docs" | "/sign-in" | "/sign-out" | "/assets/xp.css"
    ) || path.starts_with("/docs/");
    if let Some(token) = &state.token
        && !public
        && !bearer_matches(req.headers(), token)
    {
        let signed_in = cookie_token(req.headers())
            .is_some_and(|given| constant_time_eq(given.as_bytes(), hex(token).as_bytes()));
        if !signed_in {
            return unauthorized(&req);
        }
        if req.method() != Method::GET
            && req.method() != Method::HEAD
            && !same_origin(req.headers(), &state.hosts)
        {
            return ApiError::detail(
                StatusCode::FORBIDDEN,
                "a write signed in by cookie must come from this server's own pages",
            )
            .into_response();
        }
    }
    if path == "/docs/" || (path == "/docs" && req.uri().query().is_some()) {
        // Swagger UI's page is built from the request's URI: give it the plain one.
        *req.uri_mut() = Uri::from_static("/docs");
    }
    shape(next.run(req).await)
}

/// What a request without the token gets: a browser asking for a page, the sign-in form (and
/// back to the page after); anything else, 401 in JSON.
fn unauthorized(req: &Request) -> Response {
    let wants_page = req.method() == Method::GET
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
    if wants_page {
        let next = req.uri().path_and_query().map(|p| p.as_str());
        return signin::page_for(StatusCode::UNAUTHORIZED, None, next);
    }
    ApiError::Unauthorized.into_response()
}

/// Whether a request's `Origin`, when it sends one, is this server (a host it answers to).
fn same_origin(headers: &HeaderMap, hosts: &[String]) -> bool {
    match headers.get(header::ORIGIN).and_then(|h| h.to_str().ok()) {
        None => true,
        Some(origin) => {
            let authority = origin
                .split_once("://")
                .map_or(origin, |(_, rest)| rest)
                .trim_end_matches('/');
            hosts.contains(&host_name(authority))
        }
    }
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

/// Whether the request carries `Authorization: Bearer <token>` (the scheme's name in any case,
/// as HTTP says), the token compared in constant time.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some((scheme, given)) = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.trim_start().split_once(' '))
    else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer")
        && constant_time_eq(given.trim().as_bytes(), token.as_bytes())
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

/// A path no route takes: 307 to the same path without its trailing slash when a route takes
/// that one (`routes` are the router's paths, `{name}` one segment), as FastAPI redirects;
/// else 404: a page for a browser (one that accepts HTML), FastAPI's JSON for the others.
pub fn unrouted(uri: &Uri, headers: &HeaderMap, routes: &[&str]) -> Response {
    let path = uri.path();
    let target = path
        .strip_suffix('/')
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .filter(|p| routes.iter().any(|route| takes(route, p)));
    let location = target.map(|p| match uri.query() {
        Some(query) => format!("{p}?{query}"),
        None => p.to_owned(),
    });
    match location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        Some(location) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        None if wants_html(headers) => crate::serve::page::not_found_page(),
        None => ApiError::detail(StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

/// Whether the request comes from a browser: its `Accept` names HTML.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/html"))
}

/// Whether the route `/experiments/{ref}` takes the path `/experiments/abc`.
fn takes(route: &str, path: &str) -> bool {
    let (route, path) = (route.split('/'), path.split('/'));
    route.clone().count() == path.clone().count()
        && route
            .zip(path)
            .all(|(r, p)| r == p || (r.starts_with('{') && r.ends_with('}') && !p.is_empty()))
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
    fn a_trailing_slash_leads_to_the_route_without_it() {
        let routes = [
            "/",
            "/experiments",
            "/experiments/{ref}",
            "/experiments/{ref}/log",
        ];
        let answer = |uri: &'static str| {
            let res = unrouted(&Uri::from_static(uri), &HeaderMap::new(), &routes);
            let location = res
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            (res.status().as_u16(), location)
        };
        assert_eq!(
            answer("/experiments/?status=running"),
            (307, Some("/experiments?status=running".into()))
        );
        assert_eq!(
            answer("/experiments/abc/log/"),
            (307, Some("/experiments/abc/log".into()))
        );
        assert_eq!(answer("/nope/"), (404, None));
        assert_eq!(answer("/experiments//"), (404, None));
        assert_eq!(answer("//evil.example/"), (404, None), "never off the site");
        assert_eq!(answer("/experiments/abc/notes/x/"), (404, None));
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
        for scheme in ["bearer", "BEARER", "BeArEr"] {
            headers.insert(
                header::AUTHORIZATION,
                format!("{scheme} t")
                    .parse()
                    .unwrap_or_else(|_| unreachable!()),
            );
            assert!(bearer_matches(&headers, "t"), "{scheme}");
        }
        headers.insert(
            header::AUTHORIZATION,
            "Bearert".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert!(!bearer_matches(&headers, "t"));
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
}
