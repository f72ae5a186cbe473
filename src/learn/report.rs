//! The learning report: decided experiments grouped by primary metric, and its Markdown for a
//! wiki page or a sprint review, every text from a record escaped so that it reads as written.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::record::lifecycle;
use crate::record::texts::Note;
use crate::record::{self, Decision, Record, Status};
use crate::text::{markdown as escape, markdown_code_cell};
use crate::time::parse_utc;

/// The decided experiments, by primary metric (in name order).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Only experiments decided at or after this time.
    pub since: Option<String>,
    pub metrics: Vec<Metric>,
}

/// The experiments of one primary metric, in the order they were decided.
#[derive(Debug, Clone, Serialize)]
pub struct Metric {
    pub metric: String,
    pub experiments: Vec<Learned>,
}

/// One decided experiment and what came of it.
#[derive(Debug, Clone, Serialize)]
pub struct Learned {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub status: Status,
    pub decision: Decision,
    pub observed: Option<f64>,
    pub lift: Option<f64>,
    pub target_met: Option<bool>,
    /// Whether observed moved the way the metric should ([`Record::improved`]).
    pub improved: Option<bool>,
    pub learning: Option<String>,
    /// What its results measured: the best treatment against the control; null without
    /// results.
    pub measured: Option<Measured>,
    /// Why it was killed: the reason logged with its move to killed; null for the others.
    pub reason: Option<String>,
    /// When it reached its status: the log entry of that move, else its last entry.
    pub decided_at: Option<String>,
}

/// The measured lift of an experiment's best treatment, with its 95% interval.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    pub variant: String,
    pub lift: Option<f64>,
    pub lift_interval: Option<[f64; 2]>,
    pub p_value: Option<f64>,
    pub chance_to_beat_control: Option<f64>,
    /// The summary `xp show` gives: `+15.9% better [+0.1%, +34.3%], p = 0.048, ...`.
    pub summary: Option<String>,
}

fn measured(r: &Record) -> Option<Measured> {
    let e = r.evidence()?;
    let best = e.best()?;
    Some(Measured {
        variant: best.name.clone(),
        lift: best.lift,
        lift_interval: best.lift_interval,
        p_value: best.p_value,
        chance_to_beat_control: best.chance_to_beat_control,
        summary: best.summary(),
    })
}

/// Whether an experiment counts as decided: completed or shipped with a decision, or killed
/// (decided `kill` when its decision is null, as in records killed before xp set it).
fn decided(r: &Record) -> Option<Decision> {
    matches!(
        r.status,
        Status::Completed | Status::Shipped | Status::Killed
    )
    .then(|| lifecycle::decided(r))
    .flatten()
}

/// Why a killed experiment was killed: the reason logged with its last move to killed.
fn kill_reason(r: &Record) -> Option<String> {
    if r.status != Status::Killed {
        return None;
    }
    r.decision_log
        .iter()
        .rev()
        .find_map(|e| match Note::read(&e.note) {
            Note::Moved {
                to: Status::Killed,
                why,
                ..
            } => Some(why.map(str::to_owned)),
            _ => None,
        })?
}

/// The time of the log entry that moved the experiment to its status, else of its last entry.
fn decided_at(r: &Record) -> Option<DateTime<Utc>> {
    let entry = r
        .decision_log
        .iter()
        .rev()
        .find(|e| matches!(Note::read(&e.note), Note::Moved { to, .. } if to == r.status))
        .or(r.decision_log.last())?;
    parse_utc(&entry.at)
}

