//! `xp schema`: the JSON Schema of a record, for editors and yaml-language-server.

use std::path::{Path, PathBuf};

use crate::commands::render::out;
use crate::env::Env;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::record::schema;
use crate::store;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write to this file instead of stdout (folders are created), e.g. schema/experiment.json
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, dir: Option<&Path>, env: &Env, ui: &mut Ui) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(&schema::record_schema())
        .map_err(|e| Error::io("schema", std::io::Error::other(e)))?;
    text.push('\n');
    match &args.output {
        Some(path) => {
            let ws = Workspace::open(env, dir)?;
            let full = ws.user_path(path);
            if ws.in_experiments(&full) {
                return Err(Error::failed(
                    format!(
                        "{} is inside the experiments directory, where every file is a record",
                        path.display()
                    ),
                    "write the schema elsewhere, e.g. `xp schema -o schema/experiment.json`",
                ));
            }
            store::write_atomic(&full, text.as_bytes()).map_err(|e| match e {
                Error::Io { source, .. } => Error::failed(
                    format!("cannot write {}: {}", path.display(), source.kind()),
                    "choose a file in a folder you can write to",
                ),
                other => other,
            })?;
            ui.status(&format!("wrote the schema to {}", path.display()));
            Ok(())
        }
        None => out(ui.data(&text)),
    }
}
