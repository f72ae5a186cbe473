//! An experiment's decision log beside the commits that added each entry, found through the
//! `Experiment-Id` trailer and the file's path history, so that it survives renames and
//! commits made with plain `git commit`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::error::Error;
use git2::Oid;
use sha1::{Digest, Sha1};

use crate::git::{CommitInfo, HistoryCommit, Id, IsIt, Wanted};
use crate::ops::read::{self, Found};
use crate::ops::workspace::Workspace;
use crate::record::fields::FIELDS;
use crate::record::plan;
use crate::record::texts::shown;
use crate::record::{LogEntry, LogRef, PackedLog, Record};
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

/// Each version of a record file met in the history, read once and kept as small as the
/// attribution of entries needs it: by the content's id, the id as written, and (when every
/// rule holds) the keys of its entries and its plan when locked. The walk asks whether a
/// version is the experiment's, and its entries are then attributed from the same reading.
#[derive(Default)]
struct Versions {
    read: RefCell<HashMap<Oid, Arc<Version>>>,
}

struct Version {
    id: Option<String>,
    /// Its blob, to read its plan again when the plan was amended since.
    oid: Option<Oid>,
    /// What a version that passes every rule says; `None` when one fails.
    record: Option<Kept>,
}

/// What the attribution reads of a version: its entries' keys in order, and a digest of the
/// plan's values when the plan is locked (the values themselves are read again from the blob
/// only for a plan amended since, rarely).
struct Kept {
    keys: Vec<Key>,
    plan: Option<Key>,
}

impl Versions {
    fn get(&self, bytes: &[u8]) -> Arc<Version> {
        let oid = Oid::hash_object(git2::ObjectType::Blob, bytes).ok();
        if let Some(version) = oid.and_then(|oid| self.read.borrow().get(&oid).cloned()) {
            return version;
        }
        // The path is used in messages only, and no message is kept.
        let checked = rules::check_bytes(std::path::Path::new(""), bytes);
        let version = Arc::new(Version {
            id: checked.id.map(|(id, _)| id),
            oid,
            record: checked.record.map(|r| Kept {
                keys: r.decision_log.iter().map(key_of).collect(),
                plan: plan::locked(&r).then(|| plan_key(&plan::values(&r))),
            }),
        });
        if let Some(oid) = oid {
            self.read.borrow_mut().insert(oid, version.clone());
        }
        version
    }
}

/// One commit of an experiment's history as kept between the walk and its story: the commit
/// (shared by every experiment it made), the file's path then, its version, and for a merge
/// the fields it set itself.
struct Hit {
    info: Arc<CommitInfo>,
    path: String,
    version: Arc<Version>,
    merge: Option<Vec<MergedField>>,
}

/// The histories of experiments from one walk, each kept small until it is asked for.
pub struct Histories {
    /// The experiments; a record whose log is in `logs` holds none itself.
    found: Vec<Found>,
    /// For each of `found`, its log packed (see [`Packed`]), or `None` when the record
    /// holds it.
    logs: Vec<Option<PackedLog>>,
    /// For each of `found`, its commits, oldest first.
    hits: Vec<Vec<Hit>>,
}

impl Histories {
    /// How many experiments there are.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Each experiment in the order given, as its file names it (the slug), its record, and
    /// its decision log: read the log from the [`LogRef`], not the record, which holds it
    /// packed beside it.
    pub fn experiments(&self) -> impl Iterator<Item = (&str, &Record, LogRef<'_>)> {
        self.found
            .iter()
            .zip(&self.logs)
            .map(|(f, log)| (f.loaded.slug.as_str(), &f.record, log_ref(f, log)))
    }

    /// The `i`th experiment whole: a copy, its log in place.
    fn whole(&self, i: usize) -> Found {
        let mut found = self.found[i].clone();
        if let Some(log) = &self.logs[i] {
            found.record.decision_log = log.unpack();
        }
        found
    }

