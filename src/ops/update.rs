//! Changing fields like the origin service's PATCH: status moves are checked and logged, and
//! the result must pass every rule or nothing is written.

use crate::error::Error;
use crate::fields::{self, FIELDS, FieldKind};
use crate::ops::write::{self, Change, Edit, Saved};
use crate::ops::{Notice, WriteOptions};
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
    /// A note for the decision log (required when killing).
    pub note: Option<String>,
    /// Allow any status move.
    pub force: bool,
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
    write::edit(ws, notices, reference, options, |loaded, old, notices| {
        let mut new = old.clone();
        let edits = apply(&changes, &mut new)?;
        let note = changes
            .note
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty());
        if changes.note.is_some() && note.is_none() {
            return Err(Error::usage("the -m note is blank; say why"));
        }
        if new.status != old.status {
            if !changes.force && !old.status.can_move_to(new.status) {
                return Err(refused_move(old.status, new.status));
            }
            if new.status == Status::Killed && note.is_none() {
                return Err(Error::usage(
                    "killing an experiment needs the reason: add -m \"why it was killed\"",
                ));
            }
        }
        let changed: Vec<String> = edits
            .iter()
            .filter(|(_, before, after)| before != after)
            .map(|(key, before, after)| format!("{key}: {before} -> {after}"))
            .collect();
        let status_change = (new.status != old.status)
            .then(|| format!("status: {} -> {}", old.status.as_str(), new.status.as_str()));
        let log_note = match (&status_change, note) {
            (Some(change), Some(note)) => Some(format!("{change}: {note}")),
            (Some(change), None) => Some(change.clone()),
            (None, Some(note)) => Some(note.to_owned()),
            (None, None) => None,
        };
        if changed.is_empty() && log_note.is_none() {
            return Err(Error::failed(
                "nothing to change: every value given is already set",
                "pass a field to change, e.g. --status running, or -m to add a note",
            ));
        }

        let mut text = String::from_utf8_lossy(&loaded.bytes).into_owned();
        for (key, value) in values_to_write(&old, &new) {
            let doc =
                yaml::parse(&text).map_err(|e| Error::failed(e.message, "nothing was written"))?;
            text = yaml_edit::set_field(&text, &doc, key, &value)
                .map_err(|e| Error::failed(e.0, "nothing was written"))?;
        }
        if let Some(note) = &log_note {
            let entry = LogEntry {
                at: write::stamp(ws, &old.decision_log, notices),
                who: ws.who(changes.who.as_deref()),
                note: note.clone(),
            };
            let doc =
                yaml::parse(&text).map_err(|e| Error::failed(e.message, "nothing was written"))?;
            text = yaml_edit::append_log_entry(&text, &doc, &entry)
                .map_err(|e| Error::failed(e.0, "nothing was written"))?;
            new.decision_log.push(entry);
        }

        let mut body = changed;
        if let Some(note) = note {
            body.push(String::new());
            body.push(note.to_owned());
        }
        let change = Change {
            subject: match &status_change {
                Some(_) => format!("xp: status {} on {}", new.status.as_str(), loaded.slug),
                None => format!("xp: update {}", loaded.slug),
            },
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
            edits.push((name, shown(name, &before), shown(name, &value)));
        }
    }
    Ok(edits)
}

/// A value as the commit body shows it: `null`, `3.2`, `[a, b]`; an absent value that stands
/// for a default shows the default.
fn shown(name: &str, value: &Option<FieldValue>) -> String {
    let field = fields::field(name);
    match value {
        None if field.is_some_and(|f| f.kind == FieldKind::TextList) => "[]".into(),
        None => field.and_then(|f| f.default).unwrap_or("null").into(),
        Some(FieldValue::List(items)) => format!("[{}]", items.join(", ")),
        Some(FieldValue::Number(x)) => yaml_edit::format_number(*x),
        Some(FieldValue::Whole(n)) => n.to_string(),
        Some(FieldValue::Text(t)) => t.clone(),
    }
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
