//! `xp merge-driver BASE OURS THEIRS [PATH]`: git's merge driver for experiment files.
//!
//! Git runs it as `xp merge-driver %O %A %B %P` with three temporary files; the result goes
//! into OURS, and the exit code tells git whether the merge is clean (0) or conflicted (1).

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::Error;
use crate::merge::{self, Conflict, Labels};
use crate::store;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The common ancestor's version (git's %O; empty when both sides added the file)
    pub base: PathBuf,
    /// Ours (git's %A); the merged result is written here
    pub ours: PathBuf,
    /// Theirs (git's %B)
    pub theirs: PathBuf,
    /// The file's path in the repository (git's %P), for messages
    pub path: Option<String>,
    /// The name after `<<<<<<<` in conflict markers (git's %X, since git 2.44)
    #[arg(long, value_name = "LABEL", default_value = "ours")]
    pub ours_label: String,
    /// The name after `>>>>>>>` in conflict markers (git's %Y, since git 2.44)
    #[arg(long, value_name = "LABEL", default_value = "theirs")]
    pub theirs_label: String,
}

pub fn run(args: Args, env: &Env, _ui: &mut Ui) -> Result<(), Error> {
    let at = |p: &Path| env.cwd.join(p);
    let base = store::read_file(&at(&args.base))?;
    let ours = store::read_file(&at(&args.ours))?;
    let theirs = store::read_file(&at(&args.theirs))?;
    let labels = Labels {
        ours: args.ours_label,
        theirs: args.theirs_label,
    };
    let merged = merge::merge_labelled(Some(&base), &ours, &theirs, &labels);
    store::replace_file(&at(&args.ours), &merged.text)?;
    if merged.is_clean() {
        return Ok(());
    }
    let path = args.path.unwrap_or_else(|| args.ours.display().to_string());
    let (message, hint) = describe(&path, &merged.conflicts);
    Err(Error::failed(message, hint))
}

/// What to tell a person about a conflicted file, and what they can do about it.
pub fn describe(path: &str, conflicts: &[Conflict]) -> (String, String) {
    let message = match conflicts {
        [one] => format!("conflict in {path}: {one}"),
        many => {
            let lines: Vec<String> = many.iter().map(|c| format!("  {c}")).collect();
            format!("{} conflicts in {path}:\n{}", many.len(), lines.join("\n"))
        }
    };
    let hint = match conflicts {
        [Conflict::BothCreated { .. }] => {
            format!("run `xp resolve {path}` to keep both experiments, theirs in a file of its own")
        }
        _ if conflicts
            .iter()
            .any(|c| matches!(c, Conflict::Unreadable { .. } | Conflict::Uneditable(_))) =>
        {
            format!(
                "{path} holds both versions whole between conflict markers; make it one valid \
                 record by hand (`xp check {path}`), then `git add {path}`"
            )
        }
        _ => format!(
            "keep one side between each pair of conflict markers in {path}, check it with \
             `xp check {path}`, then `git add {path}`"
        ),
    };
    (message, hint)
}
