//! What a user can do with experiments, one function each: typed input in, typed values or a
//! typed [`Error`](crate::error::Error) out. Nothing here prints or reads the process
//! environment or clock: the [`Workspace`](crate::workspace::Workspace) carries them, and what
//! a person should be told along the way comes back as [`Notice`]s.

pub mod check;
pub mod create;
pub mod diff;
pub mod edit;
pub mod init;
pub mod log;
pub mod note;
pub mod read;
pub mod report;
pub mod resolve;
pub mod search;
pub mod similar;
pub mod update;
mod write;

pub use write::{Change, Saved};

/// Something worth telling the person, said by the front-end in the order it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A commit was made: its short hash and subject.
    Committed { short: String, subject: String },
    /// Something went differently than asked, or was repaired.
    Warning(String),
}

/// How a write ends: committed in a git work tree, or only written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Commit the file (false: `--no-commit`).
    pub commit: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { commit: true }
    }
}
