//! Index surgery: reading conflicts, staging one path, and rewriting the index for one entry
//! without disturbing the others.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use git2::{ErrorCode, FileMode, Index, IndexEntry, IndexTime, Oid};

use super::index_file::IndexFile;
use super::{Context, GitError, Repo, check_path, file_mode};

/// The index file as read: parsed when [`IndexFile`] reads its layout, else its bytes.
pub(super) struct ReadIndex {
    file: Result<IndexFile, Vec<u8>>,
}

impl ReadIndex {
    pub(super) fn bytes(&self) -> &[u8] {
        match &self.file {
            Ok(file) => file.bytes(),
            Err(bytes) => bytes,
        }
    }

    pub(super) fn file(&self) -> Option<&IndexFile> {
        self.file.as_ref().ok()
    }
}

/// How many bytes an index's checksum takes, at its end.
const ID: usize = 20;

/// One path git left conflicted in the index, with its staged versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictedFile {
    /// Relative to the work tree, with forward slashes.
    pub path: String,
    /// Stage 1, the common ancestor's version; None when both sides added the file.
    pub base: Option<Vec<u8>>,
    /// Stage 2, ours: the version on the branch being merged into.
    pub ours: Option<Vec<u8>>,
    /// Stage 3, theirs: the version being merged in.
    pub theirs: Option<Vec<u8>>,
}

impl Repo {
    /// Every path the index holds unresolved conflicts for, sorted, with stages 1, 2 and 3.
    pub fn conflicts(&self) -> Result<Vec<ConflictedFile>, GitError> {
        let context = "cannot read the conflicts in the index";
        let index = self.read_index()?;
        let blob = |entry: &Option<IndexEntry>| -> Result<Option<Vec<u8>>, GitError> {
            entry
                .as_ref()
                .map(|e| self.repo.find_blob(e.id).map(|b| b.content().to_vec()))
                .transpose()
                .context(context)
        };
        let mut found = Vec::new();
        for conflict in index.conflicts().context(context)? {
            let conflict = conflict.context(context)?;
            let Some(entry) = [&conflict.our, &conflict.their, &conflict.ancestor]
                .into_iter()
                .find_map(Option::as_ref)
            else {
                continue;
            };
            found.push(ConflictedFile {
                path: String::from_utf8_lossy(&entry.path).into_owned(),
                base: blob(&conflict.ancestor)?,
                ours: blob(&conflict.our)?,
                theirs: blob(&conflict.their)?,
            });
        }
        found.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(found)
    }

    /// Stages `content` at `rel_path` as resolved (stage 0), clearing any conflict stages of
    /// that path and nothing else; the caller has written the same bytes into the work tree.
    pub fn stage_resolved(&self, rel_path: &str, content: &[u8]) -> Result<(), GitError> {
        check_path(rel_path)?;
        self.wait_for_index_lock()?;
        let context = || format!("cannot stage {rel_path}");
        let blob = self.store_blob(rel_path, content)?;
        let mut index = self.read_index()?;
        let path = Path::new(rel_path);
        let mode = file_mode(
            [2, 0, 3]
                .into_iter()
                .find_map(|stage| index.get_path(path, stage))
                .map(|e| e.mode as i32),
        );
        match index.conflict_remove(path) {
            Ok(()) => {}
            Err(e) if e.code() == ErrorCode::NotFound => {}
            Err(e) => return Err(e).context(context()),
        }
        index
            .add(&self.worktree_entry(rel_path, blob, mode))
            .context(context())?;
        index.write().context(context())
    }

    /// The index as it is on disk now.
    ///
    /// libgit2 reads the file when the repository's index is first asked for, and again only
    /// when its stamp or its checksum (the last 20 bytes) changed since: a second look, as the
    /// commit protocol takes under `index.lock`, costs a stat and a short read instead of
    /// parsing and hashing every entry again (60 ms for 60,000 entries).
    pub(super) fn read_index(&self) -> Result<Index, GitError> {
        let mut index = self.repo.index().context("cannot open the index")?;
        index.read(false).context("cannot read the index")?;
        Ok(index)
    }

    /// Where git keeps this work tree's index.
    pub(super) fn index_path(&self) -> PathBuf {
        self.repo.path().join("index")
    }