    /// Hands each experiment's entries and revisions (as its [`History`] has them) to `each`,
    /// without keeping them.
    pub fn each_part(&self, mut each: impl FnMut(&[Line], &[Revision])) {
        for ((found, log), hits) in self.found.iter().zip(&self.logs).zip(&self.hits) {
            let entries = match log {
                Some(log) => std::borrow::Cow::Owned(log.unpack()),
                None => std::borrow::Cow::Borrowed(&found.record.decision_log[..]),
            };
            let (lines, revisions) = lines_of(&entries, hits);
            each(&lines, &revisions);
        }
    }

    /// The `i`th experiment's [`History`] with a copy of its record, so that the records stay
    /// whole for another reader meanwhile; `blobs` reads an old version of a record (from the
    /// repository the walk was in; none outside git).
    pub fn history(&self, i: usize, blobs: Option<&ReadBlob>) -> Result<History, Error> {
        history_of(blobs, self.whole(i), &self.hits[i])
    }

    /// Each experiment's [`History`], made as it is asked for; `ws` is where the walk was.
    pub fn into_histories(self, ws: &Workspace) -> impl Iterator<Item = Result<History, Error>> {
        (0..self.len()).map(move |i| {
            let read = ws.repo.as_ref().map(|repo| move |id| repo.blob_bytes(id));
            history_of(
                read.as_ref().map(|r| r as &ReadBlob),
                self.whole(i),
                &self.hits[i],
            )
        })
    }
}

/// An experiment's log: packed beside its record, or (too long to pack) in it.
fn log_ref<'a>(found: &'a Found, log: &'a Option<PackedLog>) -> LogRef<'a> {
    match log {
        Some(log) => LogRef::Packed(log),
        None => LogRef::Entries(&found.record.decision_log),
    }
}

/// [`log`] for each of `found`, from one walk over the history.
pub fn logs(ws: &Workspace, found: Vec<Found>) -> Result<Vec<History>, Error> {
    histories(ws, found)?.into_histories(ws).collect()
}

/// The histories of `found` from one walk over the history, kept small: only what their
/// stories show, the commits shared.
pub fn histories(ws: &Workspace, found: Vec<Found>) -> Result<Histories, Error> {
    let sought: Vec<Sought> = found.iter().map(Sought::of).collect();
    let hits = match &ws.repo {
        Some(repo) => {
            let (rels, within) = paths(ws, repo, &sought);
            hits_of(&sought, &rels, within.as_deref(), |wanted, within, each| {
                repo.histories_each(wanted, within, each)
            })?
        }
        None => sought.iter().map(|_| Vec::new()).collect(),
    };
    let logs = found.iter().map(|_| None).collect();
    Ok(Histories { found, logs, hits })
}

/// What a walk over the history needs of an experiment: its id and its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sought {
    pub id: String,
    /// Absolute.
    pub path: std::path::PathBuf,
}

impl Sought {
    pub fn of(found: &Found) -> Sought {
        Sought {
            id: found.record.id.clone(),
            path: found.loaded.path.clone(),
        }
    }
}

/// The commits of each experiment sought, from one walk, before their records are read
/// again: a caller with many records need not hold them through the walk.
pub struct Walk {
    sought: Vec<Sought>,
    /// For each of `sought`, its commits, oldest first.
    hits: Vec<Vec<Hit>>,
}

impl Walk {
    /// The histories of `found`, the experiments sought in the same order: an error when
    /// they are not (a file added, removed or given another id since).
    pub fn with(self, found: Vec<Packed>) -> Result<Histories, Error> {
        let same = found.len() == self.sought.len()
            && found
                .iter()
                .zip(&self.sought)
                .all(|(p, s)| p.found.record.id == s.id && p.found.loaded.path == s.path);
        if !same {
            return Err(Error::failed(
                "the experiment files changed while their history was read",
                "run the command again once nobody is changing them",
            ));
        }
        let (found, logs) = found.into_iter().map(|p| (p.found, p.log)).unzip();
        Ok(Histories {
            found,
            logs,
            hits: self.hits,
        })
    }
}

/// An experiment as read, its decision log packed beside its record (10,000 logs as entries
/// were a third of what `xp site` held at its peak). Packed as each record is read, so that
/// the entries freed make room for the next record's.
pub struct Packed {
    found: Found,
    log: Option<PackedLog>,
}

