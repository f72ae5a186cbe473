//! The `xp` binary: parse arguments, run the library, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use xp::cli::{Cli, Color};
use xp::env::Env;
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
    let result = Env::from_process()
        .and_then(|env| xp::commands::run(cli.command, cli.dir.as_deref(), &env, &mut ui));
    let code = match result {
        Ok(()) => 0,
        Err(error) => {
            xp::commands::render::error(&error, &mut ui);
            error.exit_code()
        }
    };
    ui.flush();
    ExitCode::from(code as u8)
}
