//! The three-way merge of one experiment file, shared by git's merge driver and `xp resolve`.
//!
//! Every key but `decision_log` takes the value of the side that changed it; a key changed on
//! both sides to different values is a conflict. The decision log is the union of both sides,
//! in time order. The result is text based on ours, so the person's comments and layout there
//! survive; conflicts are written as standard conflict markers around the keys' lines, or
//! around the whole file when a side cannot be read. Either side's bytes are never lost.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crate::record::edit::{self as yaml_edit, EditError, NewValue};
use crate::record::lifecycle;
use crate::record::{KEYS, LogEntry};
use crate::rules::{self, Rule};
use crate::yaml::{self, Document, Kind, NodeId, Style, Value};

/// The key merged as a union rather than by value.
const LOG: &str = "decision_log";

/// One of the three versions of a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Base,
    Ours,
    Theirs,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Base => "the common ancestor",
            Side::Ours => "ours",
            Side::Theirs => "theirs",
        }
    }
}

/// Why a merge is not clean.
#[derive(Debug, Clone, PartialEq)]
pub enum Conflict {
    /// Both sides changed this key, to different values.
    Field(String),
    /// Each side's changes are fine alone, but together they break a rule.
    Rule { rule: Rule, message: String },
    /// A version is not a valid record (not YAML, or breaking a rule).
    Unreadable { side: Side, reason: String },
    /// Both sides created the file, each with its own id.
    BothCreated { ours: String, theirs: String },
    /// The merged record could not be written into ours' text in place.
    Uneditable(String),
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::Field(key) => write!(f, "`{key}` was changed on both sides"),
            Conflict::Rule { rule, message } => write!(
                f,
                "the changes of both sides together break a rule: error[{}]: {message}",
                rule.name()
            ),
            Conflict::Unreadable { side, reason } => {
                write!(f, "{} is not a valid record: {reason}", side.name())
            }
            Conflict::BothCreated { ours, theirs } => write!(
                f,
                "both sides created this file, as two experiments (ids {ours} and {theirs})"
            ),
            Conflict::Uneditable(reason) => {
                write!(f, "xp cannot merge this file in place: {reason}")
            }
        }
    }
}

/// The names written after the conflict markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub ours: String,
    pub theirs: String,
}

impl Default for Labels {
    fn default() -> Labels {
        Labels {
            ours: "ours".into(),
            theirs: "theirs".into(),
        }
    }
}

/// The outcome of a merge: the text to write, and the conflicts marked in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The merged file; with conflicts, ours with conflict markers.
    pub text: Vec<u8>,
    /// Empty when the merge is clean.
    pub conflicts: Vec<Conflict>,
}

impl Merged {
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }
}

/// Merges `theirs` into `ours`, whose common ancestor is `base` (None or empty when both
/// sides created the file), with the markers labelled `ours` and `theirs`.
pub fn merge(base: Option<&[u8]>, ours: &[u8], theirs: &[u8]) -> Merged {
    merge_labelled(base, ours, theirs, &Labels::default())
}

/// [`merge`] with the given marker labels.
pub fn merge_labelled(base: Option<&[u8]>, ours: &[u8], theirs: &[u8], labels: &Labels) -> Merged {
    merge_with(base, ours, theirs, labels, None)
}

/// [`merge`], settling a key both sides changed to different values with `winner`'s value (a
/// person chose the side); other conflicts stay conflicts.
pub fn merge_settled(base: Option<&[u8]>, ours: &[u8], theirs: &[u8], winner: Side) -> Merged {
    merge_with(base, ours, theirs, &Labels::default(), Some(winner))
}

fn merge_with(
    base: Option<&[u8]>,
    ours: &[u8],
    theirs: &[u8],
    labels: &Labels,
    winner: Option<Side>,
) -> Merged {
    let base = base.filter(|b| !b.is_empty());
    // What git itself would decide, before reading anything.
    if ours == theirs || base == Some(theirs) {
        return clean(ours.to_vec());
    }
    if base == Some(ours) {
        return clean(theirs.to_vec());
    }
    let whole = |conflict: Conflict| Merged {
        text: whole_file(ours, theirs, labels),
        conflicts: vec![conflict],
    };
    let ours_v = match Version::read(ours, Side::Ours) {
        Ok(v) => v,
        Err(c) => return whole(c),
    };
    let theirs_v = match Version::read(theirs, Side::Theirs) {
        Ok(v) => v,
        Err(c) => return whole(c),
    };
    let base_v = match base.map(|b| Version::read(b, Side::Base)).transpose() {
        Ok(v) => v,
        Err(c) => return whole(c),
    };
    if base_v.is_none() && ours_v.id != theirs_v.id {
        return whole(Conflict::BothCreated {
            ours: ours_v.id,
            theirs: theirs_v.id,
        });
    }
    match merge_versions(base_v.as_ref(), &ours_v, &theirs_v, labels, winner) {
        Ok(merged) => merged,
        Err(e) => whole(Conflict::Uneditable(e.0)),
    }
}

