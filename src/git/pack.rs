//! A pack file written in one pass, with its index, as `git fast-import` writes one: whole
//! objects, and new versions of a tree as deltas against the version before.
//!
//! A chain of one-file commits writes a new version of every folder on the file's path per
//! commit; for a folder of 10,000 records that is 10,000 trees of up to 600 KB. Written as
//! loose objects each would be compressed whole; here each is a delta of a few dozen bytes
//! against the previous version (a whole one every [`MAX_DEPTH`] versions, so that reading
//! one never applies a long chain), and only the deltas are compressed.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use git2::Oid;
use sha1::{Digest, Sha1};

use super::GitError;

/// Most deltas between a tree and its last whole version (git's `pack.depth` default).
const MAX_DEPTH: u32 = 50;

/// Trees smaller than this are stored whole: a delta would save little.
const MIN_DELTA: usize = 1024;

/// zlib level: fast, as `git fast-import` and `pack.compression=1` trade size for speed.
const LEVEL: u8 = 1;

/// What an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Commit = 1,
    Tree = 2,
    Blob = 3,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
        }
    }
}

/// The type number of a delta whose base is named by its offset in the same pack.
const OFS_DELTA: u8 = 6;

/// An object already in the pack that a later version can be a delta of.
pub(super) struct Base {
    offset: u64,
    depth: u32,
    bytes: Vec<u8>,
}

/// A pack being written: its objects go to a temporary file in `objects/pack/`, and
/// [`PackWriter::finish`] gives it its name and its index.
pub(super) struct PackWriter {
    dir: PathBuf,
    temp: tempfile::NamedTempFile,
    out: BufWriter<File>,
    hasher: Sha1,
    offset: u64,
    expected: u32,
    /// Each object's id, offset and the CRC-32 of its bytes in the pack.
    objects: Vec<(Oid, u64, u32)>,
}

/// The id git gives an object of this kind and content.
pub(super) fn object_id(kind: Kind, data: &[u8]) -> Oid {
    let mut hasher = Sha1::new();
    hasher.update(format!("{} {}\0", kind.name(), data.len()).as_bytes());
    hasher.update(data);
    oid(&hasher.finalize())
}

fn oid(digest: &[u8]) -> Oid {
    // Twenty bytes always make an id.
    Oid::from_bytes(digest).unwrap_or(Oid::ZERO_SHA1)
}

impl PackWriter {
    /// Starts a pack of exactly `count` objects in `objects_dir/pack`.
    pub(super) fn create(objects_dir: &Path, count: u32) -> Result<PackWriter, GitError> {
        let dir = objects_dir.join("pack");
        fs::create_dir_all(&dir).map_err(GitError::io(&dir))?;
        let temp = tempfile::Builder::new()
            .prefix("tmp_pack_xp_")
            .tempfile_in(&dir)
            .map_err(GitError::io(&dir))?;
        let file = temp.reopen().map_err(GitError::io(temp.path()))?;
        let mut pack = PackWriter {
            dir,
            temp,
            out: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha1::new(),
            offset: 0,
            expected: count,
            objects: Vec::with_capacity(count as usize),
        };
        let mut header = b"PACK".to_vec();
        header.extend_from_slice(&2u32.to_be_bytes());
        header.extend_from_slice(&count.to_be_bytes());
        pack.put(&header)?;
        Ok(pack)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), GitError> {
        self.hasher.update(bytes);
        self.offset += bytes.len() as u64;
        self.out
            .write_all(bytes)
            .map_err(GitError::io(self.temp.path()))
    }

    /// Writes one entry (its header and compressed data) and records it.
    fn entry(&mut self, id: Oid, header: &[u8], data: &[u8]) -> Result<u64, GitError> {
        let at = self.offset;
        let packed = miniz_oxide::deflate::compress_to_vec_zlib(data, LEVEL);
        let crc = crc32(crc32(0, header), &packed);
        self.put(header)?;
        self.put(&packed)?;
        self.objects.push((id, at, crc));
        Ok(at)
    }

    /// Writes an object whole; returns its id and where it starts.
    pub(super) fn whole(&mut self, kind: Kind, data: &[u8]) -> Result<(Oid, u64), GitError> {
        let id = object_id(kind, data);
        let mut header = Vec::with_capacity(10);
        entry_header(kind as u8, data.len() as u64, &mut header);
        let at = self.entry(id, &header, data)?;
        Ok((id, at))
    }