impl Packed {
    /// A record whose log was packed by [`PackedLog::take`] (`log`), with its file.
    pub fn new(loaded: crate::store::Loaded, record: Record, log: Option<PackedLog>) -> Packed {
        Packed {
            found: Found { loaded, record },
            log,
        }
    }
}

/// One walk over the history for the experiments `sought`, on a thread of its own with a
/// handle of its own on the repository: what the walk holds meanwhile (trees, the pack's
/// cache of objects) is let go at its end, and memory freed by a thread that ended is what
/// the next threads (those that read the records) are given first.
pub fn walk(ws: &Workspace, sought: Vec<Sought>) -> Result<Walk, Error> {
    let hits = match &ws.repo {
        Some(repo) => {
            let (rels, within) = paths(ws, repo, &sought);
            let walker = repo.walker()?;
            let (sought, rels, within) = (&sought, &rels, within.as_deref());
            std::thread::scope(|scope| {
                scope
                    .spawn(move || {
                        hits_of(sought, rels, within, |wanted, within, each| {
                            walker.histories_each(wanted, within, each)
                        })
                    })
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })?
        }
        None => sought.iter().map(|_| Vec::new()).collect(),
    };
    Ok(Walk { sought, hits })
}

/// The files of `sought` relative to the work tree, and the experiments directory.
fn paths(
    ws: &Workspace,
    repo: &crate::git::Repo,
    sought: &[Sought],
) -> (Vec<Option<String>>, Option<String>) {
    let rels = sought.iter().map(|s| repo.relative(&s.path)).collect();
    (rels, repo.relative(&ws.store.dir))
}

/// The commits of each of `sought` (at `rels`), oldest first, from the walk `walk` makes.
fn hits_of(
    sought: &[Sought],
    rels: &[Option<String>],
    within: Option<&str>,
    walk: impl FnOnce(
        &[Wanted],
        Option<&str>,
        &mut dyn FnMut(usize, HistoryCommit),
    ) -> Result<(), crate::git::GitError>,
) -> Result<Vec<Vec<Hit>>, Error> {
    let versions = Versions::default();
    let versions = &versions;
    let mut hits: Vec<Vec<Hit>> = sought.iter().map(|_| Vec::new()).collect();
    let checks: Vec<Box<IsIt>> = sought
        .iter()
        .map(|s| -> Box<IsIt> {
            Box::new(move |bytes: &[u8]| versions.get(bytes).id.as_deref() == Some(s.id.as_str()))
        })
        .collect();
    let wanted: Vec<Wanted> = sought
        .iter()
        .zip(rels)
        .zip(&checks)
        .map(|((s, rel), is_it)| Wanted {
            id: &s.id,
            rel_path: rel.as_deref(),
            is_it: is_it.as_ref(),
        })
        .collect();
    // The commit last met, shared by every experiment it made.
    let mut last: Option<Arc<CommitInfo>> = None;
    walk(&wanted, within, &mut |i, commit| {
        let info = match &last {
            Some(info) if info.id == commit.info.id => info.clone(),
            _ => {
                let info = Arc::new(commit.info.clone());
                last = Some(info.clone());
                info
            }
        };
        let merge = (!commit.merged.is_empty()).then(|| set_by_merge(&commit));
        hits[i].push(Hit {
            info,
            version: versions.get(&commit.content),
            path: commit.path,
            merge,
        });
    })?;
    for list in &mut hits {
        list.reverse();
    }
    Ok(hits)
}

/// Reads the blob of an old version of a record.
pub type ReadBlob<'a> = dyn Fn(Id) -> Result<Vec<u8>, crate::git::GitError> + 'a;

/// The experiment's history from the commits that made it, oldest first.
fn history_of(blobs: Option<&ReadBlob>, found: Found, hits: &[Hit]) -> Result<History, Error> {
    let (lines, revisions) = lines_of(&found.record.decision_log, hits);
    let amended_plan = amended(blobs, &found.record, hits)?;
    Ok(History {
        found,
        lines,
        amended_plan,
        revisions,
    })
}

