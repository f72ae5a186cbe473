//! `xp init`: creates the experiments directory and registers the xp merge driver in
//! `.gitattributes` and the repository's git config; safe to run twice.

use crate::commands::Workspace;
use crate::error::Error;
use crate::store;
use crate::ui::Ui;

/// The merge driver's command, as git runs it.
pub const DRIVER: &str = "xp merge-driver %O %A %B %P";
const DRIVER_NAME: &str = "xp: union of decision logs, 3-way merge of fields";

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
    let Some(repo) = &ws.repo else {
        ui.note("not in a git repository: records will be written without commits");
        return Ok(());
    };
    let Some(rel) = repo.relative(dir) else {
        ui.warning(
            "the experiments directory is outside the git work tree; no merge driver registered",
        );
        return Ok(());
    };

    let attributes = repo.workdir().join(".gitattributes");
    let text = match std::fs::read_to_string(&attributes) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(".gitattributes", e)),
    };
    let wanted = [
        format!("{rel}/*.yaml merge=xp"),
        format!("{rel}/*.yml merge=xp"),
    ];
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| {
            !text.lines().any(|l| {
                l.split_whitespace().collect::<Vec<_>>() == w.split(' ').collect::<Vec<_>>()
            })
        })
        .collect();
    if missing.is_empty() {
        ui.status(".gitattributes already routes experiment files to the xp merge driver");
    } else {
        let mut new = text.clone();
        if !new.is_empty() && !new.ends_with('\n') {
            new.push('\n');
        }
        for line in &missing {
            new.push_str(line);
            new.push('\n');
        }
        store::write_atomic(&attributes, new.as_bytes())?;
        ui.status(&format!(
            "added to .gitattributes: {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        ui.hint("commit .gitattributes so that every clone merges decision logs with xp");
    }

    let mut changed = false;
    for (key, value) in [("merge.xp.name", DRIVER_NAME), ("merge.xp.driver", DRIVER)] {
        if repo.config_value(key).as_deref() != Some(value) {
            repo.set_local_config(key, value)?;
            changed = true;
        }
    }
    if changed {
        ui.status(&format!(
            "registered the merge driver in .git/config: merge.xp.driver = {DRIVER}"
        ));
    } else {
        ui.status("the merge driver is already registered in this clone");
    }
    Ok(())
}