    /// Writes a tree, as a delta of `base` (its previous version in this pack) when that pays;
    /// returns its id and what the next version can be a delta of.
    pub(super) fn tree(
        &mut self,
        data: Vec<u8>,
        base: Option<&Base>,
    ) -> Result<(Oid, Base), GitError> {
        let base = base.filter(|b| b.depth < MAX_DEPTH && data.len() >= MIN_DELTA);
        let Some(base) = base else {
            let (id, offset) = self.whole(Kind::Tree, &data)?;
            return Ok((
                id,
                Base {
                    offset,
                    depth: 0,
                    bytes: data,
                },
            ));
        };
        let id = object_id(Kind::Tree, &data);
        let delta = delta(&base.bytes, &data);
        let mut header = Vec::with_capacity(20);
        entry_header(OFS_DELTA, delta.len() as u64, &mut header);
        offset_encoding(self.offset - base.offset, &mut header);
        let offset = self.entry(id, &header, &delta)?;
        Ok((
            id,
            Base {
                offset,
                depth: base.depth + 1,
                bytes: data,
            },
        ))
    }

    /// Ends the pack with its checksum, writes its index, syncs both and moves them into place
    /// (the index last: git sees a pack once its index is there). Returns the pack's path.
    pub(super) fn finish(mut self) -> Result<PathBuf, GitError> {
        if self.objects.len() != self.expected as usize {
            return Err(GitError::Io {
                path: self.temp.path().to_owned(),
                source: std::io::Error::other(format!(
                    "the pack holds {} objects, not the {} announced",
                    self.objects.len(),
                    self.expected
                )),
            });
        }
        let checksum = self.hasher.clone().finalize();
        let path = self.temp.path().to_owned();
        self.out.write_all(&checksum).map_err(GitError::io(&path))?;
        let file = self
            .out
            .into_inner()
            .map_err(|e| GitError::io(&path)(e.into_error()))?;
        file.sync_all().map_err(GitError::io(&path))?;
        let name = format!("pack-{}", hex(&checksum));
        let index = index_bytes(&mut self.objects, &checksum);
        let mut idx = tempfile::Builder::new()
            .prefix("tmp_idx_xp_")
            .tempfile_in(&self.dir)
            .map_err(GitError::io(&self.dir))?;
        idx.write_all(&index).map_err(GitError::io(idx.path()))?;
        idx.as_file().sync_all().map_err(GitError::io(idx.path()))?;
        // Read-only, as git leaves its packs.
        for file in [self.temp.as_file(), idx.as_file()] {
            read_only(file).map_err(GitError::io(&self.dir))?;
        }
        let pack_path = self.dir.join(format!("{name}.pack"));
        let idx_path = self.dir.join(format!("{name}.idx"));
        self.temp
            .persist(&pack_path)
            .map_err(|e| GitError::io(&pack_path)(e.error))?;
        idx.persist(&idx_path)
            .map_err(|e| GitError::io(&idx_path)(e.error))?;
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(pack_path)
    }
}

#[cfg(unix)]
fn read_only(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o444))
}

