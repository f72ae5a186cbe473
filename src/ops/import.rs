//! Importing experiments kept elsewhere (the origin service's exports, xp's own, a
//! spreadsheet): every row checked before anything is written, then one commit per new
//! experiment, chained, with the branch moved once.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::error::Error;
use crate::git::{ChainedFile, Committed};
use crate::import::{self, Parsed, Place, Problem};
use crate::ops::notice::Notice;
use crate::ops::workspace::Workspace;
use crate::ops::write::{Change, commit_message};
use crate::record::Record;
use crate::record::edit::render_record;
use crate::store::Loaded;

/// How an import goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Import the valid rows and report the others, instead of importing nothing.
    pub skip_invalid: bool,
    /// Say what would be created, and write nothing.
    pub dry_run: bool,
}

/// An experiment the import created (or, in a dry run, would create).
#[derive(Debug, Clone)]
pub struct Created {
    pub place: Place,
    pub record: Record,
    /// Absolute path of the file.
    pub path: PathBuf,
    /// The path as shown to the user.
    pub shown: PathBuf,
    pub slug: String,
    /// Its commit, in a git work tree.
    pub commit: Option<Committed>,
}

/// A row whose id an experiment already has: left as it is.
#[derive(Debug, Clone)]
pub struct Present {
    pub place: Place,
    pub id: String,
    /// The file that has the id, as shown to the user.
    pub shown: PathBuf,
    /// Whether that file holds exactly the row's record.
    pub same: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// How many rows the input held.
    pub rows: usize,
    pub created: Vec<Created>,
    pub present: Vec<Present>,
    /// With `skip_invalid`: the problems of the rows left out.
    pub skipped: Vec<Problem>,
    /// How many rows were left out for their problems.
    pub skipped_rows: usize,
}

/// Why an import did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Rows (or the input) break rules: every problem, at its place; nothing was written.
    #[error("{} problem{} in the input; nothing was imported", .problems.len(), if .problems.len() == 1 { "" } else { "s" })]
    Invalid { problems: Vec<Problem>, rows: usize },
    /// Reading, writing or committing failed.
    #[error(transparent)]
    Failed(#[from] Error),
}

/// A new experiment to write: where, its text, its commit.
struct New {
    index: usize,
    path: PathBuf,
    text: String,
    /// Already on disk, exactly so, and not committed: what a killed import left.
    written: bool,
}

