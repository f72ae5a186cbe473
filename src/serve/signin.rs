//! `/sign-in`: how a browser reaches a server guarded by a token. A browser cannot send
//! `Authorization: Bearer`, so a person types the token once into a small form; the server
//! answers with an `HttpOnly`, `SameSite=Strict` cookie that the guard accepts like the header.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::page;
use crate::serve::page::html;
use crate::serve::query::last;
use crate::serve::state::Shared;

/// The cookie a signed-in browser sends: the token, hex-encoded (a token may hold characters a
/// cookie cannot).
pub const COOKIE: &str = "xp-token";

/// How long a sign-in lasts, in seconds (30 days).
const LASTS: u32 = 30 * 24 * 60 * 60;

/// `GET /sign-in`: the form, and `next`, where to go after it.
pub async fn form(RawQuery(query): RawQuery) -> Response {
    page_for(
        StatusCode::OK,
        None,
        last(query.as_deref(), "next").as_deref(),
    )
}

/// `POST /sign-in`: the token checked; right, the cookie and back to where the person was going;
/// wrong, the form again with what went wrong. The body is read as the form sends it (a field
/// given twice counts once, its last value; anything else holds no token), so that no body is
/// answered but with the page.
pub async fn sign_in(State(state): State<Shared>, body: Bytes) -> Response {
    let body = String::from_utf8_lossy(&body);
    let given = last(Some(&body), "token").unwrap_or_default();
    let next = last(Some(&body), "next");
    let Some(token) = state.token.as_deref() else {
        return page_for(
            StatusCode::OK,
            Some("This server needs no token: every page is open."),
            next.as_deref(),
        );
    };
    if !tokens_match(given.trim(), token) {
        return page_for(
            StatusCode::UNAUTHORIZED,
            Some("That is not this server's token. Ask whoever runs it, and try again."),
            next.as_deref(),
        );
    }
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age={LASTS}; HttpOnly; SameSite=Strict",
        hex(token)
    );
    let mut res = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, local(next.as_deref()))],
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, value);
    }
    res
}

/// `POST /sign-out`: forgets the cookie.
pub async fn sign_out() -> Response {
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, "/sign-in")]).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("xp-token=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    res
}

/// The sign-in page a browser gets instead of a 401 in JSON.
pub fn page_for(status: StatusCode, said: Option<&str>, next: Option<&str>) -> Response {
    html(status, page::sign_in(said, &local(next)))
}

/// Where to go after signing in: a path on this server, never another site.
fn local(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// The token as the cookie carries it.
pub fn hex(token: &str) -> String {
    token.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The cookie's token, if the request carries one.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
}

/// Whether a token given matches the server's, compared in constant time.
fn tokens_match(given: &str, token: &str) -> bool {
    constant_time_eq(given.as_bytes(), token.as_bytes())
}

/// Equal bytes, in a time that depends on the lengths only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a
        .iter()
        .zip(b)
        .fold(0u8, |acc, (x, y)| acc | std::hint::black_box(x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_server_are_followed_after_signing_in() {
        assert_eq!(local(Some("/e/cta?x=1")), "/e/cta?x=1");
        for elsewhere in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "",
        ] {
            assert_eq!(local(Some(elsewhere)), "/", "{elsewhere}");
        }
        assert_eq!(local(None), "/");
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; xp-token=6869 ; b=2"),
        );
        assert_eq!(cookie_token(&headers).as_deref(), Some("6869"));
        assert_eq!(hex("hi"), "6869");
    }
}
