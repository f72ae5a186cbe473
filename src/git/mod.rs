//! The narrow wrapper around git: the only code that touches git2.
//!
//! A change is one commit holding exactly one file: its tree is HEAD's tree plus that file
//! (never the user's index), HEAD's ref moves by compare-and-swap, and afterwards only that
//! path's index entry is refreshed, so the user's other staged and unstaged work stays put.
//! As git does, `index.lock` is held while the entry is staged and the ref moves; a journal
//! lets the next xp command finish the job when this one is killed ([`Repo::recover`]).
//!
//! This module knows nothing of record files or of the rest of xp: what it needs from the
//! outside world comes in a [`GitEnv`], built by the caller.

mod chain;
mod commit;
mod discover;
mod error;
mod history;
mod identity;
mod index;
mod index_file;
mod lock;
mod pack;
mod preflight;
mod recover;
mod remote;
mod sync;
#[cfg(test)]
mod tests_support;
mod trees;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use git2::{ErrorCode, FileMode, ObjectType, Oid, Repository};

pub use chain::ChainedFile;
pub use commit::Committed;
pub use discover::init_repo;
use error::Context;
pub use error::GitError;
pub use history::{CommitInfo, HistoryCommit, IsIt, Walker, Wanted};
pub use identity::global_user_name;
pub use index::ConflictedFile;
pub use lock::WriteLock;
pub use preflight::Worktree;
pub use remote::{NetEnv, NetError, Pushed, tracking_ref};
pub use sync::{Branch, FileChange, LocalCommit};

/// The blob id git gives `bytes` (a file's content as it is in the work tree): a record's
/// version, which an HTTP `ETag` carries. Works outside a repository too.
pub fn content_id(bytes: &[u8]) -> String {
    Oid::hash_object(ObjectType::Blob, bytes)
        .map(|id| id.to_string())
        .unwrap_or_default()
}

/// What git needs from the outside world: the `GIT_*` variables (and `EMAIL`), the clock, and
/// the point where a test wants xp to fail. The caller builds it from its own environment.
#[derive(Debug, Clone)]
pub struct GitEnv {
    vars: BTreeMap<String, String>,
    now: DateTime<Utc>,
    fault: Option<String>,
}

impl GitEnv {
    /// An environment of `vars` (only those git reads are kept) at the time `now`.
    pub fn new(vars: impl IntoIterator<Item = (String, String)>, now: DateTime<Utc>) -> GitEnv {
        let vars = vars
            .into_iter()
            .filter(|(name, value)| !value.is_empty() && is_git_var(name))
            .collect();
        GitEnv {
            vars,
            now,
            fault: None,
        }
    }

    /// Test-only: the point (`XP_TEST_FAULT`) where xp should fail or die.
    pub fn with_fault(mut self, point: Option<&str>) -> GitEnv {
        self.fault = point.map(str::to_owned);
        self
    }

    /// A variable, when set and not empty.
    fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A variable git reads as a boolean (`1`, `true`, `yes`, `on`), as git does.
    fn flag(&self, name: &str) -> bool {
        self.var(name).is_some_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            matches!(v.as_str(), "true" | "yes" | "on") || v.parse::<i64>().is_ok_and(|n| n != 0)
        })
    }

    /// Whether a test asked for a failure at this point; never without the `test-faults`
    /// feature, which only `cargo test` turns on.
    fn fault(&self, point: &str) -> bool {
        cfg!(feature = "test-faults") && self.fault.as_deref() == Some(point)
    }

    /// Dies at once, as a kill would (no clean-up, no output), when a test asked for it here.
    fn crash_point(&self, point: &str) {
        if self.fault(point) {
            std::process::abort();
        }
    }
}

/// Whether git reads the variable `name`.
fn is_git_var(name: &str) -> bool {
    name.starts_with("GIT_") || matches!(name, "EMAIL" | "HOME" | "XDG_CONFIG_HOME")
}

/// A git object id as xp passes it around; git2's own type stays inside this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(Oid);

impl Id {
    /// Its first seven hex digits, as git shows a commit.
    pub fn short(&self) -> String {
        self.0.to_string()[..7].to_owned()
    }

