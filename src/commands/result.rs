//! `xp result`: records an experiment's measured counts as its `results`, with a log entry, and
//! sets its confidence to the chance to beat control they compute; prints what they say.

use crate::commands::render::{self, out};
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, WriteOptions, update::Changes};
use crate::record::FieldValue;
use crate::record::fields;
use crate::record::results::{Results, Variant};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    /// A variant's counts, the control first: NAME=UNITS/CONVERSIONS (control=10000/320) for
    /// a conversion metric, NAME=UNITS:MEAN:SD (control=5000:12.5:3.1) for a continuous one;
    /// repeat for each variant
    #[arg(long = "variant", value_name = "NAME=COUNTS", required = true, value_parser = Variant::parse)]
    pub variants: Vec<Variant>,
    /// Where the counts come from: a dashboard link, a query's name
    #[arg(long, value_name = "TEXT")]
    pub source: Option<String>,
    /// When the counts were taken, RFC 3339 (default: now)
    #[arg(long, value_name = "TIME", value_parser = as_of)]
    pub as_of: Option<String>,
    /// Who records them (default: git's user.name, else $USER)
    #[arg(long)]
    pub who: Option<String>,
    /// Write the file without committing it
    #[arg(long)]
    pub no_commit: bool,
}

/// An `--as-of` time, in UTC as records write times.
fn as_of(text: &str) -> Result<String, String> {
    crate::time::parse_time(text)
        .map(crate::time::format_time)
        .ok_or_else(|| {
            format!("`{text}` is not an RFC 3339 time; write it like 2026-03-01T00:00:00Z")
        })
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let results = Results {
        as_of: args
            .as_of
            .unwrap_or_else(|| crate::time::format_time(ws.env.now())),
        source: args.source,
        variants: args.variants,
    };
    let mut changes = Changes {
        who: args.who,
        ..Changes::default()
    };
    if let Some(field) = fields::field("results") {
        changes.set(field, Some(FieldValue::Results(Box::new(results))));
    }
    let options = WriteOptions {
        commit: !args.no_commit,
        ..WriteOptions::default()
    };
    let mut notices = Vec::new();
    let result = ops::update::update(ws, &mut notices, &args.reference, changes, options);
    render::notices(ui, &notices);
    let saved = result?;
    let mut text = String::new();
    crate::commands::show::evidence(&mut text, &saved.record);
    out(ui.data(&text))
}
