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
    changes_from(&values(before), after)
}

/// The plan fields of a record with their values as the log shows them, in the table's order.
pub fn values(record: &Record) -> Vec<(&'static str, String)> {
    FIELDS
        .iter()
        .filter(|f| f.plan)
        .map(|f| (f.name, shown(f.name, &record.get(f.name))))
        .collect()
}

/// [`changes`] from the plan's [`values`] before.
pub fn changes_from(
    before: &[(&'static str, String)],
    after: &Record,
) -> Vec<(&'static str, String, String)> {
    before
        .iter()
        .filter_map(|(name, from)| {
            let to = shown(name, &after.get(name));
            (*from != to).then(|| (*name, from.clone(), to))
        })
        .collect()
}

/// A locked plan field whose value is not the one its last amendment set: what two branches
/// amending one field differently leave after a merge, or a hand edit after an amendment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub field: &'static str,
    /// The value now, as the log shows values.
    pub value: String,
    /// The value the last amendment of the field set.
    pub amended_to: String,
    /// That amendment's place in the log (0 first).
    pub entry: usize,
}

/// Each plan field of a locked plan that disagrees with the last amendment of it logged since
/// the plan locked (amendments logged while it was a draft do not bind).
pub fn mismatches(record: &Record) -> Vec<Mismatch> {
    if !locked(record) {
        return Vec::new();
    }
    let log = &record.decision_log;
    let since = log
        .iter()
        .position(|e| {
            matches!(
                Note::read(&e.note),
                Note::Moved {
                    to: Status::Running,
                    ..
                }
            )
        })
        .unwrap_or(0);
    FIELDS
        .iter()
        .filter(|f| f.plan)
        .filter_map(|f| {
            let (entry, note) = log
                .iter()
                .enumerate()
                .skip(since)
                .rev()
                .map(|(i, e)| (i, Note::read(&e.note)))
                .find(|(_, n)| matches!(n, Note::Amended { field, .. } if *field == f.name))?;
            let value = shown(f.name, &record.get(f.name));
            (!note.amends_to(f.name, &value)).then(|| Mismatch {
                field: f.name,
                value,
                amended_to: note.amended_to().unwrap_or_default().to_owned(),
                entry,
            })
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
    fn a_value_must_be_the_one_its_last_amendment_set() {
        let mut r = Record {
            status: Status::Running,
            target: 3.6,
            ..Record::default()
        };
        r.decision_log = vec![
            entry("status: draft -> running"),
            entry(&Note::amended("target", "3.7", "3.6", "theirs")),
        ];
        assert_eq!(mismatches(&r), vec![]);
        // A merge kept 3.6 while the other side's later amendment says 3.5.
        r.decision_log
            .push(entry(&Note::amended("target", "3.7", "3.5", "ours")));
        assert_eq!(
            mismatches(&r),
            vec![Mismatch {
                field: "target",
                value: "3.6".into(),
                amended_to: "3.5".into(),
                entry: 2,
            }]
        );
        // An amendment that settles it.
        r.decision_log
            .push(entry(&Note::amended("target", "3.5", "3.6", "kept theirs")));
        assert_eq!(mismatches(&r), vec![]);
        // Amendments logged while a draft do not bind, nor does anything in a draft.
        let mut draft = Record {
            target: 3.9,
            ..Record::default()
        };
        draft.decision_log = vec![entry(&Note::amended("target", "3.7", "3.6", "early"))];
        assert_eq!(mismatches(&draft), vec![]);
        draft.decision_log.push(entry("status: draft -> running"));
        draft.status = Status::Running;
        assert_eq!(mismatches(&draft), vec![]);
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
