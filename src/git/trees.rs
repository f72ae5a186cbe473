//! Trees read as git's own walks read them: from their raw entries, each tree once however many
//! commits share it, unchanged folders never opened.
//!
//! A commit's tree is usually its child's parent tree, and the folder of records is a tree of
//! thousands of entries. libgit2 parses every entry of a tree (modes, ids) each time it is
//! looked at, and its tree-to-tree diff walks every entry of both sides, unchanged folders
//! too; a walk over 5,000 commits beside 50,000 other files was several times slower than
//! `git log -- path` that way.

use std::cmp::Ordering;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use git2::{ObjectType, Oid};

const ID: usize = 20;

/// How many bytes of raw trees are kept: the oldest read are let go first. A walk compares
/// each commit's tree with its parent's, which the next commit compares again, so the newest
/// few are what is read again; more only holds memory through the walk.
const CACHE_BYTES: usize = 4 << 20;

/// A file a commit changed against its parent: its path (relative, with `/`) and its blob
/// before and after (None: not there, or not a file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Change {
    pub path: String,
    pub old: Option<Oid>,
    pub new: Option<Oid>,
}

/// One entry of a raw tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry<'a> {
    name: &'a [u8],
    id: Oid,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Tree,
    /// A submodule's commit: neither a file nor a tree here.
    Commit,
}

pub(super) struct Trees<'o> {
    odb: &'o git2::Odb<'o>,
    /// Trees as read from the object database, kept without a copy.
    raw: HashMap<Oid, Rc<Raw<'o>>>,
    /// The trees of `raw`, in the order they were read.
    read_order: VecDeque<Oid>,
    raw_bytes: usize,
    /// [`CACHE_BYTES`], or less in a test.
    cap: usize,
    /// (tree, name) -> the entry of that name: its id and kind.
    entries: HashMap<(Oid, String), Option<(Oid, Kind)>>,
}

/// A tree's raw entries, as the object database gave them (none for an object not a tree).
enum Raw<'o> {
    Tree(git2::OdbObject<'o>),
    Empty,
}

impl Raw<'_> {
    fn data(&self) -> &[u8] {
        match self {
            Raw::Tree(object) => object.data(),
            Raw::Empty => &[],
        }
    }
}

