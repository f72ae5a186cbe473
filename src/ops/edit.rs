//! Editing a record by hand in an editor (`xp edit`): the edited text is checked like any
//! change, must keep the id and the log's entries, and its status move is logged as `update`
//! logs one. The editor runs without the write lock; the file is compared again under it.

use std::path::PathBuf;

use crate::error::Error;
use crate::fields::FIELDS;
use crate::ops::write::{self, Change, Edit, Saved};
use crate::ops::{Notice, WriteOptions};
use crate::record::{LogEntry, Record, Status};
use crate::rules::{self, Problem};
use crate::store::Loaded;
use crate::workspace::Workspace;
use crate::yaml;
use crate::yaml_edit;

/// The first line of the problems xp writes at the top of the file it re-opens.
pub const HEADER_START: &str =
    "# xp edit: this version breaks the rules below. Fix it and save, or";
/// The last line of those problems; everything up to it is removed before checking.
pub const HEADER_END: &str = "# ---- xp removes the lines above before checking ----";

/// A record opened for editing: the text offered in the editor and what it was read from.
#[derive(Debug, Clone)]
pub struct Session {
    /// The ref as given, resolved again under the lock.
    pub reference: String,
    pub path: PathBuf,
    pub shown: PathBuf,
    pub slug: String,
    /// The file's bytes when the edit began.
    pub bytes: Vec<u8>,
    pub record: Record,
}

/// What a round in the editor gave.
#[derive(Debug)]
pub enum Round {
    /// The text is fine: save it with [`save`].
    Ready(Box<Checked>),
    /// The text breaks these; re-open it with [`with_problems`].
    Broken(Vec<String>),
    /// Nothing to do: the file was left as it was, or emptied (the reason).
    Abort(String),
}

/// An edited text that passed every check, with the record it must read back as.
#[derive(Debug)]
pub struct Checked {
    text: String,
    expected: Record,
    change: Change,
}

/// Opens the record `reference` names for editing; a record that breaks a rule is refused,
/// as every write refuses it (fix it with `xp check`'s help first).
pub fn start(ws: &Workspace, reference: &str) -> Result<Session, Error> {
    let loaded = crate::refs::resolve(ws, reference)?;
    let record = write::valid(
        &loaded,
        "xp edit opens only a record that passes every rule",
    )?;
    Ok(Session {
        reference: reference.to_owned(),
        path: loaded.path,
        shown: loaded.shown,
        slug: loaded.slug,
        bytes: loaded.bytes,
        record,
    })
}

/// Where the temporary copy goes: the git directory, or `None` for the system's temp folder;
/// never among the records.
pub fn scratch_dir(ws: &Workspace) -> Option<PathBuf> {
    ws.repo.as_ref().map(|r| r.git_dir().to_owned())
}

