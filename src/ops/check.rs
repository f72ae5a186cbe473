//! Checking records against the rules, and with a base revision against the append-only
//! rules (`check --base`).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::error::{Error, Sources};
use crate::git::Repo;
use crate::ops::read::Found;
use crate::ops::read::{problems_of, sort, sources_of};
use crate::ops::workspace::{Workspace, normalize};
use crate::record::LogEntry;
use crate::record::lifecycle;
use crate::review::base::{self, Ahead, BaseFile};
use crate::rules::{self, Problem};
use crate::store::{Loaded, Store};

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct CheckInput {
    /// Files or directories (default: the experiments directory).
    pub paths: Vec<PathBuf>,
    /// Also compare with the merge base of HEAD and this revision.
    pub base: Option<String>,
}

/// What a check found.
pub struct CheckReport {
    /// How many files were checked.
    pub files: usize,
    pub problems: Vec<Problem>,
    pub sources: Sources,
    pub warnings: Vec<String>,
}

impl CheckReport {
    /// How many files have errors (a warning fails nothing).
    pub fn files_with_problems(&self) -> usize {
        let mut paths: Vec<_> = self
            .problems
            .iter()
            .filter(|p| p.severity == rules::Severity::Error)
            .map(|p| &p.path)
            .collect();
        paths.sort();
        paths.dedup();
        paths.len()
    }
}

/// Checks the records (and against a base revision when asked).
pub fn check(ws: &Workspace, input: &CheckInput) -> Result<CheckReport, Error> {
    if input.base.is_none() {
        // Without a base nothing but the problems is kept: files are read in parallel and
        // let go of as soon as they are checked.
        let files = files_of(&input.paths, ws)?;
        let mut reviewed = Vec::new();
        let mut reviewed_sources = Vec::new();
        let (mut problems, mut sources) = crate::ops::read::scan(
            ws,
            &files,
            |loaded| {
                // Reviewed beside the read; the record is not needed after it.
                let found = evidence_problems(loaded);
                loaded.checked.record = None;
                let text = (!found.is_empty()).then(|| loaded.bytes.clone());
                (found, text)
            },
            |loaded, (found, text)| {
                if let Some(text) = text {
                    reviewed.extend(found);
                    reviewed_sources.push((loaded.shown, text));
                }
                Ok(())
            },
        )?;
        for (shown, bytes) in &reviewed_sources {
            sources.add(shown, bytes);
        }
        problems.extend(reviewed);
        sort(&mut problems);
        return Ok(CheckReport {
            files: files.len(),
            problems,
            sources,
            warnings: driver_warning(ws).into_iter().collect(),
        });
    }
    let loaded = load(&input.paths, ws)?;
    let mut problems = problems_of(&loaded);
    problems.extend(loaded.iter().flat_map(evidence_problems));
    if let Some(rev) = &input.base {
        problems.extend(against_base(ws, rev, &loaded, !input.paths.is_empty())?);
        sort(&mut problems);
    }
    Ok(CheckReport {
        files: loaded.len(),
        sources: sources_of(&loaded, &problems),
        problems,
        warnings: driver_warning(ws).into_iter().collect(),
    })
}

/// What a record's results say against what it claims (`srm-detected` and the others of
/// [`rules::evidence`]); nothing for a record that breaks a rule.
fn evidence_problems(loaded: &Loaded) -> Vec<Problem> {
    match &loaded.checked.record {
        Some(record) => rules::evidence::review(&loaded.shown, record, loaded.checked.doc.as_ref()),
        None => Vec::new(),
    }
}

/// The append-only rules against the records at `rev`. With explicit paths, only the records
/// among them are compared (a deletion cannot be seen then).
fn against_base(
    ws: &Workspace,
    rev: &str,
    loaded: &[Loaded],
    only_given: bool,
) -> Result<Vec<Problem>, Error> {
    let repo = ws.need_repo(
        "--base",
        "run xp check --base inside the repository's work tree",
    )?;
    let (commit, label) = base_commit(repo, rev)?;
    let rev = label.as_str();
    let dir = ws.repo_dir(repo)?;
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
    let mut problems = base::compare(&base_files, loaded, rev);
    problems.extend(times_ahead(ws, &base_files, loaded)?);
    Ok(problems)
}

