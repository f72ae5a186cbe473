//! Finding the experiments directory, reading and writing record files: the only file I/O on
//! records. Writes are atomic (temporary file, fsync, rename); in a git repository the
//! temporary file lives in the git directory, so that a kill never leaves one among the records.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::error::Error;
use crate::rules::{self, Checked};

/// Longest slug, in characters.
pub const MAX_SLUG: usize = 60;

/// One record file as read from disk.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Absolute path.
    pub path: PathBuf,
    /// The path as shown to the user.
    pub shown: PathBuf,
    /// The file name without its extension.
    pub slug: String,
    pub bytes: Vec<u8>,
    pub checked: Checked,
}

/// The experiments directory and how to show paths in it.
#[derive(Debug, Clone)]
pub struct Store {
    /// Absolute path of the experiments directory.
    pub dir: PathBuf,
    /// Paths are shown relative to this directory (the current one).
    base: PathBuf,
    /// Where temporary files are made before they are renamed into place, when not beside the
    /// record (the git directory).
    scratch: Option<PathBuf>,
}

/// The prefix and suffix of xp's temporary files.
const TEMP: (&str, &str) = (".xp-", ".tmp");

impl Store {
    /// The store at `dir` (absolute), showing paths relative to `base`.
    pub fn new(dir: PathBuf, base: PathBuf) -> Store {
        Store {
            dir,
            base,
            scratch: None,
        }
    }

    /// Makes temporary files in `scratch` (on the same file system, else beside the record).
    pub fn with_scratch(mut self, scratch: PathBuf) -> Store {
        self.scratch = Some(scratch);
        self
    }

    /// Removes temporary files a killed xp command left; call it only while no other xp command
    /// can be writing (holding the repository's write lock).
    pub fn sweep(&self) {
        for dir in self.scratch.iter().chain([&self.dir]) {
            let Ok(entries) = fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                if is_file && name.starts_with(TEMP.0) && name.ends_with(TEMP.1) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }

    /// Refuses a path outside the experiments directory, or reached through a symbolic link
    /// (the directory itself, a folder inside it, or the file).
    fn check_inside(&self, path: &Path) -> Result<(), Error> {
        self.check_parents(path, true)?;
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => Err(self.link(path)),
            _ => Ok(()),
        }
    }

    /// [`Store::check_inside`] but for the last component, which the caller looks at itself;
    /// and for the experiments directory itself only when `dir` (a caller reading many files
    /// looks at it once for them all).
    fn check_parents(&self, path: &Path, dir: bool) -> Result<(), Error> {
        let shown = self.show(path);
        let rel = match path.strip_prefix(&self.dir) {
            Ok(rel) if rel.components().all(|c| matches!(c, Component::Normal(_))) => rel,
            _ => {
                return Err(Error::failed(
                    format!("{} is outside the experiments directory", shown.display()),
                    "xp reads and writes only inside the experiments directory",
                ));
            }
        };
        if dir {
            self.check_dir()?;
        }
        let mut at = self.dir.clone();
        let mut parts = rel.components();
        parts.next_back();
        for part in parts {
            at.push(part);
            if let Ok(meta) = fs::symlink_metadata(&at)
                && meta.file_type().is_symlink()
            {
                return Err(self.link(&at));
            }
        }
        Ok(())
    }

    /// The refusal of a path that is a symbolic link.
    fn link(&self, at: &Path) -> Error {
        Error::failed(
            format!(
                "{} is a symbolic link; xp does not read or write through links",
                self.show(at).display()
            ),
            "replace the link with the file or folder itself",
        )
    }

    /// A path as the user should see it: relative to the current directory where possible.
    pub fn show(&self, path: &Path) -> PathBuf {
        relative_to(path, &self.base)
    }

    /// Refuses an experiments directory that is a symbolic link.
    pub fn check_dir(&self) -> Result<(), Error> {
        match fs::symlink_metadata(&self.dir) {
            Ok(meta) if meta.file_type().is_symlink() => Err(Error::failed(
                format!(
                    "{} is a symbolic link; xp does not read or write through links",
                    self.show(&self.dir).display()
                ),
                "make the experiments directory a real directory",
            )),
            _ => Ok(()),
        }
    }

