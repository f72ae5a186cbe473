//! `xp update`: changes fields like the origin service's PATCH; status moves are checked and
//! logged, and the result must pass every rule or nothing is written.

use crate::commands::fields::ChangedFields;
use crate::commands::render;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, WriteOptions, update::Changes};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    #[command(flatten)]
    pub fields: ChangedFields,
    /// A note for the decision log (required when killing)
    #[arg(short = 'm', long = "message", value_name = "NOTE")]
    pub message: Option<String>,
    /// Allow any status move
    #[arg(long)]
    pub force: bool,
    /// Why the plan (hypothesis, metric, baseline, target, direction) changes after the
    /// experiment ran; logged as `amended: FIELD OLD -> NEW: REASON`
    #[arg(long, value_name = "REASON")]
    pub amend: Option<String>,
    /// Who makes the change (default: git's user.name, else $USER)
    #[arg(long)]
    pub who: Option<String>,
    /// Write the file without committing it
    #[arg(long)]
    pub no_commit: bool,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let mut changes = Changes {
        note: args.message,
        force: args.force,
        amend: args.amend,
        who: args.who,
        ..Changes::default()
    };
    for (field, value) in args.fields.values {
        changes.set(field, value);
    }
    let options = WriteOptions {
        commit: !args.no_commit,
        ..WriteOptions::default()
    };
    let mut notices = Vec::new();
    let result = ops::update::update(ws, &mut notices, &args.reference, changes, options);
    render::notices(ui, &notices);
    result.map(drop)
}