    /// The id written in hex, when it is one.
    pub fn parse(hex: &str) -> Option<Id> {
        Oid::from_str(hex.trim()).ok().map(Id)
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// One open repository with a work tree, opened once per command.
pub struct Repo {
    repo: Repository,
    workdir: PathBuf,
    /// The handle filters run in, made when first needed (see [`Repo::filtering`]).
    filters: std::cell::OnceCell<Repository>,
    /// The index file as last read, kept while its checksum on disk is the same (see
    /// [`Repo::index_file`]).
    index: std::cell::RefCell<Option<std::rc::Rc<index::ReadIndex>>>,
    /// Files' entries in commits' trees, looked up once: a commit never changes.
    entries: std::cell::RefCell<std::collections::HashMap<(Oid, String), Option<FileAt>>>,
}

/// A file's blob and mode in a tree.
type FileAt = (Oid, i32);

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("workdir", &self.workdir)
            .finish_non_exhaustive()
    }
}

/// Where HEAD leads: the ref to move and the commit it names (None on an unborn branch).
struct Tip {
    refname: String,
    id: Option<Oid>,
}

impl Repo {
    /// The git directory of this work tree (`.git`, or `.git/worktrees/<name>` for a linked one).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// The canonicalized root of the work tree.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// A path of the work tree relative to its root, with `/`; None when outside it.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.workdir).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }

    /// The branch HEAD is on, where commits land (`main`; a branch with no commits yet too);
    /// None when HEAD is detached.
    pub fn branch(&self) -> Result<Option<String>, GitError> {
        let tip = self.tip()?;
        Ok((tip.refname != "HEAD").then(|| {
            tip.refname
                .strip_prefix("refs/heads/")
                .unwrap_or(&tip.refname)
                .to_owned()
        }))
    }

    /// Refuses a detached HEAD, where a commit would be on no branch.
    pub fn need_branch(&self) -> Result<(), GitError> {
        match self.branch()? {
            Some(_) => Ok(()),
            None => Err(GitError::Detached),
        }
    }

    /// The ref HEAD points to and its commit, read afresh.
    fn tip(&self) -> Result<Tip, GitError> {
        let head = self
            .repo
            .find_reference("HEAD")
            .context("cannot read HEAD")?;
        let Some(refname) = head.symbolic_target().context("cannot read HEAD")? else {
            return Ok(Tip {
                refname: "HEAD".into(),
                id: head.target(),
            });
        };
        let id = match self.repo.refname_to_id(refname) {
            Ok(id) => Some(id),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => return Err(e).context(format!("cannot read {refname}")),
        };
        Ok(Tip {
            refname: refname.to_owned(),
            id,
        })
    }

    /// Stores `content`, the bytes of the work file `rel_path`, as the blob `git add` would:
    /// through the repository's filters (`core.autocrlf`, `text`/`eol` in `.gitattributes`).
    ///
    /// Used for every blob compared with or written to the index and commits, so that xp's
    /// commits hold what git's would and `git status` agrees with the entries xp writes.
    fn store_blob(&self, rel_path: &str, content: &[u8]) -> Result<Oid, GitError> {
        let context = || format!("cannot store {rel_path} in git");
        let mut writer = self
            .filtering()?
            .blob_writer(Some(Path::new(rel_path)))
            .context(context())?;
        writer.write_all(content).map_err(|source| GitError::Io {
            path: self.workdir.join(rel_path),
            source,
        })?;
        writer.commit().context(context())
    }

    /// The id [`Repo::store_blob`] would give `content`, without storing anything.
    ///
    /// For as long as it filters, the repository's object database is swapped for one that
    /// keeps new objects in memory and reads existing ones from disk (a filter may look at the
    /// staged version), then put back.
    fn blob_id(&self, rel_path: &str, content: &[u8]) -> Result<Oid, GitError> {
        let context = || format!("cannot hash {rel_path}");
        let repo = self.filtering()?;
        let disk = repo.odb().context(context())?;
        let memory = git2::Odb::new().context(context())?;
        memory.add_new_mempack_backend(1000).context(context())?;
        let objects = self.repo.commondir().join("objects");
        memory
            .add_disk_alternate(&objects.to_string_lossy())
            .context(context())?;
        repo.set_odb(&memory).context(context())?;
        let id = self.store_blob(rel_path, content);
        repo.set_odb(&disk).context(context())?;
        id
    }

    /// The repository as filters should see it: a second handle whose index holds only the
    /// real index's `.gitattributes` entries, the one thing filters read from it.
    ///
    /// libgit2 looks for attributes in the index too, and loads the whole index for that:
    /// 90 ms for 60,000 entries, for one small blob. When the index has a layout
    /// [`IndexFile`](index_file::IndexFile) cannot read, filters run in `self.repo` itself.
    fn filtering(&self) -> Result<&Repository, GitError> {
        if let Some(repo) = self.filters.get() {
            return Ok(repo);
        }
        let context = "cannot prepare git's filters";
        let Some(attributes) = self.attribute_entries()? else {
            return Ok(&self.repo);
        };
        let repo = Repository::open(self.repo.path()).context(context)?;
        repo.set_config(&self.repo.config().context(context)?)
            .context(context)?;
        repo.set_workdir(&self.workdir, false).context(context)?;
        let mut index = git2::Index::new().context(context)?;
        for entry in &attributes {
            index.add(entry).context(context)?;
        }
        repo.set_index(&mut index).context(context)?;
        Ok(self.filters.get_or_init(|| repo))
    }

