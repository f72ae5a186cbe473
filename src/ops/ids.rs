//! An index of the records' ids beside git's own (`.git/xp-ids`), so that an id or an id
//! prefix is found without reading every file.
//!
//! Each line names a record file with the stamp it had when it was read (size, modification
//! and change times, inode and device, as git's index keeps them) and the id written in it. A
//! file whose stamp is unchanged is known by its line; any other file is read, and its line
//! written again. A file changed less than two seconds before it was looked at is never
//! written down, since a change within the file system's clock tick could leave its stamp as
//! it was (git's "racily clean" case). The index is never trusted without a check: every file
//! it names as the match is read, and when the file does not hold that id the caller reads
//! every file instead. An index that cannot be read or written is ignored.
//!
//! A complete index also keeps the stamp of each folder it walked (lines whose path starts
//! with `/`). While no folder's stamp has changed, no record file was added, removed or renamed
//! (an atomic save, `git checkout` and `git pull` all make a new file), so an id is looked for
//! in the index's lines without looking at each file's metadata; every file it names is still
//! read and checked, and an id it does not know sends the lookup through every file. What this
//! cannot see is a file rewritten in place (an editor saving over the same inode) to hold an
//! id that another file's prefix also matches: that lookup finds the other file alone rather
//! than calling the prefix ambiguous.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::ops::workspace::Workspace;
use crate::store::Loaded;

/// The file's name in the git directory.
const FILE: &str = "xp-ids";
/// Its first line.
const HEADER: &str = "xp-ids 1";
/// How long a file must have been left alone before its stamp is written down.
const SETTLE: Duration = Duration::from_secs(2);

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp([i128; 6]);

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Option<Stamp> {
        let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        #[cfg(unix)]
        let more = {
            use std::os::unix::fs::MetadataExt;
            [
                i128::from(meta.ino()),
                i128::from(meta.dev()),
                i128::from(meta.ctime()),
                i128::from(meta.ctime_nsec()),
            ]
        };
        #[cfg(not(unix))]
        let more = [0; 4];
        Some(Stamp([
            i128::from(meta.len()),
            modified.as_nanos().try_into().ok()?,
            more[0],
            more[1],
            more[2],
            more[3],
        ]))
    }

    /// Whether the file was last changed long enough ago to trust the stamp.
    fn settled(&self) -> bool {
        let modified = UNIX_EPOCH + Duration::from_nanos(u64::try_from(self.0[1]).unwrap_or(0));
        SystemTime::now()
            .duration_since(modified)
            .is_ok_and(|age| age > SETTLE)
    }
}

/// The lines of the index: each file's stamp and id, by its path from the experiments
/// directory.
type Lines = HashMap<String, (Stamp, String)>;

/// A record file as the walk finds it: its path from the experiments directory, and its stamp
/// (`None` when its metadata cannot be read).
struct Seen {
    name: String,
    stamp: Option<Stamp>,
}

