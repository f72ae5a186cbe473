//! The index file read for the one path a write concerns, and that path's entry rewritten in
//! place.
//!
//! libgit2 parses every entry of the index into a map and hashes the file with
//! collision-detecting SHA-1 each time it reads or writes it: for 60,000 entries that is 90 ms
//! a read. A note changes one entry of a known length, so for the common layouts (versions 2
//! and 3 with only the cache-tree and resolve-undo extensions, the path already staged) xp
//! finds that entry by a scan, overwrites it in place, invalidates the cache tree along its
//! path as git does, and writes the checksum again. Every other layout goes to libgit2, as
//! before: [`IndexFile::parse_or_keep`] gives the bytes back for it.

use git2::{IndexEntry, IndexTime, Oid};
use sha1::{Digest, Sha1};

/// Bytes of an entry before its path: ten 32-bit stat and mode fields, the id, the flags.
const FIXED: usize = 40 + ID + 2;
const ID: usize = 20;
/// In the flags: the entry has a second flags word (version 3).
const EXTENDED: u16 = 0x4000;
/// In the second flags word: `git add -N`.
const INTENT_TO_ADD: u16 = 0x2000;
/// The longest name length the flags can hold; longer paths end at their NUL.
const NAME_MASK: u16 = 0x0fff;

/// An index file whose entries this module can walk, checksum verified.
#[derive(Clone)]
pub(super) struct IndexFile {
    bytes: Vec<u8>,
    count: usize,
    /// Where the extensions start.
    entries_end: usize,
}

/// One path's entries: for each stage (0 to 3), its offset in the file, blob and flags.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stages([Option<RawEntry>; 4]);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RawEntry {
    offset: usize,
    id: Oid,
    extended: Option<u16>,
}

impl Stages {
    /// Whether the path is conflicted (has a stage 1, 2 or 3).
    pub(super) fn conflicted(&self) -> bool {
        self.0[1..].iter().any(Option::is_some)
    }

    /// The blob staged at stage 0, unless it is only intended to be added (`git add -N`).
    pub(super) fn staged(&self) -> Option<Oid> {
        self.0[0]
            .filter(|e| e.extended.unwrap_or(0) & INTENT_TO_ADD == 0)
            .map(|e| e.id)
    }
}

impl IndexFile {
    /// [`IndexFile::parse_or_keep`], for tests.
    #[cfg(test)]
    pub(super) fn parse(bytes: Vec<u8>) -> Option<IndexFile> {
        IndexFile::parse_or_keep(bytes).ok()
    }

    /// The index in `bytes`, when it has a layout this module handles and its checksum and
    /// structure hold; else the bytes back, for libgit2, which also names what is broken.
    pub(super) fn parse_or_keep(bytes: Vec<u8>) -> Result<IndexFile, Vec<u8>> {
        match IndexFile::layout(&bytes) {
            Some((count, entries_end)) => Ok(IndexFile {
                bytes,
                count,
                entries_end,
            }),
            None => Err(bytes),
        }
    }

    /// The whole file.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many entries the index has and where they end, when this module reads its layout.
    fn layout(bytes: &[u8]) -> Option<(usize, usize)> {
        if bytes.len() < 12 + ID || &bytes[..4] != b"DIRC" || !matches!(be32(bytes, 4), 2 | 3) {
            return None;
        }
        let (body, sum) = bytes.split_at(bytes.len() - ID);
        // An all-zero checksum is index.skipHash's, left to libgit2 too.
        if Sha1::digest(body)[..] != *sum {
            return None;
        }
        let count = be32(bytes, 8) as usize;
        let mut at = 12;
        for _ in 0..count {
            at = entry_at(body, at)?.end;
        }
        let entries_end = at;
        while at < body.len() {
            let size = be32(body.get(..at + 8)?, at + 4) as usize;
            if !matches!(&body[at..at + 4], b"TREE" | b"REUC") {
                return None;
            }
            at = at.checked_add(8 + size).filter(|&end| end <= body.len())?;
        }
        Some((count, entries_end))
    }