    /// The blob staged (stage 0, not intent-to-add) for `rel_path`, read from disk.
    pub(super) fn staged(&self, rel_path: &str) -> Result<Option<Oid>, GitError> {
        Ok(self.in_index(rel_path)?.staged)
    }

    /// The stage-0 entries of the index on disk for `.gitattributes` files; None when its
    /// layout is one [`IndexFile`] does not read.
    pub(super) fn attribute_entries(&self) -> Result<Option<Vec<IndexEntry>>, GitError> {
        let Some(read) = self.index_file()? else {
            return Ok(Some(Vec::new()));
        };
        Ok(read.file().map(|file| file.entries_named(".gitattributes")))
    }

    /// The index as it is on disk now; None when there is none yet.
    ///
    /// A write looks at the index several times (the preflight, the filters' attributes, the
    /// staged entry for the journal, the bytes to patch under `index.lock`), and a large index
    /// costs a read and a SHA-1 of megabytes each time. The file is read and its checksum
    /// verified once; each later look reads its length and last 20 bytes (its checksum, which
    /// any change of content changes) and reads it again only when they differ, as libgit2
    /// does for its own index. An index whose checksum is all zeros (`index.skipHash`) is read
    /// every time.
    pub(super) fn index_file(&self) -> Result<Option<Rc<ReadIndex>>, GitError> {
        let index_path = self.index_path();
        let io = GitError::io(&index_path);
        let mut file = match fs::File::open(&index_path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.index.replace(None);
                return Ok(None);
            }
            Err(e) => return Err(io(e)),
        };
        let cached = self.index.borrow().clone();
        if let Some(cached) = cached {
            let bytes = cached.bytes();
            let len = file.metadata().map_err(GitError::io(&index_path))?.len();
            if len == bytes.len() as u64 && bytes.len() >= ID {
                let mut sum = [0u8; ID];
                file.seek(SeekFrom::End(-(ID as i64)))
                    .and_then(|_| file.read_exact(&mut sum))
                    .map_err(GitError::io(&index_path))?;
                if sum != [0u8; ID] && sum[..] == bytes[bytes.len() - ID..] {
                    return Ok(Some(cached));
                }
                file.seek(SeekFrom::Start(0))
                    .map_err(GitError::io(&index_path))?;
            }
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(GitError::io(&index_path))?;
        let read = Rc::new(ReadIndex {
            file: IndexFile::parse_or_keep(bytes),
        });
        self.index.replace(Some(read.clone()));
        Ok(Some(read))
    }

    /// The bytes of the index file; None when there is none yet.
    pub(super) fn index_bytes(&self) -> Result<Option<Vec<u8>>, GitError> {
        let index_path = self.index_path();
        match fs::read(&index_path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(GitError::io(&index_path)(e)),
        }
    }

    /// What the index on disk holds for `rel_path`: read by a scan of the file when its layout
    /// allows (see [`IndexFile`]), else by libgit2.
    pub(super) fn in_index(&self, rel_path: &str) -> Result<InIndex, GitError> {
        let Some(read) = self.index_file()? else {
            return Ok(InIndex::default());
        };
        if let Some(file) = read.file() {
            let stages = file.stages(rel_path);
            return Ok(InIndex {
                conflicted: stages.conflicted(),
                staged: stages.staged(),
            });
        }
        let index = self.read_index()?;
        let path = Path::new(rel_path);
        Ok(InIndex {
            conflicted: (1..=3).any(|stage| index.get_path(path, stage).is_some()),
            staged: staged_in(&index, rel_path),
        })
    }

    /// An index entry for `blob` at `rel_path`, stamped with the work file's stat.
    pub(super) fn worktree_entry(&self, rel_path: &str, blob: Oid, mode: FileMode) -> IndexEntry {
        let meta = fs::symlink_metadata(self.workdir.join(rel_path)).ok();
        index_entry(rel_path, blob, mode, meta.as_ref())
    }

    /// Points the index entry for `rel_path` at `blob`, with the work file's stat; nothing else.
    ///
    /// `original` is the index as read under `index.lock`. The new one is made on a scratch copy
    /// and renamed over it. Entries git would have taken for "racily clean" (changed within the
    /// old index file's timestamp) are smudged so git checks their content again: the new
    /// index is newer than they are, and would otherwise vouch for them.
    #[cfg(test)]
    pub(super) fn write_index(
        &self,
        index_path: &Path,
        original: Option<&[u8]>,
        rel_path: &str,
        blob: Oid,
        mode: FileMode,
    ) -> Result<(), GitError> {
        let original = original.map(|bytes| ReadIndex {
            file: IndexFile::parse_or_keep(bytes.to_vec()),
        });
        self.write_index_over(index_path, original.as_ref(), rel_path, blob, mode)
    }

