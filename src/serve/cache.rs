//! Parsed record files kept while they are unchanged on disk, so that listing 10,000 records
//! costs a `stat` each instead of a parse, and a file changed by anyone is always read again.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::error::Error;
use crate::ops::workspace::Workspace;
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

/// Every record file's path with its stamp, in path order: what the record files are, without
/// reading them. Equal stamps mean unchanged files, while every file is settled.
#[derive(Debug, PartialEq, Eq)]
pub struct Stamps(Vec<(PathBuf, Stamp)>);

impl Stamps {
    /// The stamps of the workspace's record files now; `None` while one of them changed too
    /// recently to be told apart from a change to come (or vanished while listed).
    pub fn of(ws: &Workspace) -> Result<Option<Stamps>, Error> {
        let paths = ws.store.files()?;
        let mut stamps = Vec::with_capacity(paths.len());
        for path in paths {
            let Some(stamp) = std::fs::symlink_metadata(&path)
                .ok()
                .map(|m| Stamp::of(&m))
                .filter(Stamp::settled)
            else {
                return Ok(None);
            };
            stamps.push((path, stamp));
        }
        Ok(Some(Stamps(stamps)))
    }
}

/// Loaded files by path, each with the stamp it had before it was read.
#[derive(Default)]
pub struct Cache {
    files: Mutex<HashMap<PathBuf, (Stamp, Arc<Loaded>)>>,
}

impl Cache {
    /// Every record file of the workspace, as [`crate::store::Store::load_all`] gives them: from
    /// the cache when the file's stamp is unchanged, else read and checked again.
    pub fn load_all(&self, ws: &Workspace) -> Result<Vec<Loaded>, Error> {
        let paths = ws.store.files()?;
        let mut out = Vec::with_capacity(paths.len());
        let mut fresh = Vec::new();
        for path in &paths {
            let stamp = std::fs::symlink_metadata(path).ok().map(|m| Stamp::of(&m));
            let hit = stamp.as_ref().and_then(|stamp| {
                let files = self.files.lock().ok()?;
                let (kept, loaded) = files.get(path)?;
                (kept == stamp).then(|| Arc::clone(loaded))
            });
            match hit {
                Some(loaded) => out.push(Loaded::clone(&loaded)),
                None => {
                    // The stamp is taken before the read: a change during the read shows as a
                    // different stamp next time.
                    let loaded = ws.store.load(path)?;
                    if let Some(stamp) = stamp.filter(Stamp::settled) {
                        fresh.push((path.clone(), stamp, Arc::new(slim(&loaded))));
                    }
                    out.push(loaded);
                }
            }
        }
        if let Ok(mut files) = self.files.lock() {
            if files.len() > paths.len() {
                let keep: std::collections::HashSet<&PathBuf> = paths.iter().collect();
                files.retain(|p, _| keep.contains(p));
            }
            for (path, stamp, loaded) in fresh {
                files.insert(path, (stamp, loaded));
            }
        }
        Ok(out)
    }
}

/// What reads need of a loaded file, so that a hit is a cheap copy: no parse tree (edits
/// re-read the file under the lock, never from here), and for a valid record neither its
/// bytes (kept only to quote the lines of problems) nor the second copy of its log.
fn slim(loaded: &Loaded) -> Loaded {
    let valid = loaded.checked.record.is_some() && loaded.checked.problems.is_empty();
    Loaded {
        path: loaded.path.clone(),
        shown: loaded.shown.clone(),
        slug: loaded.slug.clone(),
        bytes: if valid {
            Vec::new()
        } else {
            loaded.bytes.clone()
        },
        checked: crate::rules::Checked {
            record: loaded.checked.record.clone(),
            problems: loaded.checked.problems.clone(),
            id: loaded.checked.id.clone(),
            doc: None,
            log: if valid {
                None
            } else {
                loaded.checked.log.clone()
            },
        },
    }
}
