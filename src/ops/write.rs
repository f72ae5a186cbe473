//! The one write path: lock, re-read, check, edit, re-check, preflight, atomic write, commit.

use std::path::{Path, PathBuf};

use crate::error::{Error, Refusal, Sources};
use crate::git::{Committed, Worktree};
use crate::ops::notice::Notice;
use crate::ops::workspace::Workspace;
use crate::record::FIELDS;
use crate::record::texts::{Changed, shown};
use crate::record::{LogEntry, Record};
use crate::rules;
use crate::store::Loaded;
use crate::time::format_time;

/// How a write ends: committed in a git work tree, or only written; and for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Commit the file (false: `--no-commit`).
    pub commit: bool,
    pub writer: Writer,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            commit: true,
            writer: Writer::Person,
        }
    }
}
use crate::text;

/// Who a write is for, which decides what becomes of an edit of the record not yet committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// A person in their own clone (the command line): their edit is committed with the change,
    /// and the commit body lists every field it changes.
    Person,
    /// A server writing for others: it refuses a record with changes not committed, which are
    /// someone's work, rather than commit them under its own name; and a detached HEAD, where
    /// its commits would be on no branch people read.
    Service,
}

/// A change to record in a commit.
#[derive(Debug, Clone)]
pub struct Change {
    /// The commit subject, e.g. `xp: note on homepage-cta-color`.
    pub subject: String,
    /// The fields that change, as `field: from -> to` lines: the body's first paragraph.
    pub fields: Vec<String>,
    /// What else the body says: the note, the reason, the title.
    pub body: String,
    pub id: String,
}

/// A record as written.
#[derive(Debug, Clone)]
pub struct Saved {
    pub record: Record,
    /// Absolute path of the file.
    pub path: PathBuf,
    /// The path as shown to the user.
    pub shown: PathBuf,
    pub slug: String,
    /// The commit, when one was made.
    pub commit: Option<Committed>,
}

/// An edit of one record's text, and what it must read back as.
pub(crate) struct Edit {
    pub text: String,
    pub expected: Record,
    pub change: Change,
}

/// The record of a loaded file, or its problems as the error (`why` ends the hint).
pub(crate) fn valid(loaded: &Loaded, why: &str) -> Result<Record, Error> {
    match &loaded.checked.record {
        Some(record) => Ok(record.clone()),
        None => Err(Error::Problems {
            problems: loaded.checked.problems.clone(),
            sources: Sources::one(&loaded.shown, &loaded.bytes),
            message: None,
            hint: Some(format!("fix the file first; {why}")),
        }),
    }
}

/// Edits the record `reference` names under the write lock: `make` sees the file as it is now
/// and its record, and gives the new text; it is checked again and written and committed.
pub(crate) fn edit(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    reference: &str,
    options: WriteOptions,
    make: impl FnOnce(&Loaded, Record, &mut Vec<Notice>) -> Result<Edit, Error>,
) -> Result<Saved, Error> {
    let _lock = ws.lock(notices)?;
    let loaded = crate::ops::refs::resolve(ws, reference)?;
    let record = valid(&loaded, "xp does not change a record that breaks a rule")?;
    let edit = make(&loaded, record, notices)?;
    verify(&loaded.shown, &edit.text, &edit.expected)?;
    let commit = save(
        ws,
        notices,
        &loaded.path,
        Some(&loaded.bytes),
        edit.text.as_bytes(),
        &edit.change,
        options,
    )?;
    Ok(Saved {
        record: edit.expected,
        path: loaded.path,
        shown: loaded.shown,
        slug: loaded.slug,
        commit,
    })
}

/// The time for a new log entry: now, or the last entry's time when that is later (another
/// machine's clock ran ahead), so the log stays in order; the latter is said as a warning.
pub(crate) fn stamp(ws: &Workspace, log: &[LogEntry], notices: &mut Vec<Notice>) -> String {
    let now = ws.env.now();
    let last = log.last().and_then(|e| crate::time::parse_utc(&e.at));
    match last {
        Some(last) if last > now => {
            let at = format_time(last);
            let fix = if last > now + crate::time::AHEAD_SLACK {
                "; if a clock that ran ahead stamped it, `xp fix-time` moves such times back"
            } else {
                ""
            };
            notices.push(Notice::Warning(format!(
                "the log's last entry is stamped {at}, later than this clock ({}); the new entry \
                 is stamped {at} too, so that the log stays in order{fix}",
                format_time(now)
            )));
            at
        }
        _ => format_time(now),
    }
}

