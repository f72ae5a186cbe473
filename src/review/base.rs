//! Records against their versions at a base revision: a decision-log entry present at the base
//! stays, unchanged and in order; ids never change; records are never deleted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::record::Record;
use crate::record::evidence;
use crate::record::lifecycle::{self, Breach};
use crate::record::parts::Status;
use crate::rules::{Checked, Problem, Rule};
use crate::store::Loaded;
use crate::yaml::{Document, Pos, Value};

/// One record file as it was at the base revision.
pub struct BaseFile {
    /// The path as shown to the user (where the file was).
    pub shown: PathBuf,
    pub checked: Checked,
}

/// Every breach of the append-only rules between `base` and the current files; `rev` names
/// the base in messages.
pub fn compare(base: &[BaseFile], head: &[Loaded], rev: &str) -> Vec<Problem> {
    let mut by_id: HashMap<&str, &Loaded> = HashMap::new();
    for file in head {
        if let Some((id, _)) = &file.checked.id {
            by_id.entry(id.as_str()).or_insert(file);
        }
    }
    let mut problems = Vec::new();
    for old in base {
        let Some((id, _)) = &old.checked.id else {
            continue;
        };
        match by_id.get(id.as_str()) {
            Some(new) => problems.extend(compare_one(old, new, rev)),
            None => problems.push(missing(old, id, head, rev)),
        }
    }
    problems
}

/// The problem for a base record whose id is nowhere now: its id changed, or it was deleted.
fn missing(old: &BaseFile, id: &str, head: &[Loaded], rev: &str) -> Problem {
    if let Some(new) = head.iter().find(|f| f.shown == old.shown) {
        let (now, pos) = new
            .checked
            .id
            .as_ref()
            .map_or(("no id".to_owned(), start()), |(i, p)| {
                (format!("`{i}`"), *p)
            });
        return problem(
            &new.shown,
            pos,
            Rule::IdChanged,
            format!("the id was `{id}` at {rev} and is {now} now; an id never changes"),
            "put the old id back; for a new experiment, use `xp new`",
        );
    }
    problem(
        &old.shown,
        start(),
        Rule::RecordDeleted,
        format!("this experiment (id {id}) exists at {rev} but was deleted"),
        "restore the file and set its status to killed instead (`xp update <ref> --status killed -m why`)",
    )
}

/// What the change from the base version to the new one breaks, as [`lifecycle`] says: base
/// entries must still be there, unchanged and in the same relative order (new entries may
/// stand between them, as a merge that interleaves notes by time puts them); a record already
/// running at the base keeps its plan unless each change is logged as an amendment. Status
/// moves are the writer's to allow (`--force` leaves no trace to review).
fn compare_one(old: &BaseFile, new: &Loaded, rev: &str) -> Vec<Problem> {
    let Some(doc) = new.checked.doc.as_ref() else {
        return Vec::new();
    };
    let breaches = match (&old.checked.record, &new.checked.record) {
        (Some(before), Some(after)) => lifecycle::transition(before, after).breaches,
        // A file that breaks other rules: its log is still held to the base's.
        _ => match (&old.checked.log, &new.checked.log) {
            (Some(before), Some(after)) => lifecycle::log(before, after).1,
            _ => Vec::new(),
        },
    };
    let places = entry_positions(doc);
    let early = match (&old.checked.record, &new.checked.record) {
        (Some(before), Some(after)) => stopped_early(before, after, doc, &new.shown, rev),
        _ => None,
    };
    early
        .into_iter()
        .chain(breaches.into_iter().filter_map(|breach| match breach {
            Breach::LogRewritten {
                index,
                entry,
                how,
                near,
            } => {
                let pos = places
                    .get(near)
                    .or(places.last())
                    .copied()
                    .unwrap_or_else(start);
                Some(problem(
                    &new.shown,
                    pos,
                    Rule::LogRewritten,
                    format!(
                        "decision-log entry {} at {rev} ({} by {}: \"{}\") was {}; the log is \
                         append-only",
                        index + 1,
                        entry.at,
                        entry.who.as_deref().unwrap_or("nobody"),
                        shorten(&entry.note),
                        how.as_str()
                    ),
                    "put the entry back as it was and add a new note instead",
                ))
            }
            Breach::PlanChanged { field, from, to } => {
                let pos = doc
                    .entry(doc.root, field)
                    .map_or_else(start, |(key, _)| doc.node(key).start);
                let flag = crate::record::fields::field(field)
                    .map_or_else(|| field.to_owned(), |f| f.flag());
                Some(Problem {
                    field: Some(field.to_owned()),
                    ..problem(
                    &new.shown,
                    pos,
                    Rule::PlanChanged,
                    format!(
                        "{field} was {from} at {rev}, when the experiment was already running, \
                         and is {to} now, with no amendment logged; the plan is pre-registered"
                    ),
                    &format!(
                        "put {from} back, then change it with `xp update <ref> --{flag} <value> \
                         --amend \"why\"`, which logs the reason"
                    ),
                    )
                })
            }
            // Ids are matched across files above; moves and kills are the writer's to allow.
            Breach::IdChanged { .. } | Breach::Move { .. } | Breach::KillWithoutReason => None,
        }))
        .collect()
}

