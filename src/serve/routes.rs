//! The routes and their handlers: parse the request, run one operation on a blocking thread,
//! render the answer.

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::error::Error;
use crate::ops::note::Who;
use crate::ops::{self, Notice, Saved, WriteOptions, create::Source};
use crate::serve::api::{self, Blame, Body as JsonBody};
use crate::serve::state::{Shared, State as Server};
use crate::serve::{docs, guard, openapi};

/// Every route of the API and of its docs, behind the guard.
pub fn router(state: Shared) -> Router {
    let (experiments, one, notes) = if state.read_only {
        (
            get(list).post(|| read_only("GET,HEAD")),
            get(get_one).patch(|| read_only("GET,HEAD")),
            post(|| read_only("")),
        )
    } else {
        (
            get(list).post(create),
            get(get_one).patch(update),
            post(add_note),
        )
    };
    Router::new()
        .route("/health", get(health))
        .route("/experiments", experiments)
        .route("/experiments/export.csv", get(export))
        .route("/experiments/{ref}", one)
        .route("/experiments/{ref}/log", get(log))
        .route("/experiments/{ref}/similar", get(similar))
        .route("/experiments/{ref}/notes", notes)
        .route("/openapi.json", get(openapi_json))
        .with_state(state.clone())
        .merge(docs::routes())
        .merge(crate::serve::page::router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(state, guard::check))
}

/// A write on a `--read-only` server: 405, allowing the reads only.
async fn read_only(allow: &'static str) -> Response {
    let mut res = api::detail(
        StatusCode::METHOD_NOT_ALLOWED,
        "this server is read-only (started with --read-only)",
    );
    res.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    res
}

/// Runs blocking work (files, git) off the async threads.
async fn blocking(
    state: Shared,
    work: impl FnOnce(&Server) -> Response + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(move || work(&state)).await {
        Ok(res) => res,
        Err(_) => api::detail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the request failed inside the server",
        ),
    }
}

/// `{"status": "ok"}`, and whether this clone merges records with the xp merge driver
/// (`null` outside git): a server that creates records where `xp init` never ran says so.
async fn health(State(state): State<Shared>) -> Response {
    blocking(state, |st| {
        let driver = st
            .workspace()
            .ok()
            .and_then(|ws| ops::init::driver_registered(&ws));
        api::json(
            StatusCode::OK,
            &json!({ "status": "ok", "merge_driver": driver }),
        )
    })
    .await
}

async fn openapi_json() -> Response {
    api::json(StatusCode::OK, &openapi::document())
}

/// The reference from the path: an id, a slug or an id prefix, never a path.
fn reference(path: Result<Path<String>, PathRejection>) -> Result<String, Response> {
    let not_found = |r: &str| {
        api::detail(
            StatusCode::NOT_FOUND,
            &format!("no experiment matches `{r}`"),
        )
    };
    match path {
        Ok(Path(r))
            if r.contains(['/', '\\', '\0']) || r.ends_with(".yaml") || r.ends_with(".yml") =>
        {
            Err(not_found(&r))
        }
        Ok(Path(r)) => Ok(r),
        Err(_) => Err(api::detail(StatusCode::NOT_FOUND, "Not Found")),
    }
}

async fn list(State(state): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let query = match api::query(raw.as_deref(), false) {
        Ok(q) => q,
        Err(bad) => return api::unprocessable(bad),
    };
    blocking(state, move |st| {
        let result = st.workspace().and_then(|ws| {
            let all = st.cache.load_all(&ws)?;
            Ok(ops::read::listing(all, &query.filter))
        });
        match result {
            Ok(listing) => {
                let records: Vec<_> = listing.found.iter().map(|f| &f.record).collect();
                let mut res = api::json(StatusCode::OK, &records);
                if listing.broken > 0 {
                    res.headers_mut()
                        .insert("xp-broken-files", HeaderValue::from(listing.broken));
                }
                res
            }
            Err(e) => api::error(&e, Blame::Read),
        }
    })
    .await
}

async fn get_one(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let r = match reference(path) {
        Ok(r) => r,
        Err(res) => return res,
    };
    blocking(state, move |st| {
        let result = st
            .workspace()
            .and_then(|ws| ops::read::get_in(&ws, &r, || st.cache.load_all(&ws)));
        match result {
            Ok(found) => api::json(StatusCode::OK, &found.record),
            Err(e) => api::error(&e, Blame::Read),
        }
    })
    .await
}

async fn log(State(state): State<Shared>, path: Result<Path<String>, PathRejection>) -> Response {
    let r = match reference(path) {
        Ok(r) => r,
        Err(res) => return res,
    };
    blocking(state, move |st| {
        match st.workspace().and_then(|ws| ops::log::log(&ws, &r)) {
            Ok(history) => api::json(StatusCode::OK, &history.lines),
            Err(e) => api::error(&e, Blame::Read),
        }
    })
    .await
}

