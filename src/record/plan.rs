//! The plan of an experiment — hypothesis, primary metric, baseline, target, direction — is
//! pre-registered: it changes freely while the experiment is a draft, and from its first move
//! to running on every change is an amendment, logged with its reason.

use crate::record::edit::format_number;
use crate::record::fields::{FieldValue, Record};
use crate::record::parts::{LogEntry, Status};

/// The fields of the plan.
pub const PLAN: [&str; 5] = [
    "hypothesis",
    "primary_metric",
    "baseline",
    "target",
    "direction",
];

/// The start of an amendment's log entry.
const AMENDED: &str = "amended: ";

/// Whether the plan is locked: the experiment is running or past it, or its log records a
/// move to running (killed after it ran); a draft, or one killed as a draft, is free.
pub fn locked(record: &Record) -> bool {
    matches!(
        record.status,
        Status::Running | Status::Completed | Status::Shipped
    ) || record
        .decision_log
        .iter()
        .any(|e| e.note.starts_with("status: ") && e.note.contains("-> running"))
}

/// A plan field's value as an amendment names it: `3.7`, `signup_rate`, `increase`.
pub fn shown(field: &str, value: &Option<FieldValue>) -> String {
    match value {
        None if field == "direction" => "increase".into(),
        None => "null".into(),
        Some(FieldValue::Number(x)) => format_number(*x),
        Some(FieldValue::Whole(n)) => n.to_string(),
        Some(FieldValue::Text(t)) => t.clone(),
        Some(FieldValue::List(items)) => format!("[{}]", items.join(", ")),
    }
}

/// The plan fields that differ between two versions: (field, from, to) as shown.
pub fn changes(before: &Record, after: &Record) -> Vec<(&'static str, String, String)> {
    PLAN.iter()
        .filter_map(|&field| {
            let (from, to) = (
                shown(field, &before.get(field)),
                shown(field, &after.get(field)),
            );
            (from != to).then_some((field, from, to))
        })
        .collect()
}

/// The log note of one amendment: `amended: target 3.7 -> 3.5: the reason`.
pub fn note(field: &str, from: &str, to: &str, reason: &str) -> String {
    format!("{AMENDED}{field} {from} -> {to}: {reason}")
}

/// The reason of the amendment of `field` from `from` to `to` among `entries`, if one is
/// logged there.
pub fn reason<'a>(entries: &'a [LogEntry], field: &str, from: &str, to: &str) -> Option<&'a str> {
    let prefix = format!("{AMENDED}{field} {from} -> {to}: ");
    entries
        .iter()
        .find_map(|e| e.note.strip_prefix(prefix.as_str()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn entry(note: &str) -> LogEntry {
        LogEntry {
            at: "2026-02-22T18:30:00.000Z".into(),
            who: None,
            note: note.into(),
        }
    }

    #[test]
    fn an_amendment_reads_back_its_reason() {
        let n = note("target", "3.7", "3.5", "traffic halved: a smaller lift");
        assert_eq!(
            n,
            "amended: target 3.7 -> 3.5: traffic halved: a smaller lift"
        );
        let log = [entry("Launched"), entry(&n)];
        assert_eq!(
            reason(&log, "target", "3.7", "3.5"),
            Some("traffic halved: a smaller lift")
        );
        assert_eq!(reason(&log, "target", "3.7", "3.4"), None);
        assert_eq!(reason(&log, "baseline", "3.7", "3.5"), None);
    }
}
