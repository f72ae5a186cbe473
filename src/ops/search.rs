//! Searching experiments' text: the records a filter keeps, ranked by [`crate::learn::search`].

use crate::error::Error;
use crate::learn::search::{self, Excerpt};
use crate::ops::notice::Notice;
use crate::ops::read::{self, Filter, Found};
use crate::ops::workspace::Workspace;
use crate::record::{Record, Status};

/// What to look for and among which experiments; empty filters keep every one.
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    pub query: String,
    pub statuses: Vec<Status>,
    /// Only experiments with this primary metric.
    pub metric: Option<String>,
    pub tag: Option<String>,
    /// At most this many hits.
    pub limit: usize,
}

/// One experiment that matched, with its score and where it matched.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub found: Found,
    pub score: f64,
    pub excerpt: Excerpt,
}

/// The experiments that match `input.query`, best first. Files that break rules are left out,
/// with a warning among the notices.
pub fn search(
    ws: &Workspace,
    notices: &mut Vec<Notice>,
    input: &SearchInput,
) -> Result<Vec<SearchHit>, Error> {
    let (wanted, dropped) = search::query_terms(&input.query, &mut search::Terms::default());
    if wanted.is_empty() && dropped.is_empty() {
        return Err(Error::usage(
            "the query has no words to search for; give one or more words, like `xp search refund`",
        ));
    }
    if wanted.is_empty() {
        notices.push(Notice::Warning(format!(
            "{} too common to search for, so nothing matches; add a word that tells \
             experiments apart, like `xp search refund`",
            match dropped.as_slice() {
                [one] => format!("`{one}` is"),
                many => format!(
                    "{} are",
                    many.iter()
                        .map(|w| format!("`{w}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        )));
        return Ok(Vec::new());
    }
    let filter = Filter {
        statuses: input.statuses.clone(),
        tag: input.tag.clone(),
        ..Filter::default()
    };
    let listing = read::list(ws, &filter)?;
    if listing.broken > 0 {
        notices.push(Notice::Warning(format!(
            "{} experiment file(s) break rules and were not searched; `xp check` lists the problems",
            listing.broken
        )));
    }
    let mut found: Vec<Found> = listing.found;
    if let Some(metric) = &input.metric {
        found.retain(|f| f.record.primary_metric == *metric);
    }
    Ok(ranked(found, &input.query, input.limit))
}

/// The experiments among `found` that match `query`, best first, at most `limit`: `xp
/// search`'s matching and ranking, for a front-end that has the records already.
pub fn ranked(found: Vec<Found>, query: &str, limit: usize) -> Vec<SearchHit> {
    let records: Vec<&Record> = found.iter().map(|f| &f.record).collect();
    let hits = search::search(&records, query, limit);
    let mut slots: Vec<Option<Found>> = found.into_iter().map(Some).collect();
    hits.into_iter()
        .filter_map(|hit| {
            Some(SearchHit {
                found: slots.get_mut(hit.index)?.take()?,
                score: hit.score,
                excerpt: hit.excerpt,
            })
        })
        .collect()
}