    /// Each entry: its offset, flags, second flags word (if any) and path.
    fn entries(&self) -> impl Iterator<Item = (usize, u16, Option<u16>, &[u8])> + '_ {
        let body = &self.bytes[..self.entries_end];
        let mut at = 12;
        // parse() walked every entry already: none is missing.
        (0..self.count).map_while(move |_| {
            let entry = entry_at(body, at)?;
            let start = at;
            at = entry.end;
            Some((start, entry.flags, entry.extended, entry.name))
        })
    }

    fn id_at(&self, at: usize) -> Oid {
        Oid::from_bytes(&self.bytes[at + 40..at + 40 + ID]).unwrap_or(Oid::ZERO_SHA1)
    }

    /// The entries of `path`, stage by stage.
    pub(super) fn stages(&self, path: &str) -> Stages {
        let mut stages = Stages::default();
        for (at, flags, extended, name) in self.entries() {
            if name == path.as_bytes() {
                stages.0[usize::from((flags >> 12) & 3)] = Some(RawEntry {
                    offset: at,
                    id: self.id_at(at),
                    extended,
                });
            }
        }
        stages
    }

    /// The stage-0 entries for files called `file_name`, in any folder, as libgit2 has them.
    pub(super) fn entries_named(&self, file_name: &str) -> Vec<IndexEntry> {
        let (name, nested) = (file_name.as_bytes(), format!("/{file_name}"));
        let field = |at: usize, i: usize| be32(&self.bytes, at + 4 * i);
        self.entries()
            .filter(|&(_, flags, _, path)| {
                (flags >> 12) & 3 == 0 && (path == name || path.ends_with(nested.as_bytes()))
            })
            .map(|(at, flags, extended, path)| IndexEntry {
                ctime: IndexTime::new(field(at, 0) as i32, field(at, 1)),
                mtime: IndexTime::new(field(at, 2) as i32, field(at, 3)),
                dev: field(at, 4),
                ino: field(at, 5),
                mode: field(at, 6),
                uid: field(at, 7),
                gid: field(at, 8),
                file_size: field(at, 9),
                id: self.id_at(at),
                flags,
                flags_extended: extended.unwrap_or(0),
                path: path.to_vec(),
            })
            .collect()
    }

    /// The index with `entry` in place of the stage-0 entry of its path, entries modified in
    /// or after the second `racy_from` smudged (their size zeroed, so that git looks at their
    /// content again), the cache tree invalidated along the path; None when that cannot be
    /// done in place (the path is not staged alone at stage 0, or its entry has extended flags).
    pub(super) fn with_entry(
        mut self,
        entry: &IndexEntry,
        racy_from: Option<i64>,
    ) -> Option<Vec<u8>> {
        let path = std::str::from_utf8(&entry.path).ok()?;
        let stages = self.stages(path);
        let old = stages.0[0].filter(|e| e.extended.is_none() && !stages.conflicted())?;
        if let Some(racy_from) = racy_from {
            let racy: Vec<usize> = self
                .entries()
                .map(|(at, ..)| at)
                .filter(|&at| i64::from(be32(&self.bytes, at + 8)) >= racy_from)
                .collect();
            for at in racy {
                self.bytes[at + 36..at + 40].fill(0);
            }
        }
        let fields = [
            entry.ctime.seconds() as u32,
            entry.ctime.nanoseconds(),
            entry.mtime.seconds() as u32,
            entry.mtime.nanoseconds(),
            entry.dev,
            entry.ino,
            entry.mode,
            entry.uid,
            entry.gid,
            entry.file_size,
        ];
        let at = old.offset;
        for (i, field) in fields.iter().enumerate() {
            self.bytes[at + 4 * i..at + 4 * i + 4].copy_from_slice(&field.to_be_bytes());
        }
        self.bytes[at + 40..at + 40 + ID].copy_from_slice(entry.id.as_bytes());
        let name_len = entry.path.len().min(usize::from(NAME_MASK)) as u16;
        self.bytes[at + FIXED - 2..at + FIXED].copy_from_slice(&name_len.to_be_bytes());

        let body_end = self.bytes.len() - ID;
        let mut out = Vec::with_capacity(self.bytes.len() + 64);
        out.extend_from_slice(&self.bytes[..self.entries_end]);
        let mut at = self.entries_end;
        while at < body_end {
            let size = be32(&self.bytes, at + 4) as usize;
            let data = &self.bytes[at + 8..at + 8 + size];
            if &self.bytes[at..at + 4] == b"TREE" {
                let tree = invalidate(data, path)?;
                out.extend_from_slice(b"TREE");
                out.extend_from_slice(&u32::try_from(tree.len()).ok()?.to_be_bytes());
                out.extend_from_slice(&tree);
            } else {
                out.extend_from_slice(&self.bytes[at..at + 8 + size]);
            }
            at += 8 + size;
        }
        let sum = Sha1::digest(&out);
        out.extend_from_slice(&sum);
        Some(out)
    }
}

