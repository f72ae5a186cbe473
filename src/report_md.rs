//! The learning report as Markdown for a wiki page or a sprint review, every text from a
//! record escaped so that it reads as written.

use crate::ops::report::Report;
use crate::record;
use crate::text::{markdown as escape, markdown_code_cell};

/// The report as Markdown: a heading, then per primary metric a table of its experiments
/// with decision, lift and learning.
pub fn markdown(report: &Report) -> String {
    let count: usize = report.metrics.iter().map(|m| m.experiments.len()).sum();
    let mut out = String::from("# What we learned\n\n");
    let since = report
        .since
        .as_deref()
        .map(|s| format!(" since {}", s.get(..10).unwrap_or(s)))
        .unwrap_or_default();
    if count == 0 {
        out.push_str(&format!("No experiment was decided{since}.\n"));
        return out;
    }
    out.push_str(&format!(
        "{count} decided experiment{}{since}, by primary metric.\n",
        if count == 1 { "" } else { "s" }
    ));
    for m in &report.metrics {
        out.push_str(&format!("\n## {}\n\n", escape(&m.metric)));
        out.push_str("| experiment | status | decision | lift | target | learning |\n");
        out.push_str("| --- | --- | --- | --- | --- | --- |\n");
        for e in &m.experiments {
            let target = match e.target_met {
                Some(true) => "met",
                Some(false) => "missed",
                None => "-",
            };
            out.push_str(&format!(
                "| {} ({}) | {} | {} | {} | {target} | {} |\n",
                escape(&e.title),
                markdown_code_cell(&e.slug),
                e.status.as_str(),
                e.decision.as_str(),
                e.lift.map_or("-".to_owned(), record::percent),
                e.learning.as_deref().map_or("-".to_owned(), escape),
            ));
        }
    }
    out
}