fn clean(text: Vec<u8>) -> Merged {
    Merged {
        text,
        conflicts: Vec::new(),
    }
}

/// A key's value, compared by what it means rather than how it is written.
#[derive(Debug, Clone, PartialEq)]
enum Plain {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    List(Vec<Plain>),
    Other,
}

impl Plain {
    fn of(doc: &Document, node: NodeId) -> Plain {
        match doc.value(node) {
            Value::Null => Plain::Null,
            Value::Bool(b) => Plain::Bool(b),
            Value::Int(n) => Plain::Number(n as f64),
            Value::Float(x) => Plain::Number(x),
            Value::Str(s) => Plain::Str(s.to_owned()),
            Value::Seq(items) => Plain::List(items.iter().map(|&i| Plain::of(doc, i)).collect()),
            Value::Map(_) | Value::Tagged(_) => Plain::Other,
        }
    }
}

/// One side of the merge, read and checked.
struct Version<'a> {
    text: &'a str,
    doc: Document,
    id: String,
    log: Vec<LogEntry>,
}

impl<'a> Version<'a> {
    fn read(bytes: &'a [u8], side: Side) -> Result<Version<'a>, Conflict> {
        let unreadable = |reason: String| Conflict::Unreadable { side, reason };
        let checked = rules::check_bytes(Path::new(side.name()), bytes);
        if let Some(p) = checked.problems.first() {
            return Err(unreadable(format!(
                "line {}: error[{}]: {}",
                p.line,
                p.rule.name(),
                p.message
            )));
        }
        let (Some(record), Some(doc), Ok(text)) =
            (checked.record, checked.doc, std::str::from_utf8(bytes))
        else {
            return Err(unreadable("it cannot be read".into()));
        };
        Ok(Version {
            text,
            doc,
            id: record.id,
            log: record.decision_log,
        })
    }

    /// The value of a top-level key; None when the key is absent.
    fn field(&self, key: &str) -> Option<Plain> {
        field(&self.doc, key)
    }
}

fn field(doc: &Document, key: &str) -> Option<Plain> {
    doc.entry(doc.root, key).map(|(_, v)| Plain::of(doc, v))
}

/// The keys merged by value, in the order records list them.
fn fields() -> impl Iterator<Item = &'static str> {
    KEYS.into_iter().filter(|&k| k != LOG)
}

fn merge_versions(
    base: Option<&Version>,
    ours: &Version,
    theirs: &Version,
    labels: &Labels,
    winner: Option<Side>,
) -> Result<Merged, EditError> {
    let mut take_theirs = Vec::new();
    let mut changed = Vec::new();
    let mut conflicts = Vec::new();
    for key in fields() {
        let b = base.and_then(|b| b.field(key));
        let (o, t) = (ours.field(key), theirs.field(key));
        if o == t {
            continue;
        }
        changed.push(key);
        if o == b || (t != b && winner == Some(Side::Theirs)) {
            take_theirs.push(key);
        } else if t != b && winner != Some(Side::Ours) {
            conflicts.push(key);
        }
    }
    let log = union(&ours.log, &theirs.log);

    if !conflicts.is_empty() {
        let text = apply(ours, theirs, &take_theirs, &log)?;
        let text = mark(&text, &conflicts, theirs, labels)?;
        return Ok(Merged {
            text: text.into_bytes(),
            conflicts: conflicts
                .iter()
                .map(|k| Conflict::Field((*k).to_owned()))
                .collect(),
        });
    }

    let text = apply(ours, theirs, &take_theirs, &log)?;
    let checked = rules::check_bytes(Path::new("merged"), text.as_bytes());
    if !checked.problems.is_empty() {
        // Each side's changes are fine alone: show every changed key from both sides, on
        // ours with the logs merged, and let a person choose.
        let text = if changed.is_empty() {
            whole_file(ours.text.as_bytes(), theirs.text.as_bytes(), labels)
        } else {
            let text = apply(ours, theirs, &[], &log)?;
            mark(&text, &changed, theirs, labels)?.into_bytes()
        };
        return Ok(Merged {
            text,
            conflicts: checked
                .problems
                .into_iter()
                .map(|p| Conflict::Rule {
                    rule: p.rule,
                    message: p.message,
                })
                .collect(),
        });
    }
    // The text must read back as exactly the merged record.
    let doc = checked
        .doc
        .ok_or_else(|| EditError("the merged text cannot be read".into()))?;
    let reads_back = fields().all(|key| {
        let from = if take_theirs.contains(&key) {
            theirs
        } else {
            ours
        };
        field(&doc, key) == from.field(key)
    }) && checked.record.is_some_and(|r| r.decision_log == log);
    if !reads_back {
        return Err(EditError(
            "the edited text does not read back as the merged record".into(),
        ));
    }
    Ok(clean(text.into_bytes()))
}

