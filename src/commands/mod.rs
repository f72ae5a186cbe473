//! One file per subcommand: its flags, one call into [`crate::ops`], and its rendering through
//! [`Ui`]; dispatched from one `match`.

pub mod check;
pub mod completions;
pub mod demo;
pub mod diff;
pub mod edit;
pub mod export;
pub mod fields;
pub mod fix_time;
pub mod import;
pub mod init;
pub mod list;
pub mod log;
pub mod man;
pub mod merge_driver;
pub mod new;
pub mod note;
pub mod plan;
pub mod render;
pub mod report;
pub mod resolve;
pub mod result;
pub mod schema;
pub mod search;
pub mod serve;
pub mod show;
pub mod similar;
pub mod site;
pub mod sync;
pub mod update;

use std::path::Path;

use clap::Subcommand;

use crate::env::Env;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ui::Ui;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the experiments directory
    Init(init::Args),
    /// Create an experiment
    New(new::Args),
    /// One line per experiment
    List(list::Args),
    /// One experiment with its decision log
    Show(show::Args),
    /// Change fields of an experiment
    Update(update::Args),
    /// Open an experiment in your editor; what you save is checked and committed
    Edit(edit::Args),
    /// Append a note to an experiment's decision log
    Note(note::Args),
    /// Record an experiment's measured counts; prints the lift, p-value and chance to win
    Result(result::Args),
    /// The sample each variant needs for the plan's test, and the run time
    Plan(plan::Args),
    /// Move log times a clock that ran ahead stamped back to their commits' times
    FixTime(fix_time::Args),
    /// An experiment's decision log beside the commits that added each entry
    Log(log::Args),
    /// Validate every experiment against the rules
    Check(check::Args),
    /// Experiments and their logs from the origin service, an export or a spreadsheet
    Import(import::Args),
    /// All experiments as CSV or JSON
    Export(export::Args),
    /// What changed in experiments between two commits, for a pull request
    Diff(diff::Args),
    /// Merge experiment files a git merge left conflicted, as the merge driver would
    Resolve(resolve::Args),
    /// What the team learned: decided experiments by primary metric, as Markdown
    Report(report::Args),
    /// Search experiments' text, best match first
    Search(search::Args),
    /// Existing experiments that look like one, with what they decided and learned
    Similar(similar::Args),
    /// The board and every experiment's story as a static site
    Site(site::Args),
    /// One round with the team's remote: fetch, integrate, push
    Sync(sync::Args),
    /// Run the whole workflow in a scratch repository and show what happened
    Demo(demo::Args),
    /// Serve the origin service's HTTP API over these experiments
    Serve(serve::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::Args),
    /// Print the manual page xp(1), or one subcommand's (`xp man note`), as roff
    Man(man::Args),
    /// Print the JSON Schema of an experiment file, for editors
    Schema(schema::Args),
    /// Git's merge driver for experiment files (`xp merge-driver %O %A %B %P`)
    #[command(hide = true)]
    MergeDriver(merge_driver::Args),
}

/// Runs one command; `dir` is the `--dir` flag, `app` makes the whole command line's clap
/// definition (for the manual pages and completions, which describe all of it).
pub fn run(
    command: Command,
    dir: Option<&Path>,
    env: &Env,
    ui: &mut Ui,
    app: fn() -> clap::Command,
) -> Result<(), Error> {
    let command = match command {
        Command::Demo(args) => return demo::run(args, env, ui, run_line),
        Command::MergeDriver(args) => return merge_driver::run(args, env, ui),
        Command::Serve(args) => return serve::run(args, dir, env, ui),
        Command::Schema(args) => return schema::run(args, dir, env, ui),
        Command::Completions(args) => return completions::run(args, app, ui),
        Command::Man(args) => return man::run(args, app, ui),
        command => command,
    };
    let ws = Workspace::open(env, dir)?;
    match command {
        Command::Init(args) => init::run(args, &ws, ui),
        Command::New(args) => new::run(args, &ws, ui),
        Command::List(args) => list::run(args, &ws, ui),
        Command::Show(args) => show::run(args, &ws, ui),
        Command::Update(args) => update::run(args, &ws, ui),
        Command::Edit(args) => edit::run(args, &ws, ui),
        Command::Note(args) => note::run(args, &ws, ui),
        Command::Result(args) => result::run(args, &ws, ui),
        Command::Plan(args) => plan::run(args, &ws, ui),
        Command::FixTime(args) => fix_time::run(args, &ws, ui),
        Command::Log(args) => log::run(args, &ws, ui),
        Command::Check(args) => check::run(args, &ws, ui),
        Command::Import(args) => import::run(args, &ws, ui),
        Command::Export(args) => export::run(args, &ws, ui),
        Command::Diff(args) => diff::run(args, &ws, ui),
        Command::Resolve(args) => resolve::run(args, &ws, ui),
        Command::Report(args) => report::run(args, &ws, ui),
        Command::Search(args) => search::run(args, &ws, ui),
        Command::Similar(args) => similar::run(args, &ws, ui),
        Command::Site(args) => site::run(args, &ws, ui),
        Command::Sync(args) => sync::run(args, &ws, ui),
        Command::Demo(_)
        | Command::MergeDriver(_)
        | Command::Serve(_)
        | Command::Schema(_)
        | Command::Completions(_)
        | Command::Man(_) => Ok(()),
    }
}

/// One command line of the demo's story.
#[derive(Debug, clap::Parser)]
#[command(name = "xp")]
struct Line {
    #[command(subcommand)]
    command: Command,
}

/// Runs one command line (without the program name or global flags) in-process, for the demo.
fn run_line(argv: &[&str], env: &Env, ui: &mut Ui) -> Result<(), Error> {
    use clap::{CommandFactory, Parser};
    let line = Line::try_parse_from(std::iter::once("xp").chain(argv.iter().copied()))
        .map_err(|e| Error::failed(format!("demo step does not parse: {e}"), "report this"))?;
    run(line.command, None, env, ui, Line::command)
}
