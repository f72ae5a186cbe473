//! Locks: xp's own write lock, git's `index.lock` as xp takes and respects it, and telling a
//! lock a killed xp left from another process's.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use git2::Oid;

use super::{GitError, Repo};

/// before it refuses; git's own commands hold them for milliseconds.
const GIT_LOCK_WAIT: Duration = Duration::from_millis(500);

/// How often xp looks again at a lock held by another git process.
const GIT_LOCK_POLL: Duration = Duration::from_millis(5);

/// The exclusive right to change records in one repository; released on drop.
pub type WriteLock = crate::lockfile::FileLock;

impl Repo {
    /// Takes the exclusive lock for a read-change-write-commit sequence, waiting up to `timeout`.
    ///
    /// The lock is an OS file lock on `xp.lock` in git's common directory, so it is shared by
    /// linked work trees and vanishes with the process that held it.
    pub fn lock(&self, timeout: Duration) -> Result<WriteLock, GitError> {
        let path = self.repo.commondir().join("xp.lock");
        match crate::lockfile::lock_file(&path, timeout) {
            Ok(Some(lock)) => Ok(lock),
            Ok(None) => Err(GitError::Busy),
            Err(source) => Err(GitError::Io { path, source }),
        }
    }

    /// Waits up to [`GIT_LOCK_WAIT`] for another git process's `index.lock` to go, as every
    /// change to the index does first; refuses, naming it, when it stays.
    pub(super) fn wait_for_index_lock(&self) -> Result<(), GitError> {
        wait_for_lock(lock_path(&self.index_path()))
    }

    /// The lock file git creates while it updates `refname`.
    pub(super) fn ref_lock_path(&self, refname: &str) -> PathBuf {
        let dir = if refname.starts_with("refs/") {
            self.repo.commondir()
        } else {
            self.repo.path()
        };
        dir.join(format!("{refname}.lock"))
    }
}

/// The lock file git uses for `path`.
pub(super) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Waits up to [`GIT_LOCK_WAIT`] for another git process's lock file at `path` to go;
/// refuses, naming it, when it stays.
pub(super) fn wait_for_lock(path: PathBuf) -> Result<(), GitError> {
    let deadline = Instant::now() + GIT_LOCK_WAIT;
    while fs::symlink_metadata(&path).is_ok() {
        if Instant::now() >= deadline {
            return Err(GitError::Locked { path });
        }
        thread::sleep(GIT_LOCK_POLL);
    }
    Ok(())
}

/// `index.lock` as xp holds it: made exclusively, as git does, and holding a token that tells
/// the next xp command it is this one's (see [`Repo::recover`]); removed when released or
/// dropped.
pub(super) struct IndexLock {
    path: PathBuf,
    held: bool,
}

impl IndexLock {
    /// Creates `index.lock` beside `index`, waiting up to [`GIT_LOCK_WAIT`] while another
    /// process holds it. The file appears with the token already in it: it is written to a
    /// scratch file in `gitdir` first, then hard-linked into place (which fails if the lock
    /// exists), so that a kill can never leave a lock of xp's that xp cannot recognize.
    pub(super) fn acquire(gitdir: &Path, index: &Path, token: &str) -> Result<IndexLock, GitError> {
        let path = lock_path(index);
        let io = GitError::io;
        let mut scratch = tempfile::Builder::new()
            .prefix("xp-lock-")
            .suffix(".tmp")
            .tempfile_in(gitdir)
            .map_err(io(gitdir))?;
        scratch
            .write_all(token.as_bytes())
            .map_err(io(scratch.path()))?;
        let deadline = Instant::now() + GIT_LOCK_WAIT;
        loop {
            let made = match fs::hard_link(scratch.path(), &path) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
                // No hard links on this file system: create it, then write the token.
                Err(_) => OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .and_then(|mut file| file.write_all(token.as_bytes())),
                Ok(()) => Ok(()),
            };
            match made {
                Ok(()) => return Ok(IndexLock { path, held: true }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if Instant::now() >= deadline {
                        return Err(GitError::Locked { path });
                    }
                    thread::sleep(GIT_LOCK_POLL);
                }
                Err(source) => return Err(GitError::Io { path, source }),
            }
        }
    }

    pub(super) fn release(mut self) {
        self.remove();
    }

    fn remove(&mut self) {
        if std::mem::take(&mut self.held) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Whether the lock file at `path` holds exactly `token`.
pub(super) fn holds_token(path: &Path, token: &str) -> bool {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|file| {
            use std::io::Read;
            file.take(token.len() as u64 + 1).read_to_end(&mut bytes)
        })
        .is_ok()
        && bytes == token.as_bytes()
}

/// Whether a ref lock is one libgit2 was making for `commit`: empty (it writes the id only
/// just before the rename) or holding the start of that id.
pub(super) fn is_own_ref_lock(path: &Path, commit: Oid) -> bool {
    let mut bytes = Vec::new();
    let read = File::open(path).and_then(|file| {
        use std::io::Read;
        file.take(128).read_to_end(&mut bytes)
    });
    let line = format!("{commit}\n");
    read.is_ok() && line.as_bytes().starts_with(&bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::git::tests_support::*;

    #[test]
    fn a_second_lock_times_out_as_busy() {
        let fx = fx();
        let held = fx.repo.lock(Duration::from_secs(1)).unwrap();
        let other = Repo::discover(&fx.root, &fx.env).unwrap().unwrap();
        let err = other.lock(Duration::from_millis(100)).unwrap_err();
        assert!(matches!(err, GitError::Busy), "{err:?}");
        assert_eq!(
            err.to_string(),
            "another xp command is writing in this repository"
        );
        drop(held);
        other.lock(Duration::from_millis(100)).unwrap();
    }
}
