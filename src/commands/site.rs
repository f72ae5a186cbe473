//! `xp site -o DIR`: the board and every experiment's story as plain files, to publish.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Error;
use crate::ops;
use crate::ops::log::{Packed, ReadBlob, Sought};
use crate::ops::read::Filter;
use crate::ops::workspace::Workspace;
use crate::page::{self, Context, Item, Mode, Names, Query, View};
use crate::record::{PackedLog, Status};
use crate::store;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write the site into: new, empty, or one xp site wrote before (it
    /// rewrites its own files there and removes only those)
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let out = ws.user_path(&args.out);
    let before = earlier_site(ws, &args.out, &out)?;
    // Every story from one walk over the history, kept small (what the pages show, each
    // commit once). The walk needs only each experiment's id and file: the records are read
    // again after it, so that they and the walk are not in memory at the same time.
    let mut sought = Vec::new();
    ops::read::list_each(ws, &Filter::default(), |f| sought.push(Sought::of(&f)))?;
    let walk = ops::log::walk(ws, sought)?;
    // Each record is kept once (the pages read `record`, not the loaded file's copy), its
    // log packed as it is read.
    let mut found = Vec::new();
    let broken = ops::read::list_with(
        ws,
        &Filter::default(),
        |mut record| {
            let log = PackedLog::take(&mut record);
            (record, log)
        },
        |loaded, (record, log)| found.push(Packed::new(loaded, record, log)),
    )?
    .broken;
    let count = found.len();
    let histories = walk.with(found)?;
    // Ages count to the newest entry no wrong clock stamped.
    let mut as_of = page::AsOf::default();
    histories.each_part(|lines, revisions| as_of.add(lines, revisions));
    let items: Vec<Item> = histories
        .experiments()
        .map(|(slug, record, log)| Item { slug, record, log })
        .collect();
    let found = &items[..];
    // The page names, made once for the board's 100-odd pages, the index and the stories.
    let names = std::sync::Arc::new(Names::new(found));
    let mut ctx = Context {
        as_of: as_of.get(),
        names: Some(std::sync::Arc::clone(&names)),
        ..Context::new(ws, Mode::Static, false)
    };
    // The search index is named by its content, so that browsers may keep it: the board's
    // pages name it, and the script loads it on the first search.
    let index = page::index_js(found, &ctx);
    let index_name = page::index_name(&index);
    ctx.index = Some(index_name.clone());
    let pages = board_pages(found);
    let stories: Vec<String> = found
        .iter()
        .map(|f| format!("e/{}.html", names.of(&f.record.id)))
        .collect();
    let mut written: Vec<String> = [
        "index.html",
        "cards.html",
        "assets/xp.css",
        "assets/xp.js",
        &index_name,
    ]
    .into_iter()
    .map(str::to_owned)
    .chain(pages.iter().map(|(name, _)| name.clone()))
    .chain(stories.iter().cloned())
    .collect();
    written.sort();
    // The list names every file this run may write before any is written, so that a run
    // stopped half way still leaves a folder the next run recognises and cleans.
    let mut listed: Vec<String> = written.iter().chain(&before).cloned().collect();
    listed.sort();
    listed.dedup();
    write_marker(&out, &listed)?;
    drop(listed);
    // Each page is written as it is made, so that the pages are never all in memory at once.
    let put = |rel: &str, bytes: &[u8]| write(&out, Path::new(rel), bytes);
    put(
        "index.html",
        page::board(found, broken, &Query::default(), &ctx).as_bytes(),
    )?;
    put("assets/xp.css", page::CSS.as_bytes())?;
    put("assets/xp.js", page::JS.as_bytes())?;
    put(&index_name, index.as_bytes())?;
    drop(index);
    // The board's pages are made on a second thread while this one makes the stories, and
    // that thread makes stories too once the board's pages are done: each story goes to the
    // first thread free. All only read the records and the histories, and each page is written
    // as soon as it is made. The second thread reads old versions of a record (a plan amended
    // since) through a handle on the repository of its own.
    let walker = ws.repo.as_ref().map(|repo| repo.walker()).transpose()?;
    let next = AtomicUsize::new(0);
    let make_stories = |blobs: Option<&ReadBlob>| -> Result<(), Error> {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(rel) = stories.get(i) else {
                return Ok(());
            };
            let made = histories
                .history(i, blobs)
                .and_then(|history| put(rel, page::story(&history, &ctx, false).as_bytes()));
            if made.is_err() {
                // The other thread stops at its next story.
                next.store(stories.len(), Ordering::Relaxed);
                return made;
            }
        }
    };
    std::thread::scope(|scope| {
        let (out, pages, ctx, make_stories) = (&out, &pages, &ctx, &make_stories);
        let second = scope.spawn(move || {
            write_boards(out, found, broken, pages, ctx)?;
            let read = walker.as_ref().map(|w| move |id| w.blob_bytes(id));
            make_stories(read.as_ref().map(|r| r as &ReadBlob))
        });
        let read = ws.repo.as_ref().map(|repo| move |id| repo.blob_bytes(id));
        let first = make_stories(read.as_ref().map(|r| r as &ReadBlob));
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        first.and(second)
    })?;
    drop(histories);
    let stale = remove_stale(&out, &before, &written)?;
    write_marker(&out, &written)?;
    if broken > 0 {
        ui.warning(&format!(
            "{broken} experiment file(s) break rules and are left out; `xp check` lists why"
        ));
    }
    ui.status(&format!(
        "wrote the board and {} stor{} to {}{}",
        count,
        if count == 1 { "y" } else { "ies" },
        ws.store.show(&out).display(),
        if stale > 0 {
            format!(" (removed {stale} file(s) it wrote before that are no longer part of it)")
        } else {
            String::new()
        }
    ));
    Ok(())
}

