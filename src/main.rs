//! The `xp` binary: parse arguments, run the library, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use xp::cli::{Cli, Color};
use xp::env::Env;
use xp::error::Error;
use xp::ui::Ui;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let choice = match cli.color {
        Color::Always => anstream::ColorChoice::Always,
        Color::Never => anstream::ColorChoice::Never,
        Color::Auto => anstream::ColorChoice::Auto,
    };
    let mut ui = Ui::stdio(choice);
    let result = Env::from_process().and_then(|env| xp::commands::run(cli, &env, &mut ui));
    let code = match result {
        Ok(()) => 0,
        Err(error) => {
            report(&error, &mut ui);
            error.exit_code()
        }
    };
    ui.flush();
    ExitCode::from(code as u8)
}

/// Prints an error and its hint on stderr.
fn report(error: &Error, ui: &mut Ui) {
    if let Error::Problems { problems, .. } = error {
        let mut paths: Vec<&std::path::Path> = problems.iter().map(|p| p.path.as_path()).collect();
        paths.sort();
        paths.dedup();
        let sources: Vec<(std::path::PathBuf, String)> = paths
            .into_iter()
            .filter_map(|p| Some((p.to_owned(), xp::store::read_source(p)?)))
            .collect();
        let lookup = |path: &std::path::Path| {
            sources
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, s)| s.as_str())
        };
        ui.err_raw(&xp::report::human(problems, &lookup, ui.styled()));
    }
    ui.error(&error.to_string());
    if let Some(hint) = error.hint() {
        ui.hint(&hint);
    }
}