/// The experiments most like the one named, as `xp similar` lists them.
async fn similar(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
) -> Response {
    let r = match reference(path) {
        Ok(r) => r,
        Err(res) => return res,
    };
    blocking(state, move |st| {
        let result = st.workspace().and_then(|ws| {
            let found = ops::read::get(&ws, &r)?;
            ops::similar::similar(&ws, &found.record, 3)
        });
        match result {
            Ok(alike) => {
                let answer: Vec<serde_json::Value> = alike
                    .iter()
                    .map(|a| serde_json::json!({ "score": a.score, "experiment": a.found.record }))
                    .collect();
                api::json(StatusCode::OK, &answer)
            }
            Err(e) => api::error(&e, Blame::Read),
        }
    })
    .await
}

async fn export(State(state): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let query = match api::query(raw.as_deref(), true) {
        Ok(q) => q,
        Err(bad) => return api::unprocessable(bad),
    };
    blocking(state, move |st| {
        let result = st.workspace().and_then(|ws| {
            let all = st.cache.load_all(&ws)?;
            let records = ops::read::export_of(ops::read::listing(all, &query.filter))?;
            let mut bytes = Vec::new();
            crate::export::write_csv(&mut bytes, &records, &query.columns, query.excel)
                .map_err(|e| Error::io("export", e))?;
            Ok(bytes)
        });
        match result {
            Ok(bytes) => (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"experiments.csv\"",
                    ),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => api::error(&e, Blame::Read),
        }
    })
    .await
}

/// A write's answer: the record, with the commit it made in `xp-commit`.
fn saved(result: Result<Saved, Error>, notices: &[Notice], blame: Blame<'_>) -> Response {
    match result {
        Ok(saved) => {
            let mut res = api::json(StatusCode::OK, &saved.record);
            for notice in notices {
                if let Notice::Committed { short, .. } = notice
                    && let Ok(value) = HeaderValue::from_str(short)
                {
                    res.headers_mut().insert("xp-commit", value);
                }
            }
            res
        }
        Err(e) => api::error(&e, blame),
    }
}

/// The JSON object a write carries, or the answer that refuses it.
async fn read_json(method: &Method, headers: &HeaderMap, body: Body) -> Result<JsonBody, Response> {
    let bytes = guard::json_body(method, headers, body).await?;
    JsonBody::parse(&bytes)
}

async fn create(State(state): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let body = match read_json(&Method::POST, &headers, body).await {
        Ok(b) => b,
        Err(res) => return res,
    };
    blocking(state, move |st| {
        let text = api::payload_text(&body);
        let mut notices = Vec::new();
        let result = st.workspace().and_then(|ws| {
            let source = Source::Payload {
                shown: "request body".into(),
                bytes: text.clone().into_bytes(),
            };
            ops::create::create(&ws, &mut notices, source, WriteOptions::default())
        });
        saved(result, &notices, Blame::Payload { body: &body })
    })
    .await
}

async fn update(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let write = Write {
        method: Method::PATCH,
        parse: api::changes,
        op: ops::update::update_as,
    };
    write.run(state, path, headers, body).await
}

async fn add_note(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let write = Write {
        method: Method::POST,
        parse: api::note,
        op: ops::note::append,
    };
    write.run(state, path, headers, body).await
}

/// A write to one experiment: its body parsed by `parse`, then `op` run on the experiment the
/// path names, as the API's origin would (the who given, else the default).
struct Write<T> {
    method: Method,
    parse: fn(&JsonBody) -> Result<T, Vec<api::Invalid>>,
    op: WriteOp<T>,
}

type WriteOp<T> = fn(
    &crate::ops::workspace::Workspace,
    &mut Vec<Notice>,
    &str,
    T,
    Who,
    WriteOptions,
) -> Result<Saved, Error>;

impl<T: Send + 'static> Write<T> {
    async fn run(
        self,
        state: Shared,
        path: Result<Path<String>, PathRejection>,
        headers: HeaderMap,
        body: Body,
    ) -> Response {
        let r = match reference(path) {
            Ok(r) => r,
            Err(res) => return res,
        };
        let body = match read_json(&self.method, &headers, body).await {
            Ok(b) => b,
            Err(res) => return res,
        };
        let input = match (self.parse)(&body) {
            Ok(input) => input,
            Err(bad) => return api::unprocessable(bad),
        };
        let op = self.op;
        blocking(state, move |st| {
            let mut notices = Vec::new();
            let result = st.workspace().and_then(|ws| {
                op(
                    &ws,
                    &mut notices,
                    &r,
                    input,
                    Who::AsGiven,
                    WriteOptions::default(),
                )
            });
            saved(result, &notices, Blame::Change { body: &body })
        })
        .await
    }
}
