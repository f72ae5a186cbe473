//! `xp show`: one experiment with its decision log.

use crate::commands::render::{self, out};
use crate::error::Error;
use crate::ops;
use crate::ops::workspace::Workspace;
use crate::record::edit::format_number;
use crate::record::texts::{Note, shown};
use crate::record::{Direction, FIELDS, FieldValue, Record};
use crate::text;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Yaml,
    Json,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let found = ops::read::get(ws, &args.reference)?;
    out(match args.format {
        Format::Yaml => ui.data_bytes(&found.loaded.bytes),
        Format::Json => ui.json(&found.record),
        Format::Text => {
            let mut shown = text(&found.record, &found.loaded.shown.to_string_lossy());
            // An amended plan is shown as first registered; finding it reads history, so only
            // then (a plan changed by hand without amendment is `check --base`'s to catch).
            if found
                .record
                .decision_log
                .iter()
                .any(|e| matches!(Note::read(&e.note), Note::Amended { .. }))
            {
                let history = ops::log::log(ws, &args.reference)?;
                let block = render::registered_plan(&history.amended_plan);
                if !block.is_empty() {
                    shown.push('\n');
                    shown.push_str(block.trim_end_matches('\n'));
                    shown.push('\n');
                }
            }
            ui.data(&shown)
        }
    })
}

/// The fields the lines above the others show, each in its own way.
const SHOWN_ABOVE: [&str; 12] = [
    "title",
    "status",
    "hypothesis",
    "primary_metric",
    "baseline",
    "target",
    "direction",
    "observed",
    "confidence",
    "decision",
    "learning",
    "results",
];

/// The record for a person to read. Its text is escaped for the terminal ([`crate::text`]): the
/// title and one-line values on their line (a line break shown as `\n`), the hypothesis,
/// learning and notes on as many lines as they have, indented under their label.
pub fn text(r: &Record, path: &str) -> String {
    let mut out = format!("{}\n", text::terminal(&r.title));
    line(&mut out, "id", &r.id);
    line(&mut out, "file", path);
    line(&mut out, "status", r.status.as_str());
    lines(&mut out, "hypothesis", &r.hypothesis);
    let arrow = match r.direction() {
        Direction::Increase => "up",
        Direction::Decrease => "down",
    };
    let metric = format!(
        "{} {} -> {} ({arrow})",
        r.primary_metric,
        format_number(r.baseline),
        format_number(r.target)
    );
    line(&mut out, "metric", &metric);
    if let Some(observed) = r.observed {
        line(&mut out, "observed", &observed_text(r, observed));
    }
    line(&mut out, "confidence", &r.confidence.to_string());
    evidence(&mut out, r);
    line(&mut out, "decision", r.decision.map_or("-", |d| d.as_str()));
    lines(&mut out, "learning", r.learning.as_deref().unwrap_or("-"));
    // The other fields, when set, in the table's order.
    for f in FIELDS.iter().filter(|f| !SHOWN_ABOVE.contains(&f.name)) {
        match r.get(f.name) {
            Some(FieldValue::List(items)) => line(&mut out, f.name, &items.join(", ")),
            Some(FieldValue::Text(t)) => line(&mut out, f.name, &t),
            Some(FieldValue::Number(x)) => line(&mut out, f.name, &format_number(x)),
            Some(FieldValue::Whole(n)) => line(&mut out, f.name, &n.to_string()),
            Some(value) => line(&mut out, f.name, &shown(f.name, &Some(value))),
            None => {}
        }
    }
    out.push_str("\ndecision log:\n");
    if r.decision_log.is_empty() {
        out.push_str("  (empty)\n");
    }
    for e in &r.decision_log {
        out.push_str(&format!(
            "  {}  {}\n      {}\n",
            text::terminal(&e.at),
            text::terminal(e.who.as_deref().unwrap_or("-")),
            indented(&e.note, 6)
        ));
    }
    out
}

/// A labelled value on one line.
fn line(out: &mut String, name: &str, value: &str) {
    out.push_str(&format!("  {name:<14} {}\n", text::terminal(value)));
}

/// The results and what they say: when and where from, each variant's counts and, against the
/// control, its lift with the interval, the p-value and the chance to beat control; then the
/// sample-ratio check.
pub fn evidence(out: &mut String, r: &Record) {
    let (Some(results), Some(e)) = (&r.results, r.evidence()) else {
        return;
    };
    let source = results
        .source
        .as_deref()
        .map_or_else(String::new, |s| format!(", from {s}"));
    line(out, "results", &format!("as of {}{source}", results.as_of));
    for v in &e.variants {
        let label = if v.name == e.variants[0].name && v.name != "control" {
            " (control)"
        } else {
            ""
        };
        let said = match v.summary() {
            Some(summary) => format!("{}: {summary}", v.measured()),
            None => v.measured(),
        };
        out.push_str(&format!(
            "    {}{label}: {}\n",
            text::terminal(&v.name),
            text::terminal(&said)
        ));
    }
    if let Some(srm) = &e.sample_ratio {
        line(out, "sample ratio", &srm.summary());
    }
}

/// A labelled value that may take several lines, each further one under the first.
fn lines(out: &mut String, name: &str, value: &str) {
    out.push_str(&format!("  {name:<15}{}\n", indented(value, 17)));
}

/// Text on as many lines as it has, each after the first indented by `by` spaces.
fn indented(value: &str, by: usize) -> String {
    text::terminal_lines(value).replace('\n', &format!("\n{:by$}", ""))
}

/// The observed value with its lift, better or worse, and whether it met the target:
/// `3.712 (+16.0% better, target met)`.
fn observed_text(r: &Record, observed: f64) -> String {
    let lift = r.lift_shown().unwrap_or_else(|| "lift -".to_owned());
    let met = match r.target_met() {
        Some(true) => "target met",
        _ => "target missed",
    };
    format!("{} ({lift}, {met})", format_number(observed))
}
