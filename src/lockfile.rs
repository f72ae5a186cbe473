//! The OS file lock that queues xp writers: a leaf module, so that git's write lock and the
//! lock outside git share one implementation without importing each other.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

/// An exclusive lock on a file, released on drop (also when the process dies).
#[derive(Debug)]
pub struct FileLock {
    _file: fs::File,
}

/// Takes an exclusive lock on `path` (created when missing), trying until `timeout`;
/// Ok(None) when another process still holds it then.
pub fn lock_file(path: &Path, timeout: Duration) -> std::io::Result<Option<FileLock>> {
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    let deadline = Instant::now() + timeout;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(FileLock { _file: file })),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(fs::TryLockError::WouldBlock) => return Ok(None),
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// Takes a shared lock on `path` (created when missing), waiting while another process holds
/// it exclusively: many holders at once, and none while someone holds it alone.
pub fn lock_shared(path: &Path) -> std::io::Result<FileLock> {
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    file.lock_shared()?;
    Ok(FileLock { _file: file })
}