/// Checks an edited text again: it must pass every rule and read back as `expected`.
pub(crate) fn verify(path: &Path, text: &str, expected: &Record) -> Result<(), Error> {
    let checked = rules::check_bytes(path, text.as_bytes());
    if !checked.problems.is_empty() {
        return Err(Error::WouldBreak {
            problems: checked.problems,
        });
    }
    if checked.record.as_ref() != Some(expected) {
        return Err(Error::failed(
            format!(
                "editing {} in place would not give the intended record",
                path.display()
            ),
            "nothing was written; make this change by hand, and please report the file's shape",
        ));
    }
    Ok(())
}

/// Writes a record atomically and, in a git work tree, commits exactly that file.
/// On a failed commit the file is put back as it was.
pub(crate) fn save(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    path: &Path,
    old: Option<&[u8]>,
    new: &[u8],
    change: &Change,
    options: WriteOptions,
) -> Result<Option<Committed>, Error> {
    let repo = ws.repo.as_ref().filter(|_| options.commit);
    let rel = match repo {
        Some(repo) => Some(ws.repo_path(repo, path)?),
        None => None,
    };
    let mut change = change.clone();
    if let (Some(repo), Some(rel)) = (repo, &rel) {
        if options.writer == Writer::Service {
            repo.need_branch()?;
        }
        let worktree = repo.preflight(rel, old)?;
        uncommitted(&worktree, rel, old, new, &mut change, options.writer)?;
    }
    ws.store.write(path, new)?;
    ws.env.crash_point("after-write");
    let (Some(repo), Some(rel)) = (repo, &rel) else {
        return Ok(None);
    };
    let message = commit_message(&change);
    let committed = match &ws.gate {
        Some(gate) => {
            repo.commit_file_with(rel, new, &message, &ws.env.git(), &mut |id| gate(repo, id))
        }
        None => repo.commit_file(rel, new, &message, &ws.env.git()),
    };
    match committed {
        Ok(done) => {
            notices.push(Notice::Committed {
                short: done.short.clone(),
                subject: change.subject.clone(),
            });
            if repo.wants_signing() {
                notices.push(Notice::Warning(
                    "commit.gpgsign is set, but xp's commits are not signed (nor are git \
                     hooks run); sign them later with `git rebase --exec 'git commit \
                     --amend --no-edit -S'` if you need to"
                        .into(),
                ));
            }
            Ok(Some(done))
        }
        Err(e) => {
            let restored = match old {
                Some(old) => ws.store.write(path, old),
                None => std::fs::remove_file(path).map_err(|e| Error::io(path, e)),
            };
            if let Err(r) = restored {
                notices.push(Notice::Warning(format!(
                    "could not put the file back as it was: {r}"
                )));
            }
            Err(e.into())
        }
    }
}

/// What becomes of an edit of the record that is not committed (`old`, the file now, differs
/// from HEAD's version): a person's is committed with the change, which then lists every field
/// that differs from HEAD's version; a service refuses it.
fn uncommitted(
    worktree: &Worktree,
    rel: &str,
    old: Option<&[u8]>,
    new: &[u8],
    change: &mut Change,
    writer: Writer,
) -> Result<(), Error> {
    let path = Path::new(rel);
    let record = |bytes: &[u8]| rules::check_bytes(path, bytes).record;
    let differ = |from: &Record, to: &Record| -> Vec<&'static str> {
        FIELDS
            .iter()
            .filter(|f| from.get(f.name) != to.get(f.name))
            .map(|f| f.name)
            .collect()
    };
    match (worktree, writer) {
        (Worktree::Committed, _) | (Worktree::New, Writer::Person) => Ok(()),
        (Worktree::New, Writer::Service) => Err(Error::Refused(vec![Refusal::Uncommitted {
            path: rel.to_owned(),
            fields: Vec::new(),
            new: true,
        }])),
        (Worktree::Edited { head }, Writer::Service) => {
            let fields = match (record(head), old.and_then(record)) {
                (Some(head), Some(now)) => differ(&head, &now),
                _ => Vec::new(),
            };
            Err(Error::Refused(vec![Refusal::Uncommitted {
                path: rel.to_owned(),
                fields,
                new: false,
            }]))
        }
        (Worktree::Edited { head }, Writer::Person) => {
            if let (Some(head), Some(new)) = (record(head), record(new)) {
                change.fields = differ(&head, &new)
                    .into_iter()
                    .map(|field| {
                        Changed {
                            field,
                            from: &shown(field, &head.get(field)),
                            to: &shown(field, &new.get(field)),
                        }
                        .to_string()
                    })
                    .collect();
            }
            Ok(())
        }
    }
}

