//! Changing fields like the origin service's PATCH: status moves are checked and logged, and
//! the result must pass every rule or nothing is written.

use crate::error::Error;
use crate::ops::note::Who;
use crate::ops::write::{self, Change, Edit, Saved};
use crate::ops::{Notice, WriteOptions};
use crate::record::{Decision, Direction, LogEntry, Record, Status};
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
        let edits = apply(&changes, &mut new);
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
                who: fallback.resolve(ws, changes.who.as_deref()),
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

/// Applies the changes to `new`; returns (key, before, after) for every field named.
fn apply(changes: &Changes, new: &mut Record) -> Vec<(&'static str, String, String)> {
    let mut edits = Vec::new();
    let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "null".into());
    if let Some(v) = &changes.title {
        edits.push(("title", new.title.clone(), v.clone()));
        new.title = v.clone();
    }
    if let Some(v) = &changes.hypothesis {
        edits.push(("hypothesis", new.hypothesis.clone(), v.clone()));
        new.hypothesis = v.clone();
    }
    if let Some(v) = &changes.primary_metric {
        edits.push(("primary_metric", new.primary_metric.clone(), v.clone()));
        new.primary_metric = v.clone();
    }
    if let Some(v) = changes.baseline {
        edits.push(("baseline", fmt(new.baseline), fmt(v)));
        new.baseline = v;
    }
    if let Some(v) = changes.target {
        edits.push(("target", fmt(new.target), fmt(v)));
        new.target = v;
    }
    if let Some(v) = changes.direction {
        let before = new.direction.unwrap_or_default().as_str();
        edits.push(("direction", before.to_owned(), v.as_str().to_owned()));
        new.direction = Some(v);
    }
    if let Some(v) = changes.status {
        new.status = v;
    }
    if let Some(v) = changes.confidence {
        edits.push(("confidence", new.confidence.to_string(), v.to_string()));
        new.confidence = v;
    }
    if let Some(d) = changes.decision {
        let show = |d: Option<Decision>| d.map_or("null", |d| d.as_str()).to_owned();
        edits.push(("decision", show(new.decision), show(d)));
        new.decision = d;
    }
    if let Some(v) = &changes.learning {
        edits.push(("learning", opt(&new.learning), opt(v)));
        new.learning = v.clone();
    }
    if let Some(v) = &changes.owner {
        edits.push(("owner", opt(&new.owner), opt(v)));
        new.owner = v.clone();
    }
    if let Some(v) = &changes.tags {
        let v = Some(v.clone());
        edits.push(("tags", show_list(&new.tags), show_list(&v)));
        new.tags = v;
    }
    if let Some(v) = &changes.links {
        let v = Some(v.clone());
        edits.push(("links", show_list(&new.links), show_list(&v)));
        new.links = v;
    }
    edits
}

/// A list as the commit body shows it: `[a, b]`.
fn show_list(list: &Option<Vec<String>>) -> String {
    format!("[{}]", list.as_deref().unwrap_or_default().join(", "))
}

fn fmt(x: f64) -> String {
    yaml_edit::format_number(x)
}

/// The text edits that turn `old` into `new` (fields whose value changed).
fn values_to_write(old: &Record, new: &Record) -> Vec<(&'static str, NewValue)> {
    let mut out = Vec::new();
    let text = |s: &str| yaml_edit::scalar(s);
    let word = |s: &str| NewValue::Scalar(s.to_owned());
    let opt = |s: &Option<String>| s.as_deref().map_or_else(|| word("null"), text);
    if old.title != new.title {
        out.push(("title", text(&new.title)));
    }
    if old.hypothesis != new.hypothesis {
        out.push(("hypothesis", text(&new.hypothesis)));
    }
    if old.primary_metric != new.primary_metric {
        out.push(("primary_metric", text(&new.primary_metric)));
    }
    if old.baseline != new.baseline {
        out.push(("baseline", yaml_edit::number(new.baseline)));
    }
    if old.target != new.target {
        out.push(("target", yaml_edit::number(new.target)));
    }
    if old.direction != new.direction {
        out.push((
            "direction",
            word(new.direction.unwrap_or_default().as_str()),
        ));
    }
    if old.status != new.status {
        out.push(("status", word(new.status.as_str())));
    }
    if old.confidence != new.confidence {
        out.push(("confidence", word(&new.confidence.to_string())));
    }
    if old.decision != new.decision {
        out.push((
            "decision",
            word(new.decision.map_or("null", |d| d.as_str())),
        ));
    }
    if old.learning != new.learning {
        out.push(("learning", opt(&new.learning)));
    }
    if old.owner != new.owner {
        out.push(("owner", opt(&new.owner)));
    }
    if old.tags != new.tags {
        out.push(("tags", NewValue::List(new.tags.clone().unwrap_or_default())));
    }
    if old.links != new.links {
        out.push((
            "links",
            NewValue::List(new.links.clone().unwrap_or_default()),
        ));
    }
    out
}