/// The report of the experiments (slug and record) decided since `since` (all when `None`).
pub fn build(experiments: Vec<(String, Record)>, since: Option<DateTime<Utc>>) -> Report {
    let mut rows: Vec<(String, Option<DateTime<Utc>>, Learned)> = experiments
        .into_iter()
        .filter_map(|(slug, r)| {
            let decision = decided(&r)?;
            let at = decided_at(&r);
            if let Some(since) = since
                && at.is_none_or(|at| at < since)
            {
                return None;
            }
            Some((
                r.primary_metric.clone(),
                at,
                Learned {
                    lift: r.lift(),
                    target_met: r.target_met(),
                    improved: r.improved(),
                    reason: kill_reason(&r),
                    measured: measured(&r),
                    id: r.id,
                    slug,
                    title: r.title,
                    status: r.status,
                    decision,
                    observed: r.observed,
                    learning: r.learning,
                    decided_at: at.map(crate::time::format_time),
                },
            ))
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, a.1, &a.2.slug).cmp(&(&b.0, b.1, &b.2.slug)));
    let mut metrics: Vec<Metric> = Vec::new();
    for (metric, _, learned) in rows {
        match metrics.last_mut() {
            Some(m) if m.metric == metric => m.experiments.push(learned),
            _ => metrics.push(Metric {
                metric,
                experiments: vec![learned],
            }),
        }
    }
    Report {
        since: since.map(crate::time::format_time),
        metrics,
    }
}

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
        // The measured column appears once some experiment of the metric has results.
        let measured = m.experiments.iter().any(|e| e.measured.is_some());
        let (head, rule) = if measured {
            (" measured |", " --- |")
        } else {
            ("", "")
        };
        out.push_str(&format!(
            "| experiment | status | decision | lift |{head} target | learning |\n"
        ));
        out.push_str(&format!("| --- | --- | --- | --- |{rule} --- | --- |\n"));
        for e in &m.experiments {
            let target = match e.target_met {
                Some(true) => "met",
                Some(false) => "missed",
                None => "-",
            };
            let said = if measured {
                let cell = e
                    .measured
                    .as_ref()
                    .and_then(|m| Some(format!("{}: {}", m.variant, m.summary.as_deref()?)));
                format!(" {} |", cell.map_or("-".to_owned(), |c| escape(&c)))
            } else {
                String::new()
            };
            out.push_str(&format!(
                "| {} ({}) | {} | {} | {} |{said} {target} | {} |\n",
                escape(&e.title),
                markdown_code_cell(&e.slug),
                e.status.as_str(),
                e.decision.as_str(),
                e.lift
                    .map_or("-".to_owned(), |lift| record::judged(lift, e.improved)),
                learned(e),
            ));
        }
    }
    out
}

/// The learning cell: the learning, and for a killed experiment why it was killed.
fn learned(e: &Learned) -> String {
    let killed = e
        .reason
        .as_deref()
        .map(|why| format!("killed: {}", escape(why)));
    match (e.learning.as_deref().map(escape), killed) {
        (Some(learning), Some(killed)) => format!("{learning} ({killed})"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "-".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn killed(decision: Option<Decision>, learning: Option<&str>) -> (String, Record) {
        let entry = |note: &str| crate::record::LogEntry {
            at: "2026-02-22T18:30:00.000Z".into(),
            who: None,
            note: note.into(),
        };
        let record = Record {
            id: "3f9c2a71-5b1e-4d8a-9c0f-7e2b6d4a1c58".into(),
            title: "Checkout".into(),
            primary_metric: "m".into(),
            status: Status::Killed,
            decision,
            learning: learning.map(str::to_owned),
            decision_log: vec![
                entry("status: draft -> running"),
                entry("status: running -> killed: broke *checkout*"),
            ],
            ..Record::default()
        };
        ("checkout".into(), record)
    }

    /// A killed experiment is listed with the reason of its kill, also when it was killed
    /// without a decision (before xp set `kill` on the move).
    #[test]
    fn killed_experiments_are_listed_with_why() {
        let report = build(vec![killed(None, None)], None);
        let e = &report.metrics[0].experiments[0];
        assert_eq!(e.decision, Decision::Kill);
        assert_eq!(e.reason.as_deref(), Some("broke *checkout*"));
        let text = markdown(&report);
        assert!(
            text.contains("| killed | kill | - | - | killed: broke \\*checkout\\* |"),
            "{text}"
        );
        let with_learning = markdown(&build(
            vec![killed(Some(Decision::Kill), Some("Slow"))],
            None,
        ));
        assert!(
            with_learning.contains("| Slow (killed: broke \\*checkout\\*) |"),
            "{with_learning}"
        );
    }
}
