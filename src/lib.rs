//! xp: product experiments as plain YAML files in your git repository.
//!
//! The library never prints: commands write through [`ui::Ui`]; only `main.rs` maps results
//! to exit codes. Only [`git`] touches git2, only [`yaml`] touches the YAML parser.
//!
//! The floors, each importing only from the floors below it: the front-ends ([`commands`],
//! [`serve`], and [`page`] which both render) over the operations ([`ops`]) over the domain
//! ([`record`], [`rules`], [`review`], [`learn`], [`export`], [`import`]) over the adapters and leaves
//! ([`store`], [`git`], [`yaml`], [`env`], [`error`], [`ui`], [`fetch`]).

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
pub mod commands;
pub mod env;
pub mod error;
pub mod export;
pub mod fetch;
pub mod git;
pub mod import;
pub mod learn;
pub mod lockfile;
pub mod ops;
pub mod page;
pub mod record;
pub mod report;
pub mod review;
pub mod rules;
pub mod serve;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod text;
pub mod time;
pub mod ui;
pub mod yaml;
