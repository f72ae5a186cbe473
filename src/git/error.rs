//! What can go wrong talking to git, typed, with what the user can do about it.

use std::path::PathBuf;

use git2::ErrorCode;

/// Everything that can go wrong talking to git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{} is a bare git repository, with no work tree to write in", .path.display())]
    Bare { path: PathBuf },
    #[error("{} is inside a git directory, not in a work tree", .path.display())]
    InGitDir { path: PathBuf },
    #[error("another xp command is writing in this repository")]
    Busy,
    /// `operation` is the git command to finish: merge, rebase, cherry-pick, revert, bisect, am.
    #[error("a git {operation} is in progress")]
    InProgress { operation: &'static str },
    #[error("{} exists: another git process is running", .path.display())]
    Locked { path: PathBuf },
    #[error("{path} has staged changes that differ from both HEAD and the work tree")]
    StagedDifferent { path: String },
    #[error("{path} has unresolved conflicts in the index")]
    Conflicted { path: String },
    #[error("{path} was changed by another commit while xp was committing")]
    HeadMoved { path: String },
    #[error("HEAD kept moving while xp was committing")]
    Contended,
    #[error("HEAD is detached: a commit made here would be on no branch")]
    Detached,
    #[error("git does not know who you are: no user name or email is configured")]
    NoIdentity,
    #[error("`{rev}` names no commit in this repository")]
    UnknownRev { rev: String },
    #[error("{var} is `{value}`, which is not a date xp understands")]
    BadDate { var: String, value: String },
    #[error("`{path}` is not a valid path inside the repository")]
    BadPath { path: String },
    /// A team server's strict write the remote did not take: `reason` in the remote's or git's
    /// words; nothing moved here.
    #[error("the remote did not take the change: {reason}")]
    Unpublished { reason: String, hint: String },
    /// A strict write whose push found the remote's branch moved since it was fetched.
    #[error("the remote's branch moved while the change was pushed")]
    RemoteMoved,
    /// A strict write the remote took, while this clone's branch moved under it.
    #[error("the remote took the change, but this clone's branch moved while it was pushed")]
    MovedAfterPush,
    #[error("{context}: {}", .source.message())]
    Git {
        context: String,
        source: git2::Error,
    },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl GitError {
    /// What the user can do about it in git's terms, when we know; front-ends may name their
    /// own commands instead (the command line names `xp resolve` for a conflict).
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            GitError::Bare { .. } => "run xp in a clone that has a work tree".into(),
            GitError::InGitDir { .. } => "run xp from the work tree, outside `.git`".into(),
            GitError::Busy | GitError::Contended => "try again in a moment".into(),
            GitError::InProgress {
                operation: "bisect",
            } => "finish the bisect first (`git bisect reset`)".into(),
            GitError::InProgress { operation } => format!(
                "finish or abort the {operation} first (`git {operation} --continue` or `git {operation} --abort`)"
            ),
            GitError::Locked { path } => format!(
                "wait for it to finish; if no git process is running, remove {}",
                path.display()
            ),
            GitError::StagedDifferent { path } => {
                format!("unstage it with `git restore --staged {path}`, or commit it first")
            }
            GitError::Conflicted { path } => {
                format!("resolve the conflict first, then `git add {path}`")
            }
            GitError::HeadMoved { .. } => "look at the file, then run the command again".into(),
            GitError::Detached => "check out the branch the experiments belong on \
                 (`git switch main`), then try again"
                .into(),
            GitError::NoIdentity => "tell git who you are: `git config user.name \"Your Name\"` \
                 and `git config user.email you@example.com`"
                .into(),
            GitError::UnknownRev { .. } => {
                "name a branch, tag or commit that exists here (`git fetch` first for a remote \
                 branch)"
                    .into()
            }
            GitError::BadDate { var, .. } => format!(
                "set {var} to an RFC 3339 time (2026-02-22T18:30:00Z) or `@<seconds> +0000`, or unset it"
            ),
            GitError::Git { source, .. } if source.code() == ErrorCode::Owner => {
                "if you trust this repository, run \
                 `git config --global --add safe.directory <its work tree>`"
                    .into()
            }
            GitError::Unpublished { hint, .. } => hint.clone(),
            GitError::RemoteMoved => "send the change again".into(),
            GitError::MovedAfterPush => {
                "the change is on the remote; the server's next sync brings it here (`POST /sync`)"
                    .into()
            }
            GitError::BadPath { .. } | GitError::Git { .. } | GitError::Io { .. } => return None,
        })
    }
}

impl GitError {
    /// An I/O error on `path`, for `map_err`.
    pub(super) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> GitError + use<> {
        let path = path.to_path_buf();
        move |source| GitError::Io { path, source }
    }
}

/// Adds what was being done to a git2 error.
pub(super) trait Context<T> {
    fn context(self, what: impl Into<String>) -> Result<T, GitError>;
}

impl<T> Context<T> for Result<T, git2::Error> {
    fn context(self, what: impl Into<String>) -> Result<T, GitError> {
        self.map_err(|source| GitError::Git {
            context: what.into(),
            source,
        })
    }
}