    /// Every record file, sorted by path: `*.yaml`/`*.yml`, hidden files and folders skipped.
    pub fn files(&self) -> Result<Vec<PathBuf>, Error> {
        self.check_dir()?;
        if !self.dir.exists() {
            return Ok(Vec::new());
        }
        let mut files = Vec::new();
        // Sorted once at the end: walkdir's own sort compares names it takes apart from each
        // entry's full path every time, which was most of listing 10,000 names.
        let walker = walkdir::WalkDir::new(&self.dir)
            .min_depth(1)
            .into_iter()
            .filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(&self.dir).to_owned();
                Error::io(self.show(&path), e.into())
            })?;
            if entry.file_type().is_dir() {
                continue;
            }
            if is_record_name(&entry.file_name().to_string_lossy()) {
                files.push(entry.into_path());
            }
        }
        files.sort_by_cached_key(|p| path_order(p));
        Ok(files)
    }

    /// Reads and checks one record file; a symbolic link is refused, a file over
    /// [`rules::MAX_FILE_BYTES`] is not read.
    pub fn load(&self, path: &Path) -> Result<Loaded, Error> {
        self.load_from(path, true)
    }

    /// [`Store::load`], looking at the experiments directory itself only when `dir`.
    fn load_from(&self, path: &Path, dir: bool) -> Result<Loaded, Error> {
        let shown = self.show(path);
        if path.starts_with(&self.dir) {
            self.check_parents(path, dir)?;
        }
        let meta = fs::symlink_metadata(path).map_err(|e| Error::io(&shown, e))?;
        if meta.file_type().is_symlink() {
            return Err(Error::failed(
                format!(
                    "{} is a symbolic link; xp does not read or write through links",
                    shown.display()
                ),
                "replace the link with the file itself",
            ));
        }
        if let Some(what) = not_regular(&meta.file_type()) {
            // Opening a named pipe waits for a writer, and a device may never end: neither
            // is read.
            let checked = rules::not_a_regular_file(&shown, what);
            return Ok(Loaded {
                path: path.to_owned(),
                slug: stem(path),
                shown,
                bytes: Vec::new(),
                checked,
            });
        }
        let (bytes, checked) = match read_regular(path, meta.len(), rules::MAX_FILE_BYTES) {
            Ok(Some(bytes)) => {
                let checked = rules::check_bytes(&shown, &bytes);
                (bytes, checked)
            }
            Ok(None) => (Vec::new(), rules::oversized(&shown, meta.len())),
            Err(e) if is_link_error(&e) => {
                // Made a link since it was looked at: refused as any link.
                return Err(self.link(path));
            }
            Err(e) => return Err(Error::io(&shown, e)),
        };
        Ok(Loaded {
            path: path.to_owned(),
            shown,
            slug: stem(path),
            bytes,
            checked,
        })
    }

    /// Reads and checks the files in parallel, a chunk at a time, and hands each chunk's results
    /// to `sink` in the files' order: memory holds two chunks, whatever the number of files.
    /// `sink` works on one chunk while the next is read.
    pub fn load_chunked<T: Send>(
        &self,
        files: &[PathBuf],
        each: impl Fn(Result<Loaded, Error>) -> T + Sync,
        mut sink: impl FnMut(Vec<T>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        /// Files per chunk: enough to keep every core busy, few enough to stay small.
        const CHUNK: usize = 256;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut ready: Option<Vec<T>> = None;
        for chunk in files.chunks(CHUNK) {
            // The experiments directory is looked at once a chunk, not once a file.
            self.check_dir()?;
            let per = chunk.len().div_ceil(threads).max(1);
            let (results, sunk) = std::thread::scope(|scope| {
                let handles: Vec<_> = chunk
                    .chunks(per)
                    .map(|part| {
                        let each = &each;
                        scope.spawn(move || {
                            part.iter()
                                .map(|p| each(self.load_from(p, false)))
                                .collect::<Vec<T>>()
                        })
                    })
                    .collect();
                let sunk = ready.take().map_or(Ok(()), &mut sink);
                let results = handles
                    .into_iter()
                    // A panic in a worker is a bug: it goes on as this thread's, never as a
                    // silently shorter list.
                    .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect::<Vec<T>>();
                (results, sunk)
            });
            sunk?;
            ready = Some(results);
        }
        ready.map_or(Ok(()), sink)
    }

    /// Reads every record file.
    pub fn load_all(&self) -> Result<Vec<Loaded>, Error> {
        self.files()?.iter().map(|p| self.load(p)).collect()
    }

    /// A free path for a new record titled `title`: `<slug>.yaml`, else `<slug>-2.yaml`, ...
    /// Names are compared without regard to case, for case-insensitive file systems.
    pub fn new_path(&self, title: &str) -> Result<PathBuf, Error> {
        Ok(free_path(&self.dir, &slug(title), 1))
    }

    /// Free paths for new records titled `titles`, in order, as [`Store::new_path`] would give
    /// them one after the other: none among the folder's names nor `taken` (lower-cased names
    /// that are not on disk, such as a commit's), nor an earlier one's.
    pub fn new_paths(&self, titles: &[&str], mut taken: HashSet<String>) -> Vec<PathBuf> {
        taken.extend(names_in(&self.dir));
        titles
            .iter()
            .map(|title| {
                let name = free_name(&taken, &slug(title), 1);
                taken.insert(name.to_lowercase());
                self.dir.join(name)
            })
            .collect()
    }

    /// Writes many records, each atomically as [`Store::write`] does: every temporary file is
    /// written, then all are synced at once (file systems sync many files together far faster
    /// than one after the other), then each is renamed into place and the folders synced. A kill
    /// leaves each file whole or absent, and temporary files for [`Store::sweep`].
    pub fn write_many(&self, files: &[(PathBuf, Vec<u8>)]) -> Result<(), Error> {
        let mut temps = Vec::with_capacity(files.len());
        let mut dirs = HashSet::new();
        for (path, bytes) in files {
            let shown = self.show(path);
            let io = |e: std::io::Error| Error::io(&shown, e);
            self.check_inside(path)?;
            let dir = path.parent().unwrap_or(&self.dir);
            if dirs.insert(dir.to_owned()) {
                fs::create_dir_all(dir).map_err(io)?;
                self.check_inside(path)?;
            }
            let scratch = match &self.scratch {
                Some(scratch) if same_device(scratch, dir) => scratch.as_path(),
                _ => dir,
            };
            let mut temp = tempfile::Builder::new()
                .prefix(TEMP.0)
                .suffix(TEMP.1)
                .tempfile_in(scratch)
                .map_err(io)?;
            temp.write_all(bytes).map_err(io)?;
            set_permissions(temp.as_file(), path).map_err(io)?;
            temps.push(temp);
        }
        let threads = 32.min(temps.len()).max(1);
        let per = temps.len().div_ceil(threads).max(1);
        let synced: Result<(), std::io::Error> = std::thread::scope(|scope| {
            let handles: Vec<_> = temps
                .chunks(per)
                .map(|part| {
                    scope.spawn(move || part.iter().try_for_each(|t| t.as_file().sync_all()))
                })
                .collect();
            handles
                .into_iter()
                .try_for_each(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        synced.map_err(|e| Error::io(self.show(&self.dir), e))?;
        for (temp, (path, _)) in temps.into_iter().zip(files) {
            temp.persist(path)
                .map_err(|e| Error::io(self.show(path), e.error))?;
        }
        for dir in dirs {
            if let Ok(d) = fs::File::open(&dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// A free path beside a record for a second record of the same slug: `<slug>-2.yaml`,
    /// else `<slug>-3.yaml`, ... in the same directory.
    pub fn path_beside(&self, path: &Path) -> PathBuf {
        let dir = path.parent().unwrap_or(&self.dir);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        free_path(dir, &stem, 2)
    }

    /// Writes a record atomically: a temporary file (in the scratch directory, else beside the
    /// record), fsync, rename, fsync the folder.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        let shown = self.show(path);
        let io = |e: std::io::Error| Error::io(&shown, e);
        self.check_inside(path)?;
        let dir = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(dir).map_err(io)?;
        // The folders may have been made just now: look again for links.
        self.check_inside(path)?;
        let renamed = match &self.scratch {
            Some(scratch) => match write_via(scratch, path, bytes) {
                Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => None,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !scratch.is_dir() => None,
                other => Some(other),
            },
            None => None,
        };
        match renamed {
            Some(done) => done.map_err(io)?,
            None => write_via(dir, path, bytes).map_err(io)?,
        }
        if let Ok(d) = fs::File::open(dir) {
            // Makes the rename itself durable; not every platform allows it, so it may fail.
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// Whether two folders are on one file system, so that a file renames from one to the other.
#[cfg(unix)]
fn same_device(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_device(_a: &Path, _b: &Path) -> bool {
    false
}

/// Writes `bytes` to a new temporary file in `temp_dir`, syncs it and renames it to `path`.
fn write_via(temp_dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP.0)
        .suffix(TEMP.1)
        .tempfile_in(temp_dir)?;
    temp.write_all(bytes)?;
    set_permissions(temp.as_file(), path)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map(drop).map_err(|e| e.error)
}

/// A record file's text for quoting in messages, when it is readable and within the size limit.
pub fn read_source(path: &Path) -> Option<String> {
    let bytes = read_at_most(path, rules::MAX_FILE_BYTES).ok()??;
    String::from_utf8(bytes).ok()
}

/// The file name without its extension.
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What a file is when it is not a regular file or a symbolic link (which callers refuse
/// themselves): a named pipe, a socket, a device, a folder.
fn not_regular(kind: &fs::FileType) -> Option<&'static str> {
    if kind.is_file() || kind.is_symlink() {
        return None;
    }
    if kind.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a named pipe");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_char_device() || kind.is_block_device() {
            return Some("a device");
        }
    }
    Some("something else")
}

/// The file's bytes, or None when it holds more than `limit` (then at most `limit + 1` bytes
/// were read). Anything but a regular file is refused unopened: a named pipe would wait for a
/// writer, a device might never end.
fn read_at_most(path: &Path, limit: usize) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    if let Some(what) = not_regular(&fs::metadata(path)?.file_type()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("this is {what}, not a regular file"),
        ));
    }
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() <= limit).then_some(bytes))
}

/// The bytes of a file just seen to be a regular file of `len` bytes, or None when it holds
/// more than `limit`: one open that never follows a link (on unix), and reads into a buffer
/// of the size seen, as `cat` reads.
fn read_regular(path: &Path, len: u64, limit: usize) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path)?;
    let cap = usize::try_from(len).map_or(limit, |len| len.min(limit)) + 1;
    let mut bytes = Vec::with_capacity(cap);
    file.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() <= limit).then_some(bytes))
}

