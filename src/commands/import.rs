//! `xp import`: experiments from the origin service's CSV export or JSON list, xp's own JSON
//! or JSONL export, or a spreadsheet's CSV, each with its id and whole decision log, one
//! commit each.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::commands::render::{self, out};
use crate::error::Error;
use crate::fetch;
use crate::import::{self, Format, Mapping, Problem, Rule};
use crate::ops::import::{ImportError, Imported, Options};
use crate::ops::workspace::Workspace;
use crate::text::terminal;
use crate::ui::Ui;

/// Largest input read, from a file, stdin or the network.
const MAX_INPUT: usize = 512 << 20;

/// Most problems listed one by one; the rest are counted.
const MAX_SHOWN: usize = 100;

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["file", "from_url"]))]
pub struct Args {
    /// The file to import (`-` for stdin): CSV, a JSON array, or JSONL
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Fetch `GET /experiments` from a running origin service (plain http://)
    #[arg(long, value_name = "URL")]
    pub from_url: Option<String>,
    /// The input's format (default: told from the content)
    #[arg(long, value_enum)]
    pub format: Option<InputFormat>,
    /// Columns (or keys) under other names: `title=Name,primary_metric=Metric`
    #[arg(long, value_name = "KEY=COLUMN,...")]
    pub map: Vec<String>,
    /// A column (or key) to leave out on purpose; repeat for more
    #[arg(long, value_name = "COLUMN")]
    pub ignore: Vec<String>,
    /// Import the valid rows and report the others, instead of importing nothing
    #[arg(long)]
    pub skip_invalid: bool,
    /// Say what would be created, and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    Csv,
    Json,
    Jsonl,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let mut renames = Vec::new();
    for list in &args.map {
        renames
            .extend(Mapping::parse_renames(list).map_err(|e| Error::usage(format!("--map: {e}")))?);
    }
    let mapping = Mapping {
        renames,
        ignored: args.ignore.clone(),
    };
    let format = args.format.map(|f| match f {
        InputFormat::Csv => Format::Csv,
        InputFormat::Json => Format::Json,
        InputFormat::Jsonl => Format::Jsonl,
    });
    let (source, bytes) = input(&args, ws)?;
    let parsed = import::parse(&bytes, format, &mapping);
    drop(bytes);
    let options = Options {
        skip_invalid: args.skip_invalid,
        dry_run: args.dry_run,
    };
    let mut notices = Vec::new();
    let result = crate::ops::import::import(ws, &mut notices, parsed, options);
    render::notices(ui, &notices);
    match result {
        Ok(imported) => report(ui, &source, &imported, args.dry_run),
        Err(ImportError::Failed(e)) => Err(e),
        Err(ImportError::Invalid { problems, rows }) => {
            ui.err_raw(&problem_lines(&source, &problems));
            let rows_with = rows_with_problems(&problems);
            let within = match rows_with {
                0 => String::new(),
                n => format!(" in {n} of {rows} row{}", plural(rows)),
            };
            Err(Error::failed(
                format!(
                    "{} problem{}{within}; nothing was imported",
                    problems.len(),
                    plural(problems.len()),
                ),
                "fix each place named above and run the import again, or add --skip-invalid \
                 to import the valid rows",
            ))
        }
    }
}

/// Where the input comes from (as messages name it) and its bytes.
fn input(args: &Args, ws: &Workspace) -> Result<(String, Vec<u8>), Error> {
    if let Some(url) = &args.from_url {
        let mut url = fetch::Url::parse(url).map_err(|e| Error::usage(e.to_string()))?;
        if !url.path.trim_end_matches('/').ends_with("/experiments") {
            url.path = format!("{}/experiments", url.path.trim_end_matches('/'));
        }
        let shown = format!("http://{}{}", url.authority(), url.path);
        let body = fetch::get(&url, "application/json", MAX_INPUT).map_err(|e| {
            Error::failed(
                e.to_string(),
                "give the address of a running service, e.g. --from-url http://127.0.0.1:8000",
            )
        })?;
        return Ok((shown, body));
    }
    let file = args.file.as_deref().unwrap_or(Path::new("-"));
    let mut bytes = Vec::new();
    let limited = |reader: &mut dyn Read, bytes: &mut Vec<u8>| {
        reader.take(MAX_INPUT as u64 + 1).read_to_end(bytes)
    };
    if file == Path::new("-") {
        limited(&mut std::io::stdin(), &mut bytes).map_err(|e| Error::io("<stdin>", e))?;
    } else {
        let path = ws.user_path(file);
        let mut reader = std::fs::File::open(&path).map_err(|e| {
            Error::failed(
                format!("cannot read {}: {}", file.display(), e.kind()),
                "name the exported file, or `-` to read standard input",
            )
        })?;
        limited(&mut reader, &mut bytes).map_err(|e| Error::io(file, e))?;
    }
    if bytes.len() > MAX_INPUT {
        return Err(Error::failed(
            format!("{} is larger than {MAX_INPUT} bytes", file.display()),
            "split it into smaller files and import each",
        ));
    }
    let shown = if file == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        file.display().to_string()
    };
    Ok((shown, bytes))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How many rows (of the data, not the header) have a problem.
fn rows_with_problems(problems: &[Problem]) -> usize {
    let rows: std::collections::HashSet<&import::Place> = problems
        .iter()
        .map(|p| &p.spot.place)
        .filter(|place| {
            !matches!(
                place,
                import::Place::File { .. } | import::Place::Row { row: 1, .. }
            )
        })
        .collect();
    rows.len()
}

/// Each problem as `SOURCE: PLACE: error[rule]: message`, then its hint; past [`MAX_SHOWN`] the
/// rest are counted.
fn problem_lines(source: &str, problems: &[Problem]) -> String {
    let mut out = String::new();
    for p in problems.iter().take(MAX_SHOWN) {
        out.push_str(&format!(
            "{}: {}: error[{}]: {}\n",
            terminal(source),
            terminal(&p.spot.to_string()),
            p.rule.name(),
            terminal(&p.message)
        ));
        let hint = match (p.rule, &p.spot.column) {
            (Rule::UnknownColumn, Some((_, name))) => Some(format!(
                "{}map it with --map KEY={name}, or leave it out with --ignore {name}",
                p.hint
                    .as_deref()
                    .map(|h| format!("{h} "))
                    .unwrap_or_default()
            )),
            _ => p.hint.clone(),
        };
        if let Some(hint) = hint {
            out.push_str(&format!("  hint: {}\n", terminal(&hint)));
        }
    }
    if problems.len() > MAX_SHOWN {
        out.push_str(&format!(
            "... and {} more problem{}\n",
            problems.len() - MAX_SHOWN,
            plural(problems.len() - MAX_SHOWN)
        ));
    }
    out
}

/// `ID PATH` on stdout for each experiment created (or, in a dry run, to be created); what was
/// present or left out, and the count, on stderr.
fn report(ui: &mut Ui, source: &str, imported: &Imported, dry_run: bool) -> Result<(), Error> {
    if !imported.skipped.is_empty() {
        ui.err_raw(&problem_lines(source, &imported.skipped));
    }
    let mut data = String::new();
    for created in &imported.created {
        data.push_str(&format!(
            "{} {}\n",
            created.record.id,
            terminal(&created.shown.to_string_lossy())
        ));
    }
    out(ui.data(&data))?;
    for present in &imported.present {
        ui.note(&format!(
            "{}: {}: id {} is already in {}{}",
            source,
            import_place(&present.place),
            present.id,
            present.shown.display(),
            if present.same {
                ""
            } else {
                " (left as it is there; the input differs)"
            }
        ));
    }
    let created = imported.created.len();
    let mut summary = if dry_run {
        format!("would import {created} experiment{}", plural(created))
    } else {
        let commits = imported
            .created
            .iter()
            .filter(|c| c.commit.is_some())
            .count();
        let mut text = format!("imported {created} experiment{}", plural(created));
        if commits > 0 {
            text.push_str(&format!(" ({commits} commit{})", plural(commits)));
        }
        text
    };
    if !imported.present.is_empty() {
        summary.push_str(&format!(", {} already present", imported.present.len()));
    }
    if imported.skipped_rows > 0 {
        summary.push_str(&format!(
            ", {} row{} left out for {} problem{}",
            imported.skipped_rows,
            plural(imported.skipped_rows),
            imported.skipped.len(),
            plural(imported.skipped.len())
        ));
    }
    ui.status(&format!("{summary} from {source}"));
    Ok(())
}

fn import_place(place: &import::Place) -> String {
    import::Spot {
        place: place.clone(),
        key: None,
        column: None,
        inner: String::new(),
    }
    .to_string()
}
