//! `xp search`: full-text search over experiments, best match first, each with an excerpt of
//! where it matched.

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::commands::render::{self, out};
use crate::error::Error;
use crate::learn::search::{Excerpt, Place};
use crate::ops::workspace::Workspace;
use crate::ops::{self, search::SearchHit, search::SearchInput};
use crate::record::{Decision, Status};
use crate::text;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words to look for in titles, hypotheses, metrics, learnings, tags and notes
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    pub query: Vec<String>,
    /// Only these statuses (repeat for several)
    #[arg(long, value_enum)]
    pub status: Vec<Status>,
    /// Only experiments with this primary metric
    #[arg(long, visible_alias = "primary-metric")]
    pub metric: Option<String>,
    /// Only experiments with this tag
    #[arg(long)]
    pub tag: Option<String>,
    /// At most this many hits
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: u64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// The matched words on a terminal.
const MATCH: Style = AnsiColor::Yellow.on_default().bold();

#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    slug: &'a str,
    path: String,
    title: &'a str,
    status: Status,
    decision: Option<Decision>,
    observed: Option<f64>,
    lift: Option<f64>,
    target_met: Option<bool>,
    improved: Option<bool>,
    score: f64,
    /// Where it matched: title, tags, metric, hypothesis, learning or note.
    place: Place,
    excerpt: &'a str,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let input = SearchInput {
        query: args.query.join(" "),
        statuses: args.status,
        metric: args.metric,
        tag: args.tag,
        limit: usize::try_from(args.limit).unwrap_or(usize::MAX),
    };
    let mut notices = Vec::new();
    let result = ops::search::search(ws, &mut notices, &input);
    render::notices(ui, &notices);
    let hits = result?;
    match args.format {
        Format::Json => out(ui.json(&hits.iter().map(row).collect::<Vec<_>>())),
        Format::Table => {
            if hits.is_empty() {
                ui.status(&format!("no experiment matches `{}`", input.query));
            }
            let styled = ui.out_styled();
            out(ui.data(&table(&hits, styled)))
        }
    }
}

fn row(hit: &SearchHit) -> Row<'_> {
    let r = &hit.found.record;
    Row {
        id: &r.id,
        slug: &hit.found.loaded.slug,
        path: hit.found.loaded.shown.to_string_lossy().into_owned(),
        title: &r.title,
        status: r.status,
        decision: r.decision,
        observed: r.observed,
        lift: r.lift(),
        target_met: r.target_met(),
        improved: r.improved(),
        score: hit.score,
        place: hit.excerpt.place,
        excerpt: &hit.excerpt.text,
    }
}

/// Each hit on two lines: slug, status, decision and lift; then where it matched.
fn table(hits: &[SearchHit], styled: bool) -> String {
    let width = |f: &dyn Fn(&SearchHit) -> usize| hits.iter().map(f).max().unwrap_or(0);
    let slug_w = width(&|h| text::terminal(&h.found.loaded.slug).chars().count());
    let status_w = width(&|h| h.found.record.status.as_str().len());
    let decision_w = width(&|h| decision(h).len());
    let mut out = String::new();
    for h in hits {
        let r = &h.found.record;
        let lift = r.lift_shown().unwrap_or_else(|| "-".to_owned());
        let line = format!(
            "{:slug_w$}  {:status_w$}  {:decision_w$}  {lift}",
            text::terminal(&h.found.loaded.slug),
            r.status.as_str(),
            decision(h),
        );
        out.push_str(line.trim_end());
        out.push('\n');
        out.push_str(&format!(
            "    {}: {}\n",
            h.excerpt.place.as_str(),
            marked(&h.excerpt, styled)
        ));
    }
    out
}

fn decision(hit: &SearchHit) -> &'static str {
    hit.found.record.decision.map_or("-", |d| d.as_str())
}

/// The excerpt, escaped for the terminal, with its matches highlighted when `styled`.
fn marked(excerpt: &Excerpt, styled: bool) -> String {
    if !styled {
        return text::terminal(&excerpt.text).into_owned();
    }
    let mut out = String::new();
    let mut at = 0;
    for m in &excerpt.marks {
        let (Some(before), Some(word)) =
            (excerpt.text.get(at..m.start), excerpt.text.get(m.clone()))
        else {
            continue;
        };
        out.push_str(&format!(
            "{}{MATCH}{}{MATCH:#}",
            text::terminal(before),
            text::terminal(word)
        ));
        at = m.end;
    }
    out.push_str(&text::terminal(excerpt.text.get(at..).unwrap_or("")));
    out
}
