//! "Was this tried before?": the existing experiments that look like one, new or not.

use crate::error::Error;
use crate::ops::read::{self, Filter, Found};
use crate::ops::workspace::Workspace;
use crate::record::Record;
use crate::text;

/// One existing experiment like the one asked about, with its score from 0 to 1.
#[derive(Debug, Clone)]
pub struct Alike {
    pub found: Found,
    pub score: f64,
}

/// The existing experiments most like `one` (never itself), best first, at most `limit`;
/// files that break rules are left out.
pub fn similar(ws: &Workspace, one: &Record, limit: usize) -> Result<Vec<Alike>, Error> {
    let listing = read::list(ws, &Filter::default())?;
    let records: Vec<&Record> = listing.found.iter().map(|f| &f.record).collect();
    let scored = crate::learn::similar::similar(one, &records, limit);
    let mut slots: Vec<Option<Found>> = listing.found.into_iter().map(Some).collect();
    Ok(scored
        .into_iter()
        .filter_map(|(i, score)| {
            Some(Alike {
                found: slots.get_mut(i)?.take()?,
                score,
            })
        })
        .collect())
}

/// The similar experiments as a person reads them on a terminal: each one's slug, title and
/// score, then its status, decision and lift, then its learning, escaped ([`text::terminal`]).
pub fn describe(alike: &[Alike]) -> String {
    let mut out = String::new();
    for a in alike {
        let r = &a.found.record;
        out.push_str(&format!(
            "  {}  {}  (score {:.2})\n",
            text::terminal(&a.found.loaded.slug),
            text::terminal(&r.title),
            a.score
        ));
        let mut line = format!(
            "    {}, decision {}",
            r.status.as_str(),
            r.decision.map_or("-", |d| d.as_str())
        );
        if let Some(lift) = r.lift_shown() {
            line.push_str(&format!(", lift {lift}"));
        }
        out.push_str(&line);
        out.push('\n');
        out.push_str(&format!(
            "    learning: {}\n",
            text::terminal(r.learning.as_deref().unwrap_or("-"))
        ));
    }
    out
}
