//! `xp check`: validates every record; exit 1 if any rule fails.

use std::path::PathBuf;

use crate::commands::Workspace;
use crate::commands::list::problems_of;
use crate::error::Error;
use crate::report;
use crate::store::{self, Loaded};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories to check (default: the experiments directory)
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also say how many files were checked when all is well
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let loaded = load(&args.paths, ws)?;
    let problems = problems_of(&loaded);
    match args.format {
        Format::Json => ui
            .data(&report::json(&problems, loaded.len()))
            .map_err(|e| Error::io("stdout", e))?,
        Format::Human => {
            let sources = |p: &std::path::Path| {
                loaded
                    .iter()
                    .find(|l| l.shown == p)
                    .and_then(|l| std::str::from_utf8(&l.bytes).ok())
            };
            ui.data(&report::human(&problems, &sources, ui.styled()))
                .map_err(|e| Error::io("stdout", e))?;
        }
    }
    if problems.is_empty() {
        if args.verbose {
            ui.status(&format!(
                "{} experiment file(s) checked, no problems",
                loaded.len()
            ));
        }
        return Ok(());
    }
    let files = {
        let mut paths: Vec<_> = problems.iter().map(|p| &p.path).collect();
        paths.dedup();
        paths.len()
    };
    Err(Error::failed(
        format!(
            "{} problem{} in {files} file{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" },
        ),
        "fix each place named above; `xp check` again shows what is left",
    ))
}

/// The files named on the command line (directories walked), or the whole store.
fn load(paths: &[PathBuf], ws: &Workspace) -> Result<Vec<Loaded>, Error> {
    if paths.is_empty() {
        return ws.store.load_all();
    }
    let mut files = Vec::new();
    for path in paths {
        let full = ws.env.cwd.join(path);
        if full.is_dir() {
            files.extend(store::Store::new(full, ws.env.cwd.clone()).files()?);
        } else {
            files.push(full);
        }
    }
    files.sort();
    files.dedup();
    files.iter().map(|f| ws.store.load(f)).collect()
}
