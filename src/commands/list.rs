//! `xp list`: one line per experiment.

use serde::Serialize;

use crate::commands::render::out;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, read::Filter};
use crate::record::{self, Decision, Status};
use crate::text;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these statuses (repeat for several)
    #[arg(long, value_enum)]
    pub status: Vec<Status>,
    /// Only this decision
    #[arg(long, value_enum)]
    pub decision: Option<Decision>,
    /// Only experiments with this tag
    #[arg(long)]
    pub tag: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Ids,
}

#[derive(Serialize)]
struct Row {
    id: String,
    slug: String,
    path: String,
    status: Status,
    decision: Option<Decision>,
    confidence: i64,
    title: String,
    observed: Option<f64>,
    lift: Option<f64>,
    target_met: Option<bool>,
    improved: Option<bool>,
    /// What the results say, as `xp show --format json` answers it.
    evidence: Option<crate::record::evidence::Evidence>,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let filter = Filter {
        statuses: args.status,
        decision: args.decision.map(Some),
        tag: args.tag,
        owner: None,
    };
    // Only each experiment's row is kept (a few hundred bytes), not its whole record.
    let mut rows: Vec<Row> = Vec::new();
    let listing = ops::read::list_each(ws, &filter, |f| {
        rows.push(Row {
            path: f.loaded.shown.to_string_lossy().into_owned(),
            slug: f.loaded.slug,
            status: f.record.status,
            decision: f.record.decision,
            confidence: f.record.confidence,
            observed: f.record.observed,
            lift: f.record.lift(),
            target_met: f.record.target_met(),
            improved: f.record.improved(),
            evidence: f.record.evidence(),
            id: f.record.id,
            title: f.record.title,
        })
    })?;
    out(match args.format {
        Format::Json => ui.json(&rows),
        Format::Ids => ui.data(
            &rows
                .iter()
                .map(|r| format!("{}\n", r.id))
                .collect::<String>(),
        ),
        Format::Table => ui.data(&table(&rows)),
    })?;
    if listing.problems.is_empty() {
        return Ok(());
    }
    Err(Error::Problems {
        problems: listing.problems,
        sources: listing.sources,
        message: Some(format!(
            "{} experiment file(s) break rules and are not listed",
            listing.broken
        )),
        hint: Some("fix them, then run `xp check`".into()),
    })
}

fn table(rows: &[Row]) -> String {
    let width = |f: &dyn Fn(&Row) -> usize| rows.iter().map(f).max().unwrap_or(0);
    let status_w = width(&|r| r.status_str().len());
    let decision_w = width(&|r| r.decision_str().len());
    // The lift column appears once some experiment has a result.
    let lifts = rows.iter().any(|r| r.observed.is_some());
    let lift_w = width(&|r| r.lift_str().len());
    let mut out = String::new();
    for r in rows {
        let lift = if lifts {
            format!("  {:>lift_w$}", r.lift_str())
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{}  {:status_w$}  {:decision_w$}  {:>3}{lift}  {}\n",
            r.id.get(..8).unwrap_or(&r.id),
            r.status_str(),
            r.decision_str(),
            r.confidence,
            text::terminal(&r.title)
        ));
    }
    out
}

impl Row {
    fn status_str(&self) -> &'static str {
        self.status.as_str()
    }

    fn decision_str(&self) -> &'static str {
        self.decision.map_or("-", |d| d.as_str())
    }

    fn lift_str(&self) -> String {
        self.lift
            .map_or("-".to_owned(), |lift| record::judged(lift, self.improved))
    }
}
