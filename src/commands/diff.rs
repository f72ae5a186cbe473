//! `xp diff`: what changed in experiments between two commits (default: the merge base with
//! the default branch, and the work tree), as Markdown for a pull request or as JSON.

use std::path::Path;

use crate::commands::Workspace;
use crate::diff::{self, Version};
use crate::error::Error;
use crate::git::Repo;
use crate::rules;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The base revision (default: the merge base of HEAD with the default branch)
    pub base: Option<String>,
    /// The head revision (default: the work tree)
    pub head: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let repo = ws.repo.as_ref().ok_or_else(|| {
        Error::failed(
            "xp diff needs a git repository",
            "run it inside the repository's work tree",
        )
    })?;
    let dir = repo.relative(&ws.store.dir).ok_or_else(|| {
        Error::failed(
            "the experiments directory is outside the git work tree",
            "pass --dir with a directory inside the repository",
        )
    })?;
    let base_commit = match &args.base {
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
    let base = at_commit(ws, repo, &base_commit, &dir)?;
    let (head, head_label, head_id) = match &args.head {
        Some(rev) => {
            let commit = repo.resolve_rev(rev)?;
            let label = format!("`{}`", &commit[..7]);
            (at_commit(ws, repo, &commit, &dir)?, label, commit)
        }
        None => {
            let records = ws
                .store
                .load_all()?
                .into_iter()
                .filter_map(|l| Some((l.shown.to_string_lossy().into_owned(), l.checked.record?)))
                .collect();
            (records, "the work tree".to_owned(), "worktree".to_owned())
        }
    };
    let diffs = diff::diff(&base, &head);
    let base_label = format!("`{}`", &base_commit[..7]);
    let out = match args.format {
        Format::Markdown => diff::markdown(&diffs, &base_label, &head_label),
        Format::Json => diff::json(&diffs, &base_commit, &head_id),
    };
    ui.data(&out).map_err(|e| Error::io("stdout", e))
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
