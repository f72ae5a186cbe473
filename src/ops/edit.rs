//! Editing a record by hand in an editor (`xp edit`): the edited text is checked like any
//! change, must keep the id and the log's entries, and its status move is logged as `update`
//! logs one. The editor runs without the write lock; the file is compared again under it, and
//! notes that landed meanwhile are merged in. The temporary copies the editor works on live
//! in the git directory; what xp cannot save is kept there for the person who typed it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;
use crate::ops::notice::Notice;
use crate::ops::workspace::Workspace;
use crate::ops::write::WriteOptions;
use crate::ops::write::{self, Change, Edit, Saved};
use crate::record::edit as yaml_edit;
use crate::record::fields::FIELDS;
use crate::record::lifecycle::{self, Breach};
use crate::record::texts::{Changed, Note, shown};
use crate::record::{FieldValue, LogEntry, Record};
use crate::review::merge;
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
    /// Any status move is allowed (`--force`).
    force: bool,
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
    let mut text = text.to_owned();
    // A kill by hand that leaves the decision as it was decides `kill`, as `update` does.
    if new.decision == old.decision
        && let Some(decision) = lifecycle::implied_decision(old, &new)
    {
        let field = crate::record::fields::field("decision");
        let value = Some(FieldValue::Text(decision.as_str().to_owned()));
        let set = match (yaml::parse(&text), field) {
            (Ok(doc), Some(field)) => yaml_edit::set_field(
                &text,
                &doc,
                "decision",
                &yaml_edit::field_value(field, value),
            )
            .map_err(|e| e.0),
            (Err(e), _) => Err(e.message),
            (_, None) => Err("the record has no decision field".to_owned()),
        };
        text = set.map_err(|e| vec![Trouble::Uneditable(e)])?;
        new.decision = Some(decision);
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
        force,
    })
}

/// Writes and commits the checked text under the write lock, after making sure the file is
/// still what the edit began from. When others only appended log entries meanwhile (a note
/// from a bot or the server), the edit is merged onto the new version as the merge driver
/// merges a branch; any other change meanwhile is refused, never overwritten.
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
        |loaded: &Loaded, current, notices| {
            if loaded.path == session.path && loaded.bytes == session.bytes {
                return Ok(Edit {
                    text: checked.text,
                    expected: checked.expected,
                    change: checked.change,
                });
            }
            let merged = (loaded.path == session.path)
                .then(|| onto(session, &checked, loaded, &current))
                .flatten()
                .ok_or_else(|| {
                    Error::failed(
                        format!(
                            "{} was changed while it was open in the editor, in more than new \
                             decision-log entries",
                            session.shown.display()
                        ),
                        "nothing was written; run `xp edit` again to edit the new version",
                    )
                })?;
            let added = current.decision_log.len() - session.record.decision_log.len();
            notices.push(Notice::Warning(format!(
                "{} got {added} new decision-log entr{} while it was open in the editor; your \
                 edit is merged onto that version",
                session.shown.display(),
                if added == 1 { "y" } else { "ies" }
            )));
            Ok(merged)
        },
    )
}

/// The edit merged onto `current`, the version on disk now, when that version only appended
/// log entries to the one the edit began from (the file grew at its end, every field is as it
/// was): the version the edit began from is the base, the new one theirs, the edited text
/// ours. `None` when it changed otherwise, or the merge is not clean, or its result is not a
/// change the edit may make.
fn onto(session: &Session, checked: &Checked, loaded: &Loaded, current: &Record) -> Option<Edit> {
    let before = &session.record;
    let fields_kept = FIELDS
        .iter()
        .all(|f| before.get(f.name) == current.get(f.name));
    let appended = loaded.bytes.starts_with(&session.bytes)
        && current.id == before.id
        && fields_kept
        && current.decision_log.len() > before.decision_log.len()
        && current.decision_log.starts_with(&before.decision_log);
    if !appended {
        return None;
    }
    let merged = merge::merge(Some(&session.bytes), checked.text.as_bytes(), &loaded.bytes);
    if !merged.is_clean() {
        return None;
    }
    let text = String::from_utf8(merged.text).ok()?;
    let expected = rules::check_bytes(&session.shown, text.as_bytes()).record?;
    let breaches = lifecycle::transition(current, &expected)
        .breaches
        .into_iter()
        .any(|b| !(checked.force && matches!(b, Breach::Move { .. })));
    (!breaches).then(|| Edit {
        text,
        expected,
        change: checked.change.clone(),
    })
}

