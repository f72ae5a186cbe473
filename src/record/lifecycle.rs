//! What may change from one version of a record to the next: the id stays; the decision log
//! only grows (every old entry stays, unchanged and in the same relative order, so that a
//! merge may interleave entries by time; only an entry's time may move earlier, with a
//! `corrected:` entry saying so, when a clock that ran ahead stamped it); the status moves
//! only as allowed, and a kill says why; once the experiment ran, the plan changes only with
//! an amendment logged.
//!
//! `xp update`, `xp edit`, the server (through update) and `check --base` all ask
//! [`transition`], and each only phrases its answer in its own words.

use crate::record::fields::Record;
use crate::record::parts::{Decision, LogEntry, Status};
use crate::record::plan;
use crate::record::texts::Note;

/// Something a change from one version to the next breaks.
#[derive(Debug, Clone, PartialEq)]
pub enum Breach {
    /// The id is not the one it was.
    IdChanged { from: String, to: String },
    /// An entry of the old log is not in the new one, unchanged and in its order.
    LogRewritten {
        /// Its place in the old log (0 first).
        index: usize,
        entry: LogEntry,
        how: Rewrite,
        /// Where in the new log it was looked for (0 first).
        near: usize,
    },
    /// A status move that is not one of the allowed ones (see [`Status::can_move_to`]).
    Move { from: Status, to: Status },
    /// Killed without a new entry that says why.
    KillWithoutReason,
    /// A field of the locked plan changed without its amendment among the new entries.
    PlanChanged {
        field: &'static str,
        from: String,
        to: String,
    },
}

/// How an old log entry was rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    /// Its words changed (an entry of the same time and author is there).
    Changed,
    /// It is gone.
    Removed,
    /// It is there, but out of its order.
    Moved,
}

impl Rewrite {
    pub fn as_str(self) -> &'static str {
        match self {
            Rewrite::Changed => "changed",
            Rewrite::Removed => "removed",
            Rewrite::Moved => "moved",
        }
    }
}

/// A change from one version of a record to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The entries of the new log that the old one did not hold, in their order.
    pub added: Vec<LogEntry>,
    /// What the change breaks, in the order: id, log, status, plan.
    pub breaches: Vec<Breach>,
}

/// What changing `old` into `new` adds to the log and breaks.
pub fn transition(old: &Record, new: &Record) -> Transition {
    let mut breaches = Vec::new();
    if old.id != new.id {
        breaches.push(Breach::IdChanged {
            from: old.id.clone(),
            to: new.id.clone(),
        });
    }
    let (added, rewritten) = log(&old.decision_log, &new.decision_log);
    breaches.extend(rewritten);
    if old.status != new.status {
        if !old.status.can_move_to(new.status) {
            breaches.push(Breach::Move {
                from: old.status,
                to: new.status,
            });
        }
        if new.status == Status::Killed && !added.iter().any(|e| Note::read(&e.note).says_why()) {
            breaches.push(Breach::KillWithoutReason);
        }
    }
    if plan::locked(old) {
        for (field, from, to) in plan::changes(old, new) {
            if plan::reason(&added, field, &from, &to).is_none() {
                breaches.push(Breach::PlanChanged { field, from, to });
            }
        }
    }
    Transition { added, breaches }
}

/// The decision a change sets on its own when it gives none: an experiment moved to killed is
/// decided `kill` (so that the report lists it), unless that is its decision already.
pub fn implied_decision(old: &Record, new: &Record) -> Option<Decision> {
    (new.status == Status::Killed
        && old.status != Status::Killed
        && new.decision != Some(Decision::Kill))
    .then_some(Decision::Kill)
}

/// What a record says was decided: its decision, or `kill` for an experiment killed without
/// one (as records killed before xp set the decision on the move are).
pub fn decided(record: &Record) -> Option<Decision> {
    match (record.status, record.decision) {
        (_, Some(decision)) => Some(decision),
        (Status::Killed, None) => Some(Decision::Kill),
        _ => None,
    }
}

/// The corrected times a log records, as (from, to): each `corrected:` entry's, when it moves
/// a time earlier (a correction never moves one later).
pub fn corrections(log: &[LogEntry]) -> Vec<(String, String)> {
    log.iter()
        .filter_map(|e| match Note::read(&e.note) {
            Note::Corrected { from, to, .. } => {
                let earlier = matches!(
                    (crate::time::parse_utc(from), crate::time::parse_utc(to)),
                    (Some(f), Some(t)) if t < f
                );
                earlier.then(|| (from.to_owned(), to.to_owned()))
            }
            _ => None,
        })
        .collect()
}

