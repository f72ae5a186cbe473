//! Typed errors: what kind of failure it is, so that each front-end can render it its own way
//! (the command line with hints, HTTP with a status and JSON) without parsing messages.

use std::path::{Path, PathBuf};

use crate::git::GitError;
use crate::rules::Problem;

/// Everything an operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input was wrong: a flag, a value, a request (exit 2 on the command line).
    #[error("{message}")]
    Usage { message: String },
    /// The operation could not do its job; the hint says what to do.
    #[error("{message}")]
    Failed {
        message: String,
        hint: Option<String>,
    },
    /// Records (or a payload) on disk break rules; each problem has its rule and place.
    #[error("{}", .message.clone().unwrap_or_else(|| count(.problems.len())))]
    Problems {
        problems: Vec<Problem>,
        /// The texts the problems point into, for quoting their lines.
        sources: Sources,
        /// Said instead of "N problems found".
        message: Option<String>,
        /// Said after the problems, e.g. "nothing was written".
        hint: Option<String>,
    },
    /// The change asked for would leave the record breaking these rules; nothing was written.
    #[error("the result would break the rules:\n  {}", lines(.problems))]
    WouldBreak { problems: Vec<Problem> },
    /// No experiment answers to the reference; the candidates are the closest, best first.
    #[error("no experiment matches `{reference}`")]
    NotFound {
        reference: String,
        candidates: Vec<Candidate>,
    },
    /// More than one experiment answers to the reference.
    #[error("`{reference}` matches {} experiments:\n  {}", .candidates.len(), list(.candidates))]
    Ambiguous {
        reference: String,
        candidates: Vec<Candidate>,
    },
    /// Another writer held the lock past the timeout.
    #[error("{message}")]
    Busy { message: String },
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What kind of failure an [`Error`] is, for front-ends that map it (HTTP status codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Records or the result of a change break rules.
    Rules,
    NotFound,
    Ambiguous,
    Busy,
    /// Git's state forbids the operation (a merge in progress, a foreign lock, ...).
    GitState,
    BadInput,
    Failed,
}

/// An experiment named in an error: a candidate for an unknown or ambiguous reference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Candidate {
    pub id: Option<String>,
    pub slug: String,
    /// The file as shown to the user.
    pub path: PathBuf,
    pub title: Option<String>,
}

impl Candidate {
    /// `3f9c2a71  homepage-cta-color  Homepage CTA Color`, on one line: the slug and title are
    /// escaped for the terminal ([`crate::text::terminal`]).
    pub fn describe(&self) -> String {
        use crate::text::terminal;
        let id = self
            .id
            .as_deref()
            .map_or("--------", |id| id.get(..8).unwrap_or(id));
        match &self.title {
            Some(title) => format!("{id}  {}  {}", terminal(&self.slug), terminal(title)),
            None => format!("{id}  {}", terminal(&self.slug)),
        }
    }
}

/// The texts of files that problems point into, by the path they are shown with.
#[derive(Debug, Clone, Default)]
pub struct Sources(Vec<(PathBuf, String)>);

impl Sources {
    /// Keeps one file's text (as UTF-8 when it is; a file that is not has no lines to quote).
    pub fn add(&mut self, shown: &Path, bytes: &[u8]) {
        if let Ok(text) = std::str::from_utf8(bytes) {
            self.0.push((shown.to_owned(), text.to_owned()));
        }
    }

    pub fn one(shown: &Path, bytes: &[u8]) -> Sources {
        let mut sources = Sources::default();
        sources.add(shown, bytes);
        sources
    }

    /// The text of the file shown as `path`.
    pub fn get(&self, path: &Path) -> Option<&str> {
        self.0
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, s)| s.as_str())
    }
}

fn count(n: usize) -> String {
    format!("{n} problem{} found", if n == 1 { "" } else { "s" })
}

/// One line per problem (a message quoting a value keeps to its line).
fn lines(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| {
            let message = crate::text::terminal(&p.message);
            format!("error[{}]: {message}", p.rule.name())
        })
        .collect();
    lines.join("\n  ")
}

fn list(candidates: &[Candidate]) -> String {
    let lines: Vec<String> = candidates.iter().map(Candidate::describe).collect();
    lines.join("\n  ")
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

    /// What kind of failure this is.
    pub fn kind(&self) -> Kind {
        match self {
            Error::Usage { .. } => Kind::BadInput,
            Error::Failed { .. } | Error::Io { .. } => Kind::Failed,
            Error::Problems { .. } | Error::WouldBreak { .. } => Kind::Rules,
            Error::NotFound { .. } => Kind::NotFound,
            Error::Ambiguous { .. } => Kind::Ambiguous,
            Error::Busy { .. } => Kind::Busy,
            Error::Git(e) => match e {
                GitError::Busy | GitError::Contended => Kind::Busy,
                GitError::UnknownRev { .. }
                | GitError::BadDate { .. }
                | GitError::BadPath { .. } => Kind::BadInput,
                GitError::Git { .. } | GitError::Io { .. } => Kind::Failed,
                _ => Kind::GitState,
            },
        }
    }

    /// The problems a rules failure carries (empty for other kinds).
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Problems { problems, .. } | Error::WouldBreak { problems } => problems,
            _ => &[],
        }
    }

    /// The process exit code: 2 for bad usage, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. } => 2,
            _ => 1,
        }
    }
}
