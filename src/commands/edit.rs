//! `xp edit`: opens a record in the editor git would use, on a temporary copy; what is saved
//! is checked like any change, re-opened with its problems on top until it passes, then
//! written and committed.

use std::io::IsTerminal;
use std::path::Path;

use crate::commands::render;
use crate::env::Env;
use crate::error::Error;
use crate::ops::edit::{Round, Trouble};
use crate::ops::workspace::Workspace;
use crate::ops::{self, Notice, WriteOptions};
use crate::record::lifecycle::Breach;
use crate::record::texts::Note;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Allow any status move
    #[arg(long)]
    pub force: bool,
    /// Write the file without committing it
    #[arg(long)]
    pub no_commit: bool,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let editor = editor(ws);
    if editor.is_none() && !std::io::stdin().is_terminal() {
        return Err(Error::failed(
            "no editor is configured and there is no terminal to run vi in",
            "set GIT_EDITOR, git's core.editor, VISUAL or EDITOR, or change the record with \
             `xp update` and `xp note`",
        ));
    }
    let editor = editor.unwrap_or_else(|| "vi".to_owned());
    let session = ops::edit::start(ws, &args.reference)?;
    let scratch = ops::edit::scratch(ws, &session.slug)?;
    if scratch.removed > 0 {
        ui.status(&format!(
            "removed {} temporary cop{} that earlier `xp edit` runs, stopped before they \
             finished, left in the git directory",
            scratch.removed,
            if scratch.removed == 1 { "y" } else { "ies" }
        ));
    }
    let scratch = &scratch.file;
    let mut offered = String::from_utf8_lossy(&session.bytes).into_owned();
    let mut notices: Vec<Notice> = Vec::new();
    let mut broken: Vec<String> = Vec::new();
    let mut rounds = ops::edit::Rounds::default();
    let (checked, typed) = loop {
        std::fs::write(scratch.path(), &offered).map_err(|e| Error::io(scratch.path(), e))?;
        run_editor(&editor, scratch.path(), &ws.env)?;
        let saved = std::fs::read(scratch.path()).map_err(|e| Error::io(scratch.path(), e))?;
        match ops::edit::check(ws, &session, &offered, &saved, args.force, &mut notices) {
            Round::Ready(checked) => break (*checked, saved),
            Round::Abort(why) => {
                let mut message = format!("{why}; {} is unchanged", session.shown.display());
                if !broken.is_empty() {
                    message.push_str("; the edit broke:\n  ");
                    message.push_str(&broken.join("\n  "));
                }
                return Err(Error::failed(
                    message,
                    "run `xp edit` again to make a change",
                ));
            }
            Round::Broken(troubles) => {
                let problems: Vec<String> = troubles.iter().map(phrase).collect();
                let text = String::from_utf8_lossy(&saved);
                if rounds.stuck(&problems, &text) {
                    render::notices(ui, &notices);
                    let kept =
                        ops::edit::keep(ws, &session.slug, ops::edit::strip(&text).as_bytes())?;
                    return Err(Error::failed(
                        format!(
                            "the editor saved a version that breaks the same rules {} rounds in \
                             a row (or kept xp's problems inside the text), so xp stops \
                             opening it; {} is unchanged; the edit broke:\n  {}",
                            ops::edit::SAME_ROUNDS,
                            session.shown.display(),
                            problems.join("\n  ")
                        ),
                        format!(
                            "your text is kept in {}; fix it there, check it with `xp check \
                             FILE`, and copy it in with `xp edit {}`",
                            ws.store.show(&kept).display(),
                            args.reference
                        ),
                    ));
                }
                ui.warning(&format!(
                    "the edit breaks {} rule(s); opening the editor again",
                    problems.len()
                ));
                offered = ops::edit::with_problems(&text, &problems);
                broken = problems;
            }
        }
    };
    let options = WriteOptions {
        commit: !args.no_commit,
        ..WriteOptions::default()
    };
    let result = ops::edit::save(ws, &mut notices, &session, checked, options);
    render::notices(ui, &notices);
    let saved = match result {
        Ok(saved) => saved,
        Err(e) => {
            // Nothing typed is lost: whatever stopped the save, the text stays on disk.
            let text = String::from_utf8_lossy(&typed);
            let kept = ops::edit::keep(ws, &session.slug, ops::edit::strip(&text).as_bytes())?;
            ui.warning(&format!(
                "your edit is kept in {}; copy what you need from it when you run `xp edit {}` \
                 again",
                ws.store.show(&kept).display(),
                args.reference
            ));
            return Err(e);
        }
    };
    if saved.commit.is_none() {
        ui.status(&format!("wrote {}", saved.shown.display()));
    }
    Ok(())
}