/// One entry's flags, second flags word, path and where it ends, read at `at`; None when it
/// runs past `bytes` or its path does not end with a NUL.
struct EntryAt<'a> {
    flags: u16,
    extended: Option<u16>,
    name: &'a [u8],
    end: usize,
}

fn entry_at(bytes: &[u8], at: usize) -> Option<EntryAt<'_>> {
    let flags = be16(bytes.get(..at + FIXED)?, at + FIXED - 2);
    let extended = if flags & EXTENDED != 0 {
        Some(be16(bytes.get(..at + FIXED + 2)?, at + FIXED))
    } else {
        None
    };
    let name_at = at + FIXED + if extended.is_some() { 2 } else { 0 };
    let len = match flags & NAME_MASK {
        NAME_MASK => memchr::memchr(0, bytes.get(name_at..)?)?,
        len => usize::from(len),
    };
    // Entries are padded with NULs to a multiple of 8 bytes.
    let end = at + ((name_at - at + len + 8) & !7);
    (end <= bytes.len() && bytes.get(name_at + len) == Some(&0)).then(|| EntryAt {
        flags,
        extended,
        name: &bytes[name_at..name_at + len],
        end,
    })
}

/// The cache-tree extension with the root and every directory on `path` marked invalid
/// (`-1` entries and no tree id), as git does when an entry below them changes.
///
/// Each node is `NAME\0ENTRIES SUBTREES\n` followed by its tree id when ENTRIES is not -1,
/// then its SUBTREES children, depth first.
fn invalidate(data: &[u8], path: &str) -> Option<Vec<u8>> {
    let dirs: Vec<&str> = path.split('/').collect();
    let dirs = &dirs[..dirs.len() - 1];
    let mut out = Vec::with_capacity(data.len());
    let mut at = 0;
    node(data, &mut at, &mut out, Some(dirs))?;
    (at == data.len()).then_some(out)
}

