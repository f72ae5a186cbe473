//! Reading experiments: one by its reference, all of them with filters, and the problems of
//! the files that break rules.

use crate::error::{Error, Sources};
use crate::ops::workspace::Workspace;
use crate::ops::write::valid;
use crate::record::{Decision, Record, Status};
use crate::rules::{self, Problem};
use crate::store::Loaded;

/// Which records a listing keeps; empty means any.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<Status>,
    /// Only this decision; `Some(None)` keeps the undecided.
    pub decision: Option<Option<Decision>>,
    pub tag: Option<String>,
    /// Only this owner, whatever the case.
    pub owner: Option<String>,
}

impl Filter {
    pub fn keeps(&self, r: &Record) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&r.status))
            && self.decision.is_none_or(|d| r.decision == d)
            && self.tag.as_deref().is_none_or(|t| r.has_tag(t))
            && self.owner.as_deref().is_none_or(|o| {
                r.owner
                    .as_deref()
                    .is_some_and(|owner| owner.eq_ignore_ascii_case(o))
            })
    }
}

/// One experiment as found: its file and its record.
#[derive(Debug, Clone)]
pub struct Found {
    pub loaded: Loaded,
    pub record: Record,
}

/// The experiment a reference names; a file that breaks rules is an error with its problems.
pub fn get(ws: &Workspace, reference: &str) -> Result<Found, Error> {
    get_in(ws, reference, || ws.store.load_all())
}

/// [`get`], with every file loaded by `load_all` when the reference needs them all (a
/// front-end that keeps parsed files passes its cache).
pub fn get_in(
    ws: &Workspace,
    reference: &str,
    load_all: impl FnOnce() -> Result<Vec<Loaded>, Error>,
) -> Result<Found, Error> {
    let loaded = crate::ops::refs::resolve_in(ws, reference, load_all)?;
    let record = valid(&loaded, "`xp check` lists every problem")?;
    Ok(Found { loaded, record })
}

/// [`get_in`], with the record files and their ids from `known` when the reference needs
/// them (see [`crate::ops::refs::resolve_known`]).
pub fn get_known<K: std::ops::Deref<Target = crate::ops::refs::Known>>(
    ws: &Workspace,
    reference: &str,
    known: Option<impl FnOnce() -> Result<K, Error>>,
    load_all: impl FnOnce() -> Result<Vec<Loaded>, Error>,
) -> Result<Found, Error> {
    let loaded = crate::ops::refs::resolve_known(ws, reference, known, load_all)?;
    let record = valid(&loaded, "`xp check` lists every problem")?;
    Ok(Found { loaded, record })
}

/// Every record the filter keeps, in path order, and the problems of the files that break
/// rules (those are left out). Each `Found` keeps its file's path and slug, but not its text
/// or parse tree, so that a listing stays small.
pub struct Listing {
    pub found: Vec<Found>,
    /// How many files break rules.
    pub broken: usize,
    pub problems: Vec<Problem>,
    pub sources: Sources,
}

/// All experiments the filter keeps.
pub fn list(ws: &Workspace, filter: &Filter) -> Result<Listing, Error> {
    let mut found = Vec::new();
    let mut listing = list_each(ws, filter, |f| found.push(f))?;
    listing.found = found;
    Ok(listing)
}

/// [`list`], handing each experiment the filter keeps to `each` in path order as soon as it
/// is read, for a caller that keeps less of it; the listing returned has no `found`.
pub fn list_each(
    ws: &Workspace,
    filter: &Filter,
    mut each: impl FnMut(Found),
) -> Result<Listing, Error> {
    list_with(
        ws,
        filter,
        |record| record,
        |loaded, record| each(Found { loaded, record }),
    )
}

/// [`list_each`], each record kept first given to `prepare` on the thread that read it (work
/// done there, and memory it frees reused there), then with its file to `each`.
pub fn list_with<T: Send>(
    ws: &Workspace,
    filter: &Filter,
    prepare: impl Fn(Record) -> T + Sync,
    mut each: impl FnMut(Loaded, T),
) -> Result<Listing, Error> {
    let mut broken = 0;
    ws.need_dir()?;
    let files = ws.store.files()?;
    let (problems, sources) = scan(
        ws,
        &files,
        |loaded| {
            // Kept: the record moves out of the file; left out: it is freed here, on the
            // reading thread; broken: there is none.
            let record = loaded.checked.record.take()?;
            Some(filter.keeps(&record).then(|| prepare(record)))
        },
        |loaded, read| {
            match read {
                Some(Some(kept)) => each(slim(loaded), kept),
                Some(None) => {}
                None => broken += 1,
            }
            Ok(())
        },
    )?;
    Ok(Listing {
        found: Vec::new(),
        broken,
        problems,
        sources,
    })
}

/// A loaded file without its text, parse tree and record (its path, slug and id stay; the
/// record is the `Found`'s own).
fn slim(loaded: Loaded) -> Loaded {
    let mut loaded = loaded;
    loaded.checked.record = None;
    loaded.bytes = Vec::new();
    loaded.checked.doc = None;
    loaded.checked.log = None;
    loaded
}

/// [`list`] over files already loaded (every file of the store, in path order), for a
/// front-end that keeps parsed files. Each record is moved into its `Found`, not copied: the
/// `Found`'s file no longer holds it.
pub fn listing(all: Vec<Loaded>, filter: &Filter) -> Listing {
    let problems = problems_of(&all);
    let sources = sources_of(&all, &problems);
    let broken = all.iter().filter(|l| l.checked.record.is_none()).count();
    let found = all
        .into_iter()
        .filter_map(|mut loaded| {
            let record = loaded.checked.record.take()?;
            filter.keeps(&record).then(|| Found {
                loaded: slim(loaded),
                record,
            })
        })
        .collect();
    Listing {
        found,
        broken,
        problems,
        sources,
    }
}