impl<'o> Trees<'o> {
    pub(super) fn new(odb: &'o git2::Odb<'o>) -> Trees<'o> {
        Trees {
            odb,
            raw: HashMap::new(),
            read_order: VecDeque::new(),
            raw_bytes: 0,
            cap: CACHE_BYTES,
            entries: HashMap::new(),
        }
    }

    /// The blob at `path` (relative, with `/`) in `tree`, when it is a file there.
    pub(super) fn blob_at(&mut self, tree: Oid, path: &str) -> Result<Option<Oid>, git2::Error> {
        let mut at = tree;
        let mut names = path.split('/').peekable();
        while let Some(name) = names.next() {
            let Some((id, kind)) = self.entry(at, name)? else {
                return Ok(None);
            };
            match (names.peek().is_none(), kind) {
                (true, Kind::File) => return Ok(Some(id)),
                (false, Kind::Tree) => at = id,
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// The files that differ between the trees `old` and `new` (None: an empty tree), in path
    /// order, in the folders `descend` takes (given each folder's path with a final `/`) and
    /// at the top; folders with the same id on both sides are not opened.
    pub(super) fn diff(
        &mut self,
        old: Option<Oid>,
        new: Option<Oid>,
        descend: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<Change>, git2::Error> {
        let mut changes = Vec::new();
        self.diff_into(old, new, "", descend, &mut changes)?;
        // Byte order of whole paths is git's order of paths.
        changes.sort_by(|p, q| p.path.cmp(&q.path));
        Ok(changes)
    }

    fn diff_into(
        &mut self,
        old: Option<Oid>,
        new: Option<Oid>,
        prefix: &str,
        descend: &dyn Fn(&str) -> bool,
        out: &mut Vec<Change>,
    ) -> Result<(), git2::Error> {
        if old == new {
            return Ok(());
        }
        let empty = Rc::new(Raw::Empty);
        let old_object = old.map_or_else(|| Ok(empty.clone()), |id| self.raw(id))?;
        let new_object = new.map_or_else(|| Ok(empty.clone()), |id| self.raw(id))?;
        let (old_raw, new_raw) = (old_object.data(), new_object.data());
        // The entries before the first byte that differs are the same on both sides, and so
        // are those of the longest common end: a folder of 10,000 records where one changed
        // is compared around that one, as a memory comparison elsewhere.
        let start = same_start(old_raw, new_raw);
        let same_end = common_end(&old_raw[start..], &new_raw[start..]);
        let (mut a, mut b) = (
            Entries::new(&old_raw[start..]),
            Entries::new(&new_raw[start..]),
        );
        let (mut x, mut y) = (a.next().transpose()?, b.next().transpose()?);
        // Where the entries x and y start, counted from the end of each side.
        let (mut x_end, mut y_end) = (old_raw.len() - start, new_raw.len() - start);
        // Folders to open once this level is done: (path, old tree, new tree).
        let mut below = Vec::new();
        loop {
            if x.is_some() && x_end == y_end && x_end <= same_end {
                // The rest of both sides is the same bytes from an entry's start.
                break;
            }
            let order = match (&x, &y) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(x), Some(y)) => tree_order(x, y),
            };
            let (before, after) = match order {
                Ordering::Less => (x.take(), None),
                Ordering::Greater => (None, y.take()),
                Ordering::Equal => (x.take(), y.take()),
            };
            if x.is_none() && order != Ordering::Greater {
                x_end = a.rest.len();
                x = a.next().transpose()?;
            }
            if y.is_none() && order != Ordering::Less {
                y_end = b.rest.len();
                y = b.next().transpose()?;
            }
            if before == after {
                continue;
            }
            let name = before.or(after).map(|e| e.name).unwrap_or_default();
            let path = || format!("{prefix}{}", String::from_utf8_lossy(name));
            let of = |e: Option<Entry>, kind| e.filter(|e| e.kind == kind).map(|e| e.id);
            let (old_file, new_file) = (of(before, Kind::File), of(after, Kind::File));
            if old_file != new_file {
                out.push(Change {
                    path: path(),
                    old: old_file,
                    new: new_file,
                });
            }
            let (old_tree, new_tree) = (of(before, Kind::Tree), of(after, Kind::Tree));
            if old_tree != new_tree {
                let folder = format!("{}/", path());
                if descend(&folder) {
                    below.push((folder, old_tree, new_tree));
                }
            }
        }
        for (folder, old_tree, new_tree) in below {
            self.diff_into(old_tree, new_tree, &folder, descend, out)?;
        }
        Ok(())
    }

    fn entry(&mut self, tree: Oid, name: &str) -> Result<Option<(Oid, Kind)>, git2::Error> {
        let key = (tree, name.to_owned());
        if let Some(found) = self.entries.get(&key) {
            return Ok(*found);
        }
        // Read for this lookup only: kept, the trees of thousands of commits cost more in
        // memory than reading them again when a commit named by its trailer is compared.
        let found = match self.raw.get(&tree) {
            Some(raw) => find(raw.data(), name.as_bytes())?,
            None => find(self.odb.read(tree)?.data(), name.as_bytes())?,
        };
        self.entries.insert(key, found);
        Ok(found)
    }

    /// The raw entries of the tree `id` (empty when the object is not a tree).
    fn raw(&mut self, id: Oid) -> Result<Rc<Raw<'o>>, git2::Error> {
        if let Some(raw) = self.raw.get(&id) {
            return Ok(raw.clone());
        }
        let object = self.odb.read(id)?;
        let raw = Rc::new(match object.kind() {
            ObjectType::Tree => Raw::Tree(object),
            _ => Raw::Empty,
        });
        let len = raw.data().len();
        while self.raw_bytes + len > self.cap
            && let Some(oldest) = self.read_order.pop_front()
        {
            if let Some(gone) = self.raw.remove(&oldest) {
                self.raw_bytes -= gone.data().len();
            }
        }
        self.raw_bytes += len;
        self.raw.insert(id, raw.clone());
        self.read_order.push_back(id);
        Ok(raw)
    }
}

