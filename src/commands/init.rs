//! `xp init`: creates the experiments directory and registers the xp merge driver in
//! `.gitattributes` and the repository's git config; safe to run twice.

use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{
    self,
    init::{GitSetup, Initialized},
};
use crate::review::attributes::DRIVER;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let Initialized { dir, created, git } = ops::init::init(ws)?;
    if created {
        ui.status(&format!("created {}", dir.display()));
    } else {
        ui.status(&format!("{} already exists", dir.display()));
    }
    let (config, added, config_changed) = match git {
        GitSetup::NoRepository => {
            ui.note("not in a git repository: records will be written without commits");
            return Ok(());
        }
        GitSetup::Outside => {
            ui.warning(
                "the experiments directory is outside the git work tree; no merge driver \
                 registered",
            );
            return Ok(());
        }
        GitSetup::Registered {
            config,
            attributes_added,
            config_changed,
        } => (config, attributes_added, config_changed),
    };
    if added.is_empty() {
        ui.status(".gitattributes already routes experiment files to the xp merge driver");
    } else {
        ui.status(&format!("added to .gitattributes: {}", added.join(", ")));
        ui.hint("commit .gitattributes so that every clone merges decision logs with xp");
    }
    if config_changed {
        ui.status(&format!(
            "registered the merge driver in {}: merge.xp.driver = {DRIVER}",
            config.display()
        ));
    } else {
        ui.status("the merge driver is already registered in this clone");
    }
    Ok(())
}
