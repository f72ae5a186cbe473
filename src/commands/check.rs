//! `xp check`: validates every record, and with `--base` compares them with a base revision;
//! exit 1 if any rule fails. Silent on success.

use std::path::PathBuf;

use crate::base::{self, BaseFile};
use crate::commands::{Workspace, problems_of, render_problems};
use crate::error::Error;
use crate::report;
use crate::rules::{self, Problem};
use crate::store::{self, Loaded};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories to check (default: the experiments directory)
    pub paths: Vec<PathBuf>,
    /// Also compare with this revision (branch, tag or commit): logs append-only, ids fixed,
    /// no record deleted
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also say how many files were checked when all is well
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    /// GitHub Actions workflow commands: annotations on the pull request's diff
    Github,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let loaded = load(&args.paths, ws)?;
    let mut problems = problems_of(&loaded);
    if let Some(rev) = &args.base {
        problems.extend(against_base(ws, rev, &loaded, !args.paths.is_empty())?);
        problems.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    }
    let warnings: Vec<String> = driver_warning(ws).into_iter().collect();
    let out = match args.format {
        Format::Json => report::json(&problems, loaded.len(), &warnings),
        Format::Github => report::github(&repo_relative(ws, &problems), &warnings),
        Format::Human => {
            for w in &warnings {
                ui.warning(w);
            }
            render_problems(&loaded, &problems, ui)
        }
    };
    ui.data(&out).map_err(|e| Error::io("stdout", e))?;
    if problems.is_empty() {
        if args.verbose {
            ui.status(&format!(
                "{} experiment file(s) checked{}, no problems",
                loaded.len(),
                args.base
                    .as_deref()
                    .map(|b| format!(" against {b}"))
                    .unwrap_or_default()
            ));
        }
        return Ok(());
    }
    let files = {
        let mut paths: Vec<_> = problems.iter().map(|p| &p.path).collect();
        paths.sort();
        paths.dedup();
        paths.len()
    };
    Err(Error::failed(
        format!(
            "{} problem{} in {files} file{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" },
        ),
        "fix each place named above; `xp check` again shows what is left",
    ))
}

/// The append-only rules against the records at `rev`. With explicit paths, only the records
/// among them are compared (a deletion cannot be seen then).
fn against_base(
    ws: &Workspace,
    rev: &str,
    loaded: &[Loaded],
    only_given: bool,
) -> Result<Vec<Problem>, Error> {
    let repo = ws.repo.as_ref().ok_or_else(|| {
        Error::failed(
            "--base needs a git repository",
            "run xp check --base inside the repository's work tree",
        )
    })?;
    let commit = repo.resolve_rev(rev)?;
    let dir = repo.relative(&ws.store.dir).ok_or_else(|| {
        Error::failed(
            "the experiments directory is outside the git work tree",
            "pass --dir with a directory inside the repository",
        )
    })?;
    let mut base_files: Vec<BaseFile> = repo
        .records_at(&commit, &dir, &is_record_at)?
        .into_iter()
        .map(|(path, bytes)| {
            let shown = ws.store.show(&repo.workdir().join(&path));
            let checked = rules::check_bytes(&shown, &bytes);
            BaseFile { shown, checked }
        })
        .collect();
    if only_given {
        base_files.retain(|b| {
            loaded.iter().any(|l| {
                l.shown == b.shown
                    || (l.checked.id.is_some()
                        && l.checked.id.as_ref().map(|i| &i.0)
                            == b.checked.id.as_ref().map(|i| &i.0))
            })
        });
    }
    Ok(base::compare(&base_files, loaded, rev))
}

/// A warning when `.gitattributes` names the xp merge driver but this clone's config lacks it.
fn driver_warning(ws: &Workspace) -> Option<String> {
    let repo = ws.repo.as_ref()?;
    let attributes = std::fs::read_to_string(repo.workdir().join(".gitattributes")).ok()?;
    let named = attributes
        .lines()
        .any(|l| !l.trim_start().starts_with('#') && l.split_whitespace().any(|w| w == "merge=xp"));
    (named && repo.config_value("merge.xp.driver").is_none()).then(|| {
        ".gitattributes names the xp merge driver, but this clone's git config lacks it, so \
         decision logs will conflict on merge; run `xp init` once in this clone"
            .to_owned()
    })
}

/// Problems with paths relative to the repository's root, as GitHub wants them.
fn repo_relative(ws: &Workspace, problems: &[Problem]) -> Vec<Problem> {
    problems
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if let Some(repo) = &ws.repo {
                let abs = super::normalize(&ws.env.cwd.join(&p.path));
                if let Some(rel) = repo.relative(&abs) {
                    p.path = PathBuf::from(rel);
                }
            }
            p
        })
        .collect()
}

/// The files named on the command line (directories walked), or the whole store.
fn load(paths: &[PathBuf], ws: &Workspace) -> Result<Vec<Loaded>, Error> {
    if paths.is_empty() {
        return ws.store.load_all();
    }
    let mut files = Vec::new();
    for path in paths {
        let full = ws.env.cwd.join(path);
        if full.is_dir() {
            files.extend(store::Store::new(full, ws.env.cwd.clone()).files()?);
        } else {
            files.push(full);
        }
    }
    files.sort();
    files.dedup();
    files.iter().map(|f| ws.store.load(f)).collect()
}

/// Whether a file at `rel` under the experiments directory is a record: no hidden folder on
/// the way, and a record's name.
pub(crate) fn is_record_at(rel: &str) -> bool {
    rel.split('/').all(|part| !part.starts_with('.')) && crate::store::is_record_name(rel)
}