/// The records of a listing to export: refused whole while any file breaks a rule.
pub fn export_of(listing: Listing) -> Result<Vec<Record>, Error> {
    if !listing.problems.is_empty() {
        return Err(Error::Problems {
            problems: listing.problems,
            sources: listing.sources,
            message: Some("some experiment files break rules, so nothing was exported".into()),
            hint: Some("fix them first; `xp check` lists every problem".into()),
        });
    }
    Ok(listing.found.into_iter().map(|f| f.record).collect())
}

/// The records to export, in path order: refused whole while any file breaks a rule.
pub fn export(ws: &Workspace, filter: &Filter) -> Result<Vec<Record>, Error> {
    let mut records = Vec::new();
    export_each(ws, filter, Record::clone, |r| {
        records.push(r);
        Ok(())
    })?;
    Ok(records)
}

/// Hands each record the filter keeps, made into what `render` makes of it on the reading
/// threads, to `sink` as soon as it is read, in path order, and returns how many. When a file
/// breaks a rule the result is an error and the caller must throw away what `sink` was given
/// (export writes it to a temporary file first).
pub fn export_each<T: Send>(
    ws: &Workspace,
    filter: &Filter,
    render: impl Fn(&Record) -> T + Sync,
    mut sink: impl FnMut(T) -> std::io::Result<()>,
) -> Result<usize, Error> {
    ws.need_dir()?;
    let files = ws.store.files()?;
    let mut count = 0;
    let mut broken = false;
    let (problems, sources) = scan(
        ws,
        &files,
        |loaded| {
            let record = loaded.checked.record.as_ref()?;
            Some(filter.keeps(record).then(|| render(record)))
        },
        |_, made| {
            match made {
                Some(Some(made)) if !broken => {
                    count += 1;
                    sink(made).map_err(|e| Error::io("export", e))?;
                }
                Some(_) => {}
                None => broken = true,
            }
            Ok(())
        },
    )?;
    if !problems.is_empty() {
        return Err(Error::Problems {
            problems,
            sources,
            message: Some("some experiment files break rules, so nothing was exported".into()),
            hint: Some("fix them first; `xp check` lists every problem".into()),
        });
    }
    Ok(count)
}

/// Reads and checks `files` in parallel, handing each loaded file to `each` in path order,
/// and keeping only what the cross-file rule needs (ids) and the texts of files with
/// problems; returns every problem, duplicate ids included, with those texts.
///
/// `prepare` runs on the reading threads, beside the read, and its answer goes to `each` with
/// the file: work per file belongs there, and whatever it takes out of the file (the record,
/// say) is freed there too. The file reaches `each` without its parse tree and log, and
/// without its text unless it has problems.
pub fn scan<T: Send>(
    ws: &Workspace,
    files: &[std::path::PathBuf],
    prepare: impl Fn(&mut Loaded) -> T + Sync,
    mut each: impl FnMut(Loaded, T) -> Result<(), Error>,
) -> Result<(Vec<Problem>, Sources), Error> {
    let mut problems = Vec::new();
    let mut sources = Sources::default();
    let mut ids = Vec::new();
    ws.store.load_chunked(
        files,
        |loaded| {
            loaded.map(|mut loaded| {
                let prepared = prepare(&mut loaded);
                loaded.checked.doc = None;
                loaded.checked.log = None;
                if loaded.checked.problems.is_empty() {
                    loaded.bytes = Vec::new();
                }
                (loaded, prepared)
            })
        },
        |chunk| {
            for read in chunk {
                let (loaded, prepared) = read?;
                if let Some((id, pos)) = &loaded.checked.id {
                    ids.push((loaded.shown.clone(), id.clone(), *pos));
                }
                if !loaded.checked.problems.is_empty() {
                    problems.extend(loaded.checked.problems.iter().cloned());
                    sources.add(&loaded.shown, &loaded.bytes);
                }
                each(loaded, prepared)?;
            }
            Ok(())
        },
    )?;
    let duplicates = rules::duplicate_ids(&ids);
    for p in &duplicates {
        // The few files that only share an id are read again for their lines.
        if sources.get(&p.path).is_none()
            && let Some(file) = files.iter().find(|f| ws.store.show(f) == p.path)
            && let Some(text) = crate::store::read_source(file)
        {
            sources.add(&p.path, text.as_bytes());
        }
    }
    problems.extend(duplicates);
    sort(&mut problems);
    Ok((problems, sources))
}

/// Every problem of the loaded files, duplicate ids included, in path and place order.
pub fn problems_of(all: &[Loaded]) -> Vec<Problem> {
    let mut problems: Vec<Problem> = all
        .iter()
        .flat_map(|l| l.checked.problems.iter().cloned())
        .collect();
    let ids: Vec<_> = all
        .iter()
        .filter_map(|l| {
            l.checked
                .id
                .as_ref()
                .map(|(id, pos)| (l.shown.clone(), id.clone(), *pos))
        })
        .collect();
    problems.extend(rules::duplicate_ids(&ids));
    sort(&mut problems);
    problems
}

/// Problems in path and place order.
pub fn sort(problems: &mut [Problem]) {
    problems.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
}

/// The texts of the files that problems point into.
pub fn sources_of(all: &[Loaded], problems: &[Problem]) -> Sources {
    let mut sources = Sources::default();
    for l in all {
        if problems.iter().any(|p| p.path == l.shown) {
            sources.add(&l.shown, &l.bytes);
        }
    }
    sources
}
