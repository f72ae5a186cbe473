//! Typed errors at the core, classified at the edge into an exit code and a hint.

use std::path::PathBuf;

use crate::git::GitError;
use crate::rules::Problem;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line was wrong (exit 2).
    #[error("{message}")]
    Usage { message: String },
    /// The command could not do its job (exit 1); the hint says what to do.
    #[error("{message}")]
    Failed {
        message: String,
        hint: Option<String>,
    },
    /// Records break rules (exit 1); the problems are reported, each with its location.
    #[error("{} problem{} found", .problems.len(), if .problems.len() == 1 { "" } else { "s" })]
    Problems {
        problems: Vec<Problem>,
        /// Said after the problems, e.g. "nothing was written".
        hint: Option<String>,
    },
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    /// A failure with a hint of what to do next.
    pub fn failed(message: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::Failed {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage {
            message: message.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The process exit code: 2 for bad usage, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. } => 2,
            _ => 1,
        }
    }

    /// What the user can do about it, when we know.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Failed { hint, .. } | Error::Problems { hint, .. } => hint.clone(),
            Error::Git(e) => e.hint(),
            Error::Usage { .. } => Some("run `xp --help` for usage".into()),
            Error::Io { .. } => None,
        }
    }
}
