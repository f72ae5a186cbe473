//! The journal of a commit under way, and finishing what a killed xp command left behind.

use std::fs;
use std::path::Path;

use git2::Oid;

use super::index::{index_entry, staged_in};
use super::lock::{holds_token, is_own_ref_lock, lock_path};
use super::{Context, GitError, Repo, check_path, file_mode};

/// The start of the name of the file in the git directory that describes a commit xp has under
/// way, so that the next xp command can finish it when this one was killed ([`Repo::recover`]).
pub(super) const JOURNAL: &str = "xp-journal-";

impl Repo {
    /// Finishes what xp commands killed mid-commit left; call it holding [`Repo::lock`].
    ///
    /// A journal holds the token that command wrote into its `index.lock`, the index entry as
    /// it was before and the one it staged, and the ref it was moving. Its own locks are removed
    /// (a lock of another process is left alone, and the journal kept for later). An entry it
    /// staged for a commit that never landed is put back; an entry still old after a commit that
    /// landed is refreshed; in both cases only if nobody has changed it since. Scratch files go,
    /// and so does a pack an import was writing when it was killed.
    /// Returns what was repaired.
    pub fn recover(&self) -> Result<Vec<String>, GitError> {
        let mut journals = Vec::new();
        if let Ok(entries) = fs::read_dir(self.repo.path()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with("xp-") && name.ends_with(".tmp") {
                    let _ = fs::remove_file(entry.path());
                } else if name.starts_with(JOURNAL) {
                    journals.push(entry.path());
                }
            }
        }
        journals.sort();
        // A pack a killed import was writing, never named (its objects are in no other pack).
        let packs = self.repo.commondir().join("objects").join("pack");
        if let Ok(entries) = fs::read_dir(&packs) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with("tmp_pack_xp_") || name.starts_with("tmp_idx_xp_") {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        let mut repaired = Vec::new();
        // A branch a killed sync was moving to the remote's tip is moved on first.
        repaired.extend(self.finish_advance()?);
        for path in journals {
            let text = match fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(GitError::Io { path, source }),
            };
            match Journal::parse(&text) {
                Some(journal) if path.file_name() == Some(journal.file_name().as_ref()) => {
                    self.finish(&journal, &mut repaired)?
                }
                _ => {
                    let _ = fs::remove_file(&path);
                }
            }
        }
        Ok(repaired)
    }

    /// Finishes one interrupted commit (see [`Repo::recover`]).
    fn finish(&self, journal: &Journal, repaired: &mut Vec<String>) -> Result<(), GitError> {
        let index_lock = lock_path(&self.index_path());
        let remove = |path: &Path, repaired: &mut Vec<String>| {
            fs::remove_file(path).map_err(GitError::io(path))?;
            repaired.push(format!(
                "removed {} left behind by an interrupted xp command",
                path.display()
            ));
            Ok::<(), GitError>(())
        };
        if fs::symlink_metadata(&index_lock).is_ok() {
            if !holds_token(&index_lock, &journal.token) {
                // Another git process's lock: leave everything for a later command.
                return Ok(());
            }
            // That command died holding `index.lock`, so perhaps while moving the ref too: a
            // ref lock that is empty or holds (part of) its commit id is its own. The ref did
            // not move; the file it wrote is committed by the next command.
            if let Some((refname, commit)) = &journal.swap {
                let ref_lock = self.ref_lock_path(refname);
                if is_own_ref_lock(&ref_lock, *commit) {
                    remove(&ref_lock, repaired)?;
                }
            }
            remove(&index_lock, repaired)?;
        }
        let tip = self.tip()?.id;
        let mut index = None;
        let (mut put_back, mut refreshed) = (Vec::new(), Vec::new());
        for file in &journal.files {
            let Some(before) = file.staged else {
                // Killed before it looked at the index: it never changed it.
                continue;
            };
            let head = self.entry_at(tip, &file.path)?;
            let index = match &mut index {
                Some(index) => index,
                None => index.insert(self.read_index()?),
            };
            let staged = staged_in(index, &file.path);
            let mode = file_mode(head.map(|(_, mode)| mode));
            let committed = head.is_some_and(|(id, _)| id == file.blob);
            let path = Path::new(&file.path);
            if !committed && staged == Some(file.blob) && before != staged {
                // Staged, but HEAD never moved: put the entry back as it was.
                match before {
                    Some(id) => index
                        .add(&index_entry(&file.path, id, mode, None))
                        .context("cannot write the index")?,
                    None => index.remove_path(path).context("cannot write the index")?,
                }
                put_back.push(file.path.as_str());
            } else if committed && staged == before && before != Some(file.blob) {
                // Committed, but the index entry was never written.
                let work_file = self.workdir.join(&file.path);
                let same = fs::read(&work_file)
                    .ok()
                    .and_then(|bytes| self.blob_id(&file.path, &bytes).ok())
                    == Some(file.blob);
                let meta = fs::symlink_metadata(&work_file).ok().filter(|_| same);
                let entry = index_entry(&file.path, file.blob, mode, meta.as_ref());
                index.add(&entry).context("cannot write the index")?;
                refreshed.push(file.path.as_str());
            }
        }
        if let Some(index) = &mut index
            && !(put_back.is_empty() && refreshed.is_empty())
        {
            index.write().context("cannot write the index")?;
        }
        for (paths, done) in [(put_back, "put back"), (refreshed, "refreshed")] {
            match paths[..] {
                [] => {}
                [one] => repaired.push(format!(
                    "{done} git's index entry for {one} after an interrupted xp command"
                )),
                _ => repaired.push(format!(
                    "{done} git's index entries for {} files after an interrupted xp command",
                    paths.len()
                )),
            }
        }
        self.remove_journal(journal);
        Ok(())
    }

    /// Writes the journal atomically (a scratch file renamed into place).
    pub(super) fn write_journal(&self, journal: &Journal) -> Result<(), GitError> {
        let path = self.repo.path().join(journal.file_name());
        let temp = self
            .repo
            .path()
            .join(format!("{}.tmp", journal.file_name()));
        let io = |source| GitError::Io {
            path: path.clone(),
            source,
        };
        // Written for the next xp command after a kill, not for a power cut: no fsync.
        fs::write(&temp, journal.to_text()).map_err(io)?;
        fs::rename(&temp, &path).map_err(io)
    }

    pub(super) fn remove_journal(&self, journal: &Journal) {
        // Harmless when it stays: `recover` finds nothing left to do and removes it.
        let _ = fs::remove_file(self.repo.path().join(journal.file_name()));
    }
}

