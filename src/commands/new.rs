//! `xp new`: creates a record from flags or from a JSON/YAML payload like the origin
//! service's `POST /experiments`.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::commands::{out, render};
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{
    self, WriteOptions,
    create::{Draft, Source},
};
use crate::record::{Direction, Status};
use crate::store;
use crate::ui::Ui;

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
    #[arg(long, value_enum)]
    pub direction: Option<Direction>,
    /// Who owns the experiment (a person or a team)
    #[arg(long)]
    pub owner: Option<String>,
    /// A tag; repeat for several
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// A link (URL or text); repeat for several
    #[arg(long = "link", value_name = "LINK")]
    pub links: Vec<String>,
    /// Initial status (default draft); later moves are `xp update`'s
    #[arg(long, value_enum)]
    pub status: Option<NewStatus>,
    /// Read the record from a JSON or YAML file (`-` for stdin) instead of flags
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "title", "hypothesis", "metric", "baseline", "target", "direction", "owner", "tags",
        "links", "status",
    ])]
    pub from: Option<PathBuf>,
    /// Write the file without committing it
    #[arg(long)]
    pub no_commit: bool,
    /// Do not list existing experiments that look like this one
    #[arg(short, long)]
    pub quiet: bool,
}

/// The statuses an experiment can start in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NewStatus {
    Draft,
    Running,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let options = WriteOptions {
        commit: !args.no_commit,
    };
    let quiet = args.quiet;
    let source = match &args.from {
        Some(from) => payload(from, ws)?,
        None => Source::Draft(draft(args)?),
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

fn draft(args: Args) -> Result<Draft, Error> {
    let missing = |flag: &str| Error::usage(format!("--{flag} is required"));
    Ok(Draft {
        title: args.title.ok_or_else(|| missing("title"))?,
        hypothesis: args.hypothesis.ok_or_else(|| missing("hypothesis"))?,
        primary_metric: args.metric.ok_or_else(|| missing("metric"))?,
        baseline: args.baseline.ok_or_else(|| missing("baseline"))?,
        target: args.target.ok_or_else(|| missing("target"))?,
        direction: args.direction,
        owner: args.owner,
        tags: args.tags,
        links: args.links,
        status: args.status.map(|s| match s {
            NewStatus::Draft => Status::Draft,
            NewStatus::Running => Status::Running,
        }),
    })
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
