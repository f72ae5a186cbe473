//! Correcting the times a clock that ran ahead stamped (`xp fix-time`): each entry stamped more
//! than a day after the commits that hold it (or this clock) moves back to the earliest of
//! them, and a `corrected:` entry logs each move, which `check --base` and the merge accept.

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::ops::notice::Notice;
use crate::ops::workspace::Workspace;
use crate::ops::write::{self, Change, Edit, Saved, WriteOptions};
use crate::record::LogEntry;
use crate::record::edit as yaml_edit;
use crate::record::texts::Note;
use crate::time::{format_time, parse_utc};

/// Why xp moved a time, as its `corrected:` entries say.
const WHY: &str = "stamped by a clock that ran ahead; moved back to its commit's time";

/// What a correction did: the record written, and each time moved (from, to).
#[derive(Debug)]
pub struct Fixed {
    pub saved: Saved,
    pub moved: Vec<(String, String)>,
}

/// Moves back the times of the entries of `reference`'s log that are stamped ahead (see
/// [`crate::ops::log::Line::ahead`]), logs a `corrected:` entry for each, and commits.
pub fn fix_time(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    reference: &str,
    who: Option<&str>,
    options: WriteOptions,
) -> Result<Fixed, Error> {
    let history = crate::ops::log::log(ws, reference)?;
    let now = ws.env.now();
    let mut log: Vec<LogEntry> = Vec::with_capacity(history.lines.len());
    let mut moved = Vec::new();
    let mut previous: Option<DateTime<Utc>> = None;
    for line in &history.lines {
        let mut entry = line.entry.clone();
        let at = parse_utc(&entry.at);
        if line.ahead(Some(now))
            && let (Some(bound), Some(at)) = (line.bound(Some(now)), at)
        {
            // Never before the entry above it, so that the log stays in order.
            let to = previous.map_or(bound, |p| p.max(bound));
            if to < at {
                let to = format_time(to);
                moved.push((entry.at.clone(), to.clone()));
                entry.at = to;
            }
        }
        previous = previous.max(parse_utc(&entry.at));
        log.push(entry);
    }
    let shown = history.found.loaded.shown.display().to_string();
    if moved.is_empty() {
        return Err(Error::failed(
            format!(
                "no entry of {shown} is stamped more than a day after the commits that hold it \
                 (or this clock); there is nothing to correct"
            ),
            "`xp check --base REF` names the entries a clock that ran ahead stamped",
        ));
    }
    let before = history.found.loaded.bytes;
    let saved = write::edit(
        ws,
        notices,
        reference,
        options,
        |loaded, record, notices| {
            if loaded.bytes != before {
                return Err(Error::failed(
                    format!("{shown} changed while xp read its history"),
                    "nothing was written; run `xp fix-time` again",
                ));
            }
            let at = write::stamp(ws, &log, notices);
            let who = ws.who(who);
            let corrections: Vec<LogEntry> = moved
                .iter()
                .map(|(from, to)| LogEntry {
                    at: at.clone(),
                    who: who.clone(),
                    note: Note::Corrected {
                        from,
                        to,
                        why: Some(WHY),
                    }
                    .to_string(),
                })
                .collect();
            let body: Vec<String> = corrections.iter().map(|e| e.note.clone()).collect();
            let mut expected = record;
            expected.decision_log = log.iter().chain(&corrections).cloned().collect();
            let text = String::from_utf8_lossy(&loaded.bytes);
            let doc =
                loaded.checked.doc.as_ref().ok_or_else(|| {
                    Error::failed("the record could not be read", "run `xp check`")
                })?;
            let text = yaml_edit::replace_log(&text, doc, &expected.decision_log)
                .map_err(|e| Error::failed(e.0, "nothing was written"))?;
            Ok(Edit {
                text,
                change: Change {
                    subject: format!("xp: fix times on {}", loaded.slug),
                    fields: Vec::new(),
                    body: body.join("\n"),
                    id: expected.id.clone(),
                },
                expected,
            })
        },
    )?;
    Ok(Fixed { saved, moved })
}
