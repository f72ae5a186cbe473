//! A chain of one-file commits (an import): one commit per file, in order, each on the one
//! before, built in memory in one pass and written as one pack; the ref HEAD points to moves
//! once, by compare-and-swap, with every file's index entry staged first under `index.lock`,
//! as the one-file protocol ([`super::commit`]) does for one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use git2::{ErrorCode, FileMode, Oid, Signature};

use super::commit::Committed;
use super::identity::signature;
use super::index::staged_in;
use super::lock::{IndexLock, wait_for_lock};
use super::pack::{Base, Kind, PackWriter};
use super::recover::{Journal, JournalFile};
use super::{Context, GitEnv, GitError, Repo, Tip, check_path};

/// How many times the chain is built again when HEAD moved before the swap.
const MAX_TRIES: usize = 5;

/// One file of a chain: the commit that adds it.
#[derive(Debug, Clone)]
pub struct ChainedFile {
    /// Relative to the work tree, with `/`; not in HEAD's tree.
    pub rel_path: String,
    /// The bytes the caller has written (or will write) to the work file.
    pub content: Vec<u8>,
    /// The whole commit message.
    pub message: String,
    /// The author date; the committer's is now (or `GIT_AUTHOR_DATE` when none is given).
    pub author_time: Option<DateTime<Utc>>,
}

/// One folder of the trees being built: its entries (raw, by git's order) and its last
/// version written to the pack.
struct Folder {
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
    last: Option<Base>,
}

impl Repo {
    /// Refuses, before anything is written, a chain git could not take cleanly: what
    /// [`Repo::preflight`] refuses for one file, for each of them, reading the index once.
    pub fn preflight_chain(&self, files: &[ChainedFile]) -> Result<(), GitError> {
        for file in files {
            check_path(&file.rel_path)?;
        }
        if let Some(operation) = super::preflight::operation_in_progress(self.repo.state()) {
            return Err(GitError::InProgress { operation });
        }
        self.wait_for_index_lock()?;
        let tip = self.tip()?;
        wait_for_lock(self.ref_lock_path(&tip.refname))?;
        let index = self.read_index()?;
        for file in files {
            let path = Path::new(&file.rel_path);
            if (1..=3).any(|stage| index.get_path(path, stage).is_some()) {
                return Err(GitError::Conflicted {
                    path: file.rel_path.clone(),
                });
            }
            let Some(staged) = staged_in(&index, &file.rel_path) else {
                continue;
            };
            let head = self.entry_at(tip.id, &file.rel_path)?.map(|(id, _)| id);
            if Some(staged) != head
                && Some(staged) != Some(self.blob_id(&file.rel_path, &file.content)?)
            {
                return Err(GitError::StagedDifferent {
                    path: file.rel_path.clone(),
                });
            }
        }
        Ok(())
    }

    /// The names (lower-cased) HEAD's tree or the index hold directly in the folder `rel_dir`
    /// of the work tree, so that new files take none of them.
    pub fn names_in(&self, rel_dir: &str) -> Result<HashSet<String>, GitError> {
        let mut names = HashSet::new();
        if let Some(id) = self.tip()?.id {
            let tree = self
                .repo
                .find_commit(id)
                .and_then(|c| c.tree())
                .context("cannot read HEAD's tree")?;
            let folder = if rel_dir.is_empty() {
                Some(tree)
            } else {
                match tree.get_path(Path::new(rel_dir)) {
                    Ok(entry) => entry
                        .to_object(&self.repo)
                        .ok()
                        .and_then(|o| o.into_tree().ok()),
                    Err(e) if e.code() == ErrorCode::NotFound => None,
                    Err(e) => return Err(e).context(format!("cannot read {rel_dir} at HEAD")),
                }
            };
            for entry in folder.iter().flat_map(|t| t.iter()) {
                names.insert(String::from_utf8_lossy(entry.name_bytes()).to_lowercase());
            }
        }
        let prefix = if rel_dir.is_empty() {
            String::new()
        } else {
            format!("{rel_dir}/")
        };
        for entry in self.read_index()?.iter() {
            let path = String::from_utf8_lossy(&entry.path);
            if let Some(rest) = path.strip_prefix(&prefix) {
                let name = rest.split('/').next().unwrap_or(rest);
                names.insert(name.to_lowercase());
            }
        }
        Ok(names)
    }

