//! The commit protocol: one commit holding exactly one file, staged under `index.lock` and
//! moved onto HEAD by compare-and-swap, retried while other commits land.

use std::fs;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use git2::build::TreeUpdateBuilder;
use git2::{Commit, ErrorCode, Oid, Signature, Tree};

use super::identity::signature;
use super::lock::IndexLock;
use super::recover::{Journal, JournalFile};
use super::{Context, GitEnv, GitError, Id, Repo, Tip, check_path};

/// How many times `commit_file` rebuilds its commit when HEAD moved under it.
const MAX_TRIES: usize = 20;

/// How long a ref lock may be held by someone else before `commit_file` gives up; git's
/// `core.filesRefLockTimeout` defaults to 100 ms.
const REF_LOCK_WAIT: Duration = Duration::from_millis(100);

/// How long `commit_file` sleeps between two attempts at a locked ref.
const REF_LOCK_POLL: Duration = Duration::from_millis(2);

/// The commit `commit_file` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The full hex id.
    pub id: String,
    /// The first 7 hex digits.
    pub short: String,
}

impl Repo {
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
        env: &GitEnv,
    ) -> Result<Committed, GitError> {
        self.commit_file_with(rel_path, content, message, env, &mut |_| Ok(()))
    }

    /// `commit_file`, calling `before_swap` with each commit it makes before the ref moves to
    /// it: an error there leaves the ref and the index as they were (a team server's strict
    /// mode pushes the commit there, and the branch moves only once the remote has it).
    pub fn commit_file_with(
        &self,
        rel_path: &str,
        content: &[u8],
        message: &str,
        env: &GitEnv,
        before_swap: &mut dyn FnMut(Id) -> Result<(), GitError>,
    ) -> Result<Committed, GitError> {
        check_path(rel_path)?;
        let (name, email) = (self.config("user.name"), self.config("user.email"));
        let author = signature(env, "AUTHOR", name.as_deref(), email.as_deref())?;
        let committer = signature(env, "COMMITTER", name.as_deref(), email.as_deref())?;
        let blob = self.store_blob(rel_path, content)?;
        let subject = message.lines().next().unwrap_or_default();

        let index_path = self.index_path();
        let mut journal = Journal {
            token: uuid::Uuid::new_v4().to_string(),
            files: vec![JournalFile {
                path: rel_path.to_owned(),
                staged: None,
                blob,
            }],
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
        env: &GitEnv,
        unsettled: &mut bool,
        swap: impl FnOnce(&mut Journal) -> Result<Oid, GitError>,
    ) -> Result<Oid, GitError> {
        let rel_path = journal.files[0].path.clone();
        let blob = journal.files[0].blob;
        journal.files[0].staged = Some(self.staged(&rel_path)?);
        self.write_journal(journal)?;
        env.crash_point("before-index");
        let original = self.index_file()?;
        let mode = self.mode_at(self.tip()?.id, &rel_path)?;
        if env.fault("index-write") {
            return Err(GitError::Io {
                path: index_path.to_path_buf(),
                source: std::io::Error::other("XP_TEST_FAULT=index-write"),
            });
        }
        self.write_index_over(index_path, original.as_deref(), &rel_path, blob, mode)?;
        match swap(journal) {
            Ok(id) => Ok(id),
            Err(e) => {
                // Nobody else can have changed the index: xp holds its lock.
                let restored = match &original {
                    Some(read) => self.replace_index(index_path, read.bytes()),
                    None => fs::remove_file(index_path).map_err(GitError::io(index_path)),
                };
                *unsettled = restored.is_err();
                Err(e)
            }
        }
    }

    /// Builds the commit and moves the ref by compare-and-swap, again on the new HEAD while
    /// other commits land meanwhile; returns the commit.
    ///
    /// The journal names each commit before its swap, so that a lock on the ref left by a kill
    /// is known for xp's own.
    fn swap_loop(
        &self,
        journal: &mut Journal,
        signatures: [&Signature; 2],
        message: &str,
        subject: &str,
        env: &GitEnv,
        before_swap: &mut dyn FnMut(Id) -> Result<(), GitError>,
    ) -> Result<Oid, GitError> {
        let (rel_path, blob) = (journal.files[0].path.clone(), journal.files[0].blob);
        let rel_path = rel_path.as_str();
        let mut tip = self.tip()?;
        let original = self.entry_at(tip.id, rel_path)?;
        let (mut moves, started) = (0, Instant::now());
        loop {
            let id = self.build_commit(&tip, rel_path, blob, signatures, message)?;
            journal.swap = Some((tip.refname.clone(), id));
            self.write_journal(journal)?;
            before_swap(Id(id))?;
            env.crash_point("before-swap");
            match self.swap(&tip, id, subject) {
                Ok(()) => return Ok(id),
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

    /// A commit on `tip` whose tree is `tip`'s plus `blob` at `rel_path`.
    ///
    /// The same inputs give the same commit id, so rebuilding on an unchanged tip adds nothing.
    pub(super) fn build_commit(
        &self,
        tip: &Tip,
        rel_path: &str,
        blob: Oid,
        [author, committer]: [&Signature; 2],
        message: &str,
    ) -> Result<Oid, GitError> {
        let parent = tip
            .id
            .map(|id| self.repo.find_commit(id))
            .transpose()
            .context("cannot read HEAD's commit")?;
        let base = match &parent {
            Some(commit) => commit.tree().context("cannot read HEAD's tree")?,
            None => self.empty_tree()?,
        };
        let mode = self.mode_at(tip.id, rel_path)?;
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
        Ok(id)
    }

    /// Moves the ref HEAD points to from `tip.id` to `id`, only if it still points there.
    pub(super) fn swap(&self, tip: &Tip, id: Oid, subject: &str) -> Result<(), git2::Error> {
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

    /// The empty tree, the base of a first commit.
    fn empty_tree(&self) -> Result<Tree<'_>, GitError> {
        self.repo
            .treebuilder(None)
            .and_then(|b| b.write())
            .and_then(|id| self.repo.find_tree(id))
            .context("cannot create an empty tree")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::cell::Cell;

    use git2::ObjectType;

    use super::*;
    use crate::git::tests_support::*;

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
        let now = now().timestamp();
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

    #[test]
    fn head_moved_before_the_swap_is_retried_and_both_commits_survive() {
        let fx = fx();
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        fx.write(RECORD, "v2\n");
        let tries = Cell::new(0);
        let outside = Cell::new(None);
        let done = fx
            .repo
            .commit_file_with(RECORD, b"v2\n", "xp: two\n", &fx.env, &mut |_| {
                tries.set(tries.get() + 1);
                if tries.get() == 1 {
                    outside.set(Some(outside_commit(&fx.root, "other.txt", "other\n")));
                }
                Ok(())
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
            .commit_file_with(RECORD, b"v2\n", "xp: two\n", &fx.env, &mut |_| {
                if outside.get().is_none() {
                    outside.set(Some(outside_commit(&fx.root, RECORD, "theirs\n")));
                }
                Ok(())
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
                    let repo = Repo::discover(root, env).unwrap().unwrap();
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
            .commit_file_with(RECORD, b"v2\n", "xp: two\n", &fx.env, &mut |_| {
                let lock = fx.root.join(".git/index.lock");
                let staged = fx.repo.staged(RECORD).unwrap();
                seen.set((lock.exists(), fx.journals(), staged));
                Ok(())
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
            .commit_file_with(RECORD, b"v2\n", "xp: two\n", &fx.env, &mut |_| {
                if fx.git(&["log", "-1", "--format=%s"]) != "outside\n" {
                    outside_commit(&fx.root, RECORD, "theirs\n");
                }
                Ok(())
            })
            .unwrap_err();
        assert!(matches!(err, GitError::HeadMoved { .. }), "{err:?}");
        assert_eq!(fs::read(fx.root.join(".git/index")).unwrap(), index);
        assert!(!fx.root.join(".git/index.lock").exists());
        assert_eq!(fx.journals(), 0);
    }
}