/// The files whose id is `wanted` (ignoring case), or else starts with it, each read and
/// checked, in the order of `files` (the experiments directory's record files); `None` when
/// there is no index to use (outside git) or the index named a file that does not hold a
/// matching id, and the caller must read every file.
pub fn matching(ws: &Workspace, files: &[PathBuf], wanted: &str) -> Option<Vec<Loaded>> {
    let index = ws.repo.as_ref()?.git_dir().join(FILE);
    let dir = &ws.store.dir;
    let wanted = wanted.to_ascii_lowercase();
    let mut seen = Vec::with_capacity(files.len());
    let mut folders = Folders::new();
    walk(dir, "", &mut seen, &mut folders)?;
    if seen.len() != files.len() {
        // The directory changed while it was listed.
        return None;
    }
    let old = read(&index).unwrap_or_default();
    let mut new = Lines::with_capacity(seen.len());
    let mut read_now: HashMap<usize, Loaded> = HashMap::new();
    let mut picked_exact = Vec::new();
    let mut picked_prefix = Vec::new();
    for (i, file) in seen.iter().enumerate() {
        let known = file
            .stamp
            .and_then(|s| old.get(&file.name).filter(|(kept, _)| *kept == s));
        let id = match known {
            Some((stamp, id)) => {
                new.insert(file.name.clone(), (*stamp, id.clone()));
                id.to_ascii_lowercase()
            }
            None => {
                let loaded = ws.store.load(&dir.join(&file.name)).ok()?;
                let Some((id, _)) = loaded.checked.id.clone() else {
                    continue;
                };
                if let Some(stamp) = file.stamp.filter(Stamp::settled)
                    && writable(&file.name, &id)
                {
                    new.insert(file.name.clone(), (stamp, id.clone()));
                }
                let id = id.to_ascii_lowercase();
                if id.starts_with(&wanted) {
                    read_now.insert(i, loaded);
                }
                id
            }
        };
        if id == wanted {
            picked_exact.push(i);
        } else if id.starts_with(&wanted) {
            picked_prefix.push(i);
        }
    }
    keep(&index, &old, &new, seen.len(), folders);
    let picked = if picked_exact.is_empty() {
        picked_prefix
    } else {
        picked_exact
    };
    let mut found = Vec::with_capacity(picked.len());
    for i in picked {
        let path = dir.join(&seen[i].name);
        // Named in the order of `files`; a file they do not hold is not a record file.
        let place = files.iter().position(|f| *f == path)?;
        let loaded = match read_now.remove(&i) {
            Some(loaded) => loaded,
            None => ws.store.load(&path).ok()?,
        };
        // The check: the file holds the id the index gave it.
        let holds = loaded
            .checked
            .id
            .as_ref()
            .is_some_and(|(id, _)| id.to_ascii_lowercase().starts_with(&wanted));
        if !holds {
            let _ = std::fs::remove_file(&index);
            return None;
        }
        found.push((place, loaded));
    }
    found.sort_by_key(|(place, _)| *place);
    Some(found.into_iter().map(|(_, loaded)| loaded).collect())
}

/// An id or prefix found from the index alone, before the experiments directory is listed:
/// when the index keeps every folder's stamp and none changed, no folder holds a file named
/// `<reference>.yaml` or `.yml` (a slug, which a reference names first), and the index names
/// files holding the id (else an id starting with it): those files, each read and checked,
/// in path order. `None`: look the ordinary way.
pub fn quick(ws: &Workspace, reference: &str) -> Option<Vec<Loaded>> {
    let index = ws.repo.as_ref()?.git_dir().join(FILE);
    let text = std::fs::read_to_string(&index).ok()?;
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let wanted = reference.as_bytes();
    let (mut folders, mut exact, mut prefix) = (Vec::new(), Vec::new(), Vec::new());
    for line in lines {
        let mut fields = line.rsplitn(3, '\t');
        let (path, id, stamp) = (fields.next()?, fields.next()?, fields.next()?);
        if let Some(folder) = path.strip_prefix('/') {
            folders.push((folder, stamp));
        } else if id.len() >= wanted.len()
            && id.as_bytes()[..wanted.len()].eq_ignore_ascii_case(wanted)
        {
            if id.len() == wanted.len() {
                exact.push(path);
            } else {
                prefix.push(path);
            }
        }
    }
    if folders.is_empty() {
        return None;
    }
    let dir = &ws.store.dir;
    for (folder, kept) in folders {
        let at = dir.join(folder);
        let meta = std::fs::symlink_metadata(&at).ok()?;
        let stamp = Stamp::of(&meta)?;
        let kept = kept
            .split('\t')
            .map(|n| n.parse().ok())
            .collect::<Option<Vec<i128>>>()?;
        if !meta.is_dir() || stamp.0[..] != kept[..] {
            return None;
        }
        let slug = ["yaml", "yml"]
            .iter()
            .any(|ext| std::fs::symlink_metadata(at.join(format!("{reference}.{ext}"))).is_ok());
        if slug {
            return None;
        }
    }
    let mut picked = if exact.is_empty() { prefix } else { exact };
    if picked.is_empty() {
        return None;
    }
    picked.sort_by_cached_key(|p| crate::store::path_order(&dir.join(p)));
    let mut found = Vec::with_capacity(picked.len());
    for path in picked {
        let loaded = ws.store.load(&dir.join(path)).ok()?;
        let holds = loaded.checked.id.as_ref().is_some_and(|(id, _)| {
            id.len() >= wanted.len() && id.as_bytes()[..wanted.len()].eq_ignore_ascii_case(wanted)
        });
        if !holds {
            let _ = std::fs::remove_file(&index);
            return None;
        }
        found.push(loaded);
    }
    Some(found)
}

