//! `xp fix-time`: moves back the log times a clock that ran ahead stamped, to the times of the
//! commits that hold them, logging a `corrected:` entry for each.

use crate::commands::render;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, WriteOptions};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Who signs the `corrected:` entries (default: git's user.name, else $USER)
    #[arg(long)]
    pub who: Option<String>,
    /// Write the file without committing it
    #[arg(long)]
    pub no_commit: bool,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let mut notices = Vec::new();
    let options = WriteOptions {
        commit: !args.no_commit,
        ..WriteOptions::default()
    };
    let result = ops::fix_time::fix_time(
        ws,
        &mut notices,
        &args.reference,
        args.who.as_deref(),
        options,
    );
    render::notices(ui, &notices);
    let fixed = result?;
    for (from, to) in &fixed.moved {
        ui.status(&format!("corrected {from} -> {to}"));
    }
    if fixed.saved.commit.is_none() {
        ui.status(&format!("wrote {}", fixed.saved.shown.display()));
    }
    Ok(())
}