/// The union of two decision logs: entries in both kept once (an entry twice on one side stays
/// twice), ordered by time; ties keep ours first, each side in its own order. An entry whose
/// time one side corrected (a `corrected:` entry, see [`lifecycle::corrections`]) is kept at
/// its corrected time only, though the other side still holds it at the old one.
pub fn union(ours: &[LogEntry], theirs: &[LogEntry]) -> Vec<LogEntry> {
    fn key(e: &LogEntry) -> (&str, Option<&str>, &str) {
        (&e.at, e.who.as_deref(), &e.note)
    }
    let mut unmatched: HashMap<(&str, Option<&str>, &str), usize> = HashMap::new();
    for e in ours {
        *unmatched.entry(key(e)).or_default() += 1;
    }
    let mut merged: Vec<LogEntry> = ours.to_vec();
    for e in theirs {
        match unmatched.get_mut(&key(e)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => merged.push(e.clone()),
        }
    }
    // Stable: ours' entries come first among equal times.
    merged.sort_by_key(|e| crate::time::parse_utc(&e.at));
    for (from, to) in lifecycle::corrections(&merged) {
        let moved: Vec<(Option<String>, String)> = merged
            .iter()
            .filter(|e| e.at == to)
            .map(|e| (e.who.clone(), e.note.clone()))
            .collect();
        for (who, note) in moved {
            if let Some(old) = merged
                .iter()
                .position(|e| e.at == from && e.who == who && e.note == note)
            {
                merged.remove(old);
            }
        }
    }
    merged
}

/// Ours' text with `keys` set to theirs' values and the decision log set to `log`: appended
/// when ours' log is a prefix of it, else rewritten.
fn apply(
    ours: &Version,
    theirs: &Version,
    keys: &[&str],
    log: &[LogEntry],
) -> Result<String, EditError> {
    let mut text = ours.text.to_owned();
    for &key in keys {
        let doc = reparse(&text)?;
        text = match theirs.doc.entry(theirs.doc.root, key) {
            Some((_, node)) => {
                let value = new_value(theirs.text, &theirs.doc, node);
                yaml_edit::set_field(&text, &doc, key, &value)?
            }
            None => yaml_edit::remove_field(&text, &doc, key)?,
        };
    }
    if log == ours.log {
        return Ok(text);
    }
    match log.strip_prefix(ours.log.as_slice()) {
        Some(added) => {
            for entry in added {
                let doc = reparse(&text)?;
                text = yaml_edit::append_log_entry(&text, &doc, entry)?;
            }
            Ok(text)
        }
        None => yaml_edit::replace_log(&text, &reparse(&text)?, log),
    }
}

fn reparse(text: &str) -> Result<Document, EditError> {
    yaml::parse(text).map_err(|e| EditError(format!("the edited text is not YAML: {}", e.message)))
}

/// Theirs' value of a key, as the editor writes it: a one-line scalar as theirs wrote it,
/// anything else rendered from its value.
fn new_value(text: &str, doc: &Document, node: NodeId) -> NewValue {
    let n = doc.node(node);
    let as_written = matches!(
        n.kind,
        Kind::Scalar {
            style: Style::Plain | Style::Quoted,
            ..
        }
    ) && n.tag.is_none()
        && n.start.line == n.end.line
        && n.start.byte < n.end.byte;
    if as_written && let Some(raw) = text.get(n.start.byte..n.end.byte) {
        return NewValue::Scalar(raw.to_owned());
    }
    match doc.value(node) {
        Value::Seq(items) if items.iter().all(|&i| matches!(doc.value(i), Value::Str(_))) => {
            NewValue::List(
                items
                    .iter()
                    .map(|&i| match doc.value(i) {
                        Value::Str(s) => s.to_owned(),
                        _ => String::new(),
                    })
                    .collect(),
            )
        }
        // A list of numbers or mappings (`split`, `results`' variants), item by item.
        Value::Seq(items) => {
            NewValue::Seq(items.iter().map(|&i| new_value(text, doc, i)).collect())
        }
        Value::Map(entries) => NewValue::Map(
            entries
                .iter()
                .map(|&(k, v)| {
                    let key = match doc.value(k) {
                        Value::Str(s) => s.to_owned(),
                        _ => String::new(),
                    };
                    (key, new_value(text, doc, v))
                })
                .collect(),
        ),
        Value::Str(s) => yaml_edit::scalar(s),
        Value::Int(i) => NewValue::Scalar(i.to_string()),
        Value::Float(x) => yaml_edit::number(x),
        Value::Bool(b) => NewValue::Scalar(b.to_string()),
        Value::Null | Value::Tagged(_) => NewValue::Scalar("null".into()),
    }
}