/// Whether opening failed because the path is a symbolic link (`O_NOFOLLOW`).
fn is_link_error(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Writes any file atomically (exports, `.gitattributes`): temporary file beside it, fsync,
/// rename. Creates the folder when missing.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic_with(path, |out| {
        out.write_all(bytes).map_err(|e| Error::io(path, e))
    })
}

/// Writes any file atomically from what `fill` writes into it; when `fill` fails the file is
/// left as it was and the temporary file is removed.
pub fn write_atomic_with<T>(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<T, Error>,
) -> Result<T, Error> {
    let io = |e: std::io::Error| Error::io(path, e);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    let done = {
        let mut out = std::io::BufWriter::new(temp.as_file_mut());
        let done = fill(&mut out)?;
        out.flush().map_err(io)?;
        done
    };
    set_permissions(temp.as_file(), path).map_err(io)?;
    temp.as_file().sync_all().map_err(io)?;
    temp.persist(path).map_err(|e| io(e.error))?;
    Ok(done)
}

/// Replaces a file that can be made again (a page of `xp site`): a temporary file beside it,
/// renamed over it, so that a reader never sees half of it; not synced to the disk, which
/// for ten thousand pages costs more than writing them.
pub fn write_replace(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::io(path, e);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    temp.as_file_mut().write_all(bytes).map_err(io)?;
    set_permissions(temp.as_file(), path).map_err(io)?;
    temp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// The first of `<base>.yaml` (when `from` is 1), `<base>-2.yaml`, ... not taken in `dir`,
/// comparing names without regard to case, for case-insensitive file systems.
fn free_path(dir: &Path, base: &str, from: usize) -> PathBuf {
    dir.join(free_name(&names_in(dir), base, from))
}

/// The names in a folder, lower-cased.
fn names_in(dir: &Path) -> HashSet<String> {
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_lowercase())
            .collect(),
        Err(_) => HashSet::new(),
    }
}

