//! The narrow wrapper around git: the only file that touches git2.
//!
//! A change is one commit holding exactly one file: its tree is HEAD's tree plus that file
//! (never the user's index), HEAD's ref moves by compare-and-swap, and afterwards only that
//! path's index entry is refreshed, so the user's other staged and unstaged work stays put.
//! As git does, `index.lock` is held while the entry is staged and the ref moves; a journal
//! lets the next xp command finish the job when this one is killed ([`Repo::recover`]).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeZone};
use git2::build::TreeUpdateBuilder;
use git2::{
    Commit, ErrorCode, FileMode, IndexEntry, IndexTime, ObjectType, Oid, Repository,
    RepositoryInitOptions, RepositoryState, Signature, Sort, Time, Tree,
};

use crate::env::Env;

/// How many times `commit_file` rebuilds its commit when HEAD moved under it.
const MAX_TRIES: usize = 20;

/// How long a ref lock may be held by someone else before `commit_file` gives up; git's
/// `core.filesRefLockTimeout` defaults to 100 ms.
const REF_LOCK_WAIT: Duration = Duration::from_millis(100);

/// How long `commit_file` sleeps between two attempts at a locked ref.
const REF_LOCK_POLL: Duration = Duration::from_millis(2);

/// How long xp waits for a lock held by another git process (`index.lock`, a ref lock) to go
/// before it refuses; git's own commands hold them for milliseconds.
const GIT_LOCK_WAIT: Duration = Duration::from_millis(500);

/// How often xp looks again at a lock held by another git process.
const GIT_LOCK_POLL: Duration = Duration::from_millis(5);

/// The trailer that ties a commit to an experiment.
const TRAILER: &str = "Experiment-Id";

/// The start of the name of the file in the git directory that describes a commit xp has under
/// way, so that the next xp command can finish it when this one was killed ([`Repo::recover`]).
const JOURNAL: &str = "xp-journal-";

/// Everything that can go wrong talking to git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{} is a bare git repository, with no work tree to write in", .path.display())]
    Bare { path: PathBuf },
    #[error("{} is inside a git directory, not in a work tree", .path.display())]
    InGitDir { path: PathBuf },
    #[error("another xp command is writing in this repository")]
    Busy,
    /// `operation` is the git command to finish: merge, rebase, cherry-pick, revert, bisect, am.
    #[error("a git {operation} is in progress")]
    InProgress { operation: &'static str },
    #[error("{} exists: another git process is running", .path.display())]
    Locked { path: PathBuf },
    #[error("{path} has staged changes that differ from both HEAD and the work tree")]
    StagedDifferent { path: String },
    #[error("{path} has unresolved conflicts in the index")]
    Conflicted { path: String },
    #[error("{path} was changed by another commit while xp was committing")]
    HeadMoved { path: String },
    #[error("HEAD kept moving while xp was committing")]
    Contended,
    #[error("git does not know who you are: no user name or email is configured")]
    NoIdentity,
    #[error("`{rev}` names no commit in this repository")]
    UnknownRev { rev: String },
    #[error("{var} is `{value}`, which is not a date xp understands")]
    BadDate { var: String, value: String },
    #[error("`{path}` is not a valid path inside the repository")]
    BadPath { path: String },
    #[error("{context}: {}", .source.message())]
    Git {
        context: String,
        source: git2::Error,
    },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl GitError {
    /// What the user can do about it, when we know.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            GitError::Bare { .. } => "run xp in a clone that has a work tree".into(),
            GitError::InGitDir { .. } => "run xp from the work tree, outside `.git`".into(),
            GitError::Busy | GitError::Contended => "try again in a moment".into(),
            GitError::InProgress {
                operation: "bisect",
            } => "finish the bisect first (`git bisect reset`)".into(),
            GitError::InProgress { operation } => format!(
                "finish or abort the {operation} first (`git {operation} --continue` or `git {operation} --abort`)"
            ),
            GitError::Locked { path } => format!(
                "wait for it to finish; if no git process is running, remove {}",
                path.display()
            ),
            GitError::StagedDifferent { path } => {
                format!("unstage it with `git restore --staged {path}`, or commit it first")
            }
            GitError::Conflicted { path } => {
                format!(
                    "resolve it first: `xp resolve {path}` merges and stages it, or edit it by \
                     hand and `git add {path}`"
                )
            }
            GitError::HeadMoved { .. } => "look at the file, then run the command again".into(),
            GitError::NoIdentity => "tell git who you are: `git config user.name \"Your Name\"` \
                 and `git config user.email you@example.com`"
                .into(),
            GitError::UnknownRev { .. } => {
                "name a branch, tag or commit that exists here (`git fetch` first for a remote \
                 branch)"
                    .into()
            }
            GitError::BadDate { var, .. } => format!(
                "set {var} to an RFC 3339 time (2026-02-22T18:30:00Z) or `@<seconds> +0000`, or unset it"
            ),
            GitError::Git { source, .. } if source.code() == ErrorCode::Owner => {
                "if you trust this repository, run \
                 `git config --global --add safe.directory <its work tree>`"
                    .into()
            }
            GitError::BadPath { .. } | GitError::Git { .. } | GitError::Io { .. } => return None,
        })
    }
}

/// Adds what was being done to a git2 error.
trait Context<T> {
    fn context(self, what: impl Into<String>) -> Result<T, GitError>;
}

impl<T> Context<T> for Result<T, git2::Error> {
    fn context(self, what: impl Into<String>) -> Result<T, GitError> {
        self.map_err(|source| GitError::Git {
            context: what.into(),
            source,
        })
    }
}

/// One open repository with a work tree, opened once per command.
pub struct Repo {
    repo: Repository,
    workdir: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("workdir", &self.workdir)
            .finish_non_exhaustive()
    }
}

/// The commit `commit_file` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The full hex id.
    pub id: String,
    /// The first 7 hex digits.
    pub short: String,
}

/// Who made a commit, when, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    pub short: String,
    pub author: String,
    pub email: String,
    /// The author time, in the author's offset.
    pub time: DateTime<FixedOffset>,
    pub message: String,
}

/// One commit of an experiment's history, with the record file as it was then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCommit {
    pub info: CommitInfo,
    /// The record's path at that commit, relative to the work tree, with forward slashes.
    pub path: String,
    pub content: Vec<u8>,
}

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

/// The exclusive right to change records in one repository; released on drop.
pub type WriteLock = crate::store::FileLock;

/// Where HEAD leads: the ref to move and the commit it names (None on an unborn branch).
struct Tip {
    refname: String,
    id: Option<Oid>,
}

