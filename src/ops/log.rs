//! An experiment's decision log beside the commits that added each entry, found through the
//! `Experiment-Id` trailer and the file's path history, so that it survives renames and
//! commits made with plain `git commit`.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::git::{CommitInfo, HistoryCommit, IsIt, Wanted};
use crate::ops::read::{self, Found};
use crate::ops::workspace::Workspace;
use crate::record::fields::FIELDS;
use crate::record::plan;
use crate::record::texts::shown;
use crate::record::{LogEntry, Record};
use crate::rules;

/// One entry with the commit that added it, if any.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    #[serde(flatten)]
    pub entry: LogEntry,
    pub commit: Option<CommitRef>,
    /// The earliest time of the commits whose version holds this entry (none when no commit
    /// does): the entry was written before each of them was made.
    #[serde(skip)]
    pub held_since: Option<DateTime<Utc>>,
}

impl Line {
    /// The latest time the entry can truly have: the earliest commit that holds it, or `now`
    /// when that is earlier (the clock of whoever asks; `None` leaves it out).
    pub fn bound(&self, now: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        [self.held_since, now].into_iter().flatten().min()
    }

    /// Whether the entry is stamped more than [`crate::time::AHEAD_SLACK`] after
    /// [`Line::bound`]: a clock that ran ahead stamped it (or a later note copied such a time,
    /// to keep the log in order).
    pub fn ahead(&self, now: Option<DateTime<Utc>>) -> bool {
        match (crate::time::parse_utc(&self.entry.at), self.bound(now)) {
            (Some(at), Some(bound)) => at > bound + crate::time::AHEAD_SLACK,
            _ => false,
        }
    }
}

/// A commit as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitRef {
    pub id: String,
    pub short: String,
    pub author: String,
    /// `YYYY-MM-DD`.
    pub date: String,
}

impl From<&CommitInfo> for CommitRef {
    fn from(info: &CommitInfo) -> CommitRef {
        CommitRef {
            id: info.id.clone(),
            short: info.short.clone(),
            author: info.author.clone(),
            date: info.time.format("%Y-%m-%d").to_string(),
        }
    }
}

/// One commit that changed the experiment's file, with its message (whose body lists the
/// changed fields as `field: old -> new`) and the file's path then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub commit: CommitRef,
    /// Relative to the work tree, with forward slashes.
    pub path: String,
    pub message: String,
    /// When it was made (the author's time), to place it among the log's entries.
    pub time: DateTime<FixedOffset>,
    /// For a merge commit, the fields it set to a value no parent had (a conflict resolved
    /// by hand to a third value); empty when it only joined the two sides. `None` for a commit
    /// with one parent.
    pub merge: Option<Vec<MergedField>>,
}

/// A field a merge set itself: its value in the first parent and after the merge, as a
/// commit body shows values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedField {
    pub field: &'static str,
    pub from: String,
    pub to: String,
}