/// The folders of the experiments directory by their path from it (`""` for itself, then
/// `sub/`), with their stamps.
type Folders = HashMap<String, Stamp>;

/// The id of every file of `files` (the experiments directory's record files, in their
/// order), lower-cased, `None` for a file without one, from the index where a file's stamp is
/// unchanged and read otherwise (and the index written again); `None` when there is no index
/// to use (outside git) or the directory changed while it was listed. What it gives is a
/// guide, never trusted without a check: a caller reads the file an id names and checks it.
pub fn all(ws: &Workspace, files: &[PathBuf]) -> Option<Vec<Option<String>>> {
    let index = ws.repo.as_ref()?.git_dir().join(FILE);
    let dir = &ws.store.dir;
    let mut seen = Vec::with_capacity(files.len());
    let mut folders = Folders::new();
    walk(dir, "", &mut seen, &mut folders)?;
    if seen.len() != files.len() {
        return None;
    }
    let place: HashMap<&Path, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.as_path(), i))
        .collect();
    let old = read(&index).unwrap_or_default();
    let mut new = Lines::with_capacity(seen.len());
    let mut ids = vec![None; files.len()];
    for file in &seen {
        let path = dir.join(&file.name);
        let i = *place.get(path.as_path())?;
        let known = file
            .stamp
            .and_then(|s| old.get(&file.name).filter(|(kept, _)| *kept == s));
        ids[i] = match known {
            Some((stamp, id)) => {
                new.insert(file.name.clone(), (*stamp, id.clone()));
                Some(id.to_ascii_lowercase())
            }
            None => {
                let loaded = ws.store.load(&path).ok()?;
                let Some((id, _)) = loaded.checked.id else {
                    continue;
                };
                if let Some(stamp) = file.stamp.filter(Stamp::settled)
                    && writable(&file.name, &id)
                {
                    new.insert(file.name.clone(), (stamp, id.clone()));
                }
                Some(id.to_ascii_lowercase())
            }
        };
    }
    keep(&index, &old, &new, seen.len(), folders);
    Some(ids)
}

/// Removes the index, after it named a file that did not hold the id it gave.
pub fn forget(ws: &Workspace) {
    if let Some(repo) = ws.repo.as_ref() {
        let _ = std::fs::remove_file(repo.git_dir().join(FILE));
    }
}

/// Writes the index again when it changed: `new`, the lines of the files a walk found
/// (`files` of them), and the folders' stamps only when every file has its line and every
/// folder was left alone long enough (see [`quick`]).
fn keep(index: &Path, old: &Lines, new: &Lines, files: usize, folders: Folders) {
    let folders = if new.len() == files && folders.values().all(Stamp::settled) {
        folders
    } else {
        Folders::new()
    };
    if new != old || read_folders(index) != folders {
        write_with(index, new, &folders);
    }
}

/// Adds the record files under `dir` (`prefix` its path from the experiments directory), the
/// names [`crate::store::Store::files`] lists, with their stamps, each read relative to its
/// directory. `None` when a directory cannot be read or a name is not UTF-8.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<Seen>, folders: &mut Folders) -> Option<()> {
    // Looked at before it is listed: a change while it is listed leaves the folder newer
    // than its stamp here.
    if let Some(stamp) = std::fs::symlink_metadata(dir)
        .ok()
        .as_ref()
        .and_then(Stamp::of)
    {
        folders.insert(prefix.to_owned(), stamp);
    }
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let name = entry.file_name();
        let name = name.to_str()?;
        if name.starts_with('.') {
            continue;
        }
        if entry.file_type().ok()?.is_dir() {
            walk(&entry.path(), &format!("{prefix}{name}/"), out, folders)?;
        } else if crate::store::is_record_name(name) {
            out.push(Seen {
                name: format!("{prefix}{name}"),
                stamp: entry.metadata().ok().as_ref().and_then(Stamp::of),
            });
        }
    }
    Some(())
}

