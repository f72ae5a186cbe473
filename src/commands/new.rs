//! `xp new`: creates a record from flags or from a JSON/YAML payload like the origin
//! service's `POST /experiments`.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::commands::fields::NewFields;
use crate::commands::render::{self, out};
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{
    self, WriteOptions,
    create::{Draft, Source},
};
use crate::store;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub fields: NewFields,
    /// Read the record from a JSON or YAML file (`-` for stdin) instead of flags
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Write the file without committing it
    #[arg(long)]
    pub no_commit: bool,
    /// Do not list existing experiments that look like this one
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let options = WriteOptions {
        commit: !args.no_commit,
        ..WriteOptions::default()
    };
    let quiet = args.quiet;
    let source = match &args.from {
        Some(from) => payload(from, ws)?,
        None => Source::Draft(Draft {
            values: args.fields.values,
        }),
    };
    let mut notices = Vec::new();
    let result = if quiet {
        ops::create::create(ws, &mut notices, source, options)
    } else {
        ops::create::create_noting_similar(ws, &mut notices, source, options)
    };
    render::notices(ui, &notices);
    let saved = result?;
    out(ui.data(&format!("{} {}\n", saved.record.id, saved.shown.display())))
}

/// The payload's bytes, from a file or stdin.
fn payload(from: &Path, ws: &Workspace) -> Result<Source, Error> {
    if from == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("<stdin>", e))?;
        return Ok(Source::Payload {
            shown: PathBuf::from("<stdin>"),
            bytes,
        });
    }
    let bytes = store::read_payload(&ws.env.cwd.join(from), from).map_err(|e| match e {
        Error::Io { source, .. } => Error::failed(
            format!("cannot read {}: {}", from.display(), source.kind()),
            "name a JSON or YAML file that exists, or `-` to read the payload from standard input",
        ),
        other => other,
    })?;
    Ok(Source::Payload {
        shown: from.to_owned(),
        bytes,
    })
}
