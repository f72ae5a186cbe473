//! `/experiments/{ref}/notes`: a note appended to the decision log, as `xp note` appends it.

use axum::extract::State;

use crate::ops;
use crate::ops::note::Who;
use crate::serve::body;
use crate::serve::error::{ApiError, Blame};
use crate::serve::extract::{JsonBody, Ref};
use crate::serve::state::Shared;
use crate::serve::write::{SERVER, Written, write};

/// `POST /experiments/{ref}/notes`: `{"note": ..., "who": optional}`; the server stamps `at`.
pub async fn add(
    State(state): State<Shared>,
    Ref(r): Ref,
    body: JsonBody,
) -> Result<Written, ApiError> {
    let note = body::note(&body)?;
    write(state, Blame::Change(body.0), move |ws, notices| {
        ops::note::append(ws, notices, &r, note, Who::AsGiven, SERVER)
    })
    .await
}
