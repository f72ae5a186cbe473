//! An experiment's decision log beside the commits that added each entry, found through the
//! `Experiment-Id` trailer and the file's path history, so that it survives renames and
//! commits made with plain `git commit`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

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
    history(ws, read::get(ws, reference)?)
}

/// The decision log of one experiment already found, beside its commits.
pub fn history(ws: &Workspace, found: Found) -> Result<History, Error> {
    let mut histories = logs(ws, vec![found])?;
    Ok(histories.remove(0))
}

/// Each version of a record file met in the history, read once: by its bytes, the id as
/// written and the record when every rule holds. The walk asks whether a version is the
/// experiment's, and its entries are then attributed from the same reading.
#[derive(Default)]
struct Versions {
    read: RefCell<HashMap<Vec<u8>, Rc<Version>>>,
}

struct Version {
    id: Option<String>,
    record: Option<Record>,
}

impl Versions {
    fn get(&self, bytes: &[u8]) -> Rc<Version> {
        if let Some(version) = self.read.borrow().get(bytes) {
            return version.clone();
        }
        // The path is used in messages only, and no message is kept.
        let checked = rules::check_bytes(std::path::Path::new(""), bytes);
        let version = Rc::new(Version {
            id: checked.id.map(|(id, _)| id),
            record: checked.record,
        });
        self.read
            .borrow_mut()
            .insert(bytes.to_vec(), version.clone());
        version
    }
}

/// [`log`] for each of `found`, from one walk over the history.
pub fn logs(ws: &Workspace, found: Vec<Found>) -> Result<Vec<History>, Error> {
    let versions = Versions::default();
    let versions = &versions;
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
                        versions.get(bytes).id.as_deref() == Some(f.record.id.as_str())
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
        .map(|(found, history)| history_of(found, history, versions))
        .collect())
}

/// The experiment's history from the commits that made it, oldest first.
fn history_of(found: Found, history: Vec<HistoryCommit>, versions: &Versions) -> History {
    let revisions = history
        .iter()
        .map(|c| Revision {
            commit: CommitRef::from(&c.info),
            path: c.path.clone(),
            message: c.info.message.clone(),
            time: c.info.time,
            merge: (!c.merged.is_empty()).then(|| set_by_merge(c, versions)),
        })
        .collect();
    let (added, registered, held) = attribute(history, versions);
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
fn set_by_merge(commit: &HistoryCommit, versions: &Versions) -> Vec<MergedField> {
    let merged = versions.get(&commit.content);
    let Some(merged) = &merged.record else {
        return Vec::new();
    };
    let parents: Vec<Option<Rc<Version>>> = commit
        .merged
        .iter()
        .map(|bytes| bytes.as_deref().map(|b| versions.get(b)))
        .collect();
    let parents: Vec<Option<&Record>> = parents
        .iter()
        .map(|p| p.as_ref().and_then(|v| v.record.as_ref()))
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
fn attribute(history: Vec<HistoryCommit>, versions: &Versions) -> Attributed {
    let mut registered = None;
    let mut held: HashMap<Key, DateTime<Utc>> = HashMap::new();
    let mut added: HashMap<Key, Vec<CommitRef>> = HashMap::new();
    let mut before: HashMap<Key, usize> = HashMap::new();
    for commit in &history {
        let version = versions.get(&commit.content);
        let Some(record) = &version.record else {
            continue;
        };
        if registered.is_none() && plan::locked(record) {
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
