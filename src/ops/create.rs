//! Creating an experiment, from fields or from a payload like the origin service's
//! `POST /experiments`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Refusal, Sources};
use crate::ops::note::Who;
use crate::ops::notice::Notice;
use crate::ops::workspace::Workspace;
use crate::ops::write::WriteOptions;
use crate::ops::write::{self, Change, Saved};
use crate::record::edit as yaml_edit;
use crate::record::texts::Note;
use crate::record::{Field, FieldValue, LogEntry, Record, Status};
use crate::rules::{self, Problem, Rule};
use crate::time::format_time;

/// The fields of a new experiment, as flags give them; the others keep their defaults.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub values: Vec<(&'static Field, FieldValue)>,
}

/// Where a new experiment comes from.
#[derive(Debug, Clone)]
pub enum Source {
    Draft(Draft),
    /// A JSON or YAML payload; its problems point into it, shown as `shown`.
    Payload {
        shown: PathBuf,
        bytes: Vec<u8>,
    },
}

/// Creates a record (its file named after the slug of its title) and commits it.
pub fn create(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    source: Source,
    options: WriteOptions,
) -> Result<Saved, Error> {
    create_with(ws, notices, source, Who::Default, options, false)
}

/// [`create`], with the `who` of the log entry a record created running starts with taken as
/// `fallback` says (a payload names no one).
pub fn create_as(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    source: Source,
    fallback: Who,
    options: WriteOptions,
) -> Result<Saved, Error> {
    create_with(ws, notices, source, fallback, options, false)
}

/// How many look-alikes [`create_noting_similar`] names at most.
pub const SIMILAR_ON_NEW: usize = 3;

/// [`create`], saying first (a warning among the notices) which existing experiments look like
/// the new one, so that a team sees what was tried before. It never stops the creation.
pub fn create_noting_similar(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    source: Source,
    options: WriteOptions,
) -> Result<Saved, Error> {
    create_with(ws, notices, source, Who::Default, options, true)
}

fn create_with(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    source: Source,
    fallback: Who,
    options: WriteOptions,
    compare: bool,
) -> Result<Saved, Error> {
    let record = match source {
        Source::Draft(draft) => {
            let mut record = from_draft(draft)?;
            record.id = ws.env.new_id(record.title.as_bytes());
            record
        }
        Source::Payload { shown, bytes } => from_payload(&shown, &bytes, &ws.env.new_id(&bytes))?,
    };
    let mut record = record;
    if record.status == Status::Running {
        // Created running: the move from draft is logged as `xp update` would log it.
        record.decision_log.push(LogEntry {
            at: format_time(ws.env.now()),
            who: fallback.resolve(ws, None),
            note: Note::Moved {
                from: Status::Draft,
                to: Status::Running,
                why: None,
            }
            .to_string(),
        });
    }
    let text = yaml_edit::render_record(&record);
    let checked = rules::check_bytes(Path::new("new record"), text.as_bytes());
    if !checked.problems.is_empty() {
        return Err(Error::WouldBreak {
            problems: checked.problems,
        });
    }
    if compare {
        // Advisory only: a failure to read the others never stops the creation.
        let alike = crate::ops::similar::similar(ws, &record, SIMILAR_ON_NEW).unwrap_or_default();
        if !alike.is_empty() {
            notices.push(Notice::Warning(format!(
                "this looks like {} tried before (`xp show SLUG` for more):\n{}",
                if alike.len() == 1 {
                    "an experiment"
                } else {
                    "experiments"
                },
                crate::ops::similar::describe(&alike).trim_end()
            )));
        }
    }
    ws.store.check_dir()?;
    let _lock = ws.lock(notices)?;
    let path = ws.store.new_path(&record.title)?;
    let slug = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let change = Change {
        subject: format!("xp: new {slug}"),
        fields: Vec::new(),
        body: record.title.clone(),
        id: record.id.clone(),
    };
    let commit = write::save(ws, notices, &path, None, text.as_bytes(), &change, options)?;
    Ok(Saved {
        record,
        shown: ws.store.show(&path),
        path,
        slug,
        commit,
    })
}

/// A new experiment starts as draft or running; later moves are `update`'s, with its rules.
fn starts_well(status: Status) -> bool {
    matches!(status, Status::Draft | Status::Running)
}

fn from_draft(draft: Draft) -> Result<Record, Error> {
    let mut record = Record::default();
    for (field, value) in draft.values {
        if !record.set(field.name, Some(value)) {
            return Err(Error::usage(format!(
                "{} cannot take that value",
                field.name
            )));
        }
    }
    if !starts_well(record.status) {
        return Err(Error::Refused(vec![Refusal::StartsAs(record.status)]));
    }
    Ok(record)
}

/// Reads a payload like the origin service's POST body; its problems point into the payload.
fn from_payload(shown: &Path, bytes: &[u8], id: &str) -> Result<Record, Error> {
    let checked = rules::check_payload(shown, bytes, id);
    let mut problems = checked.problems;
    if let (Some(record), Some(doc)) = (&checked.record, &checked.doc) {
        let at = |key: &str| {
            doc.root_entries()
                .and_then(|entries| {
                    entries
                        .iter()
                        .find(|(k, _)| doc.value(*k) == crate::yaml::Value::Str(key))
                })
                .map_or(crate::yaml::Pos::start(), |(k, _)| doc.node(*k).start)
        };
        let problem = |key: &str, rule: Rule, message: String, hint: &str| Problem {
            path: shown.to_owned(),
            line: at(key).line,
            column: at(key).column,
            rule,
            message,
            hint: Some(hint.to_owned()),
            field: Some(key.to_owned()),
            severity: crate::rules::Severity::Error,
            item: None,
        };
        if !starts_well(record.status) {
            problems.push(problem(
                "status",
                Rule::BadStatus,
                format!(
                    "a new experiment starts as draft or running, not {}; create it, then move \
                     it (killing needs a reason, completing a decision)",
                    record.status.as_str()
                ),
                "leave status out, or make it draft or running",
            ));
        }
        if !record.decision_log.is_empty() {
            problems.push(problem(
                "decision_log",
                Rule::BadLogEntry,
                "a new experiment's decision log starts empty".into(),
                "leave decision_log out and add notes after creating the experiment",
            ));
        }
    }
    match checked.record {
        Some(record) if problems.is_empty() => Ok(record),
        _ => Err(Error::Problems {
            problems,
            sources: Sources::one(shown, bytes),
            message: None,
            hint: Some("nothing was written; fix the payload and run the command again".into()),
        }),
    }
}
