//! Changing fields like the origin service's PATCH: status moves are checked and logged, and
//! the result must pass every rule or nothing is written.

use crate::error::Error;
use crate::ops::note::Who;
use crate::ops::notice::Notice;
use crate::ops::workspace::Workspace;
use crate::ops::write::WriteOptions;
use crate::ops::write::{self, Change, Edit, Saved};
use crate::record::edit::{self as yaml_edit, NewValue};
use crate::record::fields::{FIELDS, Field, FieldKind};
use crate::record::plan;
use crate::record::{FieldValue, LogEntry, Record, Status};
use crate::yaml;

/// What to change: fields, each with its new value, and what goes with the change.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// The fields to set, each with its new value (`None` clears it); a field named twice
    /// takes the last value.
    pub fields: Vec<(&'static Field, Option<FieldValue>)>,
    /// A note for the decision log (required when killing).
    pub note: Option<String>,
    /// Allow any status move.
    pub force: bool,
    /// Why the plan changes, once it is locked (`--amend`): each plan field changed gets a
    /// log entry `amended: FIELD OLD -> NEW: REASON`.
    pub amend: Option<String>,
    pub who: Option<String>,
}

/// Why a status move was refused: the move and the moves that are allowed.
fn refused_move(from: Status, to: Status) -> Error {
    let next: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
    let hint = if next.is_empty() {
        format!(
            "{} is the last status: it moves nowhere without --force",
            from.as_str()
        )
    } else {
        format!(
            "from {} it can move to {}; add --force to move anyway",
            from.as_str(),
            next.join(" or ")
        )
    };
    Error::failed(
        format!(
            "status cannot move from {} to {}",
            from.as_str(),
            to.as_str()
        ),
        hint,
    )
}

/// Changes the experiment `reference` names and commits it.
pub fn update(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    reference: &str,
    changes: Changes,
    options: WriteOptions,
) -> Result<Saved, Error> {
    update_as(ws, notices, reference, changes, Who::Default, options)
}

/// [`update`], with the log entry's `who` taken as `fallback` says when none is given.
pub fn update_as(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    reference: &str,
    changes: Changes,
    fallback: Who,
    options: WriteOptions,
) -> Result<Saved, Error> {
    write::edit(ws, notices, reference, options, |loaded, old, notices| {
        let mut new = old.clone();
        let edits = apply(&changes, &mut new)?;
        let note = blank_is_error(changes.note.as_deref(), "the -m note is blank; say why")?;
        let reason = blank_is_error(
            changes.amend.as_deref(),
            "the --amend reason is blank; say why the plan changes",
        )?;
        let amended = plan::changes(&old, &new);
        guard_plan(&old, &amended, reason)?;
        guard_move(&old, &new, changes.force, note)?;
        let changed: Vec<String> = edits
            .iter()
            .filter(|(_, before, after)| before != after)
            .map(|(key, before, after)| format!("{key}: {before} -> {after}"))
            .collect();
        let status_change = (new.status != old.status)
            .then(|| format!("status: {} -> {}", old.status.as_str(), new.status.as_str()));
        let mut notes: Vec<String> = reason.map_or_else(Vec::new, |reason| {
            amended
                .iter()
                .map(|(field, from, to)| plan::note(field, from, to, reason))
                .collect()
        });
        notes.extend(match (&status_change, note) {
            (Some(change), Some(note)) => Some(format!("{change}: {note}")),
            (Some(change), None) => Some(change.clone()),
            (None, Some(note)) => Some(note.to_owned()),
            (None, None) => None,
        });
        if changed.is_empty() && notes.is_empty() {
            return Err(Error::failed(
                "nothing to change: every value given is already set",
                "pass a field to change, e.g. --status running, or -m to add a note",
            ));
        }
        let text = rewrite(
            ws,
            loaded,
            &old,
            &mut new,
            &notes,
            fallback.resolve(ws, changes.who.as_deref()),
            notices,
        )?;
        let mut body = changed;
        for (label, text) in [("Amended: ", reason), ("", note)] {
            if let Some(text) = text {
                body.push(String::new());
                body.push(format!("{label}{text}"));
            }
        }
        let subject = match (&status_change, reason) {
            (_, Some(_)) => format!("xp: amend {}", loaded.slug),
            (Some(_), None) => format!("xp: status {} on {}", new.status.as_str(), loaded.slug),
            (None, None) => format!("xp: update {}", loaded.slug),
        };
        let change = Change {
            subject,
            body: body.join("\n"),
            id: old.id.clone(),
        };
        Ok(Edit {
            text,
            expected: new,
            change,
        })
    })
}