/// The entries and revisions of a record whose log is `entries`, made by `hits`.
fn lines_of(entries: &[LogEntry], hits: &[Hit]) -> (Vec<Line>, Vec<Revision>) {
    let revisions = hits
        .iter()
        .map(|c| Revision {
            commit: CommitRef::from(c.info.as_ref()),
            path: c.path.clone(),
            message: c.info.message.clone(),
            time: c.info.time,
            merge: c.merge.clone(),
        })
        .collect();
    let (added, held) = attribute(hits);
    let mut seen: HashMap<Key, usize> = HashMap::new();
    let lines = entries
        .iter()
        .map(|entry| {
            let key = key_of(entry);
            let n = seen.entry(key).or_default();
            let commit = added.get(&key).and_then(|c| c.get(*n)).cloned();
            *n += 1;
            Line {
                entry: entry.clone(),
                commit,
                held_since: held.get(&key).copied(),
            }
        })
        .collect();
    (lines, revisions)
}

/// The plan fields whose value when the experiment first ran (the first version committed
/// with its plan locked) differs from `record`'s: read again from that version's blob, only
/// when its digest says they differ.
fn amended(
    blobs: Option<&ReadBlob>,
    record: &Record,
    hits: &[Hit],
) -> Result<Vec<(&'static str, String, String)>, Error> {
    let registered = hits.iter().find_map(|h| {
        let plan = h.version.record.as_ref()?.plan?;
        Some((plan, h.version.oid))
    });
    let Some((plan, oid)) = registered else {
        return Ok(Vec::new());
    };
    let now = plan::values(record);
    if plan_key(&now) == plan {
        return Ok(Vec::new());
    }
    let (Some(read), Some(id)) = (blobs, oid.and_then(|o| Id::parse(&o.to_string()))) else {
        return Ok(Vec::new());
    };
    let bytes = read(id)?;
    let before = rules::check_bytes(std::path::Path::new(""), &bytes).record;
    Ok(before.map_or_else(Vec::new, |b| plan::changes(&b, record)))
}

