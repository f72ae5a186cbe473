//! Parsed record files kept while they are unchanged on disk, so that listing 10,000 records
//! costs a `stat` each instead of a parse, and a file changed by anyone is always read again.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::page::Item;
use crate::record::{LogRef, PackedLog, Record};
use crate::store::Loaded;

/// A file changed this recently may change again within the file system's clock tick without
/// its metadata showing it (git's "racily clean" case), so it is not kept.
const SETTLE: Duration = Duration::from_secs(2);

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    unix: (u64, u64, i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            unix: (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether the file was last changed long enough ago to trust the stamp.
    fn settled(&self) -> bool {
        self.modified
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age > SETTLE)
    }
}

/// Every record file's path with its stamp, in the directory's order: what the record files
/// are, without reading them. Equal stamps mean unchanged files, while every file is settled.
#[derive(Debug, PartialEq, Eq)]
pub struct Stamps {
    /// The paths from the experiments directory, each ended by a NUL (which no name holds).
    names: Vec<u8>,
    stamps: Vec<Stamp>,
}

impl Stamps {
    /// The stamps of the workspace's record files now; `None` while one of them changed too
    /// recently to be told apart from a change to come, or could not be read (the caller
    /// then reads the files, and says what is wrong).
    pub fn of(ws: &Workspace) -> Result<Option<Stamps>, Error> {
        ws.store.check_dir()?;
        let mut stamps = Stamps {
            names: Vec::new(),
            stamps: Vec::new(),
        };
        if !ws.store.dir.exists() {
            return Ok(Some(stamps));
        }
        Ok(stamps.walk(&ws.store.dir, &[]).then_some(stamps))
    }

    /// Adds the stamps of the record files under `dir` (the names
    /// [`crate::store::Store::files`] lists), `prefix` its path from the experiments directory,
    /// in the directory's own order: a directory unchanged lists the same order, and another
    /// order only costs a read. Each file's metadata is read relative to its directory, not by
    /// its whole path. False when one is not settled or cannot be read.
    fn walk(&mut self, dir: &std::path::Path, prefix: &[u8]) -> bool {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        for entry in entries {
            let Ok(entry) = entry else {
                return false;
            };
            let name = entry.file_name();
            let name = name.as_encoded_bytes();
            if name.starts_with(b".") {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                return false;
            };
            if kind.is_dir() {
                let inner = [prefix, name, b"/"].concat();
                if !self.walk(&entry.path(), &inner) {
                    return false;
                }
                continue;
            }
            if !(name.ends_with(b".yaml") || name.ends_with(b".yml")) {
                continue;
            }
            match entry.metadata().map(|m| Stamp::of(&m)) {
                Ok(stamp) if stamp.settled() => {
                    self.names.extend_from_slice(prefix);
                    self.names.extend_from_slice(name);
                    self.names.push(0);
                    self.stamps.push(stamp);
                }
                _ => return false,
            }
        }
        true
    }
}

/// A record file as the server keeps it: slim (see [`slim`]), and a record's decision log
/// packed beside it (10,000 logs as entries were two thirds of a server's memory).
pub struct Kept {
    loaded: Loaded,
    log: Option<PackedLog>,
}

impl Kept {
    pub(crate) fn of(loaded: Loaded) -> Kept {
        let mut loaded = slim(loaded);
        let log = loaded.checked.record.as_mut().and_then(PackedLog::take);
        Kept { loaded, log }
    }

    /// The file as [`crate::store::Store::load`] gives it but slim: a copy, its log in place.
    pub fn loaded(&self) -> Loaded {
        let mut loaded = self.loaded.clone();
        if let (Some(log), Some(record)) = (&self.log, loaded.checked.record.as_mut()) {
            record.decision_log = log.unpack();
        }
        loaded
    }

    /// The experiment as the board shows it, borrowed; `None` for a file that breaks rules.
    pub fn item(&self) -> Option<Item<'_>> {
        let (record, log) = self.record()?;
        Some(Item {
            slug: &self.loaded.slug,
            record,
            log,
        })
    }

    /// The record and its log, for a file whose record could be read.
    pub fn record(&self) -> Option<(&Record, LogRef<'_>)> {
        let record = self.loaded.checked.record.as_ref()?;
        let log = match &self.log {
            Some(log) => LogRef::Packed(log),
            None => LogRef::Entries(&record.decision_log),
        };
        Some((record, log))
    }
}

/// Kept files by path, each with the stamp it had before it was read.
#[derive(Default)]
pub struct Cache {
    files: Mutex<HashMap<PathBuf, (Stamp, Arc<Kept>)>>,
}

impl Cache {
    /// Every record file of the workspace, as [`crate::store::Store::load_all`] gives them but
    /// slim (see [`slim`]): copies of the kept ones (see [`Cache::kept`]).
    pub fn load_all(&self, ws: &Workspace) -> Result<Vec<Loaded>, Error> {
        Ok(self.kept(ws)?.iter().map(|k| k.loaded()).collect())
    }

