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
    resolve_known(
        ws,
        reference,
        None::<fn() -> Result<Box<Known>, Error>>,
        load_all,
    )
}

/// What a front-end knows of the record files and holds as current (a server proves it with
/// its watch): every record file, in [`crate::store::Store::files`]'s order, with its id
/// lower-cased (`None` for a file without one). An id it gives is still checked against the
/// file it names before it is believed.
#[derive(Debug, Default)]
pub struct Known {
    pub files: Vec<std::path::PathBuf>,
    pub ids: Vec<Option<String>>,
}

/// [`resolve_in`], with the record files and their ids from `known` (asked only when a
/// reference needs the list of files) instead of a walk of the experiments directory.
pub fn resolve_known<K: std::ops::Deref<Target = Known>>(
    ws: &Workspace,
    reference: &str,
    known: Option<impl FnOnce() -> Result<K, Error>>,
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
    if known.is_none()
        && could_be_id(reference)
        && let Some(found) = crate::ops::ids::quick(ws, reference)
    {
        return one_of(reference, found);
    }
    // Else a slug names files by their stem in the folders below; only file names are read.
    let known = known.map(|k| k()).transpose()?;
    let listed;
    let files: &[PathBuf] = match &known {
        Some(known) => &known.files,
        None => {
            listed = store.files()?;
            &listed
        }
    };
    if is_slug {
        let named: Vec<&PathBuf> = files.iter().filter(|p| stem_is(p, reference)).collect();
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
        let indexed = match &known {
            Some(known) => by_known(ws, known, &wanted),
            None => crate::ops::ids::matching(ws, files, &wanted),
        };
        let matches = match indexed {
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
        match matches.as_slice() {
            [] => {}
            // A front-end's files may come without their text; the one found is read whole.
            [one] if one.bytes.is_empty() => return store.load(&one.path),
            _ => return one_of(reference, matches),
        }
    }
    Err(Error::NotFound {
        reference: reference.to_owned(),
        candidates: closest(ws, files, reference)?,
    })
}

/// The files `known` gives the id `wanted` (else an id starting with it), each read and
/// checked to hold it; `None` when one does not, and every file must be read.
fn by_known(ws: &Workspace, known: &Known, wanted: &str) -> Option<Vec<Loaded>> {
    let named = |exact: bool| -> Vec<&PathBuf> {
        known
            .files
            .iter()
            .zip(&known.ids)
            .filter(|(_, id)| {
                id.as_deref().is_some_and(|id| {
                    if exact {
                        id == wanted
                    } else {
                        id.starts_with(wanted)
                    }
                })
            })
            .map(|(path, _)| path)
            .collect()
    };
    let exact = named(true);
    let picked = if exact.is_empty() {
        named(false)
    } else {
        exact
    };
    let mut found = Vec::with_capacity(picked.len());
    for path in picked {
        let loaded = ws.store.load(path).ok()?;
        let holds = id_of(&loaded).is_some_and(|id| id.to_ascii_lowercase().starts_with(wanted));
        if !holds {
            crate::ops::ids::forget(ws);
            return None;
        }
        found.push(loaded);
    }
    Some(found)
}

/// Whether a record file's name is `slug` with its extension (`Path::file_stem`, for the names
/// a slug can be, by comparing the end of the path's bytes: 10,000 paths in a tenth of the time).
fn stem_is(path: &std::path::Path, slug: &str) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    [".yaml", ".yml"].iter().any(|ext| {
        bytes
            .strip_suffix(ext.as_bytes())
            .and_then(|b| b.strip_suffix(slug.as_bytes()))
            .is_some_and(|b| {
                b.is_empty() || b.ends_with(b"/") || (cfg!(windows) && b.ends_with(b"\\"))
            })
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_slug_names_a_file_by_its_stem_as_file_stem_does() {
        for (path, slug) in [
            ("experiments/a.yaml", "a"),
            ("experiments/team/a-b.yml", "a-b"),
            ("a.yaml", "a"),
            ("experiments/xa.yaml", "a"),
            ("experiments/a.yaml", "a.yaml"),
            ("experiments/a.yml", "ab"),
            ("experiments/a", "a"),
            ("experiments/b/a.yaml", "b"),
        ] {
            let path = Path::new(path);
            assert_eq!(
                stem_is(path, slug),
                path.file_stem() == Some(std::ffi::OsStr::new(slug))
                    && (path.extension() == Some("yaml".as_ref())
                        || path.extension() == Some("yml".as_ref())),
                "{path:?} {slug}"
            );
        }
        assert!(stem_is(Path::new("experiments/a.yaml"), "a"));
        assert!(!stem_is(Path::new("experiments/xa.yaml"), "a"));
    }
}
