//! `xp merge-driver BASE OURS THEIRS [PATH]`: git's merge driver for experiment files.
//!
//! Git runs it as `xp merge-driver %O %A %B %P` with three temporary files; the result goes
//! into OURS, and the exit code tells git whether the merge is clean (0) or conflicted (1).

use std::path::PathBuf;

use crate::commands::render;
use crate::env::Env;
use crate::error::Error;
use crate::ops::{self, resolve::DriverInput};
use crate::review::merge::Labels;
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
    let input = DriverInput {
        base: &args.base,
        ours: &args.ours,
        theirs: &args.theirs,
        labels: Labels {
            ours: args.ours_label,
            theirs: args.theirs_label,
        },
    };
    let merged = ops::resolve::merge_driver(&env.cwd, input)?;
    if merged.is_clean() {
        return Ok(());
    }
    let path = args.path.unwrap_or_else(|| args.ours.display().to_string());
    let (message, hint) = render::conflicts(&path, &merged.conflicts);
    Err(Error::failed(message, hint))
}
