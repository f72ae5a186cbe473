//! Refusing, before anything is written, a change git could not take cleanly.

use git2::RepositoryState;

use super::error::Context;
use super::lock::wait_for_lock;
use super::{GitError, Repo, check_path};

/// How the work tree's file stands against HEAD, as [`Repo::preflight`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Worktree {
    /// The file holds HEAD's version, or neither has the file.
    Committed,
    /// The file differs from HEAD's version, whose bytes these are: an edit not yet committed.
    Edited { head: Vec<u8> },
    /// The file is in the work tree and not in HEAD: it was never committed.
    New,
}

impl Repo {
    /// The git operation in progress in this clone (merge, rebase, ...), if any.
    pub fn operation_in_progress(&self) -> Option<&'static str> {
        operation_in_progress(self.repo.state())
    }

    /// Refuses, before anything is written, a change git could not take cleanly, and says how
    /// the file stands against HEAD.
    ///
    /// That is: a merge, rebase, cherry-pick, revert, bisect or `git am` in progress; an
    /// `index.lock` or a lock on the ref HEAD points to; conflicts on `rel_path`; or a staged
    /// version of `rel_path` (a staged deletion included) that is neither HEAD's version nor
    /// `worktree`, the bytes now in the work tree (None when the file does not exist).
    /// Those bytes are compared as `git add` would store them (through the filters).
    pub fn preflight(&self, rel_path: &str, worktree: Option<&[u8]>) -> Result<Worktree, GitError> {
        check_path(rel_path)?;
        if let Some(operation) = operation_in_progress(self.repo.state()) {
            return Err(GitError::InProgress { operation });
        }
        self.wait_for_index_lock()?;
        let tip = self.tip()?;
        wait_for_lock(self.ref_lock_path(&tip.refname))?;

        let in_index = self.in_index(rel_path)?;
        if in_index.conflicted {
            return Err(GitError::Conflicted {
                path: rel_path.to_owned(),
            });
        }
        let staged = in_index.staged;
        let head = self.entry_at(tip.id, rel_path)?.map(|(id, _)| id);
        let worktree = worktree
            .map(|bytes| self.blob_id(rel_path, bytes))
            .transpose()?;
        if staged != head && staged != worktree {
            return Err(GitError::StagedDifferent {
                path: rel_path.to_owned(),
            });
        }
        Ok(match (head, worktree) {
            (_, None) => Worktree::Committed,
            (None, Some(_)) => Worktree::New,
            (Some(head), Some(worktree)) if head == worktree => Worktree::Committed,
            (Some(head), Some(_)) => Worktree::Edited {
                head: self
                    .repo
                    .find_blob(head)
                    .context(format!("cannot read {rel_path} at HEAD"))?
                    .content()
                    .to_vec(),
            },
        })
    }
}

/// The git command whose unfinished run `state` shows, if any.
pub(super) fn operation_in_progress(state: RepositoryState) -> Option<&'static str> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::fs;

    use super::*;
    use crate::git::tests_support::*;

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
    fn preflight_says_how_the_file_stands_against_head() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        let stands = |fx: &Fx| {
            fx.repo
                .preflight(RECORD, fx.read(RECORD).as_deref())
                .unwrap()
        };
        assert_eq!(stands(&fx), Worktree::Committed);
        fx.write(RECORD, "v1\nby hand\n");
        assert_eq!(
            stands(&fx),
            Worktree::Edited {
                head: b"v1\n".to_vec()
            }
        );
        fx.git(&["add", RECORD]);
        assert!(matches!(stands(&fx), Worktree::Edited { .. }), "staged too");
        fx.write("experiments/new.yaml", "x\n");
        let new = fx.read("experiments/new.yaml");
        assert_eq!(
            fx.repo
                .preflight("experiments/new.yaml", new.as_deref())
                .unwrap(),
            Worktree::New
        );
        assert_eq!(
            fx.repo.preflight("experiments/none.yaml", None).unwrap(),
            Worktree::Committed
        );
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