/// `stopped-early`: a record that was a draft or running at the base and is completed (or
/// shipped) now, with results short of the sample its plan needs and no `override:` entry
/// since the results saying why it stopped.
fn stopped_early(
    before: &Record,
    after: &Record,
    doc: &Document,
    path: &Path,
    rev: &str,
) -> Option<Problem> {
    let ended = matches!(after.status, Status::Completed | Status::Shipped);
    let was_open = matches!(before.status, Status::Draft | Status::Running);
    if !(ended && was_open) || evidence::overridden(&after.decision_log).is_some() {
        return None;
    }
    let short = evidence::short_of_plan(after);
    if short.is_empty() {
        return None;
    }
    let said: Vec<String> = short
        .iter()
        .map(|(name, units, needed)| format!("`{name}` has {units} units of {needed}"))
        .collect();
    let pos = doc
        .entry(doc.root, "status")
        .map_or_else(start, |(key, _)| doc.node(key).start);
    Some(Problem {
        field: Some("status".to_owned()),
        ..problem(
            path,
            pos,
            Rule::StoppedEarly,
            format!(
                "the experiment was {} at {rev} and is {} now, before the sample its plan needs: \
                 {}; a test stopped early overstates what it found",
                before.status.as_str(),
                after.status.as_str(),
                said.join(", ")
            ),
            "let it run to the planned sample, or log `override: REASON` saying why it stopped",
        )
    })
}

/// A log entry this change added, stamped more than a day after the latest time it can truly
/// have (`bound`): the earliest commit that holds it, or the clock when that is earlier.
#[derive(Debug, Clone)]
pub struct Ahead {
    /// Its place in the log (0 first).
    pub index: usize,
    pub at: String,
    pub bound: chrono::DateTime<chrono::Utc>,
    /// The bound is a commit's time (not the clock's).
    pub committed: bool,
}

/// `log-time-ahead`: each entry added since the base and stamped ahead of the commits that hold
/// it, at its `at`.
pub fn ahead(file: &Loaded, entries: &[Ahead], slug: &str) -> Vec<Problem> {
    let Some(doc) = file.checked.doc.as_ref() else {
        return Vec::new();
    };
    let places = entry_positions(doc);
    entries
        .iter()
        .map(|a| {
            let pos = places.get(a.index).copied().unwrap_or_else(start);
            let what = if a.committed {
                "the commit that holds it"
            } else {
                "this clock"
            };
            problem(
                &file.shown,
                pos,
                Rule::LogTimeAhead,
                format!(
                    "decision-log entry {} is stamped {}, more than a day after {what} ({}): a \
                     clock that ran ahead stamped it, or a later note kept such a time to stay \
                     in order",
                    a.index + 1,
                    a.at,
                    crate::time::format_time(a.bound)
                ),
                &format!(
                    "run `xp fix-time {slug}`: it moves such times back to their commits' and \
                     logs a `corrected:` entry for each"
                ),
            )
        })
        .collect()
}

