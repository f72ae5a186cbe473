//! `xp report`: what the team learned, decided experiments by primary metric, as Markdown
//! for a wiki page or a sprint review, or as JSON.

use crate::commands::render::{self, out};
use crate::error::Error;
use crate::learn::report as report_md;
use crate::ops;
use crate::ops::workspace::Workspace;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only experiments decided on or after this day (YYYY-MM-DD) or time (RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

pub fn run(args: Args, ws: &Workspace, ui: &mut Ui) -> Result<(), Error> {
    let since = match &args.since {
        None => None,
        Some(text) => Some(since(text)?),
    };
    let mut notices = Vec::new();
    let result = ops::report::report(ws, &mut notices, since);
    render::notices(ui, &notices);
    let report = result?;
    out(match args.format {
        Format::Markdown => ui.data(&report_md::markdown(&report)),
        Format::Json => ui.json(&report),
    })
}

/// `--since`: a day (its start, UTC) or an RFC 3339 time.
fn since(text: &str) -> Result<chrono::DateTime<chrono::Utc>, Error> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        && let Some(start) = day.and_hms_opt(0, 0, 0)
    {
        return Ok(start.and_utc());
    }
    crate::time::parse_time(text).ok_or_else(|| {
        Error::usage(format!(
            "--since `{text}` is not a date; write it as 2026-03-01 or 2026-03-01T09:00:00Z"
        ))
    })
}