#[cfg(not(unix))]
fn read_only(file: &File) -> std::io::Result<()> {
    let mut permissions = file.metadata()?.permissions();
    permissions.set_readonly(true);
    file.set_permissions(permissions)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The pack index (version 2) of `objects` (sorted here), for the pack with `checksum`.
fn index_bytes(objects: &mut [(Oid, u64, u32)], checksum: &[u8]) -> Vec<u8> {
    objects.sort_by_key(|o| o.0);
    let mut out = Vec::with_capacity(8 + 1024 + objects.len() * 32 + 40);
    out.extend_from_slice(&[0xff, b't', b'O', b'c']);
    out.extend_from_slice(&2u32.to_be_bytes());
    let mut fanout = [0u32; 256];
    for (id, _, _) in objects.iter() {
        fanout[id.as_bytes()[0] as usize] += 1;
    }
    let mut total = 0;
    for n in fanout {
        total += n;
        out.extend_from_slice(&total.to_be_bytes());
    }
    for (id, _, _) in objects.iter() {
        out.extend_from_slice(id.as_bytes());
    }
    for (_, _, crc) in objects.iter() {
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut large = Vec::new();
    for (_, offset, _) in objects.iter() {
        let small = if *offset < 0x8000_0000 {
            *offset as u32
        } else {
            large.push(*offset);
            0x8000_0000 | (large.len() as u32 - 1)
        };
        out.extend_from_slice(&small.to_be_bytes());
    }
    for offset in large {
        out.extend_from_slice(&offset.to_be_bytes());
    }
    out.extend_from_slice(checksum);
    let own = Sha1::digest(&out);
    out.extend_from_slice(&own);
    out
}

/// A pack entry's header: the type and the size of the (uncompressed) data, 7 bits a byte
/// after the first 4.
fn entry_header(kind: u8, mut size: u64, out: &mut Vec<u8>) {
    let mut byte = (kind << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size > 0 {
        out.push(byte | 0x80);
        byte = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(byte);
}

/// How far back a delta's base starts, as git encodes it (big-endian, each continuation
/// byte standing for one more than its bits).
fn offset_encoding(mut distance: u64, out: &mut Vec<u8>) {
    let mut bytes = [0u8; 10];
    let mut at = bytes.len() - 1;
    bytes[at] = (distance & 0x7f) as u8;
    distance >>= 7;
    while distance > 0 {
        distance -= 1;
        at -= 1;
        bytes[at] = 0x80 | (distance & 0x7f) as u8;
        distance >>= 7;
    }
    out.extend_from_slice(&bytes[at..]);
}

/// A size in a delta's header: 7 bits a byte, least significant first.
fn delta_size(mut size: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The delta that makes `target` from `base`: what both start and end with is copied, the
/// middle inserted (a changed tree differs from its last version in one place per folder).
pub(super) fn delta(base: &[u8], target: &[u8]) -> Vec<u8> {
    let most = base.len().min(target.len());
    let prefix = base
        .iter()
        .zip(target)
        .position(|(a, b)| a != b)
        .unwrap_or(most);
    let suffix = base
        .iter()
        .rev()
        .zip(target.iter().rev())
        .take(most - prefix)
        .position(|(a, b)| a != b)
        .unwrap_or(most - prefix);
    let mut out = Vec::with_capacity(32 + target.len() - prefix - suffix);
    delta_size(base.len(), &mut out);
    delta_size(target.len(), &mut out);
    copy(0, prefix, &mut out);
    for chunk in target[prefix..target.len() - suffix].chunks(0x7f) {
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
    copy(base.len() - suffix, suffix, &mut out);
    out
}

/// Copy instructions for `len` bytes of the base from `offset`, 64 KiB at most each.
fn copy(mut offset: usize, mut len: usize, out: &mut Vec<u8>) {
    while len > 0 {
        let size = len.min(0x10000);
        let mut op = 0x80u8;
        let mut args = Vec::with_capacity(7);
        for i in 0..4 {
            let byte = ((offset >> (8 * i)) & 0xff) as u8;
            if byte != 0 {
                op |= 1 << i;
                args.push(byte);
            }
        }
        for i in 0..3 {
            let byte = ((size >> (8 * i)) & 0xff) as u8;
            if byte != 0 {
                op |= 0x10 << i;
                args.push(byte);
            }
        }
        out.push(op);
        out.extend_from_slice(&args);
        offset += size;
        len -= size;
    }
}

/// CRC-32 (IEEE), as the pack index keeps for each entry.
fn crc32(crc: u32, bytes: &[u8]) -> u32 {
    let mut crc = !crc;
    for &b in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Applies a delta as git does, checking every bound.
    fn apply(base: &[u8], delta: &[u8]) -> Vec<u8> {
        let mut at = 0;
        let mut size = || {
            let (mut n, mut shift) = (0usize, 0);
            loop {
                let b = delta[at];
                at += 1;
                n |= ((b & 0x7f) as usize) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    return n;
                }
            }
        };
        assert_eq!(size(), base.len());
        let want = size();
        let mut out = Vec::new();
        while at < delta.len() {
            let op = delta[at];
            at += 1;
            if op & 0x80 != 0 {
                let (mut offset, mut len) = (0usize, 0usize);
                for i in 0..4 {
                    if op & (1 << i) != 0 {
                        offset |= (delta[at] as usize) << (8 * i);
                        at += 1;
                    }
                }
                for i in 0..3 {
                    if op & (0x10 << i) != 0 {
                        len |= (delta[at] as usize) << (8 * i);
                        at += 1;
                    }
                }
                if len == 0 {
                    len = 0x10000;
                }
                out.extend_from_slice(&base[offset..offset + len]);
            } else {
                assert!(op > 0);
                out.extend_from_slice(&delta[at..at + op as usize]);
                at += op as usize;
            }
        }
        assert_eq!(out.len(), want);
        out
    }

    #[test]
    fn deltas_rebuild_their_target() {
        let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut inserted = big.clone();
        inserted.splice(70_000..70_000, b"a new entry".iter().copied());
        let mut replaced = big.clone();
        replaced[150_000..150_020].copy_from_slice(&[9; 20]);
        let cases: [(&[u8], &[u8]); 7] = [
            (&big, &inserted),
            (&big, &replaced),
            (b"", b"all new"),
            (b"same", b"same"),
            (b"abcabc", b"abc"),
            (b"abc", b"abcabc"),
            (&big, &big[..300]),
        ];
        for (base, target) in cases {
            assert_eq!(apply(base, &delta(base, target)), target);
        }
        assert!(delta(&big, &inserted).len() < 64);
    }

    #[test]
    fn crc32_and_encodings_are_gits() {
        assert_eq!(crc32(0, b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(crc32(0, b"1234"), b"56789"), 0xcbf4_3926);
        let mut out = Vec::new();
        entry_header(3, 5, &mut out);
        assert_eq!(out, [0x35]);
        out.clear();
        entry_header(2, 300, &mut out);
        assert_eq!(out, [0xac, 0x12]);
        out.clear();
        offset_encoding(127, &mut out);
        assert_eq!(out, [0x7f]);
        out.clear();
        offset_encoding(128, &mut out);
        assert_eq!(out, [0x80, 0x00]);
        assert_eq!(
            object_id(Kind::Blob, b"hello\n").to_string(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }
}