/// Imports the rows: checks every one (the rules of a record, ids unique in the input), then,
/// unless a problem was found (or `skip_invalid` leaves those rows out), writes one file per
/// experiment whose id is new here and commits each in its own commit, in the input's order.
/// An id already present is reported, never written again; a file a killed import wrote and
/// did not commit is committed now.
pub fn import(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    input: Parsed,
    options: Options,
) -> Result<Imported, ImportError> {
    let Parsed {
        rows: input_rows,
        mut problems,
    } = input;
    let rows = input_rows.len();
    let mut checked: Vec<import::Checked> = check_all(&input_rows);
    drop(input_rows);
    for (i, problem) in import::duplicate_ids(&checked) {
        checked[i].problems.push(problem);
        checked[i].record = None;
    }
    let mut skipped_rows = 0;
    let mut valid = Vec::new();
    for row in checked {
        match row.record {
            Some(record) if row.problems.is_empty() => valid.push((row.place, record)),
            _ => {
                skipped_rows += 1;
                problems.extend(row.problems);
            }
        }
    }
    // In the input's order: a problem of the whole input first, then row by row (stable, so
    // each row's problems keep theirs).
    problems.sort_by_key(|p| import::order(&p.spot.place));
    if !problems.is_empty() && !options.skip_invalid {
        return Err(ImportError::Invalid { problems, rows });
    }
    let mut imported = Imported {
        rows,
        skipped: problems,
        skipped_rows,
        ..Imported::default()
    };
    ws.need_dir()?;
    ws.store.check_dir()?;
    if options.dry_run {
        let plan = plan(ws, &valid)?;
        finish(ws, &mut imported, valid, plan, Vec::new());
        return Ok(imported);
    }
    let _lock = ws.lock(notices)?;
    let (present, new) = plan(ws, &valid)?;
    let repo = ws.repo.as_ref();
    let chain = new
        .iter()
        .map(|n| {
            let record = &valid[n.index].1;
            let rel_path = match repo {
                Some(repo) => ws.repo_path(repo, &n.path)?,
                None => String::new(),
            };
            let slug = slug_of(&n.path);
            let change = Change {
                subject: format!("xp: import {slug}"),
                fields: Vec::new(),
                body: record.title.clone(),
                id: record.id.clone(),
            };
            Ok(ChainedFile {
                rel_path,
                content: n.text.clone().into_bytes(),
                message: commit_message(&change),
                author_time: record
                    .decision_log
                    .first()
                    .and_then(|e| crate::time::parse_utc(&e.at)),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    if let Some(repo) = repo {
        repo.preflight_chain(&chain).map_err(Error::from)?;
    }
    let writes: Vec<(PathBuf, Vec<u8>)> = new
        .iter()
        .filter(|n| !n.written)
        .map(|n| (n.path.clone(), n.text.clone().into_bytes()))
        .collect();
    // Written in two halves, so that a test can stop xp between them as a kill would.
    let half = writes.len() / 2;
    ws.store.write_many(&writes[..half])?;
    ws.env.crash_point("import-half");
    ws.store.write_many(&writes[half..])?;
    let commits = match repo {
        Some(repo) if !chain.is_empty() => {
            let reflog = format!(
                "xp: import {} experiment{}",
                chain.len(),
                if chain.len() == 1 { "" } else { "s" }
            );
            match repo.commit_chain(&chain, &reflog, &ws.env.git()) {
                Ok(commits) => commits,
                Err(e) => {
                    // Nothing committed: the files this import wrote go again.
                    for (path, _) in &writes {
                        let _ = std::fs::remove_file(path);
                    }
                    return Err(Error::from(e).into());
                }
            }
        }
        _ => Vec::new(),
    };
    if let Some(repo) = repo
        && !commits.is_empty()
        && repo.wants_signing()
    {
        notices.push(Notice::Warning(
            "commit.gpgsign is set, but xp's commits are not signed".into(),
        ));
    }
    finish(ws, &mut imported, valid, (present, new), commits);
    Ok(imported)
}

/// Checks every row, on every core.
fn check_all(rows: &[import::Row]) -> Vec<import::Checked> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = rows
            .chunks(per)
            .map(|part| scope.spawn(move || part.iter().map(import::check).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Which valid rows are present already (by id), and where the others go.
fn plan(ws: &Workspace, valid: &[(Place, Record)]) -> Result<(Vec<Present>, Vec<New>), Error> {
    let existing = existing_ids(ws)?;
    let mut present = Vec::new();
    let mut new = Vec::new();
    let mut fresh = Vec::new();
    for (index, ((place, record), text)) in valid.iter().zip(render_all(valid)).enumerate() {
        match existing.get(&record.id.to_ascii_lowercase()) {
            Some(loaded) => {
                let uncommitted = loaded.bytes == text.as_bytes() && !committed(ws, loaded)?;
                if uncommitted {
                    new.push(New {
                        index,
                        path: loaded.path.clone(),
                        text,
                        written: true,
                    });
                } else {
                    present.push(Present {
                        place: place.clone(),
                        id: record.id.clone(),
                        shown: loaded.shown.clone(),
                        same: loaded.checked.record.as_ref() == Some(record),
                    });
                }
            }
            None => fresh.push((index, text)),
        }
    }
    let taken = match &ws.repo {
        Some(repo) => repo.names_in(&ws.repo_dir(repo)?)?,
        None => HashSet::new(),
    };
    let titles: Vec<&str> = fresh
        .iter()
        .map(|(index, _)| valid[*index].1.title.as_str())
        .collect();
    let paths = ws.store.new_paths(&titles, taken);
    for ((index, text), path) in fresh.into_iter().zip(paths) {
        new.push(New {
            index,
            path,
            text,
            written: false,
        });
    }
    // Commits follow the input's order.
    new.sort_by_key(|n| n.index);
    Ok((present, new))
}

/// Each record's text as `xp new` writes it, rendered on every core.
fn render_all(valid: &[(Place, Record)]) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = valid.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = valid
            .chunks(per)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(_, r)| render_record(r))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The records on disk by id (lower-cased), broken ones included when their id can be read.
fn existing_ids(ws: &Workspace) -> Result<HashMap<String, Loaded>, Error> {
    let files = ws.store.files()?;
    let mut by_id = HashMap::new();
    ws.store.load_chunked(
        &files,
        |loaded| loaded,
        |chunk| {
            for loaded in chunk {
                let loaded = loaded?;
                if let Some((id, _)) = &loaded.checked.id {
                    by_id.entry(id.to_ascii_lowercase()).or_insert(loaded);
                }
            }
            Ok(())
        },
    )?;
    Ok(by_id)
}

/// Whether HEAD holds this file (outside git, every file counts as kept).
fn committed(ws: &Workspace, loaded: &Loaded) -> Result<bool, Error> {
    let Some(repo) = &ws.repo else {
        return Ok(true);
    };
    let rel = ws.repo_path(repo, &loaded.path)?;
    Ok(repo.head_content(&rel)?.is_some())
}

fn slug_of(path: &std::path::Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn finish(
    ws: &Workspace,
    imported: &mut Imported,
    valid: Vec<(Place, Record)>,
    (present, new): (Vec<Present>, Vec<New>),
    commits: Vec<Committed>,
) {
    let mut commits = commits.into_iter();
    let mut valid: Vec<Option<(Place, Record)>> = valid.into_iter().map(Some).collect();
    for n in new {
        let Some((place, record)) = valid.get_mut(n.index).and_then(Option::take) else {
            continue;
        };
        imported.created.push(Created {
            place,
            record,
            shown: ws.store.show(&n.path),
            slug: slug_of(&n.path),
            path: n.path,
            commit: commits.next(),
        });
    }
    imported.present = present;
}
