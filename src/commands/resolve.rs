//! `xp resolve [PATH]...`: after a merge left experiment files conflicted (a forge's merge
//! button, a clone without the merge driver), merges each as the driver would, from the
//! versions git staged, writes it and stages it.

use std::path::PathBuf;

use crate::commands::render;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, resolve::Outcome};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Conflicted experiment files (default: every one in the experiments directory)
    pub paths: Vec<PathBuf>,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let mut notices = Vec::new();
    let result = ops::resolve::resolve(ws, &mut notices, &args.paths);
    render::notices(ui, &notices);
    let files = result?;
    if files.is_empty() {
        ui.status("no experiment file is conflicted");
        return Ok(());
    }
    for file in &files {
        let shown = &file.shown;
        match &file.outcome {
            Outcome::Merged => ui.status(&format!("merged {shown}")),
            Outcome::KeptBoth { second } => ui.status(&format!(
                "kept both experiments: ours in {shown}, theirs in {}",
                second.display()
            )),
            Outcome::DeletedOnOneSide => ui.warning(&format!(
                "{shown} was deleted on one side and changed on the other; keep it (`git add \
                 {shown}`) or delete it (`git rm {shown}`) by hand"
            )),
            Outcome::ResolvedByHand => ui.warning(&format!(
                "{shown} has no conflict markers left, so it looks resolved by hand; `git add` \
                 it, or start over with `git checkout --merge -- {shown}` and `xp resolve`"
            )),
            Outcome::Conflicted(conflicts) => ui.warning(&render::conflicts(shown, conflicts).0),
        }
    }
    let left: Vec<&str> = files
        .iter()
        .filter(|f| f.outcome.is_left())
        .map(|f| f.path.as_str())
        .collect();
    if left.is_empty() {
        ui.note("all experiment files merged and staged; finish with `git commit --no-edit`");
        return Ok(());
    }
    Err(Error::failed(
        format!(
            "{} experiment file{} still conflicted: {}",
            left.len(),
            if left.len() == 1 { " is" } else { "s are" },
            left.join(", ")
        ),
        "keep one side between each pair of conflict markers, `xp check` the files, then \
         `git add` them and commit",
    ))
}
