//! `xp show`: one experiment with its decision log.

use crate::commands::{Workspace, valid};
use crate::error::Error;
use crate::record::Record;
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
    let loaded = ws.resolve(&args.reference)?;
    let record = valid(&loaded, "`xp check` lists every problem")?;
    let out = match args.format {
        Format::Yaml => String::from_utf8_lossy(&loaded.bytes).into_owned(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&record).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Text => text(&record, &loaded.shown.to_string_lossy()),
    };
    ui.data(&out).map_err(|e| Error::io("stdout", e))
}

/// The record for a person to read.
pub fn text(r: &Record, path: &str) -> String {
    let mut out = format!("{}\n", r.title);
    let mut field = |name: &str, value: &str| out.push_str(&format!("  {name:<15}{value}\n"));
    field("id", &r.id);
    field("file", path);
    field("status", r.status.as_str());
    field("hypothesis", &r.hypothesis);
    let arrow = match r.direction() {
        crate::record::Direction::Increase => "up",
        crate::record::Direction::Decrease => "down",
    };
    field(
        "metric",
        &format!(
            "{} {} -> {} ({arrow})",
            r.primary_metric,
            crate::yaml_edit::format_number(r.baseline),
            crate::yaml_edit::format_number(r.target)
        ),
    );
    field("confidence", &r.confidence.to_string());
    field("decision", r.decision.map_or("-", |d| d.as_str()));
    field("learning", r.learning.as_deref().unwrap_or("-"));
    if let Some(owner) = &r.owner {
        field("owner", owner);
    }
    if let Some(tags) = &r.tags {
        field("tags", &tags.join(", "));
    }
    if let Some(links) = &r.links {
        field("links", &links.join(", "));
    }
    out.push_str("\ndecision log:\n");
    if r.decision_log.is_empty() {
        out.push_str("  (empty)\n");
    }
    for e in &r.decision_log {
        let note = e.note.replace('\n', "\n      ");
        out.push_str(&format!(
            "  {}  {}\n      {note}\n",
            e.at,
            e.who.as_deref().unwrap_or("-")
        ));
    }
    out
}
