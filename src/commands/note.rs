//! `xp note`: appends `{at, who, note}` to an experiment's decision log.

use crate::commands::{Change, Workspace, valid, would_break};
use crate::env::format_time;
use crate::error::Error;
use crate::record::LogEntry;
use crate::rules;
use crate::ui::Ui;
use crate::yaml_edit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    /// What was observed or decided
    pub note: String,
    /// Who writes the note (default: git's user.name, else $USER)
    #[arg(long)]
    pub who: Option<String>,
    /// Write the file without committing it
    #[arg(long)]
    pub no_commit: bool,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    if args.note.trim().is_empty() {
        return Err(Error::usage("the note is blank; say what happened"));
    }
    let _lock = ws.lock(ui)?;
    let loaded = ws.resolve(&args.reference)?;
    let record = valid(&loaded, "xp does not change a record that breaks a rule")?;
    let entry = LogEntry {
        at: format_time(ws.env.now()),
        who: ws.who(args.who.as_deref()),
        note: args.note.clone(),
    };
    let text = String::from_utf8_lossy(&loaded.bytes);
    let doc = loaded
        .checked
        .doc
        .as_ref()
        .ok_or_else(|| Error::failed("the record could not be read", "run `xp check`"))?;
    let new_text = yaml_edit::append_log_entry(&text, doc, &entry)
        .map_err(|e| Error::failed(e.0, "nothing was written"))?;
    let mut expected = record.clone();
    expected.decision_log.push(entry.clone());
    verify(&loaded.shown, &new_text, &expected)?;
    let change = Change {
        subject: format!("xp: note on {}", loaded.slug),
        body: args.note.clone(),
        id: record.id.clone(),
    };
    ws.save(
        ui,
        &loaded.path,
        Some(&loaded.bytes),
        new_text.as_bytes(),
        &change,
        !args.no_commit,
    )?;
    Ok(())
}

/// Checks an edited text again: it must pass every rule and read back as `expected`.
pub fn verify(
    path: &std::path::Path,
    text: &str,
    expected: &crate::record::Record,
) -> Result<(), Error> {
    let checked = rules::check_bytes(path, text.as_bytes());
    if !checked.problems.is_empty() {
        return Err(would_break(&checked.problems));
    }
    if checked.record.as_ref() != Some(expected) {
        return Err(Error::failed(
            format!(
                "editing {} in place would not give the intended record",
                path.display()
            ),
            "nothing was written; make this change by hand, and please report the file's shape",
        ));
    }
    Ok(())
}
