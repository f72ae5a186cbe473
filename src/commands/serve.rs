//! `xp serve`: the origin service's HTTP API over this repository's experiments.

use std::path::Path;

use crate::env::Env;
use crate::error::Error;
use crate::serve::{self, Options};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to bind; any other than loopback needs a token
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one; the URL printed has it)
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Every request must carry `Authorization: Bearer T` (also XP_TOKEN, which keeps it out of
    /// the process list)
    #[arg(long, value_name = "T")]
    pub token: Option<String>,
    /// Answer reads only
    #[arg(long)]
    pub read_only: bool,
    /// Also answer requests whose Host header is H (a name clients reach this machine by)
    #[arg(long, value_name = "H")]
    pub allowed_host: Vec<String>,
}

/// Prints the URL on stdout once listening, and serves until Ctrl-C or SIGTERM.
pub fn run(args: Args, dir: Option<&Path>, env: &Env, ui: &mut Ui) -> Result<(), Error> {
    let options = Options {
        host: args.host,
        port: args.port,
        token: args
            .token
            .or_else(|| env.var("XP_TOKEN").map(str::to_owned)),
        read_only: args.read_only,
        allowed_hosts: args.allowed_host,
        dir: dir.map(Path::to_owned),
    };
    let read_only = options.read_only;
    serve::run(options, env, |url, warnings| {
        let _ = ui.data(&format!("{url}\n"));
        ui.status(&format!(
            "xp serve: listening on {url}{}; docs at {url}/docs; Ctrl-C stops",
            if read_only { " (read-only)" } else { "" }
        ));
        for warning in warnings {
            ui.warning(warning);
        }
        ui.flush();
    })
}