/// Where the entries two raw trees start to differ: the start of the first entry whose bytes
/// are not all the same on both sides (the whole length when neither side has one).
fn same_start(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let differ = a[..n]
        .chunks(64)
        .zip(b[..n].chunks(64))
        .position(|(p, q)| p != q)
        .map_or(n, |chunk| {
            let at = chunk * 64;
            at + a[at..n]
                .iter()
                .zip(&b[at..n])
                .position(|(p, q)| p != q)
                .unwrap_or(n - at)
        });
    // Entries end 20 bytes after the NUL that ends their name (a mode and a name hold no
    // NUL); identical bytes split into the same entries on both sides.
    let mut at = 0;
    while let Some(nul) = memchr::memchr(0, &a[at..differ]) {
        let end = at + nul + 1 + ID;
        if end > differ {
            break;
        }
        at = end;
    }
    at
}

/// How many bytes at the end of `a` and `b` are the same.
fn common_end(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    a.rchunks(64)
        .zip(b.rchunks(64))
        .position(|(p, q)| p != q)
        .map_or(n, |chunk| {
            let end = n - chunk * 64;
            let from = end.saturating_sub(64);
            chunk * 64
                + a[from..end]
                    .iter()
                    .rev()
                    .zip(b[from..end].iter().rev())
                    .position(|(p, q)| p != q)
                    .unwrap_or(end - from)
        })
}

/// The entry called `name` in a raw tree: its id and kind. Names are compared before an
/// entry's id is made.
fn find(raw: &[u8], name: &[u8]) -> Result<Option<(Oid, Kind)>, git2::Error> {
    let mut rest = raw;
    while !rest.is_empty() {
        let entry = split_entry(rest)?;
        if entry.name == name {
            return Ok(Some((Oid::from_bytes(entry.id)?, kind_of(entry.mode))));
        }
        rest = entry.rest;
    }
    Ok(None)
}

/// The first entry of a raw tree (`MODE NAME\0ID`) as bytes, and the entries after it.
struct Split<'a> {
    mode: &'a [u8],
    name: &'a [u8],
    id: &'a [u8],
    rest: &'a [u8],
}

fn split_entry(raw: &[u8]) -> Result<Split<'_>, git2::Error> {
    let broken = || git2::Error::from_str("a tree object is damaged");
    let space = memchr::memchr(b' ', raw).ok_or_else(broken)?;
    let nul = memchr::memchr(0, &raw[space..]).ok_or_else(broken)? + space;
    let id = raw.get(nul + 1..nul + 1 + ID).ok_or_else(broken)?;
    Ok(Split {
        mode: &raw[..space],
        name: &raw[space + 1..nul],
        id,
        rest: &raw[nul + 1 + ID..],
    })
}

fn kind_of(mode: &[u8]) -> Kind {
    match mode {
        b"40000" => Kind::Tree,
        b"160000" => Kind::Commit,
        _ => Kind::File,
    }
}

/// Git's order of tree entries: by name, a folder's name as if it ended with `/`.
fn tree_order(a: &Entry, b: &Entry) -> Ordering {
    let n = a.name.len().min(b.name.len());
    a.name[..n].cmp(&b.name[..n]).then_with(|| {
        let end = |e: &Entry| match e.kind {
            Kind::Tree => b'/',
            _ => 0,
        };
        let next = |e: &Entry| e.name.get(n).copied().unwrap_or_else(|| end(e));
        next(a).cmp(&next(b))
    })
}

/// The entries of a raw tree (`MODE NAME\0ID`, one after another).
struct Entries<'a> {
    rest: &'a [u8],
}

