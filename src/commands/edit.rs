//! `xp edit`: opens a record in the editor git would use, on a temporary copy; what is saved
//! is checked like any change, re-opened with its problems on top until it passes, then
//! written and committed.

use std::io::IsTerminal;
use std::path::Path;

use crate::commands::render;
use crate::env::Env;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, Notice, WriteOptions, edit::Round};
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
    let scratch = temp_copy(ws, &session.slug)?;
    let mut offered = String::from_utf8_lossy(&session.bytes).into_owned();
    let mut notices: Vec<Notice> = Vec::new();
    let mut broken: Vec<String> = Vec::new();
    let checked = loop {
        std::fs::write(scratch.path(), &offered).map_err(|e| Error::io(scratch.path(), e))?;
        run_editor(&editor, scratch.path(), &ws.env)?;
        let saved = std::fs::read(scratch.path()).map_err(|e| Error::io(scratch.path(), e))?;
        match ops::edit::check(ws, &session, &offered, &saved, args.force, &mut notices) {
            Round::Ready(checked) => break *checked,
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
            Round::Broken(problems) => {
                ui.warning(&format!(
                    "the edit breaks {} rule(s); opening the editor again",
                    problems.len()
                ));
                offered = ops::edit::with_problems(&String::from_utf8_lossy(&saved), &problems);
                broken = problems;
            }
        }
    };
    let options = WriteOptions {
        commit: !args.no_commit,
    };
    let result = ops::edit::save(ws, &mut notices, &session, checked, options);
    render::notices(ui, &notices);
    let saved = result?;
    if saved.commit.is_none() {
        ui.status(&format!("wrote {}", saved.shown.display()));
    }
    Ok(())
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

/// A temporary `.yaml` file for the editor, in the git directory (or the system's temp
/// folder outside git), never among the records; removed when dropped.
fn temp_copy(ws: &Workspace, slug: &str) -> Result<tempfile::NamedTempFile, Error> {
    let prefix = format!("xp-edit-{slug}-");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".yaml");
    match ops::edit::scratch_dir(ws) {
        Some(dir) => builder.tempfile_in(&dir).map_err(|e| Error::io(dir, e)),
        None => builder
            .tempfile()
            .map_err(|e| Error::io("the temporary folder", e)),
    }
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