/// The temporary copies the editor works on: `xp-edit-<slug>-<random>.yaml`.
const SCRATCH: (&str, &str) = ("xp-edit-", ".yaml");

/// The copies of edits xp could not save, kept for the person who typed them.
const KEPT: (&str, &str) = ("xp-kept-edit-", ".yaml");

/// The lock every running `xp edit` holds shared, so that leftovers are removed only while
/// none runs.
const EDITING: &str = "xp-edit.lock";

/// The temporary copy one `xp edit` works on, removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    pub file: tempfile::NamedTempFile,
    /// How many copies that killed runs of `xp edit` left were removed first.
    pub removed: usize,
    _editing: Option<crate::lockfile::FileLock>,
}

/// A temporary `.yaml` copy for the editor, in the git directory (the system's temp folder
/// outside git), never among the records. In the git directory, copies left by `xp edit`
/// runs that were killed are removed first, when no other `xp edit` is running there (each
/// holds a shared lock while it runs): only files named as xp names its copies, never the
/// kept ones.
pub fn scratch(ws: &Workspace, slug: &str) -> Result<Scratch, Error> {
    let prefix = format!("{}{slug}-", SCRATCH.0);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(SCRATCH.1);
    let Some(dir) = scratch_dir(ws) else {
        let file = builder
            .tempfile()
            .map_err(|e| Error::io("the temporary folder", e))?;
        return Ok(Scratch {
            file,
            removed: 0,
            _editing: None,
        });
    };
    let lock = dir.join(EDITING);
    let removed = match crate::lockfile::lock_file(&lock, Duration::ZERO) {
        Ok(Some(_alone)) => remove_leftovers(&dir),
        _ => 0,
    };
    let editing = crate::lockfile::lock_shared(&lock).map_err(|e| Error::io(&lock, e))?;
    let file = builder.tempfile_in(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(Scratch {
        file,
        removed,
        _editing: Some(editing),
    })
}

/// Removes the editor copies in `dir` (only regular files named as xp names them); returns
/// how many.
fn remove_leftovers(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            entry.file_type().is_ok_and(|t| t.is_file())
                && name.starts_with(SCRATCH.0)
                && name.ends_with(SCRATCH.1)
                && std::fs::remove_file(entry.path()).is_ok()
        })
        .count()
}

/// Keeps `text`, an edit xp could not save, in a file of its own beside the temporary copies
/// (`xp-kept-edit-<slug>-<random>.yaml`, which nothing of xp removes); returns its path.
pub fn keep(ws: &Workspace, slug: &str, text: &[u8]) -> Result<PathBuf, Error> {
    let prefix = format!("{}{slug}-", KEPT.0);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(KEPT.1);
    let file = match scratch_dir(ws) {
        Some(dir) => builder.tempfile_in(&dir).map_err(|e| Error::io(dir, e))?,
        None => builder
            .tempfile()
            .map_err(|e| Error::io("the temporary folder", e))?,
    };
    let (mut file, path) = file
        .keep()
        .map_err(|e| Error::io("the kept edit", e.error))?;
    std::io::Write::write_all(&mut file, text)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// How many rounds in a row may give the same problems before xp stops re-opening the editor.
pub const SAME_ROUNDS: usize = 3;

/// Watches the rounds of one edit for an editor that never converges (a script that changes
/// the file the same wrong way every time).
#[derive(Debug, Default)]
pub struct Rounds {
    last: Vec<String>,
    same: usize,
}

impl Rounds {
    /// Whether to stop after a round that gave `problems` from the `saved` text: the same
    /// problems [`SAME_ROUNDS`] rounds in a row, or xp's problems header kept inside the text
    /// (not at its top, where xp removes it), where it would pile up round after round.
    pub fn stuck(&mut self, problems: &[String], saved: &str) -> bool {
        if problems == self.last.as_slice() {
            self.same += 1;
        } else {
            self.last = problems.to_vec();
            self.same = 1;
        }
        self.same >= SAME_ROUNDS || strip(saved).contains(HEADER_START)
    }
}