impl<'a> Entries<'a> {
    fn new(raw: &'a [u8]) -> Entries<'a> {
        Entries { rest: raw }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, git2::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let entry = split_entry(self.rest).and_then(|split| {
            self.rest = split.rest;
            Ok(Entry {
                name: split.name,
                id: Oid::from_bytes(split.id)?,
                kind: kind_of(split.mode),
            })
        });
        if entry.is_err() {
            self.rest = &[];
        }
        Some(entry)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::git::tests_support::*;

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

        let odb = repo.odb().unwrap();
        let mut trees = Trees::new(&odb);
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
            let git2 = match tree.get_path(std::path::Path::new(path)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Blob) => Some(entry.id()),
                _ => None,
            };
            assert_eq!(trees.blob_at(root, path).unwrap(), git2, "{path}");
            assert_eq!(trees.blob_at(root, path).unwrap(), git2, "{path}, again");
        }
        for damaged in [&b"100644 a.yaml\0short"[..], b"100644 a.yaml"] {
            assert!(Entries::new(damaged).any(|e| e.is_err()));
            assert!(find(damaged, b"a.yaml").is_err());
        }
    }

    /// A tree of `files` (path, content), folders made as needed.
    fn tree_of(repo: &git2::Repository, files: &[(&str, &str)]) -> Oid {
        let empty = repo.treebuilder(None).unwrap().write().unwrap();
        let base = repo.find_tree(empty).unwrap();
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (path, content) in files {
            let blob = repo.blob(content.as_bytes()).unwrap();
            update.upsert(*path, blob, git2::FileMode::Blob);
        }
        update.create_updated(repo, &base).unwrap()
    }

    /// The files libgit2 finds changed between two trees, in path order.
    fn libgit2_changes(repo: &git2::Repository, old: Option<Oid>, new: Option<Oid>) -> Vec<Change> {
        let find = |id: Option<Oid>| id.map(|id| repo.find_tree(id).unwrap());
        let (a, b) = (find(old), find(new));
        let diff = repo
            .diff_tree_to_tree(a.as_ref(), b.as_ref(), None)
            .unwrap();
        let mut expected: Vec<Change> = Vec::new();
        for delta in diff.deltas() {
            let side = |f: git2::DiffFile| (!f.id().is_zero()).then(|| f.id());
            let path = delta.new_file().path().or(delta.old_file().path()).unwrap();
            expected.push(Change {
                path: path.to_string_lossy().into_owned(),
                old: side(delta.old_file()),
                new: side(delta.new_file()),
            });
        }
        expected.sort_by(|p, q| p.path.cmp(&q.path));
        expected
    }

    #[test]
    fn the_trees_read_last_stay_and_the_oldest_go_when_the_cache_is_full() {
        let fx = fx();
        let repo = &fx.repo.repo;
        // A line of versions of one folder, each changing one file, as a walk meets them.
        let versions: Vec<Oid> = (0..6)
            .map(|v| {
                let files: Vec<(String, String)> = (0..40)
                    .map(|i| {
                        (
                            format!("e/r{i:02}.yaml"),
                            format!("id: r{i}\nv: {}\n", v * (i % 3)),
                        )
                    })
                    .collect();
                let files: Vec<(&str, &str)> = files
                    .iter()
                    .map(|(p, c)| (p.as_str(), c.as_str()))
                    .collect();
                tree_of(repo, &files)
            })
            .collect();
        let odb = repo.odb().unwrap();
        let mut trees = Trees::new(&odb);
        let folder = |tree: Oid| {
            let tree = repo.find_tree(tree).unwrap();
            tree.get_path(std::path::Path::new("e")).unwrap().id()
        };
        let folder_len = trees.raw(folder(versions[0])).unwrap().data().len();
        // Room for about three folders and their roots.
        trees.cap = folder_len * 3 + 100;
        for pair in versions.windows(2).rev() {
            let (old, new) = (Some(pair[0]), Some(pair[1]));
            let all = |_: &str| true;
            assert_eq!(
                trees.diff(old, new, &all).unwrap(),
                libgit2_changes(repo, old, new)
            );
            assert!(
                trees.raw_bytes <= trees.cap,
                "{} > {}",
                trees.raw_bytes,
                trees.cap
            );
            assert_eq!(trees.raw.len(), trees.read_order.len());
        }
        // The walk went from the newest to the oldest: the oldest read are gone.
        assert!(trees.raw.contains_key(&folder(versions[0])));
        assert!(!trees.raw.contains_key(&folder(versions[5])));
    }

    #[test]
    fn a_large_folder_compared_around_its_changes_gives_what_libgit2_finds() {
        let fx = fx();
        let repo = &fx.repo.repo;
        // Names that share long beginnings and are each other's prefixes, as records' are.
        let name = |i: usize| match i % 4 {
            0 => format!("e/r{i:03}.yaml"),
            1 => format!("e/r{:03}.yaml-{i}", i - 1),
            2 => format!("e/r{i:03}"),
            _ => format!("e/r{i:03}/inner.yaml"),
        };
        let base: Vec<(String, String)> = (0..240).map(|i| (name(i), format!("v0 {i}"))).collect();
        let mut seed = 7u64;
        let mut random = move |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let as_tree = |files: &[(String, String)]| {
            let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (&p[..], &c[..])).collect();
            tree_of(repo, &files)
        };
        let odb = repo.odb().unwrap();
        let mut trees = Trees::new(&odb);
        for round in 0..60 {
            let mut files = base.clone();
            // One to three edits: the first, the last, or any file; added, changed or gone.
            for _ in 0..1 + random(3) {
                let at = match random(4) {
                    0 => 0,
                    1 => files.len() - 1,
                    _ => random(files.len()),
                };
                match random(3) {
                    0 => files[at].1 = format!("v{round}"),
                    1 => {
                        files.remove(at);
                    }
                    _ => files.push((format!("{}x", files[at].0), "new".into())),
                }
            }
            let (old, new) = (as_tree(&base), as_tree(&files));
            for (a, b) in [(old, new), (new, old)] {
                assert_eq!(
                    trees.diff(Some(a), Some(b), &|_| true).unwrap(),
                    libgit2_changes(repo, Some(a), Some(b)),
                    "round {round}"
                );
            }
        }
        assert_eq!(common_end(b"xabc", b"abc"), 3);
        assert_eq!(common_end(b"", b"abc"), 0);
        assert_eq!(same_start(b"", b"100644 a\0"), 0);
    }

    #[test]
    fn diff_finds_the_files_libgit2_finds() {
        let fx = fx();
        let repo = &fx.repo.repo;
        let before = tree_of(
            repo,
            &[
                ("README", "r"),
                ("a", "file a"),
                ("a.yaml", "x"),
                ("e/one.yaml", "1"),
                ("e/two.yaml", "2"),
                ("e/deep/three.yaml", "3"),
                ("gone/x.txt", "x"),
                ("same/s.txt", "s"),
            ],
        );
        let after = tree_of(
            repo,
            &[
                ("README", "r"),
                ("a/now-a-folder.txt", "a"),
                ("a.yaml", "x2"),
                ("e/one.yaml", "1"),
                ("e/deep/three.yaml", "3!"),
                ("e/new.yaml", "n"),
                ("same/s.txt", "s"),
                ("z.txt", "z"),
            ],
        );
        let odb = repo.odb().unwrap();
        let mut trees = Trees::new(&odb);
        for (old, new) in [
            (Some(before), Some(after)),
            (Some(after), Some(before)),
            (None, Some(after)),
            (Some(before), None),
            (Some(before), Some(before)),
        ] {
            let expected = libgit2_changes(repo, old, new);
            assert_eq!(
                trees.diff(old, new, &|_| true).unwrap(),
                expected,
                "{old:?} -> {new:?}"
            );
        }
        assert!(
            trees
                .diff(Some(before), Some(after), &|_| true)
                .unwrap()
                .len()
                >= 7
        );
        let only_e: Vec<String> = trees
            .diff(Some(before), Some(after), &|folder| folder == "e/")
            .unwrap()
            .into_iter()
            .map(|c| c.path)
            .collect();
        assert_eq!(only_e, ["a", "a.yaml", "e/new.yaml", "e/two.yaml", "z.txt"]);
    }
}
