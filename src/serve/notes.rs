//! `/experiments/{ref}/notes`: the decision log's notes, and a note appended to it as `xp
//! note` appends it.

use axum::Json;
use axum::extract::State;

use crate::ops;
use crate::ops::note::Who;
use crate::record::LogEntry;
use crate::serve::body;
use crate::serve::error::{ApiError, Blame};
use crate::serve::extract::{JsonBody, Ref};
use crate::serve::state::{Shared, blocking};
use crate::serve::write::{SERVER, Written, write};

/// `GET /experiments/{ref}/notes`: the decision log, `[{at, who, note}]`, oldest first.
pub async fn list(
    State(state): State<Shared>,
    Ref(r): Ref,
) -> Result<Json<Vec<LogEntry>>, ApiError> {
    let found = blocking(state, move |st| {
        let ws = st.workspace()?;
        st.get(&ws, &r)
    })
    .await?;
    Ok(Json(found.record.decision_log))
}

/// `POST /experiments/{ref}/notes`: `{"note": ..., "who": optional}`; the server stamps `at`.
pub async fn add(
    State(state): State<Shared>,
    Ref(r): Ref,
    body: JsonBody,
) -> Result<Written, ApiError> {
    let note = body::note(&body)?;
    write(state, Blame::Change(body.0), move |ws, notices| {
        ops::note::append(ws, notices, &r, note.clone(), Who::AsGiven, SERVER)
    })
    .await
}
