//! Reading history: an experiment's commits, files at a revision, revisions and branches.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, FixedOffset, TimeZone};
use git2::{Commit, ErrorCode, ObjectType, Oid, Sort};

use super::trees::{Change, Trees};
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

/// Whether a file's content is a given experiment's.
pub type IsIt<'a> = dyn Fn(&[u8]) -> bool + 'a;

/// An experiment whose history [`Repo::histories`] looks for.
pub struct Wanted<'a> {
    pub id: &'a str,
    /// Its file now, relative to the work tree with `/`, when known.
    pub rel_path: Option<&'a str>,
    /// Whether a file's content is this experiment's.
    pub is_it: &'a dyn Fn(&[u8]) -> bool,
}

/// One commit of an experiment's history, with the record file as it was then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCommit {
    pub info: CommitInfo,
    /// The record's path at that commit, relative to the work tree, with forward slashes.
    pub path: String,
    pub content: Vec<u8>,
    /// For a merge, the file at that path in each parent (`None` where a parent lacks it);
    /// empty for a commit with one parent.
    pub merged: Vec<Option<Vec<u8>>>,
}

impl Repo {
    /// The commits reachable from HEAD that made the experiment `id`, oldest first, each with
    /// the file it changed and that file's content then: [`Repo::histories`] for one.
    pub fn history(
        &self,
        id: &str,
        rel_path: Option<&str>,
        within: Option<&str>,
        is_it: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<HistoryCommit>, GitError> {
        let wanted = [Wanted {
            id,
            rel_path,
            is_it,
        }];
        Ok(self.histories(&wanted, within)?.pop().unwrap_or_default())
    }

    /// The history of each experiment `wanted` names, from one walk over the commits reachable
    /// from HEAD: for each, the commits that made it, oldest first, each with the file it
    /// changed and that file's content then.
    ///
    /// Those are the commits with the trailer `Experiment-Id: <id>` (xp's own), and the commits
    /// that changed `rel_path` to a version `is_it` takes for this experiment (plain `git
    /// commit`s). A path history that starts with an added file goes on at the path the same
    /// commit deleted a version of this experiment from, so renames are followed either way.
    /// A commit's changes are found by comparing its tree with its first parent's, opening only
    /// the folders that differ; among them, files under `within` (the records' folder relative
    /// to the work tree) are looked at first, then the others (a folder of records moved).
    pub fn histories(
        &self,
        wanted: &[Wanted],
        within: Option<&str>,
    ) -> Result<Vec<Vec<HistoryCommit>>, GitError> {
        let mut found: Vec<Vec<HistoryCommit>> = vec![Vec::new(); wanted.len()];
        self.histories_each(wanted, within, &mut |i, commit| found[i].push(commit))?;
        for history in &mut found {
            history.reverse();
        }
        Ok(found)
    }

    /// [`Repo::histories`], handing each commit found to `each` with the index of the
    /// experiment in `wanted` as the walk meets it (newest first), so that a caller keeps only
    /// what it needs of the file's content.
    pub fn histories_each(
        &self,
        wanted: &[Wanted],
        within: Option<&str>,
        each: &mut dyn FnMut(usize, HistoryCommit),
    ) -> Result<(), GitError> {
        histories_each(&self.repo, self.tip()?.id, wanted, within, each)
    }

    /// A handle of its own on this repository's objects, for a walk over the history on
    /// another thread; it reads from the commit HEAD names now.
    pub fn walker(&self) -> Result<Walker, GitError> {
        let repo = git2::Repository::open_ext(
            self.repo.path(),
            git2::RepositoryOpenFlags::NO_SEARCH | git2::RepositoryOpenFlags::NO_DOTGIT,
            std::iter::empty::<&str>(),
        )
        .context("cannot open the git repository again")?;
        Ok(Walker {
            repo,
            head: self.tip()?.id,
        })
    }
}

/// See [`Repo::walker`]: what it holds while it walks (the pack's cache of objects among
/// them) is let go when it is dropped, whatever the repository's other handles keep.
pub struct Walker {
    repo: git2::Repository,
    head: Option<Oid>,
}

impl Walker {
    /// [`Repo::histories_each`], from the commit HEAD named when the walker was made.
    pub fn histories_each(
        &self,
        wanted: &[Wanted],
        within: Option<&str>,
        each: &mut dyn FnMut(usize, HistoryCommit),
    ) -> Result<(), GitError> {
        histories_each(&self.repo, self.head, wanted, within, each)
    }

