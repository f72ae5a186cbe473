//! `xp completions SHELL`: shell completion scripts, and the completion of `<REF>` arguments
//! to the slugs of the experiments in the current repository.
//!
//! The script a shell loads calls `xp` back with `COMPLETE=<shell>` set (clap_complete's
//! dynamic engine), so refs, flags and values are completed from the xp that is installed.

use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::commands::render::out;
use crate::env::Env;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ui::Ui;

/// The variable the shell scripts set when they ask `xp` for completions.
pub const VAR: &str = "COMPLETE";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
    /// A script that completes commands and flags without calling xp back (no refs)
    #[arg(long = "static")]
    pub fixed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

pub fn run(args: Args, app: fn() -> clap::Command, ui: &mut Ui) -> Result<(), Error> {
    out(ui.data_bytes(&script(app(), args.shell, args.fixed)))
}

/// The completion script for `shell`: the dynamic one that calls `xp` back, or a fixed one
/// made from the command line `cmd`.
pub fn script(mut cmd: clap::Command, shell: Shell, fixed: bool) -> Vec<u8> {
    let mut buf = Vec::new();
    if fixed {
        let generator = match shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Elvish => clap_complete::Shell::Elvish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        };
        clap_complete::generate(generator, &mut cmd, "xp", &mut buf);
        return buf;
    }
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Elvish => &Elvish,
        Shell::Powershell => &Powershell,
    };
    // Writing into a Vec cannot fail.
    let _ = completer.write_registration(VAR, "xp", "xp", "xp", &mut buf);
    buf
}

/// The command line `cmd` as the completion engine sees it: every `<REF>` argument completes
/// to the slugs of the experiments `env` finds (the working directory's repository, or
/// `XP_DIR`).
pub fn command(cmd: clap::Command, env: &Env) -> clap::Command {
    // `mut_args` and `mut_subcommands` keep the order, and so the positions of positionals.
    cmd.mut_subcommands(|sub| {
        sub.mut_args(|arg| {
            let is_ref = arg
                .get_value_names()
                .is_some_and(|v| v.iter().any(|n| n.as_str() == "REF"));
            if !is_ref {
                return arg;
            }
            let env = env.clone();
            arg.add(ArgValueCandidates::new(move || ref_candidates(&env)))
        })
    })
}

/// The slugs of the experiments, each once, sorted; nothing when there is no experiments
/// directory (completion never fails loudly).
pub fn slugs(env: &Env) -> Vec<String> {
    let Ok(ws) = Workspace::open(env, None) else {
        return Vec::new();
    };
    let mut slugs: Vec<String> = ws
        .store
        .files()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    slugs.sort();
    slugs.dedup();
    slugs
}

fn ref_candidates(env: &Env) -> Vec<CompletionCandidate> {
    slugs(env)
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}
