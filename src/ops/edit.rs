//! Editing a record by hand in an editor (`xp edit`): the edited text is checked like any
//! change, must keep the id and the log's entries, and its status move is logged as `update`
//! logs one. The editor runs without the write lock; the file is compared again under it.

use std::path::PathBuf;

use crate::error::Error;
use crate::ops::notice::Notice;
use crate::ops::workspace::Workspace;
use crate::ops::write::WriteOptions;
use crate::ops::write::{self, Change, Edit, Saved};
use crate::record::edit as yaml_edit;
use crate::record::fields::FIELDS;
use crate::record::lifecycle::{self, Breach};
use crate::record::texts::{Changed, Note, shown};
use crate::record::{LogEntry, Record};
use crate::rules::{self, Problem};
use crate::store::Loaded;
use crate::yaml;

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
    /// The text breaks these; re-open it with [`with_problems`], each phrased as a line.
    Broken(Vec<Trouble>),
    /// Nothing to do: the file was left as it was, or emptied (the reason).
    Abort(String),
}

/// What is wrong with an edited text.
#[derive(Debug, Clone, PartialEq)]
pub enum Trouble {
    /// The text is not UTF-8.
    NotUtf8,
    /// It breaks a rule.
    Problem(Problem),
    /// It changes what may not change between two versions (see [`lifecycle`]).
    Breach(Breach),
    /// xp cannot add its status entry to the text (the reason).
    Uneditable(String),
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
    let loaded = crate::ops::refs::resolve(ws, reference)?;
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
        return Round::Broken(vec![Trouble::NotUtf8]);
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
        return Round::Broken(checked.problems.into_iter().map(Trouble::Problem).collect());
    };
    match prepare(ws, session, text, new, force, notices) {
        Ok(ready) => Round::Ready(Box::new(ready)),
        Err(problems) => Round::Broken(problems),
    }
}

/// The edit's own rules (those of [`lifecycle::transition`], the status move unless
/// forced) and the text to write, with the status entry xp adds for a status changed by hand.
fn prepare(
    ws: &Workspace,
    session: &Session,
    text: &str,
    mut new: Record,
    force: bool,
    notices: &mut Vec<Notice>,
) -> Result<Checked, Vec<Trouble>> {
    let old = &session.record;
    let transition = lifecycle::transition(old, &new);
    let breaches: Vec<Trouble> = transition
        .breaches
        .into_iter()
        .filter(|b| !(force && matches!(b, Breach::Move { .. })))
        .map(Trouble::Breach)
        .collect();
    if !breaches.is_empty() {
        return Err(breaches);
    }
    let fields: Vec<String> = FIELDS
        .iter()
        .filter_map(|f| {
            let (before, after) = (old.get(f.name), new.get(f.name));
            (before != after).then(|| {
                Changed {
                    field: f.name,
                    from: &shown(f.name, &before),
                    to: &shown(f.name, &after),
                }
                .to_string()
            })
        })
        .collect();
    let mut text = text.to_owned();
    if new.status != old.status {
        let entry = LogEntry {
            at: write::stamp(ws, &new.decision_log, notices),
            who: ws.who(None),
            note: Note::Moved {
                from: old.status,
                to: new.status,
                why: None,
            }
            .to_string(),
        };
        let parsed = yaml::parse(&text);
        let appended = parsed
            .map_err(|e| e.message)
            .and_then(|doc| yaml_edit::append_log_entry(&text, &doc, &entry).map_err(|e| e.0));
        text = appended.map_err(|e| vec![Trouble::Uneditable(e)])?;
        new.decision_log.push(entry);
    }
    let added: Vec<&str> = transition.added.iter().map(|e| e.note.as_str()).collect();
    let change = Change {
        subject: format!("xp: edit {}", session.slug),
        fields,
        body: added.join("\n"),
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
