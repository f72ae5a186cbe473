//! `xp site -o DIR`: the board and every experiment's story as plain files, to publish.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, read::Filter};
use crate::page::{self, Context, Mode, Names, Query};
use crate::record::Status;
use crate::store;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write the site into (made if missing)
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let listing = ops::read::list(ws, &Filter::default())?;
    let found = &listing.found;
    let ctx = Context {
        mode: Mode::Static,
        as_of: page::newest_entry(found),
        forge: ws
            .repo
            .as_ref()
            .and_then(|r| r.config_value("remote.origin.url"))
            .and_then(|url| page::Forge::from_remote(&url)),
        writable: false,
    };
    let out = ws.env.cwd.join(&args.out);
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
        (
            "index.html".into(),
            page::board(found, listing.broken, &Query::default(), &ctx).into_bytes(),
        ),
        ("assets/xp.css".into(), page::CSS.as_bytes().to_vec()),
        ("assets/xp.js".into(), page::JS.as_bytes().to_vec()),
        (
            "assets/index.js".into(),
            page::index_js(found, &ctx).into_bytes(),
        ),
    ];
    for status in Status::ALL {
        for n in 1..=page::column_count(found, status) {
            let query = Query {
                status: Some(status),
                page: n,
                ..Query::default()
            };
            let name = if n == 1 {
                format!("{}.html", status.as_str())
            } else {
                format!("{}-{n}.html", status.as_str())
            };
            let html = page::board(found, listing.broken, &query, &ctx);
            files.push((name.into(), html.into_bytes()));
        }
    }
    let names = Names::new(found);
    // Every story from one walk over the history, before anything is written; then each page
    // is written as it is made, so that the pages are never all in memory at once.
    let histories = ops::log::logs(ws, found.to_vec())?;
    let mut written: Vec<PathBuf> = Vec::new();
    for (rel, bytes) in &files {
        write(&out, rel, bytes)?;
        written.push(rel.clone());
    }
    for history in histories {
        let rel = PathBuf::from(format!("e/{}.html", names.of(&history.found.record.id)));
        write(&out, &rel, page::story(&history, &ctx).as_bytes())?;
        written.push(rel);
    }
    let stale = remove_stale(&out.join("e"), &written)?;
    if listing.broken > 0 {
        ui.warning(&format!(
            "{} experiment file(s) break rules and are left out; `xp check` lists why",
            listing.broken
        ));
    }
    ui.status(&format!(
        "wrote the board and {} stor{} to {}{}",
        found.len(),
        if found.len() == 1 { "y" } else { "ies" },
        ws.store.show(&out).display(),
        if stale > 0 {
            format!(" (removed {stale} page(s) of experiments no longer there)")
        } else {
            String::new()
        }
    ));
    Ok(())
}

/// Writes `bytes` at `rel` under `out`, making its folder.
fn write(out: &Path, rel: &Path, bytes: &[u8]) -> Result<(), Error> {
    let path = out.join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    store::write_atomic(&path, bytes)
}

/// Removes story pages a previous run wrote for experiments that are gone; returns how many.
fn remove_stale(dir: &Path, files: &[PathBuf]) -> Result<usize, Error> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let written: HashSet<PathBuf> = files
        .iter()
        .filter_map(|rel| rel.file_name().map(PathBuf::from))
        .collect();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = PathBuf::from(entry.file_name());
        let is_page = name.extension().is_some_and(|x| x == "html");
        if is_page && !written.contains(&name) && entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
            removed += 1;
        }
    }
    Ok(removed)
}
