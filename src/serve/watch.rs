//! The proof that no record file changed since the server last looked, without a `stat` of
//! each: on Linux the kernel's inotify watches the experiments folder, each folder below it and
//! each record file, and a request drains the watch's queue (without waiting) before it trusts
//! what the server keeps. The kernel queues an event inside the system call that changes a
//! file (a write, a rename, a new name, a new link), so a change that finished before the
//! request began is always in the queue it drains.
//!
//! Wherever the proof cannot be given, [`Watch::version`] says so and the caller checks every
//! file's metadata as before: outside Linux, on a network or FUSE file system (which may not
//! report changes made elsewhere), when the kernel's queue overflowed, when a folder came, went
//! or was replaced, when the folder itself is no longer the one watched, or when a watch could
//! not be set (too many watches); after such a failure the watch is set again, at most once a
//! minute while it keeps failing.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

/// The server's watch on the record files.
#[derive(Default)]
pub struct Watch {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The watch set, while it holds.
    #[cfg(target_os = "linux")]
    live: Option<linux::Live>,
    /// The last number given; each version is a new one, never given twice.
    #[cfg(target_os = "linux")]
    last: u64,
    /// When setting the watch last failed.
    #[cfg(target_os = "linux")]
    failed: Option<std::time::Instant>,
}

/// How long after a failure the watch is not set again (each try walks every folder).
#[cfg(target_os = "linux")]
const RETRY: std::time::Duration = std::time::Duration::from_secs(60);

impl Watch {
    /// A number for the record files under `dir` as they are now: the same number again only
    /// while no file under `dir` changed in between, as the kernel proves. `None` when that
    /// cannot be proven; the caller then checks the files itself.
    ///
    /// Anything read after this call reflects the files at least as they were at it; a change
    /// made while the caller reads gives the next call a new number.
    pub fn version(&self, dir: &Path) -> Option<u64> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.version(dir)
    }
}

