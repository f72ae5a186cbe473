//! The command line: global flags and one variant per subcommand.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::commands;

/// Product experiments as plain YAML files in your git repository.
///
/// Every change is a commit holding exactly one experiment file.
#[derive(Debug, Parser)]
#[command(name = "xp", version, max_term_width = 100)]
pub struct Cli {
    /// Experiments directory (default: `experiments/` at the root of the git work tree;
    /// also XP_DIR)
    #[arg(long, global = true, value_name = "PATH")]
    pub dir: Option<PathBuf>,

    /// When to colour messages
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the experiments directory
    Init(commands::init::Args),
    /// Create an experiment
    New(commands::new::Args),
    /// One line per experiment
    List(commands::list::Args),
    /// One experiment with its decision log
    Show(commands::show::Args),
    /// Change fields of an experiment
    Update(commands::update::Args),
    /// Append a note to an experiment's decision log
    Note(commands::note::Args),
    /// An experiment's decision log beside the commits that added each entry
    Log(commands::log::Args),
    /// Validate every experiment against the rules
    Check(commands::check::Args),
    /// All experiments as CSV or JSON
    Export(commands::export::Args),
    /// What changed in experiments between two commits, for a pull request
    Diff(commands::diff::Args),
    /// Merge experiment files a git merge left conflicted, as the merge driver would
    Resolve(commands::resolve::Args),
    /// Run the whole workflow in a scratch repository and show what happened
    Demo(commands::demo::Args),
    /// Git's merge driver for experiment files (`xp merge-driver %O %A %B %P`)
    #[command(hide = true)]
    MergeDriver(commands::merge_driver::Args),
}
