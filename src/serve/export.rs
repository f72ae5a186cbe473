//! `/experiments/export.csv`: exactly the bytes of `xp export` for the same query.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::Error;
use crate::ops;
use crate::serve::error::ApiError;
use crate::serve::query::ExportQuery;
use crate::serve::state::{Shared, blocking};

/// `GET /experiments/export.csv`: refused (409) while any record breaks a rule, as the CLI's.
pub async fn csv(
    State(state): State<Shared>,
    ExportQuery(query): ExportQuery,
) -> Result<impl IntoResponse, ApiError> {
    let bytes = blocking(state, move |st| {
        let ws = st.workspace()?;
        let listing = ops::read::listing(st.cache.load_all(&ws)?, &query.filter);
        let records = ops::read::export_of(listing)?;
        let mut bytes = Vec::new();
        crate::export::write_csv(&mut bytes, &records, &query.columns, query.excel)
            .map_err(|e| Error::io("export", e))?;
        Ok(bytes)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"experiments.csv\"",
            ),
        ],
        bytes,
    ))
}