    /// The mode `rel_path` has in `commit`'s tree, or a plain file's when it is not there.
    fn mode_at(&self, commit: Option<Oid>, rel_path: &str) -> Result<FileMode, GitError> {
        Ok(file_mode(
            self.entry_at(commit, rel_path)?.map(|(_, mode)| mode),
        ))
    }

    /// The blob id and file mode of `rel_path` in `commit`'s tree, when it is a file there.
    /// Each is looked up once: a commit never changes.
    fn entry_at(
        &self,
        commit: Option<Oid>,
        rel_path: &str,
    ) -> Result<Option<(Oid, i32)>, GitError> {
        let Some(commit) = commit else {
            return Ok(None);
        };
        let key = (commit, rel_path.to_owned());
        if let Some(found) = self.entries.borrow().get(&key) {
            return Ok(*found);
        }
        let found = self.look_up(commit, rel_path)?;
        let mut entries = self.entries.borrow_mut();
        // A server's handle lives long: what it looked up for past writes goes.
        if entries.len() >= 1024 {
            entries.clear();
        }
        entries.insert(key, found);
        Ok(found)
    }

    /// [`Repo::entry_at`] read from the tree.
    fn look_up(&self, commit: Oid, rel_path: &str) -> Result<Option<(Oid, i32)>, GitError> {
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .context("cannot read HEAD's tree")?;
        match tree.get_path(Path::new(rel_path)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Blob) => {
                Ok(Some((entry.id(), entry.filemode())))
            }
            Ok(_) => Ok(None),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e).context(format!("cannot look up {rel_path} at HEAD")),
        }
    }
}

/// The mode of a file git records as `mode` (None: not there yet): executable or not.
fn file_mode(mode: Option<i32>) -> FileMode {
    if mode == Some(i32::from(FileMode::BlobExecutable)) {
        FileMode::BlobExecutable
    } else {
        FileMode::Blob
    }
}

/// Refuses paths that could escape the work tree or reach into `.git`.
fn check_path(rel_path: &str) -> Result<(), GitError> {
    let valid = !rel_path.contains(['\\', '\0'])
        && rel_path.split('/').all(|part| {
            !part.is_empty() && part != "." && part != ".." && !part.eq_ignore_ascii_case(".git")
        });
    if valid {
        Ok(())
    } else {
        Err(GitError::BadPath {
            path: rel_path.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn filters_see_gitattributes_only_in_the_index_as_libgit2_does() {
        let fx = tests_support::fx();
        let rel = "experiments/a.yaml";
        fx.write("experiments/.gitattributes", "*.yaml text\n");
        fx.write(rel, "id: 1\n");
        fx.cli_commit(&["experiments"], "base");
        // Deleted from the work tree, not from the index: libgit2 still reads it there.
        std::fs::remove_file(fx.root.join("experiments/.gitattributes")).unwrap();

        let crlf = b"id: 1\r\nnote: x\r\n";
        let id = fx.repo.store_blob(rel, crlf).unwrap();
        let blob = fx.repo.repo.find_blob(id).unwrap();
        assert_eq!(blob.content(), b"id: 1\nnote: x\n");
        let mut whole_index = fx.repo.repo.blob_writer(Some(Path::new(rel))).unwrap();
        whole_index.write_all(crlf).unwrap();
        assert_eq!(whole_index.commit().unwrap(), id);
        assert_eq!(fx.repo.blob_id(rel, crlf).unwrap(), id);
        assert_eq!(
            fx.repo.blob_id("README", crlf).unwrap(),
            Oid::hash_object(ObjectType::Blob, crlf).unwrap()
        );
    }

    #[test]
    fn paths_that_leave_the_work_tree_are_refused() {
        for bad in [
            "",
            "/abs",
            "a//b",
            "a/",
            "./a",
            "a/../b",
            "..",
            ".git/config",
            "x/.GIT/y",
            "a\\b",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        check_path("experiments/a.yaml").unwrap();
        check_path(".github/x.yml").unwrap();
    }
}