    /// Every record file of the workspace in path order, as kept: from the cache when the
    /// file's stamp is unchanged, else read and checked again. Nothing is copied.
    pub fn kept(&self, ws: &Workspace) -> Result<Vec<Arc<Kept>>, Error> {
        let paths = ws.store.files()?;
        // The stamp of each file is taken before it is read: a change during the read shows
        // as a different stamp next time.
        let mut slots: Vec<Option<Arc<Kept>>> = Vec::with_capacity(paths.len());
        let mut stamps = Vec::with_capacity(paths.len());
        let mut missed = Vec::new();
        {
            let files = self.files.lock().ok();
            for (i, path) in paths.iter().enumerate() {
                let stamp = std::fs::symlink_metadata(path).ok().map(|m| Stamp::of(&m));
                let hit = stamp.as_ref().and_then(|stamp| {
                    let (kept, file) = files.as_ref()?.get(path)?;
                    (kept == stamp).then(|| Arc::clone(file))
                });
                if hit.is_none() {
                    missed.push(i);
                }
                slots.push(hit);
                stamps.push(stamp);
            }
        }
        let mut fresh = Vec::new();
        for (i, loaded) in read_all(&ws.store, &paths, &missed) {
            // The first file that cannot be read, in path order, is the error.
            let kept = Arc::new(loaded?);
            if let Some(stamp) = stamps[i].take().filter(Stamp::settled) {
                fresh.push((paths[i].clone(), stamp, Arc::clone(&kept)));
            }
            slots[i] = Some(kept);
        }
        let out: Vec<Arc<Kept>> = slots.into_iter().flatten().collect();
        if let Ok(mut files) = self.files.lock() {
            if files.len() > paths.len() {
                let keep: std::collections::HashSet<&PathBuf> = paths.iter().collect();
                files.retain(|p, _| keep.contains(p));
            }
            for (path, stamp, kept) in fresh {
                files.insert(path, (stamp, kept));
            }
        }
        Ok(out)
    }
}

/// The files of `paths` at the places `missed` names, read, checked and slimmed (10,000 parse
/// trees held together until the last file is read were most of a server's memory), in the
/// order of `missed`: on as many threads as the machine has cores when there are many (a
/// first board reads every file).
fn read_all(
    store: &crate::store::Store,
    paths: &[PathBuf],
    missed: &[usize],
) -> Vec<(usize, Result<Kept, Error>)> {
    let read = |i: usize| (i, store.load(&paths[i]).map(Kept::of));
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(missed.len() / 256 + 1);
    if threads <= 1 {
        return missed.iter().map(|&i| read(i)).collect();
    }
    let chunk = missed.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = missed
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|&i| read(i)).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(missed.len());
        for (worker, part) in workers.into_iter().zip(missed.chunks(chunk)) {
            match worker.join() {
                Ok(done) => out.extend(done),
                // A worker that panicked: its files are read here instead.
                Err(_) => out.extend(part.iter().map(|&i| read(i))),
            }
        }
        out
    })
}

/// What reads need of a loaded file, so that a hit is a cheap copy: no parse tree (edits
/// re-read the file under the lock, never from here), and for a valid record neither its
/// bytes (kept only to quote the lines of problems) nor the second copy of its log.
fn slim(mut loaded: Loaded) -> Loaded {
    let valid = loaded.checked.record.is_some() && loaded.checked.problems.is_empty();
    loaded.checked.doc = None;
    if valid {
        loaded.bytes = Vec::new();
        loaded.checked.log = None;
    }
    loaded
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::record::LogEntry;
    use crate::test_support::loaded;

    #[test]
    fn a_kept_record_holds_its_log_packed_and_gives_it_back_whole() {
        let mut record = crate::test_support::sample();
        record.decision_log = vec![
            LogEntry {
                at: "2026-02-22T18:30:00.000Z".into(),
                who: Some("alice".into()),
                note: "Launched".into(),
            },
            LogEntry {
                at: "2026-02-23T09:00:00.000Z".into(),
                who: None,
                note: "Rolled out to half of EU traffic".into(),
            },
        ];
        let kept = Kept::of(loaded(record.clone()));
        // The entries are held once, packed: not also in the kept record.
        assert!(kept.log.is_some());
        let held = kept.loaded.checked.record.as_ref().unwrap();
        assert!(held.decision_log.is_empty());
        // A copy has its log in place, and a valid file's bytes are let go.
        let copy = kept.loaded();
        assert_eq!(copy.checked.record.as_ref(), Some(&record));
        assert!(copy.bytes.is_empty());
        // The board reads the log where it is held.
        let item = kept.item().unwrap();
        assert_eq!(item.slug, "x");
        assert_eq!(item.last_at(), "2026-02-23T09:00:00.000Z");
        let notes: Vec<&str> = item.log.notes().collect();
        assert_eq!(notes, ["Launched", "Rolled out to half of EU traffic"]);
        let (_, log) = kept.record().unwrap();
        assert_eq!(
            serde_json::to_string(&crate::record::WithLog(held, log)).unwrap(),
            serde_json::to_string(&record).unwrap()
        );
    }

    #[test]
    fn a_file_that_breaks_rules_is_kept_as_read() {
        let mut broken = loaded(crate::test_support::sample());
        broken.checked.record = None;
        let kept = Kept::of(broken);
        assert!(kept.item().is_none() && kept.record().is_none());
        assert!(kept.log.is_none());
        assert_eq!(kept.loaded().bytes, b"id: x\n");
    }
}
