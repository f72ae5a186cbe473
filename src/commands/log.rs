//! `xp log`: each decision-log entry beside the commit that added it, found through the
//! `Experiment-Id` trailer and the file's path history, so that it survives renames and
//! plain `git commit`s.

use std::collections::HashMap;

use serde::Serialize;

use crate::commands::{Workspace, valid};
use crate::error::Error;
use crate::git::CommitInfo;
use crate::record::LogEntry;
use crate::rules;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// One entry with the commit that added it, if any.
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    #[serde(flatten)]
    pub entry: &'a LogEntry,
    pub commit: Option<CommitRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitRef {
    pub id: String,
    pub short: String,
    pub author: String,
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

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let loaded = ws.resolve(&args.reference)?;
    let record = valid(&loaded, "`xp check` lists every problem")?;
    let added = match &ws.repo {
        Some(repo) => {
            let rel = repo.relative(&loaded.path);
            let is_it = |bytes: &[u8]| {
                let checked = rules::check_bytes(&loaded.shown, bytes);
                checked.id.is_some_and(|(id, _)| id == record.id)
            };
            attribute(repo.history(&record.id, rel.as_deref(), &is_it)?)
        }
        None => HashMap::new(),
    };
    let mut seen: HashMap<(&str, Option<&str>, &str), usize> = HashMap::new();
    let lines: Vec<Line> = record
        .decision_log
        .iter()
        .map(|entry| {
            let key = key_of(entry);
            let n = seen.entry(key).or_default();
            let commit = added
                .get(&key_owned(entry))
                .and_then(|c| c.get(*n))
                .cloned();
            *n += 1;
            Line { entry, commit }
        })
        .collect();
    let out = match args.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&lines).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Text => text(&lines),
    };
    ui.data(&out).map_err(|e| Error::io("stdout", e))
}

type Key = (String, Option<String>, String);

fn key_of(e: &LogEntry) -> (&str, Option<&str>, &str) {
    (&e.at, e.who.as_deref(), &e.note)
}

fn key_owned(e: &LogEntry) -> Key {
    (e.at.clone(), e.who.clone(), e.note.clone())
}

/// For each entry (by content), the commits that added a copy of it, oldest first.
fn attribute(history: Vec<crate::git::HistoryCommit>) -> HashMap<Key, Vec<CommitRef>> {
    let mut added: HashMap<Key, Vec<CommitRef>> = HashMap::new();
    let mut before: HashMap<Key, usize> = HashMap::new();
    for commit in &history {
        let checked = rules::check_bytes(std::path::Path::new(&commit.path), &commit.content);
        let Some(record) = checked.record else {
            continue;
        };
        let mut now: HashMap<Key, usize> = HashMap::new();
        for entry in &record.decision_log {
            *now.entry(key_owned(entry)).or_default() += 1;
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
    added
}

fn text(lines: &[Line]) -> String {
    if lines.is_empty() {
        return "the decision log is empty\n".into();
    }
    let who_w = lines
        .iter()
        .map(|l| l.entry.who.as_deref().unwrap_or("-").chars().count())
        .max()
        .unwrap_or(1);
    let author_w = lines
        .iter()
        .map(|l| l.commit.as_ref().map_or(13, |c| c.author.chars().count()))
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for l in lines {
        let (short, author, date) = match &l.commit {
            Some(c) => (c.short.as_str(), c.author.as_str(), c.date.as_str()),
            None => ("-------", "not committed", ""),
        };
        let note = l.entry.note.replace('\n', " ");
        out.push_str(&format!(
            "{short}  {author:author_w$}  {date:10}  {}  {:who_w$}  {note}\n",
            l.entry.at,
            l.entry.who.as_deref().unwrap_or("-"),
        ));
    }
    out
}
