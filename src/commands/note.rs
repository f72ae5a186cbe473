//! `xp note`: appends `{at, who, note}` to an experiment's decision log.

use crate::commands::render;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, WriteOptions, note::NewNote};
use crate::ui::Ui;

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
    let mut notices = Vec::new();
    let input = NewNote {
        note: args.note,
        who: args.who,
    };
    let options = WriteOptions {
        commit: !args.no_commit,
        ..WriteOptions::default()
    };
    let result = ops::note::note(ws, &mut notices, &args.reference, input, options);
    render::notices(ui, &notices);
    result.map(drop)
}
