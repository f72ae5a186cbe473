//! `/health`: the server answers, says whether this clone merges records with xp's driver,
//! and which branch its writes go to.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::ops;
use crate::serve::error::ApiError;
use crate::serve::state::{Shared, blocking};

/// `{"status": "ok", "merge_driver": ..., "branch": ...}`: `merge_driver` is whether this
/// clone merges records with the xp merge driver (`null` outside git), so that a server
/// creating records where `xp init` never ran says so; `branch` is where writes go (`null` on
/// a detached HEAD, where they are refused, and outside git).
pub async fn health(State(state): State<Shared>) -> Result<Json<Value>, ApiError> {
    let (driver, branch) = blocking(state, |st| {
        let ws = st.workspace().ok();
        let driver = ws.as_ref().and_then(ops::init::driver_registered);
        let branch = ws
            .as_ref()
            .and_then(|ws| ws.repo.as_ref())
            .and_then(|repo| repo.branch().ok().flatten());
        Ok((driver, branch))
    })
    .await?;
    Ok(Json(
        json!({ "status": "ok", "merge_driver": driver, "branch": branch }),
    ))
}
