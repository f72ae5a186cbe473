//! Appending `{at, who, note}` to an experiment's decision log.

use crate::error::{Error, Input, Refusal};
use crate::ops::notice::Notice;
use crate::ops::workspace::Workspace;
use crate::ops::write::WriteOptions;
use crate::ops::write::{self, Change, Edit, Saved};
use crate::record::LogEntry;
use crate::record::edit as yaml_edit;

/// A note to append: what happened, and who says so (default: the workspace's writer).
#[derive(Debug, Clone)]
pub struct NewNote {
    pub note: String,
    pub who: Option<String>,
}

/// Appends a note to the decision log of the experiment `reference` names, and commits it.
pub fn note(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    reference: &str,
    input: NewNote,
    options: WriteOptions,
) -> Result<Saved, Error> {
    append(ws, notices, reference, input, Who::Default, options)
}

/// Who an entry names when the input gives no one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The workspace's writer (git's user.name, else `USER`), as on the command line.
    Default,
    /// Nobody: the entry has no `who`, as the origin service's API did.
    AsGiven,
}

impl Who {
    pub(crate) fn resolve(self, ws: &Workspace, given: Option<&str>) -> Option<String> {
        match self {
            Who::Default => ws.who(given),
            Who::AsGiven => given.filter(|w| !w.trim().is_empty()).map(str::to_owned),
        }
    }
}

/// [`note`], with `who` taken as `fallback` says when the input gives no one.
pub fn append(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    reference: &str,
    input: NewNote,
    fallback: Who,
    options: WriteOptions,
) -> Result<Saved, Error> {
    if input.note.trim().is_empty() {
        return Err(Error::Refused(vec![Refusal::Blank(Input::Note)]));
    }
    write::edit(
        ws,
        notices,
        reference,
        options,
        |loaded, record, notices| {
            let entry = LogEntry {
                at: write::stamp(ws, &record.decision_log, notices),
                who: fallback.resolve(ws, input.who.as_deref()),
                note: input.note.clone(),
            };
            let text = String::from_utf8_lossy(&loaded.bytes);
            let doc =
                loaded.checked.doc.as_ref().ok_or_else(|| {
                    Error::failed("the record could not be read", "run `xp check`")
                })?;
            let new_text = yaml_edit::append_log_entry(&text, doc, &entry)
                .map_err(|e| Error::failed(e.0, "nothing was written"))?;
            let change = Change {
                subject: format!("xp: note on {}", loaded.slug),
                fields: Vec::new(),
                body: input.note,
                id: record.id.clone(),
            };
            let mut expected = record;
            expected.decision_log.push(entry);
            Ok(Edit {
                text: new_text,
                expected,
                change,
            })
        },
    )
}