    /// Commits each file in order, one commit each holding only that file, chained on HEAD;
    /// the objects go into one new pack, then the files' index entries are staged and the
    /// ref moves once, by compare-and-swap (the chain is built again on the new HEAD when
    /// another commit landed meanwhile, unless it added one of the paths). `reflog` says what
    /// the move was. The caller has written each file's bytes to the work tree and holds xp's
    /// write lock. Returns each file's commit, in order.
    ///
    /// A kill leaves a journal behind, as [`Repo::commit_file`] does, for [`Repo::recover`]:
    /// before the swap the staged entries are put back and HEAD never moved; after it, every
    /// commit is there. `XP_TEST_FAULT` (`before-index`, `before-swap`, `after-swap`) stops here.
    pub fn commit_chain(
        &self,
        files: &[ChainedFile],
        reflog: &str,
        env: &GitEnv,
    ) -> Result<Vec<Committed>, GitError> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        for file in files {
            check_path(&file.rel_path)?;
        }
        let (name, email) = (self.config("user.name"), self.config("user.email"));
        let author = signature(env, "AUTHOR", name.as_deref(), email.as_deref())?;
        let committer = signature(env, "COMMITTER", name.as_deref(), email.as_deref())?;
        let blobs = self.filtered(files)?;
        let mut journal = Journal {
            token: uuid::Uuid::new_v4().to_string(),
            files: files
                .iter()
                .zip(&blobs)
                .map(|(file, (blob, _))| JournalFile {
                    path: file.rel_path.clone(),
                    staged: None,
                    blob: *blob,
                })
                .collect(),
            swap: None,
        };
        let mut tip = self.tip()?;
        let mut tries = 0;
        loop {
            for file in files {
                if self.entry_at(tip.id, &file.rel_path)?.is_some() {
                    return Err(GitError::HeadMoved {
                        path: file.rel_path.clone(),
                    });
                }
            }
            let commits = self.build_chain(&tip, files, &blobs, [&author, &committer])?;
            let last = *commits.last().unwrap_or(&Oid::ZERO_SHA1);
            self.repo
                .odb()
                .and_then(|odb| odb.refresh())
                .context("cannot read the new pack")?;
            match self.stage_chain_and_swap(&mut journal, &tip, last, reflog, env)? {
                true => {
                    return Ok(commits
                        .into_iter()
                        .map(|id| {
                            let id = id.to_string();
                            Committed {
                                short: id[..7].to_owned(),
                                id,
                            }
                        })
                        .collect());
                }
                false => {
                    tries += 1;
                    if tries == MAX_TRIES {
                        return Err(GitError::Contended);
                    }
                    tip = self.tip()?;
                }
            }
        }
    }

    /// Under `index.lock`: stages every file's entry, then moves the ref from `tip` to `last`.
    /// False when HEAD moved meanwhile (the index is put back, the journal dropped).
    fn stage_chain_and_swap(
        &self,
        journal: &mut Journal,
        tip: &Tip,
        last: Oid,
        reflog: &str,
        env: &GitEnv,
    ) -> Result<bool, GitError> {
        journal.swap = None;
        self.write_journal(journal)?;
        let index_path = self.index_path();
        let lock = match IndexLock::acquire(self.repo.path(), &index_path, &journal.token) {
            Ok(lock) => lock,
            Err(e) => {
                self.remove_journal(journal);
                return Err(e);
            }
        };
        let index = self.read_index()?;
        for file in &mut journal.files {
            file.staged = Some(staged_in(&index, &file.path));
        }
        drop(index);
        self.write_journal(journal)?;
        env.crash_point("before-index");
        let original = self.index_bytes()?;
        let entries: Vec<(String, Oid, FileMode)> = journal
            .files
            .iter()
            .map(|f| (f.path.clone(), f.blob, FileMode::Blob))
            .collect();
        self.write_index_entries(&index_path, original.as_deref(), &entries)?;
        journal.swap = Some((tip.refname.clone(), last));
        self.write_journal(journal)?;
        env.crash_point("before-swap");
        let swapped = self.swap(tip, last, reflog);
        let moved = match &swapped {
            Ok(()) => None,
            Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Exists) => Some(false),
            Err(_) => Some(true),
        };
        if let Some(fatal) = moved {
            // Nobody else can have changed the index: xp holds its lock.
            let restored = match &original {
                Some(bytes) => self.replace_index(&index_path, bytes),
                None => std::fs::remove_file(&index_path).map_err(GitError::io(&index_path)),
            };
            lock.release();
            if restored.is_ok() {
                self.remove_journal(journal);
            }
            return match swapped {
                Err(e) if fatal && e.code() == ErrorCode::Locked => Err(GitError::Locked {
                    path: self.ref_lock_path(&tip.refname),
                }),
                Err(e) if fatal => Err(e).context(format!("cannot update {}", tip.refname)),
                _ => Ok(false),
            };
        }
        env.crash_point("after-swap");
        lock.release();
        self.remove_journal(journal);
        Ok(true)
    }

    /// Each file's blob as `git add` would store it (through the filters), with its bytes,
    /// kept in memory: nothing is written to the object database.
    fn filtered(&self, files: &[ChainedFile]) -> Result<Vec<(Oid, Vec<u8>)>, GitError> {
        let context = "cannot prepare the files' blobs";
        let repo = self.filtering()?;
        let disk = repo.odb().context(context)?;
        let memory = git2::Odb::new().context(context)?;
        memory.add_new_mempack_backend(1000).context(context)?;
        let objects = self.repo.commondir().join("objects");
        memory
            .add_disk_alternate(&objects.to_string_lossy())
            .context(context)?;
        repo.set_odb(&memory).context(context)?;
        let blobs = files
            .iter()
            .map(|file| {
                let id = self.store_blob(&file.rel_path, &file.content)?;
                let object = memory.read(id).context(context)?;
                Ok((id, object.data().to_vec()))
            })
            .collect::<Result<Vec<_>, GitError>>();
        repo.set_odb(&disk).context(context)?;
        blobs
    }

    /// Writes the chain's objects (blobs, every folder's new tree, commits) into one pack;
    /// returns the commits in order.
    fn build_chain(
        &self,
        tip: &Tip,
        files: &[ChainedFile],
        blobs: &[(Oid, Vec<u8>)],
        [author, committer]: [&Signature; 2],
    ) -> Result<Vec<Oid>, GitError> {
        let root = match tip.id {
            Some(id) => Some(
                self.repo
                    .find_commit(id)
                    .context("cannot read HEAD's commit")?
                    .tree_id(),
            ),
            None => None,
        };
        let unique: HashSet<Oid> = blobs.iter().map(|(id, _)| *id).collect();
        let trees: usize = files.iter().map(|f| f.rel_path.split('/').count()).sum();
        let count =
            u32::try_from(unique.len() + trees + files.len()).map_err(|_| GitError::BadPath {
                path: "(too many files for one pack)".into(),
            })?;
        let objects = self.repo.commondir().join("objects");
        let mut pack = PackWriter::create(&objects, count)?;
        let mut written = HashSet::new();
        for (id, bytes) in blobs {
            if written.insert(*id) {
                pack.whole(Kind::Blob, bytes)?;
            }
        }
        let odb = self.repo.odb().context("cannot open the object database")?;
        let mut folders: HashMap<String, Folder> = HashMap::new();
        let mut parent = tip.id;
        let mut commits = Vec::with_capacity(files.len());
        for (file, (blob, _)) in files.iter().zip(blobs) {
            let parts: Vec<&str> = file.rel_path.split('/').collect();
            let (name, dirs) = parts.split_last().unwrap_or((&"", &[]));
            // The folders on the way, from the root down: "", "experiments", ...
            let paths: Vec<String> = (0..=dirs.len()).map(|n| dirs[..n].join("/")).collect();
            for (depth, path) in paths.iter().enumerate() {
                if folders.contains_key(path) {
                    continue;
                }
                let id = match depth {
                    0 => root,
                    _ => {
                        let above = &folders[&paths[depth - 1]];
                        subtree(above, dirs[depth - 1], &file.rel_path)?
                    }
                };
                let entries = match id {
                    Some(id) => read_entries(&odb, id)?,
                    None => BTreeMap::new(),
                };
                folders.insert(
                    path.clone(),
                    Folder {
                        entries,
                        last: None,
                    },
                );
            }
            let leaf = folders
                .get_mut(&paths[dirs.len()])
                .ok_or_else(|| bad(&file.rel_path))?;
            if leaf.entries.contains_key(&tree_key(name))
                || leaf.entries.contains_key(name.as_bytes())
            {
                return Err(bad(&file.rel_path));
            }
            leaf.entries
                .insert(name.as_bytes().to_vec(), raw_entry("100644", name, *blob));
            let mut child: Option<Oid> = None;
            for depth in (0..=dirs.len()).rev() {
                let folder = folders
                    .get_mut(&paths[depth])
                    .ok_or_else(|| bad(&file.rel_path))?;
                if let Some(id) = child {
                    let name = dirs[depth];
                    folder
                        .entries
                        .insert(tree_key(name), raw_entry("40000", name, id));
                }
                let size = folder.entries.values().map(Vec::len).sum();
                let mut bytes = Vec::with_capacity(size);
                for raw in folder.entries.values() {
                    bytes.extend_from_slice(raw);
                }
                let (id, last) = pack.tree(bytes, folder.last.as_ref())?;
                folder.last = Some(last);
                child = Some(id);
            }
            let tree = child.ok_or_else(|| bad(&file.rel_path))?;
            let mut text = format!("tree {tree}\n");
            if let Some(parent) = parent {
                text.push_str(&format!("parent {parent}\n"));
            }
            let author_time = file
                .author_time
                .map(|t| (t.timestamp(), 0))
                .unwrap_or((author.when().seconds(), author.when().offset_minutes()));
            text.push_str(&format!("author {}\n", person(author, author_time)));
            let now = (
                committer.when().seconds(),
                committer.when().offset_minutes(),
            );
            text.push_str(&format!("committer {}\n", person(committer, now)));
            text.push('\n');
            text.push_str(&file.message);
            let (id, _) = pack.whole(Kind::Commit, text.as_bytes())?;
            commits.push(id);
            parent = Some(id);
        }
        pack.finish()?;
        Ok(commits)
    }
}

