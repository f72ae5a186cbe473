//! `xp update`: changes fields like the origin service's PATCH; status moves are checked and
//! logged, and the result must pass every rule or nothing is written.

use crate::commands::render;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, WriteOptions, update::Changes};
use crate::record::{Decision, Direction, Status};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    /// New title, 1 to 200 characters (the file keeps its name)
    #[arg(long)]
    pub title: Option<String>,
    /// What you expect to happen, and why
    #[arg(long)]
    pub hypothesis: Option<String>,
    /// The primary metric (e.g. signup_rate)
    #[arg(long, visible_alias = "primary-metric")]
    pub metric: Option<String>,
    /// The metric's value before the experiment
    #[arg(long, allow_negative_numbers = true)]
    pub baseline: Option<f64>,
    /// The value that would confirm the hypothesis
    #[arg(long, allow_negative_numbers = true)]
    pub target: Option<f64>,
    /// `decrease` when lower is better
    #[arg(long, value_enum)]
    pub direction: Option<Direction>,
    /// New status; moves outside draft->running|killed, running->completed|killed,
    /// completed->shipped|running, killed->draft need --force
    #[arg(long, value_enum)]
    pub status: Option<Status>,
    /// Whole number 0 to 100
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..=100))]
    pub confidence: Option<i64>,
    /// ship, iterate, kill, inconclusive, or null to clear
    #[arg(long, value_enum)]
    pub decision: Option<DecisionFlag>,
    /// What was learned; an empty text clears it
    #[arg(long)]
    pub learning: Option<String>,
    /// An empty text clears it
    #[arg(long)]
    pub owner: Option<String>,
    /// Sets the tags (repeat for several; replaces the list; `--tag ""` clears it)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Sets the links (repeat for several; replaces the list; `--link ""` clears it)
    #[arg(long = "link", value_name = "LINK")]
    pub links: Vec<String>,
    /// The measured value of the primary metric; `null` or an empty text clears it
    #[arg(long, allow_negative_numbers = true, value_parser = observed, value_name = "NUMBER")]
    pub observed: Option<Observed>,
    /// A note for the decision log (required when killing)
    #[arg(short = 'm', long = "message", value_name = "NOTE")]
    pub message: Option<String>,
    /// Allow any status move
    #[arg(long)]
    pub force: bool,
    /// Why the plan (hypothesis, metric, baseline, target, direction) changes after the
    /// experiment ran; logged as `amended: FIELD OLD -> NEW: REASON`
    #[arg(long, value_name = "REASON")]
    pub amend: Option<String>,
    /// Who makes the change (default: git's user.name, else $USER)
    #[arg(long)]
    pub who: Option<String>,
    /// Write the file without committing it
    #[arg(long)]
    pub no_commit: bool,
}

/// A decision, or `null` to clear it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecisionFlag {
    Ship,
    Iterate,
    Kill,
    Inconclusive,
    Null,
}

impl DecisionFlag {
    fn decision(self) -> Option<Decision> {
        match self {
            DecisionFlag::Ship => Some(Decision::Ship),
            DecisionFlag::Iterate => Some(Decision::Iterate),
            DecisionFlag::Kill => Some(Decision::Kill),
            DecisionFlag::Inconclusive => Some(Decision::Inconclusive),
            DecisionFlag::Null => None,
        }
    }
}

/// `--observed`: a finite number, or none to clear it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed(Option<f64>);

fn observed(text: &str) -> Result<Observed, String> {
    let text = text.trim();
    if text.is_empty() || text == "null" {
        return Ok(Observed(None));
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Observed(Some(x))),
        _ => Err(format!(
            "`{text}` is not a finite number; write it in digits, like 3.9, or `null` to clear it"
        )),
    }
}

/// An empty text clears a value.
fn clearable(flag: Option<String>) -> Option<Option<String>> {
    flag.map(|v| Some(v).filter(|s| !s.is_empty()))
}

/// A list flag: not given leaves the list; empty texts are dropped, so `--tag ""` clears it.
fn list(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| {
        values
            .into_iter()
            .filter(|v| !v.trim().is_empty())
            .collect()
    })
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let changes = Changes {
        title: args.title,
        hypothesis: args.hypothesis,
        primary_metric: args.metric,
        baseline: args.baseline,
        target: args.target,
        direction: args.direction,
        status: args.status,
        confidence: args.confidence,
        decision: args.decision.map(DecisionFlag::decision),
        learning: clearable(args.learning),
        owner: clearable(args.owner),
        tags: list(args.tags),
        links: list(args.links),
        observed: args.observed.map(|o| o.0),
        note: args.message,
        force: args.force,
        amend: args.amend,
        who: args.who,
    };
    let options = WriteOptions {
        commit: !args.no_commit,
    };
    let mut notices = Vec::new();
    let result = ops::update::update(ws, &mut notices, &args.reference, changes, options);
    render::notices(ui, &notices);
    result.map(drop)
}
