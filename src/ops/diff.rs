//! What changed in experiments between two revisions (default: the merge base with the
//! default branch, and the work tree).

use std::path::Path;

use crate::error::Error;
use crate::git::Repo;
use crate::ops::workspace::Workspace;
use crate::review::diff::{self, ExperimentDiff, Version};
use crate::rules;

/// The changes, and what they were measured between.
pub struct DiffReport {
    pub diffs: Vec<ExperimentDiff>,
    /// The base commit's full id.
    pub base: String,
    /// The head commit's full id, or `None` for the work tree.
    pub head: Option<String>,
}

/// Compares the records at `base` (default: the merge base of HEAD with the default branch)
/// with those at `head` (default: the work tree).
pub fn diff(ws: &Workspace, base: Option<&str>, head: Option<&str>) -> Result<DiffReport, Error> {
    let repo = ws.need_repo("xp diff", "run it inside the repository's work tree")?;
    let dir = ws.repo_dir(repo)?;
    let base_commit = match base {
        Some(rev) => repo.resolve_rev(rev)?,
        None => {
            let branch = repo.default_branch().ok_or_else(|| {
                Error::failed(
                    "cannot tell the default branch (no origin/HEAD, main or master)",
                    "name the base: `xp diff BASE`",
                )
            })?;
            repo.merge_base(&branch, "HEAD")?.ok_or_else(|| {
                Error::failed(
                    format!("HEAD shares no history with {branch}"),
                    "name the base: `xp diff BASE`",
                )
            })?
        }
    };
    let before = at_commit(ws, repo, &base_commit, &dir)?;
    let (after, head_commit) = match head {
        Some(rev) => {
            let commit = repo.resolve_rev(rev)?;
            (at_commit(ws, repo, &commit, &dir)?, Some(commit))
        }
        None => {
            let records = ws
                .store
                .load_all()?
                .into_iter()
                .filter_map(|l| Some((l.shown.to_string_lossy().into_owned(), l.checked.record?)))
                .collect();
            (records, None)
        }
    };
    Ok(DiffReport {
        diffs: diff::diff(&before, &after),
        base: base_commit,
        head: head_commit,
    })
}

/// The records that pass the rules at a commit, with their paths as shown.
fn at_commit(ws: &Workspace, repo: &Repo, commit: &str, dir: &str) -> Result<Vec<Version>, Error> {
    Ok(repo
        .records_at(commit, dir, &super::check::is_record_at)?
        .into_iter()
        .filter_map(|(path, bytes)| {
            let shown = ws.store.show(&repo.workdir().join(&path));
            let record = rules::check_bytes(Path::new(&shown), &bytes).record?;
            Some((shown.to_string_lossy().into_owned(), record))
        })
        .collect())
}