/// `text` (ours) with conflict markers around each of `keys`: ours' lines, then theirs'.
fn mark(text: &str, keys: &[&str], theirs: &Version, labels: &Labels) -> Result<String, EditError> {
    let doc = reparse(text)?;
    let nl = line_break(text);
    let mut blocks = Vec::new();
    for (i, &key) in keys.iter().enumerate() {
        let (range, pad) = match yaml_edit::key_lines(text, &doc, key)? {
            Some(r) => (r, false),
            None => match yaml_edit::new_key_position(text, &doc)? {
                Some(at) => (at..at, false),
                None => (text.len()..text.len(), true),
            },
        };
        let theirs_lines =
            yaml_edit::key_lines(theirs.text, &theirs.doc, key)?.map_or("", |r| &theirs.text[r]);
        let mut block = String::new();
        if pad {
            block.push_str(nl);
        }
        block.push_str(&format!("<<<<<<< {}{nl}", labels.ours));
        push_lines(&mut block, &text[range.clone()], nl);
        block.push_str(&format!("======={nl}"));
        push_lines(&mut block, theirs_lines, nl);
        block.push_str(&format!(">>>>>>> {}{nl}", labels.theirs));
        blocks.push((range, i, block));
    }
    // From the end, so that earlier ranges stay valid; blocks at one place keep key order.
    blocks.sort_by_key(|(r, i, _)| (r.start, *i));
    let mut out = text.to_owned();
    for (range, _, block) in blocks.into_iter().rev() {
        out.replace_range(range, &block);
    }
    Ok(out)
}

/// Appends whole lines, adding the final line break when they lack one.
fn push_lines(out: &mut String, lines: &str, nl: &str) {
    out.push_str(lines);
    if !lines.is_empty() && !lines.ends_with('\n') {
        out.push_str(nl);
    }
}

/// The line break a text uses (`\r\n` when its first line ends so).
fn line_break(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Both sides whole between conflict markers, byte for byte.
fn whole_file(ours: &[u8], theirs: &[u8], labels: &Labels) -> Vec<u8> {
    let nl: &[u8] = match ours.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && ours[i - 1] == b'\r' => b"\r\n",
        _ => b"\n",
    };
    let mut out = Vec::with_capacity(ours.len() + theirs.len() + 64);
    let push_side = |out: &mut Vec<u8>, side: &[u8]| {
        out.extend_from_slice(side);
        if !side.is_empty() && !side.ends_with(b"\n") {
            out.extend_from_slice(nl);
        }
    };
    out.extend_from_slice(format!("<<<<<<< {}", labels.ours).as_bytes());
    out.extend_from_slice(nl);
    push_side(&mut out, ours);
    out.extend_from_slice(b"=======");
    out.extend_from_slice(nl);
    push_side(&mut out, theirs);
    out.extend_from_slice(format!(">>>>>>> {}", labels.theirs).as_bytes());
    out.extend_from_slice(nl);
    out
}

