//! The plan of an experiment — hypothesis, primary metric, baseline, target, direction — is
//! pre-registered: it changes freely while the experiment is a draft, and from its first move
//! to running on every change is an amendment, logged with its reason.

use crate::record::fields::{FIELDS, Record};
use crate::record::parts::{LogEntry, Status};
use crate::record::texts::{Note, shown};

/// Whether the plan is locked: the experiment is running or past it, or its log records a
/// move to running (killed after it ran); a draft, or one killed as a draft, is free.
pub fn locked(record: &Record) -> bool {
    matches!(
        record.status,
        Status::Running | Status::Completed | Status::Shipped
    ) || record.decision_log.iter().any(|e| {
        matches!(
            Note::read(&e.note),
            Note::Moved {
                to: Status::Running,
                ..
            }
        )
    })
}

/// The plan fields (those of the table marked `plan`) that differ between two versions:
/// (field, from, to) as the log shows them.
pub fn changes(before: &Record, after: &Record) -> Vec<(&'static str, String, String)> {
    FIELDS
        .iter()
        .filter(|f| f.plan)
        .filter_map(|f| {
            let (from, to) = (
                shown(f.name, &before.get(f.name)),
                shown(f.name, &after.get(f.name)),
            );
            (from != to).then_some((f.name, from, to))
        })
        .collect()
}

/// The reason of the amendment of `field` from `from` to `to` among `entries`, if one is
/// logged there.
pub fn reason<'a>(entries: &'a [LogEntry], field: &str, from: &str, to: &str) -> Option<&'a str> {
    entries
        .iter()
        .find_map(|e| Note::read(&e.note).amends(field, from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(note: &str) -> LogEntry {
        LogEntry {
            at: "2026-02-22T18:30:00.000Z".into(),
            who: None,
            note: note.into(),
        }
    }

    #[test]
    fn an_amendment_is_found_among_entries() {
        let n = Note::amended("target", "3.7", "3.5", "traffic halved");
        let log = [entry("Launched"), entry(&n)];
        assert_eq!(reason(&log, "target", "3.7", "3.5"), Some("traffic halved"));
        assert_eq!(reason(&log, "target", "3.7", "3.4"), None);
    }

    #[test]
    fn the_plan_locks_once_the_experiment_ran() {
        let mut r = Record::default();
        assert!(!locked(&r));
        r.decision_log.push(entry("status: draft -> running"));
        r.status = Status::Killed;
        assert!(locked(&r));
        r.decision_log[0] = entry("status: draft -> killed: never started");
        assert!(!locked(&r));
    }
}