/// A digest of a plan's values, to tell whether two versions' plans are the same.
fn plan_key(values: &[(&'static str, String)]) -> Key {
    let mut hash = Sha1::new();
    for (name, value) in values {
        for text in [*name, value.as_str()] {
            hash.update((text.len() as u64).to_le_bytes());
            hash.update(text.as_bytes());
        }
    }
    hash.finalize().into()
}

/// The fields a merge commit set to a value that none of its parents had.
fn set_by_merge(commit: &HistoryCommit) -> Vec<MergedField> {
    let read = |bytes: &[u8]| rules::check_bytes(std::path::Path::new(""), bytes).record;
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

/// An entry by its content (`at`, `who`, `note`): a digest, so that the versions of ten
/// thousand records are not kept whole to tell their entries apart.
type Key = [u8; 20];

fn key_of(e: &LogEntry) -> Key {
    let mut hash = Sha1::new();
    for part in [Some(e.at.as_str()), e.who.as_deref(), Some(e.note.as_str())] {
        match part {
            Some(text) => {
                hash.update([1]);
                hash.update((text.len() as u64).to_le_bytes());
                hash.update(text.as_bytes());
            }
            None => hash.update([0]),
        }
    }
    hash.finalize().into()
}

/// What the commits of a record's history say of its entries.
type Attributed = (HashMap<Key, Vec<CommitRef>>, HashMap<Key, DateTime<Utc>>);

/// For each entry (by content), the commits that added a copy of it, oldest first; and for
/// each entry the earliest time of a commit that holds it.
fn attribute(hits: &[Hit]) -> Attributed {
    let mut held: HashMap<Key, DateTime<Utc>> = HashMap::new();
    let mut added: HashMap<Key, Vec<CommitRef>> = HashMap::new();
    let mut before: HashMap<Key, usize> = HashMap::new();
    for commit in hits {
        let Some(record) = &commit.version.record else {
            continue;
        };
        let mut now: HashMap<Key, usize> = HashMap::new();
        let time = commit.info.time.with_timezone(&Utc);
        for key in &record.keys {
            *now.entry(*key).or_default() += 1;
            held.entry(*key)
                .and_modify(|t| *t = (*t).min(time))
                .or_insert(time);
        }
        for (key, &count) in &now {
            let had = before.get(key).copied().unwrap_or(0);
            let list = added.entry(*key).or_default();
            // Copies beyond what the previous commit held were added here; a copy already
            // credited (seen again after a merge) is not credited twice.
            for _ in had..count {
                if list.len() < count {
                    list.push(CommitRef::from(commit.info.as_ref()));
                }
            }
        }
        before = now;
    }
    (added, held)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::env::Env;
    use crate::ops::read::Filter;

    /// A workspace outside any repository.
    fn workspace(dir: &Path) -> Workspace {
        let vars = BTreeMap::from([
            ("XP_NOW".to_owned(), "2026-02-22T18:30:00.000Z".to_owned()),
            (
                "GIT_CEILING_DIRECTORIES".to_owned(),
                dir.to_string_lossy().into_owned(),
            ),
        ]);
        let env = Env::new(vars, dir.to_owned()).unwrap();
        Workspace::open(&env, Some(&dir.join("experiments"))).unwrap()
    }

    /// Writes the sample record with the id `id` at `experiments/<name>.yaml`.
    fn record(dir: &Path, name: &str, id: &str) {
        let sample = crate::test_support::SAMPLE;
        let old = sample.lines().find_map(|l| l.strip_prefix("id: ")).unwrap();
        let text = sample.replacen(&format!("id: {old}"), &format!("id: {id}"), 1);
        std::fs::write(dir.join(format!("experiments/{name}.yaml")), text).unwrap();
    }

    fn listed(ws: &Workspace) -> Vec<Found> {
        read::list(ws, &Filter::default()).unwrap().found
    }

    fn packed(ws: &Workspace) -> Vec<Packed> {
        listed(ws)
            .into_iter()
            .map(|mut f| {
                let log = PackedLog::take(&mut f.record);
                Packed::new(f.loaded, f.record, log)
            })
            .collect()
    }

    #[test]
    fn a_walk_is_given_the_records_it_sought_and_refuses_others() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().canonicalize().unwrap();
        std::fs::create_dir(dir.join("experiments")).unwrap();
        record(&dir, "a", "11111111-1111-4111-8111-111111111111");
        record(&dir, "b", "22222222-2222-4222-8222-222222222222");
        let ws = workspace(&dir);
        let sought = || listed(&ws).iter().map(Sought::of).collect::<Vec<_>>();

        let histories = walk(&ws, sought()).unwrap().with(packed(&ws)).unwrap();
        assert_eq!(histories.len(), 2);
        // Each log is held packed, and comes back whole: to the pages and in a history.
        let whole = listed(&ws);
        assert!(!whole[0].record.decision_log.is_empty());
        for (i, (slug, record, log)) in histories.experiments().enumerate() {
            assert_eq!(slug, whole[i].loaded.slug);
            assert!(record.decision_log.is_empty());
            let notes: Vec<&str> = log.notes().collect();
            let own: Vec<&str> = whole[i]
                .record
                .decision_log
                .iter()
                .map(|e| e.note.as_str())
                .collect();
            assert_eq!(notes, own);
            let history = histories.history(i, None).unwrap();
            assert_eq!(history.found.record, whole[i].record);
            assert_eq!(history.lines.len(), whole[i].record.decision_log.len());
        }
        let mut parts = 0;
        histories.each_part(|lines, _| {
            assert_eq!(lines.len(), whole[parts].record.decision_log.len());
            parts += 1;
        });
        assert_eq!(parts, 2);

        // A record given another id, a record removed, a record added: each is refused.
        let changes: [&dyn Fn(); 3] = [
            &|| record(&dir, "b", "33333333-3333-4333-8333-333333333333"),
            &|| std::fs::remove_file(dir.join("experiments/b.yaml")).unwrap(),
            &|| record(&dir, "c", "44444444-4444-4444-8444-444444444444"),
        ];
        for change in changes {
            let walked = walk(&ws, sought()).unwrap();
            change();
            let Err(e) = walked.with(packed(&ws)) else {
                panic!("the records changed, yet they were taken");
            };
            assert!(e.to_string().contains("changed while"), "{e}");
        }
    }
}
