//! The command line: global flags and the subcommand.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::commands::Command;

/// Product experiments as plain YAML files in your git repository.
///
/// Every change is a commit holding exactly one experiment file.
#[derive(Debug, Parser)]
#[command(name = "xp", version, max_term_width = 100)]
pub struct Cli {
    /// Experiments directory (default: `experiments/` at the root of the git work tree;
    /// also XP_DIR)
    #[arg(long, global = true, value_name = "PATH", display_order = 900)]
    pub dir: Option<PathBuf>,

    /// When to colour messages
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, value_name = "WHEN", display_order = 901)]
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