impl Repo {
    /// The repository whose work tree contains `dir`; Ok(None) outside any git repository.
    ///
    /// A bare repository, or `dir` inside `.git`, is an error: there is no work tree to write in.
    pub fn discover(dir: &Path) -> Result<Option<Repo>, GitError> {
        let repo = match Repository::discover(dir) {
            Ok(repo) => repo,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).context(format!(
                    "cannot open the git repository at {}",
                    dir.display()
                ));
            }
        };
        let Some(workdir) = repo.workdir() else {
            return Err(GitError::Bare {
                path: repo.path().to_path_buf(),
            });
        };
        let canonical = |p: &Path| {
            fs::canonicalize(p).map_err(|source| GitError::Io {
                path: p.to_path_buf(),
                source,
            })
        };
        let workdir = canonical(workdir)?;
        let here = canonical(dir)?;
        for gitdir in [repo.path(), repo.commondir()] {
            if here.starts_with(canonical(gitdir)?) {
                return Err(GitError::InGitDir { path: here });
            }
        }
        Ok(Some(Repo { repo, workdir }))
    }

    /// The git directory of this work tree (`.git`, or `.git/worktrees/<name>` for a linked one).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// The canonicalized root of the work tree.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Takes the exclusive lock for a read-change-write-commit sequence, waiting up to `timeout`.
    ///
    /// The lock is an OS file lock on `xp.lock` in git's common directory, so it is shared by
    /// linked work trees and vanishes with the process that held it.
    pub fn lock(&self, timeout: Duration) -> Result<WriteLock, GitError> {
        let path = self.repo.commondir().join("xp.lock");
        match crate::store::lock_file(&path, timeout) {
            Ok(Some(lock)) => Ok(lock),
            Ok(None) => Err(GitError::Busy),
            Err(source) => Err(GitError::Io { path, source }),
        }
    }

    /// Refuses, before anything is written, a change git could not take cleanly.
    ///
    /// That is: a merge, rebase, cherry-pick, revert, bisect or `git am` in progress; an
    /// `index.lock` or a lock on the ref HEAD points to; conflicts on `rel_path`; or a staged
    /// version of `rel_path` (a staged deletion included) that is neither HEAD's version nor
    /// `worktree`, the bytes now in the work tree (None when the file does not exist).
    pub fn preflight(&self, rel_path: &str, worktree: Option<&[u8]>) -> Result<(), GitError> {
        check_path(rel_path)?;
        if let Some(operation) = operation_in_progress(self.repo.state()) {
            return Err(GitError::InProgress { operation });
        }
        let index_lock = lock_path(&self.index_path()?);
        if !wait_until_gone(&index_lock) {
            return Err(GitError::Locked { path: index_lock });
        }
        let tip = self.tip()?;
        let ref_lock = self.ref_lock_path(&tip.refname);
        if !wait_until_gone(&ref_lock) {
            return Err(GitError::Locked { path: ref_lock });
        }

        let mut index = self.repo.index().context("cannot open the index")?;
        index.read(true).context("cannot read the index")?;
        let path = Path::new(rel_path);
        if (1..=3).any(|stage| index.get_path(path, stage).is_some()) {
            return Err(GitError::Conflicted {
                path: rel_path.to_owned(),
            });
        }
        let staged = index
            .get_path(path, 0)
            .filter(|e| e.flags_extended & git2::IndexEntryExtendedFlag::INTENT_TO_ADD.bits() == 0)
            .map(|e| e.id);
        let head = self.entry_at(tip.id, rel_path)?.map(|(id, _)| id);
        let worktree = worktree
            .map(|bytes| Oid::hash_object(ObjectType::Blob, bytes))
            .transpose()
            .context("cannot hash the work-tree file")?;
        if staged != head && staged != worktree {
            return Err(GitError::StagedDifferent {
                path: rel_path.to_owned(),
            });
        }
        Ok(())
    }

    /// Makes one commit holding exactly `content` at `rel_path`, then refreshes that index entry.
    ///
    /// `rel_path` is relative to the work tree, with forward slashes; the caller has already
    /// written the same bytes there. The commit's tree is HEAD's tree plus that one blob, its
    /// parent is HEAD (none on an unborn branch), and the ref HEAD points to (HEAD itself when
    /// detached) moves by compare-and-swap, rebuilt on the new HEAD when another commit landed
    /// meanwhile, unless that commit changed `rel_path` too.
    ///
    /// Like `git commit`, xp holds git's `index.lock` throughout, and stages the entry before
    /// HEAD moves (see `stage_and_swap`). A kill leaves that lock and a journal behind;
    /// [`Repo::recover`] finishes the job. `XP_TEST_FAULT` (`before-index`, `before-swap`,
    /// `after-swap`, `index-write`) stops here for tests.
    pub fn commit_file(
        &self,
        rel_path: &str,
        content: &[u8],
        message: &str,
        env: &Env,
    ) -> Result<Committed, GitError> {
        self.commit_file_with(rel_path, content, message, env, &mut || {})
    }

    /// `commit_file`, calling `before_swap` between making each commit and moving the ref.
    fn commit_file_with(
        &self,
        rel_path: &str,
        content: &[u8],
        message: &str,
        env: &Env,
        before_swap: &mut dyn FnMut(),
    ) -> Result<Committed, GitError> {
        check_path(rel_path)?;
        let (name, email) = (self.config("user.name"), self.config("user.email"));
        let author = signature(env, "AUTHOR", name.as_deref(), email.as_deref())?;
        let committer = signature(env, "COMMITTER", name.as_deref(), email.as_deref())?;
        let blob = self
            .repo
            .blob(content)
            .context("cannot store the file in git")?;
        let subject = message.lines().next().unwrap_or_default();

        let index_path = self.index_path()?;
        let mut journal = Journal {
            token: uuid::Uuid::new_v4().to_string(),
            path: rel_path.to_owned(),
            staged: None,
            blob,
            swap: None,
        };
        self.write_journal(&journal)?;
        let lock = match IndexLock::acquire(self.repo.path(), &index_path, &journal.token) {
            Ok(lock) => lock,
            Err(e) => {
                self.remove_journal(&journal);
                return Err(e);
            }
        };
        let mut unsettled = false;
        let result = self.stage_and_swap(&mut journal, &index_path, env, &mut unsettled, |j| {
            let signatures = [&author, &committer];
            self.swap_loop(j, signatures, message, subject, env, before_swap)
        });
        env.crash_point("after-swap");
        lock.release();
        if !unsettled {
            // Kept otherwise, so that the next xp command puts the index entry back.
            self.remove_journal(&journal);
        }
        let id = result?.to_string();
        Ok(Committed {
            short: id[..7].to_owned(),
            id,
        })
    }

    /// Stages the blob in the index, then moves the ref with `swap`; puts the index back as it
    /// was when the ref cannot move (`unsettled` when even that failed). Called holding
    /// `index.lock`.
    ///
    /// The index changes before HEAD does because `git commit` reads HEAD before the index:
    /// whoever sees xp's commit at HEAD then also sees its entry in the index, so no commit is
    /// ever built on xp's from an index that lacks it.
    fn stage_and_swap(
        &self,
        journal: &mut Journal,
        index_path: &Path,
        env: &Env,
        unsettled: &mut bool,
        swap: impl FnOnce(&mut Journal) -> Result<(Oid, FileMode), GitError>,
    ) -> Result<Oid, GitError> {
        let rel_path = journal.path.clone();
        journal.staged = Some(self.staged(&rel_path)?);
        self.write_journal(journal)?;
        env.crash_point("before-index");
        let original = match fs::read(index_path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(GitError::Io {
                    path: index_path.to_path_buf(),
                    source,
                });
            }
        };
        let mode = match self.entry_at(self.tip()?.id, &rel_path)? {
            Some((_, mode)) if mode == i32::from(FileMode::BlobExecutable) => {
                FileMode::BlobExecutable
            }
            _ => FileMode::Blob,
        };
        if env.fault("index-write") {
            return Err(GitError::Io {
                path: index_path.to_path_buf(),
                source: std::io::Error::other("XP_TEST_FAULT=index-write"),
            });
        }
        self.write_index(
            index_path,
            original.as_deref(),
            &rel_path,
            journal.blob,
            mode,
        )?;
        match swap(journal) {
            Ok((id, _)) => Ok(id),
            Err(e) => {
                // Nobody else can have changed the index: xp holds its lock.
                let restored = match &original {
                    Some(bytes) => self.replace_index(index_path, bytes),
                    None => fs::remove_file(index_path).map_err(|source| GitError::Io {
                        path: index_path.to_path_buf(),
                        source,
                    }),
                };
                *unsettled = restored.is_err();
                Err(e)
            }
        }
    }

    /// Builds the commit and moves the ref by compare-and-swap, again on the new HEAD while
    /// other commits land meanwhile; returns the commit and the file's mode.
    ///
    /// The journal names each commit before its swap, so that a lock on the ref left by a kill
    /// is known for xp's own.
    fn swap_loop(
        &self,
        journal: &mut Journal,
        signatures: [&Signature; 2],
        message: &str,
        subject: &str,
        env: &Env,
        before_swap: &mut dyn FnMut(),
    ) -> Result<(Oid, FileMode), GitError> {
        let (rel_path, blob) = (journal.path.clone(), journal.blob);
        let rel_path = rel_path.as_str();
        let mut tip = self.tip()?;
        let original = self.entry_at(tip.id, rel_path)?;
        let (mut moves, started) = (0, Instant::now());
        loop {
            let (id, mode) = self.build_commit(&tip, rel_path, blob, signatures, message)?;
            journal.swap = Some((tip.refname.clone(), id));
            self.write_journal(journal)?;
            before_swap();
            env.crash_point("before-swap");
            match self.swap(&tip, id, subject) {
                Ok(()) => return Ok((id, mode)),
                Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Exists) => {
                    moves += 1;
                    if moves == MAX_TRIES {
                        return Err(GitError::Contended);
                    }
                }
                // Another writer holds the ref for an instant: wait a little, as git does.
                Err(e) if e.code() == ErrorCode::Locked && started.elapsed() < REF_LOCK_WAIT => {
                    thread::sleep(REF_LOCK_POLL)
                }
                Err(e) if e.code() == ErrorCode::Locked => {
                    return Err(GitError::Locked {
                        path: self.ref_lock_path(&tip.refname),
                    });
                }
                Err(e) => return Err(e).context(format!("cannot update {}", tip.refname)),
            }
            tip = self.tip()?;
            if self.entry_at(tip.id, rel_path)? != original {
                return Err(GitError::HeadMoved {
                    path: rel_path.to_owned(),
                });
            }
        }
    }

    /// A commit on `tip` whose tree is `tip`'s plus `blob` at `rel_path`, and the file's mode.
    ///
    /// The same inputs give the same commit id, so rebuilding on an unchanged tip adds nothing.
    fn build_commit(
        &self,
        tip: &Tip,
        rel_path: &str,
        blob: Oid,
        [author, committer]: [&Signature; 2],
        message: &str,
    ) -> Result<(Oid, FileMode), GitError> {
        let parent = tip
            .id
            .map(|id| self.repo.find_commit(id))
            .transpose()
            .context("cannot read HEAD's commit")?;
        let base = match &parent {
            Some(commit) => commit.tree().context("cannot read HEAD's tree")?,
            None => self.empty_tree()?,
        };
        let mode = match self.entry_at(tip.id, rel_path)? {
            Some((_, mode)) if mode == i32::from(FileMode::BlobExecutable) => {
                FileMode::BlobExecutable
            }
            _ => FileMode::Blob,
        };
        let tree = TreeUpdateBuilder::new()
            .upsert(rel_path, blob, mode)
            .create_updated(&self.repo, &base)
            .and_then(|id| self.repo.find_tree(id))
            .context(format!("cannot build the tree with {rel_path}"))?;
        let parents: Vec<&Commit> = parent.iter().collect();
        let id = self
            .repo
            .commit(None, author, committer, message, &tree, &parents)
            .context("cannot create the commit")?;
        Ok((id, mode))
    }

    /// Moves the ref HEAD points to from `tip.id` to `id`, only if it still points there.
    fn swap(&self, tip: &Tip, id: Oid, subject: &str) -> Result<(), git2::Error> {
        match tip.id {
            Some(old) => {
                let log = format!("commit: {subject}");
                self.repo
                    .reference_matching(&tip.refname, id, true, old, &log)
            }
            None => {
                let log = format!("commit (initial): {subject}");
                self.repo.reference(&tip.refname, id, false, &log)
            }
        }
        .map(drop)
    }

    /// `user.name` from git's config, if any.
    pub fn user_name(&self) -> Option<String> {
        self.config("user.name")
    }

    /// Whether `commit.gpgsign` is true; libgit2 does not sign, so the caller warns.
    pub fn wants_signing(&self) -> bool {
        self.repo
            .config()
            .and_then(|c| c.get_bool("commit.gpgsign"))
            .unwrap_or(false)
    }

    /// The commits reachable from HEAD with the trailer `Experiment-Id: <id>`, oldest first.
    ///
    /// Each comes with the `.yaml`/`.yml` file it changed against its first parent and that
    /// file's content then; going by the trailer, this follows a record across renames.
    pub fn history(&self, id: &str) -> Result<Vec<HistoryCommit>, GitError> {
        let Some(head) = self.tip()?.id else {
            return Ok(Vec::new());
        };
        let mut walk = self.repo.revwalk().context("cannot walk the history")?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .context("cannot walk the history")?;
        walk.push(head).context("cannot walk the history")?;
        let mut found = Vec::new();
        for oid in walk {
            let commit = oid
                .and_then(|oid| self.repo.find_commit(oid))
                .context("cannot read the history")?;
            let message = String::from_utf8_lossy(commit.message_bytes());
            if !message.contains(id) || !has_trailer(&message, id) {
                continue;
            }
            if let Some((path, content)) = self.changed_record(&commit)? {
                found.push(HistoryCommit {
                    info: commit_info(&commit),
                    path,
                    content,
                });
            }
        }
        Ok(found)
    }

    /// The content of `rel_path` in HEAD's tree, if it is a file there.
    pub fn head_content(&self, rel_path: &str) -> Result<Option<Vec<u8>>, GitError> {
        check_path(rel_path)?;
        let Some((id, _)) = self.entry_at(self.tip()?.id, rel_path)? else {
            return Ok(None);
        };
        match self.repo.find_blob(id) {
            Ok(blob) => Ok(Some(blob.content().to_vec())),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e).context(format!("cannot read {rel_path} at HEAD")),
        }
    }

    /// The full id of the commit a revision names (a branch, tag, commit or `HEAD~2`).
    pub fn resolve_rev(&self, rev: &str) -> Result<String, GitError> {
        let object = self
            .repo
            .revparse_single(rev)
            .map_err(|_| GitError::UnknownRev { rev: rev.into() })?;
        let commit = object
            .peel_to_commit()
            .map_err(|_| GitError::UnknownRev { rev: rev.into() })?;
        Ok(commit.id().to_string())
    }

    /// The record files (`*.yaml`, `*.yml`, not hidden) under `dir` in a commit's tree, with
    /// their contents, sorted by path. `dir` is relative to the work tree, with `/`.
    pub fn records_at(&self, commit: &str, dir: &str) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let context = || format!("cannot read {dir} at {commit}");
        let oid = Oid::from_str(commit).context(context())?;
        let tree = self
            .repo
            .find_commit(oid)
            .and_then(|c| c.tree())
            .context(context())?;
        let subtree = if dir.is_empty() {
            tree
        } else {
            match tree.get_path(Path::new(dir)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                    self.repo.find_tree(entry.id()).context(context())?
                }
                Ok(_) => return Ok(Vec::new()),
                Err(e) if e.code() == ErrorCode::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(e).context(context()),
            }
        };
        let mut found = Vec::new();
        let mut failed = None;
        subtree
            .walk(git2::TreeWalkMode::PreOrder, |parent, entry| {
                let name = entry.name().unwrap_or_default();
                if name.starts_with('.') {
                    return git2::TreeWalkResult::Skip;
                }
                let is_record = name.ends_with(".yaml") || name.ends_with(".yml");
                if entry.kind() == Some(ObjectType::Blob) && is_record {
                    match self.repo.find_blob(entry.id()) {
                        Ok(blob) => {
                            let prefix = if dir.is_empty() {
                                String::new()
                            } else {
                                format!("{dir}/")
                            };
                            found
                                .push((format!("{prefix}{parent}{name}"), blob.content().to_vec()));
                        }
                        Err(e) => {
                            failed = Some(e);
                            return git2::TreeWalkResult::Abort;
                        }
                    }
                }
                git2::TreeWalkResult::Ok
            })
            .context(context())?;
        if let Some(e) = failed {
            return Err(e).context(context());
        }
        found.sort();
        Ok(found)
    }

    /// The best common ancestor of two commits, if they share history.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<Option<String>, GitError> {
        let (a, b) = (self.resolve_rev(a)?, self.resolve_rev(b)?);
        let (a, b) = (
            Oid::from_str(&a).context("bad commit id")?,
            Oid::from_str(&b).context("bad commit id")?,
        );
        match self.repo.merge_base(a, b) {
            Ok(id) => Ok(Some(id.to_string())),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e).context("cannot find the merge base"),
        }
    }

    /// The branch pull requests go into: `origin/HEAD`'s target, else `main`, `master`,
    /// `origin/main` or `origin/master`, whichever exists first.
    pub fn default_branch(&self) -> Option<String> {
        if let Ok(head) = self.repo.find_reference("refs/remotes/origin/HEAD")
            && let Ok(Some(target)) = head.symbolic_target()
        {
            return Some(target.trim_start_matches("refs/remotes/").to_owned());
        }
        ["main", "master", "origin/main", "origin/master"]
            .into_iter()
            .find(|b| self.resolve_rev(b).is_ok())
            .map(str::to_owned)
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

    /// A value of the repository's config (all levels), when set and not blank.
    pub fn config_value(&self, key: &str) -> Option<String> {
        self.config(key)
    }

    /// Sets a value in this repository's own config (`.git/config`).
    pub fn set_local_config(&self, key: &str, value: &str) -> Result<(), GitError> {
        let context = || format!("cannot set {key} in the repository's config");
        let config = self.repo.config().context(context())?;
        let mut local = config
            .open_level(git2::ConfigLevel::Local)
            .context(context())?;
        local.set_str(key, value).context(context())
    }

    /// Every path the index holds unresolved conflicts for, sorted, with stages 1, 2 and 3.
    pub fn conflicts(&self) -> Result<Vec<ConflictedFile>, GitError> {
        let context = "cannot read the conflicts in the index";
        let mut index = self.repo.index().context("cannot open the index")?;
        index.read(true).context("cannot read the index")?;
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
        let index_lock = self.repo.path().join("index.lock");
        if index_lock.exists() {
            return Err(GitError::Locked { path: index_lock });
        }
        let context = || format!("cannot stage {rel_path}");
        let blob = self.repo.blob(content).context(context())?;
        let mut index = self.repo.index().context("cannot open the index")?;
        index.read(true).context("cannot read the index")?;
        let path = Path::new(rel_path);
        let executable = [2, 0, 3]
            .into_iter()
            .find_map(|stage| index.get_path(path, stage))
            .is_some_and(|e| e.mode == i32::from(FileMode::BlobExecutable) as u32);
        let mode = if executable {
            FileMode::BlobExecutable
        } else {
            FileMode::Blob
        };
        match index.conflict_remove(path) {
            Ok(()) => {}
            Err(e) if e.code() == ErrorCode::NotFound => {}
            Err(e) => return Err(e).context(context()),
        }
        let meta = fs::symlink_metadata(self.workdir.join(rel_path)).ok();
        index
            .add(&index_entry(rel_path, blob, mode, meta.as_ref()))
            .context(context())?;
        index.write().context(context())
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

    /// The lock file git creates while it updates `refname`.
    fn ref_lock_path(&self, refname: &str) -> PathBuf {
        let dir = if refname.starts_with("refs/") {
            self.repo.commondir()
        } else {
            self.repo.path()
        };
        dir.join(format!("{refname}.lock"))
    }

    /// The blob id and file mode of `rel_path` in `commit`'s tree, when it is a file there.
    fn entry_at(
        &self,
        commit: Option<Oid>,
        rel_path: &str,
    ) -> Result<Option<(Oid, i32)>, GitError> {
        let Some(commit) = commit else {
            return Ok(None);
        };
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

    /// The empty tree, the base of a first commit.
    fn empty_tree(&self) -> Result<Tree<'_>, GitError> {
        self.repo
            .treebuilder(None)
            .and_then(|b| b.write())
            .and_then(|id| self.repo.find_tree(id))
            .context("cannot create an empty tree")
    }

    /// Where git keeps this work tree's index.
    fn index_path(&self) -> Result<PathBuf, GitError> {
        let index = self.repo.index().context("cannot open the index")?;
        Ok(index
            .path()
            .map_or_else(|| self.repo.path().join("index"), Path::to_path_buf))
    }

    /// The blob staged (stage 0, not intent-to-add) for `rel_path`, read from disk.
    fn staged(&self, rel_path: &str) -> Result<Option<Oid>, GitError> {
        let mut index = self.repo.index().context("cannot open the index")?;
        index.read(true).context("cannot read the index")?;
        Ok(index
            .get_path(Path::new(rel_path), 0)
            .filter(|e| e.flags_extended & git2::IndexEntryExtendedFlag::INTENT_TO_ADD.bits() == 0)
            .map(|e| e.id))
    }

    /// Points the index entry for `rel_path` at `blob`, with the work file's stat; nothing else.
    ///
    /// `original` is the index as read under `index.lock`. The new one is made on a scratch copy
    /// and renamed over it. Entries git would have taken for "racily clean" (changed within the
    /// old index file's timestamp) are smudged so git checks their content again: the new
    /// index is newer than they are, and would otherwise vouch for them.
    fn write_index(
        &self,
        index_path: &Path,
        original: Option<&[u8]>,
        rel_path: &str,
        blob: Oid,
        mode: FileMode,
    ) -> Result<(), GitError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| GitError::Io { path, source }
        };
        let scratch = tempfile::Builder::new()
            .prefix("xp-index-")
            .suffix(".tmp")
            .tempfile_in(self.repo.path())
            .map_err(io(self.repo.path()))?;
        let stamp = match original {
            Some(bytes) => {
                fs::write(scratch.path(), bytes).map_err(io(scratch.path()))?;
                fs::metadata(index_path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            }
            None => {
                fs::remove_file(scratch.path()).map_err(io(scratch.path()))?;
                None
            }
        };
        let mut index = git2::Index::open(scratch.path()).context("cannot read the index")?;
        if let Some(stamp) = stamp {
            // By the second, as git compares them unless built with USE_NSEC.
            let old = stamp.as_secs() as i64;
            let racy: Vec<IndexEntry> = index
                .iter()
                .filter(|e| i64::from(e.mtime.seconds()) >= old)
                .collect();
            for mut entry in racy {
                entry.file_size = 0;
                index.add(&entry).context("cannot write the index")?;
            }
        }
        let meta = fs::symlink_metadata(self.workdir.join(rel_path)).ok();
        index
            .add(&index_entry(rel_path, blob, mode, meta.as_ref()))
            .and_then(|()| index.write())
            .context("cannot write the index")?;
        scratch
            .persist(index_path)
            .map_err(|e| io(index_path)(e.error))?;
        Ok(())
    }

    /// Puts `bytes` in place as the index, by rename.
    fn replace_index(&self, index_path: &Path, bytes: &[u8]) -> Result<(), GitError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| GitError::Io { path, source }
        };
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

    /// Writes the journal atomically (a scratch file renamed into place).
    fn write_journal(&self, journal: &Journal) -> Result<(), GitError> {
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

    fn remove_journal(&self, journal: &Journal) {
        // Harmless when it stays: `recover` finds nothing left to do and removes it.
        let _ = fs::remove_file(self.repo.path().join(journal.file_name()));
    }

    /// Finishes what xp commands killed mid-commit left; call it holding [`Repo::lock`].
    ///
    /// A journal holds the token that command wrote into its `index.lock`, the index entry as
    /// it was before and the one it staged, and the ref it was moving. Its own locks are removed
    /// (a lock of another process is left alone, and the journal kept for later). An entry it
    /// staged for a commit that never landed is put back; an entry still old after a commit that
    /// landed is refreshed; in both cases only if nobody has changed it since. Scratch files go.
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
        let mut repaired = Vec::new();
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
        let index_path = self.index_path()?;
        let index_lock = lock_path(&index_path);
        let remove = |path: &Path, repaired: &mut Vec<String>| {
            fs::remove_file(path).map_err(|source| GitError::Io {
                path: path.to_path_buf(),
                source,
            })?;
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
        let head = self.entry_at(self.tip()?.id, &journal.path)?;
        let Some(before) = journal.staged else {
            // Killed before it looked at the index: it never changed it.
            self.remove_journal(journal);
            return Ok(());
        };
        let staged = self.staged(&journal.path)?;
        let mode = |mode: Option<i32>| {
            if mode == Some(i32::from(FileMode::BlobExecutable)) {
                FileMode::BlobExecutable
            } else {
                FileMode::Blob
            }
        };
        let committed = head.is_some_and(|(id, _)| id == journal.blob);
        let mut index = self.repo.index().context("cannot open the index")?;
        index.read(true).context("cannot read the index")?;
        let path = Path::new(&journal.path);
        if !committed && staged == Some(journal.blob) && before != staged {
            // Staged, but HEAD never moved: put the entry back as it was.
            match before {
                Some(id) => index
                    .add(&index_entry(
                        &journal.path,
                        id,
                        mode(head.map(|h| h.1)),
                        None,
                    ))
                    .context("cannot write the index")?,
                None => index.remove_path(path).context("cannot write the index")?,
            }
            index.write().context("cannot write the index")?;
            repaired.push(format!(
                "put back git's index entry for {} after an interrupted xp command",
                journal.path
            ));
        } else if committed && staged == before && before != Some(journal.blob) {
            // Committed, but the index entry was never written.
            let file = self.workdir.join(&journal.path);
            let same = fs::read(&file)
                .ok()
                .and_then(|bytes| Oid::hash_object(ObjectType::Blob, &bytes).ok())
                == Some(journal.blob);
            let meta = fs::symlink_metadata(&file).ok().filter(|_| same);
            let entry = index_entry(
                &journal.path,
                journal.blob,
                mode(head.map(|h| h.1)),
                meta.as_ref(),
            );
            index
                .add(&entry)
                .and_then(|()| index.write())
                .context("cannot write the index")?;
            repaired.push(format!(
                "refreshed git's index entry for {} after an interrupted xp command",
                journal.path
            ));
        }
        self.remove_journal(journal);
        Ok(())
    }

    /// The record file `commit` changed against its first parent, with its content there.
    fn changed_record(&self, commit: &Commit) -> Result<Option<(String, Vec<u8>)>, GitError> {
        let context = || format!("cannot read the changes of commit {}", commit.id());
        let tree = commit.tree().context(context())?;
        let parent_tree = match commit.parent(0) {
            Ok(parent) => Some(parent.tree().context(context())?),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => return Err(e).context(context()),
        };
        let diff = self
            .repo
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
            .context(context())?;
        for delta in diff.deltas() {
            let file = delta.new_file();
            let path = String::from_utf8_lossy(file.path_bytes().unwrap_or_default());
            let is_record = path.ends_with(".yaml") || path.ends_with(".yml");
            if !is_record || delta.status() == git2::Delta::Deleted {
                continue;
            }
            let blob = self.repo.find_blob(file.id()).context(context())?;
            return Ok(Some((path.into_owned(), blob.content().to_vec())));
        }
        Ok(None)
    }

    /// A config value, when set and not blank.
    fn config(&self, key: &str) -> Option<String> {
        self.repo
            .config()
            .and_then(|c| c.get_string(key))
            .ok()
            .filter(|v| !v.trim().is_empty())
    }
}