/// The commit message: subject, the changed fields, the rest of the body, and the trailer
/// `xp log` follows. The record's text in it is escaped as on a terminal (`git log` shows it
/// there, and git cannot store a NUL): the subject on its one line, the rest keeping its line
/// breaks.
pub fn commit_message(change: &Change) -> String {
    let mut message = text::terminal(&change.subject).into_owned();
    for paragraph in [change.fields.join("\n"), change.body.clone()] {
        let paragraph = text::terminal_lines(paragraph.trim());
        if !paragraph.is_empty() {
            message.push_str("\n\n");
            message.push_str(&paragraph);
        }
    }
    format!("{message}\n\nExperiment-Id: {}\n", change.id)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeMap;

    use super::*;
    use crate::env::Env;

    const NOW: &str = "2026-02-22T18:30:00.000Z";

    /// A workspace outside any repository whose clock says [`NOW`].
    fn workspace(dir: &Path) -> Workspace {
        let vars = BTreeMap::from([
            ("XP_NOW".to_owned(), NOW.to_owned()),
            (
                "GIT_CEILING_DIRECTORIES".to_owned(),
                dir.to_string_lossy().into_owned(),
            ),
        ]);
        let env = Env::new(vars, dir.to_owned()).unwrap();
        Workspace::open(&env, Some(&dir.join("experiments"))).unwrap()
    }

    fn entry(at: &str) -> LogEntry {
        LogEntry {
            at: at.into(),
            who: None,
            note: "n".into(),
        }
    }

    #[test]
    fn a_new_entry_is_stamped_now_unless_the_log_is_ahead_of_this_clock() {
        let dir = tempfile::tempdir().unwrap();
        let ws = workspace(&dir.path().canonicalize().unwrap());
        let stamped = |log: &[LogEntry]| {
            let mut notices = Vec::new();
            let at = stamp(&ws, log, &mut notices);
            (at, notices.len())
        };
        assert_eq!(stamped(&[]), (NOW.to_owned(), 0));
        assert_eq!(
            stamped(&[entry("2026-02-22T18:29:59.999Z")]),
            (NOW.to_owned(), 0)
        );
        // The same time is in order: no warning.
        assert_eq!(stamped(&[entry(NOW)]), (NOW.to_owned(), 0));
        assert_eq!(
            stamped(&[entry("2026-02-22T18:30:00.001Z")]),
            ("2026-02-22T18:30:00.001Z".to_owned(), 1)
        );
    }

    #[test]
    fn a_commit_message_is_subject_fields_body_and_trailer_with_text_escaped() {
        let change = |fields: &[&str], body: &str| Change {
            subject: "xp: note on cta\u{1b}[2J".into(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            body: body.into(),
            id: "1234".into(),
        };
        assert_eq!(
            commit_message(&change(&[], "  \n")),
            "xp: note on cta\\u{1b}[2J\n\nExperiment-Id: 1234\n"
        );
        assert_eq!(
            commit_message(&change(
                &["confidence: 0 -> 7"],
                "line one\nline\u{0} two\r\n"
            )),
            "xp: note on cta\\u{1b}[2J\n\nconfidence: 0 -> 7\n\nline one\nline\\0 two\n\n\
             Experiment-Id: 1234\n"
        );
    }
}
