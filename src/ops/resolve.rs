//! Merging experiment files: git's merge driver on its three temporary files, and `resolve`
//! for merges made without it, from the versions git staged.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::git::{ConflictedFile, Repo};
use crate::ops::notice::Notice;
use crate::ops::workspace::{Workspace, normalize};
use crate::review::merge::{self, Conflict, Labels, Merged};
use crate::store;

/// The three versions the merge driver is given, and the names for conflict markers.
pub struct DriverInput<'a> {
    pub base: &'a Path,
    pub ours: &'a Path,
    pub theirs: &'a Path,
    pub labels: Labels,
}

/// Merges theirs into ours as git's merge driver: the result replaces ours.
pub fn merge_driver(cwd: &Path, input: DriverInput) -> Result<Merged, Error> {
    let at = |p: &Path| cwd.join(p);
    let base = store::read_file(&at(input.base))?;
    let ours = store::read_file(&at(input.ours))?;
    let theirs = store::read_file(&at(input.theirs))?;
    let merged = merge::merge_labelled(Some(&base), &ours, &theirs, &input.labels);
    store::replace_file(&at(input.ours), &merged.text)?;
    Ok(merged)
}

/// What became of one conflicted file.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Merged cleanly and staged.
    Merged,
    /// Both sides created an experiment of this slug: ours stays, theirs went to `second`.
    KeptBoth { second: PathBuf },
    /// Deleted on one side and changed on the other: left to the person.
    DeletedOnOneSide,
    /// No markers left and not ours: it looks resolved by hand, so it is left alone.
    ResolvedByHand,
    /// Real conflicts: written with conflict markers, still conflicted.
    Conflicted(Vec<Conflict>),
}

impl Outcome {
    /// Whether the file is still conflicted afterwards.
    pub fn is_left(&self) -> bool {
        !matches!(self, Outcome::Merged | Outcome::KeptBoth { .. })
    }
}

/// One conflicted file and what became of it.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    /// The path relative to the work tree.
    pub path: String,
    /// The path as shown to the user.
    pub shown: String,
    pub outcome: Outcome,
}

/// Merges the conflicted experiment files (`paths`, or every one) as the driver would.
pub fn resolve(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    paths: &[PathBuf],
) -> Result<Vec<FileOutcome>, Error> {
    let Some(repo) = &ws.repo else {
        return Err(Error::failed(
            "not in a git work tree",
            "xp resolve finishes a git merge that left experiment files conflicted",
        ));
    };
    let _lock = ws.lock(notices)?;
    let conflicted = repo.conflicts()?;
    let files = if paths.is_empty() {
        conflicted
            .into_iter()
            .filter(|c| is_record(ws, &repo.workdir().join(&c.path)))
            .collect()
    } else {
        named(ws, repo, paths, conflicted)?
    };
    files
        .iter()
        .map(|file| {
            let full = repo.workdir().join(&file.path);
            let shown = ws.store.show(&full).display().to_string();
            let outcome = resolve_one(ws, repo, file, &full)?;
            Ok(FileOutcome {
                path: file.path.clone(),
                shown,
                outcome,
            })
        })
        .collect()
}

/// The conflicted files named; a name that is not one is an error.
fn named(
    ws: &Workspace,
    repo: &Repo,
    paths: &[PathBuf],
    conflicted: Vec<ConflictedFile>,
) -> Result<Vec<ConflictedFile>, Error> {
    let mut wanted = Vec::new();
    for path in paths {
        let full = normalize(&ws.env.cwd.join(path));
        let shown = path.display();
        if !is_record(ws, &full) {
            return Err(Error::failed(
                format!("{shown} is not an experiment file"),
                format!(
                    "name `*.yaml` files in {}",
                    ws.store.show(&ws.store.dir).display()
                ),
            ));
        }
        let rel = repo.relative(&full);
        match conflicted.iter().find(|c| Some(&c.path) == rel.as_ref()) {
            Some(c) => wanted.push(c.clone()),
            None => {
                return Err(Error::failed(
                    format!("{shown} has no conflict to resolve"),
                    "`git status` lists the conflicted files",
                ));
            }
        }
    }
    wanted.sort_by(|a, b| a.path.cmp(&b.path));
    wanted.dedup_by(|a, b| a.path == b.path);
    Ok(wanted)
}

/// Whether a path is a record file in the experiments directory (hidden ones are not).
fn is_record(ws: &Workspace, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(&ws.store.dir) else {
        return false;
    };
    let names: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    names.last().is_some_and(|n| store::is_record_name(n))
        && names.iter().all(|n| !n.starts_with('.'))
}

/// Merges one conflicted file from its staged versions; stages it when the merge is clean.
fn resolve_one(
    ws: &Workspace,
    repo: &Repo,
    file: &ConflictedFile,
    full: &Path,
) -> Result<Outcome, Error> {
    let (Some(ours), Some(theirs)) = (&file.ours, &file.theirs) else {
        return Ok(Outcome::DeletedOnOneSide);
    };
    // A file already worked on by hand is not overwritten.
    if let Ok(current) = store::read_file(full)
        && !merge::has_markers(&current)
        && current != *ours
    {
        return Ok(Outcome::ResolvedByHand);
    }
    let merged = merge::merge(file.base.as_deref(), ours, theirs);
    if merged.is_clean() {
        ws.store.write(full, &merged.text)?;
        repo.stage_resolved(&file.path, &merged.text)?;
        return Ok(Outcome::Merged);
    }
    if let [Conflict::BothCreated { .. }] = merged.conflicts.as_slice() {
        let second = ws.store.path_beside(full);
        let Some(second_rel) = repo.relative(&second) else {
            return Err(Error::failed(
                format!("{} is outside the git work tree", second.display()),
                "resolve this conflict by hand",
            ));
        };
        ws.store.write(full, ours)?;
        ws.store.write(&second, theirs)?;
        repo.stage_resolved(&file.path, ours)?;
        repo.stage_resolved(&second_rel, theirs)?;
        return Ok(Outcome::KeptBoth {
            second: ws.store.show(&second),
        });
    }
    ws.store.write(full, &merged.text)?;
    Ok(Outcome::Conflicted(merged.conflicts))
}