/// Where each decision-log entry starts.
fn entry_positions(doc: &Document) -> Vec<Pos> {
    match doc
        .entry(doc.root, "decision_log")
        .map(|(_, v)| doc.value(v))
    {
        Some(Value::Seq(items)) => items.iter().map(|&i| doc.node(i).start).collect(),
        _ => Vec::new(),
    }
}

fn shorten(note: &str) -> String {
    let line = note.lines().next().unwrap_or("");
    if line.chars().count() > 40 || note.contains('\n') {
        format!("{}...", line.chars().take(40).collect::<String>())
    } else {
        line.to_owned()
    }
}

fn start() -> Pos {
    Pos {
        line: 1,
        column: 1,
        byte: 0,
    }
}

fn problem(path: &Path, pos: Pos, rule: Rule, message: String, hint: &str) -> Problem {
    let field = match rule {
        Rule::LogRewritten | Rule::LogTimeAhead => Some("decision_log"),
        Rule::IdChanged => Some("id"),
        _ => None,
    };
    Problem {
        field: field.map(str::to_owned),
        path: path.to_owned(),
        line: pos.line,
        column: pos.column,
        rule,
        message,
        hint: Some(hint.to_owned()),
        severity: crate::rules::Severity::Error,
        item: None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::rules::check_bytes;

    const ID: &str = "3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58";

    fn text(id: &str, log: &[(&str, &str)]) -> String {
        let mut t = format!(
            "id: {id}\ntitle: T\nhypothesis: h\nprimary_metric: m\nbaseline: 1\ntarget: 2\ndecision_log:\n"
        );
        for (at, note) in log {
            t.push_str(&format!("- at: {at}\n  note: {note}\n"));
        }
        t
    }

    fn base(path: &str, text: &str) -> BaseFile {
        BaseFile {
            shown: PathBuf::from(path),
            checked: check_bytes(Path::new(path), text.as_bytes()),
        }
    }

    fn head(path: &str, text: &str) -> Loaded {
        Loaded {
            path: PathBuf::from(path),
            shown: PathBuf::from(path),
            slug: "x".into(),
            bytes: text.as_bytes().to_vec(),
            checked: check_bytes(Path::new(path), text.as_bytes()),
        }
    }

    fn rules(base_files: &[BaseFile], head_files: &[Loaded]) -> Vec<(Rule, String, usize)> {
        compare(base_files, head_files, "main")
            .into_iter()
            .map(|p| (p.rule, p.path.display().to_string(), p.line))
            .collect()
    }

    const A: (&str, &str) = ("2026-01-01T00:00:00Z", "first");
    const B: (&str, &str) = ("2026-01-02T00:00:00Z", "second");
    const C: (&str, &str) = ("2026-01-03T00:00:00Z", "third");

    #[test]
    fn a_pure_append_passes_even_after_a_rename() {
        let old = [base("e/a.yaml", &text(ID, &[A, B]))];
        let new = [head("e/renamed.yaml", &text(ID, &[A, B, C]))];
        assert_eq!(rules(&old, &new), vec![]);
    }

    #[test]
    fn changed_removed_and_moved_entries_are_rewrites() {
        let old = [base("e/a.yaml", &text(ID, &[A, B]))];
        let changed = [head(
            "e/a.yaml",
            &text(ID, &[A, ("2026-01-02T00:00:00Z", "edited")]),
        )];
        assert_eq!(
            rules(&old, &changed),
            vec![(Rule::LogRewritten, "e/a.yaml".into(), 10)]
        );
        let removed = [head("e/a.yaml", &text(ID, &[B]))];
        let found = compare(&old, &removed, "main");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("entry 1 at main")
                && found[0].message.contains("was removed"),
            "{}",
            found[0].message
        );
        let swapped = [head("e/a.yaml", &text(ID, &[B, A]))];
        let found = compare(&old, &swapped, "main");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("entry 2 at main") && found[0].message.contains("was moved"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn new_entries_between_the_bases_entries_pass() {
        // A merge puts a branch's earlier note between main's notes, in time order.
        let old = [base("e/a.yaml", &text(ID, &[A, C]))];
        let merged = [head("e/a.yaml", &text(ID, &[A, B, C]))];
        assert_eq!(rules(&old, &merged), vec![]);
        let twice = [base("e/a.yaml", &text(ID, &[A, A]))];
        let once = [head("e/a.yaml", &text(ID, &[A, B]))];
        assert_eq!(
            rules(&twice, &once),
            vec![(Rule::LogRewritten, "e/a.yaml".into(), 10)]
        );
    }

    #[test]
    fn ids_never_change_and_records_are_never_deleted() {
        let old = [base("e/a.yaml", &text(ID, &[A]))];
        let other = "7c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
        assert_eq!(
            rules(&old, &[head("e/a.yaml", &text(other, &[A]))]),
            vec![(Rule::IdChanged, "e/a.yaml".into(), 1)]
        );
        assert_eq!(
            rules(&old, &[head("e/b.yaml", &text(other, &[A]))]),
            vec![(Rule::RecordDeleted, "e/a.yaml".into(), 1)]
        );
    }

    #[test]
    fn a_rewritten_entry_is_named_with_its_note_shortened() {
        let long = "x".repeat(41);
        let forty = "y".repeat(40);
        let old = [base(
            "e/a.yaml",
            &text(
                ID,
                &[
                    ("2026-01-01T00:00:00Z", &long),
                    ("2026-01-02T00:00:00Z", &forty),
                    ("2026-01-03T00:00:00Z", "\"two\\nlines\""),
                ],
            ),
        )];
        let edited = [head(
            "e/a.yaml",
            &text(
                ID,
                &[
                    ("2026-01-01T00:00:00Z", "a"),
                    ("2026-01-02T00:00:00Z", "b"),
                    ("2026-01-03T00:00:00Z", "c"),
                ],
            ),
        )];
        let messages: Vec<String> = compare(&old, &edited, "main")
            .into_iter()
            .map(|p| p.message)
            .collect();
        assert_eq!(
            messages,
            [
                format!(
                    "decision-log entry 1 at main (2026-01-01T00:00:00Z by nobody: \"{}...\") \
                     was changed; the log is append-only",
                    "x".repeat(40)
                ),
                format!(
                    "decision-log entry 2 at main (2026-01-02T00:00:00Z by nobody: \"{forty}\") \
                     was changed; the log is append-only"
                ),
                "decision-log entry 3 at main (2026-01-03T00:00:00Z by nobody: \"two...\") was \
                 changed; the log is append-only"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn notes_are_shortened_to_their_first_forty_characters_of_one_line() {
        assert_eq!(shorten(&"z".repeat(40)), "z".repeat(40));
        assert_eq!(shorten(&"z".repeat(41)), format!("{}...", "z".repeat(40)));
        assert_eq!(shorten("one\ntwo"), "one...");
        assert_eq!(shorten("short"), "short");
        assert_eq!(shorten(""), "");
    }

    #[test]
    fn an_unlogged_plan_change_names_the_flag_that_amends_it() {
        let running = |metric: &str, target: &str| {
            format!(
                "id: {ID}\ntitle: T\nhypothesis: h\nprimary_metric: {metric}\nbaseline: 1\n\
                 target: {target}\nstatus: running\ndecision_log:\n"
            )
        };
        let old = [base("e/a.yaml", &running("m", "2"))];
        let new = [head("e/a.yaml", &running("n", "3"))];
        let found: Vec<(String, String)> = compare(&old, &new, "main")
            .into_iter()
            .map(|p| (p.message, p.hint.unwrap_or_default()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "primary_metric was m at main, when the experiment was already running, and \
                     is n now, with no amendment logged; the plan is pre-registered"
                        .to_owned(),
                    "put m back, then change it with `xp update <ref> --metric <value> --amend \
                     \"why\"`, which logs the reason"
                        .to_owned()
                ),
                (
                    "target was 2 at main, when the experiment was already running, and is 3 \
                     now, with no amendment logged; the plan is pre-registered"
                        .to_owned(),
                    "put 2 back, then change it with `xp update <ref> --target <value> --amend \
                     \"why\"`, which logs the reason"
                        .to_owned()
                ),
            ]
        );
    }
}
