//! `xp diff`: what changed in experiments between two commits (default: the merge base with
//! the default branch, and the work tree), as Markdown for a pull request or as JSON.

use crate::commands::render::out;
use crate::error::Error;
use crate::ops;
use crate::ops::workspace::Workspace;
use crate::review::diff;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The base revision (default: the merge base of HEAD with the default branch)
    pub base: Option<String>,
    /// The head revision (default: the work tree)
    pub head: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let report = ops::diff::diff(ws, args.base.as_deref(), args.head.as_deref())?;
    let short = |id: &str| format!("`{}`", id.get(..7).unwrap_or(id));
    let text = match args.format {
        Format::Markdown => {
            let head = report
                .head
                .as_deref()
                .map_or_else(|| "the work tree".to_owned(), short);
            diff::markdown(&report.diffs, &short(&report.base), &head)
        }
        Format::Json => diff::json(
            &report.diffs,
            &report.base,
            report.head.as_deref().unwrap_or("worktree"),
        ),
    };
    out(ui.data(&text))
}
