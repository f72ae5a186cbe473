//! `/sync`: where a team server stands with its remote (`GET`), and a round at once (`POST`,
//! for a forge's webhook or a CI job; guarded like every write).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::ops::syncer::Status;
use crate::serve::error::ApiError;
use crate::serve::state::Shared;

/// `GET /sync`: the sync worker's status.
pub async fn status(State(state): State<Shared>) -> Result<Json<Status>, ApiError> {
    match &state.syncer {
        Some(syncer) => Ok(Json(syncer.status())),
        None => Err(not_syncing()),
    }
}

/// `POST /sync`: asks for a round now; answers at once (202) with the status so far.
pub async fn poke(State(state): State<Shared>) -> Result<(StatusCode, Json<Status>), ApiError> {
    match &state.syncer {
        Some(syncer) => {
            syncer.poke();
            Ok((StatusCode::ACCEPTED, Json(syncer.status())))
        }
        None => Err(not_syncing()),
    }
}

fn not_syncing() -> ApiError {
    ApiError::detail(
        StatusCode::NOT_FOUND,
        "this server does not sync with a remote (start it with `xp serve --sync`)",
    )
}
