//! `xp log`: each decision-log entry beside the commit that added it.

use crate::commands::render::{self, out};
use crate::error::Error;
use crate::ops::workspace::Workspace;
use crate::ops::{self, log::Line};
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
    // Authors, names and notes are strangers' text: each on its one line, escaped.
    let shown: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            let author = l.commit.as_ref().map_or("not committed", |c| &c.author);
            (
                text::terminal(author).into_owned(),
                text::terminal(l.entry.who.as_deref().unwrap_or("-")).into_owned(),
                text::terminal(&l.entry.note).into_owned(),
            )
        })
        .collect();
    let width = |f: &dyn Fn(&(String, String, String)) -> &str| {
        shown
            .iter()
            .map(|s| f(s).chars().count())
            .max()
            .unwrap_or(1)
    };
    let author_w = width(&|s| &s.0);
    let who_w = width(&|s| &s.1);
    let mut out = String::new();
    for (l, (author, who, note)) in lines.iter().zip(&shown) {
        let (short, date) = match &l.commit {
            Some(c) => (c.short.as_str(), c.date.as_str()),
            None => ("-------", ""),
        };
        out.push_str(&format!(
            "{short}  {author:author_w$}  {date:10}  {}  {who:who_w$}  {note}\n",
            text::terminal(&l.entry.at),
        ));
    }
    out
}
