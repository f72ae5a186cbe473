//! Resolving a `<ref>`: a path, a slug, a full id or a unique id prefix (4+ characters) names
//! one experiment; an unknown or ambiguous one comes back with its candidates.

use crate::error::{Candidate, Error};
use crate::store::Loaded;
use crate::workspace::{Workspace, normalize};

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
    let store = &ws.store;
    let looks_like_path = reference.contains(['/', '\\'])
        || reference.ends_with(".yaml")
        || reference.ends_with(".yml");
    if looks_like_path {
        let path = normalize(&ws.env.cwd.join(reference));
        if path.is_file() {
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
    if is_slug {
        for ext in ["yaml", "yml"] {
            let path = store.dir.join(format!("{reference}.{ext}"));
            if std::fs::symlink_metadata(&path).is_ok() {
                return store.load(&path);
            }
        }
    }
    let all = load_all()?;
    let wanted = reference.to_ascii_lowercase();
    let matches: Vec<&Loaded> = if reference.len() >= 4 {
        let exact: Vec<&Loaded> = all
            .iter()
            .filter(|l| id_of(l).is_some_and(|id| id.eq_ignore_ascii_case(&wanted)))
            .collect();
        if exact.is_empty() {
            all.iter()
                .filter(|l| id_of(l).is_some_and(|id| id.to_ascii_lowercase().starts_with(&wanted)))
                .collect()
        } else {
            exact
        }
    } else {
        Vec::new()
    };
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Error::NotFound {
            reference: reference.to_owned(),
            candidates: closest(&all, reference),
        }),
        many => Err(Error::Ambiguous {
            reference: reference.to_owned(),
            candidates: many.iter().map(|l| candidate(l)).collect(),
        }),
    }
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

/// The experiments whose slugs are closest to an unknown reference, best first.
fn closest(all: &[Loaded], reference: &str) -> Vec<Candidate> {
    let mut scored: Vec<(f64, &Loaded)> = all
        .iter()
        .map(|l| (strsim::jaro_winkler(&l.slug, reference), l))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .iter()
        .take(CLOSEST)
        .map(|(_, l)| candidate(l))
        .collect()
}
