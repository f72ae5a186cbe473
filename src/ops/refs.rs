//! Resolving a `<ref>`: a path, a slug, a full id or a unique id prefix (4+ characters) names
//! one experiment; an unknown or ambiguous one comes back with its candidates.

use std::path::PathBuf;

use crate::error::{Candidate, Error};
use crate::ops::workspace::{Workspace, normalize};
use crate::store::Loaded;

/// Most candidates listed for an unknown reference.
const CLOSEST: usize = 5;

/// The one experiment a `<ref>` names.
pub fn resolve(ws: &Workspace, reference: &str) -> Result<Loaded, Error> {
    resolve_in(ws, reference, || ws.store.load_all())
}

/// [`resolve`], with every file loaded by `load_all` when an id or prefix needs them all.
pub fn resolve_in(
    ws: &Workspace,
    reference: &str,
    load_all: impl FnOnce() -> Result<Vec<Loaded>, Error>,
) -> Result<Loaded, Error> {
    let reference = reference.trim();
    if reference.is_empty() {
        return Err(Error::usage("the experiment reference is empty"));
    }
    ws.need_dir()?;
    let store = &ws.store;
    let looks_like_path = reference.contains(['/', '\\'])
        || reference.ends_with(".yaml")
        || reference.ends_with(".yml");
    if looks_like_path {
        let path = normalize(&ws.env.cwd.join(reference));
        // Anything but a folder: a pipe or device is then reported, never opened.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_dir()) {
            if !path.starts_with(&store.dir) {
                return Err(Error::failed(
                    format!(
                        "{reference} is not in the experiments directory {}",
                        store.show(&store.dir).display()
                    ),
                    "name a file inside it, or pass --dir",
                ));
            }
            return store.load(&path);
        }
    }
    let is_slug = reference
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    // A record directly in the experiments directory is found without listing it: it wins
    // over one of the same slug in a folder below (as a path would); `.yaml` beside `.yml`
    // is ambiguous.
    if is_slug {
        let direct: Vec<PathBuf> = ["yaml", "yml"]
            .iter()
            .map(|ext| store.dir.join(format!("{reference}.{ext}")))
            .filter(|p| std::fs::symlink_metadata(p).is_ok())
            .collect();
        match direct.as_slice() {
            [] => {}
            [one] => return store.load(one),
            both => {
                return Err(Error::Ambiguous {
                    reference: reference.to_owned(),
                    candidates: both
                        .iter()
                        .map(|p| store.load(p).map(|l| candidate(&l)))
                        .collect::<Result<_, _>>()?,
                });
            }
        }
    }
    // An id the index finds while no folder changed needs no listing of the folders.
    if could_be_id(reference)
        && let Some(found) = crate::ops::ids::quick(ws, reference)
    {
        return one_of(reference, found);
    }
    // Else a slug names files by their stem in the folders below; only file names are read.
    let files = store.files()?;
    if is_slug {
        let named: Vec<&PathBuf> = files
            .iter()
            .filter(|p| p.file_stem() == Some(std::ffi::OsStr::new(reference)))
            .collect();
        match named.as_slice() {
            [] => {}
            [one] => return store.load(one),
            many => {
                return Err(Error::Ambiguous {
                    reference: reference.to_owned(),
                    candidates: many
                        .iter()
                        .map(|p| store.load(p).map(|l| candidate(&l)))
                        .collect::<Result<_, _>>()?,
                });
            }
        }
    }
    // Only a reference that can be an id prefix needs the ids, and so the files' contents.
    if could_be_id(reference) {
        let wanted = reference.to_ascii_lowercase();
        // The index of ids finds them without reading every file; without one, or when it
        // named a file that does not hold the id, every file is read.
        let matches = match crate::ops::ids::matching(ws, &files, &wanted) {
            Some(found) => found,
            None => {
                let all = load_all()?;
                let exact: Vec<&Loaded> = all
                    .iter()
                    .filter(|l| id_of(l).is_some_and(|id| id.eq_ignore_ascii_case(&wanted)))
                    .collect();
                let matches: Vec<&Loaded> = if exact.is_empty() {
                    all.iter()
                        .filter(|l| {
                            id_of(l).is_some_and(|id| id.to_ascii_lowercase().starts_with(&wanted))
                        })
                        .collect()
                } else {
                    exact
                };
                matches.into_iter().cloned().collect()
            }
        };
        if !matches.is_empty() {
            return one_of(reference, matches);
        }
    }
    Err(Error::NotFound {
        reference: reference.to_owned(),
        candidates: closest(ws, &files, reference)?,
    })
}

/// Whether a reference can be an id or an id's prefix: four or more hex digits and dashes.
fn could_be_id(reference: &str) -> bool {
    reference.len() >= 4
        && reference
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// The one file an id names, or the ambiguity of several (`found` is not empty).
fn one_of(reference: &str, mut found: Vec<Loaded>) -> Result<Loaded, Error> {
    if found.len() == 1 {
        return Ok(found.remove(0));
    }
    Err(Error::Ambiguous {
        reference: reference.to_owned(),
        candidates: found.iter().map(candidate).collect(),
    })
}

fn id_of(loaded: &Loaded) -> Option<&str> {
    loaded.checked.id.as_ref().map(|(id, _)| id.as_str())
}

/// A loaded file as a candidate.
pub fn candidate(loaded: &Loaded) -> Candidate {
    Candidate {
        id: id_of(loaded).map(str::to_owned),
        slug: loaded.slug.clone(),
        path: loaded.shown.clone(),
        title: loaded.checked.record.as_ref().map(|r| r.title.clone()),
    }
}

/// The experiments whose slugs are closest to an unknown reference, best first; only those
/// few files are read.
fn closest(ws: &Workspace, files: &[PathBuf], reference: &str) -> Result<Vec<Candidate>, Error> {
    let mut scored: Vec<(f64, &PathBuf)> = files
        .iter()
        .map(|p| {
            let slug = p.file_stem().unwrap_or_default().to_string_lossy();
            (strsim::jaro_winkler(&slug, reference), p)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .iter()
        .take(CLOSEST)
        .map(|(_, p)| ws.store.load(p).map(|l| candidate(&l)))
        .collect()
}
