//! `xp resolve [PATH]...`: after a merge left experiment files conflicted (a forge's merge
//! button, a clone without the merge driver), merges each as the driver would, from the
//! versions git staged, writes it and stages it.

use std::path::{Path, PathBuf};

use crate::commands::merge_driver::describe;
use crate::commands::{Workspace, normalize};
use crate::error::Error;
use crate::git::{ConflictedFile, Repo};
use crate::merge::{self, Conflict};
use crate::store;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Conflicted experiment files (default: every one in the experiments directory)
    pub paths: Vec<PathBuf>,
}

/// What became of one conflicted file.
enum Outcome {
    Resolved,
    Left,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let Some(repo) = &ws.repo else {
        return Err(Error::failed(
            "not in a git work tree",
            "xp resolve finishes a git merge that left experiment files conflicted",
        ));
    };
    let _lock = ws.lock(ui)?;
    let conflicted = repo.conflicts()?;
    let files = if args.paths.is_empty() {
        conflicted
            .into_iter()
            .filter(|c| is_record(ws, &repo.workdir().join(&c.path)))
            .collect()
    } else {
        named(ws, repo, &args.paths, conflicted)?
    };
    if files.is_empty() {
        ui.status("no experiment file is conflicted");
        return Ok(());
    }
    let mut left = Vec::new();
    for file in &files {
        if let Outcome::Left = resolve(ws, repo, file, ui)? {
            left.push(file.path.clone());
        }
    }
    if left.is_empty() {
        ui.note("all experiment files merged and staged; finish with `git commit --no-edit`");
        return Ok(());
    }
    Err(Error::failed(
        format!(
            "{} experiment file{} still conflicted: {}",
            left.len(),
            if left.len() == 1 { " is" } else { "s are" },
            left.join(", ")
        ),
        "keep one side between each pair of conflict markers, `xp check` the files, then \
         `git add` them and commit",
    ))
}

/// The conflicted files the command line names; a name that is not one is an error.
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
fn resolve(
    ws: &Workspace,
    repo: &Repo,
    file: &ConflictedFile,
    ui: &mut Ui,
) -> Result<Outcome, Error> {
    let full = repo.workdir().join(&file.path);
    let shown = ws.store.show(&full).display().to_string();
    let (Some(ours), Some(theirs)) = (&file.ours, &file.theirs) else {
        ui.warning(&format!(
            "{shown} was deleted on one side and changed on the other; keep it (`git add \
             {shown}`) or delete it (`git rm {shown}`) by hand"
        ));
        return Ok(Outcome::Left);
    };
    // A file already worked on by hand is not overwritten.
    if let Ok(current) = store::read_file(&full)
        && !merge::has_markers(&current)
        && current != *ours
    {
        ui.warning(&format!(
            "{shown} has no conflict markers left, so it looks resolved by hand; `git add` \
             it, or start over with `git checkout --merge -- {shown}` and `xp resolve`"
        ));
        return Ok(Outcome::Left);
    }
    let merged = merge::merge(file.base.as_deref(), ours, theirs);
    if merged.is_clean() {
        ws.store.write(&full, &merged.text)?;
        repo.stage_resolved(&file.path, &merged.text)?;
        ui.status(&format!("merged {shown}"));
        return Ok(Outcome::Resolved);
    }
    if let [Conflict::BothCreated { .. }] = merged.conflicts.as_slice() {
        let second = ws.store.path_beside(&full);
        let Some(second_rel) = repo.relative(&second) else {
            return Err(Error::failed(
                format!("{} is outside the git work tree", second.display()),
                "resolve this conflict by hand",
            ));
        };
        ws.store.write(&full, ours)?;
        ws.store.write(&second, theirs)?;
        repo.stage_resolved(&file.path, ours)?;
        repo.stage_resolved(&second_rel, theirs)?;
        ui.status(&format!(
            "kept both experiments: ours in {shown}, theirs in {}",
            ws.store.show(&second).display()
        ));
        return Ok(Outcome::Resolved);
    }
    ws.store.write(&full, &merged.text)?;
    let (message, _) = describe(&shown, &merged.conflicts);
    ui.warning(&message);
    Ok(Outcome::Left)
}