/// `log-time-ahead`: the entries each record gained since the base that are stamped more than a
/// day after the commits that hold them (or this clock), found from the records' histories
/// (read only for records that gained entries).
fn times_ahead(
    ws: &Workspace,
    base_files: &[BaseFile],
    loaded: &[Loaded],
) -> Result<Vec<Problem>, Error> {
    let base_logs: HashMap<&str, &[LogEntry]> = base_files
        .iter()
        .filter_map(|b| Some((b.checked.id.as_ref()?.0.as_str(), b.checked.log.as_deref()?)))
        .collect();
    let mut found = Vec::new();
    let mut gained = Vec::new();
    for file in loaded {
        let Some(record) = &file.checked.record else {
            continue;
        };
        let added = match base_logs.get(record.id.as_str()) {
            Some(old) => lifecycle::log(old, &record.decision_log).0,
            None => record.decision_log.clone(),
        };
        if !added.is_empty() {
            found.push(Found {
                loaded: file.clone(),
                record: record.clone(),
            });
            gained.push(added);
        }
    }
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let now = ws.env.now();
    let mut problems = Vec::new();
    for (history, mut added) in crate::ops::log::logs(ws, found)?.into_iter().zip(gained) {
        let mut flagged = Vec::new();
        for (index, line) in history.lines.iter().enumerate() {
            let Some(i) = added.iter().position(|e| *e == line.entry) else {
                continue;
            };
            added.swap_remove(i);
            if let (true, Some(bound)) = (line.ahead(Some(now)), line.bound(Some(now))) {
                flagged.push(Ahead {
                    index,
                    at: line.entry.at.clone(),
                    bound,
                    committed: line.held_since == Some(bound),
                });
            }
        }
        problems.extend(base::ahead(
            &history.found.loaded,
            &flagged,
            &history.found.loaded.slug,
        ));
    }
    Ok(problems)
}

/// The commit `--base REF` compares with, and how messages name it: the merge base of HEAD
/// and REF, so that what REF gained after this branch left it (a teammate's note, a record
/// added there) is not taken for a change made here. When REF is an ancestor of HEAD that is
/// REF itself, and messages name it as given.
fn base_commit(repo: &Repo, rev: &str) -> Result<(String, String), Error> {
    let target = repo.resolve_rev(rev)?;
    if repo.resolve_rev("HEAD").is_err() {
        return Err(Error::failed(
            format!("HEAD has no commit yet, so it shares no history with `{rev}`"),
            "commit first, or run `xp check` without --base",
        ));
    }
    let base = repo.merge_base(&target, "HEAD")?.ok_or_else(|| {
        Error::failed(
            format!("HEAD shares no history with `{rev}`: they have no merge base to compare with"),
            "name a branch, tag or commit this branch grew from",
        )
    })?;
    let label = if base == target {
        rev.to_owned()
    } else {
        format!(
            "the merge base of HEAD and {rev} ({})",
            base.get(..7).unwrap_or(&base)
        )
    };
    Ok((base, label))
}

/// Whether a path at a revision (relative to the work tree) is a record file: `*.yaml` or
/// `*.yml`, with no hidden folder on the way.
pub(crate) fn is_record_at(rel: &str) -> bool {
    rel.split('/').all(|part| !part.starts_with('.')) && crate::store::is_record_name(rel)
}

/// A warning when `.gitattributes` names the xp merge driver but this clone's config lacks it.
fn driver_warning(ws: &Workspace) -> Option<String> {
    let repo = ws.repo.as_ref()?;
    let attributes = std::fs::read_to_string(repo.workdir().join(".gitattributes")).ok()?;
    (crate::review::attributes::names_driver(&attributes)
        && repo.config_value("merge.xp.driver").is_none())
    .then(|| {
        ".gitattributes names the xp merge driver, but this clone's git config lacks it, so \
             decision logs will conflict on merge; run `xp init` once in this clone"
            .to_owned()
    })
}

/// Problems with paths relative to the repository's root, as GitHub wants them.
pub fn repo_relative(ws: &Workspace, problems: &[Problem]) -> Vec<Problem> {
    problems
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if let Some(repo) = &ws.repo {
                let abs = normalize(&ws.env.cwd.join(&p.path));
                if let Some(rel) = repo.relative(&abs) {
                    p.path = PathBuf::from(rel);
                }
            }
            p
        })
        .collect()
}

/// The files named (directories walked), or the whole store, read and checked.
fn load(paths: &[PathBuf], ws: &Workspace) -> Result<Vec<Loaded>, Error> {
    files_of(paths, ws)?
        .iter()
        .map(|f| ws.store.load(f))
        .collect()
}

/// The files named (directories walked), or the whole store's. A directory or file named that
/// does not exist is an error, so that a typo in CI does not pass as "nothing to check".
fn files_of(paths: &[PathBuf], ws: &Workspace) -> Result<Vec<PathBuf>, Error> {
    if paths.is_empty() {
        ws.need_dir()?;
        return ws.store.files();
    }
    let mut files = Vec::new();
    for path in paths {
        let full = ws.env.cwd.join(path);
        if std::fs::symlink_metadata(&full).is_err() {
            return Err(Error::failed(
                format!("{} does not exist", path.display()),
                "name experiment files or folders that exist; `xp check` with no paths checks \
                 the whole experiments directory",
            ));
        }
        if full.is_dir() {
            files.extend(Store::new(full, ws.env.cwd.clone()).files()?);
        } else {
            files.push(full);
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}