/// The first of `<base>.yaml` (when `from` is 1), `<base>-2.yaml`, ... whose name (and `.yml`
/// twin) is not among `taken` (lower-cased names).
fn free_name(taken: &HashSet<String>, base: &str, from: usize) -> String {
    let is_free = |s: &str| {
        let s = s.to_lowercase();
        !taken.contains(&format!("{s}.yaml")) && !taken.contains(&format!("{s}.yml"))
    };
    let mut n = from.max(1);
    loop {
        let candidate = if n == 1 {
            base.to_owned()
        } else {
            let suffix = format!("-{n}");
            let keep = MAX_SLUG.saturating_sub(suffix.len());
            let stem: String = base.chars().take(keep).collect();
            format!("{}{suffix}", stem.trim_end_matches('-'))
        };
        if is_free(&candidate) {
            return format!("{candidate}.yaml");
        }
        n += 1;
    }
}

/// Reads a payload file (`xp new --from FILE`): a regular file of at most
/// [`rules::MAX_FILE_BYTES`]; a pipe or device is refused unopened, a larger file unread past
/// the limit.
pub fn read_payload(path: &Path, shown: &Path) -> Result<Vec<u8>, Error> {
    let meta = fs::metadata(path).map_err(|e| Error::io(shown, e))?;
    if let Some(what) = not_regular(&meta.file_type()) {
        return Err(Error::failed(
            format!("{} is {what}, not a regular file", shown.display()),
            "give a JSON or YAML file, or `-` to read standard input",
        ));
    }
    match read_at_most(path, rules::MAX_FILE_BYTES) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(Error::failed(
            format!(
                "{} is larger than {} bytes",
                shown.display(),
                rules::MAX_FILE_BYTES
            ),
            "a payload is one experiment's fields",
        )),
        Err(e) => Err(Error::io(shown, e)),
    }
}

