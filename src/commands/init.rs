//! `xp init`: creates the experiments directory; safe to run twice.

use crate::commands::Workspace;
use crate::error::Error;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    ws.store.check_dir()?;
    let dir = &ws.store.dir;
    let shown = ws.store.show(dir);
    if dir.is_dir() {
        ui.status(&format!("{} already exists", shown.display()));
    } else {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(&shown, e))?;
        ui.status(&format!("created {}", shown.display()));
    }
    if ws.repo.is_none() {
        ui.note("not in a git repository: records will be written without commits");
    }
    Ok(())
}
