//! How every write runs and answers: one operation on a blocking thread, its errors pointed
//! at the request's body, the record as written answered with its commit in `xp-commit`. On a
//! team server (`--sync`) the write then waits a moment for its push (`xp-sync: pushed` or
//! `pending`); a change the remote's meanwhile contradicts is refused (409) and nothing of it
//! stays, and while the remote's history is rewritten writes are refused (503).

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::Error;
use crate::ops::sync;
use crate::ops::syncer::Fate;
use crate::ops::workspace::Workspace;
use crate::ops::write::Writer;
use crate::ops::{Notice, Saved, WriteOptions};
use crate::record::Record;
use crate::serve::error::{ApiError, Blame};
use crate::serve::extract::etag;
use crate::serve::state::{Shared, State, blocking};

/// How the server writes: each change committed, and a record with someone's changes not
/// committed refused rather than committed under the server's name.
pub const SERVER: WriteOptions = WriteOptions {
    commit: true,
    writer: Writer::Service,
};

/// How long a write waits for its push before it answers `xp-sync: pending`.
pub const PUSH_BUDGET: Duration = Duration::from_secs(3);

/// A write's answer: the record as written, the commit's short hash in `xp-commit`, and on a
/// team server whether the remote has it in `xp-sync`.
pub struct Written {
    pub record: Record,
    pub commit: Option<String>,
    pub sync: Option<&'static str>,
    /// The record's version as written, sent as its `ETag`.
    pub version: Option<String>,
}

impl IntoResponse for Written {
    fn into_response(self) -> Response {
        let mut res = Json(self.record).into_response();
        if let Some(value) = self.commit.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().insert("xp-commit", value);
        }
        if let Some(tag) = self
            .version
            .and_then(|v| HeaderValue::from_str(&etag(&v)).ok())
        {
            res.headers_mut().insert(header::ETAG, tag);
        }
        if let Some(sync) = self.sync {
            res.headers_mut()
                .insert("xp-sync", HeaderValue::from_static(sync));
        }
        res
    }
}

/// What a write came to, before it is answered.
enum Outcome {
    Written(Box<Saved>, Option<Fate>, Option<String>),
    /// Refused with a body of its own.
    Refused(ApiError),
}

/// Runs `op` in the request's workspace on a blocking thread and answers what it wrote; its
/// errors point at what `blame` says the request gave.
pub async fn write(
    state: Shared,
    blame: Blame,
    op: impl Fn(&Workspace, &mut Vec<Notice>) -> Result<Saved, Error> + Send + 'static,
) -> Result<Written, ApiError> {
    let outcome = blocking(state, move |st| {
        if let Some(refused) = refused_by_sync(st) {
            return Ok(Outcome::Refused(refused));
        }
        if let Some(syncer) = st.syncer.as_ref().filter(|s| s.settings().strict) {
            return strict(st, syncer, &op);
        }
        let ws = st.workspace()?;
        let saved = op(&ws, &mut Vec::new())?;
        let fate = match (&st.syncer, &saved.commit) {
            (Some(syncer), Some(commit)) => Some(syncer.wait_for(&commit.id, PUSH_BUDGET)),
            _ => None,
        };
        if let Some(Fate::Parked(parked)) = &fate {
            let info = sync::conflict_of(&ws, parked)?;
            sync::unpark(&ws, parked)?;
            return Ok(conflict(&saved, &info));
        }
        let version = std::fs::read(&saved.path)
            .ok()
            .map(|bytes| crate::git::content_id(&bytes));
        Ok(Outcome::Written(Box::new(saved), fate, version))
    })
    .await;
    match outcome {
        Ok(Outcome::Written(saved, fate, version)) => Ok(Written {
            version,
            record: saved.record,
            commit: saved.commit.map(|c| c.short),
            sync: fate.map(|f| match f {
                Fate::Pushed => "pushed",
                _ => "pending",
            }),
        }),
        Ok(Outcome::Refused(refused)) => Err(refused),
        Err(e) => Err(e.about(blame)),
    }
}

/// How many times a strict write is made again on a remote that moved under its push.
const STRICT_TRIES: usize = 4;

/// A write of `--sync-mode strict`: with the remote to itself, a round brings the branch in
/// step, then the write's commit is pushed before the branch moves to it ([`sync::push_first`]).
/// Answered only once the remote has it; when it cannot, nothing changed here (503 with the
/// remote's words). A remote that moved meanwhile is fetched again and the write made again on
/// it, where a stale `If-Match` is refused as usual.
fn strict(
    st: &State,
    syncer: &crate::ops::syncer::Syncer,
    op: impl Fn(&Workspace, &mut Vec<Notice>) -> Result<Saved, Error>,
) -> Result<Outcome, Error> {
    let settings = syncer.settings();
    let network = syncer.exclusive();
    let mut tries = 0;
    let saved = loop {
        tries += 1;
        let mut ws = st.workspace()?;
        let mut notices = Vec::new();
        sync::in_step(&ws, &mut notices, &settings.target, &settings.net)?;
        ws.gate = Some(sync::push_first(&ws, &settings.target, &settings.net));
        match op(&ws, &mut notices) {
            Err(Error::Git(crate::git::GitError::RemoteMoved)) if tries < STRICT_TRIES => {}
            done => break done,
        }
    };
    drop(network);
    // The worker's status catches up with the push (ahead, last push).
    syncer.poke();
    let saved = saved?;
    let version = std::fs::read(&saved.path)
        .ok()
        .map(|bytes| crate::git::content_id(&bytes));
    let fate = saved.commit.as_ref().map(|_| Fate::Pushed);
    Ok(Outcome::Written(Box::new(saved), fate, version))
}

/// A write refused because of where the sync stands: the remote's history rewritten.
pub(crate) fn refused_by_sync(st: &State) -> Option<ApiError> {
    let status = st.syncer.as_ref()?.status();
    (status.state == "diverged-history").then(|| {
        ApiError::Body(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({
                "detail": format!(
                    "writes are refused: the remote's {} was rewritten ({})",
                    status.push,
                    status.last_error.as_deref().unwrap_or("its history changed")
                ),
                "hint": status.hint,
            }),
        )
    })
}

/// The 409 of a write whose change the remote's contradicts; nothing of it was kept.
fn conflict(saved: &Saved, info: &sync::ConflictInfo) -> Outcome {
    let said: Vec<String> = info
        .fields
        .iter()
        .map(|(key, mine, theirs)| {
            format!("`{key}`: this write set {mine}, the remote holds {theirs}")
        })
        .collect();
    let by = info
        .by
        .as_ref()
        .map(|(commit, author)| format!(" (commit {commit} by {author})"))
        .unwrap_or_default();
    Outcome::Refused(ApiError::Body(
        StatusCode::CONFLICT,
        json!({
            "detail": format!(
                "{} was changed on the remote meanwhile{by}: {}; nothing was written",
                saved.slug,
                said.join("; ")
            ),
            "hint": "read the experiment again, then send the change you still want",
            "conflicts": info.fields.iter().map(|(field, mine, theirs)| json!({
                "field": field, "yours": mine, "remote": theirs,
            })).collect::<Vec<_>>(),
            "remote_commit": info.by.as_ref().map(|(c, _)| c),
            "remote_author": info.by.as_ref().map(|(_, a)| a),
        }),
    ))
}