impl Inner {
    #[cfg(target_os = "linux")]
    fn version(&mut self, dir: &Path) -> Option<u64> {
        if let Some(live) = self.live.as_mut() {
            match live.drain(dir) {
                linux::Drained::Same => return Some(live.version),
                linux::Drained::Changed => {
                    self.last += 1;
                    live.version = self.last;
                    return Some(live.version);
                }
                linux::Drained::Lost => self.live = None,
            }
        }
        if self.failed.is_some_and(|at| at.elapsed() < RETRY) {
            return None;
        }
        self.last += 1;
        match linux::Live::set(dir, self.last) {
            Some(live) => {
                self.failed = None;
                let version = live.version;
                self.live = Some(live);
                Some(version)
            }
            None => {
                self.failed = Some(std::time::Instant::now());
                None
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    #[allow(clippy::unused_self)]
    fn version(&mut self, _dir: &Path) -> Option<u64> {
        None
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::HashMap;
    use std::ffi::OsStr;
    use std::os::unix::fs::MetadataExt;
    use std::path::{Path, PathBuf};

    use inotify::{EventMask, Inotify, WatchMask};

    /// A watch set on a folder and everything below it.
    pub struct Live {
        inotify: Inotify,
        /// The folder watched, and its device and inode when the watch was set.
        dir: PathBuf,
        root: (u64, u64),
        /// Each watched folder by its watch.
        dirs: HashMap<i32, PathBuf>,
        pub version: u64,
        buffer: Vec<u8>,
    }

    /// What the queue held.
    pub enum Drained {
        Same,
        Changed,
        /// The watch no longer proves anything; set it again.
        Lost,
    }

    /// What a folder's watch reports: names made, removed, renamed, written or changed in it,
    /// and the folder itself going.
    fn dir_mask() -> WatchMask {
        WatchMask::CREATE
            | WatchMask::DELETE
            | WatchMask::MOVED_FROM
            | WatchMask::MOVED_TO
            | WatchMask::MODIFY
            | WatchMask::CLOSE_WRITE
            | WatchMask::ATTRIB
            | WatchMask::DELETE_SELF
            | WatchMask::MOVE_SELF
            | WatchMask::ONLYDIR
            | WatchMask::DONT_FOLLOW
    }

    /// What a record file's own watch reports: a write or a change of its metadata through any
    /// of its names (a hard link elsewhere too), and its end.
    fn file_mask() -> WatchMask {
        WatchMask::MODIFY
            | WatchMask::CLOSE_WRITE
            | WatchMask::ATTRIB
            | WatchMask::DELETE_SELF
            | WatchMask::MOVE_SELF
            | WatchMask::DONT_FOLLOW
    }

    /// File systems whose changes made by another machine or process reach no watch: NFS, SMB
    /// and CIFS, FUSE (which virtiofs and sshfs are), 9p (shared folders of VMs and WSL), Ceph,
    /// AFS, Coda, Lustre, GPFS.
    const REMOTE: [i64; 12] = [
        0x6969,
        0x517b,
        0xff53_4d42,
        0xfe53_4d42,
        0x6573_5546,
        0x0102_1997,
        0x00c3_6400,
        0x5346_414f,
        0x6b41_4653,
        0x7375_7245,
        0x0bd0_0bd0,
        0x4750_4653,
    ];

    fn identity(dir: &Path) -> Option<(u64, u64)> {
        let meta = std::fs::metadata(dir).ok()?;
        meta.is_dir().then(|| (meta.dev(), meta.ino()))
    }

    impl Live {
        /// Watches `dir`, each folder below it (but those whose name starts with a dot, which
        /// hold no records) and each record file; `None` when any of it fails.
        pub fn set(dir: &Path, version: u64) -> Option<Live> {
            let kind = rustix::fs::statfs(dir).ok()?.f_type;
            #[allow(clippy::cast_possible_wrap, clippy::unnecessary_cast)]
            if REMOTE.contains(&(kind as i64)) {
                return None;
            }
            let inotify = Inotify::init().ok()?;
            let root = identity(dir)?;
            let mut live = Live {
                inotify,
                dir: dir.to_owned(),
                root,
                dirs: HashMap::new(),
                version,
                buffer: vec![0; 64 * 1024],
            };
            live.add_dir(dir)?;
            // The folder named now must still be the one watched.
            (identity(dir)? == root).then_some(live)
        }

        /// Watches a folder, then what it holds: a name made after the folder's watch is set
        /// is reported, one made before is listed.
        fn add_dir(&mut self, dir: &Path) -> Option<()> {
            let wd = self.inotify.watches().add(dir, dir_mask()).ok()?;
            self.dirs
                .insert(wd.get_watch_descriptor_id(), dir.to_owned());
            for entry in std::fs::read_dir(dir).ok()? {
                let entry = entry.ok()?;
                let name = entry.file_name();
                if name.as_encoded_bytes().starts_with(b".") {
                    continue;
                }
                let kind = entry.file_type().ok()?;
                if kind.is_dir() {
                    self.add_dir(&entry.path())?;
                } else if kind.is_file() && record_name(&name) {
                    self.add_file(&entry.path())?;
                }
            }
            Some(())
        }

        /// Watches a record file; one already gone again is no failure (its folder's watch
        /// reported it).
        fn add_file(&mut self, path: &Path) -> Option<()> {
            match self.inotify.watches().add(path, file_mask()) {
                Ok(_) => Some(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(()),
                Err(_) => None,
            }
        }

        /// Empties the queue without waiting, and says whether anything the record files are
        /// made of changed.
        pub fn drain(&mut self, dir: &Path) -> Drained {
            if dir != self.dir || identity(dir) != Some(self.root) {
                return Drained::Lost;
            }
            let mut changed = false;
            let mut buffer = std::mem::take(&mut self.buffer);
            let outcome = loop {
                let events = match self.inotify.read_events(&mut buffer) {
                    Ok(events) => events,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break Some(()),
                    Err(_) => break None,
                };
                let mut new_files = Vec::new();
                let mut lost = false;
                for event in events {
                    let id = event.wd.get_watch_descriptor_id();
                    let mask = event.mask;
                    if mask.contains(EventMask::Q_OVERFLOW) {
                        lost = true;
                        break;
                    }
                    let Some(folder) = self.dirs.get(&id) else {
                        // A record file's own watch (its end, or a change through any name).
                        changed = true;
                        continue;
                    };
                    if mask.intersects(
                        EventMask::DELETE_SELF
                            | EventMask::MOVE_SELF
                            | EventMask::IGNORED
                            | EventMask::UNMOUNT,
                    ) {
                        lost = true;
                        break;
                    }
                    let Some(name) = event.name else {
                        continue;
                    };
                    if name.as_encoded_bytes().starts_with(b".") {
                        // Names xp never reads (an editor's swap file, a temporary file).
                        continue;
                    }
                    if mask.contains(EventMask::ISDIR) {
                        if mask.intersects(
                            EventMask::CREATE
                                | EventMask::DELETE
                                | EventMask::MOVED_FROM
                                | EventMask::MOVED_TO,
                        ) {
                            // A folder came or went: walk them all again.
                            lost = true;
                            break;
                        }
                        continue;
                    }
                    if !record_name(name) {
                        continue;
                    }
                    changed = true;
                    if mask.intersects(EventMask::CREATE | EventMask::MOVED_TO) {
                        new_files.push(folder.join(name));
                    }
                }
                // A new record file is watched before anything reads it.
                if lost || new_files.iter().any(|p| self.add_file(p).is_none()) {
                    break None;
                }
            };
            self.buffer = buffer;
            match outcome {
                None => Drained::Lost,
                Some(()) if changed => Drained::Changed,
                Some(()) => Drained::Same,
            }
        }
    }

    fn record_name(name: &OsStr) -> bool {
        crate::store::is_record_name(&name.to_string_lossy())
    }
}