/// A commit xp has under way: the token in its `index.lock`, the index entry it will refresh,
/// and the ref it is moving to which commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Journal {
    pub(super) token: String,
    /// The files being committed: one, or a chain's.
    pub(super) files: Vec<JournalFile>,
    /// The ref being moved and the commit it is moved to, once a swap is under way.
    pub(super) swap: Option<(String, Oid)>,
}

/// One file of a commit under way, and its index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct JournalFile {
    pub(super) path: String,
    /// The entry's blob before the commit (None: no entry); not yet known (None) until xp
    /// holds `index.lock`.
    pub(super) staged: Option<Option<Oid>>,
    /// The blob being committed.
    pub(super) blob: Oid,
}

impl Journal {
    /// The journal's file name in the git directory: one per commit under way.
    pub(super) fn file_name(&self) -> String {
        format!("{JOURNAL}{}", self.token)
    }

    /// `xp-journal 1`, the token, then `staged`, `blob` and `path` for each file, and the
    /// swap once one is under way.
    pub(super) fn to_text(&self) -> String {
        let mut text = format!("xp-journal 1\nlock {}\n", self.token);
        for file in &self.files {
            let staged = match file.staged {
                None => "?".to_owned(),
                Some(None) => "-".to_owned(),
                Some(Some(id)) => id.to_string(),
            };
            text.push_str(&format!(
                "staged {staged}\nblob {}\npath {}\n",
                file.blob, file.path
            ));
        }
        if let Some((refname, commit)) = &self.swap {
            text.push_str(&format!("swap {commit} {refname}\n"));
        }
        text
    }