/// The experiment and each of its log entries with the commit that added it.
pub struct History {
    pub found: Found,
    pub lines: Vec<Line>,
    /// The plan fields whose value when the experiment first ran (as committed) differs from
    /// today's: (field, registered, now).
    pub amended_plan: Vec<(&'static str, String, String)>,
    /// Every commit that changed the experiment's file, oldest first (empty outside git).
    pub revisions: Vec<Revision>,
}

/// The decision log of the experiment `reference` names, beside its commits.
pub fn log(ws: &Workspace, reference: &str) -> Result<History, Error> {
    let found = read::get(ws, reference)?;
    let mut histories = logs(ws, vec![found])?;
    Ok(histories.remove(0))
}

/// [`log`] for each of `found`, from one walk over the history.
pub fn logs(ws: &Workspace, found: Vec<Found>) -> Result<Vec<History>, Error> {
    let commits = match &ws.repo {
        Some(repo) => {
            let rels: Vec<Option<String>> = found
                .iter()
                .map(|f| repo.relative(&f.loaded.path))
                .collect();
            let checks: Vec<Box<IsIt>> = found
                .iter()
                .map(|f| -> Box<IsIt> {
                    Box::new(move |bytes: &[u8]| {
                        let checked = rules::check_bytes(&f.loaded.shown, bytes);
                        checked.id.is_some_and(|(id, _)| id == f.record.id)
                    })
                })
                .collect();
            let wanted: Vec<Wanted> = found
                .iter()
                .zip(&rels)
                .zip(&checks)
                .map(|((f, rel), is_it)| Wanted {
                    id: &f.record.id,
                    rel_path: rel.as_deref(),
                    is_it: is_it.as_ref(),
                })
                .collect();
            let within = repo.relative(&ws.store.dir);
            repo.histories(&wanted, within.as_deref())?
        }
        None => found.iter().map(|_| Vec::new()).collect(),
    };
    Ok(found
        .into_iter()
        .zip(commits)
        .map(|(found, history)| history_of(found, history))
        .collect())
}

/// The experiment's history from the commits that made it, oldest first.
fn history_of(found: Found, history: Vec<HistoryCommit>) -> History {
    let revisions = history
        .iter()
        .map(|c| Revision {
            commit: CommitRef::from(&c.info),
            path: c.path.clone(),
            message: c.info.message.clone(),
            time: c.info.time,
            merge: (!c.merged.is_empty()).then(|| set_by_merge(c)),
        })
        .collect();
    let (added, registered, held) = attribute(history);
    let amended_plan = registered.map_or_else(Vec::new, |r| plan::changes(&r, &found.record));
    let mut seen: HashMap<Key, usize> = HashMap::new();
    let lines = found
        .record
        .decision_log
        .iter()
        .map(|entry| {
            let key = key_of(entry);
            let n = seen.entry(key.clone()).or_default();
            let commit = added.get(&key).and_then(|c| c.get(*n)).cloned();
            *n += 1;
            Line {
                entry: entry.clone(),
                commit,
                held_since: held.get(&key).copied(),
            }
        })
        .collect();
    History {
        found,
        lines,
        amended_plan,
        revisions,
    }
}

/// The fields a merge commit set to a value that none of its parents had.
fn set_by_merge(commit: &HistoryCommit) -> Vec<MergedField> {
    let read = |bytes: &[u8]| rules::check_bytes(std::path::Path::new(&commit.path), bytes).record;
    let Some(merged) = read(&commit.content) else {
        return Vec::new();
    };
    let parents: Vec<Option<Record>> = commit
        .merged
        .iter()
        .map(|bytes| bytes.as_deref().and_then(read))
        .collect();
    let Some(Some(first)) = parents.first() else {
        return Vec::new();
    };
    FIELDS
        .iter()
        .filter_map(|f| {
            let value = merged.get(f.name);
            let new_here = parents
                .iter()
                .all(|p| p.as_ref().is_none_or(|p| p.get(f.name) != value));
            new_here.then(|| MergedField {
                field: f.name,
                from: shown(f.name, &first.get(f.name)),
                to: shown(f.name, &value),
            })
        })
        .collect()
}

type Key = (String, Option<String>, String);

fn key_of(e: &LogEntry) -> Key {
    (e.at.clone(), e.who.clone(), e.note.clone())
}

/// What the commits of a record's history say of its entries.
type Attributed = (
    HashMap<Key, Vec<CommitRef>>,
    Option<Record>,
    HashMap<Key, DateTime<Utc>>,
);

/// For each entry (by content), the commits that added a copy of it, oldest first; the record
/// as first committed with its plan locked (when it first ran); and for each entry the
/// earliest time of a commit that holds it.
fn attribute(history: Vec<HistoryCommit>) -> Attributed {
    let mut registered = None;
    let mut held: HashMap<Key, DateTime<Utc>> = HashMap::new();
    let mut added: HashMap<Key, Vec<CommitRef>> = HashMap::new();
    let mut before: HashMap<Key, usize> = HashMap::new();
    for commit in &history {
        let checked = rules::check_bytes(std::path::Path::new(&commit.path), &commit.content);
        let Some(record) = checked.record else {
            continue;
        };
        if registered.is_none() && plan::locked(&record) {
            registered = Some(record.clone());
        }
        let mut now: HashMap<Key, usize> = HashMap::new();
        let time = commit.info.time.with_timezone(&Utc);
        for entry in &record.decision_log {
            *now.entry(key_of(entry)).or_default() += 1;
            held.entry(key_of(entry))
                .and_modify(|t| *t = (*t).min(time))
                .or_insert(time);
        }
        for (key, &count) in &now {
            let had = before.get(key).copied().unwrap_or(0);
            let list = added.entry(key.clone()).or_default();
            // Copies beyond what the previous commit held were added here; a copy already
            // credited (seen again after a merge) is not credited twice.
            for _ in had..count {
                if list.len() < count {
                    list.push(CommitRef::from(&commit.info));
                }
            }
        }
        before = now;
    }
    (added, registered, held)
}