/// Whether a file holds a conflict marker line (`<<<<<<<` or `>>>>>>>`).
pub fn has_markers(bytes: &[u8]) -> bool {
    bytes
        .split(|&b| b == b'\n')
        .any(|line| line.starts_with(b"<<<<<<<") || line.starts_with(b">>>>>>>"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const BASE: &str = "# Checkout experiment
id: 3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58
title: Homepage CTA Color   # keep it short
hypothesis: Green beats blue
primary_metric: signup_rate
baseline: 3.2
target: 3.7
status: running
confidence: 0
decision: null
learning: null
decision_log:
- at: 2026-02-22T18:30:00.000Z
  who: alice
  note: Launched
";

    /// `text` with one more log entry at its end.
    fn note(text: &str, at: &str, note: &str) -> String {
        format!("{text}- at: 2026-02-2{at}.000Z\n  who: bob\n  note: {note}\n")
    }

    fn edit(text: &str, from: &str, to: &str) -> String {
        assert!(text.contains(from), "{from:?} not in\n{text}");
        text.replacen(from, to, 1)
    }

    fn run(base: Option<&str>, ours: &str, theirs: &str) -> (String, Vec<Conflict>) {
        let merged = merge(base.map(str::as_bytes), ours.as_bytes(), theirs.as_bytes());
        (String::from_utf8(merged.text).unwrap(), merged.conflicts)
    }

    fn clean_merge(base: &str, ours: &str, theirs: &str) -> String {
        let (text, conflicts) = run(Some(base), ours, theirs);
        assert_eq!(conflicts, vec![], "{text}");
        let checked = rules::check_bytes(Path::new("x.yaml"), text.as_bytes());
        assert_eq!(checked.problems, vec![], "{text}");
        text
    }

    fn notes(text: &str) -> Vec<String> {
        let checked = rules::check_bytes(Path::new("x.yaml"), text.as_bytes());
        let record = checked.record.unwrap();
        record.decision_log.into_iter().map(|e| e.note).collect()
    }

    fn entry(at: &str, note: &str) -> LogEntry {
        LogEntry {
            at: format!("2026-02-2{at}.000Z"),
            who: Some("bob".into()),
            note: note.into(),
        }
    }

    #[test]
    fn notes_on_both_sides_are_appended_in_time_order() {
        let ours = note(BASE, "3T09:00:00", "ours");
        let theirs = note(BASE, "3T10:00:00", "theirs");
        let text = clean_merge(BASE, &ours, &theirs);
        assert_eq!(text, note(&ours, "3T10:00:00", "theirs"));
        assert!(text.starts_with(&ours), "a pure append to ours");
        // The other way round, the earlier note goes before ours' last one: the log is
        // rewritten in time order, in the same style.
        assert_eq!(clean_merge(BASE, &theirs, &ours), text);
    }

    #[test]
    fn the_union_keeps_shared_entries_once_and_duplicates_on_one_side_twice() {
        let (x, a, b) = (
            entry("2T18:30:00", "x"),
            entry("3T09:00:00", "a"),
            entry("3T10:00:00", "b"),
        );
        let ours = vec![x.clone(), a.clone(), a.clone()];
        let theirs = vec![x.clone(), a.clone(), b.clone()];
        assert_eq!(union(&ours, &theirs), vec![x, a.clone(), a, b]);

        let both = note(&note(BASE, "3T09:00:00", "a"), "3T09:00:00", "a");
        let theirs = note(&note(BASE, "3T09:00:00", "a"), "3T10:00:00", "b");
        let text = clean_merge(BASE, &both, &theirs);
        assert_eq!(notes(&text), ["Launched", "a", "a", "b"]);
    }

    /// One side corrected an entry's time; the other still holds it at the old time, and
    /// added a note: the merge keeps the corrected entry once, and the note.
    #[test]
    fn a_corrected_time_is_not_brought_back_by_the_other_side() {
        let ahead = entry("8T00:00:00", "frozen");
        let fixed = entry("3T09:00:00", "frozen");
        let correction = LogEntry {
            at: "2026-02-23T10:00:00.000Z".into(),
            who: Some("bob".into()),
            note: format!("corrected: at {} -> {}: clock ahead", ahead.at, fixed.at),
        };
        let x = entry("2T18:30:00", "x");
        let note = entry("3T09:30:00", "theirs");
        let ours = vec![x.clone(), fixed.clone(), correction.clone()];
        let theirs = vec![x.clone(), note.clone(), ahead];
        assert_eq!(union(&ours, &theirs), vec![x, fixed, note, correction]);
    }

    #[test]
    fn ties_put_ours_first() {
        let ours = note(&note(BASE, "3T09:00:00", "o1"), "3T09:00:00", "o2");
        let theirs = note(&note(BASE, "3T09:00:00", "t1"), "3T09:00:00", "t2");
        let text = clean_merge(BASE, &ours, &theirs);
        assert_eq!(notes(&text), ["Launched", "o1", "o2", "t1", "t2"]);
        assert!(text.starts_with(&ours));
        let text = clean_merge(BASE, &theirs, &ours);
        assert_eq!(notes(&text), ["Launched", "t1", "t2", "o1", "o2"]);
    }

    #[test]
    fn interleaved_notes_rewrite_only_the_log() {
        let ours = edit(
            &note(BASE, "3T10:00:00", "ours"),
            "status: running",
            "status: running # live",
        );
        let theirs = note(&note(BASE, "3T09:00:00", "early"), "3T11:00:00", "late");
        let text = clean_merge(BASE, &ours, &theirs);
        assert_eq!(notes(&text), ["Launched", "early", "ours", "late"]);
        let (head, _) = ours.split_once("decision_log:").unwrap();
        assert!(
            text.starts_with(head),
            "ours above the log is untouched:\n{text}"
        );
    }

    #[test]
    fn a_base_entry_removed_on_one_side_is_kept() {
        let pruned = edit(
            BASE,
            "- at: 2026-02-22T18:30:00.000Z\n  who: alice\n  note: Launched\n",
            "",
        );
        let theirs = note(&pruned, "3T09:00:00", "theirs");
        let ours = note(BASE, "3T10:00:00", "ours");
        let text = clean_merge(BASE, &ours, &theirs);
        assert_eq!(notes(&text), ["Launched", "theirs", "ours"]);
        // Removed on both sides, it stays removed.
        let ours = note(&pruned, "3T10:00:00", "ours");
        let text = clean_merge(BASE, &ours, &theirs);
        assert_eq!(notes(&text), ["theirs", "ours"]);
    }

    #[test]
    fn a_field_changed_by_theirs_only_is_set_in_ours_text() {
        let ours = edit(
            BASE,
            "# Checkout experiment\n",
            "# Checkout experiment, by carol\n",
        );
        let ours = note(&ours, "3T09:00:00", "ours");
        let theirs = edit(BASE, "confidence: 0", "confidence: 80  # theirs");
        let theirs = edit(&theirs, "learning: null", "learning: |\n  Green\n  wins\n");
        let theirs = edit(
            &theirs,
            "status: running\n",
            "status: running\nowner: dan\n",
        );
        let text = clean_merge(BASE, &ours, &theirs);
        let expected = edit(&ours, "confidence: 0", "confidence: 80");
        let expected = edit(&expected, "learning: null", "learning: \"Green\\nwins\\n\"");
        let expected = edit(
            &expected,
            "learning: \"Green\\nwins\\n\"\n",
            "learning: \"Green\\nwins\\n\"\nowner: dan\n",
        );
        assert_eq!(text, expected);
    }

    /// Results recorded on one branch and notes on the other merge cleanly, the block and the
    /// plan's split copied into ours as they read.
    #[test]
    fn results_and_a_split_from_theirs_merge_into_ours() {
        let ours = note(BASE, "3T09:00:00", "ours");
        let block = "split: [50, 50]\nresults:\n  as_of: 2026-03-01T00:00:00.000Z  # from the dashboard\n  variants:\n  - {name: control, units: 10000, conversions: 320}\n  - name: green\n    units: 10000\n    conversions: 371\n";
        let theirs = edit(
            BASE,
            "learning: null\n",
            &format!("learning: null\n{block}"),
        );
        let text = clean_merge(BASE, &ours, &theirs);
        let expected = edit(
            &ours,
            "learning: null\n",
            "learning: null\nsplit:\n- 50\n- 50\nresults:\n  as_of: 2026-03-01T00:00:00.000Z\n  variants:\n  - name: control\n    units: 10000\n    conversions: 320\n  - name: green\n    units: 10000\n    conversions: 371\n",
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn a_key_removed_by_one_side_is_removed() {
        let theirs = edit(BASE, "learning: null\n", "");
        let ours = note(BASE, "3T09:00:00", "ours");
        let text = clean_merge(BASE, &ours, &theirs);
        assert_eq!(text, edit(&ours, "learning: null\n", ""));
        let text = clean_merge(BASE, &theirs, &ours);
        assert_eq!(text, note(&theirs, "3T09:00:00", "ours"));
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let ours = edit(BASE, "confidence: 0", "confidence: 80 # ours");
        let theirs = note(
            &edit(BASE, "confidence: 0", "confidence: 80"),
            "3T09:00:00",
            "t",
        );
        let text = clean_merge(BASE, &ours, &theirs);
        assert_eq!(text, note(&ours, "3T09:00:00", "t"));
    }

    #[test]
    fn different_changes_to_one_field_conflict_around_its_lines() {
        let ours = note(
            &edit(BASE, "confidence: 0", "confidence: 80"),
            "3T09:00:00",
            "o",
        );
        let theirs = edit(BASE, "confidence: 0", "confidence: 90");
        let theirs = edit(&theirs, "learning: null", "learning: Green wins");
        let (text, conflicts) = run(Some(BASE), &ours, &theirs);
        assert_eq!(conflicts, vec![Conflict::Field("confidence".into())]);
        let expected = edit(
            &ours,
            "confidence: 80\n",
            "<<<<<<< ours\nconfidence: 80\n=======\nconfidence: 90\n>>>>>>> theirs\n",
        );
        assert_eq!(
            text,
            edit(&expected, "learning: null", "learning: Green wins")
        );
        assert!(has_markers(text.as_bytes()));
    }

    #[test]
    fn a_field_removed_on_one_side_and_changed_on_the_other_conflicts() {
        let ours = edit(BASE, "learning: null\n", "");
        let theirs = edit(BASE, "learning: null", "learning: Green wins");
        let (text, conflicts) = run(Some(BASE), &ours, &theirs);
        assert_eq!(conflicts, vec![Conflict::Field("learning".into())]);
        assert_eq!(
            text,
            edit(
                BASE,
                "learning: null\n",
                "<<<<<<< ours\n=======\nlearning: Green wins\n>>>>>>> theirs\n"
            )
        );
    }

    #[test]
    fn changes_that_break_a_rule_together_conflict() {
        let base = edit(BASE, "decision: null", "decision: iterate");
        let theirs = edit(&base, "status: running", "status: completed");
        let ours = note(
            &edit(&base, "decision: iterate", "decision: null"),
            "3T09:00:00",
            "o",
        );
        let (text, conflicts) = run(Some(&base), &ours, &theirs);
        assert!(
            matches!(
                conflicts.as_slice(),
                [Conflict::Rule {
                    rule: Rule::DecisionRequired,
                    ..
                }]
            ),
            "{conflicts:?}"
        );
        let expected = edit(
            &ours,
            "status: running\n",
            "<<<<<<< ours\nstatus: running\n=======\nstatus: completed\n>>>>>>> theirs\n",
        );
        let expected = edit(
            &expected,
            "decision: null\n",
            "<<<<<<< ours\ndecision: null\n=======\ndecision: iterate\n>>>>>>> theirs\n",
        );
        assert_eq!(text, expected);
    }

    /// Amendments of one plan field on both sides: to different values they conflict on the
    /// field; a merge whose kept value is not the one the merged log's last amendment sets
    /// (one side amended it and back around the other's amendment) conflicts too.
    #[test]
    fn both_sides_amending_one_plan_field_conflict() {
        let amend = |text: &str, at: &str, from: &str, to: &str| {
            let text = edit(
                text,
                &format!("target: {from}\n"),
                &format!("target: {to}\n"),
            );
            note(
                &text,
                at,
                &format!("\"amended: target {from} -> {to}: r{at}\""),
            )
        };
        let ours = amend(BASE, "3T09:00:00", "3.7", "3.5");
        let theirs = amend(BASE, "3T10:00:00", "3.7", "3.6");
        let (_, conflicts) = run(Some(BASE), &ours, &theirs);
        assert_eq!(conflicts, vec![Conflict::Field("target".into())]);

        let back = amend(&ours, "3T11:00:00", "3.5", "3.7");
        let (text, conflicts) = run(Some(BASE), &back, &theirs);
        assert!(
            matches!(
                conflicts.as_slice(),
                [Conflict::Rule {
                    rule: Rule::PlanAmendmentMismatch,
                    ..
                }]
            ),
            "{conflicts:?}\n{text}"
        );
        assert!(
            text.contains("<<<<<<< ours\ntarget: 3.7\n=======\ntarget: 3.6\n>>>>>>> theirs\n"),
            "{text}"
        );
        // The same amendment on both sides merges.
        let same = amend(BASE, "3T10:00:00", "3.7", "3.5");
        let text = clean_merge(BASE, &ours, &same);
        assert!(text.contains("target: 3.5\n"), "{text}");
    }

    #[test]
    fn an_unreadable_side_puts_both_files_whole_between_markers() {
        let ours = note(BASE, "3T09:00:00", "o");
        for theirs in [
            &b"title: [unclosed\n"[..],
            b"\xff\xfe not utf-8",
            b"- a list\n",
        ] {
            let merged = merge(Some(BASE.as_bytes()), ours.as_bytes(), theirs);
            assert!(matches!(
                merged.conflicts.as_slice(),
                [Conflict::Unreadable {
                    side: Side::Theirs,
                    ..
                }]
            ));
            let mut expected = format!("<<<<<<< ours\n{ours}=======\n").into_bytes();
            expected.extend_from_slice(theirs);
            expected.extend_from_slice(b"\n>>>>>>> theirs\n");
            let expected = String::from_utf8_lossy(&expected).replace("\n\n>>>", "\n>>>");
            assert_eq!(String::from_utf8_lossy(&merged.text), expected);
        }
        let broken = edit(BASE, "confidence: 0", "confidence: 101");
        let (_, conflicts) = run(Some(BASE), &broken, &ours);
        assert!(matches!(
            conflicts.as_slice(),
            [Conflict::Unreadable {
                side: Side::Ours,
                ..
            }]
        ));
    }

    #[test]
    fn files_created_on_both_sides() {
        let other = edit(
            BASE,
            "3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58",
            "0b6e4f7a-2c1d-4e8f-9a3b-5d7c6e8f9a0b",
        );
        let (text, conflicts) = run(None, BASE, &other);
        assert!(matches!(
            conflicts.as_slice(),
            [Conflict::BothCreated { .. }]
        ));
        assert!(text.starts_with("<<<<<<< ours\n# Checkout"));
        // One record created twice (the same id) merges like any other, from an empty base.
        let ours = note(BASE, "3T09:00:00", "o");
        let theirs = note(BASE, "3T10:00:00", "t");
        let (text, conflicts) = run(Some(""), &ours, &theirs);
        assert_eq!(conflicts, vec![]);
        assert_eq!(notes(&text), ["Launched", "o", "t"]);
    }

    #[test]
    fn what_git_decides_alone_needs_no_reading() {
        let broken = "not: [yaml";
        assert_eq!(run(Some(BASE), broken, BASE).0, broken);
        assert_eq!(run(Some(BASE), BASE, broken).0, broken);
        assert_eq!(run(Some(BASE), broken, broken).0, broken);
    }

    #[test]
    fn crlf_stays_crlf() {
        let base = BASE.replace('\n', "\r\n");
        let ours = format!("{base}- at: 2026-02-23T09:00:00.000Z\r\n  note: o\r\n");
        let theirs = edit(&base, "confidence: 0", "confidence: 5");
        let text = clean_merge(&base, &ours, &theirs);
        assert_eq!(text, edit(&ours, "confidence: 0", "confidence: 5"));
        let theirs = edit(&base, "confidence: 0", "confidence: 6");
        let ours = edit(&ours, "confidence: 0", "confidence: 5");
        let (text, _) = run(Some(&base), &ours, &theirs);
        assert!(text.contains(
            "<<<<<<< ours\r\nconfidence: 5\r\n=======\r\nconfidence: 6\r\n>>>>>>> theirs\r\n"
        ));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Notes at one of a few times (so ties happen), with a few texts (so repeats happen).
        fn notes() -> impl Strategy<Value = Vec<(u8, u8)>> {
            prop::collection::vec((0u8..4, 0u8..3), 0..5)
        }

        fn append(text: &str, mut added: Vec<(u8, u8)>) -> String {
            added.sort_by_key(|(t, _)| *t);
            added.iter().fold(text.to_owned(), |text, (t, n)| {
                note(&text, &format!("3T1{t}:00:00"), &format!("n{n}"))
            })
        }

        proptest! {
            #[test]
            fn notes_added_on_both_sides_always_merge_into_their_union(
                ours in notes(),
                theirs in notes(),
            ) {
                let (o, t) = (append(BASE, ours), append(BASE, theirs));
                let (text, conflicts) = run(Some(BASE), &o, &t);
                prop_assert_eq!(conflicts, vec![]);
                let read = |text: &str| {
                    rules::check_bytes(Path::new("x.yaml"), text.as_bytes())
                        .record
                        .map(|r| r.decision_log)
                };
                let merged = read(&text);
                prop_assert_eq!(merged.clone(), Some(union(&read(&o).unwrap(), &read(&t).unwrap())));
                let merged = merged.unwrap_or_default();
                // Every entry of each side is there, and nothing else.
                for side in [read(&o).unwrap(), read(&t).unwrap()] {
                    for e in &side {
                        let want = side.iter().filter(|x| *x == e).count();
                        prop_assert!(merged.iter().filter(|x| *x == e).count() >= want);
                    }
                }
                prop_assert!(merged.len() <= read(&o).unwrap().len() + read(&t).unwrap().len());
                // Ours' text is kept whole above the log.
                let (head, _) = o.split_once("decision_log:").unwrap();
                prop_assert!(text.starts_with(head));
            }
        }
    }
}
