//! The board at `/` and each experiment's story at `/e/{name}`, with their assets, as the
//! page module renders them; every answer carries the page's security headers.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::Error;
use crate::ops;
use crate::ops::workspace::Workspace;
use crate::page::{self, Context, Mode};
use crate::serve::api::{self, Blame};
use crate::serve::state::{Shared, State as Server};

/// The page routes; the server merges them under its guard.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(board))
        .route("/e/{name}", get(story))
        .route(
            "/assets/xp.css",
            get(|| async { asset("text/css; charset=utf-8", page::CSS) }),
        )
        .route(
            "/assets/xp.js",
            get(|| async { asset("text/javascript; charset=utf-8", page::JS) }),
        )
        .route("/assets/index.js", get(index))
        .with_state(state)
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

fn asset(kind: &'static str, text: &'static str) -> Response {
    secure(([(header::CONTENT_TYPE, kind)], text).into_response())
}

fn html(status: StatusCode, text: String) -> Response {
    secure(
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            text,
        )
            .into_response(),
    )
}

/// An error as a page: the status the API would give, the message in words.
fn error_page(e: &Error) -> Response {
    let status = api::error(e, Blame::Read).status();
    html(status, page::problem(status.as_u16(), &e.to_string()))
}

fn context(st: &Server, ws: &Workspace) -> Context {
    Context {
        mode: Mode::Served,
        as_of: Some(ws.env.now()),
        forge: ws
            .repo
            .as_ref()
            .and_then(|r| r.config_value("remote.origin.url"))
            .and_then(|url| page::Forge::from_remote(&url)),
        writable: !st.read_only,
    }
}

async fn blocking(
    state: Shared,
    work: impl FnOnce(&Server) -> Response + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(move || work(&state)).await {
        Ok(res) => res,
        Err(_) => html(
            StatusCode::INTERNAL_SERVER_ERROR,
            page::problem(500, "the request failed inside the server"),
        ),
    }
}

async fn board(
    State(state): State<Shared>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    // A query string that does not parse shows the whole board.
    let pairs = query.map(|Query(p)| p).unwrap_or_default();
    blocking(state, move |st| {
        let query = page::Query::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let result = st.workspace().and_then(|ws| {
            let all = st.cache.load_all(&ws)?;
            let listing = ops::read::listing(all, &ops::read::Filter::default());
            Ok(page::board(
                &listing.found,
                listing.broken,
                &query,
                &context(st, &ws),
            ))
        });
        match result {
            Ok(text) => html(StatusCode::OK, text),
            Err(e) => error_page(&e),
        }
    })
    .await
}

async fn index(State(state): State<Shared>) -> Response {
    blocking(state, move |st| {
        let result = st.workspace().and_then(|ws| {
            let all = st.cache.load_all(&ws)?;
            let listing = ops::read::listing(all, &ops::read::Filter::default());
            Ok(page::index_js(&listing.found, &context(st, &ws)))
        });
        match result {
            Ok(text) => secure(
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    text,
                )
                    .into_response(),
            ),
            Err(e) => error_page(&e),
        }
    })
    .await
}

async fn story(State(state): State<Shared>, Path(name): Path<String>) -> Response {
    blocking(state, move |st| {
        // A name is a slug or an id, never a path.
        if name.contains(['/', '\\', '\0']) || name.ends_with(".yaml") || name.ends_with(".yml") {
            return html(
                StatusCode::NOT_FOUND,
                page::problem(404, &format!("no experiment matches `{name}`")),
            );
        }
        let result = st
            .workspace()
            .and_then(|ws| Ok((ops::log::log(&ws, &name)?, context(st, &ws))));
        match result {
            Ok((history, ctx)) => html(StatusCode::OK, page::story(&history, &ctx)),
            Err(e) => error_page(&e),
        }
    })
    .await
}