    /// [`Repo::write_index`] over the index as [`Repo::index_file`] read it.
    pub(super) fn write_index_over(
        &self,
        index_path: &Path,
        original: Option<&ReadIndex>,
        rel_path: &str,
        blob: Oid,
        mode: FileMode,
    ) -> Result<(), GitError> {
        let stamp = original.and_then(|_| {
            fs::metadata(index_path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        });
        // By the second, as git compares them unless built with USE_NSEC.
        let racy_from = stamp.map(|stamp| stamp.as_secs() as i64);
        let entry = self.worktree_entry(rel_path, blob, mode);
        if let Some(file) = original.and_then(ReadIndex::file)
            && let Some(patched) = file.clone().with_entry(&entry, racy_from)
        {
            return self.replace_index(index_path, &patched);
        }
        self.write_through_libgit2(
            index_path,
            original.map(ReadIndex::bytes),
            racy_from,
            std::slice::from_ref(&entry),
        )
    }

    /// Points the index entries of many paths at their blobs, each with its work file's stat,
    /// as [`Repo::write_index`] does for one: on a scratch copy, by libgit2, renamed over it.
    pub(super) fn write_index_entries(
        &self,
        index_path: &Path,
        original: Option<&[u8]>,
        entries: &[(String, Oid, FileMode)],
    ) -> Result<(), GitError> {
        let racy_from = original.and_then(|_| {
            fs::metadata(index_path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|stamp| stamp.as_secs() as i64)
        });
        let entries: Vec<IndexEntry> = entries
            .iter()
            .map(|(path, blob, mode)| self.worktree_entry(path, *blob, *mode))
            .collect();
        self.write_through_libgit2(index_path, original, racy_from, &entries)
    }

    /// Writes `entries` into a scratch copy of the index with libgit2 and renames it into place.
    fn write_through_libgit2(
        &self,
        index_path: &Path,
        original: Option<&[u8]>,
        racy_from: Option<i64>,
        entries: &[IndexEntry],
    ) -> Result<(), GitError> {
        let io = GitError::io;
        let scratch = tempfile::Builder::new()
            .prefix("xp-index-")
            .suffix(".tmp")
            .tempfile_in(self.repo.path())
            .map_err(io(self.repo.path()))?;
        match original {
            Some(bytes) => fs::write(scratch.path(), bytes).map_err(io(scratch.path()))?,
            None => fs::remove_file(scratch.path()).map_err(io(scratch.path()))?,
        }
        write_with_libgit2(scratch.path(), racy_from, entries)?;
        scratch
            .persist(index_path)
            .map_err(|e| io(index_path)(e.error))?;
        Ok(())
    }

    /// Puts `bytes` in place as the index, by rename.
    pub(super) fn replace_index(&self, index_path: &Path, bytes: &[u8]) -> Result<(), GitError> {
        let io = GitError::io;
        let mut scratch = tempfile::Builder::new()
            .prefix("xp-index-")
            .suffix(".tmp")
            .tempfile_in(self.repo.path())
            .map_err(io(self.repo.path()))?;
        scratch.write_all(bytes).map_err(io(scratch.path()))?;
        scratch
            .persist(index_path)
            .map_err(|e| io(index_path)(e.error))?;
        Ok(())
    }
}

/// Puts `entries` into the index file at `path` with libgit2, smudging the entries modified in
/// or after the second `racy_from` first (see [`Repo::write_index`]).
pub(super) fn write_with_libgit2(
    path: &Path,
    racy_from: Option<i64>,
    entries: &[IndexEntry],
) -> Result<(), GitError> {
    let mut index = git2::Index::open(path).context("cannot read the index")?;
    if let Some(old) = racy_from {
        let racy: Vec<IndexEntry> = index
            .iter()
            .filter(|e| i64::from(e.mtime.seconds()) >= old)
            .collect();
        for mut entry in racy {
            entry.file_size = 0;
            index.add(&entry).context("cannot write the index")?;
        }
    }
    for entry in entries {
        index.add(entry).context("cannot write the index")?;
    }
    index.write().context("cannot write the index")
}

/// What the index holds for one path.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct InIndex {
    /// It has a stage 1, 2 or 3: an unresolved conflict.
    pub conflicted: bool,
    /// The blob at stage 0, unless only intended to be added (`git add -N`).
    pub staged: Option<Oid>,
}

