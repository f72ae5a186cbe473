//! The `xp` binary: parse arguments, run the library, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use xp::cli::{Cli, Color};
use xp::env::Env;
use xp::ui::Ui;

fn main() -> ExitCode {
    // A shell asking for completions (`COMPLETE=bash xp -- xp show ...`) is answered and exits.
    if let Ok(env) = Env::from_process() {
        clap_complete::CompleteEnv::with_factory(move || {
            xp::commands::completions::command(Cli::command(), &env)
        })
        .var(xp::commands::completions::VAR)
        .complete();
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors exit 2.
            match dash_value_tip(&e) {
                Some(text) => {
                    let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
                }
                None => {
                    let _ = e.print();
                }
            }
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let choice = match cli.color {
        Color::Always => anstream::ColorChoice::Always,
        Color::Never => anstream::ColorChoice::Never,
        Color::Auto => anstream::ColorChoice::Auto,
    };
    let mut ui = Ui::stdio(choice);
    let result = Env::from_process().and_then(|env| {
        xp::commands::run(cli.command, cli.dir.as_deref(), &env, &mut ui, Cli::command)
    });
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

/// clap's message for a value that starts with `-` (`--title "-10% test"`, `--baseline -1`),
/// with a tip that works for it: clap's own (`-- -1`) is wrong for an option's value.
fn dash_value_tip(error: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(invalid)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    let args: Vec<String> = std::env::args().collect();
    let at = args
        .iter()
        .position(|a| a.starts_with(invalid.as_str()) && !a.starts_with("--"))?;
    let value = &args[at];
    if value
        .chars()
        .nth(1)
        .is_some_and(|c| c.is_ascii_alphabetic())
    {
        return None;
    }
    let quoted = format!("'{}'", value.replace('\'', "'\\''"));
    let tip = match args.get(at.wrapping_sub(1)) {
        Some(option) if option.starts_with("--") && !option.contains('=') => {
            format!("write the value after `=`: {option}={quoted}")
        }
        _ => format!("put `--` before it: -- {quoted}"),
    };
    let text = error.render().to_string();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("tip: to pass"))
        .collect();
    let rest = kept.get(1..).unwrap_or_default().join("\n");
    let out = format!(
        "{}\n\n  tip: {invalid} starts a value, not a flag; {tip}\n\n{}\n",
        kept.first().unwrap_or(&""),
        rest.trim_start_matches('\n')
    );
    Some(out)
}
