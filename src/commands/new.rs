//! `xp new`: creates a record from flags or from a JSON/YAML payload like the origin
//! service's `POST /experiments`.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::commands::{Change, Workspace, would_break};
use crate::error::Error;
use crate::record::{Direction, Record, Status};
use crate::rules;
use crate::ui::Ui;
use crate::yaml_edit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Title, 1 to 200 characters; the file name is made from it
    #[arg(long, required_unless_present = "from")]
    pub title: Option<String>,
    /// What you expect to happen, and why
    #[arg(long, required_unless_present = "from")]
    pub hypothesis: Option<String>,
    /// The primary metric (e.g. signup_rate)
    #[arg(
        long,
        visible_alias = "primary-metric",
        required_unless_present = "from"
    )]
    pub metric: Option<String>,
    /// The metric's value today
    #[arg(long, required_unless_present = "from", allow_negative_numbers = true)]
    pub baseline: Option<f64>,
    /// The value that would confirm the hypothesis
    #[arg(long, required_unless_present = "from", allow_negative_numbers = true)]
    pub target: Option<f64>,
    /// `decrease` when lower is better
    #[arg(long, value_parser = ["increase", "decrease"])]
    pub direction: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    /// A tag; repeat for several
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// A link (URL or text); repeat for several
    #[arg(long = "link", value_name = "LINK")]
    pub links: Vec<String>,
    /// Initial status (default draft)
    #[arg(long, value_parser = ["draft", "running", "completed", "killed", "shipped"])]
    pub status: Option<String>,
    /// Read the record from a JSON or YAML file (`-` for stdin) instead of flags
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "title", "hypothesis", "metric", "baseline", "target", "direction", "owner", "tags",
        "links", "status",
    ])]
    pub from: Option<PathBuf>,
    /// Write the file without committing it
    #[arg(long)]
    pub no_commit: bool,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let record = match &args.from {
        Some(from) => from_payload(from, ws, &id)?,
        None => from_flags(&args, id)?,
    };
    let text = yaml_edit::render_record(&record);
    let checked = rules::check_bytes(Path::new("new record"), text.as_bytes());
    if !checked.problems.is_empty() {
        return Err(would_break(&checked.problems));
    }
    ws.store.check_dir()?;
    let _lock = ws.lock(ui)?;
    let path = ws.store.new_path(&record.title)?;
    let slug = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let change = Change {
        subject: format!("xp: new {slug}"),
        body: record.title.clone(),
        id: record.id.clone(),
    };
    ws.save(ui, &path, None, text.as_bytes(), &change, !args.no_commit)?;
    ui.data(&format!(
        "{} {}\n",
        record.id,
        ws.store.show(&path).display()
    ))
    .map_err(|e| Error::io("stdout", e))?;
    Ok(())
}

fn from_flags(args: &Args, id: String) -> Result<Record, Error> {
    let required = |value: &Option<String>, flag: &str| {
        value
            .clone()
            .ok_or_else(|| Error::usage(format!("--{flag} is required")))
    };
    let number = |value: Option<f64>, flag: &str| match value {
        Some(x) if x.is_finite() => Ok(x),
        Some(_) => Err(Error::usage(format!("--{flag} must be a finite number"))),
        None => Err(Error::usage(format!("--{flag} is required"))),
    };
    Ok(Record {
        id,
        title: required(&args.title, "title")?,
        hypothesis: required(&args.hypothesis, "hypothesis")?,
        primary_metric: required(&args.metric, "metric")?,
        baseline: number(args.baseline, "baseline")?,
        target: number(args.target, "target")?,
        status: args
            .status
            .as_deref()
            .and_then(Status::parse)
            .unwrap_or_default(),
        confidence: 0,
        decision: None,
        learning: None,
        direction: args.direction.as_deref().and_then(Direction::parse),
        owner: args.owner.clone(),
        tags: (!args.tags.is_empty()).then(|| args.tags.clone()),
        links: (!args.links.is_empty()).then(|| args.links.clone()),
        decision_log: Vec::new(),
    })
}

/// Reads a payload like the origin service's POST body; its problems point into the payload.
fn from_payload(from: &Path, ws: &Workspace, id: &str) -> Result<Record, Error> {
    let (shown, bytes) = if from == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io("<stdin>", e))?;
        (PathBuf::from("<stdin>"), bytes)
    } else {
        let path = ws.env.cwd.join(from);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(from, e))?;
        (from.to_owned(), bytes)
    };
    let checked = rules::check_payload(&shown, &bytes, id);
    match checked.record {
        Some(record) => Ok(record),
        None => Err(Error::Problems {
            problems: checked.problems,
            hint: Some("nothing was written; fix the payload and run the command again".into()),
        }),
    }
}
