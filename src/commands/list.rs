//! `xp list`: one line per experiment.

use serde::Serialize;

use crate::commands::{Workspace, problems_of, render_problems};
use crate::error::Error;
use crate::record::{Decision, Status};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only these statuses (repeat for several)
    #[arg(long, value_parser = ["draft", "running", "completed", "killed", "shipped"])]
    pub status: Vec<String>,
    /// Only this decision
    #[arg(long, value_parser = ["ship", "iterate", "kill", "inconclusive"])]
    pub decision: Option<String>,
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
struct Row<'a> {
    id: &'a str,
    slug: &'a str,
    path: String,
    status: Status,
    decision: Option<Decision>,
    confidence: i64,
    title: &'a str,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let all = ws.store.load_all()?;
    let problems = problems_of(&all);
    let statuses: Vec<Status> = args
        .status
        .iter()
        .filter_map(|s| Status::parse(s))
        .collect();
    let decision = args.decision.as_deref().and_then(Decision::parse);
    let rows: Vec<Row> = all
        .iter()
        .filter_map(|l| l.checked.record.as_ref().map(|r| (l, r)))
        .filter(|(_, r)| statuses.is_empty() || statuses.contains(&r.status))
        .filter(|(_, r)| decision.is_none() || r.decision == decision)
        .filter(|(_, r)| args.tag.as_deref().is_none_or(|t| r.has_tag(t)))
        .map(|(l, r)| Row {
            id: &r.id,
            slug: &l.slug,
            path: l.shown.to_string_lossy().into_owned(),
            status: r.status,
            decision: r.decision,
            confidence: r.confidence,
            title: &r.title,
        })
        .collect();
    let out = match args.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Ids => rows.iter().map(|r| format!("{}\n", r.id)).collect(),
        Format::Table => table(&rows),
    };
    ui.data(&out).map_err(|e| Error::io("stdout", e))?;
    if problems.is_empty() {
        return Ok(());
    }
    ui.err_raw(&render_problems(&all, &problems, ui));
    Err(Error::failed(
        format!(
            "{} experiment file(s) break rules and are not listed",
            all.iter().filter(|l| l.checked.record.is_none()).count()
        ),
        "fix them, then run `xp check`",
    ))
}

fn table(rows: &[Row]) -> String {
    let width = |f: &dyn Fn(&Row) -> usize| rows.iter().map(f).max().unwrap_or(0);
    let status_w = width(&|r| r.status_str().len());
    let decision_w = width(&|r| r.decision_str().len());
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "{}  {:status_w$}  {:decision_w$}  {:>3}  {}\n",
            r.id.get(..8).unwrap_or(r.id),
            r.status_str(),
            r.decision_str(),
            r.confidence,
            r.title
        ));
    }
    out
}

impl Row<'_> {
    fn status_str(&self) -> &'static str {
        self.status.as_str()
    }

    fn decision_str(&self) -> &'static str {
        self.decision.map_or("-", |d| d.as_str())
    }
}