/// A text that, when given, must not be blank; trimmed.
fn blank_is_error<'a>(text: Option<&'a str>, message: &str) -> Result<Option<&'a str>, Error> {
    match text.map(str::trim) {
        Some("") => Err(Error::usage(message)),
        other => Ok(other),
    }
}

/// Once the experiment ran, a change to the plan needs a reason; a reason needs a change.
fn guard_plan(
    old: &Record,
    amended: &[(&str, String, String)],
    reason: Option<&str>,
) -> Result<(), Error> {
    if reason.is_some() && amended.is_empty() {
        return Err(Error::usage(
            "--amend is for a change to the plan (--hypothesis, --metric, --baseline, --target, \
             --direction), and none is given",
        ));
    }
    if !amended.is_empty() && reason.is_none() && plan::locked(old) {
        let fields: Vec<&str> = amended.iter().map(|(f, _, _)| *f).collect();
        return Err(Error::failed(
            format!(
                "the plan is locked since the experiment ran: changing {} is an amendment",
                fields.join(", ")
            ),
            "say why with --amend \"reason\"; the change and the reason are logged",
        ));
    }
    Ok(())
}

/// A status move must be allowed (or forced), and killing needs its reason.
fn guard_move(old: &Record, new: &Record, force: bool, note: Option<&str>) -> Result<(), Error> {
    if new.status == old.status {
        return Ok(());
    }
    if !force && !old.status.can_move_to(new.status) {
        return Err(refused_move(old.status, new.status));
    }
    if new.status == Status::Killed && note.is_none() {
        return Err(Error::usage(
            "killing an experiment needs the reason: add -m \"why it was killed\"",
        ));
    }
    Ok(())
}

/// The file's text with the changed values replaced and the notes appended to the log (and to
/// `new`'s log), each edit re-parsed before the next.
fn rewrite(
    ws: &Workspace,
    loaded: &crate::store::Loaded,
    old: &Record,
    new: &mut Record,
    notes: &[String],
    who: Option<String>,
    notices: &mut Vec<Notice>,
) -> Result<String, Error> {
    let parse =
        |text: &str| yaml::parse(text).map_err(|e| Error::failed(e.message, "nothing was written"));
    let mut text = String::from_utf8_lossy(&loaded.bytes).into_owned();
    for (key, value) in values_to_write(old, new) {
        text = yaml_edit::set_field(&text, &parse(&text)?, key, &value)
            .map_err(|e| Error::failed(e.0, "nothing was written"))?;
    }
    for note in notes {
        let entry = LogEntry {
            at: write::stamp(ws, &new.decision_log, notices),
            who: who.clone(),
            note: note.clone(),
        };
        text = yaml_edit::append_log_entry(&text, &parse(&text)?, &entry)
            .map_err(|e| Error::failed(e.0, "nothing was written"))?;
        new.decision_log.push(entry);
    }
    Ok(text)
}

impl Changes {
    /// Changes the field to `value` (`None` clears it; a list is cleared to an empty list,
    /// as the file then writes it).
    pub fn set(&mut self, field: &'static Field, value: Option<FieldValue>) {
        let value = match (field.kind, value) {
            (FieldKind::TextList, None) => Some(FieldValue::List(Vec::new())),
            (_, value) => value,
        };
        self.fields.retain(|(f, _)| f.name != field.name);
        self.fields.push((field, value));
    }

    /// Each field to set, by its name, with its new value, in the table's order (so that
    /// edits and commit bodies follow the file's key order).
    pub fn fields(&self) -> Vec<(&'static str, Option<FieldValue>)> {
        let mut out: Vec<_> = self
            .fields
            .iter()
            .map(|(f, v)| (f.name, v.clone()))
            .collect();
        out.sort_by_key(|(name, _)| FIELDS.iter().position(|f| f.name == *name));
        out
    }
}

/// Applies the changes to `new`; returns (key, before, after) for every field named but the
/// status (whose move is logged on its own).
fn apply(
    changes: &Changes,
    new: &mut Record,
) -> Result<Vec<(&'static str, String, String)>, Error> {
    let mut edits = Vec::new();
    for (name, value) in changes.fields() {
        let before = new.get(name);
        if !new.set(name, value.clone()) {
            return Err(Error::usage(format!("{name} cannot take that value")));
        }
        if name != "status" {
            edits.push((
                name,
                write::shown(name, &before),
                write::shown(name, &value),
            ));
        }
    }
    Ok(edits)
}

/// The text edits that turn `old` into `new`: each field of the table whose value changed.
fn values_to_write(old: &Record, new: &Record) -> Vec<(&'static str, NewValue)> {
    FIELDS
        .iter()
        .filter_map(|field| {
            let value = new.get(field.name);
            (old.get(field.name) != value)
                .then(|| (field.name, yaml_edit::field_value(field, value)))
        })
        .collect()
}
