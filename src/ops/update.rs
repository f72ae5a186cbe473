//! Changing fields like the origin service's PATCH: status moves are checked and logged, and
//! the result must pass every rule or nothing is written.

use crate::error::Error;
use crate::fields::{FIELDS, FieldKind};
use crate::ops::note::Who;
use crate::ops::write::{self, Change, Edit, Saved};
use crate::ops::{Notice, WriteOptions};
use crate::plan;
use crate::record::{Decision, Direction, FieldValue, LogEntry, Record, Status};
use crate::workspace::Workspace;
use crate::yaml;
use crate::yaml_edit::{self, NewValue};

/// The fields to change; `None` leaves a field as it is. For the fields that may be null,
/// `Some(None)` clears them.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub title: Option<String>,
    pub hypothesis: Option<String>,
    pub primary_metric: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub direction: Option<Direction>,
    pub status: Option<Status>,
    pub confidence: Option<i64>,
    pub decision: Option<Option<Decision>>,
    pub learning: Option<Option<String>>,
    pub owner: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub links: Option<Vec<String>>,
    /// The measured value of the primary metric; `Some(None)` clears it.
    pub observed: Option<Option<f64>>,
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
            .map(|(key, before, after)| write::change_line(key, before, after))
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
    /// Each field to set, by its name in the field table, with its new value (`None` clears).
    pub fn fields(&self) -> Vec<(&'static str, Option<FieldValue>)> {
        let text = |t: &String| Some(FieldValue::Text(t.clone()));
        let mut out = Vec::new();
        let mut put = |name: &'static str, value: Option<Option<FieldValue>>| {
            if let Some(value) = value {
                out.push((name, value));
            }
        };
        put("title", self.title.as_ref().map(text));
        put("hypothesis", self.hypothesis.as_ref().map(text));
        put("primary_metric", self.primary_metric.as_ref().map(text));
        put(
            "baseline",
            self.baseline.map(|x| Some(FieldValue::Number(x))),
        );
        put("target", self.target.map(|x| Some(FieldValue::Number(x))));
        put(
            "status",
            self.status
                .map(|s| Some(FieldValue::Text(s.as_str().into()))),
        );
        put(
            "confidence",
            self.confidence.map(|n| Some(FieldValue::Whole(n))),
        );
        put(
            "decision",
            self.decision
                .map(|d| d.map(|d| FieldValue::Text(d.as_str().into()))),
        );
        put(
            "learning",
            self.learning.as_ref().map(|v| v.as_ref().and_then(text)),
        );
        put(
            "direction",
            self.direction
                .map(|d| Some(FieldValue::Text(d.as_str().into()))),
        );
        put(
            "owner",
            self.owner.as_ref().map(|v| v.as_ref().and_then(text)),
        );
        put("tags", self.tags.clone().map(|v| Some(FieldValue::List(v))));
        put(
            "links",
            self.links.clone().map(|v| Some(FieldValue::List(v))),
        );
        put("observed", self.observed.map(|x| x.map(FieldValue::Number)));
        // In the table's order, so that edits and commit bodies follow the file's key order.
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
    let word = |s: &str| NewValue::Scalar(s.to_owned());
    FIELDS
        .iter()
        .filter_map(|field| {
            let value = new.get(field.name);
            if old.get(field.name) == value {
                return None;
            }
            let written = match (field.kind, value) {
                (FieldKind::TextList, Some(FieldValue::List(items))) => NewValue::List(items),
                (FieldKind::TextList, _) => NewValue::List(Vec::new()),
                (_, None) => word("null"),
                (FieldKind::Text, Some(FieldValue::Text(t))) => yaml_edit::scalar(&t),
                (_, Some(FieldValue::Number(x))) => yaml_edit::number(x),
                (_, Some(FieldValue::Whole(n))) => word(&n.to_string()),
                (_, Some(FieldValue::Text(t))) => word(&t),
                (_, Some(FieldValue::List(items))) => NewValue::List(items),
            };
            Some((field.name, written))
        })
        .collect()
}
