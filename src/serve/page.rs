//! The board at `/` and each experiment's story at `/e/{name}`, with their assets, as the
//! page module renders them; every answer carries the page's security headers, and an error
//! is a page too.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::ops;
use crate::ops::read::Filter;
use crate::page::{self, Context, Mode};
use crate::serve::error::ApiError;
use crate::serve::extract::Ref;
use crate::serve::state::{Shared, blocking};

/// `/assets/xp.css`: the style sheet.
pub async fn css() -> Response {
    asset("text/css; charset=utf-8", page::CSS)
}

/// `/assets/xp.js`: the script that narrows the board as you type.
pub async fn js() -> Response {
    asset("text/javascript; charset=utf-8", page::JS)
}

/// The headers every page answer carries: the policy, no sniffing, no framing.
fn secure(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(page::CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

fn asset(kind: &'static str, text: impl IntoResponse) -> Response {
    secure(([(header::CONTENT_TYPE, kind)], text).into_response())
}

pub(crate) fn html(status: StatusCode, text: String) -> Response {
    secure(
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            text,
        )
            .into_response(),
    )
}

/// A page, or the error as one: the status the API would give, the message in words.
fn answer(result: Result<String, ApiError>) -> Response {
    match result {
        Ok(text) => html(StatusCode::OK, text),
        Err(e) => {
            let status = e.status();
            html(status, page::problem(status.as_u16(), &e.message()))
        }
    }
}

/// The board at `/`, filtered and paged by its plain GET form.
pub async fn board(
    State(state): State<Shared>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    // A query string that does not parse shows the whole board.
    let pairs = query.map(|Query(p)| p).unwrap_or_default();
    answer(
        blocking(state, move |st| {
            let query =
                page::Query::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let ws = st.workspace()?;
            let listing = ops::read::listing(st.cache.load_all(&ws)?, &Filter::default());
            let ctx = Context::new(&ws, Mode::Served, !st.read_only);
            Ok(page::board(&listing.found, listing.broken, &query, &ctx))
        })
        .await,
    )
}

/// The board's search index, as a script.
pub async fn index(State(state): State<Shared>) -> Response {
    let script = blocking(state, move |st| {
        let ws = st.workspace()?;
        let listing = ops::read::listing(st.cache.load_all(&ws)?, &Filter::default());
        let ctx = Context::new(&ws, Mode::Served, !st.read_only);
        Ok(page::index_js(&listing.found, &ctx))
    })
    .await;
    match script {
        Ok(text) => asset("text/javascript; charset=utf-8", text),
        Err(e) => answer(Err(e)),
    }
}

/// One experiment's story at `/e/{name}`; a name is a slug or an id, never a path.
pub async fn story(State(state): State<Shared>, name: Result<Ref, ApiError>) -> Response {
    let Ref(name) = match name {
        Ok(name) => name,
        Err(e) => return answer(Err(e)),
    };
    answer(
        blocking(state, move |st| {
            let ws = st.workspace()?;
            let history = ops::log::log(&ws, &name)?;
            Ok(page::story(
                &history,
                &Context::new(&ws, Mode::Served, !st.read_only),
            ))
        })
        .await,
    )
}