/// The blob staged (stage 0, not intent-to-add) for `rel_path` in `index`.
pub(super) fn staged_in(index: &Index, rel_path: &str) -> Option<Oid> {
    index
        .get_path(Path::new(rel_path), 0)
        .filter(|e| e.flags_extended & git2::IndexEntryExtendedFlag::INTENT_TO_ADD.bits() == 0)
        .map(|e| e.id)
}

/// An index entry for `blob` at `rel_path`, stamped with the work file's stat when it exists.
pub(super) fn index_entry(
    rel_path: &str,
    blob: Oid,
    mode: FileMode,
    meta: Option<&fs::Metadata>,
) -> IndexEntry {
    let zero = IndexTime::new(0, 0);
    let mut entry = IndexEntry {
        ctime: zero,
        mtime: zero,
        dev: 0,
        ino: 0,
        mode: i32::from(mode) as u32,
        uid: 0,
        gid: 0,
        file_size: 0,
        id: blob,
        flags: 0,
        flags_extended: 0,
        path: rel_path.as_bytes().to_vec(),
    };
    if let Some(meta) = meta {
        stamp(&mut entry, meta);
    }
    entry
}

/// Copies the stat fields git keeps in the index (truncated to 32 bits, as git does).
#[cfg(unix)]
fn stamp(entry: &mut IndexEntry, meta: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    entry.ctime = IndexTime::new(meta.ctime() as i32, meta.ctime_nsec() as u32);
    entry.mtime = IndexTime::new(meta.mtime() as i32, meta.mtime_nsec() as u32);
    entry.dev = meta.dev() as u32;
    entry.ino = meta.ino() as u32;
    entry.uid = meta.uid();
    entry.gid = meta.gid();
    entry.file_size = meta.len() as u32;
}

