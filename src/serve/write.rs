//! How every write runs and answers: one operation on a blocking thread, its errors pointed
//! at the request's body, the record as written answered with its commit in `xp-commit`.

use axum::Json;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::write::Writer;
use crate::ops::{Notice, Saved, WriteOptions};
use crate::record::Record;
use crate::serve::error::{ApiError, Blame};
use crate::serve::state::{Shared, blocking};

/// How the server writes: each change committed, and a record with someone's changes not
/// committed refused rather than committed under the server's name.
pub const SERVER: WriteOptions = WriteOptions {
    commit: true,
    writer: Writer::Service,
};

/// A write's answer: the record as written, and the commit's short hash in `xp-commit`.
pub struct Written {
    pub record: Record,
    pub commit: Option<String>,
}

impl IntoResponse for Written {
    fn into_response(self) -> Response {
        let mut res = Json(self.record).into_response();
        if let Some(value) = self.commit.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().insert("xp-commit", value);
        }
        res
    }
}

/// Runs `op` in the request's workspace on a blocking thread and answers what it wrote; its
/// errors point at what `blame` says the request gave.
pub async fn write(
    state: Shared,
    blame: Blame,
    op: impl FnOnce(&Workspace, &mut Vec<Notice>) -> Result<Saved, Error> + Send + 'static,
) -> Result<Written, ApiError> {
    let saved = blocking(state, move |st| {
        let ws = st.workspace()?;
        op(&ws, &mut Vec::new())
    })
    .await;
    match saved {
        Ok(saved) => Ok(Written {
            record: saved.record,
            commit: saved.commit.map(|c| c.short),
        }),
        Err(e) => Err(e.about(blame)),
    }
}