    /// [`Repo::blob_bytes`], through this handle.
    pub fn blob_bytes(&self, id: super::Id) -> Result<Vec<u8>, GitError> {
        super::sync::blob_bytes_in(&self.repo, id)
    }
}

/// [`Repo::histories_each`] in `repo`, from the commit `head` (none on an unborn branch).
fn histories_each(
    repo: &git2::Repository,
    head: Option<Oid>,
    wanted: &[Wanted],
    within: Option<&str>,
    each: &mut dyn FnMut(usize, HistoryCommit),
) -> Result<(), GitError> {
    let Some(head) = head else {
        return Ok(());
    };
    let context = "cannot walk the history";
    let mut walk = repo.revwalk().context(context)?;
    walk.set_sorting(Sort::TOPOLOGICAL).context(context)?;
    walk.push(head).context(context)?;
    let within = within
        .filter(|dir| !dir.is_empty())
        .map(|dir| format!("{dir}/"));
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, w) in wanted.iter().enumerate() {
        by_id.entry(w.id).or_default().push(i);
    }
    // Path -> the experiments following it.
    let mut following: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, w) in wanted.iter().enumerate() {
        if let Some(path) = w.rel_path {
            following.entry(path.to_owned()).or_default().push(i);
        }
    }
    // The folders of the paths followed, each ending in `/` (`` for the top).
    let mut folders: Vec<String> = Vec::new();
    for path in following.keys() {
        add_folder(&mut folders, path);
    }
    let odb = repo.odb().context("cannot open the object database")?;
    let mut trees = Trees::new(&odb);
    for oid in walk {
        let commit = oid
            .and_then(|oid| repo.find_commit(oid))
            .context("cannot read the history")?;
        let context = || format!("cannot read the changes of commit {}", commit.id());
        let named = trailer_ids(&commit)
            .into_iter()
            .filter_map(|id| by_id.get(id.as_str()))
            .flatten()
            .copied()
            .collect::<Vec<usize>>();
        let parents: Vec<Oid> = commit.parents().map(|p| p.tree_id()).collect();
        let tree = commit.tree_id();
        let parent = parents.first().copied();
        let changes = if following.len() <= BY_NAME {
            // A few paths are looked up by name: a scan of each folder to the name, once per
            // folder version, as `git log -- path` does.
            let mut changes = Vec::new();
            for path in following.keys() {
                let new = trees.blob_at(tree, path).context(context())?;
                let old = match parent {
                    Some(parent) => trees.blob_at(parent, path).context(context())?,
                    None => None,
                };
                if old != new {
                    changes.push(Change {
                        path: path.clone(),
                        old,
                        new,
                    });
                }
            }
            changes.sort_by(|p, q| p.path.cmp(&q.path));
            changes
        } else {
            // Many paths: the folders they are in are compared whole, once.
            let on_path = |folder: &str| folders.iter().any(|f| f.starts_with(folder));
            trees
                .diff(parent, Some(tree), &on_path)
                .context(context())?
        };
        if changes.is_empty() && named.is_empty() {
            continue;
        }
        let mut seen = Seen {
            parent,
            tree,
            within: within.as_deref(),
            inside: None,
            outside: None,
            blobs: Blobs {
                repo,
                read: HashMap::new(),
            },
        };
        // Each experiment's commit is handed on as soon as it is found (its first file
        // here), so that a commit that adds thousands of records never holds them all.
        let mut handed: HashSet<usize> = HashSet::new();
        let mut info = None;
        for &i in &named {
            if !handed.contains(&i)
                && let Some((path, content)) = seen
                    .first_changed(&mut trees, false, wanted[i].is_it)
                    .context(context())?
            {
                handed.insert(i);
                let found = found_commit(
                    &commit,
                    &mut info,
                    &parents,
                    &mut trees,
                    &mut seen.blobs,
                    path,
                    content,
                )
                .context(context())?;
                each(i, found);
            }
        }
        // A path counts when the commit changed it against every parent.
        let same_as_a_parent = parents.contains(&tree);
        for change in changes.iter().filter(|_| !same_as_a_parent) {
            let Some(now) = change.new else { continue };
            let Some(followers) = following.get(&change.path).cloned() else {
                continue;
            };
            let mut added = change.old.is_none();
            let mut unchanged = false;
            for &parent in parents.iter().skip(1) {
                match trees.blob_at(parent, &change.path).context(context())? {
                    Some(before) if before == now => unchanged = true,
                    Some(_) => added = false,
                    None => {}
                }
            }
            if unchanged {
                continue;
            }
            // Read without keeping: each path changes once in a commit.
            let content = seen.blobs.peek(now).context(context())?;
            for i in followers {
                if !(wanted[i].is_it)(&content) {
                    continue;
                }
                if added
                    && let Some((from, _)) = seen
                        .first_changed(&mut trees, true, wanted[i].is_it)
                        .context(context())?
                    && !following.get(&from).is_some_and(|f| f.contains(&i))
                {
                    add_folder(&mut folders, &from);
                    following.entry(from).or_default().push(i);
                }
                if handed.insert(i) {
                    let found = found_commit(
                        &commit,
                        &mut info,
                        &parents,
                        &mut trees,
                        &mut seen.blobs,
                        change.path.clone(),
                        content.clone(),
                    )
                    .context(context())?;
                    each(i, found);
                }
            }
        }
    }
    Ok(())
}

