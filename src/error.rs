//! Typed errors: what kind of failure it is, so that each front-end can render it its own way
//! (the command line with hints, HTTP with a status and JSON) without parsing messages.

use std::path::{Path, PathBuf};

use crate::git::GitError;
use crate::record::lifecycle::Breach;
use crate::record::parts::Status;
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
    /// The change was refused: what it would break or what it lacks, as facts each front-end
    /// phrases in its own words (none of them empty).
    #[error("{}", refusals(.0))]
    Refused(Vec<Refusal>),
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

/// Why a change was refused: the fact, for each front-end to phrase (the command line names
/// its flags, HTTP its body keys, the page its form's labels).
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The change breaks what may change between two versions of a record.
    Breaks(Breach),
    /// Nothing would change: every value given is already set, and no note comes with it.
    NothingToChange,
    /// A text that must say something is blank.
    Blank(Input),
    /// A reason for an amendment came without a change of the plan.
    AmendWithoutPlanChange,
    /// A new experiment starts as draft or running, not in this status.
    StartsAs(Status),
    /// The record's file holds someone's changes that are not committed (`fields`: the fields
    /// they change; `new`: the file was never committed), which a writer for others (the
    /// server) does not commit under its own name.
    Uncommitted {
        path: String,
        fields: Vec<&'static str>,
        new: bool,
    },
    /// The change was made against a version of the record that is no longer the latest
    /// (`seen`: the version its sender read; `now`: the record's version now).
    Stale {
        path: String,
        seen: String,
        now: String,
    },
}

/// What a person gives with a change besides its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The note for the decision log.
    Note,
    /// The reason for amending the plan.
    Amend,
    /// Permission for any status move.
    Force,
}

impl Refusal {
    /// Whether the input itself is wrong or short (as opposed to a change the rules refuse):
    /// a usage error on the command line, a 422 over HTTP.
    pub fn about_input(&self) -> bool {
        matches!(
            self,
            Refusal::Blank(_)
                | Refusal::AmendWithoutPlanChange
                | Refusal::StartsAs(_)
                | Refusal::Breaks(Breach::KillWithoutReason)
        )
    }

    /// The input that would answer this refusal, if one does.
    pub fn input(&self) -> Option<Input> {
        match self {
            Refusal::Blank(input) => Some(*input),
            Refusal::AmendWithoutPlanChange | Refusal::Breaks(Breach::PlanChanged { .. }) => {
                Some(Input::Amend)
            }
            Refusal::Breaks(Breach::KillWithoutReason) => Some(Input::Note),
            Refusal::Breaks(Breach::Move { .. }) => Some(Input::Force),
            _ => None,
        }
    }
}

/// The refusals in plain words, naming no flag or key (each front-end says its own).
fn refusals(list: &[Refusal]) -> String {
    let lines: Vec<String> = list.iter().map(plain).collect();
    lines.join("; ")
}

fn plain(refusal: &Refusal) -> String {
    match refusal {
        Refusal::Breaks(Breach::Move { from, to }) => format!(
            "status cannot move from {} to {}",
            from.as_str(),
            to.as_str()
        ),
        Refusal::Breaks(Breach::KillWithoutReason) => {
            "killing an experiment needs the reason".into()
        }
        Refusal::Breaks(Breach::PlanChanged { field, .. }) => {
            format!("the plan is locked since the experiment ran: changing {field} is an amendment")
        }
        Refusal::Breaks(Breach::IdChanged { from, to }) => {
            format!("the id was changed from {from} to {to}; an experiment keeps its id")
        }
        Refusal::Breaks(Breach::LogRewritten { index, how, .. }) => format!(
            "decision-log entry {} was {}; the log is append-only",
            index + 1,
            how.as_str()
        ),
        Refusal::NothingToChange => "nothing to change: every value given is already set".into(),
        Refusal::Blank(Input::Note) => "the note is blank; say what happened".into(),
        Refusal::Blank(Input::Amend) => {
            "the reason for the amendment is blank; say why the plan changes".into()
        }
        Refusal::Blank(Input::Force) => "nothing to say".into(),
        Refusal::AmendWithoutPlanChange => {
            "an amendment is for a change to the plan, and none is given".into()
        }
        Refusal::StartsAs(status) => format!(
            "a new experiment starts as draft or running, not {}",
            status.as_str()
        ),
        Refusal::Uncommitted {
            path, new: true, ..
        } => format!(
            "{path} was never committed; it is someone's work, not committed under another name"
        ),
        Refusal::Uncommitted { path, fields, .. } if fields.is_empty() => format!(
            "{path} has changes that are not committed; they are someone's work, not \
             committed under another name"
        ),
        Refusal::Uncommitted { path, fields, .. } => format!(
            "{path} has changes that are not committed ({}); they are someone's work, not \
             committed under another name",
            fields.join(", ")
        ),
        Refusal::Stale { path, seen, now } => format!(
            "{path} changed since this change was made: it was made against version {}, and \
             the record is now version {}",
            short(seen),
            short(now)
        ),
    }
}

/// The first 12 characters of a version, as a person compares them.
fn short(version: &str) -> &str {
    version.get(..12).unwrap_or(version)
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
            Error::Refused(list) if list.iter().any(Refusal::about_input) => Kind::BadInput,
            Error::Refused(_) => Kind::Failed,
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

    /// What the user can do about an error, when we know.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Failed { hint, .. } | Error::Problems { hint, .. } => hint.clone(),
            Error::WouldBreak { .. } => {
                Some("nothing was written; change the values and run the command again".into())
            }
            Error::NotFound {
                reference,
                candidates,
            } => Some(
                if reference.len() < 4 && reference.bytes().all(|b| b.is_ascii_hexdigit()) {
                    "an id prefix needs at least 4 characters".to_owned()
                } else if candidates.is_empty() {
                    "there are no experiments yet; create one with `xp new`".to_owned()
                } else {
                    let list: Vec<String> = candidates.iter().map(|c| c.describe()).collect();
                    format!(
                        "name an experiment by slug, id prefix (4+ characters) or path; closest:\n  {}",
                        list.join("\n  ")
                    )
                },
            ),
            Error::Ambiguous {
                reference,
                candidates,
            } if candidates.iter().all(|c| c.slug == *reference) => {
                // Files that share the slug: only a path tells them apart.
                let paths: Vec<String> = candidates
                    .iter()
                    .map(|c| format!("`{}`", c.path.display()))
                    .collect();
                let (last, rest) = paths.split_last()?;
                Some(if rest.is_empty() {
                    format!("name it by its path: {last}")
                } else {
                    format!("name one by its path: {} or {last}", rest.join(", "))
                })
            }
            Error::Ambiguous { .. } => Some("use more characters of the id, or the slug".into()),
            Error::Busy { .. } => Some("try again in a moment".into()),
            Error::Git(GitError::Conflicted { path }) => Some(format!(
                "resolve it first: `xp resolve {path}` merges and stages it, or edit it by hand and \
                 `git add {path}`"
            )),
            Error::Git(e) => e.hint(),
            Error::Usage { .. } => Some("run `xp --help` for usage".into()),
            // Each front-end says what to do about a refusal in its own words.
            Error::Refused(_) => None,
            Error::Io { .. } => None,
        }
    }

    /// The process exit code: 2 for bad usage, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. } => 2,
            Error::Refused(list) if list.iter().any(Refusal::about_input) => 2,
            _ => 1,
        }
    }
}