    pub(super) fn parse(text: &str) -> Option<Journal> {
        let mut lines = text.lines();
        if lines.next()? != "xp-journal 1" {
            return None;
        }
        let mut field = |key: &str| {
            lines
                .next()?
                .strip_prefix(key)?
                .strip_prefix(' ')
                .map(str::to_owned)
        };
        let token = field("lock")?;
        let mut files = Vec::new();
        loop {
            let staged = match field("staged").as_deref() {
                None => break,
                Some("?") => None,
                Some("-") => Some(None),
                Some(id) => Some(Some(Oid::from_str(id).ok()?)),
            };
            let blob = Oid::from_str(&field("blob")?).ok()?;
            let path = field("path")?;
            check_path(&path).ok()?;
            files.push(JournalFile { path, staged, blob });
        }
        if files.is_empty() {
            return None;
        }
        let swap = match text.lines().last() {
            Some(line) if line.starts_with("swap ") => {
                let (commit, refname) = line.strip_prefix("swap ")?.split_once(' ')?;
                let valid = refname == "HEAD"
                    || (refname.starts_with("refs/") && check_path(refname).is_ok());
                valid.then_some(())?;
                Some((refname.to_owned(), Oid::from_str(commit).ok()?))
            }
            _ => None,
        };
        Some(Journal { token, files, swap })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use git2::{FileMode, Signature};

    use crate::git::lock::IndexLock;

    use super::*;
    use crate::git::tests_support::*;

    /// What a kill while xp holds `index.lock` leaves: the lock (with its token) and a journal.
    fn interrupted(fx: &Fx, token: &str, content: &[u8], swap: bool) -> (Journal, Oid) {
        let staged = fx.repo.staged(RECORD).unwrap();
        fx.write(RECORD, std::str::from_utf8(content).unwrap());
        let git = fx.root.join(".git");
        let lock = IndexLock::acquire(&git, &git.join("index"), token).unwrap();
        std::mem::forget(lock);
        let blob = fx.repo.repo.blob(content).unwrap();
        let tip = fx.repo.tip().unwrap();
        let sig = Signature::now("A", "a@x").unwrap();
        let id = fx
            .repo
            .build_commit(&tip, RECORD, blob, [&sig, &sig], "xp: two\n")
            .unwrap();
        let journal = Journal {
            token: token.into(),
            files: vec![JournalFile {
                path: RECORD.into(),
                staged: Some(staged),
                blob,
            }],
            swap: Some((tip.refname.clone(), id)),
        };
        fx.repo.write_journal(&journal).unwrap();
        assert_eq!(Journal::parse(&journal.to_text()), Some(journal.clone()));
        if swap {
            fx.repo.swap(&tip, id, "xp: two").unwrap();
        }
        (journal, id)
    }

    #[test]
    fn recover_finishes_a_commit_whose_index_was_never_written() {
        let fx = fx();
        fx.write("other.txt", "o\n");
        fx.cli_commit(&["other.txt"], "base");
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        // Killed after the swap: HEAD and the file new, the index old, our lock left.
        let (_, id) = interrupted(&fx, "token-1", b"v2\n", true);
        fs::write(fx.root.join(".git/xp-index-1.tmp"), "scratch").unwrap();

        let repaired = fx.repo.recover().unwrap();
        assert_eq!(repaired.len(), 2, "{repaired:?}");
        assert!(repaired[0].contains("index.lock"), "{repaired:?}");
        assert!(repaired[1].contains(RECORD), "{repaired:?}");
        assert!(!fx.root.join(".git/index.lock").exists());
        assert_eq!(fx.journals(), 0);
        assert!(!fx.root.join(".git/xp-index-1.tmp").exists());
        assert_eq!(fx.commit("HEAD").id(), id);
        assert_eq!(fx.git(&["status", "--porcelain=v2"]), "");
        assert!(fx.repo.recover().unwrap().is_empty(), "nothing left to do");
        fx.fsck();
    }

    #[test]
    fn recover_puts_back_an_entry_staged_for_a_commit_that_never_landed() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        let index = fs::read(fx.root.join(".git/index")).unwrap();
        let (journal, _) = interrupted(&fx, "token-4", b"v2\n", false);
        let (mode, original) = (FileMode::Blob, fx.read(".git/index"));
        fx.repo
            .write_index(
                &fx.root.join(".git/index"),
                original.as_deref(),
                RECORD,
                journal.files[0].blob,
                mode,
            )
            .unwrap();
        assert_eq!(fx.repo.staged(RECORD).unwrap(), Some(journal.files[0].blob));
        let repaired = fx.repo.recover().unwrap();
        assert_eq!(repaired.len(), 2, "{repaired:?}");
        assert!(
            repaired[1].contains("put back git's index entry"),
            "{repaired:?}"
        );
        assert_eq!(
            fx.repo.staged(RECORD).unwrap(),
            journal.files[0].staged.unwrap()
        );
        assert_ne!(
            fs::read(fx.root.join(".git/index")).unwrap(),
            index,
            "stat data differs"
        );
        assert_eq!(fx.git(&["diff", "--cached", "--name-only"]), "");
        assert_eq!(fx.git(&["diff", "--name-only"]), format!("{RECORD}\n"));
        assert_eq!(fx.journals(), 0);
    }