/// The text to re-open: the problems as `#` comments at the top, then the edited text.
pub fn with_problems(text: &str, problems: &[String]) -> String {
    let mut out = String::from(HEADER_START);
    out.push_str(
        "\n# empty the file to abandon the edit. Places are lines of the record below.\n#\n",
    );
    for problem in problems {
        for line in problem.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(HEADER_END);
    out.push('\n');
    out.push_str(strip(text));
    out
}

/// The text without xp's problems at its top (the person's own comments stay).
pub fn strip(text: &str) -> &str {
    if text.starts_with(HEADER_START)
        && let Some(at) = text.find(HEADER_END)
    {
        let rest = &text[at + HEADER_END.len()..];
        return rest
            .strip_prefix("\r\n")
            .or_else(|| rest.strip_prefix('\n'))
            .unwrap_or(rest);
    }
    text
}

/// Checks the text saved in one round: `offered` is what the editor was given this round.
/// `who` signs the status entry xp adds for a status changed by hand.
pub fn check(
    ws: &Workspace,
    session: &Session,
    offered: &str,
    saved: &[u8],
    force: bool,
    notices: &mut Vec<Notice>,
) -> Round {
    let Ok(saved) = std::str::from_utf8(saved) else {
        return Round::Broken(vec!["the file is not valid UTF-8; save it as UTF-8".into()]);
    };
    let text = strip(saved);
    if text.trim().is_empty() {
        return Round::Abort("the file was emptied: the edit is abandoned".into());
    }
    if text.as_bytes() == session.bytes.as_slice() {
        return Round::Abort("nothing was changed".into());
    }
    if text == strip(offered) {
        return Round::Abort("the file was saved without changes: the edit is abandoned".into());
    }
    let checked = rules::check_bytes(&session.shown, text.as_bytes());
    let Some(new) = checked.record else {
        return Round::Broken(checked.problems.iter().map(line).collect());
    };
    match prepare(ws, session, text, new, force, notices) {
        Ok(ready) => Round::Ready(Box::new(ready)),
        Err(problems) => Round::Broken(problems),
    }
}

/// A problem as one comment line: `path:line:column: error[rule]: message (hint)`.
fn line(p: &Problem) -> String {
    let hint = p
        .hint
        .as_deref()
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    format!(
        "{}:{}:{}: error[{}]: {}{hint}",
        p.path.display(),
        p.line,
        p.column,
        p.rule.name(),
        p.message
    )
}

/// The edit's own rules (the id stays, the log only grows, status moves as `update` allows)
/// and the text to write, with the status entry xp adds for a status changed by hand.
fn prepare(
    ws: &Workspace,
    session: &Session,
    text: &str,
    mut new: Record,
    force: bool,
    notices: &mut Vec<Notice>,
) -> Result<Checked, Vec<String>> {
    let old = &session.record;
    let mut problems = Vec::new();
    if new.id != old.id {
        problems.push(format!(
            "the id was changed from {} to {}; an experiment keeps its id (put it back)",
            old.id, new.id
        ));
    }
    let kept = new.decision_log.len() >= old.decision_log.len()
        && new.decision_log[..old.decision_log.len()] == old.decision_log[..];
    if !kept {
        problems.push(
            "an existing decision-log entry was changed or removed; the log is append-only: \
             put the old entries back as they were and add new ones at the end"
                .into(),
        );
    }
    let appended: Vec<LogEntry> = new
        .decision_log
        .get(old.decision_log.len()..)
        .unwrap_or_default()
        .to_vec();
    if new.status != old.status {
        if !force && !old.status.can_move_to(new.status) {
            let next: Vec<&str> = old.status.next().iter().map(|s| s.as_str()).collect();
            problems.push(format!(
                "status cannot move from {} to {}{}",
                old.status.as_str(),
                new.status.as_str(),
                if next.is_empty() {
                    " (run `xp edit --force` to move it anyway)".to_owned()
                } else {
                    format!(
                        "; it can move to {} (or run `xp edit --force`)",
                        next.join(" or ")
                    )
                }
            ));
        }
        if new.status == Status::Killed && appended.is_empty() {
            problems.push(
                "killing an experiment needs the reason: add a decision-log entry at the end \
                 saying why"
                    .into(),
            );
        }
    }
    if crate::plan::locked(old) {
        for (field, from, to) in crate::plan::changes(old, &new) {
            if crate::plan::reason(&appended, field, &from, &to).is_none() {
                problems.push(format!(
                    "the plan is locked since the experiment ran: changing {field} is an \
                     amendment; add a decision-log entry at the end saying why: \
                     `note: \"{}\"`",
                    crate::plan::note(field, &from, &to, "why")
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut body: Vec<String> = FIELDS
        .iter()
        .filter_map(|f| {
            let (before, after) = (old.get(f.name), new.get(f.name));
            (before != after).then(|| {
                write::change_line(
                    f.name,
                    &write::shown(f.name, &before),
                    &write::shown(f.name, &after),
                )
            })
        })
        .collect();
    let mut text = text.to_owned();
    if new.status != old.status {
        let entry = LogEntry {
            at: write::stamp(ws, &new.decision_log, notices),
            who: ws.who(None),
            note: format!("status: {} -> {}", old.status.as_str(), new.status.as_str()),
        };
        let doc = yaml::parse(&text).map_err(|e| vec![e.message])?;
        text = yaml_edit::append_log_entry(&text, &doc, &entry).map_err(|e| vec![e.0])?;
        new.decision_log.push(entry);
    }
    if !appended.is_empty() {
        body.push(String::new());
        body.extend(appended.iter().map(|e| e.note.clone()));
    }
    let change = Change {
        subject: format!("xp: edit {}", session.slug),
        body: body.join("\n"),
        id: old.id.clone(),
    };
    Ok(Checked {
        text,
        expected: new,
        change,
    })
}

/// Writes and commits the checked text under the write lock, after making sure the file is
/// still what the edit began from (another change meanwhile is refused, never overwritten).
pub fn save(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    session: &Session,
    checked: Checked,
    options: WriteOptions,
) -> Result<Saved, Error> {
    write::edit(
        ws,
        notices,
        &session.reference,
        options,
        |loaded: &Loaded, _record, _notices| {
            if loaded.path != session.path || loaded.bytes != session.bytes {
                return Err(Error::failed(
                    format!(
                        "{} was changed while it was open in the editor",
                        session.shown.display()
                    ),
                    "nothing was written; run `xp edit` again to edit the new version",
                ));
            }
            Ok(Edit {
                text: checked.text,
                expected: checked.expected,
                change: checked.change,
            })
        },
    )
}
