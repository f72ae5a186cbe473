//! What keeping a branch in step with its remote needs from git, knowing nothing of records:
//! the branch and its upstream, the commits one side has, a commit replayed onto another tip
//! with its author and message kept, refs xp keeps for itself (the remote tip last seen, parked
//! commits), and moving the branch and its work tree to a new tip, finished by the next xp
//! command when this one is killed half-way.

use std::fs;

use git2::build::{CheckoutBuilder, TreeUpdateBuilder};
use git2::{ErrorCode, ObjectType, Oid, Signature, Time};

use super::identity::signature;
use super::{Context, GitEnv, GitError, Id, Repo, check_path, file_mode};

/// The name of the journal of a branch being moved to a new tip.
const ADVANCE: &str = "xp-advance";

/// A commit of the branch, as replaying it needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCommit {
    pub id: Id,
    /// Its first parent.
    pub parent: Option<Id>,
    pub message: String,
    /// Whether it has more than one parent.
    pub merge: bool,
    /// The files it changes against its first parent.
    pub changes: Vec<FileChange>,
}

/// One file a commit changes: its blob before and after (None when absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub before: Option<Id>,
    pub after: Option<Id>,
}

/// Where the work tree's branch stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// `main`, from `refs/heads/main`.
    pub name: String,
    pub refname: String,
    /// None on an unborn branch.
    pub tip: Option<Id>,
}

impl Repo {
    /// The branch HEAD is on; None when HEAD is detached.
    pub fn current_branch(&self) -> Result<Option<Branch>, GitError> {
        let tip = self.tip()?;
        Ok(tip.refname.strip_prefix("refs/heads/").map(|name| Branch {
            name: name.to_owned(),
            refname: tip.refname.clone(),
            tip: tip.id.map(Id),
        }))
    }

    /// The branch's upstream as git's config names it: (remote, branch on the remote).
    pub fn upstream(&self, branch: &str) -> Option<(String, String)> {
        let remote = self.config(&format!("branch.{branch}.remote"))?;
        let merge = self.config(&format!("branch.{branch}.merge"))?;
        let name = merge
            .strip_prefix("refs/heads/")
            .unwrap_or(&merge)
            .to_owned();
        Some((remote, name))
    }

    /// Whether a remote of this name is configured.
    pub fn has_remote(&self, name: &str) -> bool {
        self.repo.find_remote(name).is_ok()
    }

    /// The commit a ref names, when it exists.
    pub fn ref_id(&self, name: &str) -> Option<Id> {
        self.repo.refname_to_id(name).ok().map(Id)
    }

    /// Points `name` at `id` (created or moved, whatever it named).
    pub fn set_ref(&self, name: &str, id: Id, why: &str) -> Result<(), GitError> {
        self.repo
            .reference(name, id.0, true, why)
            .map(drop)
            .context(format!("cannot set {name}"))
    }

    /// Removes `name`, if it exists.
    pub fn delete_ref(&self, name: &str) -> Result<(), GitError> {
        match self.repo.find_reference(name) {
            Ok(mut r) => r.delete().context(format!("cannot delete {name}")),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(()),
            Err(e) => Err(e).context(format!("cannot read {name}")),
        }
    }

