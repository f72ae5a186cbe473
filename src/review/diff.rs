//! What changed in experiments between two versions of the records, for a pull request:
//! new experiments, status moves, decisions, changed fields and new notes, as Markdown or JSON.

use std::collections::HashMap;

use serde::Serialize;

use crate::record::edit::format_number;
use crate::record::fields::FIELDS;
use crate::record::plan;
use crate::record::texts::Note;
use crate::record::{FieldValue, LogEntry, Record};
use crate::text::{markdown as escape, markdown_code};

/// One version of one record: its path (as shown) and the record.
pub type Version = (String, Record);

/// How an experiment changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    New,
    Changed,
    Deleted,
}

/// A field that changed; `None` is null (or absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub from: Option<FieldValue>,
    pub to: Option<FieldValue>,
}

impl std::fmt::Display for FieldValue {
    /// The value as Markdown shows it: numbers as written, lists joined with commas.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldValue::Text(t) => f.write_str(t),
            FieldValue::Number(x) => f.write_str(&format_number(*x)),
            FieldValue::Whole(n) => write!(f, "{n}"),
            FieldValue::List(items) => f.write_str(&items.join(", ")),
            FieldValue::Numbers(_) | FieldValue::Results(_) => {
                f.write_str(&crate::record::texts::shown("", &Some(self.clone())))
            }
        }
    }
}

/// Everything that changed in one experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExperimentDiff {
    pub id: String,
    pub path: String,
    pub title: String,
    pub change: Kind,
    /// Every changed field, `status` and `decision` included.
    pub fields: Vec<FieldChange>,
    /// Changes to the plan of an experiment that was already running, with the reason logged
    /// for each (null when none was: `xp check --base` reports those).
    pub amendments: Vec<Amendment>,
    /// When the results changed: what they say now, a line per treatment (and the sample
    /// ratio when it alerts).
    pub evidence: Vec<String>,
    /// The reasons of the `override:` entries among the new notes: what the team accepts
    /// against the evidence.
    pub overrides: Vec<String>,
    pub new_notes: Vec<LogEntry>,
}

/// What changed results say, for a reviewer: each treatment against the control, then the
/// sample ratio when it alerts; nothing when the results did not change.
fn evidence_lines(before: Option<&Record>, after: &Record) -> Vec<String> {
    if before.and_then(|b| b.results.as_ref()) == after.results.as_ref() {
        return Vec::new();
    }
    let Some(e) = after.evidence() else {
        return Vec::new();
    };
    let mut lines: Vec<String> = e
        .variants
        .iter()
        .skip(1)
        .filter_map(|v| Some(format!("{}: {}", v.name, v.summary()?)))
        .collect();
    if let Some(srm) = e.sample_ratio.as_ref().filter(|s| s.alert.is_some()) {
        lines.push(format!("sample ratio: {}", srm.summary()));
    }
    lines
}

/// The reasons of the override entries among `notes`.
fn overrides(notes: &[LogEntry]) -> Vec<String> {
    notes
        .iter()
        .filter_map(|n| match Note::read(&n.note) {
            Note::Override { why } => Some(why.trim().to_owned()),
            _ => None,
        })
        .collect()
}

/// A change to the plan after the experiment ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Amendment {
    pub field: &'static str,
    pub from: String,
    pub to: String,
    pub reason: Option<String>,
}

/// The amendments between two versions of a record, with the reasons among the new notes.
fn amendments(before: Option<&Record>, after: &Record, new_notes: &[LogEntry]) -> Vec<Amendment> {
    let Some(before) = before.filter(|b| plan::locked(b)) else {
        return Vec::new();
    };
    plan::changes(before, after)
        .into_iter()
        .map(|(field, from, to)| Amendment {
            reason: plan::reason(new_notes, field, &from, &to).map(str::to_owned),
            field,
            from,
            to,
        })
        .collect()
}