/// `user.name` from the global git config, for notes written outside any repository.
pub fn global_user_name() -> Option<String> {
    git2::Config::open_default()
        .and_then(|c| c.get_string("user.name"))
        .ok()
        .filter(|n| !n.trim().is_empty())
}

/// Creates a repository at `path`, on branch `main`, with local `user.name` and `user.email`.
pub fn init_repo(path: &Path, name: &str, email: &str) -> Result<(), GitError> {
    let context = || format!("cannot create a git repository at {}", path.display());
    let repo = Repository::init_opts(path, RepositoryInitOptions::new().initial_head("main"))
        .context(context())?;
    let mut local = repo
        .config()
        .context(context())?
        .open_level(git2::ConfigLevel::Local)
        .context(context())?;
    local.set_str("user.name", name).context(context())?;
    local.set_str("user.email", email).context(context())?;
    Ok(())
}

/// The git command whose unfinished run `state` shows, if any.
fn operation_in_progress(state: RepositoryState) -> Option<&'static str> {
    use RepositoryState as S;
    match state {
        S::Clean => None,
        S::Merge => Some("merge"),
        S::Revert | S::RevertSequence => Some("revert"),
        S::CherryPick | S::CherryPickSequence => Some("cherry-pick"),
        S::Bisect => Some("bisect"),
        S::Rebase | S::RebaseInteractive | S::RebaseMerge => Some("rebase"),
        S::ApplyMailbox | S::ApplyMailboxOrRebase => Some("am"),
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

/// The lock file git uses for `path`.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Waits up to [`GIT_LOCK_WAIT`] for a lock file to go; whether it went.
fn wait_until_gone(path: &Path) -> bool {
    let deadline = Instant::now() + GIT_LOCK_WAIT;
    while fs::symlink_metadata(path).is_ok() {
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(GIT_LOCK_POLL);
    }
    true
}

/// `index.lock` as xp holds it: made exclusively, as git does, and holding a token that tells
/// the next xp command it is this one's (see [`Repo::recover`]); removed when released or
/// dropped.
struct IndexLock {
    path: PathBuf,
    held: bool,
}

impl IndexLock {
    /// Creates `index.lock` beside `index`, waiting up to [`GIT_LOCK_WAIT`] while another
    /// process holds it. The file appears with the token already in it: it is written to a
    /// scratch file in `gitdir` first, then hard-linked into place (which fails if the lock
    /// exists), so that a kill can never leave a lock of xp's that xp cannot recognize.
    fn acquire(gitdir: &Path, index: &Path, token: &str) -> Result<IndexLock, GitError> {
        let path = lock_path(index);
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| GitError::Io { path, source }
        };
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

    fn release(mut self) {
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
fn holds_token(path: &Path, token: &str) -> bool {
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
fn is_own_ref_lock(path: &Path, commit: Oid) -> bool {
    let mut bytes = Vec::new();
    let read = File::open(path).and_then(|file| {
        use std::io::Read;
        file.take(128).read_to_end(&mut bytes)
    });
    let line = format!("{commit}\n");
    read.is_ok() && line.as_bytes().starts_with(&bytes)
}

/// A commit xp has under way: the token in its `index.lock`, the index entry it will refresh,
/// and the ref it is moving to which commit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Journal {
    token: String,
    path: String,
    /// The entry's blob before the commit (None: no entry); not yet known (None) until xp
    /// holds `index.lock`.
    staged: Option<Option<Oid>>,
    /// The blob being committed.
    blob: Oid,
    /// The ref being moved and the commit it is moved to, once a swap is under way.
    swap: Option<(String, Oid)>,
}

impl Journal {
    /// The journal's file name in the git directory: one per commit under way.
    fn file_name(&self) -> String {
        format!("{JOURNAL}{}", self.token)
    }

    fn to_text(&self) -> String {
        let staged = match self.staged {
            None => "?".to_owned(),
            Some(None) => "-".to_owned(),
            Some(Some(id)) => id.to_string(),
        };
        let mut text = format!(
            "xp-journal 1\nlock {}\nstaged {staged}\nblob {}\npath {}\n",
            self.token, self.blob, self.path
        );
        if let Some((refname, commit)) = &self.swap {
            text.push_str(&format!("swap {commit} {refname}\n"));
        }
        text
    }

    fn parse(text: &str) -> Option<Journal> {
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
        let staged = match field("staged")?.as_str() {
            "?" => None,
            "-" => Some(None),
            id => Some(Some(Oid::from_str(id).ok()?)),
        };
        let blob = Oid::from_str(&field("blob")?).ok()?;
        let path = field("path")?;
        check_path(&path).ok()?;
        let swap = match lines.next() {
            None => None,
            Some(line) => {
                let (commit, refname) = line.strip_prefix("swap ")?.split_once(' ')?;
                let valid = refname == "HEAD"
                    || (refname.starts_with("refs/") && check_path(refname).is_ok());
                valid.then_some(())?;
                Some((refname.to_owned(), Oid::from_str(commit).ok()?))
            }
        };
        Some(Journal {
            token,
            path,
            staged,
            blob,
            swap,
        })
    }
}

/// Whether `message` ends with the trailer `Experiment-Id: <id>`.
fn has_trailer(message: &str, id: &str) -> bool {
    git2::message_trailers_strs(message).is_ok_and(|trailers| {
        trailers
            .iter()
            .any(|(key, value)| key.eq_ignore_ascii_case(TRAILER) && value.trim() == id)
    })
}

fn commit_info(commit: &Commit) -> CommitInfo {
    let author = commit.author();
    let when = author.when();
    let time = FixedOffset::east_opt(when.offset_minutes() * 60)
        .and_then(|tz| tz.timestamp_opt(when.seconds(), 0).single())
        .unwrap_or_default();
    let id = commit.id().to_string();
    CommitInfo {
        short: id[..7].to_owned(),
        id,
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        time,
        message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
    }
}

/// The author or committer (`role`): `GIT_<role>_NAME`/`_EMAIL`/`_DATE`, else git's config.
///
/// The email falls back to `EMAIL`, as git's does; the time to `env.now()` at +0000.
fn signature(
    env: &Env,
    role: &str,
    config_name: Option<&str>,
    config_email: Option<&str>,
) -> Result<Signature<'static>, GitError> {
    let name = env.var(&format!("GIT_{role}_NAME")).or(config_name);
    let email = env
        .var(&format!("GIT_{role}_EMAIL"))
        .or(config_email)
        .or_else(|| env.var("EMAIL"));
    let (Some(name), Some(email)) = (name, email) else {
        return Err(GitError::NoIdentity);
    };
    let date_var = format!("GIT_{role}_DATE");
    let time = match env.var(&date_var) {
        Some(text) => parse_git_date(text).ok_or_else(|| GitError::BadDate {
            var: date_var,
            value: text.to_owned(),
        })?,
        None => env.now().fixed_offset(),
    };
    let time = Time::new(time.timestamp(), time.offset().local_minus_utc() / 60);
    Signature::new(name, email, &time)
        .context(format!("`{name} <{email}>` is not a valid identity"))
}

/// Parses RFC 3339, or git's internal `@<secs> <+hhmm>` / `<secs> <+hhmm>` (offset optional).
fn parse_git_date(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time);
    }
    let text = text.strip_prefix('@').unwrap_or(text);
    let (secs, offset) = match text.split_once(' ') {
        Some((secs, offset)) => (secs, parse_offset(offset.trim())?),
        None => (text, 0),
    };
    let secs: i64 = secs.parse().ok()?;
    FixedOffset::east_opt(offset)?
        .timestamp_opt(secs, 0)
        .single()
}