impl Repo {
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
}

/// Up to how many paths followed [`Repo::histories`] looks up by name in each commit, rather
/// than comparing their folders whole.
const BY_NAME: usize = 16;

/// Adds the folder of `path` (with a final `/`; empty at the top) to `folders`.
fn add_folder(folders: &mut Vec<String>, path: &str) {
    let folder = path.rfind('/').map_or("", |at| &path[..=at]);
    if !folders.iter().any(|f| f == folder) {
        folders.push(folder.to_owned());
    }
}

/// What one commit changed against its first parent, beyond the paths followed, and its files,
/// each read once.
struct Seen<'r> {
    parent: Option<Oid>,
    tree: Oid,
    /// The records' folder, ending in `/`.
    within: Option<&'r str>,
    /// The changes in `within` (everywhere when None), and outside it, once asked for.
    inside: Option<Vec<Change>>,
    outside: Option<Vec<Change>>,
    blobs: Blobs<'r>,
}

/// The commit of an experiment's history the walk found in `commit`: its record at `path`
/// with `content`, and for a merge the file at that path in each parent. `info` keeps the
/// commit's details once made, for the other experiments it made.
fn found_commit(
    commit: &Commit,
    info: &mut Option<CommitInfo>,
    parents: &[Oid],
    trees: &mut Trees,
    blobs: &mut Blobs,
    path: String,
    content: Vec<u8>,
) -> Result<HistoryCommit, git2::Error> {
    let mut merged = Vec::new();
    if parents.len() > 1 {
        for &parent in parents {
            merged.push(match trees.blob_at(parent, &path)? {
                Some(blob) => Some(blobs.get(blob)?),
                None => None,
            });
        }
    }
    Ok(HistoryCommit {
        info: info.get_or_insert_with(|| commit_info(commit)).clone(),
        path,
        content,
        merged,
    })
}

/// Files' contents by blob id, each read once.
struct Blobs<'r> {
    repo: &'r git2::Repository,
    read: HashMap<Oid, Vec<u8>>,
}

impl Blobs<'_> {
    fn get(&mut self, id: Oid) -> Result<Vec<u8>, git2::Error> {
        if let Some(bytes) = self.read.get(&id) {
            return Ok(bytes.clone());
        }
        let bytes = self.repo.find_blob(id)?.content().to_vec();
        self.read.insert(id, bytes.clone());
        Ok(bytes)
    }

    /// [`Blobs::get`] without keeping the content when it was not read before.
    fn peek(&mut self, id: Oid) -> Result<Vec<u8>, git2::Error> {
        match self.read.get(&id) {
            Some(bytes) => Ok(bytes.clone()),
            None => Ok(self.repo.find_blob(id)?.content().to_vec()),
        }
    }
}

impl Seen<'_> {
    /// The first file the commit changed (added or modified; deleted when `deleted`) whose
    /// content `is_it` takes, with that content: in the records' folder first, then anywhere.
    fn first_changed(
        &mut self,
        trees: &mut Trees,
        deleted: bool,
        is_it: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Option<(String, Vec<u8>)>, git2::Error> {
        let (parent, tree, within) = (self.parent, self.tree, self.within);
        for pass in [true, false] {
            if !pass && within.is_none() {
                break;
            }
            let list = if pass {
                &mut self.inside
            } else {
                &mut self.outside
            };
            if list.is_none() {
                let inside = |path: &str| within.is_none_or(|dir| path.starts_with(dir));
                let descend = |folder: &str| {
                    !pass || within.is_none_or(|d| d.starts_with(folder) || folder.starts_with(d))
                };
                let mut changes = trees.diff(parent, Some(tree), &descend)?;
                changes.retain(|c| inside(&c.path) == pass);
                *list = Some(changes);
            }
            for change in list.iter().flatten() {
                let blob = match (deleted, change.old, change.new) {
                    (true, Some(old), None) => old,
                    (false, _, Some(new)) => new,
                    _ => continue,
                };
                let content = self.blobs.get(blob)?;
                if is_it(&content) {
                    return Ok(Some((change.path.clone(), content)));
                }
            }
        }
        Ok(None)
    }
}