/// Reads a file git names for a merge (not a record in the store), whole.
pub fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    fs::read(path).map_err(|e| Error::io(path, e))
}

/// Replaces the content of a file git names for a merge: its temporary copy of ours.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic(path, bytes)
}

#[cfg(unix)]
fn set_permissions(file: &fs::File, like: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(like)
        .map(|m| m.permissions().mode())
        .unwrap_or(0o644);
    file.set_permissions(fs::Permissions::from_mode(mode & 0o777))
}

#[cfg(not(unix))]
fn set_permissions(_file: &fs::File, _like: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Whether a file name is a record's: `*.yaml` or `*.yml`, not hidden.
pub fn is_record_name(name: &str) -> bool {
    !name.starts_with('.') && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

/// The slug of a title: lower-case ASCII letters, digits and `-`, at most 60 characters,
/// never empty, never a name some file system reserves. Other letters are transliterated
/// (`Größe` -> `grosse`, `Café` -> `cafe`).
pub fn slug(title: &str) -> String {
    let mut ascii = String::with_capacity(title.len());
    for c in title.chars() {
        match deunicode::deunicode_char(c) {
            _ if c.is_ascii() => ascii.push(c),
            Some(spelt) if !spelt.is_empty() => ascii.push_str(spelt),
            // A character without a spelling (a control, a mark) separates words like a blank.
            _ => ascii.push(' '),
        }
    }
    let mut out = String::new();
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= MAX_SLUG {
            break;
        }
    }
    let mut out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        out = "experiment".into();
    }
    const RESERVED: [&str; 4] = ["con", "prn", "aux", "nul"];
    let reserved = RESERVED.contains(&out.as_str())
        || ((out.starts_with("com") || out.starts_with("lpt"))
            && out.len() == 4
            && out.as_bytes()[3].is_ascii_digit());
    if reserved {
        out.push_str("-experiment");
    }
    out
}