/// What is wrong with an edit, as one line of the comments on top of the re-opened file.
fn phrase(trouble: &Trouble) -> String {
    match trouble {
        Trouble::NotUtf8 => "the file is not valid UTF-8; save it as UTF-8".into(),
        Trouble::Uneditable(why) => why.clone(),
        Trouble::Problem(p) => {
            let hint = p
                .hint
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            format!(
                "{}:{}:{}: error[{}]: {}{hint}",
                p.path.display(),
                p.line,
                p.column,
                p.rule.name(),
                p.message
            )
        }
        Trouble::Breach(Breach::IdChanged { from, to }) => format!(
            "the id was changed from {from} to {to}; an experiment keeps its id (put it back)"
        ),
        Trouble::Breach(Breach::LogRewritten { index, how, .. }) => format!(
            "decision-log entry {} was {}; the log is append-only: put the old entries back \
             as they were and add new ones at the end",
            index + 1,
            how.as_str()
        ),
        Trouble::Breach(Breach::Move { from, to }) => {
            let next: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
            format!(
                "status cannot move from {} to {}{}",
                from.as_str(),
                to.as_str(),
                if next.is_empty() {
                    " (run `xp edit --force` to move it anyway)".to_owned()
                } else {
                    format!(
                        "; it can move to {} (or run `xp edit --force`)",
                        next.join(" or ")
                    )
                }
            )
        }
        Trouble::Breach(Breach::KillWithoutReason) => "killing an experiment needs the reason: \
            add a decision-log entry at the end saying why"
            .into(),
        Trouble::Breach(Breach::PlanChanged { field, from, to }) => format!(
            "the plan is locked since the experiment ran: changing {field} is an amendment; add \
             a decision-log entry at the end saying why: `note: \"{}\"`",
            Note::amended(field, from, to, "why")
        ),
    }
}

/// The editor git would use: `GIT_EDITOR`, git's `core.editor`, `VISUAL`, `EDITOR`; `None`
/// when none is set (the caller falls back to `vi`).
pub fn editor(ws: &Workspace) -> Option<String> {
    let env = &ws.env;
    env.var("GIT_EDITOR")
        .map(str::to_owned)
        .or_else(|| ws.repo.as_ref().and_then(|r| r.config_value("core.editor")))
        .filter(|e| !e.trim().is_empty())
        .or_else(|| env.var("VISUAL").map(str::to_owned))
        .or_else(|| env.var("EDITOR").map(str::to_owned))
        .filter(|e| !e.trim().is_empty())
}

/// Runs the editor on `file` as git does: `sh -c "$EDITOR \"$@\"" sh FILE`, so that the
/// editor may carry flags (`code --wait`); a failing editor stops the edit.
fn run_editor(editor: &str, file: &Path, env: &Env) -> Result<(), Error> {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg("sh")
        .arg(file)
        .current_dir(&env.cwd)
        .status()
        .map_err(|e| {
            Error::failed(
                format!("cannot run the editor `{editor}`: {e}"),
                "set GIT_EDITOR, VISUAL or EDITOR to an editor that is installed",
            )
        })?;
    if !status.success() {
        return Err(Error::failed(
            format!("the editor `{editor}` failed ({status}); nothing was changed"),
            "fix the editor setting, or run `xp edit` again",
        ));
    }
    Ok(())
}