/// Copies what stat fields this platform has; git re-reads the file when they do not match.
#[cfg(not(unix))]
fn stamp(entry: &mut IndexEntry, meta: &fs::Metadata) {
    let since = meta.modified().ok();
    if let Some(d) = since.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()) {
        entry.mtime = IndexTime::new(d.as_secs() as i32, d.subsec_nanos());
    }
    entry.file_size = meta.len() as u32;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::fs::File;
    use std::process::Command;
    use std::time::Duration;

    use super::*;
    use crate::git::tests_support::*;

    #[test]
    fn the_index_kept_from_a_read_gives_way_to_any_change_on_disk() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        let blob = |text: &str| fx.repo.repo.blob(text.as_bytes()).unwrap();
        assert_eq!(fx.repo.staged(RECORD).unwrap(), Some(blob("v1\n")));
        let first = fx.repo.index_file().unwrap().unwrap();
        assert!(Rc::ptr_eq(&first, &fx.repo.index_file().unwrap().unwrap()));
        // git changes the index behind it.
        fx.write(RECORD, "v2\n");
        fx.git(&["add", RECORD]);
        assert_eq!(fx.repo.staged(RECORD).unwrap(), Some(blob("v2\n")));
        assert!(!Rc::ptr_eq(&first, &fx.repo.index_file().unwrap().unwrap()));
        fs::remove_file(fx.root.join(".git/index")).unwrap();
        assert_eq!(fx.repo.staged(RECORD).unwrap(), None);
        assert!(fx.repo.index_file().unwrap().is_none());
    }

    /// `main` and `side` each change `rel` from `base`, then `side` is merged into `main`.
    fn conflicted_merge(fx: &Fx, rel: &str, [base, ours, theirs]: [Option<&str>; 3]) {
        fx.write("README", "x\n");
        if let Some(base) = base {
            fx.write(rel, base);
        }
        fx.git(&["add", "-A"]);
        fx.git(&["commit", "-q", "-m", "base"]);
        fx.git(&["checkout", "-q", "-b", "side"]);
        match theirs {
            Some(text) => fx.write(rel, text),
            None => fs::remove_file(fx.root.join(rel)).unwrap(),
        }
        fx.git(&["add", "-A"]);
        fx.git(&["commit", "-q", "-m", "theirs"]);
        fx.git(&["checkout", "-q", "main"]);
        if let Some(text) = ours {
            fx.write(rel, text);
        }
        fx.git(&["add", "-A"]);
        fx.git(&["commit", "-q", "-m", "ours"]);
        let out = Command::new("git")
            .current_dir(&fx.root)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &fx.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(["merge", "-q", "side"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "the merge should conflict");
    }

    #[test]
    fn conflicts_come_with_their_three_versions_and_stage_resolved_clears_one() {
        let fx = fx();
        conflicted_merge(&fx, RECORD, [Some("a\n"), Some("b\n"), Some("c\n")]);
        let found = fx.repo.conflicts().unwrap();
        assert_eq!(
            found,
            [ConflictedFile {
                path: RECORD.into(),
                base: Some(b"a\n".to_vec()),
                ours: Some(b"b\n".to_vec()),
                theirs: Some(b"c\n".to_vec()),
            }]
        );
        fx.write(RECORD, "bc\n");
        fx.repo.stage_resolved(RECORD, b"bc\n").unwrap();
        assert_eq!(fx.repo.conflicts().unwrap(), []);
        assert_eq!(fx.git(&["status", "--porcelain"]), format!("M  {RECORD}\n"));
        assert_eq!(fx.git(&["show", &format!(":{RECORD}")]), "bc\n");
        // A new path is staged like any other.
        fx.write("experiments/cta-2.yaml", "d\n");
        fx.repo
            .stage_resolved("experiments/cta-2.yaml", b"d\n")
            .unwrap();
        assert!(
            fx.git(&["status", "--porcelain"])
                .contains("A  experiments/cta-2.yaml")
        );
        fx.git(&["commit", "-q", "--no-edit"]);
        fx.fsck();
    }

    #[test]
    fn both_added_and_deleted_on_one_side_leave_stages_out() {
        let fx = fx();
        conflicted_merge(&fx, RECORD, [None, Some("b\n"), Some("c\n")]);
        let found = fx.repo.conflicts().unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].base.as_ref(), found[0].ours.is_some()),
            (None, true)
        );

        let fx = self::fx();
        conflicted_merge(&fx, RECORD, [Some("a\n"), Some("b\n"), None]);
        let found = fx.repo.conflicts().unwrap();
        assert_eq!(found[0].theirs, None);
        assert_eq!(found[0].ours.as_deref(), Some(&b"b\n"[..]));
    }

    #[test]
    fn stage_resolved_refuses_an_index_lock() {
        let fx = fx();
        conflicted_merge(&fx, RECORD, [Some("a\n"), Some("b\n"), Some("c\n")]);
        fs::write(fx.root.join(".git/index.lock"), "").unwrap();
        let err = fx.repo.stage_resolved(RECORD, b"x\n").unwrap_err();
        assert!(matches!(err, GitError::Locked { .. }), "{err:?}");
        fs::remove_file(fx.root.join(".git/index.lock")).unwrap();
        assert_eq!(fx.repo.conflicts().unwrap().len(), 1);
    }

    #[test]
    fn entries_git_would_take_for_racily_clean_are_smudged() {
        let fx = fx();
        fx.write("old.txt", "old\n");
        fx.write("racy.txt", "racy\n");
        fx.backdate(&["old.txt"], 1_600_000_000);
        fx.backdate(&["racy.txt"], 1_700_000_000);
        fx.cli_commit(&["old.txt", "racy.txt"], "base");
        // The index was written in the very second racy.txt was last changed (later within it).
        let index = fx.root.join(".git/index");
        let when = std::time::UNIX_EPOCH + Duration::new(1_700_000_000, 900_000_000);
        File::options()
            .write(true)
            .open(&index)
            .unwrap()
            .set_modified(when)
            .unwrap();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        let sizes: Vec<(String, u32)> = {
            let mut index = fx.repo.repo.index().unwrap();
            index.read(true).unwrap();
            index
                .iter()
                .map(|e| (String::from_utf8_lossy(&e.path).into_owned(), e.file_size))
                .collect()
        };
        assert_eq!(
            sizes,
            [
                ("experiments/cta.yaml".into(), 3),
                ("old.txt".into(), 4),
                ("racy.txt".into(), 0)
            ]
        );
        assert_eq!(fx.git(&["status", "--porcelain"]), "");
    }
}
