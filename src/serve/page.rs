//! The board at `/` and each experiment's story at `/e/{name}`, with their assets, as the
//! page module renders them; every answer carries the page's security headers, and an error
//! is a page too.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::ops;
use crate::page::{self, Context, Item, Mode, SyncLine};
use crate::serve::cache::Kept;
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

/// A page's answer with its `ETag`, or 304 Not Modified when the browser already holds these
/// bytes (`If-None-Match`): the page is made again, but not sent again.
fn tagged(headers: &HeaderMap, kind: &'static str, text: String) -> Response {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    text.hash(&mut hasher);
    // Weak: the same page gzipped or not is the same page.
    let etag = format!("W/\"{:016x}\"", hasher.finish());
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag.trim_start_matches("W/")
        });
    let mut res = if matches {
        secure(StatusCode::NOT_MODIFIED.into_response())
    } else if accepts_gzip(headers) && text.len() > 1024 {
        match gzip(text.as_bytes()) {
            Some(bytes) => {
                let mut res = asset(kind, bytes);
                res.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                res
            }
            None => asset(kind, text),
        }
    } else {
        asset(kind, text)
    };
    let h = res.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, value);
    }
    res
}

/// Whether the request takes gzip (`Accept-Encoding: gzip`, not refused with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// Bytes gzipped at a fast level (a page of 10,000 lines in a few milliseconds).
fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(4));
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

/// A page, or the error as one: the status the API would give, the message in words (an
/// unknown experiment with the ones it may have meant).
fn answer(result: Result<String, ApiError>) -> Response {
    answer_tagged(&HeaderMap::new(), result)
}

/// [`answer`], a page with its `ETag` (see [`tagged`]).
fn answer_tagged(headers: &HeaderMap, result: Result<String, ApiError>) -> Response {
    match result {
        Ok(text) => tagged(headers, "text/html; charset=utf-8", text),
        Err(ApiError::Failed {
            error:
                Error::NotFound {
                    reference,
                    candidates,
                },
            ..
        }) => {
            let suggestions: Vec<(String, String)> = candidates
                .into_iter()
                .take(5)
                .map(|c| {
                    let title = c.title.unwrap_or_else(|| c.slug.clone());
                    (c.slug, title)
                })
                .collect();
            html(
                StatusCode::NOT_FOUND,
                page::problem(
                    404,
                    &format!("No experiment is called \u{201c}{reference}\u{201d}."),
                    &suggestions,
                ),
            )
        }
        Err(e) => {
            let status = e.status();
            html(
                status,
                page::problem(status.as_u16(), &unquote(&e.message()), &[]),
            )
        }
    }
}

/// A message's `code` quotes as typographic quotes, for a page.
fn unquote(message: &str) -> String {
    let mut out = String::new();
    for (i, part) in message.split('`').enumerate() {
        if i > 0 {
            out.push(if i % 2 == 1 { '\u{201c}' } else { '\u{201d}' });
        }
        out.push_str(part);
    }
    out
}

/// The page for a path nothing answers, for a browser.
pub fn not_found_page() -> Response {
    html(
        StatusCode::NOT_FOUND,
        page::problem(404, "Nothing is at this address.", &[]),
    )
}

/// The board at `/`, filtered and paged by its plain GET form.
pub async fn board(
    State(state): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    // A query string that does not parse shows the whole board.
    let pairs = query.map(|Query(p)| p).unwrap_or_default();
    answer_tagged(
        &headers,
        blocking(state, move |st| {
            let query =
                page::Query::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            st.fresh();
            let ws = st.workspace()?;
            let mut ctx = Context::new(&ws, Mode::Served, !st.read_only);
            if let Some(syncer) = &st.syncer {
                ctx.sync = Some(SyncLine::of(&syncer.status(), ctx.as_of));
            }
            // Everything the board shows besides the records, which the rows' version stands
            // for; times to the minute, as the board words them.
            let key = st.boards.version(&ws, st.watched(&ws))?.map(|version| {
                format!(
                    "{version}|{pairs:?}|{:?}|{:?}|{:?}|{}",
                    ctx.sync.as_ref().map(|s| &s.text),
                    ctx.as_of.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()),
                    ctx.branch,
                    ctx.writable,
                )
            });
            st.boards.of(key, || {
                let kept = st.cache.kept(&ws)?;
                let (items, broken) = items(&kept);
                Ok(page::board(&items, broken, &query, &ctx))
            })
        })
        .await,
    )
}

/// The experiments of the kept files as the board shows them, borrowed, and how many files
/// break rules and are left out.
fn items(kept: &[std::sync::Arc<Kept>]) -> (Vec<Item<'_>>, usize) {
    let items: Vec<Item> = kept.iter().filter_map(|k| k.item()).collect();
    let broken = kept.len() - items.len();
    (items, broken)
}

/// The board's search index, as a script.
pub async fn index(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let script = blocking(state, move |st| {
        let ws = st.workspace()?;
        let kept = st.cache.kept(&ws)?;
        let ctx = Context::new(&ws, Mode::Served, !st.read_only);
        Ok(page::index_js(&items(&kept).0, &ctx))
    })
    .await;
    match script {
        Ok(text) => tagged(&headers, "text/javascript; charset=utf-8", text),
        Err(e) => answer(Err(e)),
    }
}

/// One experiment's story at `/e/{name}`; a name is a slug or an id, never a path.
pub async fn story(
    State(state): State<Shared>,
    headers: HeaderMap,
    name: Result<Ref, ApiError>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    // `?order=oldest` turns the timeline around; anything else keeps the newest first.
    let oldest_first = query.is_ok_and(|Query(pairs)| {
        pairs
            .iter()
            .any(|(k, v)| k == "order" && v.as_str() == "oldest")
    });
    let Ref(name) = match name {
        Ok(name) => name,
        Err(e) => return answer(Err(e)),
    };
    answer_tagged(
        &headers,
        blocking(state, move |st| {
            st.fresh();
            let ws = st.workspace()?;
            let history = st.histories.of(&ws, || st.get(&ws, &name))?;
            let mut ctx = Context::new(&ws, Mode::Served, !st.read_only);
            if let Some(syncer) = &st.syncer {
                let status = syncer.status();
                let commits: Vec<&str> = history
                    .revisions
                    .iter()
                    .map(|r| r.commit.id.as_str())
                    .collect();
                ctx.unpushed = ops::sync::unpushed(&ws, &status.remote, &status.push, &commits);
                let record = &history.found;
                ctx.parked = status
                    .parked
                    .iter()
                    .filter(|p| {
                        p.experiment.as_deref() == Some(record.record.id.as_str())
                            || record.loaded.path.ends_with(&p.path)
                    })
                    .cloned()
                    .collect();
                ctx.sync = Some(SyncLine::of(&status, ctx.as_of));
            }
            Ok(page::story(&history, &ctx, oldest_first))
        })
        .await,
    )
}