    /// The refs under `prefix` with their commits, in name order.
    pub fn refs_under(&self, prefix: &str) -> Result<Vec<(String, Id)>, GitError> {
        let glob = format!("{prefix}*");
        let mut out = Vec::new();
        for r in self
            .repo
            .references_glob(&glob)
            .context("cannot list refs")?
            .flatten()
        {
            if let (Ok(name), Some(id)) = (r.name(), r.target()) {
                out.push((name.to_owned(), Id(id)));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Whether `commit` is `ancestor` or descends from it.
    pub fn descends(&self, commit: Id, ancestor: Id) -> bool {
        commit == ancestor
            || self
                .repo
                .graph_descendant_of(commit.0, ancestor.0)
                .unwrap_or(false)
    }

    /// The best common ancestor of two commits.
    pub fn base_of(&self, a: Id, b: Id) -> Option<Id> {
        self.repo.merge_base(a.0, b.0).ok().map(Id)
    }

    /// How many commits each side has that the other lacks: (ahead of `b`, behind `b`).
    pub fn ahead_behind(&self, a: Id, b: Id) -> (usize, usize) {
        self.repo.graph_ahead_behind(a.0, b.0).unwrap_or((0, 0))
    }

    /// The commits of `tip` that `base` lacks, oldest first (first parents only).
    pub fn commits_since(&self, base: Option<Id>, tip: Id) -> Result<Vec<LocalCommit>, GitError> {
        let mut out = Vec::new();
        let mut at = Some(tip);
        while let Some(id) = at {
            if Some(id) == base || base.is_some_and(|b| self.descends(b, id)) {
                break;
            }
            let commit = self.local_commit(id)?;
            at = commit.parent;
            out.push(commit);
        }
        out.reverse();
        Ok(out)
    }

    /// One commit, as replaying it needs it.
    pub fn local_commit(&self, id: Id) -> Result<LocalCommit, GitError> {
        let commit = self
            .repo
            .find_commit(id.0)
            .context("cannot read a commit")?;
        let parent = commit.parent_id(0).ok().map(Id);
        Ok(LocalCommit {
            id,
            parent,
            message: commit.message().unwrap_or_default().to_owned(),
            merge: commit.parent_count() > 1,
            changes: self.changes(parent, id)?,
        })
    }

    /// The files that differ between two commits' trees.
    fn changes(&self, from: Option<Id>, to: Id) -> Result<Vec<FileChange>, GitError> {
        let tree_of = |id: Id| {
            self.repo
                .find_commit(id.0)
                .and_then(|c| c.tree())
                .context("cannot read a tree")
        };
        let old = from.map(tree_of).transpose()?;
        let new = tree_of(to)?;
        let diff = self
            .repo
            .diff_tree_to_tree(old.as_ref(), Some(&new), None)
            .context("cannot compare two commits")?;
        let blob = |f: git2::DiffFile<'_>| (!f.id().is_zero()).then(|| Id(f.id()));
        Ok(diff
            .deltas()
            .map(|d| FileChange {
                path: d
                    .new_file()
                    .path()
                    .or(d.old_file().path())
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default(),
                before: blob(d.old_file()),
                after: blob(d.new_file()),
            })
            .collect())
    }

    /// The blob of `path` in `commit`'s tree, when it is a file there.
    pub fn blob_at(&self, commit: Id, path: &str) -> Result<Option<Id>, GitError> {
        Ok(self.entry_at(Some(commit.0), path)?.map(|(id, _)| Id(id)))
    }

    /// A blob's bytes.
    pub fn blob_bytes(&self, id: Id) -> Result<Vec<u8>, GitError> {
        blob_bytes_in(&self.repo, id)
    }

    /// Stores bytes as a blob, as they are (they come from other blobs, not the work tree).
    pub fn write_blob(&self, bytes: &[u8]) -> Result<Id, GitError> {
        self.repo
            .blob(bytes)
            .map(Id)
            .context("cannot store a file in git")
    }

    /// `original` made again on `onto`: `onto`'s tree with `blob` at `path`, `original`'s
    /// message and author (name, email and date), committed now by this repository's user.
    pub fn replay(
        &self,
        onto: Id,
        path: &str,
        blob: Id,
        original: Id,
        env: &GitEnv,
    ) -> Result<Id, GitError> {
        check_path(path)?;
        let old = self
            .repo
            .find_commit(original.0)
            .context("cannot read a commit")?;
        let parent = self
            .repo
            .find_commit(onto.0)
            .context("cannot read a commit")?;
        let base = parent.tree().context("cannot read a tree")?;
        let mode = file_mode(self.entry_at(Some(onto.0), path)?.map(|(_, m)| m));
        let tree = TreeUpdateBuilder::new()
            .upsert(path, blob.0, mode)
            .create_updated(&self.repo, &base)
            .and_then(|id| self.repo.find_tree(id))
            .context(format!("cannot build the tree with {path}"))?;
        let author = old.author();
        let when = author.when();
        let author = Signature::new(
            author.name().unwrap_or_default(),
            author.email().unwrap_or_default(),
            &Time::new(when.seconds(), when.offset_minutes()),
        )
        .context("cannot copy the author")?;
        let (name, email) = (self.config("user.name"), self.config("user.email"));
        let committer = signature(env, "COMMITTER", name.as_deref(), email.as_deref())?;
        self.repo
            .commit(
                None,
                &author,
                &committer,
                old.message().unwrap_or_default(),
                &tree,
                &[&parent],
            )
            .map(Id)
            .context("cannot create the commit")
    }

    /// Moves the branch `refname` from `from` to `to`, work tree and index with it: only the
    /// files that differ between the two are written, and a file the work tree changed is
    /// never overwritten (nothing moves then). A journal lets [`Repo::finish_advance`] finish
    /// the move when this command is killed half-way.
    pub fn advance(&self, refname: &str, from: Id, to: Id, env: &GitEnv) -> Result<(), GitError> {
        let journal = self.repo.path().join(ADVANCE);
        fs::write(&journal, format!("{refname}\n{from}\n{to}\n"))
            .map_err(GitError::io(&journal))?;
        // A safe checkout writes nothing when a file it would write has changes of its own.
        let result = self.checkout(to, None).and_then(|()| {
            env.crash_point("advance-checked-out");
            let moved = self
                .repo
                .reference_matching(
                    refname,
                    to.0,
                    true,
                    from.0,
                    "xp sync: in step with the remote",
                )
                .map(drop)
                .context(format!("cannot move {refname}"));
            if moved.is_err() {
                // The files were written but the ref did not move: they go back.
                let paths = self.changed_paths(from, to)?;
                self.checkout(from, Some(&paths))?;
            }
            moved
        });
        let _ = fs::remove_file(&journal);
        result
    }

    /// Finishes a move of the branch a killed xp command left (see [`Repo::advance`]): the ref
    /// is moved on when it still names the old tip, and the files that differ are written.
    /// Returns what was done, when there was something.
    pub fn finish_advance(&self) -> Result<Option<String>, GitError> {
        let journal = self.repo.path().join(ADVANCE);
        let Ok(text) = fs::read_to_string(&journal) else {
            return Ok(None);
        };
        let mut lines = text.lines();
        let parsed = (|| {
            let refname = lines.next()?.to_owned();
            let from = Id::parse(lines.next()?)?;
            let to = Id::parse(lines.next()?)?;
            Some((refname, from, to))
        })();
        let Some((refname, from, to)) = parsed else {
            let _ = fs::remove_file(&journal);
            return Ok(None);
        };
        let at = self.ref_id(&refname);
        let paths = self.changed_paths(from, to)?;
        let done = if at == Some(from) {
            self.checkout(to, Some(&paths))?;
            self.repo
                .reference_matching(&refname, to.0, true, from.0, "xp sync: finished")
                .context(format!("cannot move {refname}"))?;
            Some(format!(
                "finished moving {refname} to {to}, which a killed xp sync began"
            ))
        } else if at == Some(to) {
            self.checkout(to, Some(&paths))?;
            Some(format!(
                "wrote the files of {refname} a killed xp sync left"
            ))
        } else {
            None
        };
        let _ = fs::remove_file(&journal);
        Ok(done)
    }

    /// Writes the files of `commit` that differ from HEAD's into the work tree and the index,
    /// never over a file the work tree changed; with `force`, exactly these paths are written
    /// whatever the work tree holds (only for files xp itself was writing).
    fn checkout(&self, commit: Id, force: Option<&[String]>) -> Result<(), GitError> {
        let tree = self
            .repo
            .find_commit(commit.0)
            .and_then(|c| c.tree())
            .context("cannot read a tree")?;
        let mut options = CheckoutBuilder::new();
        match force {
            Some([]) => return Ok(()),
            Some(paths) => {
                options.force();
                for path in paths {
                    options.path(path);
                }
            }
            None => {
                options.safe();
            }
        }
        self.repo
            .checkout_tree(tree.as_object(), Some(&mut options))
            .map_err(|e| match e.code() {
                ErrorCode::Conflict | ErrorCode::MergeConflict => GitError::Git {
                    context: "files in the work tree have changes that the new tip would \
                              overwrite"
                        .into(),
                    source: e,
                },
                _ => GitError::Git {
                    context: "cannot write the new tip's files".into(),
                    source: e,
                },
            })
    }

    /// The paths whose files differ between two commits.
    fn changed_paths(&self, a: Id, b: Id) -> Result<Vec<String>, GitError> {
        Ok(self
            .changes(Some(a), b)?
            .into_iter()
            .map(|c| c.path)
            .collect())
    }

    /// The tracked files whose work-tree or staged version differs from HEAD's (files git does
    /// not track are not counted).
    pub fn changed_files(&self) -> Result<Vec<String>, GitError> {
        let mut options = git2::StatusOptions::new();
        options.include_untracked(false).include_ignored(false);
        let statuses = self
            .repo
            .statuses(Some(&mut options))
            .context("cannot read the work tree's status")?;
        Ok(statuses
            .iter()
            .filter(|s| !s.status().is_empty())
            .filter_map(|s| s.path().ok().map(str::to_owned))
            .collect())
    }

    /// The author of a commit, as `Name <email>`.
    pub fn author_of(&self, id: Id) -> Result<String, GitError> {
        let commit = self
            .repo
            .find_commit(id.0)
            .context("cannot read a commit")?;
        let author = commit.author();
        Ok(format!(
            "{} <{}>",
            author.name().unwrap_or_default(),
            author.email().unwrap_or_default()
        ))
    }

    /// Whether `id` names a blob whose content is `bytes`.
    pub fn blob_is(&self, id: Id, bytes: &[u8]) -> bool {
        Oid::hash_object(ObjectType::Blob, bytes).is_ok_and(|h| h == id.0)
    }
}

/// A blob's bytes, read through `repo` (a [`Repo`]'s handle or another one on the same
/// objects).
pub(super) fn blob_bytes_in(repo: &git2::Repository, id: Id) -> Result<Vec<u8>, GitError> {
    repo.find_blob(id.0)
        .map(|b| b.content().to_vec())
        .context("cannot read a file from git")
}
