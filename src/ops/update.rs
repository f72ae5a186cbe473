//! Changing fields like the origin service's PATCH: status moves are checked and logged, and
//! the result must pass every rule or nothing is written.

use crate::error::{Error, Input, Refusal};
use crate::ops::note::Who;
use crate::ops::notice::Notice;
use crate::ops::workspace::Workspace;
use crate::ops::write::WriteOptions;
use crate::ops::write::{self, Change, Edit, Saved};
use crate::record::edit::{self as yaml_edit, NewValue};
use crate::record::fields::{FIELDS, Field, FieldKind};
use crate::record::lifecycle::{self, Breach};
use crate::record::plan;
use crate::record::texts::{Changed, Note, shown};
use crate::record::{FieldValue, LogEntry, Record};
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
    /// The versions of the record the change was made against (blob ids, as
    /// [`crate::git::content_id`] gives them): the change is refused when the record is none
    /// of them any more. Empty: against whatever the record is now.
    pub against: Vec<String>,
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
        if !changes.against.is_empty() {
            let now = crate::git::content_id(&loaded.bytes);
            if !changes.against.contains(&now) {
                return Err(Error::Refused(vec![Refusal::Stale {
                    path: loaded.shown.display().to_string(),
                    seen: changes.against[0].clone(),
                    now,
                }]));
            }
        }
        let mut new = old.clone();
        let mut edits = apply(&changes, &mut new)?;
        if !changes.fields.iter().any(|(f, _)| f.name == "decision")
            && let Some(decision) = lifecycle::implied_decision(&old, &new)
        {
            let before = shown("decision", &new.get("decision"));
            new.decision = Some(decision);
            edits.push(("decision", before, decision.as_str().to_owned()));
            edits.sort_by_key(|(name, _, _)| FIELDS.iter().position(|f| f.name == *name));
        }
        // Results recorded set the confidence to the chance they compute, unless the change
        // names a confidence of its own.
        let recorded = new
            .results
            .as_ref()
            .filter(|r| old.results.as_ref() != Some(*r))
            .map(|r| r.to_string());
        if recorded.is_some()
            && !changes.fields.iter().any(|(f, _)| f.name == "confidence")
            && let Some(computed) = new.evidence().and_then(|e| e.confidence())
            && computed != new.confidence
        {
            let before = shown("confidence", &new.get("confidence"));
            new.confidence = computed;
            edits.push(("confidence", before, computed.to_string()));
            edits.sort_by_key(|(name, _, _)| FIELDS.iter().position(|f| f.name == *name));
        }
        let note = not_blank(changes.note.as_deref(), Input::Note)?;
        let reason = not_blank(changes.amend.as_deref(), Input::Amend)?;
        let amended = plan::changes(&old, &new);
        if reason.is_some() && amended.is_empty() {
            return Err(Error::Refused(vec![Refusal::AmendWithoutPlanChange]));
        }
        let changed: Vec<String> = edits
            .iter()
            .filter(|(_, before, after)| before != after)
            .map(|(field, from, to)| {
                Changed {
                    field,
                    from: from.as_str(),
                    to: to.as_str(),
                }
                .to_string()
            })
            .collect();
        let moved = new.status != old.status;
        // The entries this change adds: the results recorded, each amendment, then the move
        // or the note.
        let mut notes: Vec<String> = recorded
            .as_deref()
            .map(|results| Note::Results { results }.to_string())
            .into_iter()
            .collect();
        if let Some(reason) = reason {
            notes.extend(
                amended
                    .iter()
                    .map(|(field, from, to)| Note::amended(field, from, to, reason)),
            );
        }
        if moved {
            let why = note;
            notes.push(
                Note::Moved {
                    from: old.status,
                    to: new.status,
                    why,
                }
                .to_string(),
            );
        } else if let Some(note) = note {
            notes.push(note.to_owned());
        }
        let at = write::stamp(ws, &new.decision_log, notices);
        let who = fallback.resolve(ws, changes.who.as_deref());
        let entries: Vec<LogEntry> = notes
            .into_iter()
            .map(|note| LogEntry {
                at: at.clone(),
                who: who.clone(),
                note,
            })
            .collect();
        new.decision_log.extend(entries.iter().cloned());
        let refusals: Vec<Refusal> = lifecycle::transition(&old, &new)
            .breaches
            .into_iter()
            .filter(|b| !(changes.force && matches!(b, Breach::Move { .. })))
            .map(Refusal::Breaks)
            .collect();
        if !refusals.is_empty() {
            return Err(Error::Refused(refusals));
        }
        if changed.is_empty() && entries.is_empty() {
            return Err(Error::Refused(vec![Refusal::NothingToChange]));
        }
        let text = rewrite(loaded, &old, &new, &entries)?;
        let said: Vec<String> = [("Amended: ", reason), ("", note)]
            .into_iter()
            .filter_map(|(label, text)| Some(format!("{label}{}", text?)))
            .collect();
        let subject = match (moved, reason, &recorded) {
            (_, Some(_), _) => format!("xp: amend {}", loaded.slug),
            (true, None, _) => format!("xp: status {} on {}", new.status.as_str(), loaded.slug),
            (false, None, Some(_)) => format!("xp: results of {}", loaded.slug),
            (false, None, None) => format!("xp: update {}", loaded.slug),
        };
        let change = Change {
            subject,
            fields: changed,
            body: said.join("\n\n"),
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
fn not_blank(text: Option<&str>, input: Input) -> Result<Option<&str>, Error> {
    match text.map(str::trim) {
        Some("") => Err(Error::Refused(vec![Refusal::Blank(input)])),
        other => Ok(other),
    }
}

/// The file's text with the changed values replaced and the entries appended to the log, each
/// edit re-parsed before the next.
fn rewrite(
    loaded: &crate::store::Loaded,
    old: &Record,
    new: &Record,
    entries: &[LogEntry],
) -> Result<String, Error> {
    let parse =
        |text: &str| yaml::parse(text).map_err(|e| Error::failed(e.message, "nothing was written"));
    let mut text = String::from_utf8_lossy(&loaded.bytes).into_owned();
    for (key, value) in values_to_write(old, new) {
        text = yaml_edit::set_field(&text, &parse(&text)?, key, &value)
            .map_err(|e| Error::failed(e.0, "nothing was written"))?;
    }
    for entry in entries {
        text = yaml_edit::append_log_entry(&text, &parse(&text)?, entry)
            .map_err(|e| Error::failed(e.0, "nothing was written"))?;
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
            edits.push((name, shown(name, &before), shown(name, &value)));
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
