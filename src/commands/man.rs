//! `xp man [SUBCOMMAND]`: the manual page xp(1), or xp-SUBCOMMAND(1), as roff.

use crate::commands::render::out;
use crate::error::Error;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The subcommand whose page to print (`xp man note` prints xp-note(1))
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

pub fn run(args: Args, app: fn() -> clap::Command, ui: &mut Ui) -> Result<(), Error> {
    let page = page(app(), args.subcommand.as_deref())?;
    out(ui.data_bytes(&page))
}

/// The roff of xp(1) from the command line `cmd`, or of one subcommand's page.
pub fn page(mut cmd: clap::Command, subcommand: Option<&str>) -> Result<Vec<u8>, Error> {
    cmd.build();
    let (page, cmd) = match subcommand {
        None => ("xp".to_owned(), cmd),
        Some(name) => {
            let names = subcommands(&cmd);
            let Some(sub) = cmd.find_subcommand(name).filter(|s| !s.is_hide_set()) else {
                return Err(Error::usage(format!(
                    "there is no subcommand `{name}`; the pages are: {}",
                    names.join(", ")
                )));
            };
            // Once built, a subcommand's display name is `xp-<name>`, as its page is called.
            (format!("xp-{name}"), sub.clone())
        }
    };
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .title(page.to_uppercase())
        .section("1")
        .manual("xp manual")
        .source(format!("xp {}", env!("CARGO_PKG_VERSION")))
        .render(&mut buf)
        .map_err(|e| Error::io("man page", e))?;
    Ok(buf)
}

/// The subcommands that have a page of their own (hidden ones have none).
pub fn subcommands(cmd: &clap::Command) -> Vec<String> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .map(|s| s.get_name().to_owned())
        .collect()
}
