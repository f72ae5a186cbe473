//! xp: product experiments as plain YAML files in your git repository.
//!
//! The library never prints: commands write through [`ui::Ui`]; only `main.rs` maps results
//! to exit codes. Only [`git`] touches git2, only [`yaml`] touches the YAML parser.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod attributes;
pub mod base;
pub mod cli;
pub mod commands;
pub mod diff;
pub mod env;
pub mod error;
pub mod export;
pub mod fields;
pub mod git;
pub mod lockfile;
pub mod merge;
pub mod ops;
pub mod page;
pub mod plan;
pub mod record;
pub mod refs;
pub mod report;
pub mod report_md;
pub mod rules;
pub mod schema;
pub mod search;
pub mod serve;
pub mod similar;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod text;
pub mod ui;
pub mod workspace;
pub mod yaml;
pub mod yaml_edit;