    #[test]
    fn recover_removes_its_own_ref_lock_and_leaves_the_ref() {
        for content in ["", "partial"] {
            let fx = fx();
            let first = fx.xp_commit(RECORD, "v1\n", "xp: one\n");
            // Killed in the middle of libgit2's ref update: the ref lock is empty, or holds the
            // start of the new commit's id.
            let (journal, id) = interrupted(&fx, "token-3", b"v2\n", false);
            let ref_lock = fx.root.join(".git/refs/heads/main.lock");
            let text = if content.is_empty() {
                String::new()
            } else {
                id.to_string()[..10].to_owned()
            };
            fs::write(&ref_lock, text).unwrap();
            let repaired = fx.repo.recover().unwrap();
            assert_eq!(repaired.len(), 2, "{repaired:?}");
            assert!(!ref_lock.exists() && !fx.root.join(".git/index.lock").exists());
            assert_eq!(
                fx.commit("HEAD").id().to_string(),
                first.id,
                "the ref did not move"
            );
            assert_eq!(fx.journals(), 0);
            // The file the killed command wrote is there, for the next command to commit.
            fx.repo
                .preflight(RECORD, fx.read(RECORD).as_deref())
                .unwrap();
            let _ = journal;
        }
    }

    #[test]
    fn recover_leaves_what_is_not_its_own() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        let (journal, _) = interrupted(&fx, "token-2", b"v2\n", false);
        // Another process's index.lock took the place of ours, and a ref lock with another id:
        // nothing is touched, the journal stays for later.
        fs::write(fx.root.join(".git/index.lock"), "DIRC").unwrap();
        let other = "0123456789012345678901234567890123456789\n";
        fs::write(fx.root.join(".git/refs/heads/main.lock"), other).unwrap();
        let before = fx.snapshot();
        assert!(fx.repo.recover().unwrap().is_empty());
        assert_eq!(fx.snapshot(), before);
        assert!(fx.root.join(".git/index.lock").exists());
        assert!(fx.root.join(".git/refs/heads/main.lock").exists());
        assert_eq!(fx.journals(), 1);
        fs::remove_file(fx.root.join(".git/index.lock")).unwrap();
        fs::remove_file(fx.root.join(".git/refs/heads/main.lock")).unwrap();
        // The commit never landed: the index is left as it is, the journal goes.
        let before = fx.snapshot();
        assert!(fx.repo.recover().unwrap().is_empty());
        assert_eq!(fx.snapshot(), before);
        assert_eq!(fx.journals(), 0);
        // A journal that cannot be read, or whose name is not its token's, is dropped.
        let git = fx.root.join(".git");
        fs::write(git.join(format!("{JOURNAL}x")), "xp-journal 1\nlock\n").unwrap();
        fs::write(git.join(format!("{JOURNAL}y")), journal.to_text()).unwrap();
        assert!(fx.repo.recover().unwrap().is_empty());
        assert_eq!(fx.journals(), 0);
    }

    #[test]
    fn recover_removes_a_pack_a_killed_import_was_writing_and_nothing_else() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        let packs = fx.root.join(".git/objects/pack");
        fs::create_dir_all(&packs).unwrap();
        for name in ["tmp_pack_xp_a1b2c3", "tmp_idx_xp_a1b2c3", "tmp_pack_Qx81Zk"] {
            fs::write(packs.join(name), "PACK").unwrap();
        }
        assert!(fx.repo.recover().unwrap().is_empty());
        assert!(!packs.join("tmp_pack_xp_a1b2c3").exists());
        assert!(!packs.join("tmp_idx_xp_a1b2c3").exists());
        // git's own temporary pack (a fetch under way) is not xp's to remove.
        assert!(packs.join("tmp_pack_Qx81Zk").exists());
        fs::remove_file(packs.join("tmp_pack_Qx81Zk")).unwrap();
        fx.fsck();
    }
}
