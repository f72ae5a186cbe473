//! `POST /experiments/import`: experiments with their ids and whole logs, as `xp import` brings
//! them in, from a JSON body; all or nothing, every problem in one 422.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::import::{self, Mapping, PathStep, Place, Problem};
use crate::ops;
use crate::ops::import::{ImportError, Imported, Options};
use crate::serve::error::{ApiError, Invalid};
use crate::serve::extract::ImportBody;
use crate::serve::query::ImportQuery;
use crate::serve::state::{Shared, blocking};
use crate::serve::write::refused_by_sync;

/// `POST /experiments/import`: the body is a JSON array of experiments (what `GET /experiments`
/// answers, ids optional), or one experiment. Every item is checked before anything is
/// written; one problem anywhere refuses the whole import (422, every problem at its place in
/// the body). An id already here is left as it is and answered under `present`, so sending the
/// same body again changes nothing. Each new experiment is one commit. With `dry_run=true` the
/// answer says what would be created, and nothing is written.
pub async fn import(
    State(state): State<Shared>,
    query: ImportQuery,
    body: ImportBody,
) -> Result<Json<Value>, ApiError> {
    let ImportBody { value, bytes } = body;
    let single = value.is_object();
    let outcome = blocking(state, move |st| {
        if !query.dry_run
            && let Some(refused) = refused_by_sync(st)
        {
            return Ok(Err(refused));
        }
        let ws = st.workspace()?;
        // As for every write of the server: never commits that would be on no branch.
        if let Some(repo) = &ws.repo
            && !query.dry_run
        {
            repo.need_branch().map_err(crate::error::Error::from)?;
        }
        let parsed = import::from_json(value, &Mapping::default());
        let options = Options {
            dry_run: query.dry_run,
            ..Options::default()
        };
        match ops::import::import(&ws, &mut Vec::new(), parsed, options) {
            Ok(imported) => {
                if let Some(syncer) = &st.syncer
                    && imported.created.iter().any(|c| c.commit.is_some())
                {
                    syncer.poke();
                }
                Ok(Ok(imported))
            }
            Err(ImportError::Invalid { problems, .. }) => {
                Ok(Err(invalid(&problems, &bytes, single)))
            }
            Err(ImportError::Failed(e)) => Err(e),
        }
    })
    .await?;
    Ok(Json(answer(&outcome?)))
}

/// What was created (each with its file and commit) and what was already here, each with the
/// index of its item in the body.
fn answer(imported: &Imported) -> Value {
    let item = |place: &Place| match place {
        Place::Item { index } => Value::from(*index),
        _ => Value::Null,
    };
    let created: Vec<Value> = imported
        .created
        .iter()
        .map(|c| {
            json!({
                "item": item(&c.place),
                "id": c.record.id,
                "path": c.shown.to_string_lossy(),
                "commit": c.commit.as_ref().map(|c| c.short.clone()),
            })
        })
        .collect();
    let present: Vec<Value> = imported
        .present
        .iter()
        .map(|p| {
            json!({
                "item": item(&p.place),
                "id": p.id,
                "path": p.shown.to_string_lossy(),
                "same": p.same,
            })
        })
        .collect();
    json!({ "created": created, "present": present })
}

/// The 422 of an import: each problem with its rule, its place in the body as a `loc`
/// (`["body", 3, "decision_log", 2, "at"]`; without the index when the body is one object)
/// and what the body held there.
fn invalid(problems: &[Problem], bytes: &[u8], single: bool) -> ApiError {
    // The body was read once already; read again only to show what each place held.
    let sent: Value = serde_json::from_slice(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes))
        .unwrap_or(Value::Null);
    let list = problems
        .iter()
        .map(|p| {
            let mut steps = p.spot.path();
            if single && matches!(steps.first(), Some(PathStep::Index(0))) {
                steps.remove(0);
            }
            let mut loc = vec![Value::from("body")];
            let mut input = Some(&sent);
            for step in &steps {
                match step {
                    PathStep::Index(i) => {
                        loc.push(Value::from(*i));
                        input = input.and_then(|v| v.get(*i));
                    }
                    PathStep::Key(k) => {
                        loc.push(Value::from(k.as_str()));
                        input = input.and_then(|v| v.get(k));
                    }
                }
            }
            // The whole body only when it is a lone value (never all the experiments again).
            let input = match (steps.is_empty(), &sent) {
                (true, Value::Array(_) | Value::Object(_)) => Value::Null,
                _ => input.cloned().unwrap_or(Value::Null),
            };
            Invalid {
                kind: p.rule.name().to_owned(),
                loc,
                msg: p.message.clone(),
                input,
            }
        })
        .collect();
    ApiError::Invalid(list)
}