/// The old entries as the new log may hold them: an entry the new log lacks, whose time a
/// `corrected:` entry of the new log moves, is looked for at its corrected time.
fn restamped(old: &[LogEntry], new: &[LogEntry]) -> Vec<LogEntry> {
    let corrections = corrections(new);
    if corrections.is_empty() {
        return old.to_vec();
    }
    old.iter()
        .map(|e| {
            if new.contains(e) {
                return e.clone();
            }
            corrections
                .iter()
                .filter(|(from, _)| *from == e.at)
                .find_map(|(_, to)| {
                    let moved = LogEntry {
                        at: to.clone(),
                        ..e.clone()
                    };
                    new.contains(&moved).then_some(moved)
                })
                .unwrap_or_else(|| e.clone())
        })
        .collect()
}

/// The old log against the new: the entries added, and each old entry that is not in the new
/// log in its relative order (the old log must be an ordered subsequence of the new one). An
/// entry whose time a `corrected:` entry of the new log moved counts as kept.
pub fn log(old: &[LogEntry], new: &[LogEntry]) -> (Vec<LogEntry>, Vec<Breach>) {
    let old = &restamped(old, new)[..];
    let mut matched = vec![false; new.len()];
    let mut breaches = Vec::new();
    // New entries before `next` are matched to old ones, or passed over.
    let mut next = 0;
    for (index, entry) in old.iter().enumerate() {
        if let Some(found) = new[next.min(new.len())..].iter().position(|e| e == entry) {
            matched[next + found] = true;
            next += found + 1;
            continue;
        }
        let kept = new.iter().filter(|e| *e == entry).count();
        let wanted = old[..=index].iter().filter(|e| *e == entry).count();
        let how = if kept >= wanted {
            Rewrite::Moved
        } else if new.iter().any(|e| e.at == entry.at && e.who == entry.who) {
            Rewrite::Changed
        } else {
            Rewrite::Removed
        };
        breaches.push(Breach::LogRewritten {
            index,
            entry: entry.clone(),
            how,
            near: next,
        });
    }
    let added = new
        .iter()
        .zip(matched)
        .filter(|(_, m)| !m)
        .map(|(e, _)| e.clone())
        .collect();
    (added, breaches)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: &str, note: &str) -> LogEntry {
        LogEntry {
            at: format!("2026-01-0{at}T00:00:00.000Z"),
            who: Some("ann".into()),
            note: note.into(),
        }
    }

    fn record(status: Status, log: &[LogEntry]) -> Record {
        Record {
            baseline: 1.0,
            target: 2.0,
            status,
            decision_log: log.to_vec(),
            ..crate::test_support::sample()
        }
    }

    #[test]
    fn an_append_adds_and_breaks_nothing() {
        let (a, b) = (entry("1", "first"), entry("2", "second"));
        let old = record(Status::Draft, std::slice::from_ref(&a));
        let new = record(Status::Draft, &[a, b.clone()]);
        assert_eq!(
            transition(&old, &new),
            Transition {
                added: vec![b],
                breaches: vec![]
            }
        );
    }

    #[test]
    fn entries_between_the_old_ones_are_added_and_a_rewrite_is_named() {
        let (a, b, c) = (entry("1", "a"), entry("2", "b"), entry("3", "c"));
        let (added, breaches) = log(&[a.clone(), c.clone()], &[a.clone(), b.clone(), c.clone()]);
        assert_eq!((added, breaches), (vec![b.clone()], vec![]));
        let (_, breaches) = log(&[a.clone(), b.clone()], &[b.clone(), a.clone()]);
        assert!(matches!(
            breaches[..],
            [Breach::LogRewritten {
                index: 1,
                how: Rewrite::Moved,
                ..
            }]
        ));
        let edited = entry("2", "edited");
        let (_, breaches) = log(&[a.clone(), b.clone()], &[a.clone(), edited]);
        assert!(matches!(
            breaches[..],
            [Breach::LogRewritten {
                how: Rewrite::Changed,
                near: 1,
                ..
            }]
        ));
        let (_, breaches) = log(&[a, b], &[c]);
        assert_eq!(breaches.len(), 2);
    }

    #[test]
    fn a_time_moves_earlier_only_with_its_correction_logged() {
        let ahead = LogEntry {
            at: "2029-01-01T00:00:00.000Z".into(),
            who: Some("ann".into()),
            note: "bad clock".into(),
        };
        let fixed = LogEntry {
            at: "2026-01-05T00:00:00.000Z".into(),
            ..ahead.clone()
        };
        let correction = |from: &str, to: &str| {
            entry(
                "6",
                &Note::Corrected {
                    from,
                    to,
                    why: Some("clock ahead"),
                }
                .to_string(),
            )
        };
        let a = entry("1", "a");
        let old = [a.clone(), ahead.clone()];
        let good = correction(&ahead.at, &fixed.at);
        let (added, breaches) = log(&old, &[a.clone(), fixed.clone(), good.clone()]);
        assert_eq!((added, breaches), (vec![good], vec![]));
        // Without the correction it is a rewrite; a correction may not move a time later.
        let (_, breaches) = log(&old, &[a.clone(), fixed.clone()]);
        assert_eq!(breaches.len(), 1);
        let later = LogEntry {
            at: "2030-01-01T00:00:00.000Z".into(),
            ..ahead.clone()
        };
        let (_, breaches) = log(&old, &[a, later.clone(), correction(&ahead.at, &later.at)]);
        assert_eq!(breaches.len(), 1);
    }

    #[test]
    fn status_moves_and_kills_need_what_the_rules_say() {
        let old = record(Status::Completed, &[]);
        let shipped = record(Status::Shipped, &[]);
        assert_eq!(transition(&old, &shipped).breaches, vec![]);
        let draft = record(Status::Draft, &[]);
        assert_eq!(
            transition(&old, &draft).breaches,
            vec![Breach::Move {
                from: Status::Completed,
                to: Status::Draft
            }]
        );
        let running = record(Status::Running, &[]);
        let bare = record(Status::Killed, &[entry("1", "status: running -> killed")]);
        assert_eq!(
            transition(&running, &bare).breaches,
            vec![Breach::KillWithoutReason]
        );
        let why = record(
            Status::Killed,
            &[entry("1", "status: running -> killed: no lift")],
        );
        assert_eq!(transition(&running, &why).breaches, vec![]);
    }

    #[test]
    fn a_locked_plan_changes_only_with_its_amendment() {
        let old = record(Status::Running, &[]);
        let mut new = old.clone();
        new.target = 3.0;
        assert_eq!(
            transition(&old, &new).breaches,
            vec![Breach::PlanChanged {
                field: "target",
                from: "2".into(),
                to: "3".into()
            }]
        );
        new.decision_log.push(entry(
            "1",
            &Note::amended("target", "2", "3", "more traffic"),
        ));
        assert_eq!(transition(&old, &new).breaches, vec![]);
        let draft = record(Status::Draft, &[]);
        let mut moved = draft.clone();
        moved.target = 3.0;
        assert_eq!(transition(&draft, &moved).breaches, vec![]);
    }

    #[test]
    fn a_kill_decides_kill_unless_a_decision_is_given() {
        let running = record(Status::Running, &[]);
        let mut killed = record(Status::Killed, &[]);
        assert_eq!(implied_decision(&running, &killed), Some(Decision::Kill));
        assert_eq!(decided(&killed), Some(Decision::Kill));
        killed.decision = Some(Decision::Kill);
        assert_eq!(implied_decision(&running, &killed), None);
        let mut completed = record(Status::Completed, &[]);
        completed.decision = Some(Decision::Iterate);
        assert_eq!(decided(&completed), Some(Decision::Iterate));
        assert_eq!(decided(&running), None);
        assert_eq!(implied_decision(&running, &completed), None);
        // Completed, then killed after review: allowed without --force.
        assert!(Status::Completed.can_move_to(Status::Killed));
        assert!(!Status::Shipped.can_move_to(Status::Killed));
    }

    #[test]
    fn an_id_never_changes() {
        let old = record(Status::Draft, &[]);
        let mut new = old.clone();
        new.id = "7c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f".into();
        assert!(matches!(
            transition(&old, &new).breaches[..],
            [Breach::IdChanged { .. }]
        ));
    }
}