fn bad(path: &str) -> GitError {
    GitError::BadPath {
        path: path.to_owned(),
    }
}

/// The tree a folder holds under `name`; None when there is nothing of that name, an error
/// when a file is in the way.
fn subtree(folder: &Folder, name: &str, path: &str) -> Result<Option<Oid>, GitError> {
    if folder.entries.contains_key(name.as_bytes()) {
        return Err(bad(path));
    }
    match folder.entries.get(&tree_key(name)) {
        Some(raw) => {
            let id = raw.get(raw.len().saturating_sub(20)..).unwrap_or_default();
            Ok(Some(
                Oid::from_bytes(id).context("cannot read a tree entry")?,
            ))
        }
        None => Ok(None),
    }
}

/// What a tree entry sorts by: its name, with `/` after a folder's, as git orders them.
fn tree_key(name: &str) -> Vec<u8> {
    let mut key = name.as_bytes().to_vec();
    key.push(b'/');
    key
}

/// A tree entry as git writes it: mode, name, NUL, the id's bytes.
fn raw_entry(mode: &str, name: &str, id: Oid) -> Vec<u8> {
    let mut raw = Vec::with_capacity(mode.len() + name.len() + 22);
    raw.extend_from_slice(mode.as_bytes());
    raw.push(b' ');
    raw.extend_from_slice(name.as_bytes());
    raw.push(0);
    raw.extend_from_slice(id.as_bytes());
    raw
}

