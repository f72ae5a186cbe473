//! `xp export`: all experiments, one row each, as CSV (the origin service's format) or JSON.

use std::path::PathBuf;

use crate::commands::render::out;
use crate::error::Error;
use std::io::{Read, Seek};

use crate::export::{self, Column, Shape, Stream};
use crate::ops::workspace::Workspace;
use crate::ops::{self, read::Filter};
use crate::record::Status;
use crate::store;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Only these statuses (repeat for several)
    #[arg(long, value_enum)]
    pub status: Vec<Status>,
    /// Write to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// CSV columns, comma-separated, in order; may add direction, owner, tags, links
    #[arg(long, value_name = "LIST")]
    pub columns: Option<String>,
    /// For spreadsheets: a byte-order mark, and formula-like text cells made inert with `'`
    #[arg(long)]
    pub excel: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
    Jsonl,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let columns = match &args.columns {
        Some(list) => export::parse_columns(list).map_err(Error::usage)?,
        None => Column::defaults(),
    };
    if args.format != Format::Csv && (args.columns.is_some() || args.excel) {
        return Err(Error::usage(
            "--columns and --excel apply to --format csv only",
        ));
    }
    let filter = Filter {
        statuses: args.status,
        ..Filter::default()
    };
    let shape = match args.format {
        Format::Csv => Shape::Csv {
            columns,
            excel: args.excel,
        },
        Format::Json => Shape::Json,
        Format::Jsonl => Shape::Jsonl,
    };
    // Rows are written as they are read, into a temporary file: the export appears (in the
    // file, or on stdout) only once every record has passed the rules.
    let export = |out: &mut dyn std::io::Write| -> Result<usize, Error> {
        let mut stream = Stream::start(out, shape.clone()).map_err(|e| Error::io("export", e))?;
        let count = ops::read::export_each(
            ws,
            &filter,
            |record| shape.render(record),
            |rendered| stream.write(rendered?),
        )?;
        stream.finish().map_err(|e| Error::io("export", e))?;
        Ok(count)
    };
    match &args.output {
        Some(path) => {
            let path = output_path(ws, path)?;
            let count = store::write_atomic_with(&path, export).map_err(|e| match e {
                Error::Io { source, .. } => Error::failed(
                    format!(
                        "cannot write {}: {}",
                        ws.store.show(&path).display(),
                        source.kind()
                    ),
                    "choose a file in a folder you can write to",
                ),
                other => other,
            })?;
            ui.status(&format!(
                "exported {count} experiment(s) to {}",
                ws.store.show(&path).display()
            ));
            Ok(())
        }
        None => {
            /// Kept in memory up to this size, on disk beyond it.
            const SPOOL: usize = 8 << 20;
            let mut spool = tempfile::spooled_tempfile(SPOOL);
            export(&mut spool)?;
            spool
                .seek(std::io::SeekFrom::Start(0))
                .map_err(|e| Error::io("export", e))?;
            let mut buffer = vec![0; 64 << 10];
            loop {
                let n = spool
                    .read(&mut buffer)
                    .map_err(|e| Error::io("export", e))?;
                if n == 0 {
                    return Ok(());
                }
                out(ui.data_bytes(&buffer[..n]))?;
            }
        }
    }
}
/// Where `-o` writes: never into the experiments directory (a CSV there would replace or add a
/// record), and only into a folder that exists.
fn output_path(ws: &Workspace, path: &std::path::Path) -> Result<PathBuf, Error> {
    let full = ws.user_path(path);
    let shown = path.display();
    if full.starts_with(&ws.store.dir) {
        return Err(Error::failed(
            format!("{shown} is inside the experiments directory, where every file is a record"),
            "write the export elsewhere, e.g. `-o experiments.csv` beside the experiments \
             directory",
        ));
    }
    let parent = full.parent().unwrap_or(&full);
    if !parent.is_dir() {
        return Err(Error::failed(
            format!(
                "the folder {} does not exist",
                ws.store.show(parent).display()
            ),
            format!(
                "create it first (`mkdir -p {}`), or name a file in a folder that exists",
                ws.store.show(parent).display()
            ),
        ));
    }
    Ok(full)
}