/// Both views of the whole board (`index.html` is the one that suits its size), and the
/// table's `pages`: all experiments, then each status.
fn write_boards(
    out: &Path,
    found: &[Item],
    broken: usize,
    pages: &[(String, Query)],
    ctx: &Context,
) -> Result<(), Error> {
    let cards = Query {
        view: Some(View::Cards),
        ..Query::default()
    };
    let put = |rel: &str, query: &Query| {
        let page = page::board(found, broken, query, ctx);
        write(out, Path::new(rel), page.as_bytes())
    };
    put("cards.html", &cards)?;
    for (name, query) in pages {
        put(name, query)?;
    }
    Ok(())
}

/// The table's pages beside the board: all experiments, then each status, each page by its
/// file name and query.
fn board_pages(found: &[Item]) -> Vec<(String, Query)> {
    let mut pages = Vec::new();
    for n in 1..=page::table_count(found, None) {
        let query = Query {
            view: Some(View::Table),
            page: n,
            ..Query::default()
        };
        let name = if n == 1 {
            "table.html".to_owned()
        } else {
            format!("table-{n}.html")
        };
        pages.push((name, query));
    }
    for status in Status::ALL {
        for n in 1..=page::table_count(found, Some(status)) {
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
            pages.push((name, query));
        }
    }
    pages
}

/// Writes `bytes` at `rel` under `out`, making its folder; the marker is synced to the disk,
/// the pages (which the next run writes again) are not. A page that already holds `bytes` is
/// left as it is: run again after a few changes, xp site replaces only the pages they change,
/// so that what publishes the folder sees only those.
fn write(out: &Path, rel: &Path, bytes: &[u8]) -> Result<(), Error> {
    let path = out.join(rel);
    let marker = rel == Path::new(MARKER);
    if !marker && holds(&path, bytes) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    if marker {
        store::write_atomic(&path, bytes)
    } else {
        store::write_replace(&path, bytes)
    }
}

/// Whether `path` is a file (not a link) whose content is `bytes`.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|old| old == bytes)
}

/// The file `xp site` leaves in its folder, listing the files it wrote there: the folder is
/// rewritten only while it is there, and only the files it lists are ever removed.
const MARKER: &str = ".xp-site";

/// What the marker says before the list.
const MARKER_HEAD: &str = "# Written by `xp site`: the files it wrote in this folder, one a line. It \
                           rewrites the folder only while this file is here, and removes only \
                           files listed.";

/// The files an earlier `xp site` wrote in `out` (none for a folder that is new or empty), or
/// an error for a folder xp site may not write into: one inside the experiments directory, a
/// file, or a folder that holds files of someone else's.
fn earlier_site(ws: &Workspace, given: &Path, out: &Path) -> Result<Vec<String>, Error> {
    let shown = given.display();
    if ws.in_experiments(out) {
        return Err(Error::failed(
            format!("{shown} is inside the experiments directory, where every file is a record"),
            "write the site elsewhere, e.g. `xp site -o site` beside the experiments directory",
        ));
    }
    let meta = match std::fs::metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(given, e)),
    };
    if !meta.is_dir() {
        return Err(Error::failed(
            format!("{shown} is a file, not a folder"),
            "name a new or empty folder for the site, e.g. `xp site -o site`",
        ));
    }
    match std::fs::read_to_string(out.join(MARKER)) {
        Ok(text) => Ok(text
            .lines()
            .filter(|l| !l.starts_with('#') && is_site_path(l))
            .map(str::to_owned)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut entries = std::fs::read_dir(out).map_err(|e| Error::io(given, e))?;
            if entries.next().is_none() {
                Ok(Vec::new())
            } else {
                Err(Error::failed(
                    format!("{shown} holds files that `xp site` did not write"),
                    format!(
                        "name a new or empty folder, so that nothing of yours is overwritten or \
                         removed; xp site writes again only into a folder it wrote before (it \
                         keeps the list of its files there, in {MARKER})"
                    ),
                ))
            }
        }
        Err(e) => Err(Error::io(out.join(MARKER), e)),
    }
}

/// Whether a line of the marker is a path xp site could have written: relative, with `/`,
/// no `..`, no hidden part.
fn is_site_path(line: &str) -> bool {
    !line.is_empty()
        && line
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.') && !part.contains('\\'))
}

/// Writes the marker listing `files`.
fn write_marker(out: &Path, files: &[String]) -> Result<(), Error> {
    let mut text = format!("{MARKER_HEAD}\n");
    for f in files {
        text.push_str(f);
        text.push('\n');
    }
    write(out, Path::new(MARKER), text.as_bytes())
}

/// Removes the files an earlier run wrote (`before`) that this one did not; returns how many.
fn remove_stale(out: &Path, before: &[String], written: &[String]) -> Result<usize, Error> {
    let written: HashSet<&String> = written.iter().collect();
    let mut removed = 0;
    for rel in before.iter().filter(|rel| !written.contains(rel)) {
        let path = out.join(rel);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            removed += 1;
        }
    }
    Ok(removed)
}
