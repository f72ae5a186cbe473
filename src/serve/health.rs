//! `/health`: the server answers, says whether this clone merges records with xp's driver,
//! and which branch its writes go to; with `?sync=1`, where that branch stands with its
//! upstream, and the sync worker's state on a team server.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use crate::ops;
use crate::serve::error::ApiError;
use crate::serve::query;
use crate::serve::state::{Shared, blocking};

/// `{"status": "ok", "merge_driver": ..., "branch": ...}`: `merge_driver` is whether this
/// clone merges records with the xp merge driver (`null` outside git), so that a server
/// creating records where `xp init` never ran says so; `branch` is where writes go (`null` on
/// a detached HEAD, where they are refused, and outside git). With `?sync=1`, `sync` adds
/// HEAD, the upstream and ahead/behind as of the last fetch (even without `--sync`, so that a
/// stale clone is never silent), and on a team server the sync worker's state.
pub async fn health(
    State(state): State<Shared>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    // Say where the branch stands with its upstream.
    let wants_sync = query::flag(query.as_deref(), "sync")?;
    let (driver, branch, standing) = blocking(state.clone(), move |st| {
        let ws = st.workspace().ok();
        let driver = ws.as_ref().and_then(ops::init::driver_registered);
        let branch = ws
            .as_ref()
            .and_then(|ws| ws.repo.as_ref())
            .and_then(|repo| repo.branch().ok().flatten());
        let standing = match (&ws, wants_sync) {
            (Some(ws), true) => ops::sync::standing(ws)?,
            _ => None,
        };
        Ok((driver, branch, standing))
    })
    .await?;
    let mut answer = json!({ "status": "ok", "merge_driver": driver, "branch": branch });
    if wants_sync {
        let mut sync = serde_json::to_value(&standing).unwrap_or(Value::Null);
        if let Some(sync) = sync.as_object_mut() {
            let worker = state.syncer.as_ref().map(|s| s.status());
            sync.insert(
                "state".into(),
                worker.as_ref().map_or(Value::Null, |w| json!(w.state)),
            );
            sync.insert(
                "last_fetch".into(),
                worker.as_ref().map_or(Value::Null, |w| json!(w.last_fetch)),
            );
        }
        answer["sync"] = sync;
    }
    Ok(Json(answer))
}
