//! `xp similar`: the existing experiments that look like one, with what they decided and
//! learned.

use serde::Serialize;

use crate::commands::render::out;
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, similar::Alike};
use crate::record::{Decision, Status};
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment: slug, id, id prefix (4+ characters) or path
    #[arg(value_name = "REF")]
    pub reference: String,
    /// At most this many
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: u64,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    slug: &'a str,
    path: String,
    title: &'a str,
    status: Status,
    decision: Option<Decision>,
    learning: Option<&'a str>,
    lift: Option<f64>,
    improved: Option<bool>,
    score: f64,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let found = ops::read::get(ws, &args.reference)?;
    let limit = usize::try_from(args.limit).unwrap_or(usize::MAX);
    let alike = ops::similar::similar(ws, &found.record, limit)?;
    match args.format {
        Format::Json => out(ui.json(&alike.iter().map(row).collect::<Vec<_>>())),
        Format::Text => {
            if alike.is_empty() {
                ui.status(&format!("no experiment looks like {}", found.loaded.slug));
            }
            out(ui.data(&ops::similar::describe(&alike)))
        }
    }
}

fn row(a: &Alike) -> Row<'_> {
    let r = &a.found.record;
    Row {
        id: &r.id,
        slug: &a.found.loaded.slug,
        path: a.found.loaded.shown.to_string_lossy().into_owned(),
        title: &r.title,
        status: r.status,
        decision: r.decision,
        learning: r.learning.as_deref(),
        lift: r.lift(),
        improved: r.improved(),
        score: a.score,
    }
}
