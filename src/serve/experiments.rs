//! `/experiments` and `/experiments/{ref}`: list, create, read, change, and each one's log and
//! look-alikes, each one operation of [`crate::ops`].

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::Error;
use crate::ops;
use crate::ops::create::Source;
use crate::ops::log::Line;
use crate::ops::note::Who;
use crate::serve::body;
use crate::serve::error::{ApiError, Blame};
use crate::serve::extract::{IfMatch, JsonBody, Ref, etag};
use crate::serve::query::ListQuery;
use crate::serve::state::{Shared, blocking};
use crate::serve::write::{SERVER, Written, write};

/// `GET /experiments`: every record the query keeps, in path order (with `q`, the ones its words
/// find, best first, as `xp search` ranks them), `offset` of them skipped and at most `limit`;
/// the files that break rules are left out and counted in `xp-broken-files`, or with
/// `strict=true` refuse the list (409 with their problems, as the export does). The answer has
/// an `ETag`, and is 304 without a body for a request whose `If-None-Match` names it. Rows are
/// serialized once per change of the record files (`rows.rs`).
pub async fn list(
    State(state): State<Shared>,
    ListQuery(query): ListQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let answer = blocking(state, move |st| {
        st.fresh();
        let ws = st.workspace()?;
        let rows = st.rows.current(&ws, &st.cache, st.watched(&ws))?;
        if query.strict && rows.broken > 0 {
            let listing = ops::read::listing(st.cache.load_all(&ws)?, &query.filter);
            return Err(Error::Problems {
                message: Some(format!(
                    "{} experiment file(s) break rules, and strict=true lists all or nothing",
                    listing.broken
                )),
                hint: Some(
                    "fix them first (`xp check` lists every problem), or list without \
                     strict=true to get the others"
                        .into(),
                ),
                problems: listing.problems,
                sources: listing.sources,
            });
        }
        Ok(rows.answer(
            &query.filter,
            query.search.as_deref(),
            query.offset,
            query.limit,
        ))
    })
    .await?;
    Ok(answer.respond(&headers))
}

/// `GET /experiments/{ref}`, with the record's version (its blob id) as its `ETag`, which a
/// `PATCH` may send back in `If-Match`.
pub async fn get(State(state): State<Shared>, Ref(r): Ref) -> Result<Response, ApiError> {
    let found = blocking(state, move |st| {
        st.fresh();
        let ws = st.workspace()?;
        st.get(&ws, &r)
    })
    .await?;
    let tag = etag(&crate::git::content_id(&found.loaded.bytes));
    let mut res = Json(found.record).into_response();
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    Ok(res)
}

/// `POST /experiments`: a record from the origin's payload, committed.
pub async fn create(State(state): State<Shared>, body: JsonBody) -> Result<Written, ApiError> {
    let source = Source::Payload {
        shown: "request body".into(),
        bytes: body::payload_text(&body).into_bytes(),
    };
    write(state, Blame::Payload(body.0), move |ws, notices| {
        ops::create::create_as(ws, notices, source.clone(), Who::AsGiven, SERVER)
    })
    .await
}

/// `PATCH /experiments/{ref}`: fields changed as `xp update` changes them, committed; with
/// `If-Match`, only while the record is the version its sender read (412 otherwise).
pub async fn update(
    State(state): State<Shared>,
    Ref(r): Ref,
    IfMatch(against): IfMatch,
    body: JsonBody,
) -> Result<Written, ApiError> {
    let mut changes = body::changes(&body)?;
    changes.against = against;
    write(state, Blame::Change(body.0), move |ws, notices| {
        ops::update::update_as(ws, notices, &r, changes.clone(), Who::AsGiven, SERVER)
    })
    .await
}

/// `GET /experiments/{ref}/log`: the decision log beside its commits, as `xp log` finds them.
pub async fn log(State(state): State<Shared>, Ref(r): Ref) -> Result<Json<Vec<Line>>, ApiError> {
    let history = blocking(state, move |st| ops::log::log(&st.workspace()?, &r)).await?;
    Ok(Json(history.lines))
}

/// `GET /experiments/{ref}/similar`: the experiments most like the one named, as `xp similar`
/// lists them.
pub async fn similar(
    State(state): State<Shared>,
    Ref(r): Ref,
) -> Result<Json<Vec<Value>>, ApiError> {
    let alike = blocking(state, move |st| {
        let ws = st.workspace()?;
        let found = ops::read::get(&ws, &r)?;
        ops::similar::similar(&ws, &found.record, 3)
    })
    .await?;
    Ok(Json(
        alike
            .iter()
            .map(|a| json!({ "score": a.score, "experiment": a.found.record }))
            .collect(),
    ))
}