/// `+hhmm` or `-hhmm` in seconds east of UTC.
fn parse_offset(text: &str) -> Option<i32> {
    let (sign, digits) = match text.split_at_checked(1)? {
        ("+", digits) => (1, digits),
        ("-", digits) => (-1, digits),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes): (i32, i32) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    (minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

/// An index entry for `blob` at `rel_path`, stamped with the work file's stat when it exists.
fn index_entry(
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

    use std::cell::Cell;
    use std::collections::BTreeMap;
    use std::process::Command;

    use tempfile::TempDir;

    use super::*;

    const NOW: &str = "2026-02-22T18:30:00Z";
    const RECORD: &str = "experiments/cta.yaml";

    /// A fresh repository on `main` with a fixed identity and clock, and a HOME for the git CLI.
    struct Fx {
        _tmp: TempDir,
        root: PathBuf,
        home: PathBuf,
        repo: Repo,
        env: Env,
    }

    fn fx() -> Fx {
        let tmp = TempDir::new().unwrap();
        let (root, home) = (tmp.path().join("repo"), tmp.path().join("home"));
        fs::create_dir_all(&home).unwrap();
        init_repo(&root, "Config Name", "config@example.com").unwrap();
        let repo = Repo::discover(&root).unwrap().unwrap();
        let vars = [
            ("GIT_AUTHOR_NAME", "Alice"),
            ("GIT_AUTHOR_EMAIL", "alice@example.com"),
            ("GIT_COMMITTER_NAME", "Bob"),
            ("GIT_COMMITTER_EMAIL", "bob@example.com"),
            ("XP_NOW", NOW),
        ];
        let vars = vars.map(|(k, v)| (k.to_owned(), v.to_owned()));
        let env = Env::new(BTreeMap::from(vars), root.clone()).unwrap();
        Fx {
            _tmp: tmp,
            root,
            home,
            repo,
            env,
        }
    }

    impl Fx {
        /// Runs the git CLI in the work tree with a cleared environment; returns stdout.
        fn git(&self, args: &[&str]) -> String {
            let out = Command::new("git")
                .current_dir(&self.root)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", &self.home)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_OPTIONAL_LOCKS", "0")
                .args(args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "git {args:?} failed: {stderr}");
            String::from_utf8(out.stdout).unwrap()
        }

        fn write(&self, rel: &str, content: &str) {
            let path = self.root.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, content).unwrap();
        }

        fn backdate(&self, rels: &[&str], secs: u64) {
            let when = std::time::UNIX_EPOCH + Duration::from_secs(secs);
            for rel in rels {
                let file = File::options().write(true).open(self.root.join(rel));
                file.unwrap().set_modified(when).unwrap();
            }
        }

        fn read(&self, rel: &str) -> Option<Vec<u8>> {
            fs::read(self.root.join(rel)).ok()
        }

        /// What xp does: preflight against the work file, write it, commit it.
        fn xp_commit(&self, rel: &str, content: &str, message: &str) -> Committed {
            self.repo.preflight(rel, self.read(rel).as_deref()).unwrap();
            self.write(rel, content);
            self.repo
                .commit_file(rel, content.as_bytes(), message, &self.env)
                .unwrap()
        }

        /// Commits with the git CLI whatever is staged after `git add` of `paths`.
        fn cli_commit(&self, paths: &[&str], message: &str) {
            self.git(&[&["add", "--"][..], paths].concat());
            self.git(&["commit", "-q", "-m", message]);
        }

        fn commit(&self, rev: &str) -> Commit<'_> {
            self.repo
                .repo
                .revparse_single(rev)
                .unwrap()
                .peel_to_commit()
                .unwrap()
        }

        /// HEAD, the branch ref and the index file, byte for byte.
        fn snapshot(&self) -> Vec<Option<Vec<u8>>> {
            let git = self.root.join(".git");
            ["HEAD", "refs/heads/main", "index"]
                .iter()
                .map(|f| fs::read(git.join(f)).ok())
                .collect()
        }

        /// Every index entry but `except`, with all its fields.
        fn index_entries(&self, except: &str) -> Vec<String> {
            let mut index = self.repo.repo.index().unwrap();
            index.read(true).unwrap();
            index
                .iter()
                .filter(|e| e.path != except.as_bytes())
                .map(|e| {
                    let ctime = (e.ctime.seconds(), e.ctime.nanoseconds());
                    let mtime = (e.mtime.seconds(), e.mtime.nanoseconds());
                    let stat = (e.dev, e.ino, e.uid, e.gid, e.file_size);
                    let path = String::from_utf8_lossy(&e.path);
                    let (id, mode, flags, ext) = (e.id, e.mode, e.flags, e.flags_extended);
                    format!("{path} {id} {mode:o} {ctime:?} {mtime:?} {stat:?} {flags} {ext}")
                })
                .collect()
        }

        fn fsck(&self) {
            self.git(&["fsck", "--strict", "--no-progress"]);
        }

        /// How many journals of commits under way are in the git directory.
        fn journals(&self) -> usize {
            fs::read_dir(self.root.join(".git"))
                .unwrap()
                .filter(|e| {
                    let name = e.as_ref().unwrap().file_name();
                    name.to_string_lossy().starts_with(JOURNAL)
                })
                .count()
        }
    }

    fn paths_changed(fx: &Fx, commit: &Commit) -> Vec<String> {
        let parent_tree = commit.parent(0).ok().map(|p| p.tree().unwrap());
        let diff = fx
            .repo
            .repo
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&commit.tree().unwrap()), None)
            .unwrap();
        diff.deltas()
            .map(|d| d.new_file().path().unwrap().to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn first_commit_on_an_unborn_branch() {
        let fx = fx();
        let message = "xp: new cta\n\nTitle: CTA\n\nExperiment-Id: 1234\n";
        let done = fx.xp_commit(RECORD, "id: 1234\n", message);

        let head = fx.commit("HEAD");
        assert_eq!(head.id().to_string(), done.id);
        assert_eq!(done.short, &done.id[..7]);
        assert_eq!(head.parent_count(), 0);
        assert_eq!(head.message().ok(), Some(message));
        assert_eq!(
            fx.repo.repo.head().unwrap().name().ok(),
            Some("refs/heads/main")
        );
        assert_eq!(paths_changed(&fx, &head), [RECORD]);
        let (author, committer) = (head.author(), head.committer());
        assert_eq!(
            (author.name().ok(), author.email().ok()),
            (Some("Alice"), Some("alice@example.com"))
        );
        assert_eq!(
            (committer.name().ok(), committer.email().ok()),
            (Some("Bob"), Some("bob@example.com"))
        );
        let now = crate::env::parse_time(NOW).unwrap().timestamp();
        assert_eq!(
            (author.when().seconds(), author.when().offset_minutes()),
            (now, 0)
        );
        assert_eq!(committer.when().seconds(), now);
        assert_eq!(fx.git(&["status", "--porcelain=v2"]), "");
        assert_eq!(fx.git(&["diff-files", "--name-only"]), "");
        assert_eq!(
            fx.git(&["reflog", "-1", "--format=%gs"]),
            "commit (initial): xp: new cta\n"
        );
        fx.fsck();
    }

    #[test]
    fn second_commit_is_its_parent_tree_plus_the_file() {
        let fx = fx();
        fx.write("README.md", "hello\n");
        fx.cli_commit(&["README.md"], "readme");
        let first = fx.commit("HEAD").id();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        let second = fx.xp_commit(RECORD, "v2\n", "xp: two\n");

        let head = fx.commit("HEAD");
        assert_eq!(head.id().to_string(), second.id);
        assert_eq!(head.parent(0).unwrap().parent_id(0).unwrap(), first);
        assert_eq!(paths_changed(&fx, &head), [RECORD]);
        assert_eq!(
            fx.git(&["ls-tree", "-r", "--name-only", "HEAD"]),
            format!("README.md\n{RECORD}\n")
        );
        assert_eq!(fx.git(&["show", &format!("HEAD:{RECORD}")]), "v2\n");
        assert_eq!(fx.repo.head_content(RECORD).unwrap().unwrap(), b"v2\n");
        assert_eq!(fx.git(&["status", "--porcelain=v2"]), "");
        fx.fsck();
    }

    #[test]
    fn the_users_other_changes_stay_as_they_were() {
        let fx = fx();
        for f in ["staged.txt", "unstaged.txt", "both.txt"] {
            fx.write(f, "committed\n");
        }
        fx.write(RECORD, "v1\n");
        // Old mtimes keep entries from looking racily clean, which xp would smudge (as git
        // does), out of the index comparison below.
        fx.backdate(&["staged.txt", "unstaged.txt", "both.txt"], 1_500_000_000);
        fx.cli_commit(&["."], "base");
        fx.write("staged.txt", "staged\n");
        fx.write("both.txt", "staged\n");
        fx.write("new-staged.txt", "new\n");
        fx.backdate(&["staged.txt", "both.txt", "new-staged.txt"], 1_600_000_000);
        fx.git(&["add", "staged.txt", "both.txt", "new-staged.txt"]);
        fx.write("both.txt", "staged, then edited\n");
        fx.write("unstaged.txt", "edited\n");
        fx.write("untracked.txt", "untracked\n");
        fx.backdate(
            &["both.txt", "unstaged.txt", "untracked.txt"],
            1_600_001_000,
        );
        let status = fx.git(&["status", "--porcelain=v2", "--untracked-files=all"]);
        let cached = fx.git(&["diff", "--cached"]);
        let unstaged = fx.git(&["diff"]);
        let entries = fx.index_entries(RECORD);

        let done = fx.xp_commit(RECORD, "v2\n", "xp: two\n");
        assert_eq!(
            fx.index_entries(RECORD),
            entries,
            "before any git command runs"
        );

        assert_eq!(fx.commit("HEAD").id().to_string(), done.id);
        assert_eq!(paths_changed(&fx, &fx.commit("HEAD")), [RECORD]);
        assert_eq!(
            fx.git(&["status", "--porcelain=v2", "--untracked-files=all"]),
            status
        );
        assert_eq!(fx.git(&["diff", "--cached"]), cached);
        assert_eq!(fx.git(&["diff"]), unstaged);
        assert_eq!(fx.git(&["diff-files", "--name-only", "--", RECORD]), "");
        assert_eq!(fx.index_entries(RECORD), entries);
        assert!(status.contains("staged.txt") && status.contains("? untracked.txt"));
        fx.fsck();
    }

    #[test]
    fn a_detached_head_moves_alone() {
        let fx = fx();
        let first = fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        fx.git(&["checkout", "-q", "--detach"]);
        let main_before = fs::read(fx.root.join(".git/refs/heads/main")).unwrap();

        fs::write(fx.root.join(".git/HEAD.lock"), "").unwrap();
        let err = fx
            .repo
            .preflight(RECORD, fx.read(RECORD).as_deref())
            .unwrap_err();
        assert!(
            matches!(&err, GitError::Locked { path } if path.ends_with(".git/HEAD.lock")),
            "{err:?}"
        );
        fs::remove_file(fx.root.join(".git/HEAD.lock")).unwrap();

        let second = fx.xp_commit(RECORD, "v2\n", "xp: two\n");
        let head = fs::read_to_string(fx.root.join(".git/HEAD")).unwrap();
        assert_eq!(head.trim(), second.id);
        assert_eq!(
            fx.commit("HEAD").parent_id(0).unwrap().to_string(),
            first.id
        );
        assert_eq!(
            fs::read(fx.root.join(".git/refs/heads/main")).unwrap(),
            main_before
        );
        assert_eq!(fx.commit("main").id().to_string(), first.id);
        fx.fsck();
    }

    /// Makes a commit with another handle, as a concurrent git process would.
    fn outside_commit(root: &Path, rel: &str, content: &str) -> Oid {
        let repo = Repository::open(root).unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let blob = repo.blob(content.as_bytes()).unwrap();
        let tree = TreeUpdateBuilder::new()
            .upsert(rel, blob, FileMode::Blob)
            .create_updated(&repo, &head.tree().unwrap())
            .unwrap();
        let tree = repo.find_tree(tree).unwrap();
        let sig = Signature::now("Outsider", "out@example.com").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "outside\n", &tree, &[&head])
            .unwrap()
    }

    #[test]
    fn head_moved_before_the_swap_is_retried_and_both_commits_survive() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        fx.write(RECORD, "v2\n");
        let tries = Cell::new(0);
        let outside = Cell::new(None);
        let done = fx
            .repo
            .commit_file_with(RECORD, b"v2\n", "xp: two\n", &fx.env, &mut || {
                tries.set(tries.get() + 1);
                if tries.get() == 1 {
                    outside.set(Some(outside_commit(&fx.root, "other.txt", "other\n")));
                }
            })
            .unwrap();

        assert_eq!(tries.get(), 2);
        let head = fx.commit("HEAD");
        assert_eq!(head.id().to_string(), done.id);
        assert_eq!(Some(head.parent_id(0).unwrap()), outside.get());
        assert_eq!(paths_changed(&fx, &head), [RECORD]);
        assert_eq!(fx.git(&["show", "HEAD:other.txt"]), "other\n");
        assert_eq!(fx.git(&["show", &format!("HEAD:{RECORD}")]), "v2\n");
        assert_eq!(fx.git(&["rev-list", "--count", "HEAD"]), "3\n");
        fx.fsck();
    }

    #[test]
    fn head_moved_with_a_change_to_the_same_file_is_refused() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        let outside = Cell::new(None);
        let err = fx
            .repo
            .commit_file_with(RECORD, b"v2\n", "xp: two\n", &fx.env, &mut || {
                if outside.get().is_none() {
                    outside.set(Some(outside_commit(&fx.root, RECORD, "theirs\n")));
                }
            })
            .unwrap_err();
        assert!(
            matches!(&err, GitError::HeadMoved { path } if path == RECORD),
            "{err:?}"
        );
        assert_eq!(Some(fx.commit("HEAD").id()), outside.get());
        assert!(err.hint().is_some());
    }

    #[test]
    fn concurrent_writers_without_the_xp_lock_all_land() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        thread::scope(|scope| {
            for t in 0..3 {
                let (root, env) = (&fx.root, &fx.env);
                scope.spawn(move || {
                    let repo = Repo::discover(root).unwrap().unwrap();
                    for i in 0..4 {
                        let rel = format!("experiments/t{t}.yaml");
                        let content = format!("{i}\n");
                        fs::write(root.join(&rel), &content).unwrap();
                        repo.commit_file(&rel, content.as_bytes(), "xp: race\n", env)
                            .unwrap();
                    }
                });
            }
        });
        assert_eq!(fx.git(&["rev-list", "--count", "HEAD"]), "13\n");
        for t in 0..3 {
            assert_eq!(
                fx.git(&["show", &format!("HEAD:experiments/t{t}.yaml")]),
                "3\n"
            );
        }
        fx.fsck();
    }

    /// Sets up `setup`, then checks preflight refuses with `expected` and touches nothing.
    fn assert_refused(setup: impl FnOnce(&Fx), expected: impl Fn(&GitError) -> bool) {
        let fx = fx();
        fx.write("other.txt", "other\n");
        fx.cli_commit(&["other.txt"], "base");
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        setup(&fx);
        let before = fx.snapshot();
        let err = fx
            .repo
            .preflight(RECORD, fx.read(RECORD).as_deref())
            .unwrap_err();
        assert!(expected(&err), "unexpected error: {err:?}");
        assert!(err.hint().is_some(), "no hint for {err:?}");
        assert_eq!(fx.snapshot(), before);
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
    fn preflight_refuses_a_merge_in_progress() {
        assert_refused(
            |fx| {
                let head = fx.git(&["rev-parse", "HEAD"]);
                fs::write(fx.root.join(".git/MERGE_HEAD"), head).unwrap();
            },
            |e| matches!(e, GitError::InProgress { operation: "merge" }),
        );
    }

    #[test]
    fn preflight_refuses_a_rebase_in_progress() {
        assert_refused(
            |fx| fs::create_dir(fx.root.join(".git/rebase-merge")).unwrap(),
            |e| {
                let hint = e.hint().unwrap_or_default();
                matches!(
                    e,
                    GitError::InProgress {
                        operation: "rebase"
                    }
                ) && hint.contains("git rebase --abort")
            },
        );
    }

    #[test]
    fn preflight_refuses_an_index_lock() {
        assert_refused(
            |fx| fs::write(fx.root.join(".git/index.lock"), "").unwrap(),
            |e| {
                let text = e.to_string();
                matches!(e, GitError::Locked { path } if path.ends_with(".git/index.lock"))
                    && text.contains("index.lock")
            },
        );
    }

    #[test]
    fn preflight_refuses_a_lock_on_the_branch_ref() {
        assert_refused(
            |fx| fs::write(fx.root.join(".git/refs/heads/main.lock"), "").unwrap(),
            |e| matches!(e, GitError::Locked { path } if path.ends_with(".git/refs/heads/main.lock")),
        );
    }

    #[test]
    fn preflight_refuses_a_third_version_staged() {
        assert_refused(
            |fx| {
                fx.write(RECORD, "staged\n");
                fx.git(&["add", RECORD]);
                fx.write(RECORD, "worktree\n");
            },
            |e| {
                let hint = e.hint().unwrap_or_default();
                matches!(e, GitError::StagedDifferent { path } if path == RECORD)
                    && hint.contains(&format!("git restore --staged {RECORD}"))
            },
        );
    }

    #[test]
    fn preflight_refuses_a_staged_deletion() {
        assert_refused(
            |fx| {
                fx.git(&["rm", "-q", "--cached", RECORD]);
            },
            |e| matches!(e, GitError::StagedDifferent { .. }),
        );
    }

    #[test]
    fn preflight_accepts_what_would_lose_nothing() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        // The user's edit, staged: the work file holds the same bytes, so the commit keeps it.
        fx.write(RECORD, "v1\nedited\n");
        fx.git(&["add", RECORD]);
        fx.repo
            .preflight(RECORD, fx.read(RECORD).as_deref())
            .unwrap();
        // A new record nobody has staged, and one announced with `git add -N`.
        fx.repo.preflight("experiments/new.yaml", None).unwrap();
        fx.write("experiments/intent.yaml", "x\n");
        fx.git(&["add", "-N", "experiments/intent.yaml"]);
        let intent = fx.read("experiments/intent.yaml");
        fx.repo
            .preflight("experiments/intent.yaml", intent.as_deref())
            .unwrap();
    }

    #[test]
    fn a_ref_lock_during_the_commit_is_named_and_changes_nothing() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        fs::write(fx.root.join(".git/refs/heads/main.lock"), "").unwrap();
        let before = fx.snapshot();
        let err = fx
            .repo
            .commit_file(RECORD, b"v2\n", "xp: two\n", &fx.env)
            .unwrap_err();
        assert!(
            matches!(&err, GitError::Locked { path } if path.ends_with(".git/refs/heads/main.lock")),
            "{err:?}"
        );
        assert!(err.to_string().contains("main.lock"));
        assert_eq!(fx.snapshot(), before);
    }

    #[test]
    fn an_index_lock_after_preflight_is_named_and_changes_nothing() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        fx.repo
            .preflight(RECORD, fx.read(RECORD).as_deref())
            .unwrap();
        fx.write(RECORD, "v2\n");
        fs::write(fx.root.join(".git/index.lock"), "").unwrap();
        let before = fx.snapshot();
        let err = fx
            .repo
            .commit_file(RECORD, b"v2\n", "xp: two\n", &fx.env)
            .unwrap_err();
        assert!(
            matches!(&err, GitError::Locked { path } if path.ends_with(".git/index.lock")),
            "{err:?}"
        );
        assert_eq!(fx.snapshot(), before);
        assert!(
            fx.root.join(".git/index.lock").exists(),
            "not ours to remove"
        );
        assert_eq!(fx.journals(), 0);
    }

    #[test]
    fn the_index_is_staged_before_head_moves_under_the_lock() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        fx.write(RECORD, "v2\n");
        let blob = Oid::hash_object(ObjectType::Blob, b"v2\n").unwrap();
        let seen = Cell::new((false, 0, None));
        fx.repo
            .commit_file_with(RECORD, b"v2\n", "xp: two\n", &fx.env, &mut || {
                let lock = fx.root.join(".git/index.lock");
                let staged = fx.repo.staged(RECORD).unwrap();
                seen.set((lock.exists(), fx.journals(), staged));
            })
            .unwrap();
        assert_eq!(
            seen.get(),
            (true, 1, Some(blob)),
            "lock, journal and the new entry in place before HEAD moves"
        );
        assert!(!fx.root.join(".git/index.lock").exists());
        assert_eq!(fx.journals(), 0);
        assert_eq!(fx.git(&["status", "--porcelain=v2"]), "");
    }

    #[test]
    fn a_swap_that_fails_puts_the_index_back_byte_for_byte() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        fx.write(RECORD, "v2\n");
        let index = fs::read(fx.root.join(".git/index")).unwrap();
        let err = fx
            .repo
            .commit_file_with(RECORD, b"v2\n", "xp: two\n", &fx.env, &mut || {
                if fx.git(&["log", "-1", "--format=%s"]) != "outside\n" {
                    outside_commit(&fx.root, RECORD, "theirs\n");
                }
            })
            .unwrap_err();
        assert!(matches!(err, GitError::HeadMoved { .. }), "{err:?}");
        assert_eq!(fs::read(fx.root.join(".git/index")).unwrap(), index);
        assert!(!fx.root.join(".git/index.lock").exists());
        assert_eq!(fx.journals(), 0);
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
        let (id, _) = fx
            .repo
            .build_commit(&tip, RECORD, blob, [&sig, &sig], "xp: two\n")
            .unwrap();
        let journal = Journal {
            token: token.into(),
            path: RECORD.into(),
            staged: Some(staged),
            blob,
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
                journal.blob,
                mode,
            )
            .unwrap();
        assert_eq!(fx.repo.staged(RECORD).unwrap(), Some(journal.blob));
        let repaired = fx.repo.recover().unwrap();
        assert_eq!(repaired.len(), 2, "{repaired:?}");
        assert!(
            repaired[1].contains("put back git's index entry"),
            "{repaired:?}"
        );
        assert_eq!(fx.repo.staged(RECORD).unwrap(), journal.staged.unwrap());
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
    fn history_goes_by_trailer_across_a_rename() {
        let fx = fx();
        assert!(fx.repo.history("aaaa").unwrap().is_empty(), "unborn branch");
        fx.xp_commit(
            "experiments/a.yaml",
            "id: aaaa\n",
            "xp: new a\n\nExperiment-Id: aaaa\n",
        );
        fx.xp_commit(
            "experiments/c.yaml",
            "id: cccc\n",
            "xp: new c\n\nExperiment-Id: cccc\n",
        );
        fx.write("notes.txt", "mentions aaaa\n");
        fx.cli_commit(&["notes.txt"], "about aaaa, no trailer");
        fx.git(&["mv", "experiments/a.yaml", "experiments/b.yaml"]);
        fx.git(&["commit", "-q", "-m", "rename a\n\nExperiment-Id: aaaa"]);
        let last = "xp: note on b\n\nLaunched\n\nExperiment-Id: aaaa\n";
        let done = fx.xp_commit("experiments/b.yaml", "id: aaaa\nnote: x\n", last);

        let history = fx.repo.history("aaaa").unwrap();
        let seen: Vec<_> = history
            .iter()
            .map(|h| {
                (
                    h.path.as_str(),
                    String::from_utf8_lossy(&h.content).into_owned(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("experiments/a.yaml", "id: aaaa\n".to_owned()),
                ("experiments/b.yaml", "id: aaaa\n".to_owned()),
                ("experiments/b.yaml", "id: aaaa\nnote: x\n".to_owned()),
            ]
        );
        let info = &history[2].info;
        assert_eq!(
            (info.id.as_str(), info.short.as_str()),
            (done.id.as_str(), &done.id[..7])
        );
        assert_eq!(
            (info.author.as_str(), info.email.as_str()),
            ("Alice", "alice@example.com")
        );
        assert_eq!(info.time, DateTime::parse_from_rfc3339(NOW).unwrap());
        assert_eq!(info.message, last);
        assert_eq!(fx.repo.history("cccc").unwrap().len(), 1);
        assert!(
            fx.repo.history("aaa").unwrap().is_empty(),
            "a prefix is not the id"
        );
    }

    #[test]
    fn head_content_reads_files_only() {
        let fx = fx();
        assert_eq!(fx.repo.head_content(RECORD).unwrap(), None);
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        assert_eq!(
            fx.repo.head_content(RECORD).unwrap(),
            Some(b"v1\n".to_vec())
        );
        assert_eq!(fx.repo.head_content("experiments").unwrap(), None);
        assert_eq!(fx.repo.head_content("experiments/none.yaml").unwrap(), None);
        assert!(matches!(
            fx.repo.head_content("../x"),
            Err(GitError::BadPath { .. })
        ));
    }

    #[test]
    fn discover_finds_the_work_tree_root() {
        let fx = fx();
        fs::create_dir_all(fx.root.join("experiments/deep")).unwrap();
        let repo = Repo::discover(&fx.root.join("experiments/deep"))
            .unwrap()
            .unwrap();
        assert_eq!(repo.workdir(), fs::canonicalize(&fx.root).unwrap());
        assert!(format!("{repo:?}").contains("workdir"));
    }

    #[test]
    fn discover_outside_any_repository_is_none() {
        let tmp = TempDir::new().unwrap();
        assert!(Repo::discover(tmp.path()).unwrap().is_none());
    }

    #[test]
    fn discover_refuses_a_bare_repository_and_the_git_directory() {
        let tmp = TempDir::new().unwrap();
        Repository::init_bare(tmp.path().join("bare.git")).unwrap();
        let err = Repo::discover(&tmp.path().join("bare.git")).unwrap_err();
        assert!(matches!(err, GitError::Bare { .. }), "{err:?}");
        assert!(err.hint().is_some());

        let fx = fx();
        let err = Repo::discover(&fx.root.join(".git/refs")).unwrap_err();
        assert!(matches!(err, GitError::InGitDir { .. }), "{err:?}");
    }

    #[test]
    fn a_second_lock_times_out_as_busy() {
        let fx = fx();
        let held = fx.repo.lock(Duration::from_secs(1)).unwrap();
        let other = Repo::discover(&fx.root).unwrap().unwrap();
        let err = other.lock(Duration::from_millis(100)).unwrap_err();
        assert!(matches!(err, GitError::Busy), "{err:?}");
        assert_eq!(
            err.to_string(),
            "another xp command is writing in this repository"
        );
        drop(held);
        other.lock(Duration::from_millis(100)).unwrap();
    }

    #[test]
    fn identity_comes_from_the_environment_then_the_config() {
        let env = |vars: &[(&str, &str)]| {
            let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            Env::new(vars.collect(), PathBuf::from("/")).unwrap()
        };
        let fixed = env(&[
            ("XP_NOW", NOW),
            ("GIT_AUTHOR_NAME", "Env"),
            ("GIT_AUTHOR_EMAIL", "e@x"),
        ]);
        let sig = signature(&fixed, "AUTHOR", Some("Cfg"), Some("c@x")).unwrap();
        assert_eq!(
            (sig.name().ok(), sig.email().ok()),
            (Some("Env"), Some("e@x"))
        );
        assert_eq!(
            sig.when().seconds(),
            crate::env::parse_time(NOW).unwrap().timestamp()
        );
        let sig = signature(&fixed, "COMMITTER", Some("Cfg"), Some("c@x")).unwrap();
        assert_eq!(
            (sig.name().ok(), sig.email().ok()),
            (Some("Cfg"), Some("c@x"))
        );

        let err = signature(&env(&[]), "AUTHOR", Some("Cfg"), None)
            .err()
            .unwrap();
        assert!(matches!(err, GitError::NoIdentity));
        let hint = err.hint().unwrap();
        assert!(
            hint.contains("git config user.name \"Your Name\""),
            "{hint}"
        );
        assert!(
            hint.contains("git config user.email you@example.com"),
            "{hint}"
        );
        let sig = signature(&env(&[("EMAIL", "m@x")]), "AUTHOR", Some("Cfg"), None).unwrap();
        assert_eq!(sig.email().ok(), Some("m@x"));

        let dated = env(&[("GIT_COMMITTER_DATE", "@1700000000 +0130")]);
        let sig = signature(&dated, "COMMITTER", Some("C"), Some("c@x")).unwrap();
        assert_eq!(
            (sig.when().seconds(), sig.when().offset_minutes()),
            (1_700_000_000, 90)
        );
        let bad = env(&[("GIT_AUTHOR_DATE", "yesterday")]);
        let err = signature(&bad, "AUTHOR", Some("C"), Some("c@x"))
            .err()
            .unwrap();
        assert!(matches!(&err, GitError::BadDate { var, .. } if var == "GIT_AUTHOR_DATE"));
        let err = signature(&env(&[]), "AUTHOR", Some("A <b>"), Some("c@x"))
            .err()
            .unwrap();
        assert!(matches!(err, GitError::Git { .. }), "{err:?}");
    }

    #[test]
    fn git_dates_in_every_accepted_form() {
        let at = |s: &str| parse_git_date(s).map(|t| (t.timestamp(), t.offset().local_minus_utc()));
        assert_eq!(at("2026-02-22T18:30:00Z"), Some((1_771_785_000, 0)));
        assert_eq!(at("2026-02-22T19:30:00+01:00"), Some((1_771_785_000, 3600)));
        assert_eq!(at("@1700000000 +0000"), Some((1_700_000_000, 0)));
        assert_eq!(at("1700000000 -0230"), Some((1_700_000_000, -9000)));
        assert_eq!(at("@1700000000"), Some((1_700_000_000, 0)));
        for bad in [
            "", "@", "@x +0000", "@1 +000", "@1 0000", "@1 +0060", "@1 +00a0",
        ] {
            assert_eq!(at(bad), None, "{bad:?}");
        }
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

    #[test]
    fn config_answers_name_and_signing() {
        let fx = fx();
        assert_eq!(fx.repo.user_name().as_deref(), Some("Config Name"));
        let mut config = fx
            .repo
            .repo
            .config()
            .unwrap()
            .open_level(git2::ConfigLevel::Local)
            .unwrap();
        config.set_bool("commit.gpgsign", true).unwrap();
        assert!(fx.repo.wants_signing());
        config.set_bool("commit.gpgsign", false).unwrap();
        assert!(!fx.repo.wants_signing());
    }

    #[test]
    fn every_state_names_its_command() {
        use RepositoryState as S;
        assert_eq!(operation_in_progress(S::Clean), None);
        assert_eq!(
            operation_in_progress(S::CherryPickSequence),
            Some("cherry-pick")
        );
        let bisect = GitError::InProgress {
            operation: "bisect",
        };
        assert_eq!(
            bisect.hint().unwrap(),
            "finish the bisect first (`git bisect reset`)"
        );
        let merge = GitError::InProgress { operation: "merge" };
        assert_eq!(merge.to_string(), "a git merge is in progress");
        assert!(
            merge
                .hint()
                .unwrap()
                .starts_with("finish or abort the merge first")
        );
    }
}
