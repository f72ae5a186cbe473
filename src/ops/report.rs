//! What the team learned: decided experiments grouped by primary metric, for a wiki page or a
//! sprint review.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::Error;
use crate::ops::Notice;
use crate::ops::read::{self, Filter};
use crate::record::{Decision, Record, Status};
use crate::rules::parse_utc;
use crate::workspace::Workspace;

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
    pub learning: Option<String>,
    /// When it reached its status: the log entry of that move, else its last entry.
    pub decided_at: Option<String>,
}

/// Whether an experiment counts as decided: completed, shipped or killed, with a decision.
fn decided(r: &Record) -> Option<Decision> {
    matches!(
        r.status,
        Status::Completed | Status::Shipped | Status::Killed
    )
    .then_some(r.decision)
    .flatten()
}

/// The time of the log entry that moved the experiment to its status, else of its last entry.
fn decided_at(r: &Record) -> Option<DateTime<Utc>> {
    let moved = format!("-> {}", r.status.as_str());
    let entry = r
        .decision_log
        .iter()
        .rev()
        .find(|e| {
            e.note.starts_with("status: ")
                && e.note
                    .split(':')
                    .nth(1)
                    .is_some_and(|m| m.trim_end().ends_with(&moved))
        })
        .or(r.decision_log.last())?;
    parse_utc(&entry.at)
}

/// The report of the experiments decided since `since` (all when `None`); files that break
/// rules are left out, with a warning.
pub fn report(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    since: Option<DateTime<Utc>>,
) -> Result<Report, Error> {
    let listing = read::list(ws, &Filter::default())?;
    if listing.broken > 0 {
        notices.push(Notice::Warning(format!(
            "{} experiment file(s) break rules and are not in the report; `xp check` lists the problems",
            listing.broken
        )));
    }
    let mut rows: Vec<(String, Option<DateTime<Utc>>, Learned)> = listing
        .found
        .into_iter()
        .filter_map(|f| {
            let decision = decided(&f.record)?;
            let at = decided_at(&f.record);
            if let Some(since) = since
                && at.is_none_or(|at| at < since)
            {
                return None;
            }
            let r = f.record;
            Some((
                r.primary_metric.clone(),
                at,
                Learned {
                    lift: r.lift(),
                    target_met: r.target_met(),
                    id: r.id,
                    slug: f.loaded.slug,
                    title: r.title,
                    status: r.status,
                    decision,
                    observed: r.observed,
                    learning: r.learning,
                    decided_at: at.map(crate::env::format_time),
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
    Ok(Report {
        since: since.map(crate::env::format_time),
        metrics,
    })
}
