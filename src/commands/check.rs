//! `xp check`: validates every record, and with `--base` compares them with a base revision;
//! exit 1 if any rule fails. Silent on success.

use std::path::PathBuf;

use crate::commands::render::{self, out};
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, check::CheckInput};
use crate::report;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories to check (default: the experiments directory)
    pub paths: Vec<PathBuf>,
    /// Also compare with the merge base of HEAD and this revision (branch, tag or commit):
    /// logs append-only, ids fixed, no record deleted
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
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
    /// GitHub Actions workflow commands: annotations on the pull request's diff
    Github,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let input = CheckInput {
        paths: args.paths,
        base: args.base,
    };
    let found = ops::check::check(ws, &input)?;
    let text = match args.format {
        Format::Json => report::json(&found.problems, found.files, &found.warnings),
        Format::Github => report::github(
            &ops::check::repo_relative(ws, &found.problems),
            &found.warnings,
        ),
        Format::Human => {
            for w in &found.warnings {
                ui.warning(w);
            }
            render::problems(ui.out_styled(), &found.problems, &found.sources)
        }
    };
    out(ui.data(&text))?;
    let errors: Vec<&crate::rules::Problem> = found
        .problems
        .iter()
        .filter(|p| p.severity == crate::rules::Severity::Error)
        .collect();
    if errors.is_empty() {
        if found.files == 0 {
            ui.warning(&format!(
                "no experiment files to check in {}; `xp new` creates one",
                ws.store.show(&ws.store.dir).display()
            ));
        } else if args.verbose && found.problems.is_empty() {
            ui.status(&format!(
                "{} experiment file(s) checked{}, no problems",
                found.files,
                input
                    .base
                    .as_deref()
                    .map(|b| format!(" against {b}"))
                    .unwrap_or_default()
            ));
        }
        return Ok(());
    }
    let files = found.files_with_problems();
    let n = errors.len();
    Err(Error::failed(
        format!(
            "{n} problem{} in {files} file{}",
            if n == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" },
        ),
        "fix each place named above; `xp check` again shows what is left",
    ))
}