/// The values of the commit's `Experiment-Id` trailers.
fn trailer_ids(commit: &Commit) -> Vec<String> {
    let message = String::from_utf8_lossy(commit.message_bytes());
    if !message.to_ascii_lowercase().contains("experiment-id") {
        return Vec::new();
    }
    git2::message_trailers_strs(&message).map_or_else(
        |_| Vec::new(),
        |trailers| {
            trailers
                .iter()
                .filter(|(key, _)| key.eq_ignore_ascii_case(TRAILER))
                .map(|(_, value)| value.trim().to_owned())
                .collect()
        },
    )
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
    fn one_walk_for_many_finds_what_a_walk_for_each_finds() {
        let fx = fx();
        let n = BY_NAME + 4;
        let rec = |i: usize| format!("experiments/r{i:02}.yaml");
        let body = |i: usize, v: &str| format!("id: id{i:02}\nv: {v}\n");
        for i in 0..n {
            fx.write(&rec(i), &body(i, "0"));
        }
        fx.write("src/a.txt", "a\n");
        fx.git(&["add", "-A"]);
        fx.git(&["commit", "-q", "-m", "import"]);
        for i in (0..n).step_by(3) {
            fx.write(&rec(i), &body(i, "1"));
            fx.cli_commit(&[&rec(i)], "plain edit");
        }
        std::fs::create_dir_all(fx.root.join("experiments/nested")).unwrap();
        fx.git(&["mv", &rec(1), "experiments/nested/moved.yaml"]);
        fx.git(&["commit", "-q", "-m", "move one"]);
        fx.xp_commit(
            &rec(2),
            &body(2, "xp"),
            "xp: note on r02\n\nExperiment-Id: id02\n",
        );
        fx.git(&["checkout", "-q", "-b", "side"]);
        fx.write(&rec(4), &body(4, "side"));
        fx.cli_commit(&[&rec(4)], "on a branch");
        fx.git(&["checkout", "-q", "main"]);
        fx.write(&rec(5), &body(5, "main"));
        fx.cli_commit(&[&rec(5)], "on main");
        fx.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
        fx.write("src/a.txt", "b\n");
        fx.cli_commit(&["src/a.txt"], "unrelated");

        let ids: Vec<String> = (0..n).map(|i| format!("id{i:02}")).collect();
        let paths: Vec<String> = (0..n)
            .map(|i| {
                if i == 1 {
                    "experiments/nested/moved.yaml".into()
                } else {
                    rec(i)
                }
            })
            .collect();
        let checks: Vec<Box<IsIt>> = ids
            .iter()
            .map(|id| -> Box<IsIt> {
                let start = format!("id: {id}\n");
                Box::new(move |bytes: &[u8]| bytes.starts_with(start.as_bytes()))
            })
            .collect();
        let wanted: Vec<Wanted> = (0..n)
            .map(|i| Wanted {
                id: &ids[i],
                rel_path: Some(&paths[i]),
                is_it: checks[i].as_ref(),
            })
            .collect();
        let all = fx.repo.histories(&wanted, Some("experiments")).unwrap();
        let summary = |h: &[HistoryCommit]| -> Vec<(String, String)> {
            h.iter()
                .map(|c| {
                    (
                        c.info.message.lines().next().unwrap().to_owned(),
                        c.path.clone(),
                    )
                })
                .collect()
        };
        for i in 0..n {
            let one = fx
                .repo
                .history(
                    &ids[i],
                    Some(&paths[i]),
                    Some("experiments"),
                    checks[i].as_ref(),
                )
                .unwrap();
            assert_eq!(summary(&all[i]), summary(&one), "{}", ids[i]);
            assert_eq!(all[i], one, "{}", ids[i]);
        }
        let s = |m: &str, p: &str| (m.to_owned(), p.to_owned());
        assert_eq!(
            summary(&all[1]),
            [
                s("import", &rec(1)),
                s("move one", "experiments/nested/moved.yaml")
            ]
        );
        assert_eq!(
            summary(&all[2]),
            [s("import", &rec(2)), s("xp: note on r02", &rec(2))]
        );
        assert_eq!(
            summary(&all[4]),
            [s("import", &rec(4)), s("on a branch", &rec(4))]
        );
        assert_eq!(
            summary(&all[5]),
            [s("import", &rec(5)), s("on main", &rec(5))]
        );
        assert_eq!(
            summary(&all[6]),
            [s("import", &rec(6)), s("plain edit", &rec(6))]
        );
    }

    #[test]
    fn history_keeps_the_first_life_of_a_record_deleted_and_made_again_and_skips_a_merge() {
        let fx = fx();
        // Enough records beside it that the folder is compared around each change.
        for i in 0..40 {
            fx.write(
                &format!("experiments/r{i:02}.yaml"),
                &format!("id: id{i:02}\n"),
            );
        }
        fx.write("experiments/b.yaml", "id: aaaa\n");
        fx.git(&["add", "-A"]);
        fx.git(&["commit", "-q", "-m", "import"]);
        let note = "xp: note on b\n\nExperiment-Id: aaaa\n";
        fx.xp_commit("experiments/b.yaml", "id: aaaa\nnote: 1\n", note);
        fx.git(&["rm", "-q", "experiments/b.yaml"]);
        fx.git(&["commit", "-q", "-m", "delete b"]);
        fx.write("src/x.txt", "x\n");
        fx.cli_commit(&["src/x.txt"], "unrelated");
        fx.write("experiments/b.yaml", "id: aaaa\nnote: again\n");
        fx.cli_commit(&["experiments/b.yaml"], "b again");
        fx.git(&["checkout", "-q", "-b", "side"]);
        fx.xp_commit("experiments/b.yaml", "id: aaaa\nnote: side\n", note);
        fx.git(&["checkout", "-q", "main"]);
        fx.write("experiments/r05.yaml", "id: id05\nv: 1\n");
        fx.cli_commit(&["experiments/r05.yaml"], "r05 on main");
        fx.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
        // The merge takes the side's version as it was: it made nothing of the record.
        fx.write("experiments/a0.yaml", "id: aaaa\nnote: a copy\n");
        fx.write("experiments/b.yaml", "id: aaaa\nnote: both\n");
        fx.git(&["add", "-A"]);
        fx.git(&["commit", "-q", "-m", "copy b\n\nExperiment-Id: aaaa"]);

        let seen: Vec<(String, String, String)> = history_of(&fx, "aaaa")
            .into_iter()
            .map(|h| {
                (
                    h.info.message.lines().next().unwrap().to_owned(),
                    h.path,
                    String::from_utf8(h.content).unwrap(),
                )
            })
            .collect();
        let at =
            |m: &str, p: &str, c: &str| (m.to_owned(), format!("experiments/{p}"), c.to_owned());
        assert_eq!(
            seen,
            [
                at("import", "b.yaml", "id: aaaa\n"),
                at("xp: note on b", "b.yaml", "id: aaaa\nnote: 1\n"),
                at("b again", "b.yaml", "id: aaaa\nnote: again\n"),
                at("xp: note on b", "b.yaml", "id: aaaa\nnote: side\n"),
                // By its trailer, the first file of the folder it changed that holds the id.
                at("copy b", "a0.yaml", "id: aaaa\nnote: a copy\n"),
            ]
        );
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
    fn a_walker_finds_what_the_repository_finds_from_the_head_it_was_made_at() {
        let fx = fx();
        fx.xp_commit(RECORD, "id: aaaa\n", "xp: new\n\nExperiment-Id: aaaa\n");
        let walker = fx.repo.walker().unwrap();
        fx.xp_commit(
            RECORD,
            "id: aaaa\nv: 2\n",
            "xp: later\n\nExperiment-Id: aaaa\n",
        );
        let is_it = |bytes: &[u8]| bytes.starts_with(b"id: aaaa\n");
        let wanted = [Wanted {
            id: "aaaa",
            rel_path: Some(RECORD),
            is_it: &is_it,
        }];
        let mut seen = Vec::new();
        walker
            .histories_each(&wanted, Some("experiments"), &mut |_, c| seen.push(c))
            .unwrap();
        assert_eq!(seen.len(), 1, "the commit made after the walker is not its");
        let now = fx.repo.histories(&wanted, Some("experiments")).unwrap();
        assert_eq!(now[0].len(), 2);
        assert_eq!(seen[0], now[0][0]);
        let blob = crate::git::Id::parse(
            &git2::Oid::hash_object(ObjectType::Blob, &seen[0].content)
                .unwrap()
                .to_string(),
        )
        .unwrap();
        assert_eq!(walker.blob_bytes(blob).unwrap(), b"id: aaaa\n");
        assert_eq!(fx.repo.blob_bytes(blob).unwrap(), b"id: aaaa\n");
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