/// The differences between `base` and `head`, ordered by path; unchanged experiments are left out.
pub fn diff(base: &[Version], head: &[Version]) -> Vec<ExperimentDiff> {
    let old: HashMap<&str, &Version> = base.iter().map(|v| (v.1.id.as_str(), v)).collect();
    let new_ids: HashMap<&str, ()> = head.iter().map(|v| (v.1.id.as_str(), ())).collect();
    let mut out = Vec::new();
    for (path, record) in head {
        let before = old.get(record.id.as_str()).map(|v| &v.1);
        let fields = changed_fields(before, record);
        let new_notes = new_notes(
            before.map(|b| b.decision_log.as_slice()),
            &record.decision_log,
        );
        if before.is_some() && fields.is_empty() && new_notes.is_empty() {
            continue;
        }
        out.push(ExperimentDiff {
            id: record.id.clone(),
            path: path.clone(),
            title: record.title.clone(),
            change: if before.is_some() {
                Kind::Changed
            } else {
                Kind::New
            },
            amendments: amendments(before, record, &new_notes),
            evidence: evidence_lines(before, record),
            overrides: overrides(&new_notes),
            fields,
            new_notes,
        });
    }
    for (path, record) in base {
        if !new_ids.contains_key(record.id.as_str()) {
            out.push(ExperimentDiff {
                id: record.id.clone(),
                path: path.clone(),
                title: record.title.clone(),
                change: Kind::Deleted,
                fields: Vec::new(),
                amendments: Vec::new(),
                evidence: Vec::new(),
                overrides: Vec::new(),
                new_notes: Vec::new(),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The fields of `after` that differ from `before` (all set fields when there is no before).
fn changed_fields(before: Option<&Record>, after: &Record) -> Vec<FieldChange> {
    // The moves a reviewer looks for first, then every other field in the table's order.
    const FIRST: [&str; 3] = ["status", "decision", "confidence"];
    let order = FIRST
        .into_iter()
        .chain(FIELDS.iter().map(|f| f.name).filter(|n| !FIRST.contains(n)));
    let names: Vec<&'static str> = order.collect();
    let view = |r: &Record| -> Vec<(&'static str, Option<FieldValue>)> {
        names.iter().map(|&name| (name, r.get(name))).collect()
    };
    let after_view = view(after);
    match before {
        None => after_view
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(field, to)| FieldChange {
                field,
                from: None,
                to,
            })
            .collect(),
        Some(before) => view(before)
            .into_iter()
            .zip(after_view)
            .filter(|((_, a), (_, b))| a != b)
            .map(|((field, from), (_, to))| FieldChange { field, from, to })
            .collect(),
    }
}

/// Entries of `after` beyond those of `before` (as a multiset: a repeated entry counts twice).
fn new_notes(before: Option<&[LogEntry]>, after: &[LogEntry]) -> Vec<LogEntry> {
    let mut old: Vec<&LogEntry> = before.unwrap_or_default().iter().collect();
    let mut out = Vec::new();
    for entry in after {
        match old.iter().position(|e| *e == entry) {
            Some(i) => {
                old.swap_remove(i);
            }
            None => out.push(entry.clone()),
        }
    }
    out
}

/// The report as Markdown, fit to post on a pull request: every text from a record is escaped
/// ([`crate::text::markdown`]).
pub fn markdown(diffs: &[ExperimentDiff], base: &str, head: &str) -> String {
    let mut out = String::from("### Experiment changes\n\n");
    if diffs.is_empty() {
        out.push_str(&format!(
            "No experiment changed between {base} and {head}.\n"
        ));
        return out;
    }
    let count = |k: Kind| diffs.iter().filter(|d| d.change == k).count();
    let mut parts = Vec::new();
    for (kind, word) in [
        (Kind::New, "new"),
        (Kind::Changed, "changed"),
        (Kind::Deleted, "deleted"),
    ] {
        let n = count(kind);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    out.push_str(&format!(
        "{} experiment{} ({}) between {base} and {head}.\n",
        diffs.len(),
        if diffs.len() == 1 { "" } else { "s" },
        parts.join(", ")
    ));
    for d in diffs {
        let label = match d.change {
            Kind::New => " (new)",
            Kind::Changed => "",
            Kind::Deleted => " (deleted)",
        };
        out.push_str(&format!(
            "\n#### {}{label}\n\n{}\n\n",
            escape(&d.title),
            markdown_code(&d.path)
        ));
        for a in &d.amendments {
            let why = a.reason.as_deref().map_or_else(
                || " — **no reason logged**".to_owned(),
                |r| format!(" — {}", escape(r)),
            );
            out.push_str(&format!(
                "- **{}** (amended): {} -> {}{why}\n",
                a.field,
                escape(&a.from),
                escape(&a.to)
            ));
        }
        for line in &d.evidence {
            out.push_str(&format!("- **evidence**: {}\n", escape(line)));
        }
        for why in &d.overrides {
            out.push_str(&format!("- **override**: {}\n", escape(why)));
        }
        for f in d
            .fields
            .iter()
            .filter(|f| !d.amendments.iter().any(|a| a.field == f.field))
        {
            let shown = |v: &Option<FieldValue>| {
                v.as_ref()
                    .map_or("(none)".to_owned(), |v| escape(&v.to_string()))
            };
            let to = shown(&f.to);
            match (&d.change, &f.from) {
                (Kind::New, _) => out.push_str(&format!("- **{}**: {to}\n", f.field)),
                (_, from) => out.push_str(&format!("- **{}**: {} -> {to}\n", f.field, shown(from))),
            }
        }
        if d.change == Kind::Deleted {
            out.push_str("- the record was deleted; set its status to killed instead\n");
        }
        if !d.new_notes.is_empty() {
            out.push_str("- **new notes**:\n");
            for n in &d.new_notes {
                out.push_str(&format!(
                    "  - {} {}: {}\n",
                    n.at,
                    n.who.as_deref().map_or("(nobody)".to_owned(), escape),
                    escape(&n.note)
                ));
            }
        }
    }
    out
}

#[derive(Serialize)]
struct JsonDiff<'a> {
    version: u32,
    base: &'a str,
    head: &'a str,
    experiments: &'a [ExperimentDiff],
}

/// The report as JSON: `{version, base, head, experiments: [...]}`.
pub fn json(diffs: &[ExperimentDiff], base: &str, head: &str) -> String {
    let mut text = serde_json::to_string_pretty(&JsonDiff {
        version: 1,
        base,
        head,
        experiments: diffs,
    })
    .unwrap_or_default();
    text.push('\n');
    crate::export::json_text(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::record::{Decision, Status};

    fn record(id: &str) -> Record {
        Record {
            id: id.into(),
            baseline: 1.0,
            target: 2.0,
            confidence: 10,
            decision_log: vec![entry("a")],
            ..crate::test_support::sample()
        }
    }

    fn entry(note: &str) -> LogEntry {
        LogEntry {
            at: "2026-01-01T00:00:00.000Z".into(),
            who: Some("ann".into()),
            note: note.into(),
        }
    }

    #[test]
    fn finds_new_changed_deleted_and_skips_unchanged() {
        let same = record("1");
        let mut changed = record("2");
        let base = vec![
            ("a.yaml".into(), same.clone()),
            ("b.yaml".into(), changed.clone()),
            ("d.yaml".into(), record("4")),
        ];
        changed.status = Status::Completed;
        changed.decision = Some(Decision::Ship);
        changed.decision_log.push(entry("b"));
        let head = vec![
            ("a.yaml".into(), same),
            ("b.yaml".into(), changed),
            ("c.yaml".into(), record("3")),
        ];
        let diffs = diff(&base, &head);
        let kinds: Vec<(&str, Kind)> = diffs.iter().map(|d| (d.path.as_str(), d.change)).collect();
        assert_eq!(
            kinds,
            [
                ("b.yaml", Kind::Changed),
                ("c.yaml", Kind::New),
                ("d.yaml", Kind::Deleted)
            ]
        );
        let fields: Vec<&str> = diffs[0].fields.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["status", "decision"]);
        assert_eq!(diffs[0].new_notes, [entry("b")]);
        assert_eq!(diffs[1].new_notes, [entry("a")]);
    }

    #[test]
    fn json_gives_numbers_as_numbers_and_null_as_null() {
        let before = record("1");
        let mut after = record("1");
        after.confidence = 97;
        after.baseline = 1.5;
        after.learning = Some("green wins".into());
        after.tags = Some(vec!["cta".into()]);
        let diffs = diff(&[("a.yaml".into(), before)], &[("a.yaml".into(), after)]);
        let value: serde_json::Value = serde_json::from_str(&json(&diffs, "b", "h")).unwrap();
        let fields = &value["experiments"][0]["fields"];
        let find = |name: &str| {
            fields
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["field"] == name)
                .cloned()
                .unwrap()
        };
        assert_eq!(find("confidence")["from"], serde_json::json!(10));
        assert_eq!(find("confidence")["to"], serde_json::json!(97));
        assert_eq!(find("baseline")["from"], serde_json::json!(1));
        assert_eq!(find("baseline")["to"], serde_json::json!(1.5));
        assert_eq!(find("learning")["from"], serde_json::Value::Null);
        assert_eq!(find("tags")["to"], serde_json::json!(["cta"]));
        let md = markdown(&diffs, "b", "h");
        assert!(md.contains("- **confidence**: 10 -> 97\n"), "{md}");
        // The record was running: the baseline's change is an amendment, listed first.
        assert!(
            md.contains("- **baseline** (amended): 1 -> 1.5 — **no reason logged**\n"),
            "{md}"
        );
        assert_eq!(
            value["experiments"][0]["amendments"],
            serde_json::json!([{"field": "baseline", "from": "1", "to": "1.5", "reason": null}])
        );
    }

    #[test]
    fn markdown_escapes_user_text() {
        let mut r = record("1");
        r.title = "*bold* <b>|x|".into();
        let md = markdown(
            &diff(&[], &[("a.yaml".into(), r)]),
            "`abc`",
            "the work tree",
        );
        assert!(md.contains("#### \\*bold\\* &lt;b>\\|x\\| (new)"), "{md}");
    }
}
