//! What the team learned: decided experiments grouped by primary metric, for a wiki page or a
//! sprint review.

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::learn::report::{self, Report};
use crate::ops::notice::Notice;
use crate::ops::read::{self, Filter};
use crate::ops::workspace::Workspace;

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
    let experiments = listing
        .found
        .into_iter()
        .map(|f| (f.loaded.slug, f.record))
        .collect();
    Ok(report::build(experiments, since))
}
