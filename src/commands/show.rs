//! `xp show`: one experiment with its decision log.

use crate::commands::render::{self, out};
use crate::error::Error;
use crate::ops;
use crate::ops::workspace::Workspace;
use crate::record::edit::format_number;
use crate::record::texts::Note;
use crate::record::{Direction, FIELDS, FieldValue, Record};
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
const SHOWN_ABOVE: [&str; 11] = [
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
];

/// The record for a person to read.
pub fn text(r: &Record, path: &str) -> String {
    let mut out = format!("{}\n", r.title);
    let mut field = |name: &str, value: &str| {
        out.push_str(&format!("  {name:<15}{}\n", printable(value)));
    };
    field("id", &r.id);
    field("file", path);
    field("status", r.status.as_str());
    field("hypothesis", &r.hypothesis);
    let arrow = match r.direction() {
        Direction::Increase => "up",
        Direction::Decrease => "down",
    };
    field(
        "metric",
        &format!(
            "{} {} -> {} ({arrow})",
            r.primary_metric,
            format_number(r.baseline),
            format_number(r.target)
        ),
    );
    if let Some(observed) = r.observed {
        field("observed", &observed_text(r, observed));
    }
    field("confidence", &r.confidence.to_string());
    field("decision", r.decision.map_or("-", |d| d.as_str()));
    field("learning", r.learning.as_deref().unwrap_or("-"));
    // The other fields, when set, in the table's order.
    for f in FIELDS.iter().filter(|f| !SHOWN_ABOVE.contains(&f.name)) {
        match r.get(f.name) {
            Some(FieldValue::List(items)) => field(f.name, &items.join(", ")),
            Some(FieldValue::Text(t)) => field(f.name, &t),
            Some(FieldValue::Number(x)) => field(f.name, &format_number(x)),
            Some(FieldValue::Whole(n)) => field(f.name, &n.to_string()),
            None => {}
        }
    }
    out.push_str("\ndecision log:\n");
    if r.decision_log.is_empty() {
        out.push_str("  (empty)\n");
    }
    for e in &r.decision_log {
        let note = printable(&e.note).replace('\n', "\n      ");
        out.push_str(&format!(
            "  {}  {}\n      {note}\n",
            e.at,
            printable(e.who.as_deref().unwrap_or("-"))
        ));
    }
    out
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

/// Text safe to print on a terminal: control characters other than line breaks and tabs
/// (a carriage return would overwrite what came before it) are shown escaped, as `\r`.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            '\r' => "\\r".to_owned(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}