/// Whether a file and its id can stand on one line of the index.
fn writable(name: &str, id: &str) -> bool {
    let plain = |s: &str| !s.contains(['\n', '\r', '\t']);
    plain(id) && !id.is_empty() && plain(name)
}

/// The index's lines; `None` when it is missing or not one this version wrote.
fn read(index: &Path) -> Option<Lines> {
    read_all(index).map(|(lines, _)| lines)
}

/// The folders' stamps the index keeps (none when it keeps none, or cannot be read).
fn read_folders(index: &Path) -> Folders {
    read_all(index)
        .map(|(_, folders)| folders)
        .unwrap_or_default()
}

/// The index's file lines and folder lines (a path starting with `/`).
fn read_all(index: &Path) -> Option<(Lines, Folders)> {
    let text = std::fs::read_to_string(index).ok()?;
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut out = Lines::new();
    let mut folders = Folders::new();
    for line in lines {
        let mut fields = line.split('\t');
        let mut stamp = [0i128; 6];
        for slot in &mut stamp {
            *slot = fields.next()?.parse().ok()?;
        }
        let id = fields.next()?;
        let path = fields.next()?;
        if fields.next().is_some() || id.is_empty() {
            return None;
        }
        match path.strip_prefix('/') {
            Some(folder) => {
                folders.insert(folder.to_owned(), Stamp(stamp));
            }
            None => {
                out.insert(path.to_owned(), (Stamp(stamp), id.to_owned()));
            }
        }
    }
    Some((out, folders))
}

/// Writes the index whole, through a temporary file renamed over it; a failure leaves the
/// old one or none, which only costs reading the files next time.
fn write_with(index: &Path, lines: &Lines, folders: &Folders) {
    let Some(dir) = index.parent() else {
        return;
    };
    let mut text = String::with_capacity(lines.len() * 160);
    text.push_str(HEADER);
    text.push('\n');
    let mut line = |stamp: &Stamp, id: &str, path: &str| {
        for n in stamp.0 {
            text.push_str(&n.to_string());
            text.push('\t');
        }
        text.push_str(id);
        text.push('\t');
        text.push_str(path);
        text.push('\n');
    };
    for (path, (stamp, id)) in lines {
        line(stamp, id, path);
    }
    for (folder, stamp) in folders {
        if writable(folder, "folder") {
            line(stamp, "folder", &format!("/{folder}"));
        }
    }
    let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
        return;
    };
    if tmp.write_all(text.as_bytes()).is_ok() {
        let _ = tmp.persist(index);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lines_read_back_as_written_and_a_foreign_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join(FILE);
        let mut lines = Lines::new();
        lines.insert(
            "sub/a b.yaml".to_owned(),
            (Stamp([1, 2, 3, 4, 5, -6]), "61495970-5bfe".into()),
        );
        lines.insert("c.yaml".to_owned(), (Stamp([7; 6]), "x".into()));
        let folders = Folders::from([
            (String::new(), Stamp([9; 6])),
            ("sub/".to_owned(), Stamp([8; 6])),
        ]);
        write_with(&index, &lines, &folders);
        assert_eq!(read(&index), Some(lines));
        assert_eq!(read_folders(&index), folders);
        std::fs::write(&index, "xp-ids 2\n").unwrap();
        assert_eq!(read(&index), None);
        std::fs::write(&index, "xp-ids 1\n1\t2\tid\tpath\n").unwrap();
        assert_eq!(read(&index), None, "a short line");
        assert!(!writable("a\nb.yaml", "x"));
        assert!(!writable("a.yaml", "x\ty"));
        assert!(writable("a.yaml", "x y"));
    }
}
