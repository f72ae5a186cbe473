//! `xp log`: each decision-log entry beside the commit that added it.

use crate::commands::render::{self, out};
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, log::Line};
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
    Json,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let history = ops::log::log(ws, &args.reference)?;
    out(match args.format {
        Format::Json => ui.json(&history.lines),
        Format::Text => ui.data(&format!(
            "{}{}",
            render::registered_plan(&history.amended_plan),
            text(&history.lines)
        )),
    })
}

fn text(lines: &[Line]) -> String {
    if lines.is_empty() {
        return "the decision log is empty\n".into();
    }
    let who_w = lines
        .iter()
        .map(|l| l.entry.who.as_deref().unwrap_or("-").chars().count())
        .max()
        .unwrap_or(1);
    let author_w = lines
        .iter()
        .map(|l| l.commit.as_ref().map_or(13, |c| c.author.chars().count()))
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for l in lines {
        let (short, author, date) = match &l.commit {
            Some(c) => (c.short.as_str(), c.author.as_str(), c.date.as_str()),
            None => ("-------", "not committed", ""),
        };
        let note = l.entry.note.replace('\n', " ");
        out.push_str(&format!(
            "{short}  {author:author_w$}  {date:10}  {}  {:who_w$}  {note}\n",
            l.entry.at,
            l.entry.who.as_deref().unwrap_or("-"),
        ));
    }
    out
}