/// A tree's entries, raw, keyed by git's order.
fn read_entries(odb: &git2::Odb, id: Oid) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, GitError> {
    let object = odb.read(id).context("cannot read a tree")?;
    let data = object.data();
    let mut entries = BTreeMap::new();
    let mut at = 0;
    while at < data.len() {
        let broken = || GitError::BadPath {
            path: format!("(tree {id} cannot be read)"),
        };
        let space = data[at..]
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(broken)?;
        let nul = data[at..].iter().position(|&b| b == 0).ok_or_else(broken)?;
        let end = at + nul + 1 + 20;
        if end > data.len() || space > nul {
            return Err(broken());
        }
        let mode = &data[at..at + space];
        let name = &data[at + space + 1..at + nul];
        let mut key = name.to_vec();
        if mode == b"40000" || mode == b"040000" {
            key.push(b'/');
        }
        entries.insert(key, data[at..end].to_vec());
        at = end;
    }
    Ok(entries)
}

/// `Name <email> seconds +hhmm`, as a commit names its author or committer.
fn person(who: &Signature, (seconds, offset): (i64, i32)) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.abs();
    format!(
        "{} <{}> {seconds} {sign}{:02}{:02}",
        String::from_utf8_lossy(who.name_bytes()),
        String::from_utf8_lossy(who.email_bytes()),
        offset / 60,
        offset % 60
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::fs;

    use super::*;
    use crate::git::tests_support::*;

    fn chained(fx: &Fx, n: usize, dir: &str) -> Vec<ChainedFile> {
        (0..n)
            .map(|i| {
                // Out of order, so that entries land in the middle of the folder.
                let rel_path = format!("{dir}/r{:03}.yaml", (i * 37) % n);
                let content = format!("id: {i}\n");
                fx.write(&rel_path, &content);
                ChainedFile {
                    rel_path,
                    content: content.into_bytes(),
                    message: format!("xp: import r{i}\n\nExperiment-Id: {i}\n"),
                    author_time: Some(
                        chrono::DateTime::from_timestamp(1_600_000_000 + i as i64, 0).unwrap(),
                    ),
                }
            })
            .collect()
    }

    #[test]
    fn a_chain_is_one_commit_per_file_each_holding_only_it() {
        let fx = fx();
        fx.write("README.md", "hello\n");
        fx.cli_commit(&["README.md"], "readme");
        fx.xp_commit(RECORD, "v1\n", "xp: one\n");
        let before = fx.commit("HEAD").id();
        // Enough files that the folder's trees are stored as deltas, past the depth limit.
        let files = chained(&fx, 120, "experiments");
        fx.repo.preflight_chain(&files).unwrap();
        let done = fx
            .repo
            .commit_chain(&files, "xp: import 120 experiments", &fx.env)
            .unwrap();

        assert_eq!(done.len(), 120);
        assert_eq!(fx.commit("HEAD").id().to_string(), done[119].id);
        let mut parent = before;
        for (i, (file, commit)) in files.iter().zip(&done).enumerate() {
            let commit = fx.commit(&commit.id);
            assert_eq!(commit.parent_id(0).unwrap(), parent);
            assert_eq!(
                paths_changed(&fx, &commit),
                std::slice::from_ref(&file.rel_path)
            );
            assert_eq!(commit.message().unwrap(), file.message);
            assert_eq!(commit.author().when().seconds(), 1_600_000_000 + i as i64);
            assert_eq!(commit.author().name().ok(), Some("Alice"));
            assert_eq!(commit.committer().when().seconds(), now().timestamp());
            parent = commit.id();
        }
        assert_eq!(
            fx.git(&["ls-tree", "-r", "--name-only", "HEAD"])
                .lines()
                .count(),
            122
        );
        assert_eq!(fx.git(&["status", "--porcelain=v2"]), "");
        assert_eq!(
            fx.git(&["reflog", "-1", "--format=%gs"]),
            "commit: xp: import 120 experiments\n"
        );
        assert_eq!(fx.journals(), 0);
        fx.git(&["verify-pack", &format!("{}", pack_of(&fx).display())]);
        fx.fsck();
    }

    /// The one pack a chain wrote.
    fn pack_of(fx: &Fx) -> std::path::PathBuf {
        fs::read_dir(fx.root.join(".git/objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap()
    }

    #[test]
    fn a_chain_starts_an_unborn_branch_and_nested_folders() {
        let fx = fx();
        let files = chained(&fx, 3, "data/experiments");
        fx.repo.commit_chain(&files, "xp: import", &fx.env).unwrap();
        assert_eq!(fx.git(&["rev-list", "--count", "HEAD"]), "3\n");
        assert_eq!(
            fx.git(&["ls-tree", "-r", "--name-only", "HEAD"]),
            "data/experiments/r000.yaml\ndata/experiments/r001.yaml\ndata/experiments/r002.yaml\n"
        );
        assert_eq!(fx.git(&["status", "--porcelain=v2"]), "");
        fx.fsck();
    }

    #[test]
    fn the_users_other_work_stays_as_it_was() {
        let fx = fx();
        fx.write("staged.txt", "a\n");
        fx.cli_commit(&["staged.txt"], "base");
        fx.write("staged.txt", "staged\n");
        fx.git(&["add", "staged.txt"]);
        fx.write("staged.txt", "unstaged\n");
        fx.write("untracked.txt", "u\n");
        let status = fx.git(&["status", "--porcelain=v2", "--untracked-files=all"]);
        let files = chained(&fx, 4, "experiments");
        fx.repo.commit_chain(&files, "xp: import", &fx.env).unwrap();
        assert_eq!(fx.git(&["rev-list", "--count", "HEAD"]), "5\n");
        assert_eq!(
            fx.git(&["status", "--porcelain=v2", "--untracked-files=all"]),
            status
        );
        assert_eq!(fx.git(&["diff", "--cached", "--name-only"]), "staged.txt\n");
        assert_eq!(fx.git(&["diff", "--name-only"]), "staged.txt\n");
        fx.fsck();
    }

    #[test]
    fn a_path_head_already_has_is_refused() {
        let fx = fx();
        fx.xp_commit("experiments/r000.yaml", "old\n", "xp: one\n");
        let files = chained(&fx, 2, "experiments");
        let err = fx
            .repo
            .commit_chain(&files, "xp: import", &fx.env)
            .unwrap_err();
        assert!(matches!(err, GitError::HeadMoved { .. }), "{err:?}");
        assert_eq!(fx.git(&["rev-list", "--count", "HEAD"]), "1\n");
        assert_eq!(fx.journals(), 0);
    }

    #[test]
    fn names_in_a_folder_come_from_head_and_the_index() {
        let fx = fx();
        fx.xp_commit("experiments/Committed.yaml", "x\n", "xp: one\n");
        fx.write("experiments/staged.yaml", "y\n");
        fx.git(&["add", "experiments/staged.yaml"]);
        fx.write("experiments/untracked.yaml", "z\n");
        let mut names: Vec<String> = fx
            .repo
            .names_in("experiments")
            .unwrap()
            .into_iter()
            .collect();
        names.sort();
        assert_eq!(names, ["committed.yaml", "staged.yaml"]);
    }
}