/// Copies the node at `*at` and its children to `out`; `on_path` holds the directories still
/// to go below it when it lies on the changed path (None when it does not).
fn node(data: &[u8], at: &mut usize, out: &mut Vec<u8>, on_path: Option<&[&str]>) -> Option<()> {
    let nul = *at + memchr::memchr(0, data.get(*at..)?)?;
    let newline = nul + memchr::memchr(b'\n', data.get(nul..)?)?;
    let name = &data[*at..nul];
    let counts = std::str::from_utf8(&data[nul + 1..newline]).ok()?;
    let (entries, subtrees) = counts.split_once(' ')?;
    let entries: i64 = entries.parse().ok()?;
    let subtrees: usize = subtrees.parse().ok()?;
    *at = newline + 1;
    let id = if entries >= 0 {
        let id = data.get(*at..*at + ID)?;
        *at += ID;
        Some(id)
    } else {
        None
    };
    out.extend_from_slice(name);
    out.push(0);
    match (on_path, id) {
        (Some(_), _) | (None, None) => out.extend_from_slice(format!("-1 {subtrees}\n").as_bytes()),
        (None, Some(id)) => {
            out.extend_from_slice(format!("{entries} {subtrees}\n").as_bytes());
            out.extend_from_slice(id);
        }
    }
    for _ in 0..subtrees {
        let below = on_path.and_then(|dirs| {
            let (first, rest) = dirs.split_first()?;
            let child_name = data.get(*at..*at + memchr::memchr(0, data.get(*at..)?)?)?;
            (child_name == first.as_bytes()).then_some(rest)
        });
        node(data, at, out, below)?;
    }
    Some(())
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn be16(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::fs;

    use git2::FileMode;

    use super::*;
    use crate::git::index::{index_entry, write_with_libgit2};
    use crate::git::tests_support::*;

    const OLD: u64 = 1_600_000_000;
    const NESTED: &str = "experiments/nested/b.yaml";

    /// A repository whose index git wrote, with a cache tree, files in nested folders and
    /// modification times in 2020.
    fn committed() -> Fx {
        let fx = fx();
        let files = [
            "README",
            "docs/x.md",
            "experiments/a.yaml",
            NESTED,
            "z/y.txt",
        ];
        for (i, rel) in files.iter().enumerate() {
            fx.write(rel, &format!("file {i}\n"));
        }
        fx.backdate(&files, OLD);
        fx.git(&["add", "-A"]);
        fx.git(&["commit", "-q", "-m", "base"]);
        fx
    }

    fn index_bytes(fx: &Fx) -> Vec<u8> {
        fx.read(".git/index").unwrap()
    }

    /// `rel`'s entry for new content written now, as a note makes it.
    fn new_entry(fx: &Fx, rel: &str, content: &str) -> IndexEntry {
        fx.write(rel, content);
        let blob = fx.repo.repo.blob(content.as_bytes()).unwrap();
        let meta = fs::symlink_metadata(fx.root.join(rel)).unwrap();
        index_entry(rel, blob, FileMode::Blob, Some(&meta))
    }

    /// What libgit2 makes of `bytes` with `entry` put in.
    fn by_libgit2(fx: &Fx, bytes: &[u8], racy_from: Option<i64>, entry: &IndexEntry) -> Vec<u8> {
        let path = fx.root.join(".git/reference-index");
        fs::write(&path, bytes).unwrap();
        write_with_libgit2(&path, racy_from, std::slice::from_ref(entry)).unwrap();
        fs::read(&path).unwrap()
    }

    #[test]
    fn an_entry_patched_in_place_is_the_index_libgit2_writes() {
        let fx = committed();
        let bytes = index_bytes(&fx);
        assert!(
            bytes.windows(4).any(|w| w == b"TREE"),
            "git wrote a cache tree"
        );
        for (rel, racy_from) in [
            (NESTED, None),
            ("README", None),
            ("z/y.txt", Some(OLD as i64)),
            (NESTED, Some(OLD as i64 + 1)),
        ] {
            let entry = new_entry(&fx, rel, "changed\n");
            let patched = IndexFile::parse(bytes.clone())
                .unwrap()
                .with_entry(&entry, racy_from)
                .unwrap();
            let reference = by_libgit2(&fx, &bytes, racy_from, &entry);
            let end = IndexFile::parse(patched.clone()).unwrap().entries_end;
            assert_eq!(
                patched[..end],
                reference[..end],
                "{rel}, racy from {racy_from:?}"
            );
            if racy_from.is_none() {
                assert_eq!(patched, reference, "{rel}, and the cache tree");
            }
            // Smudged entries keep their content: git leaves their cache tree alone, where
            // libgit2 invalidates it as for any entry it adds.
            // git reads it, and finds the cache tree invalid only along the path.
            fs::write(fx.root.join(".git/index"), &patched).unwrap();
            fx.git(&["status", "--porcelain"]);
            let file = IndexFile::parse(patched).unwrap();
            assert_eq!(file.stages(rel).staged(), Some(entry.id));
            fs::write(fx.root.join(".git/index"), &bytes).unwrap();
        }
    }

    #[test]
    fn the_cache_tree_is_invalidated_along_the_path_only() {
        let fx = committed();
        let entry = new_entry(&fx, NESTED, "changed\n");
        let patched = IndexFile::parse(index_bytes(&fx))
            .unwrap()
            .with_entry(&entry, None)
            .unwrap();
        let tree_at = patched.windows(4).rposition(|w| w == b"TREE").unwrap();
        let tree = &patched[tree_at + 8..patched.len() - ID];
        // Name, entry count (-1: invalid) and subtree count of each node, depth first.
        let mut nodes = Vec::new();
        let mut at = 0;
        while at < tree.len() {
            let nul = at + memchr::memchr(0, &tree[at..]).unwrap();
            let newline = nul + memchr::memchr(b'\n', &tree[nul..]).unwrap();
            let name = String::from_utf8_lossy(&tree[at..nul]).into_owned();
            let counts = String::from_utf8_lossy(&tree[nul + 1..newline]).into_owned();
            at = newline + 1 + if counts.starts_with("-1") { 0 } else { ID };
            nodes.push(format!("{name}: {counts}"));
        }
        assert_eq!(
            nodes,
            [
                ": -1 3",
                "z: 1 0",
                "docs: 1 0",
                "experiments: -1 1",
                "nested: -1 0"
            ]
        );

        // git takes it: the tree it writes from it holds the new content.
        fs::write(fx.root.join(".git/index"), &patched).unwrap();
        let written = fx.git(&["write-tree"]);
        let written = fx
            .repo
            .repo
            .find_tree(Oid::from_str(written.trim()).unwrap())
            .unwrap();
        let blob = written.get_path(std::path::Path::new(NESTED)).unwrap().id();
        assert_eq!(blob, entry.id);
    }

    #[test]
    fn layouts_it_does_not_handle_go_to_libgit2() {
        let fx = committed();
        let bytes = index_bytes(&fx);

        let mut damaged = bytes.clone();
        damaged[20] ^= 1;
        assert!(IndexFile::parse(damaged).is_none(), "checksum");
        assert!(
            IndexFile::parse(bytes[..bytes.len() - 1].to_vec()).is_none(),
            "cut short"
        );

        let new_file = new_entry(&fx, "experiments/new.yaml", "new\n");
        let file = || IndexFile::parse(bytes.clone()).unwrap();
        assert!(
            file().with_entry(&new_file, None).is_none(),
            "not staged yet"
        );
        assert_eq!(file().stages("experiments/new.yaml"), Stages::default());

        fx.git(&["add", "-N", "experiments/new.yaml"]);
        let intent = IndexFile::parse(index_bytes(&fx)).unwrap();
        assert_eq!(intent.stages("experiments/new.yaml").staged(), None);
        assert!(intent.stages("experiments/new.yaml").0[0].is_some());
        assert!(
            intent.with_entry(&new_file, None).is_none(),
            "extended flags"
        );

        fx.git(&["update-index", "--index-version", "4"]);
        assert!(IndexFile::parse(index_bytes(&fx)).is_none(), "version 4");
        fx.git(&["update-index", "--index-version", "2"]);
        fx.git(&[
            "-c",
            "core.untrackedCache=true",
            "update-index",
            "--untracked-cache",
        ]);
        fx.git(&["-c", "core.untrackedCache=true", "status", "--porcelain"]);
        let untracked = index_bytes(&fx);
        assert!(untracked.windows(4).any(|w| w == b"UNTR"));
        assert!(IndexFile::parse(untracked).is_none(), "untracked cache");
    }
}
