//! Reading history: an experiment's commits, files at a revision, revisions and branches.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset, TimeZone};
use git2::{Commit, ErrorCode, ObjectType, Oid, Sort};

use super::{Context, GitError, Repo, check_path};

/// The trailer that ties a commit to an experiment.
const TRAILER: &str = "Experiment-Id";

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

impl Repo {
    /// The commits reachable from HEAD that made the experiment `id`, oldest first, each with
    /// the file it changed and that file's content then.
    ///
    /// Those are the commits with the trailer `Experiment-Id: <id>` (xp's own), and the commits
    /// that changed `rel_path` to a version `is_it` takes for this experiment (plain `git
    /// commit`s). A path history that starts with an added file goes on at the path the same
    /// commit deleted a version of this experiment from, so renames are followed either way.
    /// Only commits whose tree changed a path followed have a file read, and only files under
    /// `within` (the records' folder relative to the work tree; all files when None or empty)
    /// are looked at in a commit's changes.
    pub fn history(
        &self,
        id: &str,
        rel_path: Option<&str>,
        within: Option<&str>,
        is_it: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<HistoryCommit>, GitError> {
        let Some(head) = self.tip()?.id else {
            return Ok(Vec::new());
        };
        let context = "cannot walk the history";
        let mut walk = self.repo.revwalk().context(context)?;
        walk.set_sorting(Sort::TOPOLOGICAL).context(context)?;
        walk.push(head).context(context)?;
        let mut paths: Vec<String> = rel_path.map(str::to_owned).into_iter().collect();
        let mut found = Vec::new();
        let mut trees = Trees::new(&self.repo)?;
        for oid in walk {
            let commit = oid
                .and_then(|oid| self.repo.find_commit(oid))
                .context("cannot read the history")?;
            let message = String::from_utf8_lossy(commit.message_bytes());
            let mut hit = None;
            if message.contains(id) && has_trailer(&message, id) {
                hit = self.changed_file(&commit, false, within, is_it)?;
            }
            let mut i = 0;
            while i < paths.len() {
                let path = paths[i].clone();
                i += 1;
                let Some((blob, added)) = self.changed_path(&mut trees, &commit, &path)? else {
                    continue;
                };
                let content = self
                    .repo
                    .find_blob(blob)
                    .context(format!("cannot read {path} at commit {}", commit.id()))?
                    .content()
                    .to_vec();
                if !is_it(&content) {
                    continue;
                }
                if added
                    && let Some((from, _)) = self.changed_file(&commit, true, within, is_it)?
                    && !paths.contains(&from)
                {
                    paths.push(from);
                }
                hit.get_or_insert((path, content));
            }
            if let Some((path, content)) = hit {
                found.push(HistoryCommit {
                    info: commit_info(&commit),
                    path,
                    content,
                });
            }
        }
        found.reverse();
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

    /// The files under `dir` in a commit's tree that `keep` wants, with their contents, sorted by
    /// path. `dir` is relative to the work tree, with `/`; `keep` is given each file's path
    /// relative to `dir` (which files are records is the caller's business).
    pub fn records_at(
        &self,
        commit: &str,
        dir: &str,
        keep: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<(String, Vec<u8>)>, GitError> {
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
                if entry.kind() == Some(ObjectType::Blob) && keep(&format!("{parent}{name}")) {
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

    /// The first file `commit` changed against its first parent whose content `is_it` takes
    /// for the experiment, with that content: among the files it deleted when `deleted`, else
    /// among those it added or modified. Files under `within` are looked at first, then, when
    /// none is the experiment, every other (a folder of records moved or renamed).
    fn changed_file(
        &self,
        commit: &Commit,
        deleted: bool,
        within: Option<&str>,
        is_it: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Option<(String, Vec<u8>)>, GitError> {
        let within = within.filter(|dir| !dir.is_empty());
        if let Some(dir) = within
            && let Some(found) = self.changed_file_in(commit, deleted, Some(dir), is_it)?
        {
            return Ok(Some(found));
        }
        self.changed_file_in(commit, deleted, None, is_it)
    }

    /// [`Repo::changed_file`] among the files under `dir` only (all files when None).
    fn changed_file_in(
        &self,
        commit: &Commit,
        deleted: bool,
        dir: Option<&str>,
        is_it: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Option<(String, Vec<u8>)>, GitError> {
        let context = || format!("cannot read the changes of commit {}", commit.id());
        let tree = commit.tree().context(context())?;
        let parent_tree = match commit.parent(0) {
            Ok(parent) => Some(parent.tree().context(context())?),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => return Err(e).context(context()),
        };
        // Without a pathspec libgit2 walks every entry of both trees, unchanged folders too:
        // 40 ms a commit beside 50,000 other files.
        let mut options = git2::DiffOptions::new();
        if let Some(dir) = dir {
            options.pathspec(dir).disable_pathspec_match(true);
        }
        let diff = self
            .repo
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut options))
            .context(context())?;
        for delta in diff.deltas() {
            if (delta.status() == git2::Delta::Deleted) != deleted {
                continue;
            }
            let file = if deleted {
                delta.old_file()
            } else {
                delta.new_file()
            };
            let path = String::from_utf8_lossy(file.path_bytes().unwrap_or_default());
            let blob = self.repo.find_blob(file.id()).context(context())?;
            if is_it(blob.content()) {
                return Ok(Some((path.into_owned(), blob.content().to_vec())));
            }
        }
        Ok(None)
    }

    /// The blob at `path` in `commit` when the commit changed it against every parent, and
    /// whether no parent had it at all.
    fn changed_path(
        &self,
        trees: &mut Trees,
        commit: &Commit,
        path: &str,
    ) -> Result<Option<(Oid, bool)>, GitError> {
        let context = || format!("cannot read {path} at commit {}", commit.id());
        let tree = commit.tree_id();
        let Some(now) = trees.blob_at(tree, path).context(context())? else {
            return Ok(None);
        };
        let mut added = true;
        for parent in commit.parent_ids() {
            let parent_tree = self.repo.find_commit(parent).context(context())?.tree_id();
            if parent_tree == tree {
                return Ok(None);
            }
            match trees.blob_at(parent_tree, path).context(context())? {
                Some(before) if before == now => return Ok(None),
                Some(_) => added = false,
                None => {}
            }
        }
        Ok(Some((now, added)))
    }
}

/// Finds files by path in trees as git's own walk does: from each tree's raw entries, reading a
/// tree once however many commits share it.
///
/// A commit's tree is usually its child's parent tree, and the directory of records is a tree
/// of thousands of entries; libgit2 would parse every entry of it (modes, ids) for each
/// lookup, which made a walk over 5,000 commits several times slower than `git log -- path`.
struct Trees<'r> {
    odb: git2::Odb<'r>,
    /// (tree, name) -> the entry of that name, with whether it is a tree.
    entries: HashMap<(Oid, String), Option<(Oid, bool)>>,
}

impl<'r> Trees<'r> {
    fn new(repo: &'r git2::Repository) -> Result<Trees<'r>, GitError> {
        Ok(Trees {
            odb: repo.odb().context("cannot open the object database")?,
            entries: HashMap::new(),
        })
    }

    /// The blob at `path` (relative, with `/`) in `tree`, when it is a file there.
    fn blob_at(&mut self, tree: Oid, path: &str) -> Result<Option<Oid>, git2::Error> {
        let mut at = tree;
        let mut names = path.split('/').peekable();
        while let Some(name) = names.next() {
            let Some((id, is_tree)) = self.entry(at, name)? else {
                return Ok(None);
            };
            if names.peek().is_none() {
                return Ok((!is_tree).then_some(id));
            }
            if !is_tree {
                return Ok(None);
            }
            at = id;
        }
        Ok(None)
    }

    fn entry(&mut self, tree: Oid, name: &str) -> Result<Option<(Oid, bool)>, git2::Error> {
        let key = (tree, name.to_owned());
        if let Some(found) = self.entries.get(&key) {
            return Ok(*found);
        }
        let object = self.odb.read(tree)?;
        let found = match object.kind() {
            ObjectType::Tree => find_entry(object.data(), name.as_bytes())?,
            _ => None,
        };
        self.entries.insert(key, found);
        Ok(found)
    }
}

/// The entry called `name` in a tree's raw bytes (`MODE NAME\0ID`, one after another), with
/// whether it is a tree; a submodule (a commit) is neither a file nor a tree.
fn find_entry(data: &[u8], name: &[u8]) -> Result<Option<(Oid, bool)>, git2::Error> {
    const ID: usize = 20;
    let broken = || git2::Error::from_str("a tree object is damaged");
    let mut rest = data;
    while !rest.is_empty() {
        let space = memchr::memchr(b' ', rest).ok_or_else(broken)?;
        let nul = memchr::memchr(0, &rest[space..]).ok_or_else(broken)? + space;
        let end = nul + 1 + ID;
        if end > rest.len() {
            return Err(broken());
        }
        if &rest[space + 1..nul] == name {
            let mode = &rest[..space];
            let id = Oid::from_bytes(&rest[nul + 1..end])?;
            return Ok(match mode {
                b"40000" => Some((id, true)),
                b"160000" => None,
                _ => Some((id, false)),
            });
        }
        rest = &rest[end..];
    }
    Ok(None)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::git::tests_support::*;

    /// The history of the record `id` now at `experiments/b.yaml`, as `xp log` asks for it.
    fn history_of(fx: &Fx, id: &str) -> Vec<HistoryCommit> {
        let is_it = |bytes: &[u8]| bytes.starts_with(format!("id: {id}\n").as_bytes());
        fx.repo
            .history(id, Some("experiments/b.yaml"), Some("experiments"), &is_it)
            .unwrap()
    }

    #[test]
    fn history_follows_the_path_of_plain_commits_across_a_rename() {
        let fx = fx();
        fx.write("experiments/a.yaml", "id: aaaa\n");
        fx.cli_commit(&["experiments/a.yaml"], "add a");
        fx.write("experiments/a.yaml", "id: aaaa\nnote: 1\n");
        fx.cli_commit(&["experiments/a.yaml"], "note on a");
        fx.write("other.txt", "x\n");
        fx.cli_commit(&["other.txt"], "unrelated");
        fx.git(&["mv", "experiments/a.yaml", "experiments/b.yaml"]);
        fx.git(&["commit", "-q", "-m", "rename"]);
        // Another experiment takes the old path: its commits are not this one's.
        fx.write("experiments/a.yaml", "id: zzzz\n");
        fx.cli_commit(&["experiments/a.yaml"], "another at a");
        fx.write("experiments/b.yaml", "id: aaaa\nnote: 2\n");
        fx.cli_commit(&["experiments/b.yaml"], "note on b");

        let seen: Vec<(String, String)> = history_of(&fx, "aaaa")
            .into_iter()
            .map(|h| (h.info.message, h.path))
            .collect();
        let at = |m: &str, p: &str| (format!("{m}\n"), format!("experiments/{p}"));
        assert_eq!(
            seen,
            [
                at("add a", "a.yaml"),
                at("note on a", "a.yaml"),
                at("rename", "b.yaml"),
                at("note on b", "b.yaml"),
            ]
        );
        assert!(history_of(&fx, "zzzz").is_empty(), "zzzz is not at b.yaml");
    }

    #[test]
    fn history_follows_a_record_across_a_move_of_its_folder() {
        let fx = fx();
        fx.write("experiments/a.yaml", "id: aaaa\n");
        fx.cli_commit(&["experiments/a.yaml"], "add a");
        fx.write("src/x.txt", "x\n");
        fx.cli_commit(&["src/x.txt"], "unrelated");
        fx.git(&["mv", "experiments", "records"]);
        fx.git(&[
            "commit",
            "-q",
            "-m",
            "move the folder\n\nExperiment-Id: aaaa",
        ]);
        fx.write("records/a.yaml", "id: aaaa\nnote: 1\n");
        fx.cli_commit(&["records/a.yaml"], "note");

        let is_it = |bytes: &[u8]| bytes.starts_with(b"id: aaaa\n");
        for within in [Some("records"), None] {
            let seen: Vec<(String, String)> = fx
                .repo
                .history("aaaa", Some("records/a.yaml"), within, &is_it)
                .unwrap()
                .into_iter()
                .map(|h| (h.info.message.lines().next().unwrap().to_owned(), h.path))
                .collect();
            let at = |m: &str, p: &str| (m.to_owned(), p.to_owned());
            assert_eq!(
                seen,
                [
                    at("add a", "experiments/a.yaml"),
                    at("move the folder", "records/a.yaml"),
                    at("note", "records/a.yaml"),
                ],
                "within {within:?}"
            );
        }
    }

    #[test]
    fn history_goes_by_trailer_across_a_rename() {
        let fx = fx();
        assert!(history_of(&fx, "aaaa").is_empty(), "unborn branch");
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

        let history = history_of(&fx, "aaaa");
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
        assert_eq!(history_of(&fx, "cccc").len(), 1);
        assert!(history_of(&fx, "aaa").is_empty(), "a prefix is not the id");
    }

    #[test]
    fn trees_find_what_libgit2_finds() {
        let fx = fx();
        let repo = &fx.repo.repo;
        let blob = repo.blob(b"id: aaaa\n").unwrap();
        let mut inner = repo.treebuilder(None).unwrap();
        inner.insert("b.yaml", blob, 0o100644).unwrap();
        inner.insert("run.sh", blob, 0o100755).unwrap();
        let inner = inner.write().unwrap();
        let mut root = repo.treebuilder(None).unwrap();
        root.insert("experiments", inner, 0o040000).unwrap();
        root.insert("experiments.yaml", blob, 0o100644).unwrap();
        root.insert("link", blob, 0o120000).unwrap();
        // A submodule's commit lives in another repository.
        let elsewhere = Oid::from_str("1234567890123456789012345678901234567890").unwrap();
        root.insert("module", elsewhere, 0o160000).unwrap();
        let root = root.write().unwrap();

        let mut trees = Trees::new(repo).unwrap();
        let tree = repo.find_tree(root).unwrap();
        for path in [
            "experiments/b.yaml",
            "experiments/run.sh",
            "experiments.yaml",
            "link",
            "module",
            "experiments",
            "experiments/none.yaml",
            "experiments/b.yaml/deeper",
            "none/b.yaml",
        ] {
            let git2 = match tree.get_path(Path::new(path)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Blob) => Some(entry.id()),
                _ => None,
            };
            assert_eq!(trees.blob_at(root, path).unwrap(), git2, "{path}");
            assert_eq!(trees.blob_at(root, path).unwrap(), git2, "{path}, again");
        }
        assert!(find_entry(b"100644 a.yaml\0short", b"a.yaml").is_err());
        assert!(find_entry(b"100644 a.yaml", b"a.yaml").is_err());
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
}
