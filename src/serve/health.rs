//! `/health`: the server answers, and says whether this clone merges records with xp's driver.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::ops;
use crate::serve::error::ApiError;
use crate::serve::state::{Shared, blocking};

/// `{"status": "ok", "merge_driver": ...}`: `merge_driver` is whether this clone merges records
/// with the xp merge driver (`null` outside git), so that a server creating records where
/// `xp init` never ran says so.
pub async fn health(State(state): State<Shared>) -> Result<Json<Value>, ApiError> {
    let driver = blocking(state, |st| {
        Ok(st
            .workspace()
            .ok()
            .and_then(|ws| ops::init::driver_registered(&ws)))
    })
    .await?;
    Ok(Json(json!({ "status": "ok", "merge_driver": driver })))
}