/// `path` relative to `base` where it lies beneath it, else `path` as is.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    match path.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_owned(),
        Err(_) => {
            // Walk up from base to the common ancestor.
            let mut up = PathBuf::new();
            let mut ancestor = base;
            while let Some(parent) = ancestor.parent() {
                up.push("..");
                if let Ok(rel) = path.strip_prefix(parent) {
                    return up.join(rel);
                }
                ancestor = parent;
            }
            path.to_owned()
        }
    }
}

/// A key that sorts paths as `Path`'s own order does (component by component) by plain byte
/// comparison: separators become the lowest byte, so `a/x` comes before `a-b/x`. Comparing
/// `Path`s themselves takes each apart again for every comparison.
pub(crate) fn path_order(path: &Path) -> Vec<u8> {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|&b| {
            if std::path::is_separator(char::from(b)) {
                0
            } else {
                b
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn chunks_reach_the_sink_in_file_order_and_a_failing_sink_stops_it() {
        let tmp = tempfile::TempDir::new().unwrap();
        let dir = tmp.path().join("experiments");
        fs::create_dir_all(&dir).unwrap();
        let files: Vec<PathBuf> = (0..700)
            .map(|i| {
                let path = dir.join(format!("r{i:04}.yaml"));
                fs::write(&path, format!("title: r{i}\n")).unwrap();
                path
            })
            .collect();
        let store = Store::new(dir, tmp.path().to_owned());
        let mut seen = Vec::new();
        let mut chunks = 0;
        store
            .load_chunked(
                &files,
                |loaded| loaded.unwrap().slug,
                |chunk| {
                    chunks += 1;
                    seen.extend(chunk);
                    Ok(())
                },
            )
            .unwrap();
        let slugs: Vec<String> = (0..700).map(|i| format!("r{i:04}")).collect();
        assert_eq!((seen, chunks), (slugs, 3));

        let mut calls = 0;
        let failed = store.load_chunked(
            &files,
            |_| (),
            |_| {
                calls += 1;
                Err(Error::usage("stop"))
            },
        );
        assert!(failed.is_err());
        assert_eq!(calls, 1, "nothing is handed on after an error");
    }

    #[test]
    fn paths_sort_by_their_key_as_by_their_components() {
        let names = [
            "e/a-b/x.yaml",
            "e/a/x.yaml",
            "e/a.yaml",
            "e/a/b/c.yaml",
            "e/ab.yaml",
            "e/a b.yaml",
            "e/a!.yaml",
            "e/é.yaml",
            "e/z.yaml",
            "e/a/a.yaml",
        ];
        let mut by_path: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        let mut by_key = by_path.clone();
        by_path.sort();
        by_key.sort_by_cached_key(|p| path_order(p));
        assert_eq!(by_key, by_path);
        assert_ne!(
            {
                let mut bytes = by_path.clone();
                bytes.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
                bytes
            },
            by_path,
            "plain byte order differs, so the key matters"
        );
    }

    #[test]
    fn slugs_are_safe_names() {
        assert_eq!(slug("Homepage CTA Color"), "homepage-cta-color");
        assert_eq!(slug("  --Hello,  World!--  "), "hello-world");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug(".hidden"), "hidden");
        assert_eq!(slug("!!!"), "experiment");
        assert_eq!(slug("CON"), "con-experiment");
        assert_eq!(slug("nul.yaml"), "nul-yaml");
        assert_eq!(slug("COM1"), "com1-experiment");
        assert_eq!(slug("a\u{202e}b\u{0007}c"), "a-b-c");
        assert_eq!(slug("Crème brûlée"), "creme-brulee");
        assert_eq!(slug("Café Menü Größe"), "cafe-menu-grosse");
        assert_eq!(slug("Ærø Øl"), "aero-ol");
        let long = slug(&"word ".repeat(40));
        assert!(long.len() <= MAX_SLUG && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn new_paths_never_collide_even_by_case() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_owned(), dir.path().to_owned());
        fs::write(dir.path().join("Foo.yaml"), "x").unwrap();
        fs::write(dir.path().join("foo-2.yml"), "x").unwrap();
        let path = store.new_path("foo").unwrap();
        assert_eq!(path.file_name().unwrap(), "foo-3.yaml");
        let beside = store.path_beside(&dir.path().join("Foo.yaml"));
        assert_eq!(beside, dir.path().join("Foo-3.yaml"));
        let beside = store.path_beside(&dir.path().join("bar.yaml"));
        assert_eq!(beside.file_name().unwrap(), "bar-2.yaml");
    }

    #[test]
    fn files_skip_hidden_and_other_names() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.yaml", "a.yml", ".hidden.yaml", "notes.txt", ".xp-1.tmp"] {
            fs::write(dir.path().join(name), "x").unwrap();
        }
        fs::create_dir(dir.path().join(".git")).unwrap();
        fs::write(dir.path().join(".git/c.yaml"), "x").unwrap();
        let store = Store::new(dir.path().to_owned(), dir.path().to_owned());
        let names: Vec<_> = store
            .files()
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.yml", "b.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_or_a_device_is_reported_unread() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let store = Store::new(dir.path().to_owned(), dir.path().to_owned());
        // Opening the pipe would wait for a writer forever: a hang fails the test by timeout.
        let files = store.files().unwrap();
        assert_eq!(files, std::slice::from_ref(&fifo));
        let loaded = store.load(&fifo).unwrap();
        assert!(loaded.checked.record.is_none());
        let p = &loaded.checked.problems[0];
        assert_eq!(p.path, PathBuf::from("x.yaml"));
        assert!(
            p.message.contains("named pipe, not a regular file"),
            "{}",
            p.message
        );
        assert_eq!(read_source(&fifo), None);
        let zero = store.load(Path::new("/dev/zero")).unwrap();
        let message = &zero.checked.problems[0].message;
        assert!(
            message.contains("a device, not a regular file") && !message.contains("0 bytes"),
            "{message}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_payload_must_be_a_regular_file_within_the_limit() {
        let dev = Path::new("/dev/zero");
        let err = read_payload(dev, dev).unwrap_err().to_string();
        assert!(
            err.contains("/dev/zero is a device, not a regular file"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.json");
        fs::write(&big, vec![b' '; rules::MAX_FILE_BYTES + 1]).unwrap();
        let err = read_payload(&big, Path::new("big.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("big.json is larger than"), "{err}");
        fs::write(&big, b"{}").unwrap();
        assert_eq!(read_payload(&big, &big).unwrap(), b"{}");
    }

    #[test]
    fn writes_are_atomic_and_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_owned(), dir.path().to_owned());
        let path = dir.path().join("a.yaml");
        store.write(&path, b"one").unwrap();
        store.write(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1);
        assert!(store.write(&dir.path().join("../x.yaml"), b"x").is_err());
    }

    #[test]
    fn shown_paths_are_relative_to_the_current_directory() {
        let p = Path::new("/r/experiments/a.yaml");
        assert_eq!(
            relative_to(p, Path::new("/r")),
            Path::new("experiments/a.yaml")
        );
        assert_eq!(
            relative_to(p, Path::new("/r/src")),
            Path::new("../experiments/a.yaml")
        );
    }
}
